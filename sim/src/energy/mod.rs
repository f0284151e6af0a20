//! Energy accounting: per-action energies (pJ) keyed by statistic names, multiplied by the counts.
//!
//! Tables live in `configs/energy/*.toml`; every entry carries its source. A counted statistic with
//! no entry is listed in the report as unpriced, never silently ignored.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::stats::{StatTree, Unit};

/// One priced action.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnergyEntry {
    /// Energy per counted event (or per byte, for byte-valued statistics), in picojoules.
    pub pj: f64,
    /// Where the value comes from.
    pub source: String,
}

/// An energy table file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnergyTable {
    /// What the table describes (technology node, parts).
    pub description: String,
    /// Statistic name (e.g. `l1d.read_hits`) to its energy.
    pub actions: BTreeMap<String, EnergyEntry>,
}

/// Energy of one action in a run.
#[derive(Debug, Clone, Serialize)]
pub struct ActionEnergy {
    /// Statistic name.
    pub stat: String,
    /// Its count.
    pub count: u64,
    /// Picojoules per event.
    pub pj_each: f64,
    /// Total picojoules.
    pub total_pj: f64,
}

/// The energy section of a report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct EnergyReport {
    /// The table used.
    pub table: String,
    /// Total energy in picojoules.
    pub total_pj: f64,
    /// Total per component (the first part of the statistic name).
    pub by_component: BTreeMap<String, f64>,
    /// Every priced action.
    pub actions: Vec<ActionEnergy>,
    /// Counted statistics with no entry in the table.
    pub unpriced: Vec<String>,
    /// Table entries that name no statistic of this run (a typo, or a stat that was renamed).
    pub unknown_entries: Vec<String>,
}

impl EnergyTable {
    /// Loads a table file.
    pub fn load(path: &Path) -> Result<EnergyTable, ConfigError> {
        let t: EnergyTable = crate::config::load(path, &[])?;
        for (k, e) in &t.actions {
            if !(e.pj.is_finite() && e.pj >= 0.0) {
                return Err(crate::config::Invalid::new(
                    format!("actions.\"{k}\".pj"),
                    e.pj,
                    "must be a finite, non-negative number of pJ",
                )
                .in_file(path));
            }
        }
        Ok(t)
    }

    /// Prices the statistics of one run.
    pub fn price(&self, name: &str, stats: &StatTree) -> EnergyReport {
        let mut r = EnergyReport {
            table: name.to_string(),
            ..Default::default()
        };
        for e in &stats.entries {
            match self.actions.get(&e.name) {
                Some(entry) => {
                    let total = entry.pj * e.value as f64;
                    r.total_pj += total;
                    let comp = e.name.split('.').next().unwrap_or("").to_string();
                    *r.by_component.entry(comp).or_default() += total;
                    r.actions.push(ActionEnergy {
                        stat: e.name.clone(),
                        count: e.value,
                        pj_each: entry.pj,
                        total_pj: total,
                    });
                }
                None if matches!(e.unit, Unit::Count | Unit::Bytes) => {
                    r.unpriced.push(e.name.clone())
                }
                None => {}
            }
        }
        r.unknown_entries = self
            .actions
            .keys()
            .filter(|k| stats.get(k).is_none())
            .cloned()
            .collect();
        r
    }
}
