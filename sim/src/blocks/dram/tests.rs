//! DRAM tests: the independent checker on every preset and traffic shape, closed-form latency and
//! bandwidth, and the checker's own ability to catch a violation.

use super::checker::check;
use super::*;
use crate::blocks::requester::{lines, Order, Request, Requester};
use crate::engine::{RunLimits, SimBuilder, Tick};

/// `n` requests of `step` bytes (sequential or random below 1 GiB), keeping `window` reads in
/// flight; when `write_every` > 0, every `write_every`-th is a writeback.
fn feeder(n: u64, window: u64, random: bool, step: u64, write_every: u64) -> Requester {
    let order = if random {
        Order::Random {
            seed: 88172645463325252,
            span: 1 << 30,
        }
    } else {
        Order::Sequential
    };
    Requester::new("feeder", "mem", lines(n, step, order, write_every), window)
}

/// Reads of `addrs`, in this order, all sent at once.
fn reads_of(addrs: Vec<u64>, step: u64) -> Requester {
    let n = addrs.len() as u64;
    let reqs = addrs
        .into_iter()
        .map(move |a| Request::read(a, step as u32));
    Requester::new("feeder", "mem", reqs, n)
}

/// What a run of the feeder against one DRAM leaves: its statistics, the command log, the end
/// time, the first response, the write-buffer counts and the reads answered.
struct Ran {
    stats: DramStats,
    log: Vec<IssuedCommand>,
    end: Tick,
    first_resp: Option<Tick>,
    write_buffer: (u64, u64, u64),
    answered: u64,
}

fn run_all(spec: DramSpec, feeder: Requester) -> Ran {
    let mut b = SimBuilder::new();
    let f = b.add(Box::new(feeder));
    let mut dram = Dram::new("dram", spec, 1);
    dram.enable_command_log();
    let d = b.add(Box::new(dram));
    b.connect(f, "mem", d, ("up", 0), Tick(1));
    let fin = b
        .build()
        .unwrap()
        .run(RunLimits {
            watchdog: Some(Tick(1_000_000_000)),
            ..Default::default()
        })
        .unwrap();
    let dram = fin.get::<Dram>(d).unwrap();
    let feeder = fin.get::<Requester>(f).unwrap();
    Ran {
        stats: *dram.stats(),
        log: dram.command_log().unwrap().to_vec(),
        end: fin.now(),
        first_resp: feeder.first_answer,
        write_buffer: dram.write_buffer_counts(),
        answered: feeder.answered,
    }
}

fn run(spec: DramSpec, feeder: Requester) -> (DramStats, Vec<IssuedCommand>, Tick, Option<Tick>) {
    let r = run_all(spec, feeder);
    (r.stats, r.log, r.end, r.first_resp)
}

#[test]
fn no_timing_violation_for_any_preset_under_random_and_streaming_traffic() {
    for name in preset_names() {
        for (page, ranks) in [
            (PagePolicy::Open, 1),
            (PagePolicy::Closed, 1),
            (PagePolicy::Open, 2),
        ] {
            let mut cfg = DramConfig::preset(name);
            cfg.page_policy = page;
            cfg.org.ranks = Some(ranks);
            let spec = cfg.resolve("dram").unwrap();
            for random in [true, false] {
                let f = feeder(4000, 48, random, spec.access_bytes, 3);
                let (stats, log, _, _) = run(spec.clone(), f);
                let errors = check(&spec, &log);
                assert!(
                    errors.is_empty(),
                    "{name} {page:?} ranks {ranks} random {random}: {:#?}",
                    &errors[..errors.len().min(5)]
                );
                assert_eq!(
                    stats.reads + stats.writes,
                    4000,
                    "{name}: every access issued once"
                );
                assert!(
                    stats.refreshes > 0 || log.last().unwrap().cycle < spec.timing.refi,
                    "{name}: refresh happened"
                );
            }
        }
    }
}

/// With a write buffer drained between watermarks: still no timing violation, every access either
/// issued once or answered from the buffer, and the buffer really drains in episodes.
#[test]
fn a_write_buffer_keeps_timing_legal_and_loses_no_access() {
    for name in preset_names() {
        // The preset's controller (per-bank queues, a write buffer drained when full); a shared
        // window with partial drains; closed page.
        for (page, ranks, bank_queue, entries, high, low, idle) in [
            (PagePolicy::Open, 2, None, None, None, None, None),
            (
                PagePolicy::Open,
                1,
                Some(0),
                Some(32),
                Some(24),
                Some(8),
                Some(0),
            ),
            (
                PagePolicy::Closed,
                1,
                None,
                Some(16),
                Some(12),
                Some(4),
                Some(0),
            ),
        ] {
            let mut cfg = DramConfig::preset(name);
            cfg.page_policy = page;
            cfg.org.ranks = Some(ranks);
            cfg.bank_queue = bank_queue;
            cfg.write_buffer = entries;
            cfg.write_high = high;
            cfg.write_low = low;
            cfg.write_idle = idle;
            let spec = cfg.resolve("dram").unwrap();
            for random in [true, false] {
                let n = 4000;
                let r = run_all(spec.clone(), feeder(n, 48, random, spec.access_bytes, 3));
                let errors = check(&spec, &r.log);
                assert!(
                    errors.is_empty(),
                    "{name} {page:?} random {random}: {:#?}",
                    &errors[..errors.len().min(5)]
                );
                let (fwd, merged, drains) = r.write_buffer;
                assert_eq!(
                    r.stats.reads + r.stats.writes + fwd + merged,
                    4000,
                    "{name}: every access accounted for"
                );
                assert_eq!(r.answered, n - n / 3, "{name}: every read answered");
                assert!(
                    drains > 1,
                    "{name}: the buffer drained in episodes ({drains})"
                );
            }
        }
    }
}

#[test]
fn narrow_8_byte_accesses_are_counted_as_such_and_obey_timing() {
    let mut cfg = DramConfig::preset("DDR5-4400");
    cfg.access_bytes = Some(8);
    let spec = cfg.resolve("dram").unwrap();
    assert_eq!(spec.access_bytes, 8);
    let (stats, log, _, _) = run(spec.clone(), feeder(2000, 32, true, 8, 0));
    assert_eq!(stats.reads, 2000);
    assert_eq!(stats.bytes_read, 2000 * 8);
    assert!(check(&spec, &log).is_empty());
    // A 64-byte request on 8-byte access granularity is eight accesses.
    let (stats, _, _, _) = run(spec, feeder(100, 4, false, 64, 0));
    assert_eq!(stats.reads, 800);
}

#[test]
fn streaming_reaches_at_least_90_percent_of_peak_bandwidth() {
    for name in preset_names() {
        let spec = DramConfig::preset(name).resolve("dram").unwrap();
        let n = 40_000;
        let (stats, _, end, first) = run(spec.clone(), feeder(n, 64, false, spec.access_bytes, 0));
        // Measure from the first returned data to the end, so the first access's latency is excluded.
        let secs = (end.0 - first.unwrap().0) as f64 * 1e-12;
        let bw = (stats.bytes_read - spec.access_bytes) as f64 / secs;
        let frac = bw / spec.peak_bytes_per_s();
        assert!(
            frac >= 0.90,
            "{name}: streaming reached {:.1} % of peak",
            frac * 100.0
        );
        assert!(frac <= 1.0 + 1e-9, "{name}: faster than peak ({frac})");
    }
}

#[test]
fn idle_bank_read_costs_trcd_plus_tcl_plus_burst() {
    for name in preset_names() {
        let spec = DramConfig::preset(name).resolve("dram").unwrap();
        let t = spec.timing;
        let (_, log, _, first) = run(spec.clone(), feeder(1, 1, false, spec.access_bytes, 0));
        assert_eq!(
            log.iter().map(|c| c.cmd).collect::<Vec<_>>(),
            vec![Command::Act, Command::Rd],
            "{name}"
        );
        // The request arrives at 1 ps, so the ACT issues at cycle 1; data ends tRCD + tCL + burst later.
        let expect = (1 + t.rcd + t.cl + spec.burst_cycles) * t.tck_ps;
        assert_eq!(
            first.unwrap().0,
            expect + 1,
            "{name}: response time (plus the 1 ps link)"
        );
    }
}

#[test]
fn checker_catches_injected_violations() {
    let spec = DramConfig::preset("DDR4-3200").resolve("dram").unwrap();
    let (_, mut log, _, _) = run(spec.clone(), feeder(500, 16, true, 64, 0));
    assert!(check(&spec, &log).is_empty());
    // Pull the first column command after an ACT one cycle earlier than tRCD allows.
    let i = log
        .iter()
        .position(|c| matches!(c.cmd, Command::Rd | Command::Wr))
        .unwrap();
    let act = log[..i]
        .iter()
        .rev()
        .find(|c| {
            c.cmd == Command::Act && c.bank == log[i].bank && c.bank_group == log[i].bank_group
        })
        .unwrap()
        .cycle;
    log[i].cycle = act + spec.timing.rcd - 1;
    let errors = check(&spec, &log);
    assert!(errors.iter().any(|e| e.contains("tRCD")), "{errors:?}");
}

#[test]
fn open_page_streaming_hits_rows_and_random_traffic_misses() {
    let spec = DramConfig::preset("DDR4-3200").resolve("dram").unwrap();
    let (s, _, _, _) = run(spec.clone(), feeder(4000, 32, false, 64, 0));
    assert!(s.row_hits as f64 / s.reads as f64 > 0.9, "{s:?}");
    let (s, _, _, _) = run(spec, feeder(4000, 32, true, 64, 0));
    assert!((s.row_hits as f64 / s.reads as f64) < 0.2, "{s:?}");
}

#[test]
fn address_mapping_puts_consecutive_accesses_in_different_bank_groups() {
    let spec = DramConfig::preset("DDR4-3200").resolve("dram").unwrap();
    let a = decode(&spec, 0);
    let b = decode(&spec, 64);
    assert_ne!(a.bank_group, b.bank_group);
    assert_eq!(a.row, b.row);
}

#[test]
fn split_column_mapping_keeps_a_line_in_one_row_and_spreads_lines_over_channels() {
    let mut cfg = DramConfig::preset("DDR5-4400");
    cfg.access_bytes = Some(8);
    cfg.org.channels = Some(4);
    cfg.mapping = "row-rank-bank-column:6-bankgroup-channel-column:3".into();
    let spec = cfg.resolve("dram").unwrap();
    let line: Vec<DramAddr> = (0..8).map(|w| decode(&spec, 8 * w)).collect();
    assert!(line.iter().all(|d| (d.channel, d.bank_group, d.bank, d.row)
        == (
            line[0].channel,
            line[0].bank_group,
            line[0].bank,
            line[0].row
        )));
    assert_eq!(
        line.iter().map(|d| d.column).collect::<Vec<_>>(),
        (0..8).collect::<Vec<_>>()
    );
    let next = decode(&spec, 64);
    assert_eq!((next.channel, next.column), (1, 0));
    // Column bits above the channel continue where the low part stopped.
    let far = decode(&spec, 64 * 4 * 8);
    assert_eq!((far.channel, far.bank_group, far.column), (0, 0, 8));
    // Bit counts that do not add up are refused.
    cfg.mapping = "row-rank-bank-column:5-bankgroup-channel-column:3".into();
    assert_eq!(cfg.resolve("dram").unwrap_err().key, "dram.mapping");
}

#[test]
fn eight_byte_accesses_stay_under_the_column_rate_bound_and_reads_come_within_refresh_of_it() {
    // PIUMA's DRAM: DDR5-4400 with 8-byte column commands, a 64-byte line's 8 accesses in one
    // bank (mapping as in configs/piuma/piuma.toml). The bound: one column command every tCCD_S.
    let mut cfg = DramConfig::preset("DDR5-4400");
    cfg.access_bytes = Some(8);
    cfg.mapping = "row-rank-bank-column:6-bankgroup-channel-column:3".into();
    let spec = cfg.resolve("dram").unwrap();
    let t = spec.timing;
    let use_of_bound = |write_every: u64, spec: &DramSpec| {
        let f = feeder(20_000, 64, true, 64, write_every);
        let r = run_all(spec.clone(), f);
        let (fwd, merged, _) = r.write_buffer;
        assert_eq!(r.stats.reads + r.stats.writes + fwd + merged, 20_000 * 8);
        (r.stats.reads + r.stats.writes) as f64 * (t.ccd_s * t.tck_ps) as f64 / r.end.0 as f64
    };
    let reads = use_of_bound(0, &spec);
    let refresh = t.rfc as f64 / t.refi as f64;
    assert!(
        reads <= 1.0 - refresh && reads > 1.0 - refresh - 0.02,
        "random line reads use {reads:.3} of the bound (refresh takes {refresh:.3})"
    );
    // Every third line a write: read-write turnarounds cost bandwidth, most where reads and
    // writes share the window; the write buffer batches writes into drains and turns around less.
    let mixed = use_of_bound(3, &spec);
    cfg.write_buffer = Some(0);
    let shared = use_of_bound(3, &cfg.resolve("dram").unwrap());
    assert!(
        shared < reads - 0.1 && shared < mixed && mixed < reads,
        "with writes {mixed:.3} (in one window {shared:.3}), reads only {reads:.3}"
    );
}

#[test]
fn write_buffer_keys_are_checked_naming_the_key() {
    let mut c = DramConfig::preset("DDR4-3200");
    c.write_buffer = Some(0);
    c.write_idle = Some(8);
    assert!(c
        .resolve("dram")
        .unwrap_err()
        .to_string()
        .contains("dram.write_idle"));
    c.write_buffer = Some(16);
    c.write_high = Some(20);
    assert!(c
        .resolve("dram")
        .unwrap_err()
        .to_string()
        .contains("dram.write_high"));
    c.write_high = Some(8);
    c.write_low = Some(8);
    assert!(c
        .resolve("dram")
        .unwrap_err()
        .to_string()
        .contains("dram.write_low"));
    c.write_low = Some(2);
    let wb = c.resolve("dram").unwrap().write_buffer;
    assert_eq!((wb.entries, wb.high, wb.low, wb.idle), (16, 8, 2, 8));
    // A preset value that no longer fits the buffer is named as the preset's.
    c.write_idle = None;
    c.write_buffer = Some(4);
    c.write_high = None;
    c.write_low = None;
    let e = c.resolve("dram").unwrap_err().to_string();
    assert!(e.contains("dram.write_idle") && e.contains("preset"), "{e}");
    for k in ["bank_queue", "row_hit_cap", "queue_size"] {
        let mut c = DramConfig::preset("DDR4-3200");
        match k {
            "bank_queue" => c.bank_queue = Some(1 << 20),
            "row_hit_cap" => c.row_hit_cap = Some(1 << 20),
            _ => c.queue_size = Some(0),
        }
        let e = c.resolve("dram").unwrap_err().to_string();
        assert!(e.contains(&format!("dram.{k}")), "{e}");
    }
}

/// The first `n` addresses, in access steps, that lie in bank 0 of bank group 0 and in a row
/// `row` says yes to.
fn bank0_addrs(spec: &DramSpec, row: impl Fn(u32) -> bool, n: usize) -> Vec<u64> {
    (0..)
        .map(|i| i * spec.access_bytes)
        .filter(|&a| {
            let d = decode(spec, a);
            d.bank == 0 && d.bank_group == 0 && row(d.row)
        })
        .take(n)
        .collect()
}

/// Runs reads of `addrs`, all sent at once, on DDR4-3200 without refresh and with `set` applied;
/// checks that each is issued and the commands are legal, and returns them.
fn run_reads(addrs: &[u64], set: impl Fn(&mut DramConfig)) -> Vec<IssuedCommand> {
    let mut cfg = DramConfig::preset("DDR4-3200");
    cfg.refresh = false;
    set(&mut cfg);
    let spec = cfg.resolve("dram").unwrap();
    let (stats, log, _, _) = run(spec.clone(), reads_of(addrs.to_vec(), 64));
    assert_eq!(stats.reads, addrs.len() as u64);
    assert!(check(&spec, &log).is_empty());
    log
}

/// One bank, its rows A and B: A0, then B0, then A1..A9, all waiting at once. Without a cap the
/// open row A serves every hit first (one ACT of B, then none); with a cap of 4, row A closes for
/// the older B0 after 4 hits and opens again for the rest.
#[test]
fn a_row_hit_cap_closes_the_row_for_an_older_miss_after_that_many_hits() {
    let spec = DramConfig::preset("DDR4-3200").resolve("dram").unwrap();
    let a = bank0_addrs(&spec, |r| r == 0, 10);
    let b = bank0_addrs(&spec, |r| r != 0, 1)[0];
    let rb = decode(&spec, b).row;
    let mut addrs = vec![a[0], b];
    addrs.extend(&a[1..]);
    let acts = |cap: u64| -> Vec<u32> {
        run_reads(&addrs, |c| c.row_hit_cap = Some(cap))
            .iter()
            .filter(|c| c.cmd == Command::Act)
            .map(|c| c.row)
            .collect()
    };
    assert_eq!(acts(0), vec![0, rb]);
    assert_eq!(acts(4), vec![0, rb, 0]);
}

/// Per-bank queues of 2 behind a transaction queue: ten reads to one bank, then one to a bank of
/// another bank group. With room for the eleventh in the transaction queue it enters its own
/// bank's queue at once and is served among the first (between two reads of the first bank, which
/// are tCCD_L apart); with a transaction queue of 4 it waits behind the first bank's
/// reads (head-of-line), as DRAMsim3's CPU waits when the queue is full.
#[test]
fn per_bank_queues_let_a_transaction_pass_a_full_bank_only_from_the_transaction_queue() {
    let spec = DramConfig::preset("DDR4-3200").resolve("dram").unwrap();
    let mut addrs = bank0_addrs(&spec, |r| r == 0, 10);
    addrs.push(
        (0..)
            .map(|i| i * spec.access_bytes)
            .find(|&a| decode(&spec, a).bank_group == 1)
            .unwrap(),
    );
    let position_of_other = |trans: u64| -> usize {
        run_reads(&addrs, |c| {
            c.bank_queue = Some(2);
            c.queue_size = Some(trans);
        })
        .iter()
        .filter(|c| c.cmd == Command::Rd)
        .position(|c| c.bank_group == 1)
        .unwrap()
    };
    // 10 reads to bank 0: 2 in its queue, 8 in a transaction queue of 16, the 11th beside them.
    assert!(position_of_other(16) <= 2, "{}", position_of_other(16));
    // A queue of 4: the 11th enters only once 10 - 2 - 4 = 4 reads of bank 0 have been served.
    assert!(position_of_other(4) >= 4, "{}", position_of_other(4));
}
