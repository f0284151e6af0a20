//! Run reports: one serializable snapshot ([`RunReport`]) and the files made from it.
//!
//! **Architecture Invariant:** everything here works from a `RunReport`, never from live models.
//! `report.json` is the single source of truth; `summary.md`, `stats.csv` and `energy.csv` are views.
//! Nothing in a report depends on wall-clock time, so the same config and seed give identical bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::energy::EnergyReport;
use crate::engine::StopReason;
use crate::stats::StatEntry;

pub mod plot;

/// A metric derived from statistics at report time (a rate, an average).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metric {
    /// Value.
    pub value: f64,
    /// Unit.
    pub unit: String,
    /// What it is.
    pub doc: String,
}

/// Everything a run produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Run name (also the report directory's name).
    pub name: String,
    /// What ran (e.g. `cachesim`).
    pub kind: String,
    /// sparsim version that produced it.
    pub sparsim_version: String,
    /// Seed.
    pub seed: u64,
    /// The resolved configuration, as loaded (after overrides).
    pub config: serde_json::Value,
    /// Input files, by role.
    pub inputs: BTreeMap<String, String>,
    /// Simulated time at the end, in picoseconds.
    pub simulated_ps: u64,
    /// Why the run stopped.
    pub stop_reason: StopReason,
    /// Engine events delivered.
    pub n_events: u64,
    /// Every statistic, hierarchically named.
    pub stats: Vec<StatEntry>,
    /// Derived metrics.
    pub derived: BTreeMap<String, Metric>,
    /// Energy.
    pub energy: EnergyReport,
}

/// Creates a fresh directory for `name` under `base`: `base/name`, or `base/name-2`, `-3`, ... if
/// taken. An existing report directory is never written into.
pub fn fresh_dir(base: &Path, name: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(base)?;
    for i in 1.. {
        let dir = if i == 1 {
            base.join(name)
        } else {
            base.join(format!("{name}-{i}"))
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop only ends by returning")
}

impl RunReport {
    /// The report as pretty JSON (deterministic: ordered maps, no timestamps).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serializes");
        s.push('\n');
        s
    }

    /// `name,value,unit,description` rows.
    pub fn stats_csv(&self) -> String {
        let mut s = String::from("name,value,unit,description\n");
        for e in &self.stats {
            let _ = writeln!(
                s,
                "{},{},{},\"{}\"",
                e.name,
                e.value,
                e.unit.as_str(),
                e.doc.replace('"', "'")
            );
        }
        for (k, m) in &self.derived {
            let _ = writeln!(
                s,
                "{k},{},{},\"{}\"",
                m.value,
                m.unit,
                m.doc.replace('"', "'")
            );
        }
        s
    }

    /// `stat,count,pj_each,total_pj` rows, then per-component totals.
    pub fn energy_csv(&self) -> String {
        let mut s = String::from("stat,count,pj_each,total_pj\n");
        for a in &self.energy.actions {
            let _ = writeln!(s, "{},{},{},{}", a.stat, a.count, a.pj_each, a.total_pj);
        }
        s
    }

    /// A Markdown summary: derived metrics, energy by component, unpriced statistics.
    pub fn summary_md(&self) -> String {
        let mut s = format!("# {} ({})\n\n", self.name, self.kind);
        let _ = writeln!(
            s,
            "Simulated time: {:.3} us; stop reason: {:?}; seed {}.\n",
            self.simulated_ps as f64 / 1e6,
            self.stop_reason,
            self.seed
        );
        for (role, path) in &self.inputs {
            let _ = writeln!(s, "- {role}: `{path}`");
        }
        s.push_str("\n## Metrics\n\n| metric | value | unit |\n| --- | ---: | --- |\n");
        for (k, m) in &self.derived {
            let _ = writeln!(s, "| {k} | {} | {} |", fmt_num(m.value), m.unit);
        }
        let _ = writeln!(
            s,
            "\n## Energy ({})\n\nTotal: {:.3} uJ.\n\n| component | energy (uJ) |\n| --- | ---: |",
            self.energy.table,
            self.energy.total_pj / 1e6
        );
        for (c, pj) in &self.energy.by_component {
            let _ = writeln!(s, "| {c} | {:.3} |", pj / 1e6);
        }
        if !self.energy.unpriced.is_empty() {
            let _ = writeln!(
                s,
                "\nStatistics with no energy entry: {}.",
                self.energy.unpriced.join(", ")
            );
        }
        s
    }

    /// Writes `report.json`, `summary.md`, `stats.csv` and `energy.csv` into a fresh directory under
    /// `base` and returns it.
    pub fn write(&self, base: &Path) -> std::io::Result<PathBuf> {
        let dir = fresh_dir(base, &self.name)?;
        for (file, text) in [
            ("report.json", self.to_json()),
            ("summary.md", self.summary_md()),
            ("stats.csv", self.stats_csv()),
            ("energy.csv", self.energy_csv()),
        ] {
            let mut f = std::fs::File::create(dir.join(file))?;
            f.write_all(text.as_bytes())?;
        }
        Ok(dir)
    }
}

/// Formats a number for tables: integers plainly, others with 4 significant decimals.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_dir_never_reuses_an_existing_directory() {
        let d = tempfile::tempdir().unwrap();
        let a = fresh_dir(d.path(), "run").unwrap();
        std::fs::write(a.join("keep.txt"), "mine").unwrap();
        let b = fresh_dir(d.path(), "run").unwrap();
        assert_ne!(a, b);
        assert!(b.ends_with("run-2"));
        assert_eq!(std::fs::read_to_string(a.join("keep.txt")).unwrap(), "mine");
    }
}
