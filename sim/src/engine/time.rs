//! Typed time: a global [`Tick`] of one picosecond, per-domain [`Cycle`]s and the [`Clock`] that converts them.

use serde::Serialize;

/// Global simulated time in picoseconds. Every event carries one; it never goes backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Tick(pub u64);

/// A count of cycles of one clock domain. Only meaningful together with its [`Clock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Cycle(pub u64);

/// A clock domain: converts between its cycles and global ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    period_ps: u64,
}

impl Clock {
    /// A clock with the given period in picoseconds (at least 1).
    pub fn from_period_ps(period_ps: u64) -> Clock {
        assert!(period_ps > 0, "a clock period must be at least 1 ps");
        Clock { period_ps }
    }

    /// Whole cycles in a duration of `ticks` (rounded down).
    #[inline]
    pub fn whole_cycles(self, ticks: u64) -> u64 {
        ticks / self.period_ps
    }

    /// The first cycle whose edge is at or after `t`.
    #[inline]
    pub fn cycle_at_or_after(self, t: Tick) -> Cycle {
        Cycle(t.0.div_ceil(self.period_ps))
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
        Cycle(t.0 / self.period_ps)
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

    #[test]
    fn a_cycle_starts_at_its_edge_and_runs_until_the_next() {
        let c = Clock::from_period_ps(1000);
        assert_eq!(c.cycle_at_or_after(Tick(2000)), Cycle(2));
        assert_eq!(c.cycle_at_or_after(Tick(2001)), Cycle(3));
        assert_eq!(c.whole_cycles(2999), 2);
        assert_eq!(c.next_edge(Tick(2001)), Tick(3000));
    }
}
