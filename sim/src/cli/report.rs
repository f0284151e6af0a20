//! `sparsim report DIR`: makes a run's or a sweep's tables, plots and `index.html` again from the
//! results it wrote.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::bad;

/// Re-render a run's or a sweep's tables, plots and index.html from its results.
#[derive(Args)]
#[command(after_help = "Example:
  sparsim report reports/smash-bcsstk13")]
pub struct ReportArgs {
    /// A run folder (with report.json), a sweep folder (with sweep.json) or a reproduction folder
    /// (with study.json).
    dir: PathBuf,
}

/// `sparsim report`.
pub fn run(args: ReportArgs) -> Result<()> {
    let dir = args.dir.as_path();
    if dir.join("sweep.json").exists() {
        let r = sparsim::sweep::render::render(dir).map_err(super::sweep::sweep_error)?;
        for s in &r.skipped {
            eprintln!("note: {s}");
        }
        println!("{} ({} plots)", r.index.display(), r.plots.len());
        return Ok(());
    }
    if dir.join("study.json").exists() {
        let index = sparsim::report::render_study(dir).map_err(bad)?;
        println!("{}", index.display());
        return Ok(());
    }
    if dir.join("report.json").exists() {
        let index = sparsim::report::render_dir(dir).map_err(bad)?;
        println!("{}", index.display());
        return Ok(());
    }
    Err(bad(format!(
        "{}: has no report.json (a run), sweep.json (a sweep) or study.json (a reproduction); give a folder that sparsim run, sweep or reproduce wrote",
        dir.display()
    )))
}
