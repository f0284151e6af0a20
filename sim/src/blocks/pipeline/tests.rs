//! Closed forms: FMLA chains through the multiplicand and through the accumulator, independent
//! FMLAs filling both pipes, load-to-use, in-order issue and pairing, mispredicts.

use std::path::Path;

use super::*;
use crate::blocks::memory::FixedLatency;
use crate::program::aarch64::driver::Layout;
use crate::program::aarch64::{parse, Class, Machine};

fn timing(group: usize, latency: u32) -> ClassTiming {
    ClassTiming {
        group,
        latency,
        interval: 1,
        acc_latency: None,
    }
}

/// An A76-like pipeline: 4-wide, 128-entry window, 3 integer pipes, 1 branch, 2 load, 1 store,
/// 2 vector pipes; FMLA 4 cycles with 2-cycle accumulator forwarding, loads 4 (Q 5).
fn big() -> PipelineConfig {
    // Groups: 0 int, 1 branch, 2 load, 3 store, 4 vec.
    let mut classes = vec![timing(0, 1); Class::ALL.len()];
    for (c, t) in [
        (Class::IntMul, timing(0, 2)),
        (Class::Branch, timing(1, 1)),
        (Class::Load, timing(2, 4)),
        (Class::VecLoad, timing(2, 5)),
        (Class::LoadDup, timing(2, 7)),
        (Class::Prefetch, timing(2, 1)),
        (Class::Store, timing(3, 1)),
        (
            Class::Fma,
            ClassTiming {
                acc_latency: Some(2),
                ..timing(4, 4)
            },
        ),
        (
            Class::FmaElem,
            ClassTiming {
                acc_latency: Some(2),
                ..timing(4, 5)
            },
        ),
        (Class::Fmul, timing(4, 3)),
        (Class::Fadd, timing(4, 2)),
        (Class::Fminmax, timing(4, 2)),
        (Class::VecMove, timing(4, 2)),
    ] {
        classes[Class::ALL.iter().position(|&x| x == c).unwrap()] = t;
    }
    let g = |name: &str, count, iq| PipeGroup {
        name: name.into(),
        count,
        iq,
    };
    PipelineConfig {
        in_order: false,
        decode_width: 4,
        issue_width: 8,
        retire_width: 8,
        rob: 128,
        dispatch_latency: 0,
        groups: vec![
            g("int", 3, 48),
            g("branch", 1, 16),
            g("load", 2, 24),
            g("store", 1, 16),
            g("vec", 2, 32),
        ],
        classes,
        class_names: Class::ALL.iter().map(|c| c.name().to_string()).collect(),
        mispredict_penalty: 11,
        predictor_entries: 4096,
        forbidden_pairs: Vec::new(),
    }
}

/// An A55-like pipeline: in order, dual issue, one load pipe; a 128-bit load does not pair with
/// an FMLA.
fn little() -> PipelineConfig {
    let mut c = big();
    c.in_order = true;
    c.decode_width = 2;
    c.issue_width = 2;
    c.retire_width = 2;
    c.rob = 8;
    c.groups[0].count = 2;
    c.groups[2].count = 1;
    c.mispredict_penalty = 8;
    let pair = |a: Class, b: Class| (a.index() as u8, b.index() as u8);
    c.forbidden_pairs = vec![
        pair(Class::VecLoad, Class::Fma),
        pair(Class::VecLoad, Class::FmaElem),
    ];
    c
}

/// Runs bundled kernel `name` under the loop driver on `cfg` with a 0-cycle memory beyond the
/// load pipe's latency; returns (cycles, instructions, and for in-order issue a log of (class,
/// issue cycle)).
fn run(
    name: &str,
    cfg: &PipelineConfig,
    iterations: u64,
    floats: u64,
) -> (u64, u64, Vec<(Class, u64)>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../workloads/kernels/aarch64")
        .join(name);
    let k = parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
    let l = Layout::Loop { iterations, floats }.launch(1);
    let mut m = Machine::new(&k, &l.args, l.sp, l.mem);
    let mut p = Pipeline::new(cfg);
    let mut mem = FixedLatency(0);
    let mut log = Vec::new();
    while let Some(d) = m.step(1 << 30).unwrap() {
        p.push(&d, &mut mem);
        log.push((Class::ALL[d.class as usize], p.last_issue));
    }
    (p.stats.cycles, p.stats.instructions, log)
}

/// Cycles per FMLA over the loop, from the difference of two iteration counts (so set-up and
/// drain cancel).
fn per_fma(name: &str, cfg: &PipelineConfig) -> f64 {
    let (a, _, _) = run(name, cfg, 100, 32);
    let (b, _, _) = run(name, cfg, 300, 32);
    (b - a) as f64 / (200.0 * 8.0)
}

#[test]
fn fmla_chains_run_at_their_latency_and_forwarding() {
    let c = big();
    assert_eq!(
        per_fma("fmla_chain_mul.s", &c),
        4.0,
        "through the multiplicand: the FMLA latency"
    );
    assert_eq!(
        per_fma("fmla_chain_acc.s", &c),
        2.0,
        "through the accumulator: the forwarding latency"
    );
    assert_eq!(
        per_fma("fmla_independent.s", &c),
        0.5,
        "independent: two pipes, two a cycle"
    );
    // Without forwarding, the accumulator chain pays the full latency.
    let mut nf = big();
    nf.classes[Class::ALL.iter().position(|&x| x == Class::Fma).unwrap()].acc_latency = None;
    assert_eq!(per_fma("fmla_chain_acc.s", &nf), 4.0);
    // One vector pipe: one a cycle.
    let mut one = big();
    one.groups[4].count = 1;
    assert_eq!(per_fma("fmla_independent.s", &one), 1.0);
}

#[test]
fn dependent_loads_take_the_load_to_use_latency() {
    let c = big();
    let (a, _, _) = run("load_chain.s", &c, 100, 16);
    let (b, _, _) = run("load_chain.s", &c, 300, 16);
    assert_eq!((b - a) as f64 / (200.0 * 8.0), 4.0);
}

#[test]
fn the_in_order_core_never_reorders_and_never_pairs_what_it_must_not() {
    let c = little();
    let (_, _, log) = run("stream_sum.s", &c, 4, 256);
    for w in log.windows(2) {
        assert!(w[1].1 >= w[0].1, "issued out of order: {w:?}");
    }
    let (_, _, log) = run("fmla_chain_acc.s", &c, 4, 32);
    let mut by_cycle: std::collections::BTreeMap<u64, Vec<Class>> = Default::default();
    for (cl, cyc) in &log {
        by_cycle.entry(*cyc).or_default().push(*cl);
    }
    for (cyc, cls) in &by_cycle {
        assert!(cls.len() <= 2, "cycle {cyc}: {cls:?}");
        assert!(
            !(cls.contains(&Class::VecLoad)
                && cls.iter().any(|c| matches!(c, Class::Fma | Class::FmaElem))),
            "cycle {cyc} pairs a 128-bit load with an FMLA: {cls:?}"
        );
    }
    // The same kernel out of order is never slower.
    assert!(run("stream_sum.s", &big(), 4, 256).0 <= run("stream_sum.s", &c, 4, 256).0);
}

#[test]
fn a_mispredicted_branch_costs_its_penalty() {
    // branchy on random signs mispredicts about half; the difference between penalties 11 and 31
    // is 20 cycles per mispredict.
    let mut c = big();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads/kernels/aarch64/branchy.s");
    let k = parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
    let mut time = |penalty: u32| {
        c.mispredict_penalty = penalty;
        let l = Layout::Loop {
            iterations: 1,
            floats: 2000,
        }
        .launch(4);
        let mut m = Machine::new(&k, &l.args, l.sp, l.mem);
        let mut p = Pipeline::new(&c);
        let mut mem = FixedLatency(0);
        while let Some(d) = m.step(1 << 30).unwrap() {
            p.push(&d, &mut mem);
        }
        (p.stats.cycles, p.stats.mispredicts)
    };
    let (a, ma) = time(11);
    let (b, mb) = time(31);
    assert_eq!(ma, mb);
    assert!(ma > 500, "random signs: {ma} mispredicts of 2000");
    assert_eq!(b - a, 20 * ma, "each mispredict costs the penalty");
}

#[test]
fn configs_refuse_zero_widths_small_windows_and_zero_latencies() {
    let mut c = big();
    c.decode_width = 0;
    assert!(c
        .check("core")
        .unwrap_err()
        .to_string()
        .contains("core.decode_width"));
    let mut c = big();
    c.rob = 2;
    assert!(c
        .check("core")
        .unwrap_err()
        .to_string()
        .contains("core.rob"));
    let mut c = big();
    c.classes[0].latency = 0;
    assert!(c
        .check("core")
        .unwrap_err()
        .to_string()
        .contains("core.classes.int.latency"));
    big().check("core").unwrap();
    little().check("core").unwrap();
}

/// Every cycle is attributed once: the stack sums to the cycles, on both kinds of core.
#[test]
fn the_cycle_stack_adds_up_to_the_cycles() {
    for cfg in [big(), little()] {
        for kernel in ["stream_sum.s", "branchy.s", "fmla_chain_mul.s"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../workloads/kernels/aarch64")
                .join(kernel);
            let k = parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
            let l = Layout::Loop {
                iterations: 3,
                floats: 512,
            }
            .launch(1);
            let mut m = Machine::new(&k, &l.args, l.sp, l.mem);
            let mut p = Pipeline::new(&cfg);
            let mut mem = FixedLatency(3);
            while let Some(d) = m.step(1 << 30).unwrap() {
                p.push(&d, &mut mem);
            }
            let s = &p.stats;
            let sum = s.stack_frontend
                + s.stack_window
                + s.stack_dependency
                + s.stack_pipe
                + s.stack_execute
                + s.stack_memory
                + s.stack_retire;
            assert_eq!(sum, s.cycles, "{kernel}");
            assert_eq!(p.pipe_cycles.iter().sum::<u64>(), s.stack_pipe);
            assert_eq!(p.memory_cycles.iter().sum::<u64>(), s.stack_memory);
        }
    }
}
