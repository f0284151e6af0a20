//! An independent DRAM timing checker: replays a command log and reports every violated rule.
//!
//! It shares no code with the controller. Each rule is written pairwise, as the JEDEC tables state
//! it ("ACT to RD/WR in the same bank: at least tRCD"), and checked against every earlier command of
//! the same channel within the longest constraint's reach; bank state (which row is open) is replayed
//! too, so a RD to a closed bank or an ACT to an open bank is caught.

use super::{Command, DramSpec, IssuedCommand};

/// Checks `log` (in issue order) against `spec`. Returns one message per violation (empty = clean).
pub fn check(spec: &DramSpec, log: &[IssuedCommand]) -> Vec<String> {
    let t = spec.timing;
    let bl = spec.burst_cycles;
    let mut errors = Vec::new();
    let reach = [
        t.rfc,
        t.rc,
        t.faw,
        t.cwl + bl + t.wr,
        t.cwl + bl + t.wtr_l,
        t.cl + bl + 2,
    ]
    .into_iter()
    .max()
    .unwrap_or(0)
        + 1;
    let n_ch = spec.org.channels as usize;
    let per_rank = (spec.org.bank_groups * spec.org.banks_per_group) as usize;
    let n_banks = spec.org.ranks as usize * per_rank;
    let mut open: Vec<Vec<Option<u32>>> = vec![vec![None; n_banks]; n_ch];
    let mut last_cycle = vec![None::<u64>; n_ch];
    let mut refs_per_rank = vec![vec![0u64; spec.org.ranks as usize]; n_ch];
    let mut fail = |i: usize, c: &IssuedCommand, rule: &str| {
        if errors.len() < 50 {
            errors.push(format!(
                "command #{i} {:?} at cycle {} (ch {} rank {} bg {} bank {}): {rule}",
                c.cmd, c.cycle, c.channel, c.rank, c.bank_group, c.bank
            ));
        }
    };
    for (i, c) in log.iter().enumerate() {
        let ch = c.channel as usize;
        let bank = c.rank as usize * per_rank
            + (c.bank_group * spec.org.banks_per_group as u32 + c.bank) as usize;
        if let Some(prev) = last_cycle[ch] {
            if c.cycle <= prev {
                fail(
                    i,
                    c,
                    "two commands in one cycle on a channel, or out of order",
                );
            }
        }
        last_cycle[ch] = Some(c.cycle);
        // State rules.
        match c.cmd {
            Command::Act if open[ch][bank].is_some() => {
                fail(i, c, "ACT to a bank with an open row")
            }
            Command::Rd | Command::Wr if open[ch][bank] != Some(c.row) => {
                fail(i, c, "column command to a row that is not open")
            }
            Command::Pre if open[ch][bank].is_none() => fail(i, c, "PRE to a closed bank"),
            Command::Ref => {
                let r = c.rank as usize;
                if open[ch][r * per_rank..(r + 1) * per_rank]
                    .iter()
                    .any(|o| o.is_some())
                {
                    fail(i, c, "REF with a bank open");
                }
                refs_per_rank[ch][r] += 1;
            }
            _ => {}
        }
        match c.cmd {
            Command::Act => open[ch][bank] = Some(c.row),
            Command::Pre => open[ch][bank] = None,
            _ => {}
        }
        // Pairwise timing rules against earlier commands of this channel.
        let mut acts_in_rank = 0;
        for (j, p) in log[..i].iter().enumerate().rev() {
            if p.channel != c.channel {
                continue;
            }
            let gap = c.cycle - p.cycle;
            if gap > reach {
                break;
            }
            let same_rank = p.rank == c.rank;
            let same_bg = same_rank && p.bank_group == c.bank_group;
            let same_bank = same_bg && p.bank == c.bank;
            let need = |min: u64, rule: &str, f: &mut dyn FnMut(usize, &IssuedCommand, &str)| {
                if gap < min {
                    f(
                        i,
                        c,
                        &format!("{rule}: {gap} < {min} cycles after #{j} {:?}", p.cmd),
                    );
                }
            };
            use Command::*;
            match (p.cmd, c.cmd) {
                (Act, Act) if same_bank => need(t.rc, "tRC", &mut fail),
                (Act, Act) if same_bg => need(t.rrd_l, "tRRD_L", &mut fail),
                (Act, Act) if same_rank => need(t.rrd_s, "tRRD_S", &mut fail),
                (Act, Pre) if same_bank => need(t.ras, "tRAS", &mut fail),
                (Act, Rd | Wr) if same_bank => need(t.rcd, "tRCD", &mut fail),
                (Pre, Act) if same_bank => need(t.rp, "tRP", &mut fail),
                (Pre, Ref) if same_rank => need(t.rp, "tRP before REF", &mut fail),
                (Ref, Act) if same_rank => need(t.rfc, "tRFC", &mut fail),
                (Rd, Pre) if same_bank => need(t.rtp, "tRTP", &mut fail),
                (Wr, Pre) if same_bank => need(t.cwl + bl + t.wr, "tWR", &mut fail),
                (Rd, Rd) | (Wr, Wr) if same_bg => need(t.ccd_l.max(bl), "tCCD_L", &mut fail),
                (Rd, Rd) | (Wr, Wr) if same_rank => need(t.ccd_s.max(bl), "tCCD_S", &mut fail),
                (Rd, Rd) | (Wr, Wr) => need(bl + t.rtrs, "rank switch (burst + tRTRS)", &mut fail),
                (Wr, Rd) if same_bg => need(t.cwl + bl + t.wtr_l, "tWTR_L", &mut fail),
                (Wr, Rd) if same_rank => need(t.cwl + bl + t.wtr_s, "tWTR_S", &mut fail),
                (Rd, Wr) if same_rank => need(
                    (t.cl + bl + 2).saturating_sub(t.cwl),
                    "read-to-write turnaround",
                    &mut fail,
                ),
                _ => {}
            }
            // Data bus: bursts of different commands never overlap on a channel.
            if matches!(p.cmd, Rd | Wr) && matches!(c.cmd, Rd | Wr) {
                let start = |x: &IssuedCommand| x.cycle + if x.cmd == Rd { t.cl } else { t.cwl };
                let (ps, cs) = (start(p), start(c));
                let gap_needed = if same_rank { 0 } else { t.rtrs };
                if cs < ps + bl + gap_needed && ps < cs + bl {
                    fail(i, c, &format!("data burst overlaps that of #{j}"));
                }
            }
            if p.cmd == Act && c.cmd == Act && same_rank {
                acts_in_rank += 1;
                if acts_in_rank == 4 && gap < t.faw {
                    fail(
                        i,
                        c,
                        &format!("tFAW: 5 ACTs within {gap} < {} cycles", t.faw),
                    );
                }
            }
        }
    }
    // Refresh rate: JEDEC allows postponing up to 8 refreshes.
    if spec.refresh {
        if let Some(end) = log.iter().map(|c| c.cycle).max() {
            for (ch, ranks) in refs_per_rank.iter().enumerate() {
                for (r, &n) in ranks.iter().enumerate() {
                    let due = end / t.refi;
                    if n + 8 < due {
                        errors.push(format!(
                            "channel {ch} rank {r}: {n} refreshes by cycle {end}, {due} due"
                        ));
                    }
                }
            }
        }
    }
    errors
}
