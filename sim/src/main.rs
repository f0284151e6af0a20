//! The `sparsim` command line: parse, load files, call the library, print. Exit codes: 0 success,
//! 2 bad input (config, trace, arguments), 1 a simulation that failed (e.g. the watchdog fired).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use sparsim::cachesim::{self, CachesimError};
use sparsim::experiment::{Loaded, PiumaExperiment};
use sparsim::program::trace::{self, Format, TraceWriter};
use sparsim::program::Program;
use sparsim::report::{fmt_num, RunReport};

/// sparsim: a cycle-level simulator of sparse-computing hardware.
#[derive(Parser)]
#[command(version, about, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run an experiment file (default: the bundled cachesim experiment).
    Run {
        /// Experiment file; omitted = configs/experiments/cachesim-default.toml (or, with
        /// --kernel, a PIUMA run built from --machine and --workload).
        experiment: Option<PathBuf>,
        /// PIUMA machine config (a `[piuma]`-less TOML of machine keys), with --kernel.
        #[arg(long)]
        machine: Option<PathBuf>,
        /// Matrix Market file for A (the run computes A·A), with --kernel.
        #[arg(long)]
        workload: Option<PathBuf>,
        /// PIUMA kernel: inner-product, outer-product, rowwise-dense, rowwise-heap, smash-v1, smash-v2,
        /// smash-v3.
        #[arg(long)]
        kernel: Option<String>,
        /// Write the computed C here as Matrix Market (PIUMA runs; must not exist).
        #[arg(long)]
        write_result: Option<PathBuf>,
        /// Override any config key: --set level[0].cache.n_ways=4 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Directory that receives reports/<name>/.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
    },
    /// Run a memory trace through a cache hierarchy.
    Cachesim {
        /// Hierarchy config (e.g. configs/cachesim/cachegrind.toml).
        hierarchy: PathBuf,
        /// Trace: lackey output, sparsim binary or text, optionally zstd-compressed.
        trace: PathBuf,
        /// Override any config key (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Directory that receives reports/<name>/.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
    },
    /// Check config files without running anything.
    Validate {
        /// Hierarchy or experiment files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Inspect and convert trace files.
    Trace {
        #[command(subcommand)]
        cmd: TraceCmd,
    },
    /// Generate and inspect workloads.
    Workload {
        #[command(subcommand)]
        cmd: WorkloadCmd,
    },
    /// List presets, configs and workloads.
    List,
    /// Paper headlines beside what the models give.
    Reproduce {
        /// Which paper: smash.
        what: String,
        /// Only these matrices of the fixed set (comma-separated names, e.g. bcsstk13,stencil5-150).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Only these kernels (comma-separated, e.g. rowwise-dense,smash-v1; at least one SMASH
        /// version).
        #[arg(long, value_delimiter = ',')]
        kernels: Vec<String>,
        /// Override a machine key for every run: --set piuma.dense_acc_spad_share=1.0 (repeatable).
        /// The summary lists the overrides.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Runs at once, one per host thread (default: the number of cores). Each run's
        /// result is the same whatever this is.
        #[arg(long)]
        jobs: Option<usize>,
        /// Directory for the table and plots.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
    },
    /// PIUMA thread scaling: one kernel as threads per pipeline grow from 1 to 64.
    Scaling {
        /// Experiment file (a piuma experiment).
        experiment: PathBuf,
        /// Override any config key: --set piuma.dram_channels=16 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Runs at once, one per host thread (default: the number of cores). Each run's
        /// result is the same whatever this is.
        #[arg(long)]
        jobs: Option<usize>,
        /// Directory for the table and plot.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
    },
    /// Run a design-space sweep (or merge sweep directories): `sweep FILE [--jobs N]
    /// [--shard i/N] [--resume [DIR]]`, `sweep merge DIR... --out DIR`.
    #[command(args_conflicts_with_subcommands = true)]
    Sweep {
        #[command(subcommand)]
        cmd: Option<SweepCmd>,
        /// Sweep file (e.g. configs/sweeps/cachesim-size-ways.toml).
        file: Option<PathBuf>,
        /// Points run at once (one run per thread). Default: the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only shard i of N (1-based), e.g. --shard 2/4; points are assigned by id.
        #[arg(long)]
        shard: Option<String>,
        /// Continue the sweep directory (--dir, or the sweep's own under --out), running only
        /// the points it has no result for.
        #[arg(long)]
        resume: bool,
        /// The sweep directory. Default: <out>/<sweep name> (with -2, -3... if taken, unless
        /// --resume).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Directory that receives <out>/<sweep name>/.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Re-render a run's or a sweep's tables, plots and index.html from its results.
    Report {
        /// A run directory (with report.json) or a sweep directory (with sweep.json).
        dir: PathBuf,
    },
    /// Measure the simulator's own speed.
    Bench {
        /// Scale the work (1 = about 10 s on a 2-core laptop).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
}

#[derive(Subcommand)]
enum SweepCmd {
    /// Combine sweep directories (shards, partial runs) into one, checking that every point is
    /// there exactly once.
    Merge {
        /// Sweep directories of one sweep.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The merged directory (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum WorkloadCmd {
    /// Generate a seeded synthetic matrix and write it as Matrix Market.
    Gen {
        #[command(subcommand)]
        kind: GenKind,
        /// Seed.
        #[arg(long, default_value_t = 1, global = true)]
        seed: u64,
        /// Output .mtx file (must not exist).
        #[arg(long, global = true)]
        out: Option<PathBuf>,
    },
    /// Print a matrix's shape, entry count and row-length statistics.
    Info {
        /// Matrix Market file.
        file: PathBuf,
    },
}

#[derive(Subcommand, Clone)]
enum GenKind {
    /// R-MAT / Kronecker graph (Graph500 parameters by default).
    Rmat {
        /// log2 of the number of rows.
        #[arg(long)]
        scale: u32,
        /// Edges drawn per row.
        #[arg(long, default_value_t = 16)]
        edge_factor: u32,
        /// Quadrant probabilities a, b, c (d = 1 - a - b - c).
        #[arg(long, num_args = 3, default_values_t = [0.57, 0.19, 0.19])]
        abc: Vec<f64>,
    },
    /// Erdős–Rényi with a fixed number of entries per row.
    Er {
        /// Rows and columns.
        #[arg(long)]
        n: usize,
        /// Entries per row.
        #[arg(long)]
        nnz_per_row: usize,
    },
    /// 2D 5-point stencil.
    Stencil5 {
        /// Grid width.
        #[arg(long)]
        nx: usize,
        /// Grid height.
        #[arg(long)]
        ny: usize,
    },
    /// 3D 7-point stencil on an n^3 grid.
    Stencil7 {
        /// Grid side.
        #[arg(long)]
        n: usize,
    },
    /// 3D 27-point stencil on an n^3 grid.
    Stencil27 {
        /// Grid side.
        #[arg(long)]
        n: usize,
    },
    /// Banded matrix.
    Banded {
        /// Rows and columns.
        #[arg(long)]
        n: usize,
        /// Half bandwidth.
        #[arg(long)]
        half_width: usize,
    },
    /// Rows with power-law lengths.
    Powerlaw {
        /// Rows and columns.
        #[arg(long)]
        n: usize,
        /// Mean entries per row.
        #[arg(long)]
        avg_nnz: usize,
        /// Zipf exponent.
        #[arg(long, default_value_t = 1.0)]
        alpha: f64,
    },
}

#[derive(Subcommand)]
enum TraceCmd {
    /// Print the first operations of a trace.
    Show {
        /// Trace file.
        file: PathBuf,
        /// How many operations.
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
    /// Convert any readable trace to sparsim binary (default) or text.
    Convert {
        /// Input trace.
        input: PathBuf,
        /// Output file (must not exist).
        output: PathBuf,
        /// Write the text form instead of binary.
        #[arg(long)]
        text: bool,
        /// zstd level for binary output (0 = uncompressed).
        #[arg(long, default_value_t = 3)]
        zstd: i32,
    },
}

/// A bad-input error (exit code 2), carrying the message that names the file, key or line.
#[derive(Debug)]
struct BadInput(String);
impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for BadInput {}

fn bad(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(BadInput(e.to_string()))
}

fn main() -> ExitCode {
    // Like other Unix tools, stop quietly when the reader of our output goes away (`| head`),
    // instead of panicking on a failed print.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match dispatch(cli.cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let is_bad = e.chain().any(|c| c.downcast_ref::<BadInput>().is_some());
            eprintln!("error: {e:#}");
            ExitCode::from(if is_bad { 2 } else { 1 })
        }
    }
}

fn dispatch(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Run {
            experiment,
            machine,
            workload,
            kernel,
            write_result,
            set,
            out,
        } => {
            if let Some(kernel) = kernel {
                return run_piuma_flags(
                    machine.as_deref(),
                    workload.as_deref(),
                    &kernel,
                    &set,
                    &out,
                    write_result.as_deref(),
                );
            }
            let exp = experiment.unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../configs/experiments/cachesim-default.toml"
                ))
            });
            run_experiment(&exp, &set, &out, write_result.as_deref())
        }
        Cmd::Cachesim {
            hierarchy,
            trace,
            set,
            out,
        } => run_cachesim(&hierarchy, &trace, &set, &out),
        Cmd::Validate { files } => validate(&files),
        Cmd::Trace {
            cmd: TraceCmd::Show { file, limit },
        } => trace_show(&file, limit),
        Cmd::Trace {
            cmd:
                TraceCmd::Convert {
                    input,
                    output,
                    text,
                    zstd,
                },
        } => trace_convert(&input, &output, text, zstd),
        Cmd::Workload {
            cmd: WorkloadCmd::Gen { kind, seed, out },
        } => workload_gen(kind, seed, out.as_deref()),
        Cmd::Workload {
            cmd: WorkloadCmd::Info { file },
        } => workload_info(&file),
        Cmd::List => {
            println!(
                "DRAM presets: {}",
                sparsim::blocks::dram::preset_names().join(", ")
            );
            println!("replacement policies: lru, tree_plru, srrip, random");
            println!("prefetchers: none, next_line, stride");
            println!("trace formats: lackey (valgrind --tool=lackey --trace-mem=yes), sparsim binary (.zst optional), sparsim text");
            println!("blocks: cache, dram, spad (scratchpad with atomics), noc (crossbar, mesh), trace_core");
            println!("machines: cachesim (trace-driven cache hierarchy), piuma (SpGEMM fabric); sat and mobile are planned");
            println!(
                "piuma kernels: {}",
                sparsim::machines::piuma::kernels::KernelKind::ALL
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let list = |dir: &str| -> String {
                let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
                let mut names: Vec<String> = std::fs::read_dir(&base)
                    .map(|d| {
                        d.filter_map(|e| e.ok())
                            .map(|e| e.file_name().to_string_lossy().to_string())
                            .filter(|n| n.ends_with(".toml"))
                            .collect()
                    })
                    .unwrap_or_default();
                names.sort();
                format!("{dir}/: {}", names.join(", "))
            };
            println!("{}", list("configs/experiments"));
            println!("{}", list("configs/sweeps"));
            println!("plots in sweeps: lines, heatmap, pareto, energy, speedup");
            Ok(())
        }
        Cmd::Bench { scale } => bench(scale),
        Cmd::Reproduce {
            what,
            only,
            kernels,
            set,
            jobs,
            out,
        } => reproduce(&what, &only, &kernels, &set, run_jobs(jobs)?, &out),
        Cmd::Scaling {
            experiment,
            set,
            jobs,
            out,
        } => scaling(&experiment, &set, run_jobs(jobs)?, &out),
        Cmd::Sweep {
            cmd: Some(SweepCmd::Merge { dirs, out }),
            ..
        } => sweep_merge(&dirs, &out),
        Cmd::Sweep {
            cmd: None,
            file,
            jobs,
            shard,
            resume,
            dir,
            out,
            quiet,
        } => {
            let file = file.ok_or_else(|| bad("sweep: give a sweep file, e.g. sparsim sweep configs/sweeps/cachesim-size-ways.toml"))?;
            sweep(
                &file,
                jobs,
                shard.as_deref(),
                resume,
                dir.as_deref(),
                &out,
                quiet,
            )
        }
        Cmd::Report { dir } => report_dir(&dir),
    }
}

fn run_experiment(
    path: &Path,
    set: &[String],
    out: &Path,
    write_result: Option<&Path>,
) -> Result<()> {
    match sparsim::experiment::load(path, set).map_err(bad)? {
        Loaded::Piuma { file, exp } => run_piuma(&exp, &file, out, write_result),
        Loaded::Cachesim {
            hierarchy,
            trace,
            overrides,
            ..
        } => {
            if write_result.is_some() {
                return Err(bad("--write-result applies to PIUMA runs only"));
            }
            run_cachesim(&hierarchy, &trace, &overrides, out)
        }
    }
}

/// Reads a TOML file into a table; problems are bad input naming the file.
fn read_toml_table(path: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("{}: cannot read: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        bad(format!(
            "{}: not valid TOML: {}",
            path.display(),
            e.to_string().trim().replace('\n', " ")
        ))
    })
}

fn run_piuma_flags(
    machine: Option<&Path>,
    workload: Option<&Path>,
    kernel: &str,
    set: &[String],
    out: &Path,
    write_result: Option<&Path>,
) -> Result<()> {
    let workload = workload.ok_or_else(|| bad("--kernel needs --workload A.mtx"))?;
    let mut exp = toml::Table::new();
    exp.insert("kind".into(), "piuma".into());
    exp.insert("name".into(), kernel.into());
    exp.insert("kernel".into(), kernel.into());
    let file = std::fs::canonicalize(workload)
        .unwrap_or(workload.to_path_buf())
        .display()
        .to_string();
    let mut a = toml::Table::new();
    a.insert("file".into(), file.into());
    let mut w = toml::Table::new();
    w.insert("a".into(), a.into());
    exp.insert("workload".into(), w.into());
    if let Some(m) = machine {
        let machine = read_toml_table(m)?;
        exp.insert("piuma".into(), machine.into());
    }
    let text = toml::to_string(&exp)?;
    let here = Path::new("(command line)");
    let exp: PiumaExperiment =
        sparsim::config::parse(&text, machine.unwrap_or(here), set).map_err(bad)?;
    run_piuma(&exp, here, out, write_result)
}

fn run_piuma(
    exp: &PiumaExperiment,
    path: &Path,
    out: &Path,
    write_result: Option<&Path>,
) -> Result<()> {
    if exp.kind != "piuma" {
        return Err(bad(format!(
            "{}: key `kind` must be \"piuma\"",
            path.display()
        )));
    }
    exp.piuma.check().map_err(|e| bad(e.in_file(path)))?;
    let (a, b) = sparsim::experiment::load_matrices(exp, path).map_err(bad)?;
    let result_file = match write_result {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
                .map_err(|e| {
                    bad(format!(
                        "{}: cannot create ({e}); the output must not exist already",
                        p.display()
                    ))
                })?,
        ),
        None => None,
    };
    println!(
        "{}: {} on {} x {} ({} entries) times {} x {} ({} entries)",
        exp.name,
        exp.kernel.name(),
        a.n_rows,
        a.n_cols,
        a.nnz(),
        b.n_rows,
        b.n_cols,
        b.nnz()
    );
    let outcome = match sparsim::experiment::run_piuma(exp, path, &a, &b) {
        Ok(o) => o,
        Err(sparsim::experiment::ExperimentError::Run(e)) => {
            return Err(anyhow::Error::new(e).context("simulation failed"))
        }
        Err(e) => return Err(bad(e)),
    };
    let d = &outcome.report.derived;
    let m = |k: &str| d.get(k).map(|m| fmt_num(m.value)).unwrap_or_default();
    println!(
        "cycles {} ({} us at {} MHz), C has {} entries",
        m("cycles"),
        m("time_us"),
        exp.piuma.clock_mhz,
        m("c_nnz")
    );
    println!("IPC per core {}, pipeline utilization {}, DRAM {} x 8 B accesses at {} GB/s ({} of its column-rate bound), row hit rate {}", m("ipc_per_core"), m("pipeline_utilization"), m("dram.accesses_8b"), m("dram.bandwidth_gb_s"), m("dram.column_bound_use"), m("dram.row_hit_rate"));
    println!(
        "thread-cycles: issue {}, memory {}, atomic {}, barrier {}, wait {}, finished {}, other {}",
        m("thread_cycles.issue"),
        m("thread_cycles.memory"),
        m("thread_cycles.atomic"),
        m("thread_cycles.barrier"),
        m("thread_cycles.wait"),
        m("thread_cycles.finished"),
        m("thread_cycles.other")
    );
    let secs = outcome.wall.as_secs_f64();
    println!(
        "simulation speed: {} simulated instructions in {secs:.3} s = {:.2} M instructions/s",
        outcome.instructions,
        outcome.instructions as f64 / secs.max(1e-9) / 1e6
    );
    if let Some(f) = result_file {
        let mut w = std::io::BufWriter::new(f);
        sparsim::workload::mtx::write(&outcome.c, &mut w)?;
        std::io::Write::flush(&mut w)?;
        println!(
            "C written to {}",
            write_result.expect("file opened from it").display()
        );
    }
    let dir = outcome
        .report
        .write(out)
        .with_context(|| format!("writing the report under {}", out.display()))?;
    println!("report: {}", dir.display());
    Ok(())
}

fn run_cachesim(hierarchy: &Path, trace_path: &Path, set: &[String], out: &Path) -> Result<()> {
    let (h, energy) = cachesim::load(hierarchy, set).map_err(bad)?;
    let reader = trace::open(trace_path).map_err(bad)?;
    let size = std::fs::metadata(trace_path).map(|m| m.len()).unwrap_or(0);
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} simulating {msg} [{elapsed_precise}]")
            .expect("valid template"),
    );
    bar.set_message(trace_path.display().to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let energy_ref = energy
        .as_ref()
        .map(|(p, t)| (p.to_str().unwrap_or("energy table"), t));
    let outcome = h.run(
        Box::new(reader) as Box<dyn Program>,
        &trace_path.display().to_string(),
        energy_ref,
    );
    bar.finish_and_clear();
    let outcome = match outcome {
        Ok(o) => o,
        Err(CachesimError::Run(e)) => {
            return Err(anyhow::Error::new(e).context("simulation failed"))
        }
        Err(e) => return Err(bad(e)),
    };
    print_cachesim(&outcome.report);
    let accesses = outcome
        .report
        .stats
        .iter()
        .filter(|s| s.name == "core.responses")
        .map(|s| s.value)
        .next()
        .unwrap_or(0);
    let secs = outcome.wall.as_secs_f64();
    println!(
        "simulation speed: {} events, {} accesses in {:.3} s = {:.2} M accesses/s",
        outcome.report.n_events,
        accesses,
        secs,
        accesses as f64 / secs.max(1e-9) / 1e6
    );
    let dir = outcome
        .report
        .write(out)
        .with_context(|| format!("writing the report under {}", out.display()))?;
    println!("report: {}", dir.display());
    Ok(())
}

fn print_cachesim(r: &RunReport) {
    let g = |k: &str| {
        r.stats
            .iter()
            .find(|s| s.name == k)
            .map(|s| s.value)
            .unwrap_or(0)
    };
    let levels: Vec<String> = r.config["level"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    println!(
        "{:<6} {:>11} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10} {:>10}",
        "level",
        "accesses",
        "misses",
        "inst miss",
        "read miss",
        "write miss",
        "miss %",
        "writebacks",
        "mshr stall"
    );
    for l in &levels {
        let acc = r
            .derived
            .get(&format!("{l}.accesses"))
            .map(|m| m.value)
            .unwrap_or(0.0);
        let miss = r
            .derived
            .get(&format!("{l}.misses"))
            .map(|m| m.value)
            .unwrap_or(0.0);
        println!(
            "{:<6} {:>11} {:>10} {:>10} {:>10} {:>10} {:>8.3}% {:>10} {:>10}",
            l,
            acc,
            miss,
            g(&format!("{l}.inst_misses")),
            g(&format!("{l}.read_misses")),
            g(&format!("{l}.write_misses")),
            if acc > 0.0 { 100.0 * miss / acc } else { 0.0 },
            g(&format!("{l}.writebacks_sent")),
            g(&format!("{l}.mshr_stalls"))
        );
    }
    let m = |k: &str| {
        r.derived
            .get(k)
            .map(|m| fmt_num(m.value))
            .unwrap_or_default()
    };
    println!(
        "dram: {} reads, {} writes, row hit rate {}, {} GB/s of {} GB/s peak, avg read latency {} ns",
        g("dram.reads"),
        g("dram.writes"),
        m("dram.row_hit_rate"),
        m("dram.bandwidth_gb_s"),
        m("dram.peak_bandwidth_gb_s"),
        m("dram.avg_read_latency_ns")
    );
    println!(
        "core: {} cycles, AMAT {} cycles; energy {:.3} uJ ({} stats unpriced)",
        m("core.cycles"),
        m("core.amat_cycles"),
        r.energy.total_pj / 1e6,
        r.energy.unpriced.len()
    );
}

fn validate(files: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for f in files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| bad(format!("{}: cannot read: {e}", f.display())))?;
        let result = if text.lines().any(|l| l.trim_start().starts_with("kind")) {
            sparsim::experiment::load(f, &[]).map(|_| ())
        } else if text.contains("[[level]]") {
            cachesim::load(f, &[]).map(|_| ()).map_err(Into::into)
        } else {
            // A bare PIUMA machine config (what `run --machine` takes).
            sparsim::config::load::<sparsim::machines::piuma::PiumaConfig>(f, &[])
                .and_then(|c| c.check().map_err(|e| e.in_file(f)))
                .map_err(Into::into)
        };
        match result {
            Ok(()) => println!("ok: {}", f.display()),
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(bad(format!(
            "{failed} of {} files failed validation",
            files.len()
        )));
    }
    Ok(())
}

fn workload_gen(kind: GenKind, seed: u64, out: Option<&Path>) -> Result<()> {
    use sparsim::workload::gen::Generator;
    let out = out.ok_or_else(|| bad("--out FILE is required: where to write the matrix"))?;
    let limit = |what: &str, v: u64, max: u64| {
        if v == 0 || v > max {
            Err(bad(format!("--{what} = {v}: must be in 1..={max}")))
        } else {
            Ok(())
        }
    };
    let g = match kind {
        GenKind::Rmat {
            scale,
            edge_factor,
            abc,
        } => {
            limit("scale", scale as u64, 26)?;
            limit("edge-factor", edge_factor as u64, 1024)?;
            if abc.iter().any(|p| !(0.0..=1.0).contains(p)) || abc.iter().sum::<f64>() > 1.0 {
                return Err(bad(
                    "--abc: a, b and c must be probabilities whose sum is at most 1",
                ));
            }
            Generator::Rmat {
                scale,
                edge_factor,
                abc: [abc[0], abc[1], abc[2]],
            }
        }
        GenKind::Er { n, nnz_per_row } => {
            limit("n", n as u64, 1 << 26)?;
            limit("nnz-per-row", nnz_per_row as u64, n as u64)?;
            Generator::ErdosRenyi { n, nnz_per_row }
        }
        GenKind::Stencil5 { nx, ny } => {
            limit("nx", nx as u64, 1 << 13)?;
            limit("ny", ny as u64, 1 << 13)?;
            Generator::Stencil5 { nx, ny }
        }
        GenKind::Stencil7 { n } => {
            limit("n", n as u64, 400)?;
            Generator::Stencil7 { n }
        }
        GenKind::Stencil27 { n } => {
            limit("n", n as u64, 200)?;
            Generator::Stencil27 { n }
        }
        GenKind::Banded { n, half_width } => {
            limit("n", n as u64, 1 << 24)?;
            Generator::Banded { n, half_width }
        }
        GenKind::Powerlaw { n, avg_nnz, alpha } => {
            limit("n", n as u64, 1 << 24)?;
            limit("avg-nnz", avg_nnz as u64, n as u64)?;
            if !(alpha.is_finite() && alpha > 0.0) {
                return Err(bad(format!("--alpha = {alpha}: must be positive")));
            }
            Generator::PowerLawRows { n, avg_nnz, alpha }
        }
    };
    let m = g.generate(seed);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(|e| {
            bad(format!(
                "{}: cannot create ({e}); the output must not exist already",
                out.display()
            ))
        })?;
    let mut w = std::io::BufWriter::new(file);
    sparsim::workload::mtx::write(&m, &mut w)?;
    std::io::Write::flush(&mut w)?;
    println!(
        "wrote {} x {} with {} entries to {}",
        m.n_rows,
        m.n_cols,
        m.nnz(),
        out.display()
    );
    Ok(())
}

fn workload_info(file: &Path) -> Result<()> {
    let m = sparsim::workload::mtx::read(file).map_err(bad)?;
    let lens: Vec<usize> = (0..m.n_rows).map(|i| m.row(i).0.len()).collect();
    let max = lens.iter().copied().max().unwrap_or(0);
    let mean = if m.n_rows > 0 {
        m.nnz() as f64 / m.n_rows as f64
    } else {
        0.0
    };
    println!(
        "{}: {} x {}, {} stored entries, row length mean {mean:.2}, max {max}",
        file.display(),
        m.n_rows,
        m.n_cols,
        m.nnz()
    );
    Ok(())
}

fn trace_show(file: &Path, limit: u64) -> Result<()> {
    let reader = trace::open(file).map_err(bad)?;
    for (i, op) in reader.enumerate() {
        if i as u64 >= limit {
            break;
        }
        let op = op.map_err(bad)?;
        println!("{:?} {:#x} {}", op.class, op.addr, op.size);
    }
    Ok(())
}

fn trace_convert(input: &Path, output: &Path, text: bool, level: i32) -> Result<()> {
    let reader = trace::open(input).map_err(bad)?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(output)
        .map_err(|e| {
            bad(format!(
                "{}: cannot create ({e}); the output must not exist already",
                output.display()
            ))
        })?;
    let fmt = if text { Format::Text } else { Format::Binary };
    let mut w = TraceWriter::new(Box::new(file), fmt, (!text && level > 0).then_some(level))?;
    let mut n = 0u64;
    for op in reader {
        let op = match op {
            Ok(op) => op,
            Err(e) => {
                drop(w);
                let _ = std::fs::remove_file(output);
                return Err(bad(e));
            }
        };
        w.write(&op)?;
        n += 1;
    }
    w.finish()?;
    println!("wrote {n} operations to {}", output.display());
    Ok(())
}

/// `--jobs` of `reproduce` and `scaling`: runs at once, the host's cores if not given.
fn run_jobs(jobs: Option<usize>) -> Result<usize> {
    match jobs {
        Some(0) => Err(bad(
            "--jobs 0: give at least 1 (runs at once, one per host thread)",
        )),
        Some(n) => Ok(n),
        None => Ok(sparsim::parallel::default_jobs()),
    }
}

/// The die `reproduce` runs: the defaults (`configs/piuma/piuma.toml`) with `set` applied.
fn reproduce_die(set: &[String]) -> Result<sparsim::machines::piuma::PiumaConfig> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Die {
        #[serde(default)]
        piuma: sparsim::machines::piuma::PiumaConfig,
    }
    let from = Path::new("(reproduce --set)");
    let die: Die = sparsim::config::parse("", from, set).map_err(bad)?;
    die.piuma.check().map_err(|e| bad(e.in_file(from)))?;
    Ok(die.piuma)
}

fn reproduce(
    what: &str,
    only: &[String],
    kernel_names: &[String],
    set: &[String],
    jobs: usize,
    out: &Path,
) -> Result<()> {
    use sparsim::machines::piuma::kernels::KernelKind;
    use sparsim::reproduce::{geomean, run_case, smash_cases, workloads_dir, SMASH_HEADLINE};
    if what != "smash" {
        return Err(bad(format!("unknown reproduction {what:?}; available: smash (sat and sparsebytenn come with their machines)")));
    }
    let mut cases = smash_cases(&workloads_dir()).map_err(bad)?;
    if !only.is_empty() {
        let names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
        if let Some(unknown) = only.iter().find(|o| !names.contains(o)) {
            return Err(bad(format!(
                "--only: no matrix {unknown:?} in the set; choose from {names:?}"
            )));
        }
        cases.retain(|c| only.contains(&c.name));
    }
    let cfg = reproduce_die(set)?;
    let is_smash = |k: &KernelKind| {
        matches!(
            k,
            KernelKind::SmashV1 | KernelKind::SmashV2 | KernelKind::SmashV3
        )
    };
    let mut kernels = KernelKind::ALL.to_vec();
    if !kernel_names.is_empty() {
        let names: Vec<&str> = kernels.iter().map(|k| k.name()).collect();
        if let Some(unknown) = kernel_names.iter().find(|k| !names.contains(&k.as_str())) {
            return Err(bad(format!(
                "--kernels: no kernel {unknown:?}; choose from {names:?}"
            )));
        }
        kernels.retain(|k| kernel_names.iter().any(|n| n == k.name()));
        if !kernels.iter().any(is_smash) {
            return Err(bad(
                "--kernels: include at least one SMASH version (smash-v1, smash-v2, smash-v3)",
            ));
        }
    }
    let bar = indicatif::ProgressBar::new((cases.len() * kernels.len()) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} runs [{elapsed_precise}, eta {eta}] {msg}",
        )
        .expect("valid template"),
    );
    // Every (matrix, kernel) run, the matrices with the most multiplications first, so the
    // longest runs start first and the host threads stay busy to the end.
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&ci| std::cmp::Reverse(cases[ci].a.product_flops(&cases[ci].a)));
    let runs: Vec<(usize, usize)> = order
        .iter()
        .flat_map(|&ci| (0..kernels.len()).map(move |ki| (ci, ki)))
        .collect();
    bar.set_message(format!("{jobs} at a time"));
    let started = std::time::Instant::now();
    let results = sparsim::parallel::map_in_order(
        jobs,
        &runs,
        |&(ci, ki)| run_case(kernels[ki], &cases[ci].a, &cfg),
        |_| bar.inc(1),
    );
    let wall = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let mut cells: Vec<Vec<Option<sparsim::reproduce::Cell>>> =
        vec![vec![None; kernels.len()]; cases.len()];
    for (&(ci, ki), cell) in runs.iter().zip(results) {
        cells[ci][ki] = Some(cell);
    }
    let cells: Vec<Vec<sparsim::reproduce::Cell>> = cells
        .into_iter()
        .map(|row| row.into_iter().map(|c| c.expect("every run ran")).collect())
        .collect();
    let dir = sparsim::report::fresh_dir(out, "reproduce-smash")?;
    let mut md = String::from("# SMASH on PIUMA: simulated cycles per kernel (A x A, default die: configs/piuma/piuma.toml)\n\n");
    if !set.is_empty() {
        md.push_str(&format!("Overrides: {}\n\n", set.join(", ")));
    }
    md.push_str("| matrix | rows | nnz(A) |");
    for k in &kernels {
        md.push_str(&format!(" {} |", k.name()));
    }
    md.push_str("\n| --- | ---: | ---: |");
    for _ in &kernels {
        md.push_str(" ---: |");
    }
    md.push('\n');
    for (case, row) in cases.iter().zip(&cells) {
        md.push_str(&format!(
            "| {} | {} | {} |",
            case.name,
            case.a.n_rows,
            case.a.nnz()
        ));
        for c in row {
            md.push_str(&match (c.cycles, &c.skipped) {
                (Some(cy), _) => format!(" {cy} |"),
                (None, Some(why)) => format!(" skipped ({why}) |"),
                _ => " - |".into(),
            });
        }
        md.push('\n');
    }
    // Per matrix, the fastest SMASH version (the headline is "the SMASH kernel" over the others).
    let best: Vec<Option<usize>> = cells
        .iter()
        .map(|row| {
            kernels
                .iter()
                .enumerate()
                .filter(|(_, k)| is_smash(k))
                .filter_map(|(ki, _)| row[ki].cycles.map(|c| (c, ki)))
                .min()
                .map(|(_, ki)| ki)
        })
        .collect();
    md.push_str("\nBest SMASH version per matrix: ");
    md.push_str(
        &cases
            .iter()
            .zip(&best)
            .map(|(c, b)| format!("{} {}", c.name, b.map_or("-", |ki| kernels[ki].name())))
            .collect::<Vec<_>>()
            .join(", "),
    );
    md.push_str(".\n");
    md.push_str(&format!("\n## Speedup of the best SMASH version over each baseline (paper headline: {SMASH_HEADLINE}x over competing approaches [S1])\n\n| baseline | per matrix | geometric mean | paper | ours / paper |\n| --- | --- | ---: | ---: | ---: |\n"));
    for (ki, k) in kernels.iter().enumerate().filter(|(_, k)| !is_smash(k)) {
        let mut per = Vec::new();
        let mut txt = Vec::new();
        for ((case, row), b) in cases.iter().zip(&cells).zip(&best) {
            if let (Some(b), Some(bi)) = (row[ki].cycles, b) {
                let s = row[*bi].cycles.expect("the best version ran");
                let x = b as f64 / s as f64;
                per.push(x);
                txt.push(format!("{} {:.2}x", case.name, x));
            }
        }
        let g = geomean(&per);
        md.push_str(&format!(
            "| {} | {} | {} | {SMASH_HEADLINE}x | {} |\n",
            k.name(),
            txt.join(", "),
            g.map(|g| format!("{g:.2}x")).unwrap_or("-".into()),
            g.map(|g| format!("{:.2}", g / SMASH_HEADLINE))
                .unwrap_or("-".into())
        ));
    }
    md.push_str("\n## Where the thread-cycles go, per SMASH version: memory / atomic / barrier / wait / issue / finished / other\n\n(other = ready but not picked by the pipeline, or waiting out an ALU latency)\n\n");
    for (case, row) in cases.iter().zip(&cells) {
        for (ki, k) in kernels.iter().enumerate().filter(|(_, k)| is_smash(k)) {
            let s = row[ki].stalls;
            md.push_str(&format!(
                "- {} {}: {:.3} / {:.3} / {:.3} / {:.3} / {:.3} / {:.3} / {:.3}\n",
                case.name,
                k.name(),
                s[0],
                s[1],
                s[2],
                s[3],
                s[4],
                s[5],
                s[6]
            ));
        }
    }
    let total_ins: u64 = cells.iter().flatten().map(|c| c.instructions).sum();
    let total_s: f64 = cells.iter().flatten().map(|c| c.wall_s).sum();
    md.push_str(&format!("\nSimulation speed over all runs: {total_ins} instructions in {total_s:.1} s of run time = {:.2} M instructions/s per run; {} runs, {jobs} at a time, took {wall:.1} s.\n", total_ins as f64 / total_s.max(1e-9) / 1e6, runs.len()));
    std::fs::write(dir.join("summary.md"), &md)?;
    let groups: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    let series: Vec<(String, Vec<Option<f64>>)> = kernels
        .iter()
        .enumerate()
        .map(|(ki, k)| {
            let bars: Vec<Option<f64>> = cells
                .iter()
                .zip(&best)
                .map(|(r, b)| match (r[ki].cycles, b.and_then(|b| r[b].cycles)) {
                    (Some(c), Some(s)) => Some(c as f64 / s as f64),
                    _ => None,
                })
                .collect();
            // A missing bar (a run skipped or failed, or no SMASH version to compare with) is named in
            // the legend, not left as a silent gap.
            let missing: Vec<&str> = bars
                .iter()
                .zip(&groups)
                .filter(|(v, _)| v.is_none())
                .map(|(_, g)| g.as_str())
                .collect();
            let label = if missing.is_empty() {
                k.name().to_string()
            } else {
                format!("{} (no result: {})", k.name(), missing.join(", "))
            };
            (label, bars)
        })
        .collect();
    sparsim::report::plot::grouped_bars(
        &dir.join("cycles_per_kernel.svg"),
        "SpGEMM on PIUMA (A x A): cycles relative to the best SMASH version",
        "cycles / best SMASH cycles",
        &groups,
        &series,
    )
    .map_err(anyhow::Error::msg)?;
    // Stacked thread-cycle shares of each SMASH version on each matrix.
    let smash_ks: Vec<usize> = (0..kernels.len())
        .filter(|&ki| is_smash(&kernels[ki]))
        .collect();
    let kernels = &kernels;
    let stall_groups: Vec<String> = cases
        .iter()
        .flat_map(|c| {
            smash_ks
                .iter()
                .map(move |&ki| format!("{} {}", c.name, kernels[ki].name()))
        })
        .collect();
    let stall_series: Vec<(String, Vec<Option<f64>>)> = [
        "memory", "atomic", "barrier", "wait", "issue", "finished", "other",
    ]
    .iter()
    .enumerate()
    .map(|(si, n)| {
        (
            n.to_string(),
            cells
                .iter()
                .flat_map(|r| smash_ks.iter().map(move |&ki| Some(r[ki].stalls[si])))
                .collect(),
        )
    })
    .collect();
    let fig = sparsim::report::plot::Figure::Bars {
        title: "SMASH versions: share of thread-cycles".into(),
        y_label: "share of thread-cycles".into(),
        groups: stall_groups,
        series: stall_series,
        stacked: true,
    };
    sparsim::report::plot::save(&fig, &dir.join("smash_stalls")).map_err(anyhow::Error::msg)?;
    print!("{md}");
    println!("\nwritten: {}", dir.display());
    Ok(())
}

fn scaling(path: &Path, set: &[String], jobs: usize, out: &Path) -> Result<()> {
    let exp: PiumaExperiment = sparsim::config::load(path, set).map_err(bad)?;
    exp.piuma.check().map_err(|e| bad(e.in_file(path)))?;
    let (a, b) = sparsim::experiment::load_matrices(&exp, path).map_err(bad)?;
    let mut pts = Vec::new();
    // Beside each point, what bounds it: DRAM's column rate, or where the threads wait.
    let mut md = format!(
        "# Thread scaling: {} on {}\n\n\
         DRAM use is the DRAM bandwidth over its column-rate bound (`dram.column_bound_use`); \
         memory, atomic, barrier and finished are shares of thread-cycles.\n\n\
         | threads per MTP | threads per core | cycles | speedup over 1 | DRAM GB/s | DRAM use | memory | atomic | barrier | finished |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        exp.kernel.name(),
        exp.name
    );
    println!(
        "threads per MTP: cycles, speedup; DRAM GB/s (use of its column-rate bound); \
         thread-cycles memory / atomic / barrier / finished"
    );
    let mut base = None;
    let mut dram_pts = Vec::new();
    let counts = [1u64, 2, 4, 8, 16, 32, 64];
    let bar = indicatif::ProgressBar::new(counts.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} runs [{elapsed_precise}, eta {eta}] {msg}",
        )
        .expect("valid template"),
    );
    bar.set_message(format!("{jobs} at a time"));
    let outcomes = sparsim::parallel::map_in_order(
        jobs,
        &counts,
        |&t| {
            let mut e = exp.clone();
            e.piuma.threads_per_mtp = t;
            sparsim::experiment::run_piuma(&e, path, &a, &b).map(|o| (e, o))
        },
        |_| bar.inc(1),
    );
    bar.finish_and_clear();
    for (t, outcome) in counts.into_iter().zip(outcomes) {
        let (e, o) = outcome.map_err(bad)?;
        let d = &o.report.derived;
        let v = |k: &str| d.get(k).map_or(0.0, |m| m.value);
        let cycles = v("cycles");
        let b0 = *base.get_or_insert(cycles);
        let (gbs, used) = (v("dram.bandwidth_gb_s"), v("dram.column_bound_use"));
        let shares = ["memory", "atomic", "barrier", "finished"]
            .map(|k| format!("{:.2}", v(&format!("thread_cycles.{k}"))));
        md.push_str(&format!(
            "| {t} | {} | {cycles} | {:.2} | {gbs:.2} | {used:.2} | {} |\n",
            e.piuma.threads_per_core(),
            b0 / cycles,
            shares.join(" | ")
        ));
        pts.push((t as f64, b0 / cycles));
        dram_pts.push((t as f64, used));
        println!(
            "threads per MTP {t:>2}: {cycles} cycles, speedup {:.2}; DRAM {gbs:.2} GB/s ({used:.2}); {}",
            b0 / cycles,
            shares.join(" / ")
        );
    }
    let dir = sparsim::report::fresh_dir(out, &format!("scaling-{}", exp.name))?;
    std::fs::write(dir.join("summary.md"), md)?;
    sparsim::report::plot::lines(
        &dir.join("scaling.svg"),
        &format!("Thread scaling: {}", exp.kernel.name()),
        "threads per MTP (log)",
        "ratio",
        &[
            (
                format!("{}: speedup over 1 thread per MTP", exp.kernel.name()),
                pts,
            ),
            ("DRAM bandwidth / column-rate bound".to_string(), dram_pts),
        ],
    )
    .map_err(anyhow::Error::msg)?;
    println!("written: {}", dir.display());
    Ok(())
}

fn bench(scale: f64) -> Result<()> {
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
    let trace = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../workloads/traces/kernel.lackey.zst"
    ));
    let hier = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../configs/cachesim/cachegrind.toml"
    ));
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
    let smash = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../configs/experiments/smash-bcsstk13.toml"
    ));
    if smash.exists() {
        // SMASH V1 on bcsstk13, its first `n(1e6)` cycles; timed like `run` times itself: the
        // run loop only, without loading the matrix or building the programs.
        let limit = format!("max_cycles={}", n(1e6).max(1));
        let exp: PiumaExperiment = sparsim::config::load(&smash, &[limit]).map_err(bad)?;
        let (a, b) = sparsim::experiment::load_matrices(&exp, &smash).map_err(bad)?;
        let out = sparsim::experiment::run_piuma(&exp, &smash, &a, &b)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let s = out.wall.as_secs_f64();
        println!(
            "{:<44} {:>10.2} M instructions/s  ({} in {s:.2} s)",
            format!("piuma: SMASH V1 on bcsstk13, {} cycles", n(1e6).max(1)),
            out.instructions as f64 / s / 1e6,
            out.instructions
        );
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
    let file = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../configs/sweeps/cachesim-size-ways.toml"
    ));
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

fn sweep_error(e: sparsim::sweep::SweepError) -> anyhow::Error {
    match e {
        sparsim::sweep::SweepError::Input(_) => bad(e),
        other => anyhow::Error::new(other),
    }
}

fn sweep(
    file: &Path,
    jobs: Option<usize>,
    shard: Option<&str>,
    resume: bool,
    dir: Option<&Path>,
    out: &Path,
    quiet: bool,
) -> Result<()> {
    use sparsim::sweep::{self as sw, Shard};
    let shard: Option<Shard> = shard.map(str::parse).transpose().map_err(sweep_error)?;
    let jobs = match jobs {
        Some(0) => return Err(bad("--jobs 0: give at least 1")),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let sweep = sw::Sweep::load(file).map_err(sweep_error)?;
    let mut prep = sw::prepare(&sweep, out, shard, dir, resume).map_err(sweep_error)?;
    let total = prep.manifest.points().len();
    println!(
        "sweep {}: {} points{}, {} already done{}; {} jobs; {}",
        sweep.file.name,
        total,
        shard.map_or(String::new(), |s| format!(
            " in shard {s} (of {})",
            sweep.points.len()
        )),
        prep.done.len(),
        if prep.torn {
            " (a torn last line was dropped)"
        } else {
            ""
        },
        jobs,
        prep.dir.display()
    );
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(total as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} points [{elapsed_precise}, {per_sec}, ETA {eta}] {msg}",
        )
        .expect("valid template"),
    );
    bar.set_position(prep.done.len() as u64);
    bar.reset_eta();
    let mut failed_now = 0;
    let summary = sw::execute(&mut prep, jobs, |rec, done, _| {
        bar.set_position(done as u64);
        if rec.status == sw::Status::Failed {
            failed_now += 1;
            bar.set_message(format!("{failed_now} failed"));
            bar.suspend(|| {
                eprintln!(
                    "point {} ({} {}) failed: {}",
                    rec.index,
                    rec.workload,
                    rec.overrides.join(" "),
                    rec.error.as_deref().unwrap_or("?")
                )
            });
        }
    })
    .map_err(sweep_error)?;
    bar.finish_and_clear();
    let n = summary.ran.max(1) as f64;
    let overhead = (summary.timing.resolve + summary.timing.record).as_secs_f64() / n * 1e3;
    println!(
        "ran {} points in {:.2} s ({:.1} points/s), {} skipped, {} failed in all; per point: resolve + record {:.2} ms, run {:.1} ms",
        summary.ran,
        summary.wall.as_secs_f64(),
        summary.ran as f64 / summary.wall.as_secs_f64().max(1e-9),
        summary.skipped,
        summary.failed,
        overhead,
        summary.timing.run.as_secs_f64() / n * 1e3
    );
    let r = sw::render::render(&prep.dir).map_err(sweep_error)?;
    for s in &r.skipped {
        eprintln!("note: {s}");
    }
    println!(
        "results: {}, {} plots, {}",
        prep.dir.join("results.jsonl").display(),
        r.plots.len(),
        r.index.display()
    );
    if summary.ran + summary.skipped < summary.total {
        return Err(anyhow::anyhow!("the sweep stopped before every point ran"));
    }
    Ok(())
}

fn sweep_merge(dirs: &[PathBuf], out: &Path) -> Result<()> {
    let (dir, n) = sparsim::sweep::merge(dirs, out).map_err(sweep_error)?;
    let r = sparsim::sweep::render::render(&dir).map_err(sweep_error)?;
    println!(
        "merged {} directories: {n} points into {}; {}",
        dirs.len(),
        dir.join("results.jsonl").display(),
        r.index.display()
    );
    Ok(())
}

fn report_dir(dir: &Path) -> Result<()> {
    if dir.join("sweep.json").exists() {
        let r = sparsim::sweep::render::render(dir).map_err(sweep_error)?;
        for s in &r.skipped {
            eprintln!("note: {s}");
        }
        println!("{} ({} plots)", r.index.display(), r.plots.len());
        return Ok(());
    }
    if dir.join("report.json").exists() {
        let index = sparsim::report::render_dir(dir).map_err(bad)?;
        println!("{}", index.display());
        return Ok(());
    }
    Err(bad(format!(
        "{}: has neither report.json (a run) nor sweep.json (a sweep); give a directory that sparsim run or sparsim sweep wrote",
        dir.display()
    )))
}
