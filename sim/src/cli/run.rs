//! `sparsim run` (an experiment file, or a kernel from flags) and `sparsim cachesim` (a hierarchy
//! and a trace): load, check the outputs, simulate, print the machine's headline, write the report.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use sparsim::machines::cachesim::CachesimRun;
use sparsim::machines::{self, Experiment, RunResult};

use super::{bad, bundled, check_writable, create_new, experiment_error, spinner};

/// Run an experiment file (default: the bundled cachesim experiment), or a kernel on a matrix.
#[derive(Args)]
#[command(after_help = "Examples:
  sparsim run configs/experiments/smash-bcsstk13.toml --set kernel=\\\"smash-v3\\\"
  sparsim run --kernel smash-v1 --workload workloads/matrices/karate.mtx --machine configs/piuma/piuma.toml")]
pub struct RunArgs {
    /// Experiment file; omitted = configs/experiments/cachesim-default.toml (or, with --kernel, a
    /// run built from --machine and --workload).
    experiment: Option<PathBuf>,
    /// Machine config (a bare config of the kernel's machine, e.g. configs/piuma/piuma.toml), with
    /// --kernel.
    #[arg(long)]
    machine: Option<PathBuf>,
    /// Matrix Market file for A (the run computes A·A), with --kernel.
    #[arg(long)]
    workload: Option<PathBuf>,
    /// Kernel to run, with --workload (`sparsim list` shows each machine's kernels).
    #[arg(long)]
    kernel: Option<String>,
    /// Write the computed result here (a matrix: Matrix Market; must not exist).
    #[arg(long)]
    write_result: Option<PathBuf>,
    #[command(flatten)]
    output: Output,
}

/// The options `run` and `cachesim` share: overrides and where the report goes.
#[derive(Args)]
struct Output {
    /// Override any config key: --set level[0].cache.n_ways=4 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Directory that receives <out>/<name>/.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// The report folder's name under --out. Default: the run's name, followed by the --set
    /// overrides when there are any (`smash-bcsstk13--kernel=smash-v3`).
    #[arg(long)]
    name: Option<String>,
}

/// Run a memory trace through a cache hierarchy (no levels: straight to the DRAM).
#[derive(Args)]
#[command(after_help = "Example:
  sparsim cachesim configs/cachesim/cachegrind.toml workloads/traces/kernel.lackey.zst --set level[1].cache.n_ways=4")]
pub struct CachesimArgs {
    /// Hierarchy config (e.g. configs/cachesim/cachegrind.toml).
    hierarchy: PathBuf,
    /// Trace: lackey output, sparsim binary or text, optionally zstd-compressed.
    trace: PathBuf,
    #[command(flatten)]
    output: Output,
}

/// `sparsim run`.
pub fn run(args: RunArgs) -> Result<()> {
    let exp = match &args.kernel {
        Some(kernel) => from_flags(&args, kernel)?,
        None => {
            let file = args
                .experiment
                .clone()
                .unwrap_or_else(|| bundled("configs/experiments/cachesim-default.toml"));
            sparsim::experiment::load(&file, &args.output.set).map_err(experiment_error)?
        }
    };
    let folder = folder_name(exp.name(), args.output.name.as_deref(), &args.output.set)?;
    simulate(exp, &args.output.out, &folder, args.write_result.as_deref())
}

/// `sparsim cachesim`.
pub fn cachesim(args: CachesimArgs) -> Result<()> {
    let exp = CachesimRun::new(&args.hierarchy, &args.trace, &args.output.set)
        .map_err(experiment_error)?;
    let folder = folder_name(exp.name(), args.output.name.as_deref(), &args.output.set)?;
    simulate(Box::new(exp), &args.output.out, &folder, None)
}

fn from_flags(args: &RunArgs, kernel: &str) -> Result<Box<dyn Experiment>> {
    let workload = args
        .workload
        .as_deref()
        .ok_or_else(|| bad("--kernel needs --workload A.mtx"))?;
    let machine_cfg = args.machine.as_deref().map(read_toml_table).transpose()?;
    let table = machines::MACHINES
        .iter()
        .find_map(|m| m.experiment_from_flags(kernel, workload, machine_cfg.clone()))
        .ok_or_else(|| {
            let all: Vec<&str> = machines::MACHINES
                .iter()
                .flat_map(|m| {
                    m.kernels()
                        .into_iter()
                        .filter(|k| m.experiment_from_flags(k, workload, None).is_some())
                })
                .collect();
            bad(format!(
                "--kernel {kernel:?}: no machine runs that kernel from flags; kernels: {}",
                all.join(", ")
            ))
        })?;
    let origin = args
        .machine
        .clone()
        .unwrap_or_else(|| PathBuf::from("(command line)"));
    sparsim::experiment::load_table(&table, &origin, &args.output.set).map_err(experiment_error)
}

/// Reads a TOML file into a table; problems are bad input naming the file.
fn read_toml_table(path: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("{}: cannot read: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        bad(format!(
            "{}: not valid TOML:\n{}",
            path.display(),
            e.to_string().trim_end()
        ))
    })
}

/// The report folder of a run: `--name`, or the experiment's name followed by its overrides, so
/// that runs of one experiment with different overrides are told apart by their folders.
fn folder_name(name: &str, given: Option<&str>, set: &[String]) -> Result<String> {
    if let Some(n) = given {
        if !sparsim::config::is_plain_folder_name(n) {
            return Err(bad(format!(
                "--name {n:?}: {}",
                sparsim::config::PLAIN_FOLDER_NAME
            )));
        }
        return Ok(n.to_string());
    }
    if set.is_empty() {
        return Ok(name.to_string());
    }
    let mut tail: String = set
        .iter()
        .map(|o| {
            o.chars()
                .filter(|c| !matches!(c, '"' | '\'' | '[' | ']' | ' '))
                .map(|c| if c == '/' || c == '\\' { '_' } else { c })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(",");
    if tail.chars().count() > 80 {
        tail = tail.chars().take(80).collect::<String>() + "...";
    }
    Ok(format!("{name}--{tail}"))
}

/// Runs a loaded experiment: outputs checked first, then the run, the headline and the report.
fn simulate(
    exp: Box<dyn Experiment>,
    out: &Path,
    folder: &str,
    write_result: Option<&Path>,
) -> Result<()> {
    check_writable(out)?;
    let machine = exp.machine();
    if write_result.is_some() && !exp.computes_result() {
        return Err(bad(format!(
            "--write-result: a {} run computes no result to write",
            machine.name()
        )));
    }
    let result_file = write_result.map(create_new).transpose()?;
    println!("{}", exp.describe());
    let bar = spinner("simulating".into());
    let outcome = exp.run();
    bar.finish_and_clear();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            if let Some(p) = write_result {
                let _ = std::fs::remove_file(p);
            }
            return Err(experiment_error(e));
        }
    };
    for line in machine.headline(&outcome.report) {
        println!("{line}");
    }
    for w in &outcome.report.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(key) = outcome.report.stop_reason.limit_key() {
        println!("stopped early by {key}: the report covers the run up to there");
    }
    let secs = outcome.wall.as_secs_f64();
    let (n, what) = outcome.work;
    println!(
        "simulation speed: {n} {what} and {} events in {secs:.3} s = {:.2} M {what}/s",
        outcome.report.n_events,
        n as f64 / secs.max(1e-9) / 1e6
    );
    if let (Some(f), Some(path)) = (result_file, write_result) {
        match &outcome.result {
            Some(RunResult::Matrix(c)) => {
                let mut w = std::io::BufWriter::new(f);
                sparsim::workload::mtx::write(c, &mut w)?;
                std::io::Write::flush(&mut w)?;
                println!("result written to {}", path.display());
            }
            None => {
                drop(f);
                let _ = std::fs::remove_file(path);
                return Err(bad(format!(
                    "--write-result: a {} run computes no result to write",
                    machine.name()
                )));
            }
        }
    }
    let dir = outcome
        .report
        .write_as(out, folder)
        .with_context(|| format!("writing the report under {}", out.display()))?;
    println!("report: {}", dir.display());
    Ok(())
}
