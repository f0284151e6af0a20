//! The simulator's own speed: workloads for `sparsim bench` and the criterion benches.
//!
//! Each function runs a fixed amount of work and returns how many units it simulated; callers time it.

use std::any::Any;

use crate::blocks::cache::{CacheConfig, TagArray};
use crate::blocks::dram::{Dram, DramConfig};
use crate::blocks::requester::{lines, Order, Requester};
use crate::engine::{Component, Ctx, Msg, PortGroup, PortId, RunLimits, SimBuilder, Tick};

/// A ring of `n` components passing `tokens` tokens around until `n_events` deliveries have happened.
/// Returns the number of events delivered.
pub fn engine_ring(n: usize, tokens: usize, n_events: u64) -> u64 {
    struct Node {
        name: String,
        budget: u64,
        start: usize,
    }
    impl Component for Node {
        fn name(&self) -> &str {
            &self.name
        }
        fn ports(&self) -> &[PortGroup] {
            const PORTS: &[PortGroup] = &[PortGroup::one("prev"), PortGroup::one("next")];
            PORTS
        }
        fn setup(&mut self, ctx: &mut Ctx) {
            for i in 0..self.start {
                ctx.send(PortId(1), Msg::Token(i as u64), Tick(i as u64));
            }
        }
        fn handle(&mut self, _p: PortId, m: Msg, ctx: &mut Ctx) {
            ctx.progress();
            if self.budget > 0 {
                self.budget -= 1;
                ctx.send(PortId(1), m, Tick(0));
            }
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }
    let mut b = SimBuilder::new();
    let per = n_events / n as u64;
    let ids: Vec<_> = (0..n)
        .map(|i| {
            b.add(Box::new(Node {
                name: format!("n{i}"),
                budget: per,
                start: if i == 0 { tokens } else { 0 },
            }))
        })
        .collect();
    for i in 0..n {
        b.connect(
            ids[i],
            "next",
            ids[(i + 1) % n],
            "prev",
            Tick(1 + (i as u64 % 3)),
        );
    }
    b.build()
        .expect("ring wiring is valid")
        .run(RunLimits::default())
        .expect("the ring drains")
        .n_events()
}

/// `n` lookups (with fills on misses) of a 32 KiB 8-way LRU tag array on a trace mixing a sequential
/// stream, a strided walk and a hot set. Returns the number of accesses.
pub fn cache_tag_accesses(n: u64) -> u64 {
    let cfg = CacheConfig {
        size_bytes: 32768,
        n_ways: 8,
        line_bytes: 64,
        hit_latency_cycles: 4,
        n_banks: 1,
        replacement: Default::default(),
        write_policy: Default::default(),
        write_allocate: true,
        writeback_handling: Default::default(),
        n_mshrs: 8,
        mshr_targets: 8,
        prefetcher: Default::default(),
        prefetch_degree: 1,
    };
    let geo = cfg.resolve("bench").expect("bench geometry is valid");
    let mut tags = TagArray::new(geo, cfg.replacement, 1);
    let mut misses = 0u64;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let addr = match i % 4 {
            0 => i * 8,
            1 => (i * 4160) & 0xff_ffff,
            _ => x & 0x3fff,
        };
        let line = addr >> 6;
        if tags.access(line, true, false).is_none() {
            misses += 1;
            tags.fill(line, false, false);
        }
    }
    std::hint::black_box(misses);
    n
}

/// Keeps `window` requests outstanding against a DRAM built from `preset` until `n` have been
/// answered; `random` picks addresses at random (else a sequential stream). Returns requests answered.
pub fn dram_requests(preset: &str, n: u64, window: u64, random: bool) -> u64 {
    let spec = DramConfig::preset(preset)
        .resolve("dram")
        .expect("built-in presets resolve");
    let line = spec.access_bytes;
    let order = if random {
        Order::Random {
            seed: 0x2545_f491_4f6c_dd1d,
            span: 1 << 33,
        }
    } else {
        Order::Sequential
    };
    let mut b = SimBuilder::new();
    let f = b.add(Box::new(
        Requester::new("feeder", "mem", lines(n, line, order, 0), window).counting_only(),
    ));
    let d = b.add(Box::new(Dram::new("dram", spec, 1)));
    b.connect(f, "mem", d, ("up", 0), Tick(1));
    let fin = b
        .build()
        .expect("valid")
        .run(RunLimits::default())
        .expect("drains");
    fin.get::<Dram>(d).expect("dram").stats().answered
}
