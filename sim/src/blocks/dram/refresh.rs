//! Refresh: all-bank refreshes issued at their due times, including those that fell due while a
//! channel was idle.

use super::*;

impl Dram {
    /// Issues, at their due times, the refreshes that fell due while channel `ch` was idle.
    pub(super) fn catch_up_refresh(&mut self, ch: usize, now_cycle: u64) {
        if !self.spec.refresh {
            return;
        }
        loop {
            let due = self.channels[ch]
                .ranks
                .iter()
                .map(|r| r.next_ref_due)
                .min()
                .unwrap_or(u64::MAX);
            let at = due.max(self.channels[ch].next_cmd);
            if at >= now_cycle {
                return;
            }
            // With an empty queue a step only does refresh work; it returns when it can act next.
            let mut t = at;
            while t < now_cycle {
                match self.step(ch, t) {
                    Step::Issued(hint) => t = hint.max(t + 1),
                    Step::Idle(Some(next)) => t = next,
                    Step::Idle(None) => break,
                }
                if self.channels[ch].ranks.iter().all(|r| r.next_ref_due > t) {
                    break;
                }
            }
            if t >= now_cycle {
                return;
            }
        }
    }
}
