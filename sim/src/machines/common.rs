//! What every machine does the same way: run limits (the `[limits]` table), derived metrics,
//! DRAM metrics from the `dram` block's statistics, and assembling the [`RunReport`] with its
//! energy (or, with no table, every statistic listed as unpriced).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{require_at_least, Invalid};
use crate::energy::{EnergyReport, EnergyTable};
use crate::engine::{Clock, Finished, RunLimits, StopReason, Tick};
use crate::report::{Metric, RunReport};
use crate::stats::StatTree;

/// Run limits: the `[limits]` table of a machine's config.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Stop after this many cycles of the machine's main clock (the report says so).
    pub max_cycles: Option<u64>,
    /// Stop after this many seconds of real time.
    pub wall_clock_s: Option<f64>,
    /// Fail if nothing completes for this many cycles of the main clock. Default 10 000 000.
    #[serde(default = "default_watchdog")]
    pub watchdog_cycles: u64,
    /// Stop after this many instructions (machines that execute instructions: the mobile
    /// cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_instructions: Option<u64>,
}

fn default_watchdog() -> u64 {
    10_000_000
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        LimitsConfig {
            max_cycles: None,
            wall_clock_s: None,
            watchdog_cycles: default_watchdog(),
            max_instructions: None,
        }
    }
}

impl LimitsConfig {
    /// The engine's limits, with cycles of `clock`.
    pub fn run_limits(&self, clock: Clock) -> RunLimits {
        let ticks = |c: u64| Tick(c.saturating_mul(clock.period_ps()));
        RunLimits {
            max_ticks: self.max_cycles.map(ticks),
            wall_clock: self.wall_clock_s.map(Duration::from_secs_f64),
            watchdog: Some(ticks(self.watchdog_cycles)),
        }
    }

    /// Checks the limits; errors name `limits.<key>`.
    pub fn check(&self) -> Result<(), Invalid> {
        require_at_least("limits.watchdog_cycles", self.watchdog_cycles, 1)?;
        if let Some(n) = self.max_instructions {
            crate::config::require_in("limits.max_instructions", n, 1, 1 << 40, "instructions")?;
        }
        if let Some(s) = self.wall_clock_s {
            if !(s.is_finite() && s > 0.0 && s <= 1e9) {
                return Err(Invalid::new(
                    "limits.wall_clock_s",
                    s,
                    "must be a positive number of seconds, at most 1e9 (leave it out for no limit)",
                ));
            }
        }
        Ok(())
    }

    /// Refuses `limits.max_instructions` on a machine that does not run it (`machine` names it).
    pub fn without_instructions(&self, machine: &str) -> Result<(), Invalid> {
        match self.max_instructions {
            Some(n) => Err(Invalid::new(
                "limits.max_instructions",
                n,
                format!("{machine} runs take max_cycles, wall_clock_s and watchdog_cycles; an instruction limit applies to the mobile cores"),
            )),
            None => Ok(()),
        }
    }

    /// True if every limit has its default (then the table need not be echoed).
    pub fn is_default(&self) -> bool {
        *self == LimitsConfig::default()
    }
}

/// How a report names an input file: its path relative to folder `dir` (the experiment's),
/// both made canonical, so that the same run writes the same bytes however it was invoked
/// (`path` is absolute or relative to the working directory, as `dir` is). A path that cannot
/// be made canonical is kept as given.
pub fn input_path(dir: &Path, path: &Path) -> String {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let (Ok(base), Ok(target)) = (dir.canonicalize(), path.canonicalize()) else {
        return path.display().to_string();
    };
    let b: Vec<_> = base.components().collect();
    let t: Vec<_> = target.components().collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut out = std::path::PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out.display().to_string()
}

/// Derived metrics of a run, collected in name order.
#[derive(Debug, Default)]
pub struct Derived(pub BTreeMap<String, Metric>);

impl Derived {
    /// Adds (or replaces) metric `name`.
    pub fn put(&mut self, name: impl Into<String>, value: f64, unit: &str, doc: &str) {
        self.0.insert(
            name.into(),
            Metric {
                value,
                unit: unit.into(),
                doc: doc.into(),
            },
        );
    }
}

/// Figures every machine derives from a `dram` block's statistics.
#[derive(Debug, Clone, Copy)]
pub struct DramMetrics {
    /// Column accesses (reads + writes).
    pub accesses: f64,
    /// Accesses served from an open row, over all accesses (0 with none).
    pub row_hit_rate: f64,
    /// Bytes read and written over the simulated time, in GB/s (0 for no time).
    pub bandwidth_gb_s: f64,
    /// Average arrival-to-response time of answered requests, in ns (0 with none).
    pub avg_read_latency_ns: f64,
}

impl DramMetrics {
    /// From the statistics under `prefix` (`dram`) of a run that lasted `seconds`.
    pub fn from_stats(stats: &StatTree, prefix: &str, seconds: f64) -> DramMetrics {
        let g = |k: &str| stats.get(&format!("{prefix}.{k}")).unwrap_or(0) as f64;
        let accesses = g("reads") + g("writes");
        let bytes = g("bytes_read") + g("bytes_written");
        let answered = g("answered");
        DramMetrics {
            accesses,
            row_hit_rate: if accesses > 0.0 {
                g("row_hits") / accesses
            } else {
                0.0
            },
            bandwidth_gb_s: if seconds > 0.0 {
                bytes / seconds / 1e9
            } else {
                0.0
            },
            avg_read_latency_ns: if answered > 0.0 {
                g("read_latency_ps") / answered / 1e3
            } else {
                0.0
            },
        }
    }
}

/// Everything a report is made of, beside the statistics and derived metrics.
pub struct ReportMeta<'a> {
    /// Run name.
    pub name: String,
    /// What ran (`cachesim`, `piuma/smash-v1`).
    pub kind: String,
    /// The run's seed, as recorded in the report.
    pub seed: u64,
    /// The resolved configuration to echo.
    pub config: serde_json::Value,
    /// Input files by role.
    pub inputs: BTreeMap<String, String>,
    /// The energy table and the name the report gives it, if the run is priced.
    pub energy: Option<(&'a str, &'a EnergyTable)>,
}

/// How a run ended: what a report records of the engine's run (or of a closed-form model's).
#[derive(Debug, Clone, Copy)]
pub struct RunEnd {
    /// Simulated time at the end, in ps.
    pub simulated_ps: u64,
    /// Why it stopped.
    pub stop_reason: StopReason,
    /// Engine events delivered (0 for a closed-form model).
    pub n_events: u64,
}

impl From<&Finished> for RunEnd {
    fn from(f: &Finished) -> RunEnd {
        RunEnd {
            simulated_ps: f.now().0,
            stop_reason: f.stop_reason(),
            n_events: f.n_events(),
        }
    }
}

/// Assembles the report of a finished run.
pub fn assemble_report(
    meta: ReportMeta,
    end: impl Into<RunEnd>,
    stats: StatTree,
    derived: Derived,
) -> RunReport {
    let end = end.into();
    let energy = match meta.energy {
        Some((name, table)) => table.price(name, &stats),
        None => EnergyReport {
            table: "(none)".into(),
            unpriced: stats.entries.iter().map(|e| e.name.clone()).collect(),
            ..Default::default()
        },
    };
    RunReport {
        name: meta.name,
        kind: meta.kind,
        sparsim_version: env!("CARGO_PKG_VERSION").into(),
        sparsim_commit: env!("SPARSIM_COMMIT").into(),
        seed: meta.seed,
        config: meta.config,
        inputs: meta.inputs,
        simulated_ps: end.simulated_ps,
        stop_reason: end.stop_reason,
        n_events: end.n_events,
        stats: stats.entries,
        derived: derived.0,
        energy,
        tables: Vec::new(),
        timeline: None,
        figures: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Appends the key path of every leaf of `v` (objects by `.key`, arrays by `[i]`) to `out`. A null
/// (an optional key left unset) is a leaf too; so is an array of plain values.
pub fn flatten_keys(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
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

    #[test]
    fn limits_convert_cycles_at_the_clock_and_default_the_watchdog() {
        let clock = Clock::from_mhz(1000.0);
        let l = LimitsConfig {
            max_cycles: Some(5),
            ..Default::default()
        };
        let r = l.run_limits(clock);
        assert_eq!(r.max_ticks.map(|t| t.0), Some(5_000));
        assert_eq!(r.watchdog.map(|t| t.0), Some(10_000_000 * 1_000));
        assert!(!l.is_default());
        assert!(LimitsConfig::default().is_default());
    }

    #[test]
    fn dram_metrics_are_zero_without_traffic_or_time() {
        let m = DramMetrics::from_stats(&StatTree::default(), "dram", 0.0);
        assert_eq!(
            (
                m.accesses,
                m.row_hit_rate,
                m.bandwidth_gb_s,
                m.avg_read_latency_ns
            ),
            (0.0, 0.0, 0.0, 0.0)
        );
    }
}
