//! Scratchpad timing rules: latency, bank conflicts, port limits, same-address atomics serialise.

use super::*;
use crate::blocks::requester::{Request, Requester};
use crate::engine::{RunLimits, SimBuilder};

fn geo(n_ports: u64) -> SpadGeometry {
    SpadConfig {
        size_bytes: 1 << 20,
        n_banks: 8,
        bank_width_bytes: 8,
        n_ports,
        access_latency_cycles: 3,
        atomic_latency_cycles: 4,
        atomic_bank_cycles: 2,
        n_atomic_slots: 4,
    }
    .resolve("spad")
    .unwrap()
}

/// Response cycles (1 GHz clock, 1 ps links) in request order, and the stats.
fn run(g: SpadGeometry, reqs: Vec<(u64, AccessKind)>) -> (Vec<u64>, SpadStats) {
    let mut b = SimBuilder::new();
    let n = reqs.len();
    let reqs = reqs.into_iter().map(|(addr, kind)| Request {
        at_ps: 0,
        addr,
        size: 8,
        kind,
    });
    let d = b.add(Box::new(Requester::new("burst", "mem", reqs, u64::MAX)));
    let s = b.add(Box::new(Scratchpad::new(
        "spad",
        g,
        Clock::from_mhz(1000.0),
        1,
    )));
    b.connect(d, "mem", s, ("up", 0), Tick(1));
    let fin = b.build().unwrap().run(RunLimits::default()).unwrap();
    let mut done = fin.get::<Requester>(d).unwrap().answers.clone();
    assert_eq!(done.len(), n);
    done.sort();
    // Arrival at 1 ps starts at the next edge (cycle 1); subtract the return link's 1 ps.
    (
        done.iter().map(|&(_, t)| (t.0 - 1) / 1000).collect(),
        fin.get::<Scratchpad>(s).unwrap().stats(),
    )
}

#[test]
fn spad_read_costs_access_latency() {
    let (t, _) = run(geo(1), vec![(0, AccessKind::Read)]);
    assert_eq!(t, vec![1 + 3]);
}

#[test]
fn spad_bank_conflict_adds_one_cycle_per_earlier_access() {
    // Four reads to bank 0 (addresses 64 bytes apart with 8 banks x 8 bytes), 4 ports: conflicts.
    let (t, s) = run(geo(4), (0..4).map(|i| (i * 64, AccessKind::Read)).collect());
    assert_eq!(t, vec![4, 5, 6, 7]);
    assert_eq!(s.bank_conflict_cycles, 1 + 2 + 3);
    // Four reads to four banks: all in parallel.
    let (t, s) = run(geo(4), (0..4).map(|i| (i * 8, AccessKind::Read)).collect());
    assert_eq!(t, vec![4, 4, 4, 4]);
    assert_eq!(s.bank_conflict_cycles, 0);
}

#[test]
fn spad_port_limit_staggers_starts() {
    let (t, s) = run(geo(1), (0..4).map(|i| (i * 8, AccessKind::Read)).collect());
    assert_eq!(t, vec![4, 5, 6, 7]);
    assert_eq!(s.port_wait_cycles, 1 + 2 + 3);
}

#[test]
fn spad_same_address_atomics_serialise_and_different_ones_pipeline() {
    // Same address: each waits for the previous one's full latency (3 + 4 cycles).
    let (t, s) = run(geo(4), vec![(0, AccessKind::Atomic); 4]);
    assert_eq!(t, vec![8, 15, 22, 29]);
    assert!(s.atomic_serialized_cycles > 0);
    // Four addresses in four banks: they overlap.
    let (t, s) = run(
        geo(4),
        (0..4).map(|i| (i * 8, AccessKind::Atomic)).collect(),
    );
    assert_eq!(t, vec![8, 8, 8, 8]);
    assert_eq!(s.atomic_serialized_cycles, 0);
    // Eight addresses, four slots: the second four wait for slots.
    let (t, s) = run(
        geo(8),
        (0..8).map(|i| (i * 8, AccessKind::Atomic)).collect(),
    );
    assert_eq!(t, vec![8, 8, 8, 8, 15, 15, 15, 15]);
    assert!(s.atomic_unit_full_cycles > 0);
}

#[test]
fn spad_rejects_bad_geometry() {
    let mut c = SpadConfig {
        size_bytes: 1024,
        n_banks: 6,
        bank_width_bytes: 8,
        n_ports: 1,
        access_latency_cycles: 1,
        atomic_latency_cycles: 1,
        atomic_bank_cycles: 1,
        n_atomic_slots: 1,
    };
    assert_eq!(c.resolve("spad").unwrap_err().key, "spad.n_banks");
    c.n_banks = 4;
    c.n_ports = 0;
    assert_eq!(
        c.resolve("spad").unwrap_err().to_string(),
        "spad.n_ports = 0: must be at least 1"
    );
}

/// The atomic unit as a plain array scanned in full: the rule [`AtomicUnit`] must give the same
/// answers as (the last completion of an atomic to the same address; the slot that frees first,
/// the lowest-numbered among equals).
struct ScannedSlots(Vec<(u64, u64)>);

impl ScannedSlots {
    fn lookup(&self, addr: u64) -> (u64, usize, u64) {
        let (mut same, mut slot, mut free_at) = (0, 0, u64::MAX);
        for (i, &(a, done)) in self.0.iter().enumerate() {
            if a == addr {
                same = same.max(done);
            }
            if done < free_at {
                (slot, free_at) = (i, done);
            }
        }
        (same, slot, free_at)
    }
}

proptest::proptest! {
    #[test]
    fn the_atomic_unit_ring_answers_as_a_full_scan_of_its_slots(
        n in 1usize..20,
        ops in proptest::collection::vec((0u64..100, 0u64..4, 1u64..12), 1..300),
    ) {
        let mut unit = AtomicUnit::new(n);
        let mut scanned = ScannedSlots(vec![(0, 0); n]);
        let mut at = 0;
        for (word, gap, latency) in ops {
            // 100 8-byte words over 64 filter buckets: some atomics share an address, and some
            // only a bucket.
            let addr = word * 8;
            at += gap;
            let (same, slot, free_at) = scanned.lookup(addr);
            let (ring_same, ring_free_at) = unit.lookup(addr, at);
            // The ring ignores completions at or before `at`, which cannot delay the atomic.
            proptest::prop_assert_eq!(at.max(same), at.max(ring_same));
            proptest::prop_assert_eq!(free_at, ring_free_at);
            proptest::prop_assert_eq!(slot as u32, unit.ring[unit.head].idx);
            let done = at.max(same).max(free_at) + latency;
            scanned.0[slot] = (addr, done);
            unit.take(addr, done);
        }
    }
}
