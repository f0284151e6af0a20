//! `sparsim reproduce smash`: every SpGEMM kernel on a fixed set of matrices on the default PIUMA
//! die (`PiumaConfig::default()`, which a test holds equal to `configs/piuma/piuma.toml`), and the
//! speedup of the best SMASH version over each baseline, beside the thesis's headline of 9.4x
//! (Kaustubh Shivdikar, "SMASH: Sparse Matrix Atomic Scratchpad Hashing", M.S. thesis,
//! Northeastern University, 2021, arXiv 2105.14156 \[S1\]; which version, baseline and datasets that
//! figure refers to is not stated there). No parameter is tuned per matrix or calibrated to the
//! headline.

use std::path::{Path, PathBuf};

use crate::config::Invalid;
use crate::engine::Clock;
use crate::machines::common::LimitsConfig;
use crate::machines::piuma::kernels::{prepare, KernelKind, Problem};
use crate::machines::piuma::PiumaConfig;
use crate::machines::{ExperimentError, Study, StudyOptions, StudyReport};
use crate::report::plot::Figure;
use crate::workload::gen::{Generator, GRAPH500_ABC};
use crate::workload::{mtx, Csr};

/// The thesis's headline speedup of SMASH over competing approaches on PIUMA \[S1\].
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
    let limits = LimitsConfig::default().run_limits(Clock::from_mhz(cfg.clock_mhz));
    let run = match die.run(limits) {
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

fn is_smash(k: &KernelKind) -> bool {
    matches!(
        k,
        KernelKind::SmashV1 | KernelKind::SmashV2 | KernelKind::SmashV3
    )
}

/// The die the study runs: the defaults (`configs/piuma/piuma.toml`) with `set` applied.
fn die(set: &[String]) -> Result<PiumaConfig, ExperimentError> {
    #[derive(serde::Deserialize, serde::Serialize)]
    #[serde(deny_unknown_fields)]
    struct Die {
        #[serde(default)]
        piuma: PiumaConfig,
    }
    let from = Path::new("(reproduce --set)");
    let die: Die = crate::config::parse("", from, set)?;
    die.piuma.check().map_err(|e| e.in_file(from))?;
    Ok(die.piuma)
}

fn option_error(key: &str, value: String, fix: String) -> ExperimentError {
    Invalid::new(key, value, fix)
        .in_file(Path::new("(reproduce smash)"))
        .into()
}

/// The study `reproduce smash`.
pub struct Smash;

impl Smash {
    /// The matrices and kernels `opts` selects, checked.
    fn select(&self, opts: &StudyOptions) -> Result<(Vec<Case>, Vec<KernelKind>), ExperimentError> {
        let mut cases = smash_cases(&workloads_dir())?;
        if !opts.only.is_empty() {
            let names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
            if let Some(unknown) = opts.only.iter().find(|o| !names.contains(o)) {
                return Err(option_error(
                    "--only",
                    format!("{unknown:?}"),
                    format!("no such matrix in the set; choose from {names:?}"),
                ));
            }
            cases.retain(|c| opts.only.contains(&c.name));
        }
        let mut kernels = KernelKind::ALL.to_vec();
        if !opts.kernels.is_empty() {
            let names: Vec<&str> = kernels.iter().map(|k| k.name()).collect();
            if let Some(unknown) = opts
                .kernels
                .iter()
                .find(|k| !names.contains(&k.as_str()))
            {
                return Err(option_error(
                    "--kernels",
                    format!("{unknown:?}"),
                    format!("no such kernel; choose from {names:?}"),
                ));
            }
            kernels.retain(|k| opts.kernels.iter().any(|n| n == k.name()));
            if !kernels.iter().any(is_smash) {
                return Err(option_error(
                    "--kernels",
                    opts.kernels.join(","),
                    "include at least one SMASH version (smash-v1, smash-v2, smash-v3)".into(),
                ));
            }
        }
        Ok((cases, kernels))
    }
}

impl Study for Smash {
    fn name(&self) -> &'static str {
        "smash"
    }

    fn description(&self) -> &'static str {
        "SMASH V1-V3 and four SpGEMM baselines on four matrices on the default PIUMA die, vs the thesis's 9.4x"
    }

    fn plan(&self, opts: &StudyOptions) -> Result<usize, ExperimentError> {
        die(&opts.set)?;
        let (cases, kernels) = self.select(opts)?;
        Ok(cases.len() * kernels.len())
    }

    fn run(
        &self,
        opts: &StudyOptions,
        progress: &(dyn Fn() + Sync),
    ) -> Result<StudyReport, ExperimentError> {
        let cfg = die(&opts.set)?;
        let (cases, kernels) = self.select(opts)?;
        let jobs = opts.jobs.max(1);
        // Every (matrix, kernel) run, the matrices with the most multiplications first, so the
        // longest runs start first and the host threads stay busy to the end.
        let mut order: Vec<usize> = (0..cases.len()).collect();
        order.sort_by_key(|&ci| std::cmp::Reverse(cases[ci].a.product_flops(&cases[ci].a)));
        let runs: Vec<(usize, usize)> = order
            .iter()
            .flat_map(|&ci| (0..kernels.len()).map(move |ki| (ci, ki)))
            .collect();
        let started = std::time::Instant::now();
        let results = crate::parallel::map_in_order(
            jobs,
            &runs,
            |&(ci, ki)| run_case(kernels[ki], &cases[ci].a, &cfg),
            |_| progress(),
        );
        let wall = started.elapsed().as_secs_f64();
        let mut cells: Vec<Vec<Option<Cell>>> = vec![vec![None; kernels.len()]; cases.len()];
        for (&(ci, ki), cell) in runs.iter().zip(results) {
            cells[ci][ki] = Some(cell);
        }
        let cells: Vec<Vec<Cell>> = cells
            .into_iter()
            .map(|row| row.into_iter().map(|c| c.expect("every run ran")).collect())
            .collect();
        let set = &opts.set;
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
                // A missing bar (a run skipped or failed, or no SMASH version to compare with) is
                // named in the legend, not left as a silent gap.
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
        let cycles_fig = Figure::Bars {
            title: "SpGEMM on PIUMA (A x A): cycles relative to the best SMASH version".into(),
            y_label: "cycles / best SMASH cycles".into(),
            groups: groups.clone(),
            series,
            stacked: false,
        };
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
        let stalls_fig = Figure::Bars {
            title: "SMASH versions: share of thread-cycles".into(),
            y_label: "share of thread-cycles".into(),
            groups: stall_groups,
            series: stall_series,
            stacked: true,
        };
        Ok(StudyReport {
            summary_md: md,
            figures: vec![
                ("cycles_per_kernel".into(), cycles_fig),
                ("smash_stalls".into(), stalls_fig),
            ],
        })
    }
}
