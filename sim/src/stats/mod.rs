//! Statistics: plain counter structs that declare, for every field, its unit and meaning.
//!
//! Models count in the hot path (a `u64 += 1`); ratios and averages are derived at report time.
//! A stats struct is declared with [`crate::stats_struct!`], which generates the struct, its
//! [`StatSet`] description table and warm-up subtraction.

use serde::Serialize;

/// The unit of a statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A number of events.
    Count,
    /// A number of bytes.
    Bytes,
    /// Cycles of the component's own clock.
    Cycles,
    /// Picoseconds of simulated time.
    Picoseconds,
}

impl Unit {
    /// The short name used in CSV headers and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Bytes => "bytes",
            Unit::Cycles => "cycles",
            Unit::Picoseconds => "ps",
        }
    }
}

/// The declaration of one statistic.
#[derive(Debug, Clone, Copy)]
pub struct StatDesc {
    /// Field name, also the last part of its hierarchical name.
    pub name: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// One sentence saying what is counted.
    pub doc: &'static str,
}

/// A struct of counters that can describe itself.
pub trait StatSet {
    /// The declarations, in field order.
    fn describe() -> &'static [StatDesc];
    /// The values, in the same order as [`StatSet::describe`].
    fn values(&self) -> Vec<u64>;
}

/// One statistic in a report: hierarchical name, value, unit and description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatEntry {
    /// Hierarchical name, e.g. `l1d.read_misses`.
    pub name: String,
    /// The counter's value at the end of the run.
    pub value: u64,
    /// What the value counts (count, bytes, cycles, picoseconds).
    pub unit: Unit,
    /// What is counted.
    pub doc: &'static str,
}

/// An ordered collection of statistics gathered from components after a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StatTree {
    /// Entries in the order they were added (deterministic).
    pub entries: Vec<StatEntry>,
}

impl StatTree {
    /// Adds every counter of `set` under `prefix` (`prefix.field`).
    pub fn add<S: StatSet>(&mut self, prefix: &str, set: &S) {
        for (d, v) in S::describe().iter().zip(set.values()) {
            self.entries.push(StatEntry {
                name: format!("{prefix}.{}", d.name),
                value: v,
                unit: d.unit,
                doc: d.doc,
            });
        }
    }

    /// Adds one statistic that no counter struct declares (one per pipe group, per layer).
    pub fn push(&mut self, name: impl Into<String>, value: u64, unit: Unit, doc: &'static str) {
        self.entries.push(StatEntry {
            name: name.into(),
            value,
            unit,
            doc,
        });
    }

    /// The value of a statistic by its full name.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.value)
    }
}

/// Declares a stats struct: every field is a `u64` counter with a unit and a description.
///
/// ```
/// sparsim::stats_struct! {
///     /// Counters of a toy component.
///     pub struct ToyStats {
///         hits: Count = "Accesses that hit",
///         busy: Cycles = "Cycles spent busy",
///     }
/// }
/// let s = ToyStats { hits: 3, busy: 7 };
/// assert_eq!(<ToyStats as sparsim::stats::StatSet>::describe()[1].name, "busy");
/// ```
#[macro_export]
macro_rules! stats_struct {
    ($(#[$meta:meta])* pub struct $name:ident { $($field:ident : $unit:ident = $doc:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
        pub struct $name {
            $(#[doc = $doc] pub $field: u64,)*
        }
        impl $crate::stats::StatSet for $name {
            fn describe() -> &'static [$crate::stats::StatDesc] {
                &[$($crate::stats::StatDesc { name: stringify!($field), unit: $crate::stats::Unit::$unit, doc: $doc },)*]
            }
            fn values(&self) -> Vec<u64> {
                vec![$(self.$field,)*]
            }
        }
        impl std::ops::Sub for $name {
            type Output = $name;
            /// Counters at the end minus counters at the end of warm-up.
            fn sub(self, rhs: $name) -> $name {
                $name { $($field: self.$field - rhs.$field,)* }
            }
        }
    };
}
