//! True LRU with per-line age stamps: the victim is the way with the oldest stamp.

/// LRU state: one stamp per line and a running clock.
pub struct Lru {
    stamps: Vec<u64>,
    n_ways: usize,
    clock: u64,
}

impl Lru {
    /// State for `n_sets` x `n_ways`.
    pub fn new(n_sets: usize, n_ways: usize) -> Lru {
        Lru {
            stamps: vec![0; n_sets * n_ways],
            n_ways,
            clock: 0,
        }
    }
    /// Makes `way` the most recently used.
    #[inline]
    pub fn touch(&mut self, set: usize, way: usize) {
        self.clock += 1;
        self.stamps[set * self.n_ways + way] = self.clock;
    }
    /// The least recently used way.
    #[inline]
    pub fn victim(&self, set: usize) -> usize {
        let s = &self.stamps[set * self.n_ways..(set + 1) * self.n_ways];
        let mut best = 0;
        for (w, &t) in s.iter().enumerate() {
            if t < s[best] {
                best = w;
            }
        }
        best
    }
}
