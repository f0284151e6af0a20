//! Typed time: a global [`Tick`] of one picosecond, per-domain [`Cycle`]s and the [`Clock`] that converts them.

use serde::Serialize;

/// Global simulated time in picoseconds. Every event carries one; it never goes backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Tick(pub u64);

/// A count of cycles of one clock domain. Only meaningful together with its [`Clock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Cycle(pub u64);

/// A clock domain: converts between its cycles and global ticks.
///
/// Conversions from ticks to cycles run on every simulated access, so they divide by the period
/// with a multiplication by its precomputed reciprocal (exact for every 64-bit tick: Lemire, Kaser
/// and Kurz, "Faster remainder by direct computation", 2019) instead of a hardware division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    period_ps: u64,
    /// ceil(2^128 / period_ps), or 0 for a 1 ps period (whose quotient is the tick itself).
    reciprocal: u128,
}

impl Clock {
    /// A clock with the given period in picoseconds (at least 1).
    pub fn from_period_ps(period_ps: u64) -> Clock {
        assert!(period_ps > 0, "a clock period must be at least 1 ps");
        let reciprocal = match period_ps {
            1 => 0,
            p => u128::MAX / p as u128 + 1,
        };
        Clock {
            period_ps,
            reciprocal,
        }
    }

    /// `ticks / period_ps`, rounded down.
    #[inline]
    fn div(self, ticks: u64) -> u64 {
        if self.reciprocal == 0 {
            return ticks;
        }
        // The top 64 bits of the 192-bit product reciprocal * ticks.
        let low = (self.reciprocal as u64 as u128) * ticks as u128;
        let high = (self.reciprocal >> 64) * ticks as u128;
        ((high + (low >> 64)) >> 64) as u64
    }

    /// Whole cycles in a duration of `ticks` (rounded down).
    #[inline]
    pub fn whole_cycles(self, ticks: u64) -> u64 {
        self.div(ticks)
    }

    /// The first cycle whose edge is at or after `t`.
    #[inline]
    pub fn cycle_at_or_after(self, t: Tick) -> Cycle {
        let q = self.div(t.0);
        Cycle(if q * self.period_ps < t.0 { q + 1 } else { q })
    }

    /// A clock at `freq_mhz`, its period rounded to the nearest picosecond.
    pub fn from_mhz(freq_mhz: f64) -> Clock {
        assert!(
            freq_mhz > 0.0 && freq_mhz.is_finite(),
            "clock frequency must be positive"
        );
        Clock::from_period_ps(((1.0e6 / freq_mhz).round() as u64).max(1))
    }

    /// The period in picoseconds.
    #[inline]
    pub fn period_ps(self) -> u64 {
        self.period_ps
    }

    /// The frequency in MHz implied by the (rounded) period.
    pub fn freq_mhz(self) -> f64 {
        1.0e6 / self.period_ps as f64
    }

    /// The duration of `n` cycles in ticks.
    #[inline]
    pub fn ticks(self, n: u64) -> Tick {
        Tick(n * self.period_ps)
    }

    /// The cycle that contains `t` (rounded down).
    #[inline]
    pub fn cycle_at(self, t: Tick) -> Cycle {
        Cycle(self.div(t.0))
    }

    /// The first clock edge at or after `t`.
    #[inline]
    pub fn next_edge(self, t: Tick) -> Tick {
        Tick(self.cycle_at_or_after(t).0 * self.period_ps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_converts_cycles_and_ticks_both_ways() {
        let core = Clock::from_mhz(2000.0);
        assert_eq!(core.period_ps(), 500);
        assert_eq!(core.ticks(3), Tick(1500));
        assert_eq!(core.cycle_at(Tick(1499)), Cycle(2));
        assert_eq!(core.next_edge(Tick(1001)), Tick(1500));
        assert_eq!(core.next_edge(Tick(1000)), Tick(1000));
        let fpga = Clock::from_mhz(200.0);
        assert_eq!(fpga.period_ps(), 5000);
        assert_eq!(fpga.cycle_at(core.ticks(10)), Cycle(1));
    }

    proptest::proptest! {
        #[test]
        fn conversions_equal_integer_division(
            period in 1u64..=u64::MAX,
            small_period in 1u64..100_000,
            t in 0u64..=u64::MAX,
        ) {
            for p in [period, small_period] {
                let c = Clock::from_period_ps(p);
                proptest::prop_assert_eq!(c.cycle_at(Tick(t)).0, t / p);
                proptest::prop_assert_eq!(c.whole_cycles(t), t / p);
                proptest::prop_assert_eq!(c.cycle_at_or_after(Tick(t)).0, t.div_ceil(p));
            }
        }
    }

    #[test]
    fn conversions_are_exact_at_the_edges() {
        for p in [1, 2, 3, 7, 400, 454, 1000, 1 << 40, u64::MAX - 1, u64::MAX] {
            let c = Clock::from_period_ps(p);
            for t in [0, 1, p - 1, p, p.saturating_add(1), u64::MAX - 1, u64::MAX] {
                assert_eq!(c.cycle_at(Tick(t)).0, t / p, "{t} / {p}");
                assert_eq!(c.cycle_at_or_after(Tick(t)).0, t.div_ceil(p), "{t} / {p}");
            }
        }
    }
}
