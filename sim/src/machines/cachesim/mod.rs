//! `cachesim`: a trace-driven cache hierarchy over DRAM, the machine that compares with
//! cachegrind.
//!
//! An experiment file (`kind = "cachesim"`) names a hierarchy file and a trace; the hierarchy
//! ([`hierarchy`]) is a tree of caches (or none, to drive the DRAM alone) fed by a memory-only
//! trace core. `sparsim cachesim HIERARCHY TRACE` runs the same thing without an experiment file.
//!
//! Modelled: what the `cache` and `dram` blocks model (tags, replacement, MSHRs, prefetchers,
//! write policies; DRAM bank timing). Not modelled: the core's execution: the trace gives only
//! addresses, sizes and kinds, issued in order with a bounded number in flight.

pub mod hierarchy;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use hierarchy::{load, CachesimConfig, CoreConfig, Hierarchy, LevelConfig, Serves};

use crate::energy::EnergyTable;
use crate::machines::common::flatten_keys;
use crate::machines::{Experiment, ExperimentError, Machine, Outcome};
use crate::program::trace::{self, TraceReader};
use crate::report::{fmt_num, RunReport};

/// The cachesim machine.
pub struct Cachesim;

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
pub const EXPERIMENT_KEYS: [&str; 2] = ["hierarchy", "trace"];

/// A hierarchy and an opened trace, ready to run.
pub struct CachesimRun {
    hierarchy: Hierarchy,
    energy: Option<(PathBuf, EnergyTable)>,
    trace_path: PathBuf,
    trace: TraceReader,
    /// The folder the report names the trace relative to: the experiment's, or the hierarchy's.
    inputs_dir: PathBuf,
    /// The hierarchy config with overrides, for `config_keys`.
    config: serde_json::Value,
}

impl CachesimRun {
    /// Loads hierarchy file `hierarchy` with `overrides` and opens `trace_path`.
    pub fn new(
        hierarchy: &Path,
        trace_path: &Path,
        overrides: &[String],
    ) -> Result<CachesimRun, ExperimentError> {
        let (h, energy) = load(hierarchy, overrides)?;
        let trace = trace::open(trace_path)?;
        Ok(CachesimRun {
            config: serde_json::to_value(h.config()).expect("configs serialize"),
            hierarchy: h,
            energy,
            trace_path: trace_path.to_path_buf(),
            trace,
            inputs_dir: hierarchy.parent().unwrap_or(Path::new("")).to_path_buf(),
        })
    }
}

impl Experiment for CachesimRun {
    fn name(&self) -> &str {
        &self.hierarchy.config().name
    }

    fn machine(&self) -> &'static dyn Machine {
        &Cachesim
    }

    fn config_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        flatten_keys(&self.config, "", &mut keys);
        keys.extend(EXPERIMENT_KEYS.iter().map(|k| k.to_string()));
        keys.sort();
        keys
    }

    fn describe(&self) -> String {
        let c = self.hierarchy.config();
        format!(
            "{}: {} through {} cache level(s) over {}",
            c.name,
            self.trace_path.display(),
            c.level.len(),
            c.dram.preset
        )
    }

    fn run(self: Box<Self>) -> Result<Outcome, ExperimentError> {
        let name = self
            .energy
            .as_ref()
            .map(|(p, _)| crate::machines::common::input_path(&self.inputs_dir, p));
        let energy = self
            .energy
            .as_ref()
            .zip(name.as_deref())
            .map(|((_, t), n)| (n, t));
        self.hierarchy.run(
            Box::new(self.trace),
            &crate::machines::common::input_path(&self.inputs_dir, &self.trace_path),
            energy,
        )
    }
}

impl Machine for Cachesim {
    fn name(&self) -> &'static str {
        "cachesim"
    }

    fn description(&self) -> &'static str {
        "a memory trace through a tree of caches over DRAM (compares with cachegrind)"
    }

    fn example(&self) -> &'static str {
        "configs/experiments/cachesim-default.toml"
    }

    fn kernels(&self) -> Vec<&'static str> {
        vec!["traces: valgrind lackey, sparsim binary (zstd optional), sparsim text"]
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
        let exp: CachesimExperiment = crate::config::parse(text, file, &own)?;
        let dir = file.parent().unwrap_or(Path::new("."));
        for (key, rel) in [("hierarchy", &exp.hierarchy), ("trace", &exp.trace)] {
            let path = dir.join(rel);
            if !path.is_file() {
                return Err(crate::config::Invalid::new(
                    key,
                    format!("{:?}", rel.display().to_string()),
                    format!(
                        "{} is not a readable file; paths are relative to the experiment file",
                        path.display()
                    ),
                )
                .in_file(file)
                .into());
            }
        }
        let mut run = CachesimRun::new(&dir.join(&exp.hierarchy), &dir.join(&exp.trace), &rest)?;
        run.inputs_dir = dir.to_path_buf();
        Ok(Box::new(run))
    }

    fn headline(&self, r: &RunReport) -> Vec<String> {
        let g = |k: &str| {
            r.stats
                .iter()
                .find(|s| s.name == k)
                .map(|s| s.value)
                .unwrap_or(0)
        };
        let d = |k: &str| r.derived.get(k).map_or(0.0, |m| m.value);
        let m = |k: &str| r.derived.get(k).map(|m| fmt_num(m.value)).unwrap_or_default();
        let levels: Vec<String> = r.config["level"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut lines = Vec::new();
        if !levels.is_empty() {
            lines.push(format!(
                "{:<6} {:>11} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10} {:>10}",
                "level",
                "accesses",
                "misses",
                "inst miss",
                "read miss",
                "write miss",
                "miss %",
                "writebacks",
                "mshr stall"
            ));
        }
        for l in &levels {
            let (acc, miss) = (d(&format!("{l}.accesses")), d(&format!("{l}.misses")));
            lines.push(format!(
                "{:<6} {:>11} {:>10} {:>10} {:>10} {:>10} {:>8.3}% {:>10} {:>10}",
                l,
                acc,
                miss,
                g(&format!("{l}.inst_misses")),
                g(&format!("{l}.read_misses")),
                g(&format!("{l}.write_misses")),
                if acc > 0.0 { 100.0 * miss / acc } else { 0.0 },
                g(&format!("{l}.writebacks_sent")),
                g(&format!("{l}.mshr_stalls"))
            ));
        }
        lines.push(format!(
            "dram: {} reads, {} writes, {} ACTs, row hit rate {}, {} GB/s of {} GB/s peak, avg read latency {} ns",
            g("dram.reads"),
            g("dram.writes"),
            g("dram.activates"),
            m("dram.row_hit_rate"),
            m("dram.bandwidth_gb_s"),
            m("dram.peak_bandwidth_gb_s"),
            m("dram.avg_read_latency_ns")
        ));
        lines.push(format!(
            "core: {} cycles, AMAT {} cycles; energy {:.3} uJ ({} stats unpriced)",
            m("core.cycles"),
            m("core.amat_cycles"),
            r.energy.total_pj / 1e6,
            r.energy.unpriced.len()
        ));
        lines
    }

    fn recognises_config(&self, table: &toml::Table) -> bool {
        table.contains_key("core") && table.contains_key("dram")
    }

    fn check_config(&self, file: &Path) -> Result<(), ExperimentError> {
        load(file, &[])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hierarchy_with_no_levels_sends_every_access_to_the_dram() {
        let d = tempfile::tempdir().unwrap();
        let cfg = d.path().join("dram-only.toml");
        std::fs::write(
            &cfg,
            "name = \"dram-only\"\n[core]\nfreq_mhz = 3000.0\nmax_outstanding = 16\n\
             [dram]\npreset = \"DDR4-3200\"\n[limits]\nmax_cycles = 50000\n",
        )
        .unwrap();
        let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../workloads/traces/kernel.lackey.zst");
        let o = Box::new(CachesimRun::new(&cfg, &trace, &[]).unwrap())
            .run()
            .unwrap();
        let r = &o.report;
        let stat = |k: &str| r.stats.iter().find(|s| s.name == k).map(|s| s.value);
        let issued = stat("core.fetches").unwrap()
            + stat("core.loads").unwrap()
            + stat("core.stores").unwrap();
        assert!(issued > 1000);
        assert_eq!(stat("dram.requests"), Some(issued));
        assert!(r.stats.iter().all(|s| s.name.starts_with("core.") || s.name.starts_with("dram.")));
        let bw = r.derived["dram.bandwidth_gb_s"].value;
        assert!(bw > 0.0 && bw <= r.derived["dram.peak_bandwidth_gb_s"].value);
    }
}
