//! The tag array: which lines a cache holds, their dirty and prefetched bits, and replacement state.
//! No timing here; [`super::Cache`] adds it.

use super::config::CacheGeometry;
use super::replacement::{Replacement, ReplacementKind};

const INVALID: u64 = u64::MAX;

/// A line pushed out by a fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evicted {
    /// Line address (byte address >> line shift).
    pub line: u64,
    /// Whether it held data newer than the level below.
    pub dirty: bool,
    /// Whether it was brought in by a prefetch and never used.
    pub unused_prefetch: bool,
}

/// Tags of a set-associative cache.
pub struct TagArray {
    geo: CacheGeometry,
    tags: Vec<u64>,
    dirty: Vec<bool>,
    prefetched: Vec<bool>,
    repl: Replacement,
    set_mask: u64,
}

impl TagArray {
    /// An empty array.
    pub fn new(geo: CacheGeometry, kind: ReplacementKind, seed: u64) -> TagArray {
        let n = (geo.n_sets * geo.n_ways) as usize;
        TagArray {
            geo,
            tags: vec![INVALID; n],
            dirty: vec![false; n],
            prefetched: vec![false; n],
            repl: Replacement::new(kind, geo.n_sets as usize, geo.n_ways as usize, seed),
            set_mask: geo.n_sets - 1,
        }
    }

    /// The set a line maps to.
    #[inline]
    pub fn set_of(&self, line: u64) -> usize {
        (line & self.set_mask) as usize
    }

    #[inline]
    fn find(&self, line: u64) -> Option<usize> {
        let set = self.set_of(line);
        let w = self.geo.n_ways as usize;
        let base = set * w;
        self.tags[base..base + w]
            .iter()
            .position(|&t| t == line)
            .map(|way| base + way)
    }

    /// Whether `line` is present, without changing any state.
    #[inline]
    pub fn contains(&self, line: u64) -> bool {
        self.find(line).is_some()
    }

    /// Looks `line` up. On a hit, updates replacement state if `touch`, sets the dirty bit if
    /// `make_dirty`, and returns whether the line had been prefetched and not used until now.
    #[inline]
    pub fn access(&mut self, line: u64, touch: bool, make_dirty: bool) -> Option<bool> {
        let idx = self.find(line)?;
        if touch {
            // The set and way without dividing by the (run-time) way count.
            let set = self.set_of(line);
            self.repl.touch(set, idx - set * self.geo.n_ways as usize);
        }
        if make_dirty {
            self.dirty[idx] = true;
        }
        let first_use = std::mem::take(&mut self.prefetched[idx]);
        Some(first_use)
    }

    /// Places `line` (absent, checked by the caller), evicting a victim if its set is full.
    #[inline]
    pub fn fill(&mut self, line: u64, dirty: bool, prefetched: bool) -> Option<Evicted> {
        debug_assert!(!self.contains(line), "fill of a line already present");
        let set = self.set_of(line);
        let w = self.geo.n_ways as usize;
        let base = set * w;
        let (way, evicted) = match self.tags[base..base + w].iter().position(|&t| t == INVALID) {
            Some(way) => (way, None),
            None => {
                let way = self.repl.victim(set);
                let i = base + way;
                let ev = Evicted {
                    line: self.tags[i],
                    dirty: self.dirty[i],
                    unused_prefetch: self.prefetched[i],
                };
                (way, Some(ev))
            }
        };
        let i = base + way;
        self.tags[i] = line;
        self.dirty[i] = dirty;
        self.prefetched[i] = prefetched;
        self.repl.insert(set, way);
        evicted
    }

    /// Number of valid lines (for invariant checks; not on the hot path).
    pub fn n_valid(&self) -> usize {
        self.tags.iter().filter(|&&t| t != INVALID).count()
    }

    /// Capacity in lines.
    pub fn capacity_lines(&self) -> usize {
        self.tags.len()
    }
}
