//! The subcommands, one file each, and the helpers several of them use: bad input (exit code 2),
//! creating an output that must not exist, checking an output folder is writable, the progress
//! bar, and `--jobs`.

pub mod bench;
pub mod kernel;
pub mod list;
pub mod report;
pub mod reproduce;
pub mod run;
pub mod scalesim;
pub mod sweep;
pub mod trace;
pub mod validate;
pub mod workload;

use std::fs::File;
use std::path::Path;

use sparsim::machines::ExperimentError;

/// A bad-input error (exit code 2), carrying the message that names the file, key or line.
#[derive(Debug)]
pub struct BadInput(String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Bad input: exit code 2 with this message.
pub fn bad(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(BadInput(e.to_string()))
}

/// An experiment's error: bad input, or a simulation that failed (exit code 1).
pub fn experiment_error(e: ExperimentError) -> anyhow::Error {
    if e.is_bad_input() {
        bad(e)
    } else {
        anyhow::Error::new(e).context("simulation failed")
    }
}

/// Creates `path`, which must not exist yet (nothing a user has is overwritten).
pub fn create_new(path: &Path) -> anyhow::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                bad(format!(
                    "{}: exists already; give a new file (an existing one is never overwritten)",
                    path.display()
                ))
            } else {
                bad(format!("{}: cannot create ({e})", path.display()))
            }
        })
}

/// Checks, before any work, that reports can be written under `out`: the folder, or the nearest
/// folder above it that exists, takes a file. Leaves nothing behind.
pub fn check_writable(out: &Path) -> anyhow::Result<()> {
    let mut at = out;
    while !at.as_os_str().is_empty() && !at.exists() {
        at = at.parent().unwrap_or(Path::new(""));
    }
    let at = if at.as_os_str().is_empty() {
        Path::new(".")
    } else {
        at
    };
    if !at.is_dir() {
        return Err(bad(format!(
            "{}: not a folder, so {} cannot be created; give another --out",
            at.display(),
            out.display()
        )));
    }
    let probe = at.join(format!(".sparsim-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| {
        bad(format!(
            "{}: cannot be written (no file can be created in {}: {e}); give another output folder",
            out.display(),
            at.display()
        ))
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// A progress bar over `len` runs or points, in the one style every long command uses.
pub fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what} [{{elapsed_precise}}, eta {{eta}}] {{msg}}"
        ))
        .expect("valid template"),
    );
    bar
}

/// A spinner for work of unknown length.
pub fn spinner(msg: String) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
            .expect("valid template"),
    );
    bar.set_message(msg);
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// `--jobs`: runs at once, the host's cores if not given.
pub fn jobs(jobs: Option<usize>) -> anyhow::Result<usize> {
    match jobs {
        Some(0) => Err(bad(
            "--jobs 0: give at least 1 (runs at once, one per host thread)",
        )),
        Some(n) => Ok(n),
        None => Ok(sparsim::parallel::default_jobs()),
    }
}

/// A path inside the repository this binary was built from (bundled configs and workloads).
pub fn bundled(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}
