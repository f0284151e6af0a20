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

    /// A clock at `freq_mhz`, its period rounded to the nearest picosecond.
    pub fn from_mhz(freq_mhz: f64) -> Clock {
        assert!(
            freq_mhz > 0.0 && freq_mhz.is_finite(),
            "clock frequency must be positive"
        );
        Clock::from_period_ps(((1.0e6 / freq_mhz).round() as u64).max(1))
    }

    /// The period in picoseconds.
    pub fn period_ps(self) -> u64 {
        self.period_ps
    }

    /// The frequency in MHz implied by the (rounded) period.
    pub fn freq_mhz(self) -> f64 {
        1.0e6 / self.period_ps as f64
    }

    /// The duration of `n` cycles in ticks.
    pub fn ticks(self, n: u64) -> Tick {
        Tick(n * self.period_ps)
    }

    /// The cycle that contains `t` (rounded down).
    pub fn cycle_at(self, t: Tick) -> Cycle {
        Cycle(t.0 / self.period_ps)
    }

    /// The first clock edge at or after `t`.
    pub fn next_edge(self, t: Tick) -> Tick {
        Tick(t.0.div_ceil(self.period_ps) * self.period_ps)
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
}
