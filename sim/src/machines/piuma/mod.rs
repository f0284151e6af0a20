//! A PIUMA-like die (Intel's Programmable Integrated Unified Memory Architecture) running SpGEMM.
//!
//! Modelled: cores of multithreaded pipelines plus single-thread pipelines, each core with a
//! scratchpad (banks, ports, an atomic unit) and a data cache; a 2D mesh joining cores and DRAM
//! controllers; DDR5-4400 with 8-byte accesses; a global address space in which any thread reaches
//! any scratchpad or DRAM, at a latency that grows with mesh distance; memory-side atomics.
//! Facts and their sources are in `config.rs` (tags are listed under "Sources" in
//! `docs/machines/piuma.md`).
//!
//! A DMA engine per core (`blocks/dma.rs`) on its own mesh endpoint takes `Dma` operations.
//! Several dies (`n_dies`) each have their cores, mesh and DRAM; a HyperX (`blocks/noc/hyperx.rs`)
//! joins them all-to-all through one gateway endpoint per mesh. DRAM is interleaved over all dies in
//! 64-byte lines; a die's scratchpads are reached from another die through both gateways.
//!
//! A single-thread pipeline's thread has non-blocking loads (`stp_max_outstanding_loads`, our
//! reading of PIUMA's "8x single-thread performance" \[S7b\]): it waits for its loads in flight only
//! when an operation needs them (any operation other than a load, or a load whose address comes
//! from one, which the kernels mark), or when that many are beyond the core. A multithreaded
//! pipeline's thread blocks on every load.
//!
//! Each core has an instruction cache (64 KiB by default; with the 128 KiB data cache, the 192 KB
//! per core of [S7c, S7e]). Kernels are generated, not compiled: each declares its code blocks
//! with estimated sizes (`kernels::Code`), laid out in DRAM, and a thread entering a block looks
//! its lines up; a miss fetches them from DRAM through the mesh while the thread waits, a hit
//! costs nothing. The kernels' code is 2.5 KB (all blocks together), so only the first entry of each line misses.
//!
//! Not modelled (yet): out-of-order issue or branch prediction in the single-thread pipelines,
//! refetches of a block larger than the instruction cache within one unit of work, in-network
//! collectives.

pub mod config;
pub mod core;
pub mod experiment;
pub mod kernels;
pub mod reproduce;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

pub use config::{DenseAccOverflow, PiumaConfig, WorkDistribution};
pub use experiment::{load_matrices, run_piuma, PiumaExperiment, PiumaRun};

use self::core::{AddressMap, CoreSetup, CoreTiming, PiumaCore, Space};
use crate::blocks::cache::{
    Cache, CacheConfig, CacheGeometry, PrefetchKind, TagArray, WritePolicy, WritebackHandling,
};
use crate::blocks::dma::{DmaEngine, DmaSpec};
use crate::blocks::dram::{Dram, DramConfig, DramSpec};
use crate::blocks::noc::hyperx::{HyperX, HyperXSpec};
use crate::blocks::noc::{Noc, NocSpec, Region, Topology};
use crate::blocks::spad::{Scratchpad, SpadConfig, SpadGeometry};
use crate::config::Invalid;
use crate::engine::{Clock, ComponentId, Finished, RunError, RunLimits, SimBuilder, Tick};
use crate::program::Program;
use crate::machines::{Experiment, ExperimentError, Machine, Study};
use crate::report::{fmt_num, RunReport};
use crate::stats::StatTree;

/// The PIUMA machine.
pub struct Piuma;

impl Machine for Piuma {
    fn name(&self) -> &'static str {
        "piuma"
    }

    fn description(&self) -> &'static str {
        "a PIUMA-like SpGEMM fabric: multithreaded cores, scratchpads with atomics, a mesh, narrow-access DRAM, HyperX between dies"
    }

    fn example(&self) -> &'static str {
        "configs/experiments/smash-v1-karate.toml"
    }

    fn kernels(&self) -> Vec<&'static str> {
        kernels::KernelKind::ALL.iter().map(|k| k.name()).collect()
    }

    fn load(
        &self,
        file: &Path,
        text: &str,
        overrides: &[String],
    ) -> Result<Box<dyn Experiment>, ExperimentError> {
        let exp: PiumaExperiment = crate::config::parse(text, file, overrides)?;
        Ok(Box::new(PiumaRun::new(exp, file)?))
    }

    fn headline(&self, r: &RunReport) -> Vec<String> {
        let m = |k: &str| r.derived.get(k).map(|m| fmt_num(m.value)).unwrap_or_default();
        vec![
            format!(
                "cycles {} ({} us at {} MHz), C has {} entries",
                m("cycles"),
                m("time_us"),
                r.config["piuma"]["clock_mhz"].as_f64().unwrap_or(0.0),
                m("c_nnz")
            ),
            format!("IPC per core {}, pipeline utilization {}, DRAM {} x 8 B accesses at {} GB/s ({} of its column-rate bound), row hit rate {}", m("ipc_per_core"), m("pipeline_utilization"), m("dram.accesses_8b"), m("dram.bandwidth_gb_s"), m("dram.column_bound_use"), m("dram.row_hit_rate")),
            format!(
                "thread-cycles: issue {}, memory {}, atomic {}, barrier {}, wait {}, finished {}, other {}",
                m("thread_cycles.issue"),
                m("thread_cycles.memory"),
                m("thread_cycles.atomic"),
                m("thread_cycles.barrier"),
                m("thread_cycles.wait"),
                m("thread_cycles.finished"),
                m("thread_cycles.other")
            ),
        ]
    }

    fn recognises_config(&self, table: &toml::Table) -> bool {
        let keys = serde_json::to_value(PiumaConfig::default()).expect("configs serialize");
        !table.is_empty() && table.keys().all(|k| keys.get(k).is_some())
    }

    fn check_config(&self, file: &Path) -> Result<(), ExperimentError> {
        let c: PiumaConfig = crate::config::load(file, &[])?;
        c.check().map_err(|e| e.in_file(file))?;
        Ok(())
    }

    fn experiment_from_flags(
        &self,
        kernel: &str,
        workload: &Path,
        machine: Option<toml::Table>,
    ) -> Option<toml::Table> {
        kernels::KernelKind::ALL.iter().find(|k| k.name() == kernel)?;
        let mut exp = toml::Table::new();
        exp.insert("kind".into(), "piuma".into());
        exp.insert("name".into(), kernel.into());
        exp.insert("kernel".into(), kernel.into());
        let file = std::fs::canonicalize(workload)
            .unwrap_or(workload.to_path_buf())
            .display()
            .to_string();
        let mut a = toml::Table::new();
        a.insert("file".into(), file.into());
        let mut w = toml::Table::new();
        w.insert("a".into(), a.into());
        exp.insert("workload".into(), w.into());
        if let Some(m) = machine {
            exp.insert("piuma".into(), m.into());
        }
        Some(exp)
    }

    fn studies(&self) -> Vec<&'static dyn Study> {
        vec![&reproduce::Smash]
    }
}

/// Names a cache's invalid value by the die's own key (`piuma.icache_bytes`, not the cache
/// block's `piuma.icache.size_bytes`), so the message points at what the user wrote.
fn cache_key(mut e: Invalid, cache: &str) -> Invalid {
    let field = e.key.rsplit('.').next().unwrap_or_default();
    e.key = match field {
        "size_bytes" => format!("piuma.{cache}_bytes"),
        "n_ways" => format!("piuma.{cache}_ways"),
        "line_bytes" => "piuma.dcache_line_bytes".to_string(),
        "n_mshrs" => "piuma.dcache_mshrs".to_string(),
        "hit_latency_cycles" => "piuma.dcache_hit_cycles".to_string(),
        _ => e.key,
    };
    e
}

/// First scratchpad address: DRAM lives below it.
pub const SPAD_BASE: u64 = 1 << 48;

/// A built die, ready to run once.
pub struct Die {
    sim: crate::engine::Sim,
    cores: Vec<ComponentId>,
    dmas: Vec<ComponentId>,
    /// Per die.
    nocs: Vec<ComponentId>,
    drams: Vec<ComponentId>,
    hyperx: Option<ComponentId>,
    clock: Clock,
}

/// A finished run of a die.
pub struct DieRun {
    /// The engine's result.
    pub finished: Finished,
    /// Every statistic.
    pub stats: StatTree,
    /// Simulated core cycles.
    pub cycles: u64,
    /// Total operations issued.
    pub instructions: u64,
    /// Operations issued by each hardware thread, core by core.
    pub thread_instructions: Vec<u64>,
}

impl PiumaConfig {
    /// The global address map.
    pub fn address_map(&self) -> AddressMap {
        AddressMap {
            spad_base: SPAD_BASE,
            spad_bytes: self.spad_bytes,
        }
    }

    /// One die's DRAM: the configured preset with `dram_channels` channels.
    pub fn dram_spec(&self) -> Result<DramSpec, Invalid> {
        let mut dram_cfg: DramConfig = self.dram.clone();
        dram_cfg.org.channels = Some(self.dram_channels);
        dram_cfg.resolve("piuma.dram")
    }

    /// The pipeline sizes of one core: the MTPs, then the STPs.
    pub fn pipe_sizes(&self) -> Vec<usize> {
        let mut v = vec![self.threads_per_mtp as usize; self.n_mtp as usize];
        v.extend(std::iter::repeat_n(1, self.n_stp as usize));
        v
    }

    /// The core's scratchpad, data cache and instruction cache, resolved from the die's keys
    /// (errors name the die's keys, such as `piuma.dcache_bytes`); the data cache's config too.
    #[allow(clippy::type_complexity)]
    pub fn memories(
        &self,
    ) -> Result<(SpadGeometry, CacheGeometry, CacheGeometry, CacheConfig), Invalid> {
        let spad_geo = SpadConfig {
            size_bytes: self.spad_bytes,
            n_banks: self.spad_banks,
            bank_width_bytes: 8,
            n_ports: self.spad_ports,
            access_latency_cycles: self.spad_latency_cycles,
            atomic_latency_cycles: self.atomic_latency_cycles,
            atomic_bank_cycles: 2,
            n_atomic_slots: 16,
        }
        .resolve("piuma.spad")
        .map_err(|mut e| {
            e.key = e.key.replace("piuma.spad.size_bytes", "piuma.spad_bytes");
            e.key = e.key.replace("piuma.spad.n_banks", "piuma.spad_banks");
            e.key = e.key.replace("piuma.spad.n_ports", "piuma.spad_ports");
            e.key = e.key.replace("piuma.spad.access_latency_cycles", "piuma.spad_latency_cycles");
            e.key = e.key.replace("piuma.spad.atomic_latency_cycles", "piuma.atomic_latency_cycles");
            e
        })?;
        let dcache = CacheConfig {
            size_bytes: self.dcache_bytes,
            n_ways: self.dcache_ways,
            line_bytes: self.dcache_line_bytes,
            hit_latency_cycles: self.dcache_hit_cycles,
            n_banks: 4,
            replacement: Default::default(),
            write_policy: WritePolicy::WriteBack,
            write_allocate: true,
            writeback_handling: WritebackHandling::Update,
            n_mshrs: self.dcache_mshrs,
            mshr_targets: 16,
            prefetcher: PrefetchKind::None,
            prefetch_degree: 1,
        };
        let dgeo = dcache
            .resolve("piuma.dcache")
            .map_err(|e| cache_key(e, "dcache"))?;
        let icache = CacheConfig {
            size_bytes: self.icache_bytes,
            n_ways: self.icache_ways,
            n_banks: 1,
            ..dcache.clone()
        };
        let igeo = icache
            .resolve("piuma.icache")
            .map_err(|e| cache_key(e, "icache"))?;
        Ok((spad_geo, dgeo, igeo, dcache))
    }

    /// Builds the die with `programs[core][thread]`.
    pub fn build(&self, programs: Vec<Vec<Box<dyn Program>>>) -> Result<Die, Invalid> {
        self.check()?;
        assert_eq!(
            programs.len() as u64,
            self.total_cores(),
            "one program list per core"
        );
        let clock = Clock::from_mhz(self.clock_mhz);
        let map = self.address_map();
        let (spad_geo, dgeo, igeo, dcache) = self.memories()?;
        let dram_spec = self.dram_spec()?;
        let n_cores = self.n_cores as usize;
        let n_dies = self.n_dies as usize;
        let n_ch = self.dram_channels as usize;
        let n_routers = (self.mesh_cols * self.mesh_rows) as usize;
        let multi = n_dies > 1;
        // Endpoints of each die's mesh: local core c's network port (2c) and data cache (2c + 1);
        // one per DRAM channel (2n + ch); core c's DMA engine (2n + channels + c); with several
        // dies, the gateway to the HyperX (3n + channels).
        let gateway = 3 * n_cores + n_ch;
        let mut endpoint_router = Vec::new();
        for c in 0..n_cores {
            endpoint_router.push((c % n_routers) as u32);
            endpoint_router.push((c % n_routers) as u32);
        }
        for ch in 0..n_ch {
            endpoint_router.push(((n_cores + ch) % n_routers) as u32);
        }
        for c in 0..n_cores {
            endpoint_router.push((c % n_routers) as u32);
        }
        if multi {
            endpoint_router.push(((n_cores + n_ch) % n_routers) as u32);
        }
        let mesh_spec = |d: usize| {
            // DRAM is interleaved over every die's channels in 64-byte lines: line l lives on die
            // l mod dies. Another die's lines and scratchpads are reached through the gateway.
            let targets = (0..n_dies * n_ch)
                .map(|i| {
                    if i % n_dies == d {
                        (2 * n_cores + (i / n_dies) % n_ch) as u64
                    } else {
                        gateway as u64
                    }
                })
                .collect();
            let regions = (0..n_dies * n_cores)
                .map(|g| Region {
                    base: map.spad(g as u32, 0),
                    size: self.spad_bytes,
                    targets: vec![if g / n_cores == d {
                        2 * (g % n_cores) as u64
                    } else {
                        gateway as u64
                    }],
                    interleave_bytes: self.spad_bytes,
                })
                .collect();
            NocSpec {
                topology: Topology::Mesh,
                n_endpoints: endpoint_router.len() as u64,
                mesh_cols: self.mesh_cols,
                hop_latency_cycles: self.hop_latency_cycles,
                link_bytes_per_cycle: self.link_bytes_per_cycle,
                header_bytes: 8,
                targets,
                interleave_bytes: 64,
                endpoint_router: endpoint_router.clone(),
                regions,
            }
        };
        let mut b = SimBuilder::new();
        let timing = CoreTiming {
            int_cycles: self.int_latency_cycles,
            fp_cycles: self.fp_latency_cycles,
            mtp_issue_interval_cycles: self.mtp_issue_interval_cycles,
        };
        let mut cores = Vec::new();
        let mut dmas = Vec::new();
        for (c, progs) in programs.into_iter().enumerate() {
            let spad = Scratchpad::new(&format!("core{c}.spad"), spad_geo, clock, 1);
            cores.push(b.add(Box::new(PiumaCore::new(
                &format!("core{c}"),
                CoreSetup {
                    idx: c as u32,
                    clock,
                    timing,
                    map,
                    stp_pipes: self.n_stp as usize,
                    stp_max_loads: self.stp_max_outstanding_loads as u32,
                    icache_line_shift: igeo.line_shift,
                },
                spad,
                TagArray::new(igeo, dcache.replacement, c as u64),
                Cache::new(
                    &format!("core{c}.dcache"),
                    &dcache,
                    dgeo,
                    clock,
                    1,
                    c as u64,
                ),
                &self.pipe_sizes(),
                progs,
            ))));
            dmas.push(b.add(Box::new(DmaEngine::new(
                &format!("core{c}.dma"),
                DmaSpec {
                    access_bytes: 8,
                    max_outstanding: self.dma_max_outstanding as u32,
                },
                clock,
            ))));
        }
        let name = |d: usize, what: &str| {
            if multi {
                format!("die{d}.{what}")
            } else {
                what.to_string()
            }
        };
        let hyperx = multi.then(|| {
            let owner = move |addr: u64| -> usize {
                match map.space(addr) {
                    Space::Spad(core, _) => core as usize / n_cores,
                    Space::Dram => (addr / 64) as usize % n_dies,
                }
            };
            b.add(Box::new(HyperX::new(
                "hyperx",
                HyperXSpec {
                    n_dies,
                    latency_cycles: self.hyperx_latency_cycles,
                    link_bytes_per_cycle: self.hyperx_link_bytes_per_cycle,
                    header_bytes: 8,
                },
                clock,
                Box::new(owner),
            )))
        });
        let wire = Tick(1);
        let mut nocs = Vec::new();
        let mut drams = Vec::new();
        for d in 0..n_dies {
            let noc = b.add(Box::new(Noc::new(&name(d, "mesh"), mesh_spec(d), clock)));
            let dram = b.add(Box::new(
                Dram::new(&name(d, "dram"), dram_spec.clone(), n_ch)
                    .fold_interleave(n_dies as u64, 64),
            ));
            for c in 0..n_cores {
                let g = d * n_cores + c;
                // The core's embedded data cache answers misses through a loop-back wire.
                b.connect(cores[g], "dcache_up", cores[g], "dcache_resp", wire);
                b.connect(cores[g], "net", noc, ("ep", 2 * c), wire);
                b.connect(
                    cores[g],
                    "dcache_down",
                    noc,
                    ("ep", 2 * c + 1),
                    wire,
                );
                b.connect(cores[g], "dma", dmas[g], "up", wire);
                b.connect(
                    dmas[g],
                    "down",
                    noc,
                    ("ep", 2 * n_cores + n_ch + c),
                    wire,
                );
            }
            for ch in 0..n_ch {
                b.connect(
                    noc,
                    ("ep", 2 * n_cores + ch),
                    dram,
                    ("up", ch),
                    wire,
                );
            }
            if let Some(h) = hyperx {
                b.connect(noc, ("ep", gateway), h, ("die", d), wire);
            }
            nocs.push(noc);
            drams.push(dram);
        }
        let sim = b
            .build()
            .expect("the die's wiring follows from a checked config");
        Ok(Die {
            sim,
            cores,
            dmas,
            nocs,
            drams,
            hyperx,
            clock,
        })
    }
}

impl Die {
    /// Runs to completion (or a limit) and gathers statistics.
    pub fn run(self, limits: RunLimits) -> Result<DieRun, RunError> {
        let fin = self.sim.run(limits)?;
        let mut stats = StatTree::default();
        let mut instructions = 0;
        let mut thread_instructions = Vec::new();
        for (c, &id) in self.cores.iter().enumerate() {
            fin.collect_stats(id, &format!("core{c}"), &mut stats);
            fin.collect_stats(self.dmas[c], &format!("core{c}.dma"), &mut stats);
            let core = fin.get::<PiumaCore>(id).expect("core ids map to cores");
            instructions += core.stats().instructions;
            thread_instructions.extend(core.thread_instructions());
        }
        if let Some(h) = self.hyperx {
            // Several dies: each die's mesh and DRAM, then their sums under the one-die names.
            for (d, (&n, &m)) in self.nocs.iter().zip(&self.drams).enumerate() {
                fin.collect_stats(n, &format!("die{d}.mesh"), &mut stats);
                fin.collect_stats(m, &format!("die{d}.dram"), &mut stats);
            }
            for what in ["mesh", "dram"] {
                let mut total: Vec<crate::stats::StatEntry> = Vec::new();
                for e in &stats.entries {
                    let Some(rest) = e.name.strip_prefix("die") else {
                        continue;
                    };
                    let Some((_, field)) = rest.split_once(&format!(".{what}.")) else {
                        continue;
                    };
                    let name = format!("{what}.{field}");
                    match total.iter_mut().find(|t| t.name == name) {
                        Some(t) => t.value += e.value,
                        None => total.push(crate::stats::StatEntry {
                            name,
                            value: e.value,
                            unit: e.unit,
                            doc: e.doc,
                        }),
                    }
                }
                stats.entries.extend(total);
            }
            fin.collect_stats(h, "hyperx", &mut stats);
        } else {
            fin.collect_stats(self.nocs[0], "mesh", &mut stats);
            fin.collect_stats(self.drams[0], "dram", &mut stats);
        }
        let cycles = fin.now().0 / self.clock.period_ps();
        Ok(DieRun {
            finished: fin,
            stats,
            cycles,
            instructions,
            thread_instructions,
        })
    }
}

/// Mean operations per thread of the multithreaded pipelines and of the single-thread pipelines,
/// from the per-thread counts of a run (each core's threads in pipeline order: the MTPs', then
/// the STPs'). `None` for a kind with no threads.
pub fn instructions_by_pipeline_kind(
    thread_instructions: &[u64],
    cfg: &PiumaConfig,
) -> (Option<f64>, Option<f64>) {
    let per_core = cfg.threads_per_core().max(1) as usize;
    let n_mtp_threads = (cfg.n_mtp * cfg.threads_per_mtp) as usize;
    let (mut mtp, mut stp) = ((0u64, 0u64), (0u64, 0u64));
    for (i, &n) in thread_instructions.iter().enumerate() {
        let kind = if i % per_core < n_mtp_threads {
            &mut mtp
        } else {
            &mut stp
        };
        *kind = (kind.0 + n, kind.1 + 1);
    }
    let mean = |(sum, n): (u64, u64)| (n > 0).then(|| sum as f64 / n as f64);
    (mean(mtp), mean(stp))
}

/// Sums a statistic over all cores (`core*.{field}`).
pub fn sum_over_cores(stats: &StatTree, field: &str) -> u64 {
    stats
        .entries
        .iter()
        .filter(|e| {
            e.name.starts_with("core")
                && e.name.split('.').count() == 2
                && e.name.ends_with(&format!(".{field}"))
        })
        .map(|e| e.value)
        .sum()
}

/// Where the thread-cycles of a run went (they sum to `cycles * threads`): `issue` (an operation
/// issued), `memory` and `atomic` (blocked on a load or an atomic), `barrier`, `wait` (back-off
/// while polling), `finished` (the thread's program had ended), and `other`, the rest: ready but
/// not picked by its pipeline (contention) or waiting out an integer or floating-point latency.
pub fn stall_breakdown(stats: &StatTree, cycles: u64, threads: u64) -> BTreeMap<&'static str, u64> {
    let mut m = BTreeMap::new();
    let total = cycles * threads;
    m.insert(
        "finished",
        total.saturating_sub(sum_over_cores(stats, "done_cycle_sum")),
    );
    m.insert("memory", sum_over_cores(stats, "memory_stall_cycles"));
    m.insert("atomic", sum_over_cores(stats, "atomic_stall_cycles"));
    m.insert("barrier", sum_over_cores(stats, "barrier_stall_cycles"));
    m.insert("wait", sum_over_cores(stats, "wait_cycles"));
    m.insert("issue", sum_over_cores(stats, "pipeline_busy_cycles"));
    let known: u64 = m.values().sum();
    m.insert("other", total.saturating_sub(known));
    m
}
