//! A banked scratchpad with an atomic unit.
//!
//! Models: capacity; word-interleaved banks, each accepting one access per cycle (a second access to
//! a busy bank waits: a bank conflict); a number of ports, each starting one request per cycle; a
//! fixed access latency; and an atomic unit (fetch-add, CAS, ...) with its own latency and a bounded
//! number of atomics in flight. Atomics to the same address serialise: one cannot start its read
//! until the previous one's write-back is done. Atomics hold their bank for `atomic_bank_cycles`
//! (the read and the write-back).
//!
//! Does not model: data values (programs keep the functional state), ECC, refresh-free SRAM power
//! states, or queueing limits at the ports (requests wait for as long as it takes, in arrival order).
//!
//! Timing is computed on arrival: a request's start time follows from the port, bank and atomic-unit
//! reservations, and its response is sent with the resulting delay, so the scratchpad schedules no
//! events of its own. Ports: the group `up`; answers go back on the port a request came in on.

mod config;
#[cfg(test)]
mod tests;

use std::any::Any;

pub use config::{SpadConfig, SpadGeometry};

use crate::engine::{AccessKind, Clock, Component, Ctx, Msg, PortGroup, PortId, Tick};

crate::stats_struct! {
    /// Counters of one scratchpad.
    pub struct SpadStats {
        reads: Count = "Read requests",
        writes: Count = "Write requests (writebacks included)",
        atomics: Count = "Atomic read-modify-write requests",
        bytes_read: Bytes = "Bytes read",
        bytes_written: Bytes = "Bytes written (atomics count their write-back)",
        bank_conflict_cycles: Cycles = "Cycles requests waited for a busy bank",
        port_wait_cycles: Cycles = "Cycles requests waited for a free port slot",
        atomic_serialized_cycles: Cycles = "Cycles atomics waited for an earlier atomic to the same address",
        atomic_unit_full_cycles: Cycles = "Cycles atomics waited because the atomic unit was full",
        out_of_range: Count = "Requests outside the scratchpad's capacity (answered, flagged here)",
    }
}

/// One entry of the atomic unit: the address its last atomic worked on and when it completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AtomicSlot {
    addr: u64,
    /// Cycle its atomic completes.
    done: u64,
    /// The slot's number (ties between slots that free at the same cycle go to the lowest).
    idx: u32,
}

/// The atomic unit's slots, kept sorted by `(done, idx)` in a ring: the slot that frees first is at
/// `head`, and the slots still busy at a given cycle are a run at the ring's end, so an atomic looks
/// only at those instead of every slot (on SMASH V1 over bcsstk13, about 10 of the default 16).
/// Most atomics have no same-address atomic in any slot: a count of the slots' addresses per
/// [`filter_bucket`] tells so without looking at the slots.
struct AtomicUnit {
    ring: Vec<AtomicSlot>,
    head: usize,
    /// How many slots (busy or not) hold an address of each bucket.
    filter: [u32; FILTER_BUCKETS],
}

const FILTER_BUCKETS: usize = 64;

/// The filter bucket of an address (its 8-byte word, folded).
#[inline]
fn filter_bucket(addr: u64) -> usize {
    (((addr >> 3) ^ (addr >> 9)) as usize) & (FILTER_BUCKETS - 1)
}

impl AtomicUnit {
    fn new(n: usize) -> AtomicUnit {
        let mut filter = [0; FILTER_BUCKETS];
        filter[filter_bucket(0)] = n as u32;
        AtomicUnit {
            ring: (0..n as u32)
                .map(|idx| AtomicSlot {
                    addr: 0,
                    done: 0,
                    idx,
                })
                .collect(),
            head: 0,
            filter,
        }
    }

    /// The ring position `k` places after the head.
    #[inline]
    fn at(&self, k: usize) -> usize {
        let i = self.head + k;
        if i >= self.ring.len() {
            i - self.ring.len()
        } else {
            i
        }
    }

    /// The last completion, after cycle `at`, of an atomic to `addr` (0 if none is in flight then),
    /// and the cycle the first slot frees.
    #[inline]
    fn lookup(&self, addr: u64, at: u64) -> (u64, u64) {
        let first_free = self.ring[self.head].done;
        if self.filter[filter_bucket(addr)] == 0 {
            return (0, first_free);
        }
        for k in (0..self.ring.len()).rev() {
            let s = &self.ring[self.at(k)];
            if s.done <= at {
                // Sorted: every slot before this one is free by `at` too.
                break;
            }
            if s.addr == addr {
                // Sorted: the first match from the end completes last.
                return (s.done, first_free);
            }
        }
        (0, first_free)
    }

    /// Gives the slot that frees first (the lowest-numbered among equals) to an atomic to `addr`
    /// completing at `done`, and keeps the ring sorted.
    #[inline]
    fn take(&mut self, addr: u64, done: u64) {
        let n = self.ring.len();
        let idx = self.ring[self.head].idx;
        self.filter[filter_bucket(self.ring[self.head].addr)] -= 1;
        self.filter[filter_bucket(addr)] += 1;
        let new = AtomicSlot { addr, done, idx };
        // The freed position becomes the ring's last; move the new entry back to its place.
        self.head = self.at(1);
        let mut k = n - 1;
        while k > 0 {
            let prev = self.ring[self.at(k - 1)];
            if (prev.done, prev.idx) <= (done, idx) {
                break;
            }
            let here = self.at(k);
            self.ring[here] = prev;
            k -= 1;
        }
        let here = self.at(k);
        self.ring[here] = new;
    }
}

/// The scratchpad component.
pub struct Scratchpad {
    name: String,
    ports: [PortGroup; 1],
    geo: SpadGeometry,
    clock: Clock,
    /// The cycle each bank is free from.
    bank_free: Vec<u64>,
    /// Start cycle of the most recent request and how many started in it (port limit).
    port_cycle: u64,
    port_used: u64,
    atomics: AtomicUnit,
    stats: SpadStats,
    /// The waits of `stats`, in cycles.
    waits: Waits,
}

/// Waits summed in cycles: ports, banks, same-address atomics, a full atomic unit.
#[derive(Default, Clone, Copy)]
struct Waits {
    port: u64,
    bank: u64,
    atomic_serialized: u64,
    atomic_unit_full: u64,
}

impl Scratchpad {
    /// A scratchpad with `n_up` request ports.
    pub fn new(name: &str, geo: SpadGeometry, clock: Clock, n_up: usize) -> Scratchpad {
        assert!(
            (1..u16::MAX as usize).contains(&n_up),
            "a scratchpad has at least one request port"
        );
        Scratchpad {
            name: name.to_string(),
            ports: [PortGroup::many("up", n_up as u16)],
            bank_free: vec![0; geo.n_banks as usize],
            port_cycle: 0,
            port_used: 0,
            atomics: AtomicUnit::new(geo.n_atomic_slots as usize),
            clock,
            geo,
            stats: SpadStats::default(),
            waits: Waits::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> SpadStats {
        SpadStats {
            port_wait_cycles: self.waits.port,
            bank_conflict_cycles: self.waits.bank,
            atomic_serialized_cycles: self.waits.atomic_serialized,
            atomic_unit_full_cycles: self.waits.atomic_unit_full,
            ..self.stats
        }
    }

    /// The cycle a request arriving at cycle `arrival`'s edge may start, given the port limit.
    fn port_slot(&mut self, arrival: u64) -> u64 {
        let mut cycle = arrival.max(self.port_cycle);
        if cycle == self.port_cycle && self.port_used >= self.geo.n_ports {
            cycle += 1;
        }
        if cycle != self.port_cycle {
            self.port_cycle = cycle;
            self.port_used = 0;
        }
        self.port_used += 1;
        self.waits.port += cycle - arrival;
        cycle
    }

    /// Reserves the bank of `addr` for `n` cycles from no earlier than cycle `at`; returns the
    /// start cycle.
    fn bank_slot(&mut self, addr: u64, at: u64, n: u64) -> u64 {
        let width = self.geo.bank_width_bytes;
        let word = if width.is_power_of_two() {
            addr >> width.trailing_zeros()
        } else {
            addr / width
        };
        let bank = (word & (self.geo.n_banks - 1)) as usize;
        let start = self.bank_free[bank].max(at);
        self.waits.bank += start - at;
        self.bank_free[bank] = start + n;
        start
    }

    /// Start cycle of an atomic to `addr` that is ready at cycle `at`: after the last atomic to the
    /// same address, and once a slot is free.
    fn atomic_start(&mut self, addr: u64, at: u64) -> u64 {
        let (same, free_at) = self.atomics.lookup(addr, at);
        let after_same = at.max(same);
        self.waits.atomic_serialized += after_same - at;
        let start = after_same.max(free_at);
        self.waits.atomic_unit_full += start - after_same;
        start
    }
}

impl Scratchpad {
    /// Times one access arriving at `now` and returns when its data (or its completion) is ready.
    /// Used by the component below and by cores that own a scratchpad and call it directly.
    pub fn access(&mut self, kind: AccessKind, addr: u64, size: u32, now: Tick) -> Tick {
        let arrival = self.clock.cycle_at_or_after(now).0;
        self.clock
            .ticks(self.access_cycle(kind, addr, size, arrival))
    }

    /// [`Scratchpad::access`] in cycles of the scratchpad's clock: an access arriving at the edge
    /// of cycle `cycle` (as a core on the same clock knows it) is ready at the returned cycle's
    /// edge. The scratchpad keeps all its times in cycles, so nothing here divides.
    pub fn access_cycle(&mut self, kind: AccessKind, addr: u64, size: u32, cycle: u64) -> u64 {
        if addr + size as u64 > self.geo.size_bytes {
            self.stats.out_of_range += 1;
        }
        let latency = self.geo.access_latency_cycles;
        let start = self.port_slot(cycle);
        match kind {
            AccessKind::Atomic => {
                self.stats.atomics += 1;
                self.stats.bytes_read += size as u64;
                self.stats.bytes_written += size as u64;
                let ready = self.atomic_start(addr, start);
                let begin = self.bank_slot(addr, ready, self.geo.atomic_bank_cycles);
                let done = begin + latency + self.geo.atomic_latency_cycles;
                self.atomics.take(addr, done);
                done
            }
            AccessKind::Write | AccessKind::Writeback => {
                self.stats.writes += 1;
                self.stats.bytes_written += size as u64;
                self.bank_slot(addr, start, 1) + latency
            }
            _ => {
                self.stats.reads += 1;
                self.stats.bytes_read += size as u64;
                self.bank_slot(addr, start, 1) + latency
            }
        }
    }
}

impl Component for Scratchpad {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[PortGroup] {
        &self.ports
    }
    fn handle(&mut self, port: PortId, msg: Msg, ctx: &mut Ctx) {
        let Msg::Req(req) = msg else {
            panic!("{} @ {} ps: unexpected {msg:?}", self.name, ctx.now().0);
        };
        let now = ctx.now();
        let done = self.access(req.kind, req.addr, req.size, now);
        if req.kind.wants_data() {
            ctx.send(port, Msg::Resp(req), Tick(done.0 - now.0));
        }
        ctx.progress();
    }
    fn collect_stats(&self, prefix: &str, out: &mut crate::stats::StatTree) {
        out.add(prefix, &self.stats());
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
