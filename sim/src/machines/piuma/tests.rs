//! PIUMA tests: every kernel's C against an independent reference (sprs), and the fabric's timing
//! rules: remote costs more than local, same-address atomics serialise, DRAM moves 8-byte accesses.

use super::kernels::{prepare, KernelKind, Problem};
use super::*;
use crate::program::{Op, OpClass};
use crate::workload::gen::{Generator, GRAPH500_ABC};
use crate::workload::{mtx, Csr};

fn small_die() -> PiumaConfig {
    PiumaConfig {
        n_cores: 2,
        n_mtp: 2,
        threads_per_mtp: 4,
        n_stp: 1,
        ..Default::default()
    }
}

fn reference(a: &Csr, b: &Csr) -> Csr {
    let to_sprs = |m: &Csr| {
        sprs::CsMat::new(
            (m.n_rows, m.n_cols),
            m.row_ptr.clone(),
            m.col_idx.iter().map(|&c| c as usize).collect(),
            m.values.clone(),
        )
    };
    let c: sprs::CsMat<f64> = &to_sprs(a) * &to_sprs(b);
    let mut t = Vec::new();
    for (v, (i, j)) in c.iter() {
        t.push((i as u32, j as u32, *v));
    }
    Csr::from_triplets(c.rows(), c.cols(), t)
}

/// Runs `kind` and checks C entry for entry (within 1e-9 relative) and that no entry was written twice.
fn check(kind: KernelKind, a: &Csr, b: &Csr, cfg: &PiumaConfig) -> DieRun {
    let prep = prepare(kind, &Problem { a, b, cfg }).unwrap();
    let run = cfg
        .build(prep.programs)
        .unwrap()
        .run(RunLimits {
            watchdog: Some(Tick(1 << 50)),
            ..Default::default()
        })
        .unwrap();
    let out = prep.output.borrow();
    let got = out.to_csr(a.n_rows, b.n_cols);
    assert_eq!(
        got.nnz(),
        out.entries.len(),
        "{kind:?}: an entry of C was written twice"
    );
    let want = reference(a, b);
    let dense = |m: &Csr| {
        m.triplets()
            .map(|(i, j, v)| ((i, j), v))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (g, w) = (dense(&got), dense(&want));
    assert_eq!(
        g.keys().collect::<Vec<_>>(),
        w.keys().collect::<Vec<_>>(),
        "{kind:?}: C's pattern differs"
    );
    for (k, &wv) in &w {
        let gv = g[k];
        assert!(
            (gv - wv).abs() <= 1e-9 * (1.0 + wv.abs()),
            "{kind:?}: C{k:?} = {gv}, want {wv}"
        );
    }
    run
}

fn matrix(name: &str) -> Csr {
    mtx::read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../workloads/matrices")
            .join(name),
    )
    .unwrap()
}

#[test]
fn every_kernel_computes_a_times_a_on_real_matrices() {
    let cfg = small_die();
    for name in ["karate.mtx", "west0067.mtx"] {
        let a = matrix(name);
        for kind in KernelKind::ALL {
            check(kind, &a, &a, &cfg);
        }
    }
}

#[test]
fn every_kernel_computes_rectangular_a_times_a_transpose() {
    let cfg = small_die();
    let a = matrix("lp_afiro.mtx");
    let at = a.transpose();
    for kind in KernelKind::ALL {
        check(kind, &a, &at, &cfg);
    }
}

#[test]
fn every_kernel_computes_generated_products_with_both_work_distributions() {
    let a = Generator::Rmat {
        scale: 8,
        edge_factor: 4,
        abc: GRAPH500_ABC,
    }
    .generate(5);
    let b = Generator::Stencil5 { nx: 16, ny: 16 }.generate(1);
    for how in [WorkDistribution::Static, WorkDistribution::Dynamic] {
        let mut cfg = small_die();
        cfg.work_distribution = how;
        for kind in KernelKind::ALL {
            check(kind, &a, &b, &cfg);
        }
    }
}

#[test]
fn the_dense_accumulators_scratchpad_share_decides_how_many_threads_use_it() {
    // west0067 has 67 columns: 536-byte accumulators. A share of 0 puts every accumulator in
    // DRAM; half of an 8 KiB scratchpad less the 4 KiB of counters holds none; half of 16 KiB
    // holds 7 of a core's 9 threads'; all of 16 KiB, (16 KiB - 4 KiB) / 536 = 22, so all of them,
    // and every accumulator update is then a scratchpad load, as many as with 64 KiB at 0.5.
    // Accumulator updates are the kernel's only scratchpad loads (C is right in every case).
    let a = matrix("west0067.mtx");
    let loads = |spad_bytes: u64, share: f64| {
        let cfg = PiumaConfig {
            spad_bytes,
            dense_acc_spad_share: share,
            dense_acc_overflow: DenseAccOverflow::Dram,
            ..small_die()
        };
        let run = check(KernelKind::RowwiseDense, &a, &a, &cfg);
        (0..2)
            .map(|c| run.stats.get(&format!("core{c}.spad.reads")).unwrap())
            .sum::<u64>()
    };
    let all = loads(65536, 0.5);
    assert_eq!(loads(16384, 0.0), 0);
    assert_eq!(loads(8192, 0.5), 0);
    let half = loads(16384, 0.5);
    assert!(0 < half && half < all, "{half} of {all}");
    assert_eq!(loads(16384, 1.0), all);
    // With idle overflow only the 7 threads per core with a scratchpad accumulator work (the 2
    // others issue nothing), and C is still right; with no accumulator fitting nobody could
    // work, which is an error naming the key.
    let idle = |spad_bytes: u64| PiumaConfig {
        spad_bytes,
        dense_acc_overflow: DenseAccOverflow::Idle,
        ..small_die()
    };
    let run = check(KernelKind::RowwiseDense, &a, &a, &idle(16384));
    let working: Vec<bool> = run.thread_instructions.iter().map(|&n| n > 0).collect();
    assert_eq!(working, [&[true; 7][..], &[false; 2]].concat().repeat(2));
    let prep = prepare(
        KernelKind::RowwiseDense,
        &Problem {
            a: &a,
            b: &a,
            cfg: &idle(8192),
        },
    );
    assert_eq!(prep.err().unwrap().key, "piuma.dense_acc_spad_share");
    // A share outside 0..=1 is an error naming the key.
    for bad in [-0.1, 1.5, f64::NAN] {
        let cfg = PiumaConfig {
            dense_acc_spad_share: bad,
            ..small_die()
        };
        let err = cfg.check().unwrap_err();
        assert_eq!(err.key, "piuma.dense_acc_spad_share", "{bad}");
    }
}

#[test]
fn smash_uses_several_windows_when_the_table_is_small() {
    let a = Generator::Rmat {
        scale: 8,
        edge_factor: 4,
        abc: GRAPH500_ABC,
    }
    .generate(5);
    let mut cfg = small_die();
    cfg.spad_bytes = 64 << 10;
    let prep = prepare(
        KernelKind::SmashV1,
        &Problem {
            a: &a,
            b: &a,
            cfg: &cfg,
        },
    )
    .unwrap();
    assert!(prep.output.borrow().windows > 1);
    // V2 and V3 reuse each table half for every other window: many windows test that reuse.
    for kind in [
        KernelKind::SmashV1,
        KernelKind::SmashV2,
        KernelKind::SmashV3,
    ] {
        check(kind, &a, &a, &cfg);
    }
    // A table too small for one row is a clear error naming the key.
    cfg.spad_bytes = 8 << 10;
    let err = prepare(
        KernelKind::SmashV1,
        &Problem {
            a: &a,
            b: &a,
            cfg: &cfg,
        },
    )
    .err()
    .unwrap();
    assert_eq!(err.key, "piuma.spad_bytes");
}

#[test]
fn mismatched_shapes_are_refused() {
    let a = matrix("lp_afiro.mtx");
    let err = prepare(
        KernelKind::RowwiseDense,
        &Problem {
            a: &a,
            b: &a,
            cfg: &small_die(),
        },
    )
    .err()
    .unwrap();
    assert!(err.msg.contains("A's columns must equal B's rows"));
}

/// One thread per core runs a fixed list of operations.
struct Script(std::vec::IntoIter<Op>);
impl Program for Script {
    fn next_op(&mut self) -> Option<Op> {
        self.0.next()
    }
}

/// Core 0's one thread runs `ops` on `dies` dies of `cores` cores each; other cores idle.
fn scripted(dies: u64, cores: u64, ops_core0: Vec<Op>) -> DieRun {
    let cfg = PiumaConfig {
        n_cores: cores,
        n_dies: dies,
        n_mtp: 1,
        threads_per_mtp: 1,
        n_stp: 0,
        ..Default::default()
    };
    let mut programs: Vec<Vec<Box<dyn Program>>> =
        vec![vec![Box::new(Script(ops_core0.into_iter()))]];
    for _ in 1..dies * cores {
        programs.push(vec![Box::new(Script(Vec::new().into_iter()))]);
    }
    cfg.build(programs)
        .unwrap()
        .run(RunLimits::default())
        .unwrap()
}

fn one_thread(ops_core0: Vec<Op>) -> DieRun {
    scripted(1, 8, ops_core0)
}

#[test]
fn remote_scratchpad_costs_more_than_local_and_grows_with_distance() {
    let map = PiumaConfig::default().address_map();
    let load = |core: u32| vec![Op::mem(OpClass::Load, map.spad(core, 64), 8); 10];
    let local = one_thread(load(0)).cycles;
    let near = one_thread(load(1)).cycles;
    let far = one_thread(load(7)).cycles;
    assert!(
        local < near && near < far,
        "local {local}, one hop {near}, far {far}"
    );
}

#[test]
fn spad_atomics_are_counted_and_dram_line_fills_are_eight_8_byte_accesses() {
    let map = PiumaConfig::default().address_map();
    // One thread: atomics are blocking, so compare against the unloaded latency instead.
    let same = one_thread(vec![Op::mem(OpClass::Atomic, map.spad(0, 0), 8); 20]);
    assert_eq!(same.stats.get("core0.spad.atomics"), Some(20));
    // Loads of DRAM go through the data cache; a 64-byte line fill is eight 8-byte DRAM accesses.
    let run = one_thread(
        (0..16)
            .map(|i| Op::mem(OpClass::Load, 4096 * i, 8))
            .collect(),
    );
    let reads = run.stats.get("dram.reads").unwrap();
    assert_eq!(reads, 16 * 8);
    assert_eq!(run.stats.get("dram.bytes_read"), Some(reads * 8));
}

#[test]
fn data_cache_hits_cost_the_hit_latency_and_no_dram_access() {
    // One thread loads one DRAM line once, then eleven times: the first load misses, the others
    // hit. A hit's answer is ready `dcache_hit_cycles` plus the two one-picosecond wires after
    // issue, so the thread issues again at the edge after that: hit cycles + 1 per dependent hit.
    let cfg = PiumaConfig::default();
    let loads = |n: usize| vec![Op::mem(OpClass::Load, 4096, 8); n];
    let once = one_thread(loads(1));
    let many = one_thread(loads(11));
    assert_eq!(many.stats.get("core0.dcache.read_misses"), Some(1));
    assert_eq!(many.stats.get("core0.dcache.read_hits"), Some(10));
    assert_eq!(
        many.stats.get("dram.reads"),
        once.stats.get("dram.reads"),
        "hits reach no DRAM"
    );
    assert_eq!(
        many.cycles - once.cycles,
        10 * (cfg.dcache_hit_cycles + 1),
        "ten hits"
    );
}

#[test]
fn a_thread_waits_exactly_its_pause_near_and_beyond_the_wheel() {
    // The core keeps threads that wait up to 64 cycles in a wheel and longer waits in a list:
    // a pause of n cycles ends the one-thread program n cycles later either way.
    let pause = |n: u32| one_thread(vec![Op::mem(OpClass::Pause, 0, n)]).cycles;
    let base = pause(1);
    for n in [10u32, 63, 64, 65, 100, 1000] {
        assert_eq!(pause(n) - base, u64::from(n) - 1, "pause of {n}");
    }
}

#[test]
fn same_address_atomics_from_many_threads_serialise() {
    // 16 threads each do one atomic; on one address they serialise, on 16 addresses they overlap.
    let run = |spread: bool| {
        let cfg = PiumaConfig {
            n_cores: 1,
            n_mtp: 1,
            threads_per_mtp: 16,
            n_stp: 0,
            ..Default::default()
        };
        let map = cfg.address_map();
        let progs: Vec<Box<dyn Program>> = (0..16u64)
            .map(|t| {
                Box::new(Script(
                    vec![Op::mem(
                        OpClass::Atomic,
                        map.spad(0, if spread { 8 * t } else { 0 }),
                        8,
                    )]
                    .into_iter(),
                )) as Box<dyn Program>
            })
            .collect();
        cfg.build(vec![progs])
            .unwrap()
            .run(RunLimits::default())
            .unwrap()
    };
    let (same, spread) = (run(false), run(true));
    assert!(
        same.cycles > spread.cycles + 20,
        "same address {} cycles vs spread {}",
        same.cycles,
        spread.cycles
    );
    assert!(
        same.stats
            .get("core0.spad.atomic_serialized_cycles")
            .unwrap()
            > 0
    );
}

/// Core 0's one multithreaded pipeline of `threads` threads each loads `loads` words of core 7's
/// scratchpad (the far corner of the mesh), one after another; the other cores idle.
fn remote_loads_per_thread(threads: u64, loads: u64) -> DieRun {
    let cfg = PiumaConfig {
        n_mtp: 1,
        threads_per_mtp: threads,
        n_stp: 0,
        ..Default::default()
    };
    let map = cfg.address_map();
    let core0: Vec<Box<dyn Program>> = (0..threads)
        .map(|t| {
            let ops = (0..loads)
                .map(|i| Op::mem(OpClass::Load, map.spad(7, 8 * (t * loads + i)), 8))
                .collect::<Vec<_>>();
            Box::new(Script(ops.into_iter())) as Box<dyn Program>
        })
        .collect();
    let mut programs = vec![core0];
    for _ in 1..cfg.n_cores {
        programs.push(
            (0..threads)
                .map(|_| Box::new(Script(Vec::new().into_iter())) as Box<dyn Program>)
                .collect(),
        );
    }
    cfg.build(programs)
        .unwrap()
        .run(RunLimits::default())
        .unwrap()
}

/// One core of `mtp_threads` threads on one MTP plus one STP thread; each MTP thread runs
/// `mtp_ops` integer operations and the STP thread `stp_ops`; other cores idle. Cycles taken.
fn int_ops_cycles(interval: u64, mtp_threads: u64, mtp_ops: usize, stp_ops: usize) -> u64 {
    let cfg = PiumaConfig {
        n_mtp: 1,
        threads_per_mtp: mtp_threads,
        n_stp: 1,
        mtp_issue_interval_cycles: interval,
        ..Default::default()
    };
    let script = |n: usize| {
        Box::new(Script(vec![Op::mem(OpClass::Int, 0, 0); n].into_iter())) as Box<dyn Program>
    };
    let programs = (0..cfg.n_cores)
        .map(|c| {
            let mut core: Vec<Box<dyn Program>> = (0..mtp_threads)
                .map(|_| script(if c == 0 { mtp_ops } else { 0 }))
                .collect();
            core.push(script(if c == 0 { stp_ops } else { 0 }));
            core
        })
        .collect();
    cfg.build(programs)
        .unwrap()
        .run(RunLimits::default())
        .unwrap()
        .cycles
}

#[test]
fn an_mtp_issue_interval_slows_a_lone_thread_but_not_a_full_pipeline_or_an_stp() {
    // 10 one-cycle integer operations: a lone MTP thread issues one per cycle and finds its end
    // at cycle 10; 8 cycles apart, it finds it at 80. An STP thread is not affected; 8 threads of
    // 10 operations fill the pipeline's 80 issue cycles either way.
    let lone = |interval| int_ops_cycles(interval, 1, 10, 0);
    assert_eq!((lone(1), lone(8)), (10, 80));
    let stp = |interval| int_ops_cycles(interval, 1, 0, 10);
    assert_eq!(stp(8), stp(1));
    let full = |interval| int_ops_cycles(interval, 8, 10, 0);
    assert_eq!(full(8), full(1));
    assert!(full(1) >= 80, "{}", full(1));
    // No interval of 0, nor one long enough to overflow the engine's time.
    for bad in [0, u64::MAX / 1000] {
        let cfg = PiumaConfig {
            mtp_issue_interval_cycles: bad,
            ..Default::default()
        };
        assert_eq!(
            cfg.check().unwrap_err().key,
            "piuma.mtp_issue_interval_cycles"
        );
    }
}

#[test]
fn a_pipelines_threads_hide_each_others_memory_latency() {
    // One thread's blocking loads take a round trip each. While the round trip is longer than a
    // turn of the pipeline's threads, 16 threads doing 16 times the loads take the same time,
    // plus one issue cycle per thread that starts after the first.
    let loads = 10;
    let one = remote_loads_per_thread(1, loads);
    let per_load = one.cycles / loads;
    assert!(
        per_load > 16,
        "a remote load's round trip is {per_load} cycles"
    );
    let sixteen = remote_loads_per_thread(16, loads);
    assert_eq!(
        sixteen.stats.get("core0.remote_spad_accesses"),
        Some(16 * loads)
    );
    assert_eq!(
        sixteen.cycles,
        one.cycles + 15,
        "one thread: {}",
        one.cycles
    );
    // With 64 threads a turn (64 cycles) is longer than the round trip: the pipeline's issue
    // slots, one per cycle, bound the time instead.
    let many = remote_loads_per_thread(64, loads);
    assert!(
        many.cycles >= 64 * loads && many.cycles > one.cycles + 15,
        "64 threads took {} cycles, one thread {}",
        many.cycles,
        one.cycles
    );
}

#[test]
fn smash_fetching_b_rows_by_dma_moves_exactly_those_rows() {
    let a = matrix("west0067.mtx");
    let mut cfg = small_die();
    cfg.smash_dma_b_rows = true;
    for kind in [KernelKind::SmashV1, KernelKind::SmashV3] {
        let run = check(kind, &a, &a, &cfg);
        // Per row of A with entries (a hashing unit), one indexed gather of B's row bounds: the
        // row's column indices (8 bytes each), then 16 bytes per index. Then one pair of block
        // transfers (columns, values) per stored entry of A with a non-empty B row.
        let rows = (0..a.n_rows)
            .filter(|&i| a.row_ptr[i + 1] > a.row_ptr[i])
            .count() as u64;
        let (mut jobs, mut bytes) = (rows, 24 * a.nnz() as u64);
        for p in 0..a.nnz() {
            let k = a.col_idx[p] as usize;
            let len = (a.row_ptr[k + 1] - a.row_ptr[k]) as u64;
            if len > 0 {
                jobs += 2;
                bytes += 2 * 8 * len;
            }
        }
        let sum = |field: &str| -> u64 {
            run.stats
                .entries
                .iter()
                .filter(|e| e.name.ends_with(&format!(".dma.{field}")))
                .map(|e| e.value)
                .sum()
        };
        assert_eq!(sum("jobs"), jobs, "{kind:?}");
        assert_eq!(sum("indexed_jobs"), rows, "{kind:?}");
        assert_eq!(sum("bytes"), bytes, "{kind:?}");
        assert_eq!(sum("accesses"), bytes / 8, "{kind:?}: 8-byte accesses");
        assert_eq!(sum_over_cores(&run.stats, "dma_jobs"), jobs, "{kind:?}");
    }
}

/// Core 0 of a two-die system (4 cores each) runs `ops`; every other core has nothing to do.
fn two_dies(ops_core0: Vec<Op>) -> DieRun {
    scripted(2, 4, ops_core0)
}

#[test]
fn another_die_costs_a_hyperx_round_trip_more() {
    let cfg = PiumaConfig {
        n_cores: 4,
        n_dies: 2,
        ..Default::default()
    };
    let map = cfg.address_map();
    let loads = |core: u32| vec![Op::mem(OpClass::Load, map.spad(core, 64), 8); 10];
    // Core 3 is on die 0 (cores 0-3), core 4 on die 1.
    let same_die = two_dies(loads(3));
    let other_die = two_dies(loads(4));
    assert_eq!(same_die.stats.get("hyperx.requests"), Some(0));
    assert_eq!(other_die.stats.get("hyperx.requests"), Some(10));
    assert_eq!(other_die.stats.get("hyperx.responses"), Some(10));
    // Ten dependent loads: each pays the link latency twice (there and back), at least.
    let extra = other_die.cycles - same_die.cycles;
    assert!(
        extra >= 10 * 2 * cfg.hyperx_latency_cycles,
        "same die {}, other die {} cycles",
        same_die.cycles,
        other_die.cycles
    );
    // DRAM lines alternate between the dies: of 16 line fills (one 64-byte request each), half
    // cross the HyperX; each is eight 8-byte accesses at its die's DRAM.
    let run = two_dies((0..16).map(|i| Op::mem(OpClass::Load, 64 * i, 8)).collect());
    assert_eq!(run.stats.get("hyperx.requests"), Some(8));
    assert_eq!(run.stats.get("dram.reads"), Some(16 * 8));
    assert_eq!(
        run.stats.get("die0.dram.reads").unwrap(),
        run.stats.get("die1.dram.reads").unwrap()
    );
}

#[test]
fn every_kernel_computes_c_on_two_dies() {
    let a = matrix("west0067.mtx");
    let cfg = PiumaConfig {
        n_dies: 2,
        ..small_die()
    };
    for kind in KernelKind::ALL {
        check(kind, &a, &a, &cfg);
    }
}

#[test]
fn per_thread_counts_split_into_mtp_and_stp_threads_core_by_core() {
    // Two cores of one 2-thread MTP and one STP each: counts in pipeline order per core.
    let cfg = PiumaConfig {
        n_cores: 2,
        n_mtp: 1,
        threads_per_mtp: 2,
        n_stp: 1,
        ..Default::default()
    };
    let (mtp, stp) = instructions_by_pipeline_kind(&[10, 20, 100, 30, 40, 300], &cfg);
    assert_eq!(mtp, Some(25.0));
    assert_eq!(stp, Some(200.0));
    let no_stp = PiumaConfig { n_stp: 0, ..cfg };
    assert_eq!(
        instructions_by_pipeline_kind(&[1, 3, 5, 7], &no_stp),
        (Some(4.0), None)
    );
}

/// Core 0's one thread, on a single-thread pipeline with `max_loads` loads in flight (0: its
/// loads block), runs `ops`; the other cores idle.
fn stp_thread(max_loads: u64, ops: Vec<Op>) -> DieRun {
    let cfg = PiumaConfig {
        n_mtp: 0,
        n_stp: 1,
        stp_max_outstanding_loads: max_loads,
        ..Default::default()
    };
    let mut programs: Vec<Vec<Box<dyn Program>>> = vec![vec![Box::new(Script(ops.into_iter()))]];
    for _ in 1..cfg.n_cores {
        programs.push(vec![Box::new(Script(Vec::new().into_iter()))]);
    }
    cfg.build(programs)
        .unwrap()
        .run(RunLimits::default())
        .unwrap()
}

/// `n` loads of consecutive DRAM lines, which the address mapping spreads over channels and bank
/// groups (`dependent`: each address computed from the load before), then an integer operation
/// that uses them.
fn dram_loads(n: u64, dependent: bool) -> Vec<Op> {
    let mut ops: Vec<Op> = (0..n)
        .map(|i| match dependent {
            true => Op::dependent_load(0x40 * (i + 1), 8),
            false => Op::mem(OpClass::Load, 0x40 * (i + 1), 8),
        })
        .collect();
    ops.push(Op::mem(OpClass::Int, 0, 0));
    ops
}

#[test]
fn single_thread_pipeline_overlaps_independent_loads_up_to_its_limit() {
    let blocking = stp_thread(0, dram_loads(8, false));
    let four = stp_thread(4, dram_loads(8, false));
    let eight = stp_thread(8, dram_loads(8, false));
    assert!(
        eight.cycles < four.cycles && four.cycles < blocking.cycles,
        "8 in flight {} cycles, 4 in flight {}, blocking {}",
        eight.cycles,
        four.cycles,
        blocking.cycles
    );
    // Each DRAM round trip is over 50 cycles: two batches of four cost well under eight trips.
    assert!(2 * four.cycles < blocking.cycles + 4 * 50);
    let count = |r: &DieRun| r.stats.get("core0.nonblocking_loads").unwrap();
    assert_eq!((count(&blocking), count(&four), count(&eight)), (0, 8, 8));
    // The results do not change: the loads are the same.
    assert_eq!(
        blocking.stats.get("dram.reads"),
        eight.stats.get("dram.reads")
    );
}

#[test]
fn dependent_loads_cost_exactly_what_blocking_loads_cost() {
    // A chain of loads, each addressed by the one before, cannot overlap: the non-blocking thread
    // takes exactly the cycles of a thread whose loads block.
    let chain = |max_loads| stp_thread(max_loads, dram_loads(8, true)).cycles;
    assert_eq!(chain(8), chain(0));
}

#[test]
fn independent_scratchpad_loads_cost_one_issue_cycle_each() {
    // Loads of the core's own scratchpad (distinct banks) pipeline: after the first, each costs
    // its issue cycle; blocking, each costs the whole access.
    let map = PiumaConfig::default().address_map();
    let loads = |n: u64| {
        let mut ops: Vec<Op> = (0..n)
            .map(|i| Op::mem(OpClass::Load, map.spad(0, 8 * i), 8))
            .collect();
        ops.push(Op::mem(OpClass::Int, 0, 0));
        ops
    };
    let cost = |max_loads, n| stp_thread(max_loads, loads(n)).cycles;
    assert_eq!(cost(4, 8) - cost(4, 1), 7);
    let per_load = cost(0, 2) - cost(0, 1);
    assert!(per_load > 1);
    assert_eq!(cost(0, 8) - cost(0, 1), 7 * per_load);
}

#[test]
fn code_fetch_misses_once_then_costs_nothing() {
    // Entering a 256-byte code block the first time fetches its 4 lines from DRAM; entering it
    // again costs no cycle at all (a fetch that hits is not an operation).
    let block = Op::mem(OpClass::Fetch, 0x10_0000, 256);
    let int = Op::mem(OpClass::Int, 0, 0);
    let cold = one_thread(vec![block, int]);
    let warm = one_thread(vec![block, block, block, int]);
    let none = one_thread(vec![int]);
    assert_eq!(warm.cycles, cold.cycles);
    assert!(
        cold.cycles > none.cycles + 50,
        "a DRAM round trip: {} vs {}",
        cold.cycles,
        none.cycles
    );
    let get = |r: &DieRun, k: &str| r.stats.get(&format!("core0.{k}")).unwrap();
    assert_eq!(
        (get(&warm, "icache_misses"), get(&warm, "icache_hits")),
        (4, 8)
    );
    assert_eq!(get(&warm, "instructions"), 1);
}

#[test]
fn code_blocks_that_conflict_in_a_small_instruction_cache_miss_every_time() {
    // A one-line, direct-mapped instruction cache: two blocks on different lines evict each other.
    let cfg = PiumaConfig {
        n_cores: 1,
        n_mtp: 1,
        threads_per_mtp: 1,
        n_stp: 0,
        icache_bytes: 64,
        icache_ways: 1,
        ..Default::default()
    };
    let (a, b) = (
        Op::mem(OpClass::Fetch, 0x10_0000, 64),
        Op::mem(OpClass::Fetch, 0x10_0040, 64),
    );
    let run = |ops: Vec<Op>| {
        cfg.build(vec![vec![Box::new(Script(ops.into_iter()))]])
            .unwrap()
            .run(RunLimits::default())
            .unwrap()
    };
    let alternating = run(vec![a, b, a, b, a, b]);
    let repeated = run(vec![a, a, a, b, b, b]);
    let misses = |r: &DieRun| r.stats.get("core0.icache_misses").unwrap();
    assert_eq!((misses(&alternating), misses(&repeated)), (6, 2));
    assert!(alternating.cycles > repeated.cycles + 4 * 50);
}

#[test]
fn kernels_miss_in_the_instruction_cache_only_on_first_entry() {
    // The kernels' code is far smaller than the 64 KiB instruction cache: every core misses each
    // line it runs exactly once, so misses stay within the code's lines and hits dominate.
    let a = matrix("west0067.mtx");
    for kind in [
        KernelKind::SmashV1,
        KernelKind::RowwiseDense,
        KernelKind::OuterProduct,
    ] {
        let run = check(kind, &a, &a, &small_die());
        for c in 0..small_die().n_cores {
            let get = |k: &str| run.stats.get(&format!("core{c}.{k}")).unwrap();
            let (hits, misses) = (get("icache_hits"), get("icache_misses"));
            assert!(
                (1..=16).contains(&misses) && hits > misses,
                "{kind:?} core {c}: {misses} misses, {hits} hits"
            );
        }
    }
}

#[test]
fn the_bundled_machine_file_holds_exactly_the_defaults() {
    // `reproduce` runs the defaults and says it runs configs/piuma/piuma.toml: they must agree.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/piuma/piuma.toml");
    let file: PiumaConfig = crate::config::load(&path, &[]).unwrap();
    let json = |c: &PiumaConfig| serde_json::to_value(c).unwrap();
    assert_eq!(json(&file), json(&PiumaConfig::default()));
}
