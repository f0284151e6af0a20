//! Replacement policies: a closed set, chosen by [`ReplacementKind`] and dispatched by one `match`.

mod lru;
mod random;
mod srrip;
mod tree_plru;

use serde::{Deserialize, Serialize};

pub use lru::Lru;
pub use random::Random;
pub use srrip::Srrip;
pub use tree_plru::TreePlru;

/// Which policy a cache uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementKind {
    /// True least-recently-used (age stamps). Cachegrind's policy.
    #[default]
    Lru,
    /// Tree pseudo-LRU: ways - 1 bits per set; needs a power-of-two number of ways.
    TreePlru,
    /// Static re-reference interval prediction with 2-bit RRPVs (Jaleel et al., ISCA 2010).
    Srrip,
    /// Uniformly random victim from a seeded generator.
    Random,
}

impl ReplacementKind {
    /// Every policy, in the order `list` shows them.
    pub const ALL: [ReplacementKind; 4] = [
        ReplacementKind::Lru,
        ReplacementKind::TreePlru,
        ReplacementKind::Srrip,
        ReplacementKind::Random,
    ];

    /// The name a config uses (`tree_plru`).
    pub fn name(self) -> &'static str {
        match self {
            ReplacementKind::Lru => "lru",
            ReplacementKind::TreePlru => "tree_plru",
            ReplacementKind::Srrip => "srrip",
            ReplacementKind::Random => "random",
        }
    }
}

/// A policy's per-set state. Invalid ways are filled before any policy is asked for a victim.
pub enum Replacement {
    /// See [`Lru`].
    Lru(Lru),
    /// See [`TreePlru`].
    TreePlru(TreePlru),
    /// See [`Srrip`].
    Srrip(Srrip),
    /// See [`Random`].
    Random(Random),
}

impl Replacement {
    /// State for `n_sets` sets of `n_ways` ways.
    pub fn new(kind: ReplacementKind, n_sets: usize, n_ways: usize, seed: u64) -> Replacement {
        match kind {
            ReplacementKind::Lru => Replacement::Lru(Lru::new(n_sets, n_ways)),
            ReplacementKind::TreePlru => Replacement::TreePlru(TreePlru::new(n_sets, n_ways)),
            ReplacementKind::Srrip => Replacement::Srrip(Srrip::new(n_sets, n_ways)),
            ReplacementKind::Random => Replacement::Random(Random::new(n_ways, seed)),
        }
    }

    /// A hit on `way` of `set`.
    #[inline]
    pub fn touch(&mut self, set: usize, way: usize) {
        match self {
            Replacement::Lru(p) => p.touch(set, way),
            Replacement::TreePlru(p) => p.touch(set, way),
            Replacement::Srrip(p) => p.touch(set, way),
            Replacement::Random(_) => {}
        }
    }

    /// A new line was placed in `way` of `set`.
    #[inline]
    pub fn insert(&mut self, set: usize, way: usize) {
        match self {
            Replacement::Lru(p) => p.touch(set, way),
            Replacement::TreePlru(p) => p.touch(set, way),
            Replacement::Srrip(p) => p.insert(set, way),
            Replacement::Random(_) => {}
        }
    }

    /// The way to evict from a full `set`.
    #[inline]
    pub fn victim(&mut self, set: usize) -> usize {
        match self {
            Replacement::Lru(p) => p.victim(set),
            Replacement::TreePlru(p) => p.victim(set),
            Replacement::Srrip(p) => p.victim(set),
            Replacement::Random(p) => p.victim(),
        }
    }
}
