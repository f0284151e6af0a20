//! A PIUMA experiment file (`kind = "piuma"`): an SpGEMM kernel on a die, its matrices (files or
//! generators), and running it into a report with PIUMA's derived metrics.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Invalid;
use crate::energy::EnergyTable;
use crate::engine::Clock;
use crate::machines::common::{
    assemble_report, flatten_keys, input_path, Derived, DramMetrics, LimitsConfig, ReportMeta,
};
use crate::machines::piuma::kernels::{prepare, KernelKind, Problem};
use crate::machines::piuma::{stall_breakdown, sum_over_cores, PiumaConfig};
use crate::machines::{Experiment, ExperimentError, Machine, Outcome, RunResult};
use crate::workload::gen::{Generator, GRAPH500_ABC};
use crate::workload::mtx;
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
    /// The left operand; the product is A·A, A·Aᵀ or A·B.
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
    /// The matrices and which product of them to form.
    pub workload: SpgemmWorkload,
    /// The machine; every key has a default (see `configs/piuma/piuma.toml`).
    #[serde(default)]
    pub piuma: PiumaConfig,
    /// Energy table, relative to this file. Default: none.
    pub energy_table: Option<PathBuf>,
    /// Run limits, in core cycles (`[limits]`: `max_cycles`, `wall_clock_s`, `watchdog_cycles`).
    /// Echoed in reports only when set.
    #[serde(default, skip_serializing_if = "LimitsConfig::is_default")]
    pub limits: LimitsConfig,
}

fn one() -> u64 {
    1
}

impl MatrixSpec {
    fn load(&self, base: &Path, key: &str, file: &Path) -> Result<Csr, ExperimentError> {
        let bad = |k: &str, v: String, m: &str| {
            ExperimentError::Config(Invalid::new(format!("{key}.{k}"), v, m).in_file(file))
        };
        match (&self.file, &self.generator) {
            (Some(f), None) => {
                let path = base.join(f);
                if !path.is_file() {
                    return Err(bad(
                        "file",
                        format!("{:?}", f.display().to_string()),
                        &format!(
                            "{} is not a readable file; give a Matrix Market file, relative to the experiment file",
                            path.display()
                        ),
                    ));
                }
                Ok(mtx::read(&path)?)
            }
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

/// A PIUMA experiment with its matrices and energy table: ready to run.
pub struct PiumaRun {
    /// The experiment, overrides applied.
    pub exp: PiumaExperiment,
    /// The file it came from (errors name it).
    pub file: PathBuf,
    /// The left operand, as read or generated.
    pub a: Csr,
    /// The right operand (A, Aᵀ or the file's B).
    pub b: Csr,
    /// The energy table, with the name the report gives it.
    pub energy: Option<(String, EnergyTable)>,
}

impl PiumaRun {
    /// Checks `exp` (loaded from `file`) and reads its matrices and energy table.
    pub fn new(exp: PiumaExperiment, file: &Path) -> Result<PiumaRun, ExperimentError> {
        if exp.kind != "piuma" {
            return Err(Invalid::new("kind", format!("{:?}", exp.kind), "must be \"piuma\"")
                .in_file(file)
                .into());
        }
        exp.piuma.check().map_err(|e| e.in_file(file))?;
        exp.limits.check().map_err(|e| e.in_file(file))?;
        exp.limits.without_instructions("piuma").map_err(|e| e.in_file(file))?;
        let (a, b) = load_matrices(&exp, file)?;
        let energy = match &exp.energy_table {
            Some(t) => {
                let path = file.parent().unwrap_or(Path::new(".")).join(t);
                Some((t.display().to_string(), EnergyTable::load(&path)?))
            }
            None => None,
        };
        Ok(PiumaRun {
            exp,
            file: file.to_path_buf(),
            a,
            b,
            energy,
        })
    }

    /// Runs it, borrowing the matrices (so a study can run several configs on one matrix).
    pub fn run_ref(&self) -> Result<Outcome, ExperimentError> {
        run_piuma(
            &self.exp,
            &self.file,
            &self.a,
            &self.b,
            self.energy.as_ref().map(|(n, t)| (n.as_str(), t)),
        )
    }
}

impl Experiment for PiumaRun {
    fn name(&self) -> &str {
        &self.exp.name
    }

    fn machine(&self) -> &'static dyn Machine {
        &super::Piuma
    }

    fn config_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        let mut v = serde_json::to_value(&self.exp).expect("configs serialize");
        // The limits are echoed only when set, but may always be overridden.
        v["limits"] = serde_json::to_value(&self.exp.limits).expect("configs serialize");
        flatten_keys(&v, "", &mut keys);
        keys.sort();
        keys
    }

    fn describe(&self) -> String {
        let (a, b) = (&self.a, &self.b);
        format!(
            "{}: {} on {} x {} ({} entries) times {} x {} ({} entries)",
            self.exp.name,
            self.exp.kernel.name(),
            a.n_rows,
            a.n_cols,
            a.nnz(),
            b.n_rows,
            b.n_cols,
            b.nnz()
        )
    }

    fn computes_result(&self) -> bool {
        true
    }

    fn run(self: Box<Self>) -> Result<Outcome, ExperimentError> {
        self.run_ref()
    }
}

/// Runs `exp` (loaded from `file`) on `a` and `b`, priced with `energy` if given.
pub fn run_piuma(
    exp: &PiumaExperiment,
    file: &Path,
    a: &Csr,
    b: &Csr,
    energy: Option<(&str, &EnergyTable)>,
) -> Result<Outcome, ExperimentError> {
    let cfg = &exp.piuma;
    let prep = prepare(exp.kernel, &Problem { a, b, cfg }).map_err(|e| e.in_file(file))?;
    let die = cfg.build(prep.programs).map_err(|e| e.in_file(file))?;
    let run = die.run(exp.limits.run_limits(Clock::from_mhz(cfg.clock_mhz)))?;
    let out = prep.output.borrow();
    let c = out.to_csr(a.n_rows, b.n_cols);
    let mut derived = Derived::default();
    let mut put = |k: &str, value: f64, unit: &str, doc: &str| derived.put(k, value, unit, doc);
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
    let dram = DramMetrics::from_stats(s, "dram", run.cycles as f64 / (cfg.clock_mhz * 1e6));
    put(
        "dram.accesses_8b",
        dram.accesses,
        "count",
        "DRAM column accesses (8 bytes each by default)",
    );
    put(
        "dram.row_hit_rate",
        dram.row_hit_rate,
        "ratio",
        "Accesses served from an open row",
    );
    let bandwidth = dram.bandwidth_gb_s;
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
    let dir = file.parent().unwrap_or(Path::new(""));
    let named = |m: &MatrixSpec| match &m.file {
        Some(f) => input_path(dir, &dir.join(f)),
        None => m.describe(),
    };
    inputs.insert("a".to_string(), named(&exp.workload.a));
    if let Some(b) = &exp.workload.b {
        inputs.insert("b".to_string(), named(b));
    }
    let meta = ReportMeta {
        name: exp.name.clone(),
        kind: format!("piuma/{}", exp.kernel.name()),
        seed: exp.seed,
        config: serde_json::to_value(exp).expect("configs serialize"),
        inputs,
        energy,
    };
    let wall = run.finished.wall();
    Ok(Outcome {
        report: assemble_report(meta, &run.finished, run.stats, derived),
        wall,
        work: (run.instructions, "instructions"),
        result: Some(RunResult::Matrix(c)),
    })
}
