//! A data memory for one-pass cores: levels of cache (tag arrays of the `cache` block, LRU; the
//! mobile cores' private L1D and L2 and shared L3) over a [`LineMemory`] that times line fills and
//! writebacks (the calibrated transfer model or the `dram` block itself).
//!
//! A load that misses in L1 takes one of the level's miss-status registers (MSHRs): it cannot
//! start before the miss `mshrs` misses earlier has been filled, which bounds the memory-level
//! parallelism. A second access to a line being filled waits for that fill. Stores allocate (the
//! line is fetched) but do not hold the pipeline; dirty lines evicted from the last level are
//! written back, taking DRAM time. Latencies are load-to-use cycles of a hit at each level; the
//! core's load latency already covers an L1 hit.

use crate::blocks::cache::replacement::ReplacementKind;
use crate::blocks::cache::CacheGeometry;
use crate::blocks::cache::TagArray;
use crate::blocks::memory::{Access, DataMemory, LineMemory};
use crate::host::hash::FastMap;
use crate::stats::StatTree;

crate::stats_struct! {
    /// Counters of one cache level.
    pub struct LevelStats {
        accesses: Count = "Line accesses that reached this level",
        hits: Count = "Accesses that hit",
        misses: Count = "Accesses that missed",
        mshr_waits: Cycles = "Cycles misses waited for a free miss-status register (summed)",
        writebacks: Count = "Dirty lines evicted to the level below",
    }
}

crate::stats_struct! {
    /// Counters of the DRAM side.
    pub struct DramSideStats {
        lines_read: Count = "Lines filled from DRAM",
        lines_written: Count = "Dirty lines written back to DRAM",
        bytes_read: Bytes = "Bytes read from DRAM",
        bytes_written: Bytes = "Bytes written to DRAM",
        queue_cycles: Cycles = "Cycles fills waited for the DRAM to finish earlier transfers (summed)",
    }
}

/// One level.
pub struct Level {
    /// Its name (`l1d`, `l2`, `l3`).
    pub name: String,
    tags: TagArray,
    latency: u64,
    ring: Vec<u64>,
    pos: usize,
    /// Its counters.
    pub stats: LevelStats,
}

/// A level's parameters.
#[derive(Debug, Clone)]
pub struct LevelSpec {
    /// Name.
    pub name: String,
    /// Geometry.
    pub geo: CacheGeometry,
    /// Load-to-use cycles of a hit.
    pub latency: u64,
    /// Misses in flight from this level.
    pub mshrs: u64,
}

/// The hierarchy.
pub struct Hierarchy {
    /// The levels, L1 first.
    pub levels: Vec<Level>,
    line_shift: u32,
    main: Box<dyn LineMemory>,
    /// Lines in flight and when their data arrives (a later access to one waits for it).
    pending: FastMap<u64, u64>,
    last_level: usize,
    /// DRAM-side counters.
    pub dram: DramSideStats,
}

impl Hierarchy {
    /// Levels `specs` (L1 first; all with the same line size) over the main memory `main`.
    pub fn new(specs: &[LevelSpec], main: Box<dyn LineMemory>) -> Hierarchy {
        Hierarchy {
            line_shift: specs[0].geo.line_shift,
            levels: specs
                .iter()
                .enumerate()
                .map(|(i, s)| Level {
                    name: s.name.clone(),
                    tags: TagArray::new(s.geo, ReplacementKind::Lru, i as u64 + 1),
                    latency: s.latency,
                    ring: vec![0; s.mshrs as usize],
                    pos: 0,
                    stats: LevelStats::default(),
                })
                .collect(),
            main,
            pending: FastMap::default(),
            last_level: 0,
            dram: DramSideStats::default(),
        }
    }

    fn line_bytes(&self) -> u64 {
        1 << self.line_shift
    }

    /// Writes back a dirty line evicted from level `from` into the level below (or DRAM).
    fn write_back(&mut self, line: u64, from: usize, at: u64) {
        self.levels[from].stats.writebacks += 1;
        if from + 1 < self.levels.len() {
            let below = &mut self.levels[from + 1];
            if below.tags.access(line, false, true).is_none() {
                if let Some(e) = below.tags.fill(line, true, false) {
                    if e.dirty {
                        self.write_back(e.line, from + 1, at);
                    }
                }
            }
        } else {
            self.main
                .write_line(line << self.line_shift, self.line_bytes(), at);
            self.dram.lines_written += 1;
            self.dram.bytes_written += self.line_bytes();
        }
    }

    /// One line's access at cycle `at`; returns when its data is ready and which level served
    /// it (the number of levels for DRAM).
    fn line(&mut self, line: u64, store: bool, at: u64) -> (u64, usize) {
        if let Some(&ready) = self.pending.get(&line) {
            if ready > at {
                let l1 = &mut self.levels[0];
                l1.stats.accesses += 1;
                l1.stats.hits += 1;
                if store {
                    l1.tags.access(line, false, true);
                }
                return (ready, 0);
            }
        }
        let l1_latency = self.levels[0].latency;
        // Find the first level that holds it.
        let mut hit_at = None;
        for (i, lvl) in self.levels.iter_mut().enumerate() {
            lvl.stats.accesses += 1;
            if lvl.tags.access(line, true, store && i == 0).is_some() {
                lvl.stats.hits += 1;
                hit_at = Some(i);
                break;
            }
            lvl.stats.misses += 1;
        }
        if hit_at == Some(0) {
            return (at, 0);
        }
        // A miss in L1: wait for a miss-status register.
        let l1 = &mut self.levels[0];
        let slot = l1.pos % l1.ring.len();
        let start = at.max(l1.ring[slot]);
        l1.stats.mshr_waits += start - at;
        let ready = match hit_at {
            Some(i) => start + self.levels[i].latency - l1_latency,
            None => {
                let last = self.levels.len() - 1;
                let asked = start + self.levels[last].latency - l1_latency;
                let (ready, queued) =
                    self.main
                        .read_line(line << self.line_shift, self.line_bytes(), asked);
                self.dram.queue_cycles += queued;
                self.dram.lines_read += 1;
                self.dram.bytes_read += self.line_bytes();
                ready
            }
        };
        let l1 = &mut self.levels[0];
        l1.ring[slot] = ready;
        l1.pos += 1;
        // Fill the levels above the one that had it, L1 dirty for a store.
        let upto = hit_at.unwrap_or(self.levels.len());
        for i in (0..upto).rev() {
            if let Some(e) = self.levels[i].tags.fill(line, store && i == 0, false) {
                if e.dirty {
                    self.write_back(e.line, i, ready);
                }
            }
        }
        if self.pending.len() > 4096 {
            self.pending.retain(|_, r| *r > at);
        }
        self.pending.insert(line, ready);
        (ready, hit_at.unwrap_or(self.levels.len()))
    }

    /// Lets the main memory complete every access asked so far (see [`LineMemory::drain`]).
    pub fn drain(&mut self) {
        self.main.drain();
    }

    /// Engine events of the main memory's run (0 for the fast backend).
    pub fn n_events(&self) -> u64 {
        self.main.n_events()
    }

    /// Adds the main memory's own statistics under `prefix` (see [`LineMemory::collect_stats`]).
    pub fn collect_main_stats(&self, prefix: &str, out: &mut StatTree) {
        self.main.collect_stats(prefix, out);
    }

    /// Names of what [`DataMemory::last_level`] counts: the levels, then `dram`.
    pub fn level_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.levels.iter().map(|l| l.name.clone()).collect();
        v.push("dram".into());
        v
    }
}

impl DataMemory for Hierarchy {
    fn access(&mut self, addr: u64, size: u32, kind: Access, at: u64) -> u64 {
        let first = addr >> self.line_shift;
        let last = (addr + size.max(1) as u64 - 1) >> self.line_shift;
        let mut ready = at;
        let mut level = 0;
        for line in first..=last {
            let (r, l) = self.line(line, kind == Access::Store, at);
            if r >= ready {
                ready = r;
                level = level.max(l);
            }
        }
        self.last_level = level;
        match kind {
            // A store retires into the store buffer; a prefetch is not waited for.
            Access::Store | Access::Prefetch => at,
            Access::Load => ready,
        }
    }

    fn last_level(&self) -> usize {
        self.last_level
    }
}
