//! The hierarchy: a memory trace through a configured tree of caches with DRAM at the bottom.
//!
//! A [`TraceCore`] feeds first-level caches (split I/D or unified), each cache names its parent
//! (another cache or `dram`), so any number of levels, private or shared, can be described. With
//! no levels at all the core's accesses go straight to the DRAM, so the DRAM model can be driven
//! alone. Everything is built from the engine and the `cache`/`dram` blocks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::blocks::cache::{Cache, CacheConfig, CacheGeometry};
use crate::blocks::dram::{Dram, DramConfig, DramSpec};
use crate::blocks::trace_core::TraceCore;
use crate::config::{require_in, ConfigError, Invalid, MAX_LATENCY_CYCLES};
use crate::energy::EnergyTable;
use crate::engine::{Clock, SimBuilder, Tick};
use crate::machines::common::{
    assemble_report, Derived, DramMetrics, LimitsConfig, ReportMeta,
};
use crate::machines::{ExperimentError, Outcome};
use crate::program::Program;
use crate::stats::StatTree;

/// Which accesses a first-level cache takes from the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Serves {
    /// Instruction fetches.
    Inst,
    /// Loads and stores.
    Data,
    /// Both instruction fetches and data accesses.
    Unified,
}

/// The trace core.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoreConfig {
    /// Core (and cache) clock in MHz.
    pub freq_mhz: f64,
    /// Accesses in flight at once. 1 = blocking, in program order (cachegrind's view). Default 1.
    #[serde(default = "one")]
    pub max_outstanding: u64,
}

/// One cache level and where it sits.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LevelConfig {
    /// Unique name, used as the statistics prefix (`l1d.read_misses`).
    pub name: String,
    /// For a first-level cache: what it takes from the core. Absent for lower levels.
    pub serves: Option<Serves>,
    /// The next level: another cache's name, or `dram`.
    pub parent: String,
    /// Latency of the link to the parent, in core cycles. Default 1.
    #[serde(default = "one")]
    pub link_latency_cycles: u64,
    /// The cache itself.
    pub cache: CacheConfig,
}

/// A `cachesim` hierarchy file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CachesimConfig {
    /// Run name; the report goes to `reports/<name>/`.
    pub name: String,
    /// Seed for every random choice (random replacement). Default 1.
    #[serde(default = "one")]
    pub seed: u64,
    /// The trace core that replays the trace.
    pub core: CoreConfig,
    /// The caches, in any order; none sends the trace straight to the DRAM.
    #[serde(default)]
    pub level: Vec<LevelConfig>,
    /// The DRAM below the last level.
    pub dram: DramConfig,
    /// Energy table, relative to this file's directory. Default: none (energy is not priced).
    pub energy_table: Option<String>,
    /// Run limits.
    #[serde(default)]
    pub limits: LimitsConfig,
}

fn one() -> u64 {
    1
}

/// A checked hierarchy.
pub struct Hierarchy {
    cfg: CachesimConfig,
    clock: Clock,
    geos: Vec<CacheGeometry>,
    dram: DramSpec,
    /// For each level, the index of its parent level (`None` = DRAM).
    parents: Vec<Option<usize>>,
    /// The first-level caches that take instruction fetches and data accesses; `None` with no
    /// levels (the DRAM takes both).
    first: Option<(usize, usize)>,
}

impl CachesimConfig {
    /// Checks everything and returns the hierarchy, or the first problem with its key path.
    pub fn resolve(&self) -> Result<Hierarchy, Invalid> {
        // At most 1e6 MHz: time is counted in picoseconds.
        crate::config::require_clock("core.freq_mhz", self.core.freq_mhz, "MHz", 1.0e6)?;
        require_in(
            "core.max_outstanding",
            self.core.max_outstanding,
            1,
            1 << 16,
            "accesses in flight",
        )?;
        if self.name.is_empty() || self.name.contains(['/', '\\']) || self.name.starts_with('.') {
            return Err(Invalid::new(
                "name",
                format!("{:?}", self.name),
                "must be a plain, non-empty name (it names the report directory)",
            ));
        }
        let mut geos = Vec::new();
        for (i, l) in self.level.iter().enumerate() {
            let key = format!("level[{i}]");
            if matches!(l.name.as_str(), "" | "dram" | "core") || l.name.contains('.') {
                return Err(Invalid::new(
                    format!("{key}.name"),
                    format!("{:?}", l.name),
                    "must be non-empty, without dots, and not `dram` or `core`",
                ));
            }
            if self.level[..i].iter().any(|o| o.name == l.name) {
                return Err(Invalid::new(
                    format!("{key}.name"),
                    format!("{:?}", l.name),
                    "is used by two levels; names must be unique",
                ));
            }
            require_in(
                &format!("{key}.link_latency_cycles"),
                l.link_latency_cycles,
                1,
                MAX_LATENCY_CYCLES,
                "cycles",
            )?;
            geos.push(l.cache.resolve(&format!("{key}.cache"))?);
        }
        let mut parents = Vec::new();
        for (i, l) in self.level.iter().enumerate() {
            if l.parent == "dram" {
                parents.push(None);
            } else {
                match self.level.iter().position(|o| o.name == l.parent) {
                    Some(p) if p != i => parents.push(Some(p)),
                    _ => {
                        let names: Vec<_> = self.level.iter().map(|o| o.name.as_str()).collect();
                        return Err(Invalid::new(
                            format!("level[{i}].parent"),
                            format!("{:?}", l.parent),
                            format!("must be `dram` or another level's name: {names:?}"),
                        ));
                    }
                }
            }
        }
        for i in 0..parents.len() {
            let (mut at, mut steps) = (i, 0);
            while let Some(p) = parents[at] {
                at = p;
                steps += 1;
                if steps > parents.len() {
                    return Err(Invalid::new(
                        format!("level[{i}].parent"),
                        format!("{:?}", self.level[i].parent),
                        "forms a cycle; every chain of parents must end at `dram`",
                    ));
                }
            }
        }
        let pick = |want: Serves| -> Result<usize, Invalid> {
            let found: Vec<usize> = (0..self.level.len()).filter(|&i| matches!(self.level[i].serves, Some(s) if s == want || s == Serves::Unified)).collect();
            match found.as_slice() {
                [one] => Ok(*one),
                [] => Err(Invalid::new("level[].serves", "(none)", format!("no level serves {want:?} accesses; set `serves = \"{}\"` or `\"unified\"` on a first-level cache", if want == Serves::Inst { "inst" } else { "data" }))),
                _ => Err(Invalid::new("level[].serves", format!("{} levels", found.len()), format!("exactly one level must serve {want:?} accesses"))),
            }
        };
        for (i, l) in self.level.iter().enumerate() {
            let fed = l.serves.is_some() || parents.contains(&Some(i));
            if !fed {
                return Err(Invalid::new(format!("level[{i}].serves"), "(none)", "this level has no level above it: set `serves` or make another level's `parent` point to it"));
            }
        }
        let first = if self.level.is_empty() {
            None
        } else {
            Some((pick(Serves::Inst)?, pick(Serves::Data)?))
        };
        self.limits.check()?;
        self.limits.without_instructions("cachesim")?;
        let dram = self.dram.resolve("dram")?;
        Ok(Hierarchy {
            cfg: self.clone(),
            clock: Clock::from_mhz(self.core.freq_mhz),
            geos,
            dram,
            parents,
            first,
        })
    }
}

impl Hierarchy {
    /// The configuration it was resolved from.
    pub fn config(&self) -> &CachesimConfig {
        &self.cfg
    }

    /// The resolved DRAM.
    pub fn dram_spec(&self) -> &DramSpec {
        &self.dram
    }

    /// Runs `program` through the hierarchy. `trace_name` and `energy` go into the report.
    pub fn run(
        &self,
        program: Box<dyn Program>,
        trace_name: &str,
        energy: Option<(&str, &EnergyTable)>,
    ) -> Result<Outcome, ExperimentError> {
        let cfg = &self.cfg;
        let mut b = SimBuilder::new();
        // Accesses are split where they cross a line of the first level (or, with no caches, a
        // DRAM access).
        let split_line = match self.first {
            Some((inst, data)) => 1u64 << self.geos[inst].line_shift.min(self.geos[data].line_shift),
            None => self.dram.access_bytes,
        };
        let core = b.add(Box::new(TraceCore::new(
            "core",
            self.clock,
            program,
            split_line,
            cfg.core.max_outstanding,
        )));
        // Count each cache's upper neighbours to size its ports.
        let n = cfg.level.len();
        let mut n_up = vec![0usize; n];
        let mut n_dram_up = 0;
        for p in &self.parents {
            match p {
                Some(p) => n_up[*p] += 1,
                None => n_dram_up += 1,
            }
        }
        match self.first {
            Some((inst, data)) => {
                n_up[inst] += 1;
                n_up[data] += 1;
            }
            None => n_dram_up += 2,
        }
        let mut ids = Vec::new();
        for (i, l) in cfg.level.iter().enumerate() {
            ids.push(b.add(Box::new(Cache::new(
                &l.name,
                &l.cache,
                self.geos[i],
                self.clock,
                n_up[i],
                cfg.seed.wrapping_add(i as u64),
            ))));
        }
        let dram = b.add(Box::new(Dram::new("dram", self.dram.clone(), n_dram_up)));
        let mut next_port = vec![0usize; n];
        let mut next_dram_port = 0;
        let port = |k: usize| ("up", k);
        // Core to first level (or to the DRAM): effectively free wiring inside the core (the
        // engine's minimum, 1 ps).
        match self.first {
            Some((inst, data)) => {
                for (core_port, lvl) in [("inst", inst), ("data", data)] {
                    b.connect(core, core_port, ids[lvl], port(next_port[lvl]), Tick(1));
                    next_port[lvl] += 1;
                }
            }
            None => {
                for core_port in ["inst", "data"] {
                    b.connect(core, core_port, dram, port(next_dram_port), Tick(1));
                    next_dram_port += 1;
                }
            }
        }
        for (i, l) in cfg.level.iter().enumerate() {
            let lat = self.clock.ticks(l.link_latency_cycles);
            match self.parents[i] {
                Some(p) => {
                    b.connect(ids[i], "down", ids[p], port(next_port[p]), lat);
                    next_port[p] += 1;
                }
                None => {
                    b.connect(ids[i], "down", dram, port(next_dram_port), lat);
                    next_dram_port += 1;
                }
            }
        }
        let sim = b
            .build()
            .expect("the hierarchy wiring is derived from a resolved config");
        let fin = sim.run(cfg.limits.run_limits(self.clock))?;
        let core_c = fin.get::<TraceCore>(core).expect("component 0 is the core");
        if let Some(e) = core_c.error() {
            return Err(ExperimentError::Trace(clone_trace_error(e)));
        }
        let mut stats = StatTree::default();
        fin.collect_stats(core, "core", &mut stats);
        for (i, l) in cfg.level.iter().enumerate() {
            fin.collect_stats(ids[i], &l.name, &mut stats);
        }
        fin.collect_stats(dram, "dram", &mut stats);
        let derived = self.derive(&stats, fin.now());
        let mut inputs = BTreeMap::new();
        inputs.insert("trace".to_string(), trace_name.to_string());
        let accesses = stats.get("core.responses").unwrap_or(0);
        let meta = ReportMeta {
            name: cfg.name.clone(),
            kind: "cachesim".into(),
            seed: cfg.seed,
            config: serde_json::to_value(cfg).expect("configs serialize"),
            inputs,
            energy,
        };
        Ok(Outcome {
            report: assemble_report(meta, &fin, stats, derived),
            wall: fin.wall(),
            work: (accesses, "accesses"),
            result: None,
        })
    }

    fn derive(&self, stats: &StatTree, end: Tick) -> Derived {
        let mut d = Derived::default();
        let g = |k: &str| stats.get(k).unwrap_or(0) as f64;
        let period = self.clock.period_ps() as f64;
        let responses = g("core.responses");
        d.put(
            "core.amat_cycles",
            if responses > 0.0 {
                g("core.latency_ps") / responses / period
            } else {
                0.0
            },
            "cycles",
            "Average memory access time seen by the core",
        );
        d.put(
            "core.cycles",
            end.0 as f64 / period,
            "cycles",
            "Simulated core cycles",
        );
        for l in &self.cfg.level {
            let n = &l.name;
            let hits = g(&format!("{n}.inst_hits"))
                + g(&format!("{n}.read_hits"))
                + g(&format!("{n}.write_hits"))
                + g(&format!("{n}.prefetch_hits"));
            let misses = g(&format!("{n}.inst_misses"))
                + g(&format!("{n}.read_misses"))
                + g(&format!("{n}.write_misses"))
                + g(&format!("{n}.prefetch_misses"));
            d.put(
                format!("{n}.accesses"),
                hits + misses,
                "count",
                "Demand accesses (hits + misses)",
            );
            d.put(
                format!("{n}.misses"),
                misses,
                "count",
                "Misses of every kind",
            );
            d.put(
                format!("{n}.misses_per_operation"),
                misses - g(&format!("{n}.straddle_second_misses")),
                "count",
                "Misses counting a split operation once, as cachegrind does",
            );
            d.put(
                format!("{n}.miss_rate"),
                if hits + misses > 0.0 {
                    misses / (hits + misses)
                } else {
                    0.0
                },
                "ratio",
                "Misses / accesses",
            );
        }
        let dram = DramMetrics::from_stats(stats, "dram", end.0 as f64 * 1e-12);
        d.put(
            "dram.bandwidth_gb_s",
            dram.bandwidth_gb_s,
            "GB/s",
            "Bytes moved over simulated time",
        );
        d.put(
            "dram.peak_bandwidth_gb_s",
            self.dram.peak_bytes_per_s() / 1e9,
            "GB/s",
            "Peak data bandwidth of the configured DRAM",
        );
        d.put(
            "area_proxy.sram_kib",
            self.cfg
                .level
                .iter()
                .map(|l| l.cache.size_bytes as f64)
                .sum::<f64>()
                / 1024.0,
            "KiB",
            "Total cache capacity: an area proxy (SRAM dominates a core's cache area), not an area model",
        );
        d.put(
            "dram.row_hit_rate",
            dram.row_hit_rate,
            "ratio",
            "Accesses served from an open row",
        );
        d.put(
            "dram.avg_read_latency_ns",
            dram.avg_read_latency_ns,
            "ns",
            "Arrival to response for answered requests",
        );
        d
    }
}

fn clone_trace_error(e: &crate::program::trace::TraceError) -> crate::program::trace::TraceError {
    use crate::program::trace::TraceError as E;
    match e {
        E::Io { path, source } => E::Io {
            path: path.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        E::Empty { path, msg } => E::Empty {
            path: path.clone(),
            msg: msg.clone(),
        },
        E::Line { path, line, msg } => E::Line {
            path: path.clone(),
            line: *line,
            msg: msg.clone(),
        },
        E::Binary { path, offset, msg } => E::Binary {
            path: path.clone(),
            offset: *offset,
            msg: msg.clone(),
        },
    }
}

/// Loads a hierarchy file (with `--set` overrides) and its energy table.
pub fn load(
    path: &Path,
    overrides: &[String],
) -> Result<(Hierarchy, Option<(PathBuf, EnergyTable)>), ConfigError> {
    let cfg: CachesimConfig = crate::config::load(path, overrides)?;
    let h = cfg.resolve().map_err(|e| e.in_file(path))?;
    let energy = match &cfg.energy_table {
        Some(rel) => {
            let p = path.parent().unwrap_or(Path::new(".")).join(rel);
            let t = EnergyTable::load(&p)?;
            Some((p, t))
        }
        None => None,
    };
    Ok((h, energy))
}
