//! The bundled cores on the micro-kernels: closed forms through the whole machine.

use std::path::{Path, PathBuf};

use crate::machines::ExperimentError;
use crate::report::RunReport;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/experiments/mobile-a76-sgemm.toml")
}

fn run(set: &[&str]) -> Result<RunReport, ExperimentError> {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let exp = crate::experiment::load(&example(), &set)?;
    Ok(exp.run()?.report)
}

fn stat(r: &RunReport, name: &str) -> u64 {
    r.stats.iter().find(|e| e.name == name).map_or(0, |e| e.value)
}

/// Cycles per loop iteration of micro-kernel `kernel` on `core`, from two iteration counts.
fn per_iteration(kernel: &str, core: &str, floats: u64) -> f64 {
    loop_cycles(kernel, core, floats, (100, 300), &[]).0
}

/// Cycles per iteration of micro-kernel `kernel` on `core` over `floats` floats, from iteration
/// counts `(a, b)`, with overrides `extra`; and the DRAM lines the shorter run read.
fn loop_cycles(kernel: &str, core: &str, floats: u64, (a, b): (u64, u64), extra: &[&str]) -> (f64, u64) {
    let cycles = |iters: u64| {
        let mut set = vec![
            format!("kernel=\"../../workloads/kernels/aarch64/{kernel}\""),
            format!("core=\"../mobile/{core}\""),
            "driver=\"loop\"".to_string(),
            format!("m={iters}"),
            format!("n={floats}"),
        ];
        set.extend(extra.iter().map(|s| s.to_string()));
        let set: Vec<&str> = set.iter().map(String::as_str).collect();
        let r = run(&set).unwrap();
        (stat(&r, "core.cycles"), stat(&r, "dram.lines_read"))
    };
    let ((ca, lines), (cb, _)) = (cycles(a), cycles(b));
    ((cb - ca) as f64 / (b - a) as f64, lines)
}

#[test]
fn the_big_core_meets_its_fmla_and_load_latencies() {
    let a76 = "cortex-a76.toml";
    // Eight FMLAs an iteration.
    assert_eq!(per_iteration("fmla_chain_mul.s", a76, 32), 8.0 * 4.0, "FMLA latency 4");
    assert_eq!(per_iteration("fmla_chain_acc.s", a76, 32), 8.0 * 2.0, "accumulator forwarding 2");
    assert_eq!(per_iteration("fmla_independent.s", a76, 32), 4.0, "two ASIMD pipes: 2 a cycle");
    // Eight dependent L1-hitting loads an iteration at the load-to-use latency.
    assert_eq!(per_iteration("load_chain.s", a76, 16), 8.0 * 4.0);
    // Eight loads chained only through their written-back bases: one a cycle, not one per
    // load latency (the write-back comes from the address generation).
    assert_eq!(per_iteration("postindex_chain.s", a76, 16), 8.0);
}

#[test]
fn the_little_core_has_no_forwarding_and_one_q_fmla_a_cycle() {
    let a55 = "cortex-a55.toml";
    assert_eq!(per_iteration("fmla_chain_acc.s", a55, 32), 8.0 * 4.0);
    assert_eq!(per_iteration("fmla_independent.s", a55, 32), 8.0);
    // Its one load pipe holds a 128-bit load 2 cycles: that, not the write-back chain, bounds it.
    assert_eq!(per_iteration("postindex_chain.s", a55, 16), 16.0);
}

#[test]
fn an_l1_resident_loop_makes_no_l2_traffic_beyond_its_first_pass() {
    // 16 KB read 10 and 20 times: the same L2 accesses (its 256 lines once, the prefetches
    // 512 B past its end, C's line), none more for the extra passes.
    let l2 = |passes: u64| {
        let r = run(&[
            "kernel=\"../../workloads/kernels/aarch64/stream_sum.s\"",
            "driver=\"loop\"",
            &format!("m={passes}"),
            "n=4096",
        ])
        .unwrap();
        assert_eq!(stat(&r, "l1d.accesses") - stat(&r, "l1d.hits"), stat(&r, "l2.accesses"));
        stat(&r, "l2.accesses")
    };
    let (ten, twenty) = (l2(10), l2(20));
    assert_eq!(ten, twenty);
    assert!((256..=272).contains(&ten), "{ten} L2 accesses");
}

#[test]
fn a_streaming_loop_is_bounded_by_the_dram() {
    // 16 MB, eight times the L3: every line from DRAM once, no faster than the calibrated stream.
    let r = run(&[
        "kernel=\"../../workloads/kernels/aarch64/stream_sum.s\"",
        "driver=\"loop\"",
        "m=1",
        "n=4194304",
    ])
    .unwrap();
    let lines = stat(&r, "dram.lines_read");
    assert!((262_144..=262_160).contains(&lines), "{lines} lines");
    let bw = r.derived["dram.bandwidth_gb_s"].value;
    let peak = r.derived["dram.stream_gb_s"].value;
    assert!(bw <= peak * 1.001 && bw > 0.2 * peak, "{bw} GB/s against {peak}");
}

#[test]
fn a_gemm_kernel_that_does_not_compute_the_product_fails_its_check() {
    let r = run(&[]).unwrap();
    // Against a product summed in f64: the f32 kernel is within rounding.
    assert!(r.derived["check.max_rel_error"].value < 1e-6);
    let e = run(&["kernel=\"../../workloads/kernels/aarch64/fmla_chain_acc.s\"", "m=4", "n=4", "k=4"]).unwrap_err();
    assert!(matches!(e, ExperimentError::Check(_)) && !e.is_bad_input(), "{e}");
}

#[test]
fn the_sparse_kernel_runs_checked_and_skips_pruned_weights() {
    let spmm = |s: &str| {
        run(&[
            "kernel=\"../../workloads/kernels/aarch64/spmm_16x1.s\"",
            "driver=\"spmm\"",
            "m=64",
            "n=32",
            "k=64",
            &format!("sparsity={s}"),
        ])
    };
    let dense = spmm("0.0").unwrap();
    let sparse = spmm("0.75").unwrap();
    assert!(sparse.derived["check.max_rel_error"].value < 1e-6);
    // A quarter of the non-zeros: a quarter of the FMLAs.
    assert_eq!(stat(&sparse, "core.class.fma") * 4, stat(&dense, "core.class.fma"));
    assert!(stat(&sparse, "core.cycles") < stat(&dense, "core.cycles"));
    let e = spmm("1.0").unwrap_err();
    assert!(e.is_bad_input() && e.to_string().contains("sparsity"), "{e}");
}

#[test]
fn the_group_sparse_kernel_drives_sixteen_fmlas_per_index() {
    let r = run(&[
        "kernel=\"../../workloads/kernels/aarch64/spmm_16x4.s\"",
        "driver=\"spmm4\"",
        "m=64",
        "n=32",
        "k=64",
        "sparsity=0.75",
    ])
    .unwrap();
    assert!(r.derived["check.max_rel_error"].value < 1e-6);
    // A quarter of the 8 x 64 blocks kept, each 16 FMLAs per 16 pixels, over 4 pixel blocks.
    assert_eq!(stat(&r, "core.class.fma_elem"), 8 * 64 / 4 * 16 * 4);
    let e = run(&["kernel=\"../../workloads/kernels/aarch64/spmm_16x4.s\"", "driver=\"spmm4\"", "m=64", "n=30", "k=64"]).unwrap_err();
    assert!(e.is_bad_input() && e.to_string().contains("multiple of 4"), "{e}");
}

/// Cycles per loop iteration as [`per_iteration`], on memory backend `model`, and the DRAM lines
/// read.
fn per_iteration_on(kernel: &str, core: &str, floats: u64, model: &str) -> (f64, u64) {
    loop_cycles(kernel, core, floats, (20, 60), &[&format!("memory.model=\"{model}\"")])
}

#[test]
fn an_l1_resident_loop_costs_the_same_per_iteration_on_both_memory_backends() {
    // 8 KB summed again and again: its first pass fills from DRAM (timed differently by the two
    // backends), every later one hits in L1 and must cost exactly the same on both.
    for core in ["cortex-a76.toml", "cortex-a55.toml"] {
        let (fast, fast_lines) = per_iteration_on("stream_sum.s", core, 2048, "transfer");
        let (detailed, detailed_lines) = per_iteration_on("stream_sum.s", core, 2048, "dram");
        assert_eq!(fast, detailed, "{core}: cycles per iteration");
        assert_eq!(fast_lines, detailed_lines, "{core}: the same fills reach the DRAM");
        assert!(fast_lines > 0);
    }
}

#[test]
fn the_detailed_backend_reports_the_dram_blocks_own_statistics() {
    let r = run(&["memory.model=\"dram\""]).unwrap();
    // Every line fill went through the block, one request each, and each was answered.
    let lines = stat(&r, "dram.lines_read");
    assert_eq!(stat(&r, "dram.device.requests"), lines + stat(&r, "dram.lines_written"));
    assert_eq!(stat(&r, "dram.device.answered"), lines);
    assert!(stat(&r, "dram.device.activates") > 0);
    assert!(r.derived["check.max_rel_error"].value < 1e-5);
}

#[test]
fn a_memory_model_that_does_not_exist_is_refused_naming_the_key() {
    let Err(e) = run(&["memory.model=\"ideal\""]) else {
        panic!("an unknown memory model was accepted")
    };
    assert!(e.is_bad_input());
    let msg = format!("{e:#}");
    assert!(msg.contains("memory") && msg.contains("transfer") && msg.contains("dram"), "{msg}");
}

#[test]
fn limits_stop_a_run_and_say_why() {
    let full = run(&[]).unwrap();
    let total = stat(&full, "core.cycles");
    assert_eq!(full.stop_reason, crate::engine::StopReason::Drained);
    let r = run(&["limits.max_cycles=5000"]).unwrap();
    assert_eq!(r.stop_reason, crate::engine::StopReason::TickLimit);
    let cycles = stat(&r, "core.cycles");
    assert!((5000..total).contains(&cycles), "{cycles} of {total}");
    assert!(!r.derived.contains_key("check.max_rel_error"), "a partial output is not checked");
    let r = run(&["limits.max_instructions=7000"]).unwrap();
    assert_eq!(r.stop_reason, crate::engine::StopReason::InstructionLimit);
    assert_eq!(stat(&r, "core.instructions"), 7000);
}

#[test]
fn the_watchdog_fails_a_run_whose_instruction_waits_longer_than_it_allows() {
    // The GEMM's first load waits for DRAM, far longer than 5 cycles: a failed run (exit 1).
    let Err(e) = run(&["limits.watchdog_cycles=5"]) else {
        panic!("the watchdog did not fire")
    };
    assert!(!e.is_bad_input(), "{e}");
    assert!(e.to_string().contains("watchdog"), "{e}");
    assert!(run(&["limits.watchdog_cycles=100000"]).is_ok());
}

/// Issue 28, case 13: a misspelt experiment key was blamed on the core file and listed the
/// core's keys; it is now blamed on the experiment file, listing the experiment's keys.
#[test]
fn issue_28_a_misspelt_experiment_key_is_blamed_on_the_experiment_file() {
    for set in ["drivr=\"gemm\"", "sparsty=0.5", "wasm.bounds=\"guard\""] {
        let Err(e) = run(&[set]) else {
            panic!("{set} was accepted")
        };
        let msg = format!("{e:#}");
        assert!(msg.contains("mobile-a76-sgemm.toml") && !msg.contains("cortex-a76.toml"), "{set}: {msg}");
        assert!(!msg.contains("clock_ghz"), "{set}: {msg}");
    }
    // A core key still reaches the core file.
    assert!(run(&["rob=64"]).is_ok());
    // CORE_KEYS lists the core file's keys exactly.
    let (core, _) = super::config::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/mobile/cortex-a76.toml"),
        &[],
    )
    .unwrap();
    let v = serde_json::to_value(core).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.push("memory"); // left out of the echo at its default
    keys.sort();
    keys.dedup();
    let mut want = super::config::CORE_KEYS.to_vec();
    want.sort();
    assert_eq!(keys, want);
}
