//! Cache tests: closed-form miss counts, policies, MSHR merging and back-pressure, and properties.

use std::any::Any;

use proptest::prelude::*;

use super::replacement::ReplacementKind;
use super::*;
use crate::blocks::requester::{Request, Requester};
use crate::engine::{Component, Ctx, Msg, PortId, RunLimits, SimBuilder, Tick};

fn cfg(size: u64, ways: u64, line: u64) -> CacheConfig {
    CacheConfig {
        size_bytes: size,
        n_ways: ways,
        line_bytes: line,
        hit_latency_cycles: 2,
        n_banks: 1,
        replacement: ReplacementKind::Lru,
        write_policy: WritePolicy::WriteBack,
        write_allocate: true,
        writeback_handling: WritebackHandling::Update,
        n_mshrs: 8,
        mshr_targets: 8,
        prefetcher: PrefetchKind::None,
        prefetch_degree: 1,
    }
}

/// Misses of a tag array on an address sequence (functional only).
fn misses(c: &CacheConfig, addrs: impl Iterator<Item = u64>) -> u64 {
    let geo = c.resolve("t").unwrap();
    let mut t = TagArray::new(geo, c.replacement, 1);
    let mut m = 0;
    for a in addrs {
        let line = a >> geo.line_shift;
        if t.access(line, true, false).is_none() {
            m += 1;
            t.fill(line, false, false);
        }
    }
    m
}

#[test]
fn sequential_pattern_misses_once_per_line() {
    // 1 MiB of 8-byte reads through a 32 KiB cache: one miss per 64-byte line.
    let c = cfg(32768, 8, 64);
    assert_eq!(misses(&c, (0..1 << 20).step_by(8)), (1 << 20) / 64);
}

#[test]
fn strided_pattern_misses_on_every_access_when_stride_exceeds_line() {
    let c = cfg(32768, 8, 64);
    // 256-byte stride over 4 MiB: every access a new line, never reused.
    assert_eq!(misses(&c, (0..4 << 20).step_by(256)), (4 << 20) / 256);
    // A stride of half a line: two accesses per line, one miss.
    assert_eq!(misses(&c, (0..1 << 20).step_by(32)), (1 << 20) / 64);
}

#[test]
fn cyclic_pattern_fits_or_thrashes_lru_exactly() {
    let c = cfg(32768, 8, 64);
    let lines = 32768 / 64;
    // A working set equal to the capacity: compulsory misses only, over 10 passes.
    let fit = (0..10).flat_map(|_| (0..lines).map(|l| l * 64));
    assert_eq!(misses(&c, fit), lines);
    // One line more per set than the ways: LRU misses on every access, every pass.
    let n_sets = lines / 8;
    let over = (0..10).flat_map(move |_| (0..(lines + n_sets)).map(|l| l * 64));
    assert_eq!(misses(&c, over), 10 * (lines + n_sets));
}

#[test]
fn srrip_keeps_a_reused_line_through_scans_where_lru_loses_it() {
    // One 8-way set. A hot line is touched twice, then each round scans 8 new lines and touches it again.
    let mut lru = cfg(512, 8, 64);
    let pattern = || {
        let mut v = vec![0u64, 0];
        for round in 0..20u64 {
            v.extend((1..=8).map(|k| (round * 8 + k) * 64));
            v.push(0);
        }
        v.into_iter()
    };
    let scans = 20 * 8;
    assert_eq!(
        misses(&lru, pattern()),
        1 + scans + 20,
        "LRU loses the hot line every round"
    );
    lru.replacement = ReplacementKind::Srrip;
    assert_eq!(misses(&lru, pattern()), 1 + scans, "SRRIP keeps it");
}

#[test]
fn tree_plru_and_random_keep_a_fitting_working_set() {
    for r in [
        ReplacementKind::TreePlru,
        ReplacementKind::Random,
        ReplacementKind::Srrip,
    ] {
        let mut c = cfg(8192, 4, 64);
        c.replacement = r;
        let fit = (0..5).flat_map(|_| (0..128u64).map(|l| l * 64));
        assert_eq!(misses(&c, fit), 128, "{r:?}");
    }
}

#[test]
fn impossible_geometry_is_rejected_with_the_key() {
    let mut c = cfg(32768, 0, 64);
    assert_eq!(
        c.resolve("l1d").unwrap_err().to_string(),
        "l1d.n_ways = 0: must be at least 1"
    );
    c = cfg(3 * 8 * 64, 8, 64);
    assert!(c
        .resolve("l1d")
        .unwrap_err()
        .to_string()
        .contains("power of two"));
    c = cfg(32, 1, 64);
    assert!(c
        .resolve("l1d")
        .unwrap_err()
        .to_string()
        .contains("larger than size_bytes"));
    c = cfg(32768, 8, 48);
    assert_eq!(c.resolve("l1d").unwrap_err().key, "l1d.line_bytes");
}

/// Answers every read after a fixed latency; counts writebacks.
struct Memory {
    latency: Tick,
    writebacks: u64,
}
impl Component for Memory {
    fn name(&self) -> &str {
        "memory"
    }
    fn ports(&self) -> &[PortGroup] {
        const PORTS: &[PortGroup] = &[PortGroup::one("up")];
        PORTS
    }
    fn handle(&mut self, p: PortId, m: Msg, ctx: &mut Ctx) {
        match m {
            Msg::Req(r) if r.kind == AccessKind::Writeback => self.writebacks += 1,
            Msg::Req(r) => ctx.send(p, Msg::Resp(r), self.latency),
            other => panic!("memory got {other:?}"),
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn run_cache(
    c: &CacheConfig,
    reqs: Vec<(u64, AccessKind)>,
    window: usize,
) -> (Vec<u64>, CacheStats, u64, usize, usize) {
    let geo = c.resolve("c").unwrap();
    let clock = Clock::from_mhz(1000.0);
    let mut b = SimBuilder::new();
    let n = reqs.len();
    let reqs = reqs.into_iter().map(|(addr, kind)| Request {
        at_ps: 0,
        addr,
        size: 8,
        kind,
    });
    let d = b.add(Box::new(Requester::new(
        "driver",
        "mem",
        reqs,
        window as u64,
    )));
    let cache = b.add(Box::new(Cache::new("c", c, geo, clock, 1, 7)));
    let m = b.add(Box::new(Memory {
        latency: Tick(50_000),
        writebacks: 0,
    }));
    b.connect(d, "mem", cache, ("up", 0), Tick(1));
    b.connect(cache, "down", m, "up", Tick(1000));
    let fin = b
        .build()
        .unwrap()
        .run(RunLimits {
            watchdog: Some(Tick(1 << 40)),
            ..Default::default()
        })
        .unwrap();
    let mut answered: Vec<u64> = fin
        .get::<Requester>(d)
        .unwrap()
        .answers
        .iter()
        .map(|a| a.0)
        .collect();
    answered.sort_unstable();
    let cc = fin.get::<Cache>(cache).unwrap();
    assert_eq!(answered.len(), n);
    (
        answered,
        *cc.stats(),
        fin.get::<Memory>(m).unwrap().writebacks,
        cc.tags().n_valid(),
        cc.tags().capacity_lines(),
    )
}

#[test]
fn mshr_merges_misses_to_one_line_and_backpressures_when_full() {
    let mut c = cfg(4096, 2, 64);
    c.n_mshrs = 2;
    // Four reads to one line: one fetch, three merges.
    let (_, s, _, _, _) = run_cache(
        &c,
        vec![
            (0, AccessKind::Read),
            (8, AccessKind::Read),
            (16, AccessKind::Read),
            (24, AccessKind::Read),
        ],
        4,
    );
    assert_eq!((s.read_misses, s.mshr_merges, s.fills), (4, 3, 1));
    // Four reads to four lines with two MSHRs: two must wait.
    let (_, s, _, _, _) = run_cache(&c, (0..4).map(|i| (i * 64, AccessKind::Read)).collect(), 4);
    assert_eq!(s.mshr_stalls, 2);
    assert_eq!(s.fills, 4);
}

#[test]
fn dirty_evictions_are_written_back_once() {
    let c = cfg(1024, 1, 64); // 16 sets, direct-mapped
                              // Write 16 lines, then read 16 conflicting lines: 16 dirty evictions.
    let mut reqs: Vec<_> = (0..16).map(|i| (i * 64, AccessKind::Write)).collect();
    reqs.extend((16..32).map(|i| (i * 64, AccessKind::Read)));
    let (_, s, wbs, _, _) = run_cache(&c, reqs, 1);
    assert_eq!((s.writebacks_sent, wbs), (16, 16));
    let mut wt = c.clone();
    wt.write_policy = WritePolicy::WriteThrough;
    let reqs: Vec<_> = (0..16).map(|i| (i * 64, AccessKind::Write)).collect();
    let (_, s, wbs, _, _) = run_cache(&wt, reqs, 1);
    assert_eq!(
        (s.writebacks_sent, wbs),
        (16, 16),
        "write-through forwards every write"
    );
}

#[test]
fn next_line_prefetcher_turns_a_stream_into_hits() {
    let mut c = cfg(32768, 8, 64);
    c.prefetcher = PrefetchKind::NextLine;
    c.prefetch_degree = 4;
    let reqs: Vec<_> = (0..4096u64).map(|i| (i * 8, AccessKind::Read)).collect();
    let (_, s, _, _, _) = run_cache(&c, reqs.clone(), 1);
    let (_, base, _, _, _) = run_cache(&cfg(32768, 8, 64), reqs, 1);
    assert_eq!(base.read_misses, 4096 * 8 / 64);
    assert!(
        s.read_misses * 3 < base.read_misses,
        "{} vs {}",
        s.read_misses,
        base.read_misses
    );
    assert!(s.prefetches_useful > 0 && s.prefetches_issued >= s.prefetches_useful);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_request_is_answered_once_and_capacity_is_never_exceeded(
        addrs in proptest::collection::vec((0u64..1 << 16, 0u8..3), 1..300),
        window in 1usize..12,
        ways in 1u64..5,
        policy in 0usize..4,
    ) {
        let mut c = cfg(64 * 16 * ways.next_power_of_two(), ways.next_power_of_two(), 64);
        c.replacement = [ReplacementKind::Lru, ReplacementKind::TreePlru, ReplacementKind::Srrip, ReplacementKind::Random][policy];
        c.n_mshrs = 3;
        c.mshr_targets = 2;
        let reqs: Vec<_> = addrs.iter().map(|&(a, k)| (a, [AccessKind::Read, AccessKind::Write, AccessKind::Inst][k as usize])).collect();
        let n = reqs.len() as u64;
        let (answered, s, _, valid, cap) = run_cache(&c, reqs, window);
        prop_assert_eq!(answered, (0..n).collect::<Vec<_>>());
        prop_assert!(valid <= cap);
        prop_assert_eq!(s.accesses(), n);
    }
}
