//! A mobile core's file (`configs/mobile/*.toml`): its pipeline (widths, window, pipe groups,
//! each instruction class's pipe, latency, interval and accumulator forwarding, branch
//! prediction, pairing rules), its caches and its DRAM, every value with its source in the file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::blocks::cache::CacheGeometry;
use crate::blocks::dram::{DramConfig, DramSpec};
use crate::blocks::memory::{MemoryConfig, MemoryModel};
use crate::blocks::pipeline::{ClassTiming, PipeGroup, PipelineConfig};
use crate::config::{require_in, require_pow2, ConfigError, Invalid};
use crate::blocks::memory::hierarchy::LevelSpec;
use crate::program::aarch64::Class;

/// A pipe group.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PipeCfg {
    /// Pipes.
    pub count: u32,
    /// Issue-queue entries.
    pub iq: u32,
}

/// A class's timing.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassCfg {
    /// Its pipe group.
    pub pipe: String,
    /// Cycles from issue to result.
    pub latency: u32,
    /// Cycles a pipe stays busy. Default 1.
    #[serde(default = "one")]
    pub interval: u32,
    /// Accumulator forwarding latency (multiply-accumulates).
    pub acc_latency: Option<u32>,
}

fn one() -> u32 {
    1
}

/// A cache level.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LevelCfg {
    /// Its name.
    pub name: String,
    /// Capacity in KiB.
    pub kib: u64,
    /// Ways.
    pub ways: u64,
    /// Line bytes. Default 64.
    #[serde(default = "line")]
    pub line_bytes: u64,
    /// Load-to-use cycles of a hit here.
    pub latency: u64,
    /// Misses in flight (the L1's bounds the core's memory-level parallelism).
    pub mshrs: u64,
}

fn line() -> u64 {
    64
}

/// A core file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoreConfig {
    /// What it models.
    pub name: String,
    /// Clock in GHz.
    pub clock_ghz: f64,
    /// In-order issue.
    pub in_order: bool,
    /// Decode width.
    pub decode_width: u32,
    /// Issue width.
    pub issue_width: u32,
    /// Retire width.
    pub retire_width: u32,
    /// Reorder-buffer entries.
    pub rob: u32,
    /// Cycles from decode to the issue queue.
    #[serde(default)]
    pub dispatch_latency: u32,
    /// Mispredict penalty in cycles.
    pub mispredict_penalty: u32,
    /// Bimodal predictor entries.
    pub predictor_entries: u32,
    /// Pairs of classes that may not dual-issue.
    #[serde(default)]
    pub forbidden_pairs: Vec<[String; 2]>,
    /// Pipe groups by name.
    pub pipes: BTreeMap<String, PipeCfg>,
    /// Every instruction class's timing, by class name.
    pub classes: BTreeMap<String, ClassCfg>,
    /// Cache levels, L1D first.
    pub cache: Vec<LevelCfg>,
    /// The DRAM.
    pub dram: DramConfig,
    /// How line fills and writebacks are timed (`[memory]`): `model = "transfer"`, the model
    /// calibrated on the `dram` block (fast; the default), or `"dram"`, every access through the
    /// block itself (see `blocks/memory`). Left out of the config echo at its default.
    #[serde(default, skip_serializing_if = "MemoryConfig::is_default")]
    pub memory: MemoryConfig,
}

/// The top-level keys of a core file (an override naming one goes to the core file).
pub const CORE_KEYS: [&str; 16] = [
    "name",
    "clock_ghz",
    "in_order",
    "decode_width",
    "issue_width",
    "retire_width",
    "rob",
    "dispatch_latency",
    "mispredict_penalty",
    "predictor_entries",
    "forbidden_pairs",
    "pipes",
    "classes",
    "cache",
    "dram",
    "memory",
];

/// A core file resolved: the pipeline, the cache levels and the DRAM.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The pipeline.
    pub pipeline: PipelineConfig,
    /// The cache levels.
    pub levels: Vec<LevelSpec>,
    /// The DRAM.
    pub dram: DramSpec,
    /// The backend that times it.
    pub memory: MemoryModel,
}

fn class_named(name: &str) -> Option<Class> {
    Class::ALL.iter().copied().find(|c| c.name() == name)
}

impl CoreConfig {
    /// Checks and resolves; errors name the key.
    pub fn resolve(&self) -> Result<Resolved, Invalid> {
        crate::config::require_clock("clock_ghz", self.clock_ghz, "GHz", 100_000.0)?;
        let names: Vec<&String> = self.pipes.keys().collect();
        let groups: Vec<PipeGroup> = self
            .pipes
            .iter()
            .map(|(n, p)| PipeGroup {
                name: n.clone(),
                count: p.count,
                iq: p.iq,
            })
            .collect();
        let mut classes = vec![
            ClassTiming {
                group: 0,
                latency: 1,
                interval: 1,
                acc_latency: None,
            };
            Class::ALL.len()
        ];
        for key in self.classes.keys() {
            if class_named(key).is_none() {
                return Err(Invalid::new(
                    format!("classes.{key}"),
                    key,
                    format!("no such class; the classes are {}", Class::ALL.map(Class::name).join(", ")),
                ));
            }
        }
        for (i, c) in Class::ALL.iter().enumerate() {
            let cfg = self.classes.get(c.name()).ok_or_else(|| {
                Invalid::new(
                    format!("classes.{}", c.name()),
                    "(missing)",
                    "every instruction class needs its pipe and latency",
                )
            })?;
            let group = names.iter().position(|n| **n == cfg.pipe).ok_or_else(|| {
                Invalid::new(
                    format!("classes.{}.pipe", c.name()),
                    format!("{:?}", cfg.pipe),
                    format!("no pipe group of this name; the groups are {names:?}"),
                )
            })?;
            classes[i] = ClassTiming {
                group,
                latency: cfg.latency,
                interval: cfg.interval,
                acc_latency: cfg.acc_latency,
            };
        }
        let mut forbidden = Vec::new();
        for [a, b] in &self.forbidden_pairs {
            let pair = (class_named(a), class_named(b));
            match pair {
                (Some(x), Some(y)) => forbidden.push((x.index() as u8, y.index() as u8)),
                _ => {
                    return Err(Invalid::new(
                        "forbidden_pairs",
                        format!("[{a:?}, {b:?}]"),
                        format!("names a class that does not exist; the classes are {}", Class::ALL.map(Class::name).join(", ")),
                    ))
                }
            }
        }
        let pipeline = PipelineConfig {
            in_order: self.in_order,
            decode_width: self.decode_width,
            issue_width: self.issue_width,
            retire_width: self.retire_width,
            rob: self.rob,
            dispatch_latency: self.dispatch_latency,
            groups,
            classes,
            class_names: Class::ALL.iter().map(|c| c.name().to_string()).collect(),
            mispredict_penalty: self.mispredict_penalty,
            predictor_entries: self.predictor_entries,
            forbidden_pairs: forbidden,
        };
        pipeline.check("")?;
        if self.cache.is_empty() {
            return Err(Invalid::new("cache", "[]", "give at least an L1 data cache"));
        }
        let mut levels = Vec::new();
        for (i, l) in self.cache.iter().enumerate() {
            let key = |k: &str| format!("cache[{i}].{k}");
            require_in(&key("line_bytes"), l.line_bytes, 16, 4096, "bytes")?;
            require_pow2(&key("line_bytes"), l.line_bytes)?;
            if l.line_bytes != self.cache[0].line_bytes {
                return Err(Invalid::new(key("line_bytes"), l.line_bytes, "every level has the L1's line size"));
            }
            require_in(&key("ways"), l.ways, 1, 64, "ways")?;
            require_in(&key("kib"), l.kib, 1, 1 << 20, "KiB")?;
            require_in(&key("mshrs"), l.mshrs, 1, 256, "misses in flight")?;
            require_in(&key("latency"), l.latency, 1, 10_000, "cycles")?;
            let lines = l.kib * 1024 / l.line_bytes;
            if lines % l.ways != 0 || !(lines / l.ways).is_power_of_two() {
                return Err(Invalid::new(
                    key("kib"),
                    l.kib,
                    format!("{} lines in {} ways must make a power-of-two number of sets", lines, l.ways),
                ));
            }
            if i > 0 && l.latency < self.cache[i - 1].latency {
                return Err(Invalid::new(key("latency"), l.latency, "a level below is no faster than the one above"));
            }
            levels.push(LevelSpec {
                name: l.name.clone(),
                geo: CacheGeometry {
                    n_sets: lines / l.ways,
                    n_ways: l.ways,
                    line_shift: l.line_bytes.trailing_zeros(),
                    n_banks: 1,
                },
                latency: l.latency,
                mshrs: l.mshrs,
            });
        }
        // The L1 latency must equal the scalar load's: the pipeline's load latency covers it.
        let load = self.classes.get("load").map_or(0, |c| c.latency as u64);
        if load != self.cache[0].latency {
            return Err(Invalid::new(
                "cache[0].latency",
                self.cache[0].latency,
                format!("must equal classes.load.latency ({load}): an L1 hit is the load's own latency"),
            ));
        }
        let dram = self.dram.resolve("dram")?;
        Ok(Resolved {
            pipeline,
            levels,
            dram,
            memory: self.memory.model,
        })
    }
}

/// Loads a core file with `overrides`.
pub fn load(path: &Path, overrides: &[String]) -> Result<(CoreConfig, Resolved), ConfigError> {
    let c: CoreConfig = crate::config::load(path, overrides)?;
    let r = c.resolve().map_err(|e| e.in_file(path))?;
    Ok((c, r))
}
