//! `sparsim reproduce`: paper headlines beside what our models give, with the exact configs used.
//!
//! `smash`: every SpGEMM kernel on a fixed set of matrices on the default PIUMA die, and the speedup
//! of SMASH over each baseline, beside the thesis's headline of 9.4x [S1] (which version, baseline
//! and datasets that figure refers to is [NOT FOUND]; see ../shared/papers.md T1).
//! No parameter is tuned per matrix or calibrated to the headline.

use std::path::{Path, PathBuf};

use crate::engine::{RunLimits, Tick};
use crate::machines::piuma::kernels::{prepare, KernelKind, Problem};
use crate::machines::piuma::PiumaConfig;
use crate::workload::gen::{Generator, GRAPH500_ABC};
use crate::workload::{mtx, Csr};

/// The thesis's headline speedup of SMASH over competing approaches on PIUMA [S1].
pub const SMASH_HEADLINE: f64 = 9.4;

/// Inner product tests every (row, column) pair; above this many pairs it is too slow to simulate
/// and is skipped (and reported as skipped).
pub const INNER_PAIR_LIMIT: usize = 16_000_000;

/// A matrix of the fixed set.
pub struct Case {
    /// Name in tables.
    pub name: String,
    /// A (the run computes A·A).
    pub a: Csr,
}

/// The fixed set: two bundled real matrices and two generated ones of at least 10^5 entries.
pub fn smash_cases(workloads: &Path) -> Result<Vec<Case>, mtx::MtxError> {
    let read = |f: &str| mtx::read(&workloads.join("matrices").join(f));
    Ok(vec![
        Case {
            name: "bcsstk13".into(),
            a: read("bcsstk13.mtx")?,
        },
        Case {
            name: "pushpull".into(),
            a: read("pushpull.mtx")?,
        },
        Case {
            name: "rmat-s14-ef8".into(),
            a: Generator::Rmat {
                scale: 14,
                edge_factor: 8,
                abc: GRAPH500_ABC,
            }
            .generate(1),
        },
        Case {
            name: "stencil5-150".into(),
            a: Generator::Stencil5 { nx: 150, ny: 150 }.generate(1),
        },
    ])
}

/// One kernel on one matrix.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Cycles, if it ran.
    pub cycles: Option<u64>,
    /// Why it did not run.
    pub skipped: Option<String>,
    /// Simulated instructions.
    pub instructions: u64,
    /// Real seconds.
    pub wall_s: f64,
    /// Thread-cycle shares: memory, atomic, barrier, wait (back-off while polling), issue,
    /// finished, other (see `stall_breakdown`).
    pub stalls: [f64; 7],
}

/// Runs `kind` on A·A; checks nothing (the tests do), returns the timing.
pub fn run_case(kind: KernelKind, a: &Csr, cfg: &PiumaConfig) -> Cell {
    if kind == KernelKind::InnerProduct && a.n_rows.saturating_mul(a.n_cols) > INNER_PAIR_LIMIT {
        return Cell {
            cycles: None,
            skipped: Some(format!(
                "{} pairs > {INNER_PAIR_LIMIT}",
                a.n_rows * a.n_cols
            )),
            instructions: 0,
            wall_s: 0.0,
            stalls: [0.0; 7],
        };
    }
    let prep = match prepare(kind, &Problem { a, b: a, cfg }) {
        Ok(p) => p,
        Err(e) => {
            return Cell {
                cycles: None,
                skipped: Some(e.to_string()),
                instructions: 0,
                wall_s: 0.0,
                stalls: [0.0; 7],
            }
        }
    };
    let die = cfg.build(prep.programs).expect("the default die is valid");
    let clock_ps = (1.0e6 / cfg.clock_mhz).round() as u64;
    let run = match die.run(RunLimits {
        watchdog: Some(Tick(10_000_000 * clock_ps)),
        ..Default::default()
    }) {
        Ok(r) => r,
        Err(e) => {
            return Cell {
                cycles: None,
                skipped: Some(format!("failed: {e}")),
                instructions: 0,
                wall_s: 0.0,
                stalls: [0.0; 7],
            }
        }
    };
    let threads = (cfg.total_cores() * cfg.threads_per_core()) as f64 * run.cycles.max(1) as f64;
    let b = crate::machines::piuma::stall_breakdown(
        &run.stats,
        run.cycles,
        cfg.total_cores() * cfg.threads_per_core(),
    );
    let share = |k: &str| b.get(k).copied().unwrap_or(0) as f64 / threads;
    Cell {
        cycles: Some(run.cycles),
        skipped: None,
        instructions: run.instructions,
        wall_s: run.finished.wall().as_secs_f64(),
        stalls: [
            share("memory"),
            share("atomic"),
            share("barrier"),
            share("wait"),
            share("issue"),
            share("finished"),
            share("other"),
        ],
    }
}

/// Where the bundled workloads are (baked in at build time).
pub fn workloads_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../workloads"))
}

/// Geometric mean of positive values.
pub fn geomean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp())
}
