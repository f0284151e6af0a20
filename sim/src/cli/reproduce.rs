//! `sparsim reproduce STUDY`: a paper's headline beside what the model gives. The studies come
//! from the machines' registrations; this file only runs one with a progress bar and writes its
//! summary, plots and `index.html`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use sparsim::machines::{self, StudyOptions};
use sparsim::report::StudyFile;

use super::{bad, check_writable, experiment_error, jobs, progress_bar};

/// Paper headlines beside what the models give (`sparsim list` shows the studies).
#[derive(Args)]
#[command(after_help = "Examples:
  sparsim reproduce smash
  sparsim reproduce smash --only pushpull --kernels rowwise-dense,smash-v1 --set piuma.dense_acc_spad_share=1.0")]
pub struct ReproduceArgs {
    /// Which study (e.g. smash).
    what: String,
    /// Only these workloads of the study's fixed set (comma-separated, e.g. bcsstk13,stencil5-150).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Only these kernels (comma-separated, e.g. rowwise-dense,smash-v1).
    #[arg(long, value_delimiter = ',')]
    kernels: Vec<String>,
    /// Override a machine key for every run: --set piuma.dense_acc_spad_share=1.0 (repeatable).
    /// The summary lists the overrides.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Runs at once, one per host thread (default: the number of cores). Each run's result is
    /// the same whatever this is.
    #[arg(long)]
    jobs: Option<usize>,
    /// Directory that receives <out>/reproduce-<study>/.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
}

/// `sparsim reproduce`.
pub fn run(args: ReproduceArgs) -> Result<()> {
    let studies = machines::studies();
    let study = studies
        .iter()
        .find(|s| s.name() == args.what)
        .ok_or_else(|| {
            let names: Vec<&str> = studies.iter().map(|s| s.name()).collect();
            bad(format!(
                "unknown reproduction {:?}; available: {}",
                args.what,
                names.join(", ")
            ))
        })?;
    let opts = StudyOptions {
        only: args.only,
        kernels: args.kernels,
        set: args.set,
        jobs: jobs(args.jobs)?,
    };
    let n_runs = study.plan(&opts).map_err(experiment_error)?;
    check_writable(&args.out)?;
    let bar = progress_bar(n_runs as u64, "runs");
    bar.set_message(format!("{} at a time", opts.jobs));
    let report = study.run(&opts, &|| bar.inc(1)).map_err(experiment_error)?;
    bar.finish_and_clear();
    let dir = sparsim::report::fresh_dir(&args.out, &format!("reproduce-{}", study.name()))?;
    let file = StudyFile {
        name: study.name().to_string(),
        summary_md: report.summary_md,
        figures: report.figures,
    };
    sparsim::report::write_study(&dir, &file).map_err(anyhow::Error::msg)?;
    print!("{}", file.summary_md);
    println!("\nwritten: {}", dir.display());
    Ok(())
}
