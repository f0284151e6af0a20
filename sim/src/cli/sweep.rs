//! `sparsim sweep FILE` (run a design-space sweep, sharded or resumed) and `sparsim sweep merge`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{bad, progress_bar};

/// Run a design-space sweep (or merge sweep directories): `sweep FILE [--jobs N] [--shard i/N]
/// [--resume [DIR]] [--dir DIR]`, `sweep merge DIR... --out DIR`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
#[command(after_help = "Examples:
  sparsim sweep configs/sweeps/cachesim-size-ways.toml --jobs 2
  sparsim sweep configs/sweeps/piuma-threads-spad.toml --shard 1/2   (and 2/2, anywhere)
  sparsim sweep merge reports/piuma-threads-spad.shard-*-of-2 --out reports/piuma-threads-spad-all")]
pub struct SweepArgs {
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
    /// Continue a sweep directory, running only the points it has no result for: the one given
    /// here, or --dir, or the sweep's own under --out.
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    resume: Option<Option<PathBuf>>,
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

/// `sparsim sweep`.
pub fn run(args: SweepArgs) -> Result<()> {
    match args.cmd {
        Some(SweepCmd::Merge { dirs, out }) => sweep_merge(&dirs, &out),
        None => {
            let file = args.file.ok_or_else(|| {
                bad("sweep: give a sweep file, e.g. sparsim sweep configs/sweeps/cachesim-size-ways.toml")
            })?;
            let dir = match (&args.resume, &args.dir) {
                (Some(Some(r)), Some(d)) if r != d => {
                    return Err(bad(format!(
                        "--resume {} and --dir {} name two directories; give one",
                        r.display(),
                        d.display()
                    )))
                }
                (Some(Some(r)), _) => Some(r.clone()),
                (_, d) => d.clone(),
            };
            sweep(
                &file,
                args.jobs,
                args.shard.as_deref(),
                args.resume.is_some(),
                dir.as_deref(),
                &args.out,
                args.quiet,
            )
        }
    }
}

pub fn sweep_error(e: sparsim::sweep::SweepError) -> anyhow::Error {
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
    let jobs = super::jobs(jobs)?;
    let sweep = sw::Sweep::load(file).map_err(sweep_error)?;
    super::check_writable(dir.unwrap_or(out))?;
    if !resume && dir.is_none() {
        offer_resume(file, &sw::default_dir(out, &sweep, shard), &sweep.hash);
    }
    let mut prep = sw::prepare(&sweep, out, shard, dir, resume).map_err(sweep_error)?;
    say_how_to_resume_on_interrupt(file, &prep.dir);
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
        progress_bar(total as u64, "points")
    };
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
    if summary.failed > 0 {
        return Err(anyhow::anyhow!(
            "{} of {} points failed (each failure is above and in results.jsonl with its error); the others' results are recorded",
            summary.failed,
            summary.total
        ));
    }
    Ok(())
}

/// When `default` (the directory a new run of this sweep would have taken) holds this very
/// sweep unfinished, says how to continue it: the run about to start makes a fresh directory.
fn offer_resume(file: &Path, default: &Path, hash: &str) {
    let Ok(old) = sparsim::sweep::Manifest::read(default) else {
        return;
    };
    if old.sweep_hash != hash {
        return;
    }
    let total = old.points().len();
    let done =
        sparsim::sweep::results::read(&default.join("results.jsonl"), Some(hash)).map_or(0, |c| {
            c.records
                .iter()
                .map(|r| &r.id)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        });
    if done < total {
        eprintln!(
            "note: {} holds {done} of {total} points of this same sweep; this run starts a new directory. To continue that one instead: sparsim sweep {} --resume {}",
            default.display(),
            file.display(),
            default.display()
        );
    }
}

/// The message Ctrl-C prints, made before the sweep runs (a signal handler may not allocate).
static INTERRUPTED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

extern "C" fn on_interrupt(_: libc::c_int) {
    if let Some(m) = INTERRUPTED.get() {
        // SAFETY: write(2) and _exit(2) are async-signal-safe; the buffer lives for the process.
        unsafe {
            libc::write(2, m.as_ptr().cast(), m.len());
        }
    }
    // SAFETY: as above; 130 is the shell's code for a process ended by SIGINT.
    unsafe { libc::_exit(130) }
}

/// On Ctrl-C, says where the finished points are and how to continue (every finished point is
/// already synced to `results.jsonl`), then exits 130.
fn say_how_to_resume_on_interrupt(file: &Path, dir: &Path) {
    let msg = format!(
        "\ninterrupted: every finished point is in {}; continue with: sparsim sweep {} --resume {}\n",
        dir.join("results.jsonl").display(),
        file.display(),
        dir.display()
    );
    if INTERRUPTED.set(msg.into_bytes()).is_ok() {
        // SAFETY: installs a handler that only writes a prepared buffer and exits.
        unsafe {
            libc::signal(
                libc::SIGINT,
                on_interrupt as *const () as libc::sighandler_t,
            );
        }
    }
}

fn sweep_merge(dirs: &[PathBuf], out: &Path) -> Result<()> {
    super::check_writable(out)?;
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
