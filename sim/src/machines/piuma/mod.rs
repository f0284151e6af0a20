//! A PIUMA-like die (Intel's Programmable Integrated Unified Memory Architecture) running SpGEMM.
//!
//! Modelled: cores of multithreaded pipelines plus single-thread pipelines, each core with a
//! scratchpad (banks, ports, an atomic unit) and a data cache; a 2D mesh joining cores and DRAM
//! controllers; DDR5-4400 with 8-byte accesses; a global address space in which any thread reaches
//! any scratchpad or DRAM, at a latency that grows with mesh distance; memory-side atomics.
//! Facts and their sources are in `config.rs` (tags refer to ../shared/papers.md §1).
//!
//! Not modelled (yet): DMA engines, multi-die HyperX systems, instruction caches, the
//! single-thread pipelines' higher per-thread performance (they issue like a one-thread MTP).

pub mod config;
pub mod core;
pub mod kernels;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use config::{PiumaConfig, WorkDistribution};

use self::core::{AddressMap, CoreSetup, CoreTiming, PiumaCore};
use crate::blocks::cache::{Cache, CacheConfig, PrefetchKind, WritePolicy, WritebackHandling};
use crate::blocks::dma::{DmaEngine, DmaSpec};
use crate::blocks::dram::{Dram, DramConfig};
use crate::blocks::noc::{Noc, NocSpec, Region, Topology};
use crate::blocks::spad::{Scratchpad, SpadConfig};
use crate::config::Invalid;
use crate::engine::{Clock, ComponentId, Finished, RunError, RunLimits, SimBuilder, Tick};
use crate::program::Program;
use crate::stats::StatTree;

/// First scratchpad address: DRAM lives below it.
pub const SPAD_BASE: u64 = 1 << 48;

/// A built die, ready to run once.
pub struct Die {
    sim: crate::engine::Sim,
    cores: Vec<ComponentId>,
    caches: Vec<ComponentId>,
    dmas: Vec<ComponentId>,
    noc: ComponentId,
    dram: ComponentId,
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

    /// The pipeline sizes of one core: the MTPs, then the STPs.
    pub fn pipe_sizes(&self) -> Vec<usize> {
        let mut v = vec![self.threads_per_mtp as usize; self.n_mtp as usize];
        v.extend(std::iter::repeat_n(1, self.n_stp as usize));
        v
    }

    /// Builds the die with `programs[core][thread]`.
    pub fn build(&self, programs: Vec<Vec<Box<dyn Program>>>) -> Result<Die, Invalid> {
        self.check()?;
        assert_eq!(
            programs.len() as u64,
            self.n_cores,
            "one program list per core"
        );
        let clock = Clock::from_mhz(self.clock_mhz);
        let map = self.address_map();
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
        .resolve("piuma.spad")?;
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
        let dgeo = dcache.resolve("piuma.dcache")?;
        let mut dram_cfg: DramConfig = self.dram.clone();
        dram_cfg.org.channels = Some(self.dram_channels);
        let dram_spec = dram_cfg.resolve("piuma.dram")?;
        let n_cores = self.n_cores as usize;
        let n_ch = self.dram_channels as usize;
        let n_routers = (self.mesh_cols * self.mesh_rows) as usize;
        // Endpoints: core c's network port (2c) and data cache (2c + 1); then one per DRAM channel.
        let mut endpoint_router = Vec::new();
        for c in 0..n_cores {
            endpoint_router.push((c % n_routers) as u32);
            endpoint_router.push((c % n_routers) as u32);
        }
        for ch in 0..n_ch {
            endpoint_router.push(((n_cores + ch) % n_routers) as u32);
        }
        // Then core c's DMA engine (2n + channels + c), on the core's router.
        for c in 0..n_cores {
            endpoint_router.push((c % n_routers) as u32);
        }
        let dram_eps: Vec<u64> = (0..n_ch as u64).map(|ch| 2 * n_cores as u64 + ch).collect();
        let regions = (0..n_cores as u64)
            .map(|c| Region {
                base: map.spad(c as u32, 0),
                size: self.spad_bytes,
                targets: vec![2 * c],
                interleave_bytes: self.spad_bytes,
            })
            .collect();
        let noc_spec = NocSpec {
            topology: Topology::Mesh,
            n_endpoints: endpoint_router.len() as u64,
            mesh_cols: self.mesh_cols,
            hop_latency_cycles: self.hop_latency_cycles,
            link_bytes_per_cycle: self.link_bytes_per_cycle,
            header_bytes: 8,
            targets: dram_eps,
            interleave_bytes: 64,
            endpoint_router,
            regions,
        };
        let mut b = SimBuilder::new();
        let timing = CoreTiming {
            int_cycles: self.int_latency_cycles,
            fp_cycles: self.fp_latency_cycles,
        };
        let mut cores = Vec::new();
        let mut caches = Vec::new();
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
                },
                spad,
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
            caches.push(b.add(Box::new(Cache::new(
                &format!("core{c}.dcache"),
                &dcache,
                dgeo,
                clock,
                1,
                c as u64,
            ))));
        }
        let noc = b.add(Box::new(Noc::new("mesh", noc_spec, clock)));
        let dram = b.add(Box::new(Dram::new("dram", dram_spec, n_ch)));
        let wire = Tick(1);
        for c in 0..n_cores {
            b.connect(cores[c], "dcache", caches[c], "up0", wire);
            b.connect(cores[c], "net", noc, &format!("ep{}", 2 * c), wire);
            b.connect(caches[c], "down", noc, &format!("ep{}", 2 * c + 1), wire);
            b.connect(cores[c], "dma", dmas[c], "up", wire);
            b.connect(
                dmas[c],
                "down",
                noc,
                &format!("ep{}", 2 * n_cores + n_ch + c),
                wire,
            );
        }
        for ch in 0..n_ch {
            b.connect(
                noc,
                &format!("ep{}", 2 * n_cores + ch),
                dram,
                &format!("up{ch}"),
                wire,
            );
        }
        let sim = b
            .build()
            .expect("the die's wiring follows from a checked config");
        Ok(Die {
            sim,
            cores,
            caches,
            dmas,
            noc,
            dram,
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
            let core = fin.get::<PiumaCore>(id).expect("core ids map to cores");
            instructions += core.stats().instructions;
            thread_instructions.extend_from_slice(core.thread_instructions());
            stats.add(&format!("core{c}"), core.stats());
            stats.add(&format!("core{c}.spad"), core.spad_stats());
            stats.add(
                &format!("core{c}.dcache"),
                fin.get::<Cache>(self.caches[c]).expect("cache").stats(),
            );
            stats.add(
                &format!("core{c}.dma"),
                fin.get::<DmaEngine>(self.dmas[c]).expect("dma").stats(),
            );
        }
        stats.add("mesh", fin.get::<Noc>(self.noc).expect("noc").stats());
        stats.add("dram", fin.get::<Dram>(self.dram).expect("dram").stats());
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
