//! SRRIP-HP (Jaleel et al., "High Performance Cache Replacement Using Re-Reference Interval
//! Prediction", ISCA 2010): 2-bit RRPV per line, insert at 2, promote to 0 on a hit, evict a 3.

const MAX_RRPV: u8 = 3;

/// SRRIP state: one RRPV per line.
pub struct Srrip {
    rrpv: Vec<u8>,
    n_ways: usize,
}

impl Srrip {
    /// State for `n_sets` x `n_ways`.
    pub fn new(n_sets: usize, n_ways: usize) -> Srrip {
        Srrip {
            rrpv: vec![MAX_RRPV; n_sets * n_ways],
            n_ways,
        }
    }
    /// A hit: predicted near re-reference.
    #[inline]
    pub fn touch(&mut self, set: usize, way: usize) {
        self.rrpv[set * self.n_ways + way] = 0;
    }
    /// An insertion: predicted long re-reference.
    #[inline]
    pub fn insert(&mut self, set: usize, way: usize) {
        self.rrpv[set * self.n_ways + way] = MAX_RRPV - 1;
    }
    /// The first way with the distant RRPV, ageing the set until one exists.
    #[inline]
    pub fn victim(&mut self, set: usize) -> usize {
        let s = &mut self.rrpv[set * self.n_ways..(set + 1) * self.n_ways];
        loop {
            if let Some(w) = s.iter().position(|&r| r == MAX_RRPV) {
                return w;
            }
            for r in s.iter_mut() {
                *r += 1;
            }
        }
    }
}
