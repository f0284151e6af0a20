//! Tree pseudo-LRU: a binary tree of `ways - 1` bits per set; each bit points towards the colder half.

/// Tree-PLRU state, one `u64` of tree bits per set (up to 64 ways).
pub struct TreePlru {
    bits: Vec<u64>,
    levels: u32,
}

impl TreePlru {
    /// State for `n_sets` x `n_ways`; `n_ways` must be a power of two (checked by the cache config).
    pub fn new(n_sets: usize, n_ways: usize) -> TreePlru {
        assert!(
            n_ways.is_power_of_two() && n_ways <= 64,
            "tree-PLRU needs 1..=64 power-of-two ways"
        );
        TreePlru {
            bits: vec![0; n_sets],
            levels: n_ways.trailing_zeros(),
        }
    }
    /// Points every bit on the path to `way` away from it.
    #[inline]
    pub fn touch(&mut self, set: usize, way: usize) {
        let mut node = 1usize;
        for level in (0..self.levels).rev() {
            let right = (way >> level) & 1;
            // Bit = 1 means "the victim is in the right half"; after a touch on the right, point left.
            if right == 1 {
                self.bits[set] &= !(1 << node);
            } else {
                self.bits[set] |= 1 << node;
            }
            node = node * 2 + right;
        }
    }
    /// Follows the bits to the pseudo-least-recently-used way.
    #[inline]
    pub fn victim(&self, set: usize) -> usize {
        let mut node = 1usize;
        let mut way = 0usize;
        for _ in 0..self.levels {
            let right = ((self.bits[set] >> node) & 1) as usize;
            way = way * 2 + right;
            node = node * 2 + right;
        }
        way
    }
}
