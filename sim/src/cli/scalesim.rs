//! `sparsim scalesim`: SCALE-Sim v3's command line, files and compute report, on sparsim's
//! systolic-array model, so a SCALE-Sim user can switch in one command.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use sparsim::machines::sat::scalesim;

use super::{bad, check_writable};

/// Run SCALE-Sim v3 inputs (its .cfg and topology CSV) on sparsim's systolic array: writes
/// COMPUTE_REPORT.csv (and SPARSE_REPORT.csv) with SCALE-Sim's columns and cycles under
/// OUTDIR/<run_name>/, and BANDWIDTH_REPORT.csv and sparsim's report (sparsim/) from the SAT
/// model with buffers and DRAM.
#[derive(Args)]
#[command(after_help = "Example:
  sparsim scalesim -c scale.cfg -t gemm.csv -i gemm -p results")]
pub struct ScalesimArgs {
    /// SCALE-Sim config (.cfg).
    #[arg(short = 'c', value_name = "CONFIG")]
    config: PathBuf,
    /// Topology CSV (a convolution one, or a GEMM one with -i gemm).
    #[arg(short = 't', value_name = "TOPOLOGY")]
    topology: PathBuf,
    /// Layout CSV: read by SCALE-Sim for custom SRAM layouts; not modelled here (a warning).
    #[arg(short = 'l', value_name = "LAYOUT")]
    layout: Option<PathBuf>,
    /// Output folder; the report goes to OUTDIR/<run_name>/.
    #[arg(short = 'p', value_name = "OUTDIR", default_value = "results")]
    out: PathBuf,
    /// Topology kind: conv or gemm.
    #[arg(short = 'i', value_name = "conv|gemm", default_value = "conv")]
    input: String,
    /// Save SCALE-Sim's cycle-by-cycle traces (Y|N): not written by sparsim (a warning if Y).
    #[arg(short = 's', value_name = "Y|N")]
    save_trace: Option<String>,
}

/// The report files SCALE-Sim writes into OUTDIR/<run_name>/.
const REPORT_FILES: [&str; 4] = [
    "COMPUTE_REPORT.csv",
    "BANDWIDTH_REPORT.csv",
    "DETAILED_ACCESS_REPORT.csv",
    "SPARSE_REPORT.csv",
];

/// `sparsim scalesim`.
pub fn run(args: ScalesimArgs) -> Result<()> {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| bad(format!("{}: cannot read: {e}", p.display())))
    };
    let gemm = match args.input.as_str() {
        "conv" => false,
        "gemm" => true,
        other => return Err(bad(format!("-i {other:?}: use conv or gemm"))),
    };
    let cfg = scalesim::parse_config(&read(&args.config)?, &args.config).map_err(bad)?;
    let layers =
        scalesim::parse_topology(&read(&args.topology)?, &args.topology, gemm).map_err(bad)?;
    if let Some(l) = &args.layout {
        eprintln!(
            "warning: -l {}: custom SRAM layouts are not modelled; compute cycles do not depend on them",
            l.display()
        );
    }
    if args
        .save_trace
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("y"))
    {
        eprintln!("warning: -s Y: sparsim writes no cycle-by-cycle SRAM/DRAM traces");
    }
    for w in &cfg.warnings {
        eprintln!("warning: {w}");
    }
    if cfg.sparsity.is_none() && layers.iter().any(|l| l.nm != (1, 1)) {
        eprintln!("warning: the topology gives N:M sparsity but [sparsity] SparsitySupport is not true: layers run dense, as in SCALE-Sim");
    }
    if cfg.sparsity.is_some() && cfg.dataflow != sparsim::machines::sat::array::Dataflow::Ws {
        // SCALE-Sim condenses the reduction in any dataflow; SAT's sparse PEs hold N:M weights,
        // so they need them stationary (and `sparsim run` refuses N:M with os or is).
        eprintln!(
            "warning: {}: the compute reports are sparse as SCALE-Sim's, but the SAT model beside runs these layers dense: its sparse PEs hold N:M weights, which only ws keeps stationary",
            cfg.dataflow.name()
        );
    }
    check_writable(&args.out)?;
    let started = Instant::now();
    let run = scalesim::drop_in(&cfg, &layers, &args.topology).map_err(super::experiment_error)?;
    let secs = started.elapsed().as_secs_f64();
    // As SCALE-Sim does, the reports go to OUTDIR/<run_name>/ and a rerun replaces them (so a
    // SCALE-Sim user's scripts read this run), which is said; a report file this run does not
    // write is left as it is, and named.
    let dir = args.out.join(&cfg.run_name);
    let writes = |f: &str| match f {
        "SPARSE_REPORT.csv" => run.sparse_report.is_some(),
        "BANDWIDTH_REPORT.csv" => run.sat.is_ok(),
        "DETAILED_ACCESS_REPORT.csv" => false,
        _ => true,
    };
    let (replaced, stale): (Vec<&str>, Vec<&str>) = REPORT_FILES
        .iter()
        .copied()
        .filter(|f| dir.join(f).is_file())
        .partition(|f| writes(f));
    if !replaced.is_empty() || dir.join("sparsim/report.json").is_file() {
        eprintln!(
            "note: {}: replacing the reports of an earlier run there (as SCALE-Sim does)",
            dir.display()
        );
    }
    if !stale.is_empty() {
        eprintln!(
            "warning: {}: {} from an earlier run left as it is: this run does not write it",
            dir.display(),
            stale.join(", ")
        );
    }
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("COMPUTE_REPORT.csv"), &run.compute_report)?;
    if let Some(sparse) = &run.sparse_report {
        std::fs::write(dir.join("SPARSE_REPORT.csv"), sparse)?;
    } else if cfg.sparsity.is_some() {
        eprintln!("warning: row-wise CSR/CSC storage depends on SCALE-Sim's random N per column: no SPARSE_REPORT.csv");
    }
    // The same layers on the SAT model in inference mode, with its buffers and DRAM: SCALE-Sim's
    // BANDWIDTH_REPORT.csv columns from it, and sparsim's own report beside.
    let sat_dir = match &run.sat {
        Ok((bandwidth, report)) => {
            std::fs::write(dir.join("BANDWIDTH_REPORT.csv"), bandwidth)?;
            let sat_dir = dir.join("sparsim");
            report.write_into(&sat_dir)?;
            Some(sat_dir)
        }
        Err(e) => {
            eprintln!("warning: no SAT-model run beside: {e}");
            None
        }
    };
    let cycles: u64 = run.compute.iter().map(|c| c.cycles).sum();
    println!(
        "{}: {} layers on a {} x {} {} array, {cycles} compute cycles (no memory stalls modelled)",
        cfg.run_name,
        layers.len(),
        cfg.rows,
        cfg.cols,
        cfg.dataflow.name()
    );
    println!(
        "simulation speed: {cycles} simulated cycles in {secs:.6} s = {:.3e} cycles/s",
        cycles as f64 / secs.max(1e-9)
    );
    println!("report: {}", dir.join("COMPUTE_REPORT.csv").display());
    if let Some(d) = sat_dir {
        println!("the SAT model's report (buffers and DRAM): {}", d.display());
    }
    Ok(())
}
