//! The scheduler: one step of a channel (FR-FCFS over the banks whose lower bound has come, the
//! write buffer's drain, precharges and activates), issuing commands against every timing
//! constraint and logging them for the checker.

use super::*;

impl Dram {
    pub(super) fn log(&mut self, cycle: u64, cmd: Command, ch: usize, a: &DramAddr, row: u32) {
        if let Some(log) = &mut self.log {
            log.push(IssuedCommand {
                cycle,
                cmd,
                channel: ch as u32,
                rank: a.rank,
                bank_group: a.bank_group,
                bank: a.bank,
                row,
            });
        }
    }

    pub(super) fn issue_act(&mut self, ch: usize, a: DramAddr, t: u64) {
        let tm = self.spec.timing;
        let (bi, gi) = (self.bank_idx(&a), self.group_idx(&a));
        let c = &mut self.channels[ch];
        let hits = c.bank_queues[bi]
            .iter()
            .filter(|q| q.addr.row == a.row)
            .count() as u32;
        c.when_lb[bi] = 0;
        let b = &mut c.banks[bi];
        b.open_row = a.row;
        b.hits_queued = hits;
        b.row_hits = 0;
        b.cand_valid = false;
        b.next_act = b.next_act.max(t + tm.rc);
        b.next_pre = b.next_pre.max(t + tm.ras);
        b.next_rd = b.next_rd.max(t + tm.rcd);
        b.next_wr = b.next_wr.max(t + tm.rcd);
        c.groups[gi].next_act = c.groups[gi].next_act.max(t + tm.rrd_l);
        let r = &mut c.ranks[a.rank as usize];
        r.next_act = r.next_act.max(t + tm.rrd_s);
        r.faw[r.faw_idx] = t;
        r.faw_idx = (r.faw_idx + 1) % 4;
        r.n_acts += 1;
        c.next_cmd = t + 1;
        self.stats.activates += 1;
        self.log(t, Command::Act, ch, &a, a.row);
    }

    pub(super) fn issue_pre(&mut self, ch: usize, bi: usize, a: DramAddr, t: u64) {
        let tm = self.spec.timing;
        let c = &mut self.channels[ch];
        c.when_lb[bi] = 0;
        let b = &mut c.banks[bi];
        b.open_row = NO_ROW;
        b.hits_queued = 0;
        b.cand_valid = false;
        b.next_act = b.next_act.max(t + tm.rp);
        c.next_cmd = t + 1;
        self.stats.precharges += 1;
        self.log(t, Command::Pre, ch, &a, NO_ROW);
    }

    pub(super) fn issue_column(&mut self, ch: usize, e: Entry, t: u64) {
        let tm = self.spec.timing;
        let bl = self.spec.burst_cycles;
        let (bi, gi) = (e.bank as usize, e.group as usize);
        let (rtw, ccd_s, ccd_l) = (self.rtw, self.ccd_s, self.ccd_l);
        let c = &mut self.channels[ch];
        c.banks[bi].hits_queued -= 1;
        c.banks[bi].row_hits += 1;
        c.banks[bi].cand_valid = false;
        c.when_lb[bi] = 0;
        let rank = e.addr.rank as usize;
        if e.is_write {
            let b = &mut c.banks[bi];
            b.next_pre = b.next_pre.max(t + tm.cwl + bl + tm.wr);
            let g = &mut c.groups[gi];
            g.next_wr = g.next_wr.max(t + ccd_l);
            g.next_rd = g.next_rd.max(t + tm.cwl + bl + tm.wtr_l);
            let r = &mut c.ranks[rank];
            r.next_wr = r.next_wr.max(t + ccd_s);
            r.next_rd = r.next_rd.max(t + tm.cwl + bl + tm.wtr_s);
            for (_, r) in c.ranks.iter_mut().enumerate().filter(|(i, _)| *i != rank) {
                r.next_wr = r.next_wr.max(t + bl + tm.rtrs);
                r.next_rd = r
                    .next_rd
                    .max((t + tm.cwl + bl + tm.rtrs).saturating_sub(tm.cl));
            }
            self.stats.writes += 1;
            self.stats.bytes_written += self.spec.access_bytes;
        } else {
            let b = &mut c.banks[bi];
            b.next_pre = b.next_pre.max(t + tm.rtp);
            let g = &mut c.groups[gi];
            g.next_rd = g.next_rd.max(t + ccd_l);
            g.next_wr = g.next_wr.max(t + rtw);
            let r = &mut c.ranks[rank];
            r.next_rd = r.next_rd.max(t + ccd_s);
            r.next_wr = r.next_wr.max(t + rtw);
            for (_, r) in c.ranks.iter_mut().enumerate().filter(|(i, _)| *i != rank) {
                r.next_rd = r.next_rd.max(t + bl + tm.rtrs);
                r.next_wr = r
                    .next_wr
                    .max((t + tm.cl + bl + tm.rtrs).saturating_sub(tm.cwl));
            }
            self.stats.reads += 1;
            self.stats.bytes_read += self.spec.access_bytes;
        }
        c.next_cmd = t + 1;
        match (e.needed_pre, e.needed_act) {
            (true, _) => self.stats.row_misses += 1,
            (false, true) => self.stats.row_empty += 1,
            (false, false) => self.stats.row_hits += 1,
        }
        let row = e.addr.row;
        self.log(
            t,
            if e.is_write { Command::Wr } else { Command::Rd },
            ch,
            &e.addr,
            row,
        );
        let done = t + if e.is_write { tm.cwl } else { tm.cl } + bl;
        let s = &mut self.slots[e.slot as usize];
        s.remaining -= 1;
        s.done_cycle = s.done_cycle.max(done);
        if s.remaining == 0 {
            self.finished.push(e.slot);
        }
        if self.spec.page_policy == PagePolicy::Closed {
            let c = &mut self.channels[ch];
            if c.banks[bi].hits_queued == 0 && !c.to_close.contains(&bi) {
                c.to_close.push(bi);
            }
        }
    }

    /// Tries to issue one command on channel `ch` at cycle `t`.
    pub(super) fn step(&mut self, ch: usize, t: u64) -> Step {
        let tm = self.spec.timing;
        let mut next = u64::MAX;
        // 1. Refresh, which has priority once due.
        let due = self.channels[ch]
            .ranks
            .iter()
            .map(|r| r.next_ref_due)
            .min()
            .unwrap_or(u64::MAX);
        if self.spec.refresh && due > t {
            next = due;
        } else if self.spec.refresh {
            for rank in 0..self.channels[ch].ranks.len() {
                if self.channels[ch].ranks[rank].next_ref_due > t {
                    next = next.min(self.channels[ch].ranks[rank].next_ref_due);
                    continue;
                }
                let per_rank = (self.spec.org.bank_groups * self.spec.org.banks_per_group) as usize;
                let range = rank * per_rank..(rank + 1) * per_rank;
                let c = &self.channels[ch];
                if let Some(bi) = range.clone().find(|&bi| c.banks[bi].open_row != NO_ROW) {
                    let ready = c.banks[bi].next_pre.max(c.next_cmd);
                    if ready <= t {
                        let a = self.addr_of_bank(rank, bi - rank * per_rank);
                        self.issue_pre(ch, bi, a, t);
                        return Step::Issued(t + 1);
                    }
                    next = next.min(ready);
                } else {
                    let ready = range
                        .clone()
                        .map(|bi| c.banks[bi].next_act)
                        .max()
                        .unwrap_or(0)
                        .max(c.next_cmd);
                    if ready <= t {
                        let c = &mut self.channels[ch];
                        for bi in range {
                            c.banks[bi].next_act = c.banks[bi].next_act.max(t + tm.rfc);
                            c.banks[bi].cand_valid = false;
                            c.when_lb[bi] = 0;
                        }
                        c.ranks[rank].next_ref_due += tm.refi;
                        c.next_cmd = t + 1;
                        self.stats.refreshes += 1;
                        let a = self.addr_of_bank(rank, 0);
                        self.log(t, Command::Ref, ch, &a, NO_ROW);
                        return Step::Issued(t + 1);
                    }
                    next = next.min(ready);
                }
            }
        }
        // 2. Per bank with queued work, its candidate: the oldest row hit (a column command), or else
        // the oldest access's ACT (closed bank) or PRE (a row nobody queued wants).
        // FR-FCFS: the oldest ready column command wins; else the oldest ready ACT/PRE.
        let refresh = self.spec.refresh;
        let c = &mut self.channels[ch];
        c.update_rank_ready(t, tm.faw, refresh);
        let mut best_col: Option<(u64, usize, u32)> = None; // (seq, bank, index in bank queue)
        let mut best_row: Option<(u64, usize, bool)> = None; // (seq, bank, is ACT)
        let mut n_ready = 0;
        // Banks whose lower bound has come, found without branching on it (it is unpredictable);
        // while a rank refreshes its banks are left out.
        let refreshing = c.rank_ready.iter().any(|r| r.refreshing);
        let mut n_due = 0;
        for k in 0..c.active.len() {
            let bi = c.active[k] as usize;
            if refreshing && c.rank_ready[c.banks[bi].rank as usize].refreshing {
                continue;
            }
            let lb = c.when_lb[bi];
            c.due[n_due] = bi as u32;
            n_due += (lb <= t) as usize;
            next = next.min(if lb > t { lb } else { u64::MAX });
        }
        for k in 0..n_due {
            let bi = c.due[k] as usize;
            let (when, cand) = c.cand_when(bi);
            if when > t {
                next = next.min(when);
                continue;
            }
            n_ready += 1;
            match cand.kind {
                CandKind::Col { idx, .. } => {
                    if best_col.is_none_or(|(seq, _, _)| cand.seq < seq) {
                        best_col = Some((cand.seq, bi, idx));
                    }
                }
                CandKind::Act | CandKind::Pre => {
                    if best_row.is_none_or(|(seq, _, _)| cand.seq < seq) {
                        best_row = Some((cand.seq, bi, matches!(cand.kind, CandKind::Act)));
                    }
                }
                CandKind::None => unreachable!("active banks have queued work"),
            }
        }
        // Issuing only raises timing constraints, so candidates that were not ready stay not ready
        // until `next`; the issuing bank is checked again, and anything else that changed (another
        // ready candidate, a backlog refill, closed-page closes) makes the next step the next cycle.
        // Several banks may have changed (another ready candidate, a backlog refill): then every
        // active bank's candidate is looked at again after the issue, not only the issuing one's.
        let mut recheck_all = n_ready > 1;
        let issued_bank = if let Some((_, bi, idx)) = best_col {
            recheck_all |= !self.channels[ch].backlog.is_empty();
            let staged = self.staged();
            let e = self.channels[ch].take(bi, idx as usize, !staged);
            self.issue_column(ch, e, t);
            if staged {
                recheck_all |= self.pump(ch, t);
            }
            Some(bi)
        } else if let Some((_, bi, is_act)) = best_row {
            let front = &mut self.channels[ch].bank_queues[bi][0];
            front.needed_act = true;
            if !is_act {
                front.needed_pre = true;
            }
            let addr = front.addr;
            if is_act {
                self.issue_act(ch, addr, t);
            } else {
                self.issue_pre(ch, bi, addr, t);
            }
            Some(bi)
        } else {
            None
        };
        if let Some(bi) = issued_bank {
            if self.spec.page_policy == PagePolicy::Closed {
                return Step::Issued(t + 1);
            }
            let c = &mut self.channels[ch];
            c.update_rank_ready(t + 1, tm.faw, refresh);
            let mut when = c.cand_when(bi).0;
            if recheck_all {
                // A valid candidate's `when_lb` is a lower bound (constraints only grow): a bank
                // whose bound is not below the earliest time found so far cannot lower it.
                for k in 0..c.active.len() {
                    let b = c.active[k] as usize;
                    if c.when_lb[b] >= next.min(when) {
                        continue;
                    }
                    when = when.min(c.cand_when(b).0);
                }
            }
            return Step::Issued(next.min(when).max(t + 1));
        }
        // 4. Closed page: close rows nobody queued wants.
        let mut k = 0;
        while k < self.channels[ch].to_close.len() {
            let bi = self.channels[ch].to_close[k];
            let c = &self.channels[ch];
            let open = c.banks[bi].open_row;
            if open == NO_ROW || c.banks[bi].hits_queued > 0 {
                self.channels[ch].to_close.swap_remove(k);
                continue;
            }
            let when = c.banks[bi].next_pre.max(c.next_cmd);
            if when <= t {
                self.channels[ch].to_close.swap_remove(k);
                let per_rank = (self.spec.org.bank_groups * self.spec.org.banks_per_group) as usize;
                let a = self.addr_of_bank(bi / per_rank, bi % per_rank);
                self.issue_pre(ch, bi, a, t);
                return Step::Issued(t + 1);
            }
            next = next.min(when);
            k += 1;
        }
        Step::Idle((next != u64::MAX).then_some(next))
    }

    pub(super) fn addr_of_bank(&self, rank: usize, within: usize) -> DramAddr {
        let bpg = self.spec.org.banks_per_group as usize;
        DramAddr {
            channel: 0,
            rank: rank as u32,
            bank_group: (within / bpg) as u32,
            bank: (within % bpg) as u32,
            row: NO_ROW,
            column: 0,
        }
    }

    pub(super) fn has_work(&self, ch: usize) -> bool {
        let c = &self.channels[ch];
        c.n_queued > 0 || !c.to_close.is_empty() || !c.write_buf.is_empty() || !c.trans.is_empty()
    }
}

/// What a step did.
pub(super) enum Step {
    /// A command issued; nothing else can issue before the given cycle.
    Issued(u64),
    /// Nothing issued; the earliest cycle something could, if any.
    Idle(Option<u64>),
}
