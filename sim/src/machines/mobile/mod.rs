//! Mobile CPU cores running AArch64 kernels: a Cortex-A76-like out-of-order core and a
//! Cortex-A55-like in-order one (`configs/mobile/*.toml`), each a `blocks/pipeline` over private
//! L1D and L2, a shared L3 and LPDDR4X ([`memory`]).
//!
//! An experiment file (`kind = "mobile"`) names a kernel (`workloads/kernels/aarch64/*.s`), its
//! driver and sizes, and a core file. A run parses the kernel, lays out its memory, executes it
//! functionally (`program::aarch64`) and times every instruction it executes on the core; a GEMM's
//! output is checked against a plain product.

pub mod config;
pub mod memory;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::blocks::dram::transfer::TransferModel;
use crate::blocks::pipeline::Pipeline;
use crate::config::Invalid;
use crate::energy::EnergyTable;
use crate::engine::StopReason;
use crate::machines::common::{assemble_report, flatten_keys, Derived, ReportMeta, RunEnd};
use crate::machines::{Experiment, ExperimentError, Machine, Outcome};
use crate::program::aarch64::driver::Layout;
use crate::program::aarch64::wasm::{lower, WasmProfile};
use crate::program::aarch64::{parse, Class, Kernel};
use crate::report::{fmt_num, RunReport};
use crate::stats::{StatTree, Unit};

use config::{CoreConfig, Resolved};
use memory::Hierarchy;

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
    /// The kernel, relative to this file.
    pub kernel: PathBuf,
    /// The core file, relative to this file.
    pub core: PathBuf,
    /// Driver: `gemm` or `loop`.
    pub driver: String,
    /// m (gemm rows; loop iterations).
    pub m: u64,
    /// n (gemm columns; loop buffer floats).
    pub n: u64,
    /// k (gemm reduction). Default 1.
    #[serde(default = "one")]
    pub k: u64,
    /// Seed of the input values. Default 1.
    #[serde(default = "one")]
    pub seed: u64,
    /// Stop a kernel that has not returned after this many instructions. Default 10^9.
    #[serde(default = "budget")]
    pub budget: u64,
    /// Energy table, relative to this file. Default: none.
    pub energy_table: Option<PathBuf>,
    /// With the `spmm` and `spmm4` drivers: the share of zero weights, in [0, 1). Default 0.7.
    #[serde(default = "seventy")]
    pub sparsity: f64,
    /// Run the kernel as the WebAssembly profile lowers it. Default: native.
    pub wasm: Option<WasmProfile>,
}

fn one() -> u64 {
    1
}
fn seventy() -> f64 {
    0.7
}
fn budget() -> u64 {
    1_000_000_000
}

/// Overrides of these keys go to the experiment file; all others to its core file.
pub const EXPERIMENT_KEYS: [&str; 15] = [
    "sparsity",
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
    kernel: Kernel,
    layout: Layout,
    energy: Option<(String, EnergyTable)>,
}

impl MobileRun {
    fn layout(exp: &MobileExperiment, file: &Path) -> Result<Layout, ExperimentError> {
        let l = Layout::from_driver(&exp.driver, exp.m, exp.n, exp.k, exp.sparsity).map_err(
            |(key, e)| {
                let value = if key == "sparsity" {
                    exp.sparsity.to_string()
                } else {
                    format!("{:?}", exp.driver)
                };
                Invalid::new(key, value, e).in_file(file)
            },
        )?;
        if exp.budget == 0 || exp.budget > 1 << 40 {
            return Err(Invalid::new("budget", exp.budget, "must be 1 to 2^40 instructions").in_file(file).into());
        }
        Ok(l)
    }

    /// Runs the kernel on the core.
    pub fn run_ref(&self) -> Result<Outcome, ExperimentError> {
        let r = &self.resolved;
        // Calibrated once per DRAM system and process, before the clock starts.
        let transfer = TransferModel::calibrate(&r.dram);
        let t0 = Instant::now();
        let period_ps = 1000.0 / self.core.clock_ghz;
        let line = 1u64 << r.levels[0].geo.line_shift;
        let line_cycles = line as f64 / transfer.stream_rate / period_ps;
        let dram_latency = (transfer.latency_ps / period_ps).ceil() as u64;
        let mut mem = Hierarchy::new(&r.levels, line_cycles, dram_latency);
        let mut pipe = Pipeline::new(&r.pipeline);
        let launch = self.layout.launch(self.exp.seed);
        let mut m = crate::program::aarch64::Machine::new(&self.kernel, &launch.args, launch.sp, launch.mem);
        let bad_kernel = |e: crate::program::aarch64::ExecError| {
            ExperimentError::Config(crate::config::ConfigError::Invalid {
                file: self.kernel.file.clone(),
                invalid: Invalid::new("kernel", "(run)", e.to_string()),
            })
        };
        while let Some(d) = m.step(self.exp.budget).map_err(bad_kernel)? {
            pipe.push(&d, &mut mem);
        }
        let wall = t0.elapsed();
        let check = self.check(&m)?;
        let report = self.report(&pipe, &mem, &transfer, check);
        Ok(Outcome {
            report,
            wall,
            work: (pipe.stats.instructions, "instructions"),
            result: None,
        })
    }

    /// For a GEMM: the largest error of C against a plain product, relative to the sum of the
    /// magnitudes of its terms (0 when bit-identical); a kernel that computes something else
    /// fails the run.
    fn check(&self, m: &crate::program::aarch64::Machine) -> Result<Option<f64>, ExperimentError> {
        if let Layout::Spmm {
            hw,
            cout,
            cin,
            sparsity_permille,
            block,
        } = self.layout
        {
            return self.check_spmm(m, hw as usize, cout as usize, cin as usize, sparsity_permille, block);
        }
        if let Layout::Op(o) = self.layout {
            let t = o.tensors(self.exp.seed);
            let c = &m.mem.region("C").expect("drivers lay out C").bytes;
            return o.compare(&t, c).map(Some).map_err(|(i, got, want)| {
                ExperimentError::Check(format!(
                    "{}: output float {i} is {got} but the plain {} gives {want}",
                    self.kernel.file.display(),
                    o.op.driver()
                ))
            });
        }
        let Layout::Gemm { m: mm, n, k } = self.layout else {
            return Ok(None);
        };
        let f = |name: &str| -> Vec<f32> {
            m.mem
                .region(name)
                .expect("gemm lays out A, B, C")
                .bytes
                .chunks(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect()
        };
        let (a, b, c) = (f("A"), f("B"), f("C"));
        let (mm, n, k) = (mm as usize, n as usize, k as usize);
        let mut worst = 0f64;
        for i in 0..mm {
            for j in 0..n {
                let (mut acc, mut mag) = (0f64, 0f64);
                for p in 0..k {
                    let t = a[i * k + p] as f64 * b[p * n + j] as f64;
                    acc += t;
                    mag += t.abs();
                }
                let err = (c[i * n + j] as f64 - acc).abs() / mag.max(f64::MIN_POSITIVE);
                if err.is_nan() || err > 1e-5 {
                    return Err(ExperimentError::Check(format!(
                        "{}: C[{i}][{j}] = {} but the product is {acc} (the kernel does not compute A x B)",
                        self.kernel.file.display(),
                        c[i * n + j]
                    )));
                }
                worst = worst.max(err);
            }
        }
        Ok(Some(worst))
    }

    /// For the SpMM driver: the output against a plain 1x1 convolution of the pruned weights.
    fn check_spmm(
        &self,
        m: &crate::program::aarch64::Machine,
        hw: usize,
        cout: usize,
        cin: usize,
        permille: u64,
        block: u64,
    ) -> Result<Option<f64>, ExperimentError> {
        use rand_core::SeedableRng;
        let f = |b: &[u8]| -> Vec<f32> {
            b.chunks(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
        };
        let mut rng = rand_pcg::Pcg64::seed_from_u64(self.exp.seed);
        let x = f(&crate::program::aarch64::driver::floats(&mut rng, (hw * cin) as u64));
        let dense = f(&crate::program::aarch64::driver::floats(&mut rng, (cout * cin) as u64));
        let w =
            crate::program::aarch64::driver::prune(&dense, cout as u64, cin as u64, block, permille);
        let c = f(&m.mem.region("C").expect("spmm lays out C").bytes);
        let mut worst = 0f64;
        for co in 0..cout {
            for p in 0..hw {
                let (mut acc, mut mag) = (0f64, 0f64);
                for ci in 0..cin {
                    let t = x[ci * hw + p] as f64 * w[co * cin + ci] as f64;
                    acc += t;
                    mag += t.abs();
                }
                let err = (c[co * hw + p] as f64 - acc).abs() / mag.max(f64::MIN_POSITIVE);
                if err.is_nan() || (err > 1e-5 && mag > 0.0) || (mag == 0.0 && c[co * hw + p] != 0.0) {
                    return Err(ExperimentError::Check(format!(
                        "{}: out[{co}][{p}] = {} but the sparse convolution gives {acc}",
                        self.kernel.file.display(),
                        c[co * hw + p]
                    )));
                }
                worst = worst.max(if mag > 0.0 { err } else { 0.0 });
            }
        }
        Ok(Some(worst))
    }

    fn report(&self, p: &Pipeline, mem: &Hierarchy, transfer: &TransferModel, check: Option<f64>) -> RunReport {
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
        for (i, n) in mem.level_names().iter().enumerate().take(crate::blocks::pipeline::MAX_LEVELS) {
            stats.push(format!("core.stack_memory.{n}"), p.memory_cycles[i], Unit::Cycles, "Of the memory cycles of the stack, those of accesses this level served");
        }
        for l in &mem.levels {
            stats.add(&l.name, &l.stats);
        }
        stats.add("dram", &mem.dram);
        let cycles = p.stats.cycles.max(1);
        let secs = cycles as f64 / (self.core.clock_ghz * 1e9);
        let g = |k: &str| stats.get(k).unwrap_or(0) as f64;
        let mut d = Derived::default();
        d.put("cycles", cycles as f64, "cycles", "Cycles to the last retirement");
        d.put("time_us", secs * 1e6, "us", "Time at the core clock");
        d.put("ipc", p.stats.instructions as f64 / cycles as f64, "ratio", "Instructions per cycle");
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
        inputs.insert("kernel".into(), self.exp.kernel.display().to_string());
        inputs.insert("core".into(), self.exp.core.display().to_string());
        let meta = ReportMeta {
            name: self.exp.name.clone(),
            kind: format!("mobile/{}", self.kernel.symbol.clone().unwrap_or_else(|| "kernel".into())),
            seed: self.exp.seed,
            config: serde_json::json!({ "experiment": self.exp, "core": self.core }),
            inputs,
            energy: self.energy.as_ref().map(|(n, t)| (n.as_str(), t)),
        };
        let end = RunEnd {
            simulated_ps: (secs * 1e12).round() as u64,
            stop_reason: StopReason::Drained,
            n_events: 0,
        };
        assemble_report(meta, end, stats, d)
    }
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
        keys.extend(EXPERIMENT_KEYS.iter().map(|k| k.to_string()));
        keys.sort();
        keys
    }

    fn describe(&self) -> String {
        format!(
            "{}: {}{} ({} driver, m {} n {} k {}) on {} at {} GHz",
            self.exp.name,
            self.exp.kernel.display(),
            self.exp.wasm.map_or(String::new(), |w| format!(
                " as WebAssembly (relaxed SIMD {}, bounds checks {:?})",
                if w.relaxed_simd { "on" } else { "off" },
                w.bounds_checks
            )),
            self.exp.driver,
            self.exp.m,
            self.exp.n,
            self.exp.k,
            self.core.name,
            self.core.clock_ghz
        )
    }

    fn run(self: Box<Self>) -> Result<Outcome, ExperimentError> {
        self.run_ref()
    }
}

impl Machine for Mobile {
    fn name(&self) -> &'static str {
        "mobile"
    }

    fn description(&self) -> &'static str {
        "Cortex-A76-like out-of-order and A55-like in-order cores running AArch64 kernels, over L1/L2/L3 and LPDDR4X"
    }

    fn kernels(&self) -> Vec<&'static str> {
        vec!["AArch64 assembly kernels (workloads/kernels/aarch64/*.s) under the gemm or loop driver"]
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
        let (own, rest): (Vec<String>, Vec<String>) = overrides.iter().cloned().partition(|o| {
            let key = o.split_once('=').map_or(o.as_str(), |(k, _)| k).trim();
            EXPERIMENT_KEYS.contains(&key)
        });
        let exp: MobileExperiment = crate::config::parse(text, file, &own)?;
        if exp.kind != "mobile" {
            return Err(Invalid::new("kind", format!("{:?}", exp.kind), "must be \"mobile\"").in_file(file).into());
        }
        let dir = file.parent().unwrap_or(Path::new("."));
        let mut files = vec![("kernel", &exp.kernel), ("core", &exp.core)];
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
        let (core, resolved) = config::load(&dir.join(&exp.core), &rest)?;
        let kpath = dir.join(&exp.kernel);
        let ktext = std::fs::read_to_string(&kpath).map_err(|source| crate::config::ConfigError::Io {
            file: kpath.clone(),
            source,
        })?;
        let to_config = |e: crate::program::aarch64::ParseError| {
            ExperimentError::Config(crate::config::ConfigError::Invalid {
                file: kpath.clone(),
                invalid: Invalid::new(format!("line {}", e.line), e.text.clone(), e.msg.clone()),
            })
        };
        let ktext = match &exp.wasm {
            Some(w) => {
                if w.vector_registers == 0 || w.vector_registers > 32 {
                    return Err(Invalid::new("wasm.vector_registers", w.vector_registers, "must be 1 to 32")
                        .in_file(file)
                        .into());
                }
                lower(&ktext, &kpath, w).map_err(to_config)?
            }
            None => ktext,
        };
        let kernel = parse(&ktext, &kpath).map_err(|e| {
            ExperimentError::Config(crate::config::ConfigError::Invalid {
                file: kpath.clone(),
                invalid: Invalid::new(format!("line {}", e.line), e.text.clone(), e.msg.clone()),
            })
        })?;
        let layout = MobileRun::layout(&exp, file)?;
        let energy = match &exp.energy_table {
            Some(t) => Some((t.display().to_string(), EnergyTable::load(&dir.join(t))?)),
            None => None,
        };
        Ok(Box::new(MobileRun {
            exp,
            core,
            resolved,
            kernel,
            layout,
            energy,
        }))
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
