//! Random replacement from a seeded PCG generator, so runs stay reproducible.

use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg32;

/// Random-victim state.
pub struct Random {
    rng: Pcg32,
    n_ways: u32,
}

impl Random {
    /// A generator seeded with `seed`.
    pub fn new(n_ways: usize, seed: u64) -> Random {
        Random {
            rng: Pcg32::seed_from_u64(seed),
            n_ways: n_ways as u32,
        }
    }
    /// A uniformly chosen way.
    #[inline]
    pub fn victim(&mut self) -> usize {
        // Lemire's multiply-shift: unbiased enough for replacement and free of division.
        ((self.rng.next_u32() as u64 * self.n_ways as u64) >> 32) as usize
    }
}
