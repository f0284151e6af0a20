//! Synthetic DRAM traffic, as DRAMsim3's built-in CPUs make it (`src/cpu.cc` of
//! umd-memsys/DRAMsim3), for DRAM-only runs and side-by-side comparisons:
//! - `random`: 64-byte requests at uniformly random line addresses below `footprint`, each a write
//!   with probability writes / (reads + writes) (DRAMsim3's `RandomCPU`: one in three);
//! - `stream`: DRAMsim3's `StreamCPU` (a stream add): three arrays of 2 MiB at random line
//!   addresses, read a, read b, write c, 64 bytes on each step, new arrays when they are done;
//!   the read:write mix is 2:1 by construction.
//!
//! Addresses come from a seeded PCG, so the same seed gives the same trace.

use rand_core::{RngCore, SeedableRng};

use super::{Op, OpClass};

/// A traffic pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Random lines.
    Random,
    /// DRAMsim3's stream add.
    Stream,
}

/// Bytes a request moves.
pub const REQUEST_BYTES: u32 = 64;
/// Bytes of each stream array (DRAMsim3's `array_size_ = 2 << 20`, compared with byte offsets).
pub const STREAM_ARRAY_BYTES: u64 = 2 << 20;

/// A generator of `requests` requests.
pub struct Traffic {
    pattern: Pattern,
    rng: rand_pcg::Pcg64,
    lines: u64,
    /// Writes among `reads + writes` requests (random).
    mix: (u64, u64),
    left: u64,
    /// Stream: the three arrays' bases, the offset, and which of the three comes next.
    bases: [u64; 3],
    offset: u64,
    next: usize,
}

impl Traffic {
    /// `requests` requests of `pattern` below `footprint` bytes (at least one stream array),
    /// `reads:writes` (random only), from `seed`.
    pub fn new(
        pattern: Pattern,
        requests: u64,
        footprint: u64,
        reads: u64,
        writes: u64,
        seed: u64,
    ) -> Result<Traffic, String> {
        if footprint < STREAM_ARRAY_BYTES || !footprint.is_multiple_of(REQUEST_BYTES as u64) {
            return Err(format!("footprint {footprint} bytes: give a multiple of 64 of at least {STREAM_ARRAY_BYTES} (2 MiB)"));
        }
        if reads + writes == 0 {
            return Err("reads:writes 0:0: give at least one read or write".into());
        }
        Ok(Traffic {
            pattern,
            rng: rand_pcg::Pcg64::seed_from_u64(seed),
            lines: footprint / REQUEST_BYTES as u64,
            mix: (writes, reads + writes),
            left: requests,
            bases: [0; 3],
            offset: STREAM_ARRAY_BYTES,
            next: 0,
        })
    }

    fn line(&mut self, below: u64) -> u64 {
        self.rng.next_u64() % below * REQUEST_BYTES as u64
    }
}

impl Iterator for Traffic {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let (class, addr) = match self.pattern {
            Pattern::Random => {
                let addr = self.line(self.lines);
                let write = self.rng.next_u64() % self.mix.1 < self.mix.0;
                (if write { OpClass::Store } else { OpClass::Load }, addr)
            }
            Pattern::Stream => {
                if self.next == 0 && self.offset >= STREAM_ARRAY_BYTES {
                    let arrays = self.lines - STREAM_ARRAY_BYTES / REQUEST_BYTES as u64;
                    for b in 0..3 {
                        self.bases[b] = self.line(arrays + 1);
                    }
                    self.offset = 0;
                }
                let i = self.next;
                let addr = self.bases[i] + self.offset;
                self.next = (i + 1) % 3;
                if self.next == 0 {
                    self.offset += REQUEST_BYTES as u64;
                }
                (
                    if i == 2 {
                        OpClass::Store
                    } else {
                        OpClass::Load
                    },
                    addr,
                )
            }
        };
        Some(Op {
            class,
            addr,
            size: REQUEST_BYTES,
            dst: 0,
            src: [0, 0],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_traffic_has_its_mix_and_stays_below_the_footprint() {
        let t = Traffic::new(Pattern::Random, 30_000, 1 << 30, 2, 1, 7).unwrap();
        let ops: Vec<Op> = t.collect();
        assert_eq!(ops.len(), 30_000);
        let writes = ops.iter().filter(|o| o.class == OpClass::Store).count();
        assert!(
            (9_500..10_500).contains(&writes),
            "{writes} writes of 30000"
        );
        assert!(ops.iter().all(|o| o.addr < 1 << 30 && o.addr % 64 == 0));
    }

    #[test]
    fn stream_traffic_reads_two_arrays_and_writes_a_third_line_by_line() {
        let ops: Vec<Op> = Traffic::new(Pattern::Stream, 3 * 32768 + 3, 1 << 30, 2, 1, 7)
            .unwrap()
            .collect();
        let (a, b, c) = (ops[0].addr, ops[1].addr, ops[2].addr);
        assert_eq!(
            [ops[0].class, ops[1].class, ops[2].class],
            [OpClass::Load, OpClass::Load, OpClass::Store]
        );
        assert_eq!(
            (ops[3].addr, ops[4].addr, ops[5].addr),
            (a + 64, b + 64, c + 64)
        );
        // 2 MiB arrays: 32768 lines each, then three new arrays.
        assert_eq!(ops[3 * 32767].addr, a + 64 * 32767);
        assert_ne!(ops[3 * 32768].addr, a + 64 * 32768);
        assert!(ops.iter().all(|o| o.addr + 64 <= 1 << 30));
    }

    /// scripts/dramsim3/compare.sh relies on it: DRAMsim3 runs a longer trace and sparsim the
    /// requests it completed, made again with the same seed.
    #[test]
    fn a_shorter_run_with_the_same_seed_is_a_prefix_of_a_longer_one() {
        for pattern in [Pattern::Random, Pattern::Stream] {
            let long: Vec<(u64, bool)> = Traffic::new(pattern, 100_000, 1 << 33, 2, 1, 3)
                .unwrap()
                .map(|o| (o.addr, o.class == OpClass::Store))
                .collect();
            let short: Vec<(u64, bool)> = Traffic::new(pattern, 70_001, 1 << 33, 2, 1, 3)
                .unwrap()
                .map(|o| (o.addr, o.class == OpClass::Store))
                .collect();
            assert_eq!(short[..], long[..70_001], "{pattern:?}");
        }
    }
}
