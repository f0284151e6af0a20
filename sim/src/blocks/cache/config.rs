//! Cache configuration (raw, from TOML) and its resolved, checked geometry.

use serde::{Deserialize, Serialize};

use super::replacement::ReplacementKind;
use crate::config::{require_at_least, require_in, require_pow2, Invalid, MAX_LATENCY_CYCLES};

/// Write hits: keep dirty lines (write-back) or forward every write down (write-through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WritePolicy {
    /// Dirty lines are written down when evicted.
    #[default]
    WriteBack,
    /// Every write is also sent down; lines are never dirty.
    WriteThrough,
}

/// What a writeback arriving from an upper level does here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WritebackHandling {
    /// A hit marks the line dirty and counts as a use; a miss allocates the line (a real cache).
    #[default]
    Update,
    /// A hit marks the line dirty without touching replacement state; a miss passes the line down
    /// without allocating. This keeps a level's contents exactly as if writebacks did not exist,
    /// which is how cachegrind (a tag-only model with no dirty state) behaves.
    Passive,
}

/// Hardware prefetcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrefetchKind {
    /// No prefetching.
    #[default]
    None,
    /// On a demand miss to line L, fetch L+1 ... L+degree.
    NextLine,
    /// A 16-entry table keyed by 4 KiB page learns a constant line stride and fetches ahead of it.
    Stride,
}

impl PrefetchKind {
    /// Every prefetcher, in the order `list` shows them.
    pub const ALL: [PrefetchKind; 3] = [
        PrefetchKind::None,
        PrefetchKind::NextLine,
        PrefetchKind::Stride,
    ];

    /// The name a config uses (`next_line`).
    pub fn name(self) -> &'static str {
        match self {
            PrefetchKind::None => "none",
            PrefetchKind::NextLine => "next_line",
            PrefetchKind::Stride => "stride",
        }
    }
}

/// One cache, as written in a config file. Every field is documented with its unit.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Total data capacity in bytes.
    pub size_bytes: u64,
    /// Associativity (ways per set).
    pub n_ways: u64,
    /// Line size in bytes (a power of two).
    pub line_bytes: u64,
    /// Latency of a tag lookup and hit, in cycles of the cache's clock.
    pub hit_latency_cycles: u64,
    /// Number of independently accessed banks (a power of two; 1 = no bank conflicts). Default 1.
    #[serde(default = "one")]
    pub n_banks: u64,
    /// Replacement policy. Default `lru`.
    #[serde(default)]
    pub replacement: ReplacementKind,
    /// Write-hit policy. Default `write_back`.
    #[serde(default)]
    pub write_policy: WritePolicy,
    /// Whether a write miss fetches the line. Default true.
    #[serde(default = "yes")]
    pub write_allocate: bool,
    /// What writebacks from above do here. Default `update`.
    #[serde(default)]
    pub writeback_handling: WritebackHandling,
    /// Miss status holding registers: distinct lines in flight. Default 8.
    #[serde(default = "default_mshrs")]
    pub n_mshrs: u64,
    /// Requests one MSHR can merge (the first miss included). Default 8.
    #[serde(default = "default_mshrs")]
    pub mshr_targets: u64,
    /// Prefetcher. Default none.
    #[serde(default)]
    pub prefetcher: PrefetchKind,
    /// Lines a prefetcher fetches per trigger. Default 1.
    #[serde(default = "one")]
    pub prefetch_degree: u64,
}

fn one() -> u64 {
    1
}
fn yes() -> bool {
    true
}
fn default_mshrs() -> u64 {
    8
}

/// Largest number of merged targets per MSHR (kept fixed so MSHRs never allocate).
pub const MAX_MSHR_TARGETS: u64 = 32;

/// A checked geometry: derived sizes and shifts the hot path uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheGeometry {
    /// Number of sets (size / (ways x line)).
    pub n_sets: u64,
    /// Ways per set.
    pub n_ways: u64,
    /// log2(line size).
    pub line_shift: u32,
    /// Number of banks.
    pub n_banks: u64,
}

impl CacheConfig {
    /// Checks the values, naming the key (`{prefix}.n_ways`) and the fix on error.
    pub fn resolve(&self, prefix: &str) -> Result<CacheGeometry, Invalid> {
        let key = |k: &str| format!("{prefix}.{k}");
        require_in(&key("n_ways"), self.n_ways, 1, 1 << 16, "ways of one set")?;
        require_pow2(&key("line_bytes"), self.line_bytes)?;
        require_at_least(&key("line_bytes"), self.line_bytes, 4)?;
        require_in(
            &key("size_bytes"),
            self.size_bytes,
            1,
            1 << 30,
            "up to 1 GiB: the model keeps a tag per line",
        )?;
        if self.line_bytes > self.size_bytes {
            return Err(Invalid::new(
                key("line_bytes"),
                self.line_bytes,
                format!(
                    "is larger than size_bytes = {}; a line must fit in the cache",
                    self.size_bytes
                ),
            ));
        }
        let set_bytes = self.n_ways * self.line_bytes;
        if !self.size_bytes.is_multiple_of(set_bytes) {
            return Err(Invalid::new(
                key("size_bytes"),
                self.size_bytes,
                format!("must be a multiple of n_ways x line_bytes = {set_bytes}"),
            ));
        }
        let n_sets = self.size_bytes / set_bytes;
        if !n_sets.is_power_of_two() {
            return Err(Invalid::new(
                key("size_bytes"),
                self.size_bytes,
                format!("gives {n_sets} sets; the number of sets must be a power of two"),
            ));
        }
        require_pow2(&key("n_banks"), self.n_banks)?;
        if self.n_banks > n_sets {
            return Err(Invalid::new(
                key("n_banks"),
                self.n_banks,
                format!("must be at most the number of sets ({n_sets})"),
            ));
        }
        require_in(
            &key("hit_latency_cycles"),
            self.hit_latency_cycles,
            1,
            MAX_LATENCY_CYCLES,
            "cycles",
        )?;
        require_in(
            &key("n_mshrs"),
            self.n_mshrs,
            1,
            1 << 16,
            "misses in flight",
        )?;
        if !(1..=MAX_MSHR_TARGETS).contains(&self.mshr_targets) {
            return Err(Invalid::new(
                key("mshr_targets"),
                self.mshr_targets,
                format!("must be in 1..={MAX_MSHR_TARGETS}"),
            ));
        }
        if self.replacement == ReplacementKind::TreePlru
            && !(self.n_ways.is_power_of_two() && self.n_ways <= 64)
        {
            return Err(Invalid::new(
                key("n_ways"),
                self.n_ways,
                "tree_plru needs a power-of-two number of ways up to 64",
            ));
        }
        if self.prefetcher != PrefetchKind::None {
            require_in(
                &key("prefetch_degree"),
                self.prefetch_degree,
                1,
                256,
                "lines fetched ahead",
            )?;
        }
        Ok(CacheGeometry {
            n_sets,
            n_ways: self.n_ways,
            line_shift: self.line_bytes.trailing_zeros(),
            n_banks: self.n_banks,
        })
    }
}
