//! Experiments: a config file naming a machine, a workload and a kernel, run into a [`RunReport`].
//!
//! `kind = "cachesim"` runs a trace through a cache hierarchy (see [`crate::cachesim`]);
//! `kind = "piuma"` runs an SpGEMM kernel on a PIUMA die.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Invalid};
use crate::engine::{RunError, RunLimits, Tick};
use crate::machines::piuma::kernels::{prepare, KernelKind, Problem};
use crate::machines::piuma::{stall_breakdown, sum_over_cores, PiumaConfig};
use crate::report::{Metric, RunReport};
use crate::workload::gen::{Generator, GRAPH500_ABC};
use crate::workload::mtx::{self, MtxError};
use crate::workload::Csr;

/// A matrix: a Matrix Market file or a generator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixSpec {
    /// A `.mtx` file, relative to the experiment file.
    pub file: Option<PathBuf>,
    /// A generator: `rmat`, `er`, `stencil5`, `stencil7`, `stencil27`, `banded`, `powerlaw`.
    pub generator: Option<String>,
    /// Generator size: log2 rows (rmat), rows (er, banded, powerlaw) or grid side (stencils).
    pub size: Option<u64>,
    /// Entries per row (rmat edge factor, er, powerlaw mean) or half bandwidth (banded). Default 8.
    pub per_row: Option<u64>,
    /// Generator seed. Default 1.
    pub seed: Option<u64>,
}

/// Which product to form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// A·A.
    AA,
    /// A·Aᵀ.
    AAt,
    /// A·B.
    AB,
}

/// The workload of a PIUMA experiment.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpgemmWorkload {
    /// A.
    pub a: MatrixSpec,
    /// B, for `product = "a_b"`.
    pub b: Option<MatrixSpec>,
    /// The product. Default `a_a`.
    #[serde(default = "default_product")]
    pub product: Product,
}

fn default_product() -> Product {
    Product::AA
}

/// A PIUMA experiment file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PiumaExperiment {
    /// Always "piuma".
    pub kind: String,
    /// Run name (the report directory).
    pub name: String,
    /// Kernel: inner-product, outer-product, rowwise-dense, rowwise-heap, smash-v1, smash-v2, smash-v3.
    pub kernel: KernelKind,
    /// Seed (recorded; generators take their own). Default 1.
    #[serde(default = "one")]
    pub seed: u64,
    /// The workload.
    pub workload: SpgemmWorkload,
    /// The machine; every key has a default (see `configs/piuma/piuma.toml`).
    #[serde(default)]
    pub piuma: PiumaConfig,
    /// Stop after this many core cycles.
    pub max_cycles: Option<u64>,
    /// Energy table, relative to this file. Default: none.
    pub energy_table: Option<PathBuf>,
}

fn one() -> u64 {
    1
}

/// Why an experiment failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// Bad config.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A cachesim run failed (bad trace, bad hierarchy, or a stuck simulation).
    #[error(transparent)]
    Cachesim(#[from] crate::cachesim::CachesimError),
    /// Bad matrix.
    #[error(transparent)]
    Matrix(#[from] MtxError),
    /// The simulation got stuck.
    #[error(transparent)]
    Run(#[from] RunError),
}

impl MatrixSpec {
    fn load(&self, base: &Path, key: &str, file: &Path) -> Result<Csr, ExperimentError> {
        let bad = |k: &str, v: String, m: &str| {
            ExperimentError::Config(Invalid::new(format!("{key}.{k}"), v, m).in_file(file))
        };
        match (&self.file, &self.generator) {
            (Some(f), None) => Ok(mtx::read(&base.join(f))?),
            (None, Some(g)) => {
                let size = self
                    .size
                    .ok_or_else(|| bad("size", "(missing)".into(), "a generator needs `size`"))?;
                let per_row = self.per_row.unwrap_or(8);
                let seed = self.seed.unwrap_or(1);
                let n = size as usize;
                let limit = |max: u64| {
                    if size == 0 || size > max {
                        Err(bad(
                            "size",
                            size.to_string(),
                            &format!("must be in 1..={max}"),
                        ))
                    } else {
                        Ok(())
                    }
                };
                let gen = match g.as_str() {
                    "rmat" => {
                        limit(24)?;
                        Generator::Rmat {
                            scale: size as u32,
                            edge_factor: per_row as u32,
                            abc: GRAPH500_ABC,
                        }
                    }
                    "er" => {
                        limit(1 << 24)?;
                        Generator::ErdosRenyi {
                            n,
                            nnz_per_row: per_row as usize,
                        }
                    }
                    "stencil5" => {
                        limit(4096)?;
                        Generator::Stencil5 { nx: n, ny: n }
                    }
                    "stencil7" => {
                        limit(256)?;
                        Generator::Stencil7 { n }
                    }
                    "stencil27" => {
                        limit(128)?;
                        Generator::Stencil27 { n }
                    }
                    "banded" => {
                        limit(1 << 24)?;
                        Generator::Banded {
                            n,
                            half_width: per_row as usize,
                        }
                    }
                    "powerlaw" => {
                        limit(1 << 24)?;
                        Generator::PowerLawRows {
                            n,
                            avg_nnz: per_row as usize,
                            alpha: 1.0,
                        }
                    }
                    other => {
                        return Err(bad(
                            "generator",
                            format!("{other:?}"),
                            "use rmat, er, stencil5, stencil7, stencil27, banded or powerlaw",
                        ))
                    }
                };
                Ok(gen.generate(seed))
            }
            _ => Err(bad(
                "file",
                "(both or neither)".into(),
                "give exactly one of `file` or `generator`",
            )),
        }
    }

    fn describe(&self) -> String {
        match (&self.file, &self.generator) {
            (Some(f), _) => f.display().to_string(),
            (_, Some(g)) => format!(
                "{g}(size={}, per_row={}, seed={})",
                self.size.unwrap_or(0),
                self.per_row.unwrap_or(8),
                self.seed.unwrap_or(1)
            ),
            _ => "?".into(),
        }
    }
}

/// A finished PIUMA experiment.
pub struct PiumaOutcome {
    /// The report.
    pub report: RunReport,
    /// The product C.
    pub c: Csr,
    /// Real time of the simulation loop.
    pub wall: Duration,
    /// Operations issued.
    pub instructions: u64,
}

/// Loads the A and B of an experiment.
pub fn load_matrices(exp: &PiumaExperiment, file: &Path) -> Result<(Csr, Csr), ExperimentError> {
    let base = file.parent().unwrap_or(Path::new("."));
    let a = exp.workload.a.load(base, "workload.a", file)?;
    let b = match exp.workload.product {
        Product::AA => a.clone(),
        Product::AAt => a.transpose(),
        Product::AB => {
            let spec = exp.workload.b.as_ref().ok_or_else(|| {
                ExperimentError::Config(
                    Invalid::new(
                        "workload.b",
                        "(missing)",
                        "product = \"a_b\" needs a [workload.b]",
                    )
                    .in_file(file),
                )
            })?;
            spec.load(base, "workload.b", file)?
        }
    };
    Ok((a, b))
}

/// Runs a PIUMA experiment already loaded from `file`.
pub fn run_piuma(
    exp: &PiumaExperiment,
    file: &Path,
    a: &Csr,
    b: &Csr,
) -> Result<PiumaOutcome, ExperimentError> {
    let cfg = &exp.piuma;
    let prep = prepare(exp.kernel, &Problem { a, b, cfg }).map_err(|e| e.in_file(file))?;
    let die = cfg.build(prep.programs).map_err(|e| e.in_file(file))?;
    let clock_ps = (1.0e6 / cfg.clock_mhz).round() as u64;
    let limits = RunLimits {
        max_ticks: exp.max_cycles.map(|c| Tick(c * clock_ps)),
        wall_clock: None,
        watchdog: Some(Tick(10_000_000 * clock_ps)),
    };
    let run = die.run(limits)?;
    let out = prep.output.borrow();
    let c = out.to_csr(a.n_rows, b.n_cols);
    let mut derived = BTreeMap::new();
    let mut put = |k: &str, value: f64, unit: &str, doc: &str| {
        derived.insert(
            k.to_string(),
            Metric {
                value,
                unit: unit.into(),
                doc: doc.into(),
            },
        );
    };
    let s = &run.stats;
    let threads = cfg.total_cores() * cfg.threads_per_core();
    let pipes = cfg.total_cores() * (cfg.n_mtp + cfg.n_stp);
    put(
        "cycles",
        run.cycles as f64,
        "cycles",
        "Simulated core cycles to finish the kernel",
    );
    put(
        "time_us",
        run.cycles as f64 / cfg.clock_mhz,
        "us",
        "Simulated time at the configured clock",
    );
    put(
        "instructions",
        run.instructions as f64,
        "count",
        "Operations issued by all threads",
    );
    put(
        "ipc_per_core",
        run.instructions as f64 / run.cycles.max(1) as f64 / cfg.total_cores() as f64,
        "ops/cycle",
        "Operations per cycle per core",
    );
    put(
        "pipeline_utilization",
        sum_over_cores(s, "pipeline_busy_cycles") as f64 / (run.cycles.max(1) * pipes) as f64,
        "ratio",
        "Issue slots used / available",
    );
    for (k, v) in stall_breakdown(s, run.cycles, threads) {
        put(
            &format!("thread_cycles.{k}"),
            v as f64 / (run.cycles.max(1) * threads) as f64,
            "ratio",
            "Share of thread-cycles (issue = issuing an operation)",
        );
    }
    let ti = &run.thread_instructions;
    if !ti.is_empty() {
        let mean = ti.iter().sum::<u64>() as f64 / ti.len() as f64;
        put(
            "threads.instructions_min",
            *ti.iter().min().expect("non-empty") as f64,
            "count",
            "Fewest operations issued by one thread",
        );
        put(
            "threads.instructions_mean",
            mean,
            "count",
            "Mean operations issued per thread",
        );
        put(
            "threads.instructions_max",
            *ti.iter().max().expect("non-empty") as f64,
            "count",
            "Most operations issued by one thread",
        );
        put(
            "threads.utilization_mean",
            mean / run.cycles.max(1) as f64,
            "ops/cycle",
            "Mean operations per cycle per thread",
        );
        let (mtp, stp) = crate::machines::piuma::instructions_by_pipeline_kind(ti, cfg);
        for (name, mean, doc) in [
            (
                "threads.mtp_instructions_mean",
                mtp,
                "Mean operations issued per thread of a multithreaded pipeline",
            ),
            (
                "threads.stp_instructions_mean",
                stp,
                "Mean operations issued per thread of a single-thread pipeline ([S7b] credits STPs with 8x single-thread performance)",
            ),
        ] {
            if let Some(mean) = mean {
                put(name, mean, "count", doc);
            }
        }
    }
    put(
        "c_nnz",
        c.nnz() as f64,
        "count",
        "Entries of the computed C",
    );
    put(
        "smash.hash_probes",
        out.hash_probes as f64,
        "count",
        "Hash-table probes (SMASH)",
    );
    put(
        "smash.hash_collisions",
        out.hash_collisions as f64,
        "count",
        "Probes that met another key (SMASH)",
    );
    put(
        "smash.windows",
        out.windows as f64,
        "count",
        "Windows (SMASH)",
    );
    let g = |k: &str| s.get(k).unwrap_or(0) as f64;
    let cols = g("dram.reads") + g("dram.writes");
    put(
        "dram.accesses_8b",
        cols,
        "count",
        "DRAM column accesses (8 bytes each by default)",
    );
    put(
        "dram.row_hit_rate",
        if cols > 0.0 {
            g("dram.row_hits") / cols
        } else {
            0.0
        },
        "ratio",
        "Accesses served from an open row",
    );
    let secs = run.cycles as f64 / (cfg.clock_mhz * 1e6);
    let bandwidth = if secs > 0.0 {
        (g("dram.bytes_read") + g("dram.bytes_written")) / secs / 1e9
    } else {
        0.0
    };
    put(
        "dram.bandwidth_gb_s",
        bandwidth,
        "GB/s",
        "DRAM bytes over simulated time",
    );
    // The column-rate bound: consecutive column commands of a channel are at least tCCD_S apart
    // (and a burst long), whatever their size, so narrow accesses cap bandwidth well below peak.
    let spec = cfg.dram_spec().map_err(|e| e.in_file(file))?;
    let column_ps = spec.timing.ccd_s.max(spec.burst_cycles) * spec.timing.tck_ps;
    let column_bound = (cfg.n_dies * cfg.dram_channels * spec.access_bytes) as f64
        / (column_ps as f64 * 1e-12)
        / 1e9;
    put(
        "dram.column_bound_gb_s",
        column_bound,
        "GB/s",
        "DRAM bandwidth if every channel issued a column command every tCCD_S: the most its accesses of this size can move",
    );
    put(
        "dram.column_bound_use",
        bandwidth / column_bound,
        "ratio",
        "dram.bandwidth_gb_s over dram.column_bound_gb_s; near 1 the run is bound by DRAM's column rate",
    );
    put(
        "area_proxy.sram_kib",
        (cfg.total_cores() * (cfg.spad_bytes + cfg.dcache_bytes)) as f64 / 1024.0,
        "KiB",
        "Scratchpad + data cache capacity over all cores: an area proxy, not an area model",
    );
    if cfg.n_dies > 1 {
        let x = g("hyperx.requests") + g("hyperx.responses");
        put(
            "hyperx.avg_latency_ns",
            if x > 0.0 {
                g("hyperx.latency_ps") / x / 1e3
            } else {
                0.0
            },
            "ns",
            "Average die-to-die message latency (link latency, serialization, waiting)",
        );
        put(
            "hyperx.bytes_per_cycle",
            g("hyperx.bytes") / run.cycles.max(1) as f64,
            "bytes/cycle",
            "Bytes between dies per core cycle, all links together",
        );
    }
    let msgs = g("mesh.requests") + g("mesh.responses");
    put(
        "mesh.avg_latency_ns",
        if msgs > 0.0 {
            g("mesh.latency_ps") / msgs / 1e3
        } else {
            0.0
        },
        "ns",
        "Average message latency over the mesh",
    );
    let mut inputs = BTreeMap::new();
    inputs.insert("a".to_string(), exp.workload.a.describe());
    if let Some(b) = &exp.workload.b {
        inputs.insert("b".to_string(), b.describe());
    }
    let report = RunReport {
        name: exp.name.clone(),
        kind: format!("piuma/{}", exp.kernel.name()),
        sparsim_version: env!("CARGO_PKG_VERSION").into(),
        seed: exp.seed,
        config: serde_json::to_value(exp).expect("configs serialize"),
        inputs,
        simulated_ps: run.finished.now().0,
        stop_reason: run.finished.stop_reason(),
        n_events: run.finished.n_events(),
        stats: run.stats.entries.clone(),
        derived,
        energy: match &exp.energy_table {
            Some(t) => {
                let path = file.parent().unwrap_or(Path::new(".")).join(t);
                crate::energy::EnergyTable::load(&path)?.price(&t.display().to_string(), &run.stats)
            }
            None => crate::energy::EnergyReport {
                table: "(none)".into(),
                unpriced: run.stats.entries.iter().map(|e| e.name.clone()).collect(),
                ..Default::default()
            },
        },
    };
    Ok(PiumaOutcome {
        report,
        c: c.clone(),
        wall: run.finished.wall(),
        instructions: run.instructions,
    })
}

/// A `kind = "cachesim"` experiment file: a hierarchy and a trace.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CachesimExperiment {
    /// Always "cachesim".
    pub kind: String,
    /// Hierarchy file, relative to the experiment file.
    pub hierarchy: PathBuf,
    /// Trace file, relative to the experiment file.
    pub trace: PathBuf,
}

/// Overrides of these keys go to a cachesim experiment file itself; all others go to its hierarchy.
pub const CACHESIM_EXPERIMENT_KEYS: [&str; 2] = ["hierarchy", "trace"];

/// Any experiment file, loaded with its `--set` overrides applied: what `sparsim run FILE` runs and
/// what a sweep point is.
#[derive(Debug, Clone)]
pub enum Loaded {
    /// A trace through a cache hierarchy.
    Cachesim {
        /// The experiment file.
        file: PathBuf,
        /// The hierarchy file (resolved against the experiment's directory).
        hierarchy: PathBuf,
        /// The trace file (resolved likewise).
        trace: PathBuf,
        /// Overrides for the hierarchy.
        overrides: Vec<String>,
    },
    /// An SpGEMM kernel on a PIUMA die.
    Piuma {
        /// The experiment file.
        file: PathBuf,
        /// The experiment, overrides applied.
        exp: Box<PiumaExperiment>,
    },
}

/// What a finished run gives: the deterministic report and the figures that are not (wall time).
pub struct Outcome {
    /// The report.
    pub report: RunReport,
    /// Real time of the simulation itself (model build and run; no file loading).
    pub wall: Duration,
}

/// The `kind` key of an experiment file.
pub fn kind_of(file: &Path) -> Result<String, ConfigError> {
    #[derive(Deserialize)]
    struct Kind {
        kind: Option<String>,
    }
    let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
        file: file.to_path_buf(),
        msg: e.to_string().trim().replace('\n', " "),
    })?;
    let k: Kind = toml::Value::Table(table).try_into().map_err(|_| {
        Invalid::new("kind", "(not a string)", "use \"cachesim\" or \"piuma\"").in_file(file)
    })?;
    match k.kind.as_deref() {
        Some(k @ ("cachesim" | "piuma")) => Ok(k.to_string()),
        Some(other) => Err(Invalid::new(
            "kind",
            format!("{other:?}"),
            "unknown kind; use \"cachesim\" or \"piuma\"",
        )
        .in_file(file)),
        None => Err(Invalid::new(
            "kind",
            "(missing)",
            "an experiment starts with kind = \"cachesim\" or \"piuma\"",
        )
        .in_file(file)),
    }
}

/// Loads an experiment file with `overrides` (`key.path=value`) and checks its configuration.
pub fn load(file: &Path, overrides: &[String]) -> Result<Loaded, ExperimentError> {
    if kind_of(file)? == "piuma" {
        let exp: PiumaExperiment = crate::config::load(file, overrides)?;
        exp.piuma.check().map_err(|e| e.in_file(file))?;
        return Ok(Loaded::Piuma {
            file: file.to_path_buf(),
            exp: Box::new(exp),
        });
    }
    let (own, rest): (Vec<String>, Vec<String>) = overrides.iter().cloned().partition(|o| {
        let key = o.split_once('=').map_or(o.as_str(), |(k, _)| k).trim();
        CACHESIM_EXPERIMENT_KEYS.contains(&key)
    });
    let exp: CachesimExperiment = crate::config::load(file, &own)?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let hierarchy = dir.join(&exp.hierarchy);
    // Check the hierarchy now, so a bad override is a config error before anything runs.
    crate::cachesim::load(&hierarchy, &rest)?;
    Ok(Loaded::Cachesim {
        file: file.to_path_buf(),
        hierarchy,
        trace: dir.join(&exp.trace),
        overrides: rest,
    })
}

impl Loaded {
    /// Every key path an override may name (`piuma.n_cores`, `level[0].cache.n_ways`), from the
    /// resolved configuration with its defaults filled in.
    pub fn config_keys(&self) -> Result<Vec<String>, ExperimentError> {
        let mut keys = Vec::new();
        match self {
            Loaded::Piuma { exp, .. } => flatten_keys(
                &serde_json::to_value(exp).expect("configs serialize"),
                "",
                &mut keys,
            ),
            Loaded::Cachesim {
                hierarchy,
                overrides,
                ..
            } => {
                let cfg: crate::cachesim::CachesimConfig =
                    crate::config::load(hierarchy, overrides)?;
                flatten_keys(
                    &serde_json::to_value(&cfg).expect("configs serialize"),
                    "",
                    &mut keys,
                );
                keys.extend(CACHESIM_EXPERIMENT_KEYS.iter().map(|k| k.to_string()));
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Runs the experiment. Matrices and traces are read here; the outcome's wall time covers the
    /// simulation only.
    pub fn run(&self) -> Result<Outcome, ExperimentError> {
        match self {
            Loaded::Piuma { file, exp } => {
                let (a, b) = load_matrices(exp, file)?;
                let o = run_piuma(exp, file, &a, &b)?;
                Ok(Outcome {
                    report: o.report,
                    wall: o.wall,
                })
            }
            Loaded::Cachesim {
                hierarchy,
                trace,
                overrides,
                ..
            } => {
                let (h, energy) = crate::cachesim::load(hierarchy, overrides)?;
                let reader = crate::program::trace::open(trace)
                    .map_err(crate::cachesim::CachesimError::from)?;
                let energy_ref = energy
                    .as_ref()
                    .map(|(p, t)| (p.to_str().unwrap_or("energy table"), t));
                let o = h.run(
                    Box::new(reader) as Box<dyn crate::program::Program>,
                    &trace.display().to_string(),
                    energy_ref,
                )?;
                Ok(Outcome {
                    report: o.report,
                    wall: o.wall,
                })
            }
        }
    }
}

/// Appends the key path of every leaf of `v` (objects by `.key`, arrays by `[i]`) to `out`. A null
/// (an optional key left unset) is a leaf too.
fn flatten_keys(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_keys(v, &p, out);
            }
        }
        serde_json::Value::Array(a) => {
            if a.iter().all(|e| !e.is_object() && !e.is_array()) {
                out.push(prefix.to_string());
            }
            for (i, e) in a.iter().enumerate() {
                flatten_keys(e, &format!("{prefix}[{i}]"), out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn config_keys_list_nested_and_indexed_paths() {
        let piuma = load(
            &root().join("configs/experiments/smash-v1-west0067.toml"),
            &[],
        )
        .unwrap();
        let keys = piuma.config_keys().unwrap();
        for k in [
            "piuma.n_cores",
            "workload.a.file",
            "kernel",
            "seed",
            "max_cycles",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
        }
        let cs = load(
            &root().join("configs/experiments/cachesim-default.toml"),
            &["level[0].cache.n_ways=4".into()],
        )
        .unwrap();
        let keys = cs.config_keys().unwrap();
        for k in ["level[0].cache.n_ways", "dram.preset", "trace", "seed"] {
            assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
        }
    }

    #[test]
    fn cachesim_overrides_split_between_experiment_and_hierarchy() {
        let l = load(
            &root().join("configs/experiments/cachesim-default.toml"),
            &[
                "trace=elsewhere.bin".into(),
                "level[0].cache.n_ways=4".into(),
            ],
        )
        .unwrap();
        match l {
            Loaded::Cachesim {
                trace, overrides, ..
            } => {
                assert!(trace.ends_with("elsewhere.bin"));
                assert_eq!(overrides, vec!["level[0].cache.n_ways=4".to_string()]);
            }
            _ => panic!("a cachesim experiment loaded as something else"),
        }
    }
}
