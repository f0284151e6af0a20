//! The event queue: a binary heap of 16-byte keys `tick << 64 | seq << SLOT_BITS | slot` over a slab of
//! payloads. Keys are small so heap moves are cheap; `seq` is unique and increasing, so ties on a
//! tick pop in scheduling order, and the slot never affects the order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::msg::Msg;

const SLOT_BITS: u32 = 24;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;

/// A delivery waiting in the queue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Payload {
    pub(crate) dst: u32,
    pub(crate) port: u16,
    pub(crate) msg: Msg,
}

/// Pending events, earliest `(tick, seq)` first.
#[derive(Clone)]
pub(crate) struct EventQueue {
    heap: BinaryHeap<Reverse<u128>>,
    slab: Vec<Payload>,
    free: Vec<u32>,
    seq: u64,
}

impl EventQueue {
    pub(crate) fn new() -> EventQueue {
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            slab: Vec::with_capacity(1024),
            free: Vec::with_capacity(1024),
            seq: 0,
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, tick: u64, payload: Payload) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = payload;
                s
            }
            None => {
                self.slab.push(payload);
                let s = self.slab.len() as u64 - 1;
                assert!(s <= SLOT_MASK, "more than 2^24 events pending at once");
                s as u32
            }
        };
        self.seq += 1;
        self.heap.push(Reverse(
            (tick as u128) << 64 | (self.seq << SLOT_BITS | slot as u64) as u128,
        ));
    }

    /// The tick of the earliest pending event.
    #[inline]
    pub(crate) fn peek_tick(&self) -> Option<u64> {
        self.heap.peek().map(|r| (r.0 >> 64) as u64)
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(u64, Payload)> {
        let Reverse(k) = self.heap.pop()?;
        let (tick, key) = ((k >> 64) as u64, k as u64);
        let slot = (key & SLOT_MASK) as u32;
        self.free.push(slot);
        Some((tick, self.slab[slot as usize]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn pops_in_tick_then_insertion_order_and_never_goes_back_in_time(ticks in proptest::collection::vec(0u64..50, 1..400)) {
            let mut q = EventQueue::new();
            let mut expected: Vec<(u64, u64)> = Vec::new();
            for (i, &t) in ticks.iter().enumerate() {
                q.push(t, Payload { dst: i as u32, port: 0, msg: Msg::Token(i as u64) });
                expected.push((t, i as u64));
                // Interleave pops so slots are reused.
                if i % 3 == 2 {
                    expected.sort();
                    let (t0, p) = q.pop().unwrap();
                    let e = expected.remove(0);
                    prop_assert_eq!((t0, p.dst as u64), e);
                }
            }
            expected.sort();
            for e in expected {
                let (t0, p) = q.pop().unwrap();
                prop_assert_eq!((t0, p.dst as u64), e);
            }
            prop_assert!(q.pop().is_none());
        }
    }
}
