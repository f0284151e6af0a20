//! Energy accounting: per-action energies (pJ) keyed by statistic names, multiplied by the counts.
//!
//! Tables live in `configs/energy/*.toml`; every entry carries its source. A counted statistic with
//! no entry is listed in the report as unpriced, never silently ignored.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::stats::{StatTree, Unit};

/// The largest energy an entry may give one action: 1e9 pJ (1 mJ; as a static power per
/// picosecond, 1 GW). A real action costs femtojoules to nanojoules; the bound keeps every
/// count times the entry (at most 2^64 x 1e9) and their sum finite.
pub const MAX_PJ: f64 = 1e9;

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
            if !(e.pj.is_finite() && (0.0..=MAX_PJ).contains(&e.pj)) {
                return Err(crate::config::Invalid::new(
                    format!("actions.\"{k}\".pj"),
                    if e.pj.abs() >= 1e15 { format!("{:e}", e.pj) } else { e.pj.to_string() },
                    "must be a number of pJ from 0 to 1e9 (1 mJ per action, or 1 GW for a static power per ps; any count times it stays finite)",
                )
                .in_file(path));
            }
        }
        Ok(t)
    }

    /// The entry for a statistic: an exact key, or a key whose first part is `prefix*`
    /// (`core*.int_ops` prices `core0.int_ops`, `core1.int_ops`, ...).
    pub fn lookup(&self, stat: &str) -> Option<&EnergyEntry> {
        self.actions.get(stat).or_else(|| {
            let (first, rest) = stat.split_once('.')?;
            self.actions.iter().find_map(|(k, e)| {
                let (kfirst, krest) = k.split_once('.')?;
                let prefix = kfirst.strip_suffix('*')?;
                (krest == rest && first.starts_with(prefix)).then_some(e)
            })
        })
    }

    /// Prices the statistics of one run.
    pub fn price(&self, name: &str, stats: &StatTree) -> EnergyReport {
        let mut r = EnergyReport {
            table: name.to_string(),
            ..Default::default()
        };
        for e in &stats.entries {
            match self.lookup(&e.name) {
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
            .filter(|k| {
                !stats.entries.iter().any(|e| {
                    self.lookup(&e.name)
                        .is_some_and(|x| std::ptr::eq(x, &self.actions[*k]))
                })
            })
            .cloned()
            .collect();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_keys_price_every_matching_component_and_nothing_else() {
        let t: EnergyTable = toml::from_str("description = \"t\"\n[actions]\n\"core*.int_ops\" = { pj = 2.0, source = \"s\" }\n\"dram.reads\" = { pj = 5.0, source = \"s\" }\n\"nic.sends\" = { pj = 1.0, source = \"s\" }\n").unwrap();
        let mut stats = StatTree::default();
        for (name, v) in [
            ("core0.int_ops", 3),
            ("core12.int_ops", 1),
            ("core0.spad.int_ops", 7),
            ("dram.reads", 2),
            ("dram.writes", 9),
        ] {
            stats.entries.push(crate::stats::StatEntry {
                name: name.into(),
                value: v,
                unit: Unit::Count,
                doc: "",
            });
        }
        let r = t.price("t", &stats);
        assert_eq!(r.total_pj, 2.0 * 4.0 + 5.0 * 2.0);
        assert_eq!(
            r.unpriced,
            vec!["core0.spad.int_ops".to_string(), "dram.writes".to_string()]
        );
        assert_eq!(r.unknown_entries, vec!["nic.sends".to_string()]);
    }
}
