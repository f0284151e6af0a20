//! `sparsim bench`: the simulator's own speed on fixed workloads (events, cache accesses, PIUMA
//! instructions, SAT training steps, mobile-core instructions, DRAM requests, sweep points per
//! second).

use std::time::Instant;

use anyhow::Result;
use clap::Args;

use sparsim::machines::cachesim;
use sparsim::program::trace;

use super::sweep::sweep_error;
use super::{bad, bundled, experiment_error};

/// Measure the simulator's own speed.
#[derive(Args)]
#[command(after_help = "Example:
  sparsim bench --scale 0.2")]
pub struct BenchArgs {
    /// Scale the work (1 = about 10 s on a 2-core laptop).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
}

/// `sparsim bench`.
pub fn run(args: BenchArgs) -> Result<()> {
    let scale = args.scale;
    let scale = scale.max(0.001);
    let n = |base: f64| (base * scale) as u64;
    let time = |label: &str, unit: &str, f: &dyn Fn() -> u64| {
        let t = Instant::now();
        let done = f();
        let s = t.elapsed().as_secs_f64();
        println!(
            "{label:<44} {:>10.2} M {unit}/s  ({done} in {s:.2} s)",
            done as f64 / s / 1e6
        );
        done as f64 / s
    };
    println!("sparsim bench (one thread; release build; scale {scale})");
    time(
        "engine: ring of 64 components, 64 tokens",
        "events",
        &|| sparsim::bench::engine_ring(64, 64, n(60e6)),
    );
    time(
        "cache: 32 KiB 8-way LRU tag array, trace-driven",
        "accesses",
        &|| sparsim::bench::cache_tag_accesses(n(100e6)),
    );
    let trace = bundled("workloads/traces/kernel.lackey.zst");
    let hier = bundled("configs/cachesim/cachegrind.toml");
    if trace.exists() && hier.exists() {
        let (h, _) = cachesim::load(&hier, &[]).map_err(bad)?;
        time(
            "cachesim end to end: cachegrind.toml on kernel trace",
            "accesses",
            &|| {
                let mut total = 0;
                for _ in 0..n(8.0).max(1) {
                    let r = h
                        .run(
                            Box::new(trace::open(&trace).expect("bundled trace opens")),
                            "kernel",
                            None,
                        )
                        .expect("bundled run succeeds");
                    total += r
                        .report
                        .stats
                        .iter()
                        .find(|s| s.name == "core.responses")
                        .map(|s| s.value)
                        .unwrap_or(0);
                }
                total
            },
        );
    }
    let smash = bundled("configs/experiments/smash-bcsstk13.toml");
    if smash.exists() {
        // SMASH V1 on bcsstk13, its first `n(1e6)` cycles; timed like `run` times itself: the
        // run loop only, without loading the matrix or building the programs.
        let limit = format!("limits.max_cycles={}", n(1e6).max(1));
        let exp = sparsim::experiment::load(&smash, &[limit]).map_err(experiment_error)?;
        let out = exp.run().map_err(experiment_error)?;
        let s = out.wall.as_secs_f64();
        println!(
            "{:<44} {:>10.2} M instructions/s  ({} in {s:.2} s)",
            format!("piuma: SMASH V1 on bcsstk13, {} cycles", n(1e6).max(1)),
            out.work.0 as f64 / s / 1e6,
            out.work.0
        );
    }
    let sat = bundled("configs/experiments/sat-resnet50-2to8.toml");
    if sat.exists() {
        // A whole ResNet-50 training step on SAT, timed from load (layer table, DRAM
        // calibration on first use, the step, the functional checks and the report).
        let t = Instant::now();
        let exp = sparsim::experiment::load(&sat, &[]).map_err(experiment_error)?;
        let out = exp.run().map_err(experiment_error)?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "{:<44} {:>10.2} M cycles/s  ({} simulated cycles in {s:.3} s; target: a step under 10 s)",
            "sat: ResNet-50 2:8 training step, batch 32",
            out.work.0 as f64 / s / 1e6,
            out.work.0
        );
    }
    let mobile = bundled("configs/experiments/mobile-a76-sgemm.toml");
    if mobile.exists() {
        // The out-of-order core on a 128^3 SGEMM: functional execution and timing of every
        // instruction, as `run` times itself (the DRAM calibration before the clock starts).
        for core in ["cortex-a76", "cortex-a55"] {
            let set = [
                "m=128".to_string(),
                "n=128".into(),
                "k=128".into(),
                format!("core=\"../mobile/{core}.toml\""),
            ];
            let exp = sparsim::experiment::load(&mobile, &set).map_err(experiment_error)?;
            let out = exp.run().map_err(experiment_error)?;
            let s = out.wall.as_secs_f64();
            println!(
                "{:<44} {:>10.2} M instructions/s  ({} in {s:.2} s; target 3 M/s for the out-of-order core)",
                format!("mobile: {core} on SGEMM 128^3"),
                out.work.0 as f64 / s / 1e6,
                out.work.0
            );
        }
    }
    for preset in ["DDR4-3200", "DDR5-4400", "HBM2"] {
        time(
            &format!("dram {preset}: random, 64 in flight"),
            "requests",
            &|| sparsim::bench::dram_requests(preset, n(3e6), 64, true),
        );
        time(
            &format!("dram {preset}: streaming, 64 in flight"),
            "requests",
            &|| sparsim::bench::dram_requests(preset, n(3e6), 64, false),
        );
    }
    bench_sweep()
}

/// Sweep throughput with 1 and 2 jobs on the same points, and the per-point overhead.
fn bench_sweep() -> Result<()> {
    use sparsim::sweep as sw;
    let file = bundled("configs/sweeps/cachesim-size-ways.toml");
    if !file.exists() {
        return Ok(());
    }
    let sweep = sw::Sweep::load(&file).map_err(sweep_error)?;
    let tmp = std::env::temp_dir().join(format!("sparsim-bench-{}", std::process::id()));
    let mut rates = Vec::new();
    for jobs in [1, 2] {
        let mut prep = sw::prepare(&sweep, &tmp.join(format!("j{jobs}")), None, None, false)
            .map_err(sweep_error)?;
        let s = sw::execute(&mut prep, jobs, |_, _, _| {}).map_err(sweep_error)?;
        let n = s.ran.max(1) as f64;
        let rate = s.ran as f64 / s.wall.as_secs_f64();
        let overhead = (s.timing.resolve + s.timing.record).as_secs_f64() / n * 1e3;
        // Everything a point costs beyond its run: scheduling, resolve, record, sync.
        let beyond = (s.wall.as_secs_f64() * jobs as f64 - s.timing.run.as_secs_f64()) / n * 1e3;
        println!(
            "{:<44} {rate:>10.2} points/s  ({} points in {:.2} s; per point: run {:.1} ms, resolve + record {overhead:.2} ms, all beyond the run {beyond:.2} ms)",
            format!("sweep cachesim-size-ways, --jobs {jobs}"),
            s.ran,
            s.wall.as_secs_f64(),
            s.timing.run.as_secs_f64() / n * 1e3,
        );
        rates.push(rate);
    }
    println!(
        "{:<44} {:>10.2} x  (target >= 1.8 x on 2 cores)",
        "sweep speedup, 2 jobs over 1",
        rates[1] / rates[0]
    );
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
