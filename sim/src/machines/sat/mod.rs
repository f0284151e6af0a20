//! SAT: the N:M sparse-training accelerator (Fang et al., IEEE TCAD 2023), a systolic array
//! whose sparse PEs skip pruned weights, training a network step by step with BDWP (N:M weights in
//! the forward and the backward-data pass, dense weight gradients).
//!
//! An experiment file (`kind = "sat"`) names a layer table (`workload::layers`), the batch, the
//! sparsity (`dense` or `N:M`) and the machine (`[sat]`, [`config::SatConfig`]). A run models
//! one training step (or one inference) as a task graph on the dataflow scheduler ([`step`]):
//! the array's compute exact fold by fold ([`mod@array`], equal to SCALE-Sim v3's), tile transfers
//! timed through the memory interface ([`crate::blocks::memory`]: by default a model calibrated
//! against the `dram` block, or the block itself). [`scalesim`] reads
//! SCALE-Sim's own inputs; [`reproduce`] is `sparsim reproduce sat`.

pub mod array;
pub mod config;
pub mod functional;
pub mod reproduce;
pub mod scalesim;
pub mod stats;
pub mod step;


use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::Invalid;
use crate::energy::EnergyTable;
use crate::engine::StopReason;
use crate::machines::common::{
    assemble_report, flatten_keys, input_path, Derived, LimitsConfig, ReportMeta, RunEnd,
};
use crate::machines::{Experiment, ExperimentError, Machine, Outcome, Study};
use crate::report::{fmt_num, ReportTable, RunReport};
use crate::stats::StatTree;
use crate::workload::layers::{self, Network};

pub use config::{Nm, SatConfig};
pub use stats::SatStats;
pub use step::{Mode, Pass, Step, StepSpec, TaskKind};
use crate::blocks::memory::detailed::DramTransfers;
use crate::blocks::memory::transfer::TransferModel;
use crate::blocks::memory::{BulkMemory, MemoryModel};

/// The SAT machine.
pub struct Sat;

/// A `kind = "sat"` experiment file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SatExperiment {
    /// Always "sat".
    pub kind: String,
    /// Run name (the report directory).
    pub name: String,
    /// Seed (recorded; the model draws no random numbers). Default 1.
    #[serde(default = "one")]
    pub seed: u64,
    /// Layer table, relative to this file.
    pub network: PathBuf,
    /// Samples per step. Default 32.
    #[serde(default = "default_batch")]
    pub batch: u64,
    /// Input resolution (images: side; sequences: tokens). Default: as the table writes it.
    pub resolution: Option<u64>,
    /// `train` (a training step) or `inference` (forward only). Default `train`.
    #[serde(default = "default_mode")]
    pub mode: Mode,
    /// `dense` or `N:M` (e.g. `2:8`): the weights' pattern in FF and BP. Default `dense`.
    #[serde(default = "default_sparsity")]
    pub sparsity: String,
    /// Layers kept dense in a sparse run. Default: the first and the last layer with weights.
    pub dense_layers: Option<Vec<String>>,
    /// The machine; every key has a default (see `configs/sat/sat.toml`).
    #[serde(default)]
    pub sat: SatConfig,
    /// Energy table, relative to this file. Default: none.
    pub energy_table: Option<PathBuf>,
    /// Run limits (`[limits]`): `max_cycles` cuts the step's schedule at that cycle (the report
    /// counts the tasks finished by then); `wall_clock_s` stops building the step before the
    /// next layer (what takes time is the detailed memory backend); `watchdog_cycles` is
    /// accepted as on every machine, and a one-pass step cannot stall without end.
    #[serde(default, skip_serializing_if = "LimitsConfig::is_default")]
    pub limits: LimitsConfig,
}

fn one() -> u64 {
    1
}
fn default_batch() -> u64 {
    32
}
fn default_mode() -> Mode {
    Mode::Train
}
fn default_sparsity() -> String {
    "dense".into()
}

/// A SAT experiment with its network, ready to run.
pub struct SatRun {
    /// The experiment, overrides applied.
    pub exp: SatExperiment,
    /// The network, shapes resolved at the experiment's resolution.
    pub net: Network,
    /// The experiment's pattern (None: dense).
    pub nm: Option<Nm>,
    /// Per layer: the pattern its weights take (None: dense, as `dense_layers` keeps them).
    pub patterns: Vec<Option<Nm>>,
    /// The DRAM, resolved.
    pub dram: crate::blocks::dram::DramSpec,
    /// The energy table, with the name the report gives it.
    pub energy: Option<(String, EnergyTable)>,
    /// The experiment file (named in errors).
    pub file: PathBuf,
}

impl SatRun {
    /// The checks of an experiment that do not read its files; returns its DRAM and pattern.
    fn check_experiment(
        exp: &SatExperiment,
        file: &Path,
    ) -> Result<(crate::blocks::dram::DramSpec, Option<Nm>), ExperimentError> {
        let bad = |k: &str, v: String, m: String| -> ExperimentError {
            Invalid::new(k, v, m).in_file(file).into()
        };
        if exp.kind != "sat" {
            return Err(bad("kind", format!("{:?}", exp.kind), "must be \"sat\"".into()));
        }
        let dram = exp.sat.check().map_err(|e| e.in_file(file))?;
        exp.limits.check().map_err(|e| e.in_file(file))?;
        exp.limits.without_instructions("sat").map_err(|e| e.in_file(file))?;
        if exp.batch == 0 || exp.batch > 1 << 16 {
            return Err(bad(
                "batch",
                exp.batch.to_string(),
                "must be in 1..=65536 samples".into(),
            ));
        }
        let nm = Nm::parse(&exp.sparsity, exp.sat.max_m)
            .map_err(|m| bad("sparsity", format!("{:?}", exp.sparsity), m))?;
        if nm.is_some() && exp.sat.dataflow != array::Dataflow::Ws {
            return Err(bad(
                "sat.dataflow",
                format!("{:?}", exp.sat.dataflow.name()),
                "sparse PEs skip pruned weights only weight-stationary: use \"ws\", or sparsity = \"dense\"".into(),
            ));
        }
        Ok((dram, nm))
    }

    /// A run of `exp` on a network and patterns given directly (SCALE-Sim's topologies, whose
    /// file is `file`), with the same checks as [`SatRun::new`] but no layer table or energy
    /// table to read.
    pub fn with_network(
        mut exp: SatExperiment,
        net: Network,
        patterns: Vec<Option<Nm>>,
        file: &Path,
    ) -> Result<SatRun, ExperimentError> {
        let (dram, nm) = Self::check_experiment(&exp, file)?;
        exp.sat.resolve_banks();
        Ok(SatRun {
            exp,
            net,
            nm,
            patterns,
            dram,
            energy: None,
            file: file.to_path_buf(),
        })
    }

    /// Checks `exp` (loaded from `file`) and reads its network and energy table.
    pub fn new(mut exp: SatExperiment, file: &Path) -> Result<SatRun, ExperimentError> {
        let bad = |k: &str, v: String, m: String| -> ExperimentError {
            Invalid::new(k, v, m).in_file(file).into()
        };
        let (dram, nm) = Self::check_experiment(&exp, file)?;
        exp.sat.resolve_banks();
        let base = file.parent().unwrap_or(Path::new("."));
        let path = base.join(&exp.network);
        if !path.is_file() {
            return Err(bad(
                "network",
                format!("{:?}", exp.network.display().to_string()),
                format!(
                    "{} is not a readable file; give a layer table (workloads/dnn/*.csv), relative to the experiment file",
                    path.display()
                ),
            ));
        }
        let mut net = layers::load(&path)?;
        if let Some(res) = exp.resolution {
            if res == 0 || res > 1 << 14 {
                return Err(bad(
                    "resolution",
                    res.to_string(),
                    "must be in 1..=16384".into(),
                ));
            }
            net = net.with_input(res)?;
        }
        let keep_dense = match &exp.dense_layers {
            None => step::first_and_last(&net),
            Some(names) => {
                for n in names {
                    if !net.layers.iter().any(|l| &l.name == n && l.has_weights()) {
                        return Err(bad(
                            "dense_layers",
                            format!("{n:?}"),
                            format!(
                                "no layer with weights of this name in {}",
                                exp.network.display()
                            ),
                        ));
                    }
                }
                net.layers.iter().map(|l| names.contains(&l.name)).collect()
            }
        };
        let energy = match &exp.energy_table {
            Some(t) => Some((t.display().to_string(), EnergyTable::load(&base.join(t))?)),
            None => None,
        };
        Ok(SatRun {
            exp,
            net,
            nm,
            patterns: keep_dense.iter().map(|&d| if d { None } else { nm }).collect(),
            dram,
            energy,
            file: file.to_path_buf(),
        })
    }

    /// Models the step (stopping early only when `deadline`, real time, passes).
    pub fn step(&self, transfer: &dyn BulkMemory, deadline: Option<Instant>) -> Step {
        StepSpec {
            cfg: &self.exp.sat,
            net: &self.net,
            batch: self.exp.batch,
            patterns: self.patterns.clone(),
            mode: self.exp.mode,
            transfer,
        }
        .run_until(deadline)
    }

    /// The detailed memory backend: tile transfers through the `dram` block itself.
    pub fn detailed(&self) -> DramTransfers {
        DramTransfers::new(&self.exp.sat.dram, "sat.dram")
            .expect("SatConfig::check resolved this DRAM at load")
    }

    /// Runs it into an outcome (borrowing, so a study can reuse it).
    pub fn run_ref(&self) -> Result<Outcome, ExperimentError> {
        Ok(self.run_step()?.1)
    }

    /// Runs it once into its modelled step and its outcome.
    pub fn run_step(&self) -> Result<(Step, Outcome), ExperimentError> {
        let t0 = Instant::now();
        let deadline = self
            .exp
            .limits
            .wall_clock_s
            .map(|s| t0 + std::time::Duration::from_secs_f64(s));
        let transfer = TransferModel::calibrate(&self.dram);
        let (step, n_events) = match self.exp.sat.memory.model {
            MemoryModel::Transfer => (self.step(&transfer, deadline), 0),
            MemoryModel::Dram => {
                let detailed = self.detailed();
                (self.step(&detailed, deadline), detailed.n_events())
            }
        };
        let horizon = self.exp.limits.max_cycles.unwrap_or(u64::MAX);
        self.check_time(step.schedule.makespan.min(horizon))?;
        let checked = self.check(&step, horizon)?;
        let wall = t0.elapsed();
        let cycles = step.schedule.makespan.min(horizon);
        let report = self.report(&step, &transfer, checked, n_events, horizon);
        let outcome = Outcome {
            report,
            wall,
            work: (cycles, "cycles"),
            result: None,
        };
        Ok((step, outcome))
    }

    /// Refuses a step of `cycles` whose time a report cannot count: 2^64 ps (213 days).
    fn check_time(&self, cycles: u64) -> Result<(), ExperimentError> {
        let clock = self.exp.sat.clock_mhz;
        let ps = cycles as f64 * 1e6 / clock;
        if ps < u64::MAX as f64 {
            return Ok(());
        }
        Err(Invalid::new(
            "sat.clock_mhz",
            clock,
            format!(
                "the step takes {cycles} cycles, {:.3e} s at this clock: beyond the 2^64 ps (213 days) a report counts; raise the clock or the array, lower batch or resolution, or stop the step with limits.max_cycles",
                ps / 1e12
            ),
        )
        .in_file(&self.file)
        .into())
    }

    /// Computes a slice of each distinct pass shape on the array's functional model (4 rows, up to one column
    /// fold, the reduction up to 1,024, seeded values) and compares it with the plain GEMM of the
    /// masked weights.
    fn check(&self, step: &Step, horizon: u64) -> Result<u64, ExperimentError> {
        let cfg = &self.exp.sat;
        let mut outputs = 0;
        let (_, done) = step.finished_by(horizon);
        // Passes whose slices have one shape and pattern run the same code on the array's
        // model: each such slice is checked once, with the seed of its first pass.
        let mut seen = std::collections::HashSet::new();
        for (i, p) in step.passes.iter().enumerate() {
            if !done[i] {
                continue;
            }
            let nm = p.pattern.unwrap_or(Nm { n: 1, m: 1 });
            let k = (p.gemm.k.min(1024) / nm.m * nm.m).max(nm.m) as usize;
            let (m, n) = (p.gemm.m.min(4) as usize, p.gemm.n.min(cfg.cols) as usize);
            if !seen.insert((m, n, k, nm.n, nm.m)) {
                continue;
            }
            outputs += functional::check_slice(
                m,
                n,
                k,
                nm,
                cfg.rows as usize,
                cfg.cols as usize,
                self.exp.seed.wrapping_add(i as u64),
            )
            .map_err(|e| {
                ExperimentError::Check(format!(
                    "{} {}: {e}",
                    self.net.layers[p.layer].name,
                    p.pass.name()
                ))
            })?;
        }
        Ok(outputs)
    }

    /// The report of `step`, counting the tasks finished by cycle `horizon`.
    fn report(
        &self,
        step: &Step,
        transfer: &TransferModel,
        checked: u64,
        n_events: u64,
        horizon: u64,
    ) -> RunReport {
        let cfg = &self.exp.sat;
        let s = &step.schedule;
        let cycles = s.makespan.min(horizon);
        let (task_done, _) = step.finished_by(horizon);
        let period_ps = 1e6 / cfg.clock_mhz;
        let seconds = cycles as f64 * period_ps / 1e12;
        let counts = SatStats::of(step, horizon, period_ps, checked);
        let mut stats = StatTree::default();
        counts.collect(&mut stats);
        let (array, dram) = (&counts.array, &counts.dram);
        let (dense_macs, sparse_macs) = (array.dense_macs, array.sparse_macs);
        let pes = (cfg.rows * cfg.cols) as f64;
        let mut d = Derived::default();
        d.put("cycles", cycles as f64, "cycles", "Cycles of the step");
        d.put("time_ms", seconds * 1e3, "ms", "Time of the step at the configured clock");
        d.put("array_utilisation", (dense_macs + sparse_macs) as f64 / (pes * cycles.max(1) as f64), "ratio", "MACs issued over PE-cycles of the step");
        d.put("array_busy", array.busy_cycles as f64 / cycles.max(1) as f64, "ratio", "Share of the step the array holds a task");
        d.put("dram.bandwidth_gb_s", (dram.bytes_read + dram.bytes_written) as f64 / seconds.max(1e-30) / 1e9, "GB/s", "DRAM bytes over the step's time");
        d.put("dram.peak_gb_s", self.dram.peak_bytes_per_s() / 1e9, "GB/s", "Peak bandwidth of the configured DRAM");
        d.put("dram.stream_gb_s", transfer.stream_rate * 1e3, "GB/s", "Sustained streaming bandwidth of the DRAM, as calibrated on the dram block");
        let dense_equiv = (dense_macs + sparse_macs + array.skipped_macs) as f64;
        d.put("effective_tops", 2.0 * dense_equiv / seconds.max(1e-30) / 1e12, "TOPS", "Dense-equivalent operations (2 per MAC, skipped ones included) per second");
        for kind in [TaskKind::Ff, TaskKind::Bp, TaskKind::Wg, TaskKind::BpWg, TaskKind::Update] {
            let name = kind.name();
            let of_kind = || (0..step.tasks.len()).filter(|&t| step.tasks[t].kind == kind);
            let c: u64 = of_kind().filter(|&t| task_done[t]).map(|t| s.end[t] - s.start[t]).sum();
            if of_kind().next().is_some() {
                d.put(format!("task_cycles.{name}"), c as f64, "cycles", "Cycles of the tasks of this kind (they may overlap)");
            }
        }
        let mut inputs = BTreeMap::new();
        let dir = self.file.parent().unwrap_or(Path::new(""));
        inputs.insert("network".to_string(), input_path(dir, &dir.join(&self.exp.network)));
        let meta = ReportMeta {
            name: self.exp.name.clone(),
            kind: format!(
                "sat/{}-{}",
                match self.exp.mode {
                    Mode::Train => "train",
                    Mode::Inference => "inference",
                },
                self.nm.map_or("dense".into(), |n| n.name())
            ),
            seed: self.exp.seed,
            config: serde_json::to_value(&self.exp).expect("configs serialize"),
            inputs,
            energy: self.energy.as_ref().map(|(n, t)| (n.as_str(), t)),
        };
        let end = RunEnd {
            simulated_ps: (cycles as f64 * period_ps).round() as u64,
            stop_reason: if step.out_of_time {
                StopReason::WallClock
            } else if s.makespan > horizon {
                StopReason::TickLimit
            } else {
                StopReason::Drained
            },
            n_events,
        };
        let mut report = assemble_report(meta, end, stats, d);
        if report.energy.total_pj > 0.0 {
            let joules = report.energy.total_pj * 1e-12;
            report.derived.insert(
                "energy_mj".into(),
                crate::report::Metric {
                    value: joules * 1e3,
                    unit: "mJ".into(),
                    doc: "Energy of the step".into(),
                },
            );
            report.derived.insert(
                "gops_per_w".into(),
                crate::report::Metric {
                    value: 2.0 * dense_equiv / joules / 1e9,
                    unit: "GOPS/W".into(),
                    doc: "Dense-equivalent operations per joule (GOPS/W)".into(),
                },
            );
        }
        report.tables.push(self.layer_table(step, &task_done));
        // Sparse passes whose candidate stream outruns the buffers' banks so much that dense
        // would be faster.
        let slower: Vec<String> = step
            .passes
            .iter()
            .filter_map(|p| {
                let dense = p.dense_cycles?;
                (p.compute_cycles > dense).then(|| {
                    format!(
                        "{} {} ({} against {dense} cycles)",
                        self.net.layers[p.layer].name,
                        p.pass.name(),
                        p.compute_cycles
                    )
                })
            })
            .collect();
        if !slower.is_empty() {
            let shown: Vec<&str> = slower.iter().take(5).map(String::as_str).collect();
            report.warnings.push(format!(
                "{} sparse passes run slower than they would dense: {}{}. Their buffers cannot feed the sparse PEs' candidates (R x M / N words a cycle): give the activation and gradient buffers more banks or ports, or leave their banks unset to scale with the array",
                slower.len(),
                shown.join(", "),
                if slower.len() > shown.len() { ", ..." } else { "" }
            ));
        }
        let mut timeline = crate::report::timeline::Timeline::from_schedule(s, &step.graph, cfg.clock_mhz);
        timeline.spans.retain(|sp| sp.start_cycle + sp.cycles <= horizon);
        report.timeline = Some(timeline);
        report
    }

    /// The per-layer, per-pass table of the tasks `done`.
    fn layer_table(&self, step: &Step, done: &[bool]) -> ReportTable {
        let s = &step.schedule;
        let pes = (self.exp.sat.rows * self.exp.sat.cols) as f64;
        let mut rows = Vec::new();
        for (t, task) in step.tasks.iter().enumerate() {
            if !done[t] {
                continue;
            }
            let cycles = s.end[t] - s.start[t];
            for &p in &task.passes {
                let p = &step.passes[p];
                rows.push(vec![
                    self.net.layers[p.layer].name.clone().into(),
                    p.pass.name().into(),
                    task.kind.name().into(),
                    format!("{}x{}x{}", p.gemm.m, p.gemm.n, p.gemm.k).into(),
                    p.groups.into(),
                    p.pattern.map_or("dense".into(), |n| n.name()).into(),
                    s.start[t].into(),
                    cycles.into(),
                    p.compute_cycles.into(),
                    (cycles.saturating_sub(task.compute)).into(),
                    p.buffer_stall_cycles.into(),
                    p.macs.into(),
                    p.skipped.into(),
                    serde_json::json!(p.macs as f64 / (pes * p.compute_cycles.max(1) as f64)),
                    p.buffer_read.into(),
                    p.buffer_write.into(),
                    p.dram_read.into(),
                    p.dram_write.into(),
                    task.channels.into(),
                ]);
            }
        }
        ReportTable {
            name: "layers".into(),
            doc: "Each layer's GEMM passes (M x N x K of one channel group; a fused bp+wg task shows both of its passes with the task's start and cycles; stall = the task's cycles beyond its compute, waiting for DRAM)".into(),
            columns: [
                "layer", "pass", "task", "gemm_mxnxk", "groups", "pattern", "start_cycle", "task_cycles", "compute_cycles", "task_stall_cycles", "buffer_stall_cycles", "macs", "skipped_macs", "utilisation", "buffer_read_bytes", "buffer_write_bytes", "dram_read_bytes", "dram_write_bytes", "dram_channels",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        }
    }
}

impl Experiment for SatRun {
    fn name(&self) -> &str {
        &self.exp.name
    }

    fn machine(&self) -> &'static dyn Machine {
        &Sat
    }

    fn config_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        let v = serde_json::to_value(&self.exp).expect("configs serialize");
        flatten_keys(&v, "", &mut keys);
        let limits = serde_json::to_value(LimitsConfig::default()).expect("configs serialize");
        flatten_keys(&limits, "limits", &mut keys); // Echoed only when set.
        if !keys.iter().any(|k| k == "sat.memory.model") {
            keys.push("sat.memory.model".into()); // Left out of the echo at its default.
        }
        keys.sort();
        keys.dedup();
        keys
    }

    fn describe(&self) -> String {
        let weighted = self.net.layers.iter().filter(|l| l.has_weights()).count();
        format!(
            "{}: {} {} of {} ({} layers with weights, {:.2} GMACs per sample), batch {}, on a {} x {} {} array at {} MHz",
            self.exp.name,
            self.nm.map_or("dense".into(), |n| n.name()),
            match self.exp.mode {
                Mode::Train => "training step",
                Mode::Inference => "inference",
            },
            self.exp.network.display(),
            weighted,
            self.net.macs() as f64 / 1e9,
            self.exp.batch,
            self.exp.sat.rows,
            self.exp.sat.cols,
            self.exp.sat.dataflow.name(),
            self.exp.sat.clock_mhz
        )
    }

    fn run(self: Box<Self>) -> Result<Outcome, ExperimentError> {
        self.run_ref()
    }
}

impl Machine for Sat {
    fn name(&self) -> &'static str {
        "sat"
    }

    fn description(&self) -> &'static str {
        "SAT: N:M sparse training (BDWP) on a systolic array with sparse PEs, a weight generator and DDR4"
    }

    fn kernels(&self) -> Vec<&'static str> {
        vec![
            "training steps and inference of layer tables (workloads/dnn/*.csv), dense or N:M",
        ]
    }

    fn example(&self) -> &'static str {
        "configs/experiments/sat-resnet18-2to8.toml"
    }

    fn load(
        &self,
        file: &Path,
        text: &str,
        overrides: &[String],
    ) -> Result<Box<dyn Experiment>, ExperimentError> {
        let exp: SatExperiment = crate::config::parse(text, file, overrides)?;
        Ok(Box::new(SatRun::new(exp, file)?))
    }

    fn check_input_file(&self, file: &Path, text: &str) -> Option<Result<&'static str, ExperimentError>> {
        match file.extension().and_then(|e| e.to_str()) {
            Some("cfg") => Some(
                scalesim::parse_config(text, file)
                    .map(|_| "SCALE-Sim config")
                    .map_err(Into::into),
            ),
            Some("csv") => {
                let header = text.lines().find(|l| !l.trim().is_empty())?;
                let cols: Vec<String> = header.split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
                if !cols.first().is_some_and(|c| c.starts_with("layer")) {
                    return None;
                }
                let gemm = ["m", "n", "k"].iter().all(|k| cols.iter().any(|c| c == k));
                Some(
                    scalesim::parse_topology(text, file, gemm)
                        .map(|_| if gemm { "SCALE-Sim GEMM topology" } else { "SCALE-Sim convolution topology" })
                        .map_err(Into::into),
                )
            }
            _ => None,
        }
    }

    fn headline(&self, r: &RunReport) -> Vec<String> {
        let m = |k: &str| r.derived.get(k).map(|m| fmt_num(m.value)).unwrap_or_default();
        let mut lines = vec![
            format!(
                "step: {} cycles ({} ms at {} MHz), array utilisation {}, array busy {}",
                m("cycles"),
                m("time_ms"),
                r.config["sat"]["clock_mhz"].as_f64().unwrap_or(0.0),
                m("array_utilisation"),
                m("array_busy")
            ),
            format!(
                "DRAM {} GB/s of {} GB/s peak; {} dense-equivalent TOPS",
                m("dram.bandwidth_gb_s"),
                m("dram.peak_gb_s"),
                m("effective_tops")
            ),
        ];
        if r.derived.contains_key("energy_mj") {
            lines.push(format!(
                "energy {} mJ per step, {} GOPS/W",
                m("energy_mj"),
                m("gops_per_w")
            ));
        }
        lines
    }

    fn recognises_config(&self, table: &toml::Table) -> bool {
        let keys = serde_json::to_value(SatConfig::default()).expect("configs serialize");
        !table.is_empty()
            && table.contains_key("rows")
            && table.keys().all(|k| keys.get(k).is_some() || k == "memory")
    }

    fn check_config(&self, file: &Path) -> Result<(), ExperimentError> {
        let c: SatConfig = crate::config::load(file, &[])?;
        c.check().map_err(|e| e.in_file(file))?;
        Ok(())
    }

    fn studies(&self) -> Vec<&'static dyn Study> {
        vec![&reproduce::SatStudy]
    }
}
