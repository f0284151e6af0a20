//! Mobile CPU cores running AArch64 kernels: a Cortex-A76-like out-of-order core and a
//! Cortex-A55-like in-order one (`configs/mobile/*.toml`), each a `blocks/pipeline` over private
//! L1D and L2, a shared L3 and LPDDR4X ([`crate::blocks::memory`]).
//!
//! An experiment file (`kind = "mobile"`) names a kernel (`workloads/kernels/aarch64/*.s`), its
//! driver and sizes, and a core file. A run parses the kernel, lays out its memory, executes it
//! functionally (`program::aarch64`) and times every instruction it executes on the core; a GEMM's
//! output is checked against a plain product.

pub mod config;
pub mod network;
pub mod reproduce;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::blocks::memory::detailed::DramLines;
use crate::blocks::memory::transfer::{StreamingLines, TransferModel};
use crate::blocks::memory::{LineMemory, MemoryModel};
use crate::blocks::pipeline::Pipeline;
use crate::config::Invalid;
use crate::energy::EnergyTable;
use crate::engine::{RunError, StopReason, Tick};
use crate::machines::common::{assemble_report, flatten_keys, input_path, Derived, LimitsConfig, ReportMeta, RunEnd};
use crate::machines::{Experiment, ExperimentError, Machine, Outcome};
use crate::program::aarch64::driver::Layout;
use crate::program::aarch64::wasm::{lower, WasmProfile};
use crate::program::aarch64::{parse, Class, Kernel};
use crate::report::{fmt_num, RunReport};
use crate::stats::{StatTree, Unit};

use config::{CoreConfig, Resolved};
use crate::blocks::memory::hierarchy::Hierarchy;
use network::{Choice, Engine, Step};

/// The mobile machine.
pub struct Mobile;

/// A `kind = "mobile"` experiment file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MobileExperiment {
    /// Always "mobile".
    pub kind: String,
    /// Run name.
    pub name: String,
    /// The kernel, relative to this file (or `network`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<PathBuf>,
    /// The core file, relative to this file.
    pub core: PathBuf,
    /// The kernel's driver (see `program::aarch64::driver`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub driver: String,
    /// m (gemm rows; loop iterations).
    #[serde(default)]
    pub m: u64,
    /// n (gemm columns; loop buffer floats).
    #[serde(default)]
    pub n: u64,
    /// k (gemm reduction; the spmm drivers' input channels). Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u64>,
    /// Seed of the input values. Default 1.
    #[serde(default = "one")]
    pub seed: u64,
    /// Stop a kernel call that has not returned after this many instructions (a runaway: the
    /// run fails). Default 10^8 (the bundled networks' longest call executes 1.7 x 10^7).
    #[serde(default = "budget")]
    pub budget: u64,
    /// Run limits: `max_cycles` (core cycles), `wall_clock_s` and `max_instructions` stop the
    /// run and report what ran; `watchdog_cycles` fails a run in which one instruction retires
    /// that long after the one before.
    #[serde(default, skip_serializing_if = "LimitsConfig::is_default")]
    pub limits: LimitsConfig,
    /// Energy table, relative to this file. Default: none.
    pub energy_table: Option<PathBuf>,
    /// With the pruning drivers (`spmm`, `spmm2`, `spmm4`, `mnn4`, `mnn1`) or a network's sparse
    /// engines: the share of zero weights, in [0, 1), in steps of 0.001. Default 0.7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<f64>,
    /// Run the kernel as the WebAssembly profile lowers it. Default: native.
    pub wasm: Option<WasmProfile>,
    /// A layer table to run whole (instead of `kernel`), relative to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<PathBuf>,
    /// With `network`: how its 1x1 convolutions run (dense, unstructured, group, mnn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// Output channels a pruned group spans: the `group` engine's groups (1, 2 or 4) or the `mnn`
    /// engine's blocks (1 or 4). Default 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<u64>,
    /// With `network`: the input image's height and width. Default: the table's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<u64>,
    /// With the `mnn` engine: the share of zeros from which it takes its sparse path. Default
    /// 0.3, as MNN does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnn_threshold: Option<f64>,
    /// With the `group` engine: rearrange each 1x1 layer's output channels before pruning so
    /// groups hold channels with coinciding strong inputs (see `driver::rearranged`). Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rearrange: Option<bool>,
    /// With `network`: a directory to read the kernels from instead of the bundled ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernels: Option<PathBuf>,
}

fn one() -> u64 {
    1
}
fn budget() -> u64 {
    100_000_000
}

/// Overrides of these keys go to the experiment file; all others to its core file.
pub const EXPERIMENT_KEYS: [&str; 26] = [
    "limits.max_cycles",
    "limits.wall_clock_s",
    "limits.watchdog_cycles",
    "limits.max_instructions",
    "sparsity",
    "rearrange",
    "network",
    "engine",
    "group",
    "resolution",
    "mnn_threshold",
    "kernels",
    "kind",
    "name",
    "kernel",
    "core",
    "driver",
    "m",
    "n",
    "k",
    "seed",
    "budget",
    "energy_table",
    "wasm.relaxed_simd",
    "wasm.bounds_checks",
    "wasm.vector_registers",
];

/// A mobile experiment, loaded and checked.
pub struct MobileRun {
    exp: MobileExperiment,
    core: CoreConfig,
    resolved: Resolved,
    work: Work,
    energy: Option<(String, EnergyTable)>,
    /// The experiment file's folder (the report names inputs relative to it).
    dir: PathBuf,
}

/// What a run executes.
enum Work {
    /// One kernel under its driver.
    Kernel { kernel: Kernel, layout: Layout },
    /// A network's steps, with the kernels they call by file stem.
    Network {
        file: PathBuf,
        steps: Vec<Step>,
        kernels: BTreeMap<&'static str, Kernel>,
        choice: Choice,
    },
}

impl MobileRun {
    fn layout(exp: &MobileExperiment, file: &Path) -> Result<Layout, ExperimentError> {
        let l = Layout::from_driver(&exp.driver, exp.m, exp.n, exp.k.unwrap_or(1), exp.sparsity).map_err(
            |(key, e)| {
                let value = if key == "sparsity" {
                    exp.sparsity.unwrap_or(0.0).to_string()
                } else {
                    format!("{:?}", exp.driver)
                };
                Invalid::new(key, value, e).in_file(file)
            },
        )?;
        Ok(l)
    }

    /// Loads and checks an experiment file's text (overrides applied).
    pub fn load(file: &Path, text: &str, overrides: &[String]) -> Result<MobileRun, ExperimentError> {
        // An override goes to the core file if it names one of the core file's keys, else to
        // the experiment file (which then names a misspelt key among its own).
        let (rest, own): (Vec<String>, Vec<String>) = overrides.iter().cloned().partition(|o| {
            let key = o.split_once('=').map_or(o.as_str(), |(k, _)| k).trim();
            let top = key.split(['.', '[']).next().unwrap_or(key);
            !EXPERIMENT_KEYS.contains(&key) && config::CORE_KEYS.contains(&top)
        });
        let exp: MobileExperiment = crate::config::parse(text, file, &own)?;
        if exp.kind != "mobile" {
            return Err(Invalid::new("kind", format!("{:?}", exp.kind), "must be \"mobile\"").in_file(file).into());
        }
        let dir = file.parent().unwrap_or(Path::new("."));
        let mut files = vec![("core", &exp.core)];
        match (&exp.kernel, &exp.network) {
            (Some(k), None) => files.push(("kernel", k)),
            (None, Some(n)) => files.push(("network", n)),
            (Some(_), Some(_)) => {
                return Err(Invalid::new("network", "(with kernel)", "give either kernel (one kernel and its driver) or network (a layer table), not both")
                    .in_file(file)
                    .into())
            }
            (None, None) => {
                return Err(Invalid::new("kernel", "(missing)", "give kernel = \"FILE.s\" with driver, m, n and k, or network = \"TABLE.csv\" with engine")
                    .in_file(file)
                    .into())
            }
        }
        if let Some(t) = &exp.energy_table {
            files.push(("energy_table", t));
        }
        for (key, rel) in files {
            if !dir.join(rel).is_file() {
                return Err(Invalid::new(
                    key,
                    format!("{:?}", rel.display().to_string()),
                    format!("{} is not a readable file; paths are relative to the experiment file", dir.join(rel).display()),
                )
                .in_file(file)
                .into());
            }
        }
        exp.limits.check().map_err(|e| e.in_file(file))?;
        if exp.budget == 0 || exp.budget > 1 << 40 {
            return Err(Invalid::new("budget", exp.budget, "must be 1 to 2^40 instructions").in_file(file).into());
        }
        if let Some(w) = &exp.wasm {
            if w.vector_registers == 0 || w.vector_registers > 32 {
                return Err(Invalid::new("wasm.vector_registers", w.vector_registers, "must be 1 to 32").in_file(file).into());
            }
        }
        let (core, resolved) = config::load(&dir.join(&exp.core), &rest)?;
        let work = match (&exp.kernel, &exp.network) {
            (Some(k), _) => {
                for (key, set) in [
                    ("engine", exp.engine.is_some()),
                    ("group", exp.group.is_some()),
                    ("resolution", exp.resolution.is_some()),
                    ("mnn_threshold", exp.mnn_threshold.is_some()),
                    ("rearrange", exp.rearrange.is_some()),
                    ("kernels", exp.kernels.is_some()),
                ] {
                    if set {
                        return Err(Invalid::new(key, "(with kernel)", format!("{key} belongs to a network run (network = TABLE.csv); a kernel run takes driver, m, n and k"))
                            .in_file(file)
                            .into());
                    }
                }
                let kpath = dir.join(k);
                let ktext = std::fs::read_to_string(&kpath).map_err(|source| crate::config::ConfigError::Io {
                    file: kpath.clone(),
                    source,
                })?;
                Work::Kernel {
                    kernel: load_kernel(&ktext, &kpath, exp.wasm.as_ref())?,
                    layout: MobileRun::layout(&exp, file)?,
                }
            }
            (None, Some(n)) => network_work(&exp, file, &dir.join(n))?,
            (None, None) => unreachable!("checked above"),
        };
        let energy = match &exp.energy_table {
            Some(t) => Some((t.display().to_string(), EnergyTable::load(&dir.join(t))?)),
            None => None,
        };
        Ok(MobileRun {
            exp,
            core,
            resolved,
            work,
            energy,
            dir: dir.to_path_buf(),
        })
    }

    /// Runs the kernel, or the network, on the core.
    pub fn run_ref(&self) -> Result<Outcome, ExperimentError> {
        let r = &self.resolved;
        // Calibrated once per DRAM system and process, before the clock starts.
        let transfer = TransferModel::calibrate(&r.dram);
        let t0 = Instant::now();
        let period_ps = 1000.0 / self.core.clock_ghz;
        let line = 1u64 << r.levels[0].geo.line_shift;
        let main: Box<dyn LineMemory> = match r.memory {
            MemoryModel::Transfer => Box::new(StreamingLines::new(&transfer, line, period_ps)),
            MemoryModel::Dram => Box::new(DramLines::new(&r.dram, period_ps)),
        };
        let mut mem = Hierarchy::new(&r.levels, main);
        let mut pipe = Pipeline::new(&r.pipeline);
        let report = match &self.work {
            Work::Kernel { kernel, layout } => {
                let launch = layout.launch(self.exp.seed);
                let (m, stop) = self.execute(kernel, launch, &mut pipe, &mut mem, t0)?;
                // A run stopped by a limit has no complete output to check.
                let check = match stop {
                    StopReason::Drained => check_output(layout, self.exp.seed, &m, &kernel.file)?,
                    _ => None,
                };
                self.report(&pipe, &mut mem, &transfer, check, stop)
            }
            Work::Network { steps, kernels, .. } => self.run_network(steps, kernels, &mut pipe, &mut mem, &transfer, t0)?,
        };
        Ok(Outcome {
            report,
            wall: t0.elapsed(),
            work: (pipe.stats.instructions, "instructions"),
            result: None,
        })
    }

    /// Executes one kernel call, timing every instruction; returns the machine (its memory holds
    /// the outputs) and why it stopped: `Drained` when the call returned, or the limit that
    /// stopped it (`[limits]`, counted over the whole run, which started at `started`).
    fn execute<'k>(
        &self,
        kernel: &'k Kernel,
        launch: crate::program::aarch64::driver::Launch,
        pipe: &mut Pipeline,
        mem: &mut Hierarchy,
        started: Instant,
    ) -> Result<(crate::program::aarch64::Machine<'k>, StopReason), ExperimentError> {
        let mut m = crate::program::aarch64::Machine::new(kernel, &launch.args, launch.sp, launch.mem);
        let bad_kernel = |e: crate::program::aarch64::ExecError| {
            ExperimentError::Config(crate::config::ConfigError::Invalid {
                file: kernel.file.clone(),
                invalid: Invalid::new("kernel", "(run)", e.to_string()),
            })
        };
        let limits = &self.exp.limits;
        let max_cycles = limits.max_cycles.unwrap_or(u64::MAX);
        let max_instructions = limits.max_instructions.unwrap_or(u64::MAX);
        let wall = limits.wall_clock_s.map(std::time::Duration::from_secs_f64);
        let mut last = pipe.stats.cycles;
        while let Some(d) = m.step(self.exp.budget).map_err(bad_kernel)? {
            let retired = pipe.push(&d, mem);
            if retired.saturating_sub(last) > limits.watchdog_cycles {
                let now = Tick((retired as f64 * 1000.0 / self.core.clock_ghz) as u64);
                return Err(RunError::Stuck {
                    reason: "an instruction retired more than limits.watchdog_cycles after the one before",
                    now,
                    stuck: Vec::new(),
                }
                .into());
            }
            last = last.max(retired);
            if pipe.stats.cycles >= max_cycles {
                return Ok((m, StopReason::TickLimit));
            }
            if pipe.stats.instructions >= max_instructions {
                return Ok((m, StopReason::InstructionLimit));
            }
            if wall.is_some_and(|w| pipe.stats.instructions.is_multiple_of(1 << 16) && started.elapsed() >= w) {
                return Ok((m, StopReason::WallClock));
            }
        }
        Ok((m, StopReason::Drained))
    }

    /// Runs a network's steps back to back on one core and hierarchy, checks each step's output,
    /// and reports per step (the `layers` table), per network and as a timeline.
    fn run_network(
        &self,
        steps: &[Step],
        kernels: &BTreeMap<&'static str, Kernel>,
        pipe: &mut Pipeline,
        mem: &mut Hierarchy,
        transfer: &TransferModel,
        started: Instant,
    ) -> Result<RunReport, ExperimentError> {
        let fma_group = self.resolved.pipeline.classes[Class::Fma.index()].group;
        let fma_pipes = self.resolved.pipeline.groups[fma_group].count as f64;
        let level_names: Vec<String> = mem.levels.iter().map(|l| l.name.clone()).collect();
        let mut rows = Vec::new();
        let mut timeline = crate::report::timeline::Timeline::new(self.core.clock_ghz * 1e3, vec![self.core.name.clone()]);
        let mut before = self.stat_tree(pipe, mem);
        let mut busy_before = pipe.group_busy[fma_group];
        let mut worst = 0f64;
        let mut next_weights = network::WEIGHT_BASE;
        let mut cur = 0;
        let mut by_layer: Vec<(String, f64, f64)> = Vec::new();
        let (mut kept_sum, mut kept_n) = (0f64, 0f64);
        let (mut total, mut layout) = (0u64, 0u64);
        let clock_hz = self.core.clock_ghz * 1e9;
        let mut stop = StopReason::Drained;
        for (i, st) in steps.iter().enumerate() {
            if stop != StopReason::Drained {
                break; // A limit stopped the run in the step before.
            }
            let kernel = &kernels[st.kernel];
            let seed = network::step_seed(self.exp.seed, i);
            let bases = [network::ACT_BASES[cur], next_weights, network::ACT_BASES[1 - cur]];
            let launch = st.driver.launch_at(seed, bases);
            let b_len = launch.mem.region("B").map_or(0, |r| r.bytes.len() as u64);
            next_weights += b_len.div_ceil(4096).max(1) * 4096;
            cur = 1 - cur;
            let start = before.get("core.cycles").unwrap_or(0);
            let (m, why) = self.execute(kernel, launch, pipe, mem, started)?;
            if why == StopReason::Drained {
                worst = worst.max(check_output(&st.driver, seed, &m, &kernel.file)?.unwrap_or(0.0));
            }
            stop = why;
            let after = self.stat_tree(pipe, mem);
            let d = |k: &str| after.get(k).unwrap_or(0) - before.get(k).unwrap_or(0);
            let cycles = d("core.cycles");
            let insts = d("core.instructions");
            let busy = pipe.group_busy[fma_group] - busy_before;
            let energy_uj = self.energy.as_ref().map(|(name, t)| {
                let mut delta = StatTree::default();
                for (a, b) in after.entries.iter().zip(&before.entries) {
                    delta.entries.push(crate::stats::StatEntry {
                        value: a.value - b.value,
                        ..a.clone()
                    });
                }
                t.price(name, &delta).total_pj / 1e6
            });
            let ms = cycles as f64 / clock_hz * 1e3;
            total += cycles;
            if st.layout_step {
                layout += cycles;
            }
            let mut row = vec![
                serde_json::json!(st.layer),
                serde_json::json!(if st.layout_step { "layout" } else { "operator" }),
                serde_json::json!(st.kernel),
                serde_json::json!(st.macs),
                serde_json::json!(insts),
                serde_json::json!(cycles),
                serde_json::json!(ms),
                serde_json::json!(insts as f64 / cycles.max(1) as f64),
                serde_json::json!(busy as f64 / (cycles.max(1) as f64 * fma_pipes)),
            ];
            for n in &level_names {
                row.push(serde_json::json!(d(&format!("{n}.misses"))));
            }
            row.push(serde_json::json!(d("dram.bytes_read") + d("dram.bytes_written")));
            row.push(serde_json::json!(energy_uj));
            let kept = st.driver.kept_magnitude(seed);
            if let Some((k, n)) = kept {
                kept_sum += k * n as f64;
                kept_n += n as f64;
            }
            row.push(serde_json::json!(kept.map(|k| k.0)));
            rows.push(row);
            timeline.spans.push(crate::report::timeline::Span {
                track: 0,
                name: format!("{} ({})", st.layer, st.kernel),
                category: if st.layout_step { "layout" } else { "operator" }.into(),
                start_cycle: start,
                cycles,
                args: BTreeMap::from([("instructions".to_string(), insts)]),
            });
            match by_layer.last_mut() {
                Some(l) if l.0 == st.layer => {
                    if st.layout_step { l.2 += ms } else { l.1 += ms }
                }
                _ => by_layer.push((st.layer.clone(), if st.layout_step { 0.0 } else { ms }, if st.layout_step { ms } else { 0.0 })),
            }
            before = after;
            busy_before = pipe.group_busy[fma_group];
        }
        // A run stopped by a limit has a step whose output was not checked.
        let mut report = self.report(pipe, mem, transfer, (stop == StopReason::Drained).then_some(worst), stop);
        let macs: u64 = steps.iter().map(|s| s.macs).sum();
        let put = |r: &mut RunReport, k: &str, v: f64, unit: &str, doc: &str| {
            r.derived.insert(k.into(), crate::report::Metric { value: v, unit: unit.into(), doc: doc.into() });
        };
        put(&mut report, "latency_ms", total as f64 / clock_hz * 1e3, "ms", "The network's latency at the core clock (one inference, one core)");
        put(&mut report, "layout_share", layout as f64 / total.max(1) as f64, "ratio", "Share of the cycles spent in layout steps (padding, NC4HW4 to CHW)");
        if kept_n > 0.0 {
            put(&mut report, "kept_magnitude", kept_sum / kept_n, "ratio", "Share of the pruned layers' weight magnitude that pruning keeps (over all their weights): an accuracy proxy, higher is better");
        }
        put(&mut report, "macs", macs as f64, "count", "Multiply-accumulates of the network, counted dense");
        put(&mut report, "gmacs_per_s", macs as f64 / (total as f64 / clock_hz) / 1e9, "GMAC/s", "Dense-equivalent multiply-accumulates per second");
        let mut columns: Vec<String> = ["layer", "step", "kernel", "macs", "instructions", "cycles", "ms", "ipc", "fma_pipe_utilisation"].iter().map(|c| c.to_string()).collect();
        columns.extend(level_names.iter().map(|n| format!("{n}_misses")));
        columns.push("dram_bytes".into());
        columns.push("energy_uj".into());
        columns.push("kept_magnitude".into());
        report.tables.push(crate::report::ReportTable {
            name: "layers".into(),
            doc: "Per kernel call, in order: the layer, whether it is the layer's operator or a layout step before it, the kernel, the layer's dense MACs, instructions, cycles, milliseconds at the core clock, IPC, the FMLA pipes' utilisation, misses per cache level, DRAM bytes, energy (with an energy table), and for pruned layers the share of the weights' magnitude kept.".into(),
            columns,
            rows,
        });
        report.figures.push((
            "layers".into(),
            crate::report::plot::Figure::Bars {
                title: format!("{}: latency by layer", self.exp.name),
                y_label: "ms".into(),
                groups: by_layer.iter().map(|l| l.0.clone()).collect(),
                // Series in the schedule chart's order of categories (by name), so that each
                // has the same colour in both.
                series: vec![
                    ("layout".into(), by_layer.iter().map(|l| Some(l.2)).collect()),
                    ("operator".into(), by_layer.iter().map(|l| Some(l.1)).collect()),
                ],
                stacked: true,
            },
        ));
        let mix: Vec<(String, u64)> = Class::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| pipe.class_count[*i] > 0)
            .map(|(i, c)| (c.name().to_string(), pipe.class_count[i]))
            .collect();
        report.figures.push((
            "instruction_mix".into(),
            crate::report::plot::Figure::Bars {
                title: format!("{}: instruction mix", self.exp.name),
                y_label: "millions of instructions".into(),
                groups: mix.iter().map(|m| m.0.clone()).collect(),
                series: vec![("executed".into(), mix.iter().map(|m| Some(m.1 as f64 / 1e6)).collect())],
                stacked: false,
            },
        ));
        report.timeline = Some(timeline);
        Ok(report)
    }

    /// Every statistic of the core and its memory, in a fixed order.
    fn stat_tree(&self, p: &Pipeline, mem: &Hierarchy) -> StatTree {
        let mut stats = StatTree::default();
        stats.add("core", &p.stats);
        for (i, c) in Class::ALL.iter().enumerate() {
            stats.push(format!("core.class.{}", c.name()), p.class_count[i], Unit::Count, "Instructions of this class executed");
        }
        for (g, busy) in self.resolved.pipeline.groups.iter().zip(&p.group_busy) {
            stats.push(format!("core.pipe.{}.busy_cycles", g.name), *busy, Unit::Cycles, "Pipe-cycles the group's pipes were busy (summed over its pipes)");
        }
        for (g, c) in self.resolved.pipeline.groups.iter().zip(&p.pipe_cycles) {
            stats.push(format!("core.stack_pipe.{}", g.name), *c, Unit::Cycles, "Of the pipe cycles of the stack, those waiting for this group");
        }
        for (i, n) in mem.level_names().iter().enumerate().take(crate::blocks::memory::MAX_LEVELS) {
            stats.push(format!("core.stack_memory.{n}"), p.memory_cycles[i], Unit::Cycles, "Of the memory cycles of the stack, those of accesses this level served");
        }
        for l in &mem.levels {
            stats.add(&l.name, &l.stats);
        }
        stats.add("dram", &mem.dram);
        mem.collect_main_stats("dram", &mut stats);
        stats
    }

    fn report(&self, p: &Pipeline, mem: &mut Hierarchy, transfer: &TransferModel, check: Option<f64>, stop: StopReason) -> RunReport {
        mem.drain();
        let stats = self.stat_tree(p, mem);
        let cycles = p.stats.cycles.max(1);
        let secs = cycles as f64 / (self.core.clock_ghz * 1e9);
        let g = |k: &str| stats.get(k).unwrap_or(0) as f64;
        let mut d = Derived::default();
        d.put("cycles", cycles as f64, "cycles", "Cycles to the last retirement");
        d.put("time_us", secs * 1e6, "us", "Time at the core clock");
        d.put("ipc", p.stats.instructions as f64 / cycles as f64, "instructions/cycle", "Instructions per cycle");
        for (gr, busy) in self.resolved.pipeline.groups.iter().zip(&p.group_busy) {
            d.put(
                format!("pipe_utilisation.{}", gr.name),
                *busy as f64 / (cycles as f64 * gr.count as f64),
                "ratio",
                "Busy pipe-cycles over the group's pipe-cycles",
            );
        }
        for l in &mem.levels {
            let acc = g(&format!("{}.accesses", l.name));
            d.put(
                format!("{}.miss_rate", l.name),
                if acc > 0.0 { g(&format!("{}.misses", l.name)) / acc } else { 0.0 },
                "ratio",
                "Misses over accesses at this level",
            );
        }
        d.put("dram.bandwidth_gb_s", (g("dram.bytes_read") + g("dram.bytes_written")) / secs / 1e9, "GB/s", "DRAM bytes over the run's time");
        d.put("dram.stream_gb_s", transfer.stream_rate * 1e3, "GB/s", "Sustained streaming bandwidth of the DRAM, as calibrated on the dram block");
        d.put(
            "decode_utilisation",
            p.stats.instructions as f64 / (cycles as f64 * self.resolved.pipeline.decode_width as f64),
            "ratio",
            "Instructions over decode slots: near 1, the front end's width bounds the run",
        );
        for part in ["frontend", "window", "dependency", "pipe", "execute", "memory", "retire"] {
            d.put(
                format!("cycles_share.{part}"),
                g(&format!("core.stack_{part}")) / cycles as f64,
                "ratio",
                "Share of the cycles between retirements attributed to this: what the instruction retiring next was doing then (a throughput limit with a window that is not full shows as its execution: see the utilisations)",
            );
        }
        d.put("mispredict_rate", g("core.mispredicts") / g("core.branches").max(1.0), "ratio", "Mispredicted over conditional branches");
        if let Some(e) = check {
            d.put("check.max_rel_error", e, "ratio", "Largest error of C against a plain product, over the sum of its terms' magnitudes");
        }
        let mut inputs = BTreeMap::new();
        let kind = match &self.work {
            Work::Kernel { kernel, .. } => {
                inputs.insert("kernel".into(), input_path(&self.dir, &self.dir.join(self.exp.kernel.as_deref().unwrap_or(Path::new("")))));
                format!("mobile/{}", kernel.symbol.clone().unwrap_or_else(|| "kernel".into()))
            }
            Work::Network { file, choice, .. } => {
                inputs.insert("network".into(), input_path(&self.dir, file));
                format!("mobile/network/{}", choice.engine.name())
            }
        };
        inputs.insert("core".into(), input_path(&self.dir, &self.dir.join(&self.exp.core)));
        let meta = ReportMeta {
            name: self.exp.name.clone(),
            kind,
            seed: self.exp.seed,
            config: serde_json::json!({ "experiment": self.exp, "core": self.core }),
            inputs,
            energy: self.energy.as_ref().map(|(n, t)| (n.as_str(), t)),
        };
        let end = RunEnd {
            simulated_ps: (secs * 1e12).round() as u64,
            stop_reason: stop,
            n_events: mem.n_events(),
        };
        assemble_report(meta, end, stats, d)
    }
}

/// Parses a kernel's text (lowered first for the WebAssembly profile); errors name the line.
fn load_kernel(text: &str, path: &Path, wasm: Option<&WasmProfile>) -> Result<Kernel, ExperimentError> {
    let to_config = |e: crate::program::aarch64::ParseError| {
        ExperimentError::Config(crate::config::ConfigError::Invalid {
            file: path.to_path_buf(),
            invalid: Invalid::new(format!("line {}", e.line), e.text.clone(), e.msg.clone()),
        })
    };
    let lowered;
    let text = match wasm {
        Some(w) => {
            lowered = lower(text, path, w).map_err(to_config)?;
            lowered.as_str()
        }
        None => text,
    };
    parse(text, path).map_err(to_config)
}

/// A network experiment's steps and kernels.
fn network_work(exp: &MobileExperiment, file: &Path, table: &Path) -> Result<Work, ExperimentError> {
    let bad = |key: &str, value: String, msg: String| -> ExperimentError { Invalid::new(key, value, msg).in_file(file).into() };
    for key in ["driver", "m", "n", "k"] {
        let set = match key {
            "driver" => !exp.driver.is_empty(),
            "m" => exp.m != 0,
            "n" => exp.n != 0,
            _ => exp.k.is_some(),
        };
        if set {
            return Err(bad(key, "(with network)".into(), format!("{key} belongs to a kernel run; a network's layers give each kernel its driver and sizes")));
        }
    }
    let engine = exp.engine.ok_or_else(|| bad("engine", "(missing)".into(), "a network run needs engine = \"dense\", \"unstructured\", \"group\" or \"mnn\"".into()))?;
    let sparsity = exp.sparsity.unwrap_or(crate::program::aarch64::driver::DEFAULT_SPARSITY);
    let permille = crate::program::aarch64::driver::permille(sparsity).map_err(|e| bad("sparsity", sparsity.to_string(), e))?;
    let group = exp.group.unwrap_or(4);
    if engine == Engine::Mnn && ![1, 4].contains(&group) {
        return Err(bad("group", group.to_string(), "the MNN-like engine takes blocks of 1 or 4 output channels (mnn_16x1.s, mnn_16x4.s), as MNN's sparseBlockOC".into()));
    }
    if ![1, 2, 4].contains(&group) {
        return Err(bad("group", group.to_string(), "groups of 1, 2 or 4 output channels (the kernels spmm_16x1.s, spmm_16x2.s, spmm_16x4.s)".into()));
    }
    let threshold = exp.mnn_threshold.unwrap_or(0.3);
    let mnn_threshold = crate::program::aarch64::driver::permille(threshold).map_err(|e| bad("mnn_threshold", threshold.to_string(), e))?;
    if engine != Engine::Mnn && exp.mnn_threshold.is_some() {
        return Err(bad("mnn_threshold", threshold.to_string(), "the threshold chooses the mnn engine's path; with another engine leave it out".into()));
    }
    let mut net = crate::workload::layers::load(table)?;
    if let Some(r) = exp.resolution {
        net = net.with_input(r).map_err(|e| match e {
            crate::config::ConfigError::Invalid { invalid, .. } => ExperimentError::from(Invalid::new("resolution", r, invalid.to_string()).in_file(file)),
            other => other.into(),
        })?;
    }
    let rearrange = exp.rearrange.unwrap_or(false);
    if rearrange && engine != Engine::Group {
        return Err(bad("rearrange", "true".into(), "channel rearrangement groups output channels for the group engine; set engine = \"group\" or drop it".into()));
    }
    let choice = Choice {
        engine,
        group,
        permille,
        mnn_threshold,
        rearrange,
    };
    let steps = network::plan(&net, choice).map_err(|e| -> ExperimentError {
        match e {
            network::PlanError::Layer { line, layer, fix } => {
                let at = exp.resolution.map_or(String::new(), |r| format!(" (with resolution = {r})"));
                crate::config::ConfigError::Invalid {
                    file: table.to_path_buf(),
                    invalid: Invalid::new(format!("line {line}"), layer, format!("{fix}{at}")),
                }
                .into()
            }
            network::PlanError::Choice { key, msg, .. } => {
                let value = if key == "group" { group.to_string() } else { format!("{:?}", engine.name()) };
                Invalid::new(key, value, msg).in_file(file).into()
            }
        }
    })?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut kernels = BTreeMap::new();
    for st in &steps {
        if kernels.contains_key(st.kernel) {
            continue;
        }
        let (path, text) = match &exp.kernels {
            Some(d) => {
                let path = dir.join(d).join(format!("{}.s", st.kernel));
                let text = std::fs::read_to_string(&path).map_err(|source| crate::config::ConfigError::Io { file: path.clone(), source })?;
                (path, text)
            }
            None => {
                let (_, text) = network::BUNDLED.iter().find(|(n, _)| *n == st.kernel).expect("every step's kernel is bundled");
                (PathBuf::from(format!("workloads/kernels/aarch64/{}.s (bundled)", st.kernel)), text.to_string())
            }
        };
        kernels.insert(st.kernel, load_kernel(&text, &path, exp.wasm.as_ref())?);
    }
    Ok(Work::Network {
        file: table.to_path_buf(),
        steps,
        kernels,
        choice,
    })
}

/// The output region of a kernel run on `layout`'s memory for `seed` against the plain
/// computation: the largest relative error, or [`ExperimentError::Check`] naming the kernel.
pub(crate) fn check_output(
    layout: &Layout,
    seed: u64,
    m: &crate::program::aarch64::Machine,
    kernel: &Path,
) -> Result<Option<f64>, ExperimentError> {
    let Some((want, mag)) = layout.expected(seed) else {
        return Ok(None);
    };
    let got: Vec<f32> = m
        .mem
        .region("C")
        .expect("drivers lay out C")
        .bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    crate::program::aarch64::conv::compare(&got, &want, &mag).map(Some).map_err(|(i, got, want)| {
        ExperimentError::Check(format!(
            "{}: output float {i} is {got} but the plain computation gives {want} (the kernel does not compute its operator)",
            kernel.display()
        ))
    })
}

impl Experiment for MobileRun {
    fn name(&self) -> &str {
        &self.exp.name
    }

    fn machine(&self) -> &'static dyn Machine {
        &Mobile
    }

    fn config_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        flatten_keys(&serde_json::to_value(&self.core).expect("configs serialize"), "", &mut keys);
        if !keys.iter().any(|k| k == "memory.model") {
            keys.push("memory.model".into()); // Left out of the echo at its default.
        }
        keys.extend(EXPERIMENT_KEYS.iter().map(|k| k.to_string()));
        keys.sort();
        keys
    }

    fn describe(&self) -> String {
        let wasm = self.exp.wasm.map_or(String::new(), |w| {
            format!(
                " as WebAssembly (relaxed SIMD {}, bounds checks {:?})",
                if w.relaxed_simd { "on" } else { "off" },
                w.bounds_checks
            )
        });
        match &self.work {
            Work::Kernel { .. } => format!(
                "{}: {}{wasm} ({} driver, m {} n {} k {}) on {} at {} GHz",
                self.exp.name,
                self.exp.kernel.as_deref().unwrap_or(Path::new("")).display(),
                self.exp.driver,
                self.exp.m,
                self.exp.n,
                self.exp.k.unwrap_or(1),
                self.core.name,
                self.core.clock_ghz
            ),
            Work::Network { file, steps, choice, .. } => format!(
                "{}: {} ({} kernel calls), 1x1 convolutions {} at {} % zeros{wasm}, on {} at {} GHz",
                self.exp.name,
                file.display(),
                steps.len(),
                choice.engine.name(),
                choice.permille as f64 / 10.0,
                self.core.name,
                self.core.clock_ghz
            ),
        }
    }

    fn run(self: Box<Self>) -> Result<Outcome, ExperimentError> {
        self.run_ref()
    }
}

impl Machine for Mobile {
    fn name(&self) -> &'static str {
        "mobile"
    }

    fn check_input_file(&self, file: &Path, text: &str) -> Option<Result<&'static str, ExperimentError>> {
        matches!(file.extension().and_then(|e| e.to_str()), Some("s" | "S"))
            .then(|| load_kernel(text, file, None).map(|_| "AArch64 kernel"))
    }

    fn description(&self) -> &'static str {
        "Cortex-A76-like out-of-order and A55-like in-order cores running AArch64 kernels, over L1/L2/L3 and LPDDR4X"
    }

    fn kernels(&self) -> Vec<&'static str> {
        vec![
            "AArch64 assembly kernels (workloads/kernels/aarch64/*.s) under their drivers (gemm, spmm, spmm2, spmm4, conv3x3s2, dw3x3s1, dw3x3s2, conv1x1, mnn4, mnn1, pad, nc4hw4, gavgpool, gemv, loop)",
            "whole networks from a layer table (network = ...): MobileNet-v1 with dense, unstructured, group-sparse or MNN-like 1x1 convolutions",
        ]
    }

    fn studies(&self) -> Vec<&'static dyn crate::machines::Study> {
        vec![&reproduce::SparseByteNnStudy]
    }

    fn example(&self) -> &'static str {
        "configs/experiments/mobile-a76-sgemm.toml"
    }

    fn load(
        &self,
        file: &Path,
        text: &str,
        overrides: &[String],
    ) -> Result<Box<dyn Experiment>, ExperimentError> {
        Ok(Box::new(MobileRun::load(file, text, overrides)?))
    }

    fn headline(&self, r: &RunReport) -> Vec<String> {
        let m = |k: &str| r.derived.get(k).map(|m| fmt_num(m.value)).unwrap_or_default();
        let pipes: Vec<String> = r
            .derived
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("pipe_utilisation.").map(|p| format!("{p} {}", fmt_num(v.value))))
            .collect();
        let misses: Vec<String> = r
            .derived
            .iter()
            .filter_map(|(k, v)| k.strip_suffix(".miss_rate").map(|p| format!("{p} {}", fmt_num(v.value))))
            .collect();
        let energy = if r.energy.total_pj > 0.0 {
            format!("; energy {} uJ", fmt_num(r.energy.total_pj / 1e6))
        } else {
            String::new()
        };
        vec![
            format!("{} cycles ({} us), IPC {}{energy}; pipe utilisation: {}", m("cycles"), m("time_us"), m("ipc"), pipes.join(", ")),
            format!("miss rates: {}; DRAM {} GB/s; mispredicts {}", misses.join(", "), m("dram.bandwidth_gb_s"), m("mispredict_rate")),
        ]
    }

    fn recognises_config(&self, table: &toml::Table) -> bool {
        table.contains_key("pipes") && table.contains_key("classes")
    }

    fn check_config(&self, file: &Path) -> Result<(), ExperimentError> {
        config::load(file, &[])?;
        Ok(())
    }
}
