//! On-chip networks: a crossbar and a 2D mesh with dimension-ordered (XY) routing.
//!
//! Models: per-router latency, link width (bytes per cycle) and so serialization, contention for
//! links and for each endpoint's injection and ejection port, and wormhole-style pipelining (a
//! message's head moves one router per `hop_latency_cycles`; each link is busy for the message's
//! serialization time). Requests are routed to a target endpoint chosen by address interleaving;
//! responses are routed back to the endpoint the request came from.
//!
//! Does not model: buffers and credit flow control (links are reserved on injection, in injection
//! order, so a message never blocks another that was injected earlier), virtual channels, adaptive
//! routing, or multi-chip HyperX (planned).
//!
//! Uncontended latency of a `B`-byte message over a mesh, from router (x1, y1) to (x2, y2):
//! `(|x1 - x2| + |y1 - y2| + 1) * hop_latency_cycles + ceil(B / link_bytes_per_cycle)` cycles;
//! over a crossbar: `hop_latency_cycles + ceil(B / link_bytes_per_cycle)`.
//!
//! Ports: the group `ep`, one per endpoint (`ep[0]`..`ep[n-1]`).

mod config;
pub mod hyperx;
#[cfg(test)]
mod tests;

use std::any::Any;

pub use config::{NocConfig, NocSpec, Region, Topology};

use crate::engine::{AccessKind, Clock, Component, Ctx, MemReq, Msg, PortGroup, PortId, Tick};

crate::stats_struct! {
    /// Counters of one network.
    pub struct NocStats {
        requests: Count = "Request messages carried",
        responses: Count = "Response messages carried",
        bytes: Bytes = "Bytes carried (headers included)",
        router_hops: Count = "Routers traversed, summed over messages",
        latency_ps: Picoseconds = "Injection-to-delivery time, summed over messages",
        contention_cycles: Cycles = "Cycles messages waited for a busy link or port",
    }
}

/// Bytes a network carries for `req` (or its response): the header, plus the data where the data
/// travels (writes out, reads back, atomics both ways).
pub fn message_bytes(req: &MemReq, response: bool, header_bytes: u64) -> u64 {
    let carries_data = match req.kind {
        AccessKind::Write | AccessKind::Writeback => !response,
        AccessKind::Atomic => true,
        _ => response,
    };
    header_bytes + if carries_data { u64::from(req.size) } else { 0 }
}

/// Requests in flight through a network: it swaps a request's id for a tag on the way out and
/// restores the id, and learns where to send the response, on the way back.
#[derive(Default)]
pub struct Tags {
    slots: Vec<(u32, u64)>,
    free: Vec<u32>,
}

impl Tags {
    /// Remembers `(source, id)`; returns the tag to carry instead of `id`.
    pub fn put(&mut self, source: u32, id: u64) -> u64 {
        let tag = self.free.pop().unwrap_or_else(|| {
            self.slots.push((0, 0));
            self.slots.len() as u32 - 1
        });
        self.slots[tag as usize] = (source, id);
        u64::from(tag)
    }

    /// The `(source, id)` of `tag`, which is free again.
    pub fn take(&mut self, tag: u64) -> (u32, u64) {
        self.free.push(tag as u32);
        self.slots[tag as usize]
    }
}

/// The network component.
pub struct Noc {
    name: String,
    spec: NocSpec,
    clock: Clock,
    /// Directed mesh links, `router * 4 + direction` (east, west, north, south).
    link_free: Vec<Tick>,
    inject_free: Vec<Tick>,
    eject_free: Vec<Tick>,
    tags: Tags,
    stats: NocStats,
    ports: [PortGroup; 1],
}

const EAST: usize = 0;
const WEST: usize = 1;
const NORTH: usize = 2;
const SOUTH: usize = 3;

impl Noc {
    /// A network from a resolved spec, clocked by `clock`.
    pub fn new(name: &str, spec: NocSpec, clock: Clock) -> Noc {
        let n = spec.n_endpoints as usize;
        // XY routes stay within the rows of their ends, so whole rows up to the last used one.
        let cols = spec.mesh_cols.max(1) as usize;
        let n_routers = spec
            .endpoint_router
            .iter()
            .copied()
            .max()
            .map_or(1, |r| (r as usize / cols + 1) * cols);
        Noc {
            ports: [PortGroup::many("ep", spec.n_endpoints as u16)],
            name: name.to_string(),
            link_free: vec![Tick(0); n_routers * 4],
            inject_free: vec![Tick(0); n],
            eject_free: vec![Tick(0); n],
            tags: Tags::default(),
            stats: NocStats::default(),
            spec,
            clock,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &NocStats {
        &self.stats
    }

    /// The endpoint that serves `addr`.
    pub fn target_of(&self, addr: u64) -> usize {
        for r in &self.spec.regions {
            if addr >= r.base && addr - r.base < r.size {
                let i = ((addr - r.base) / r.interleave_bytes) % r.targets.len() as u64;
                return r.targets[i as usize] as usize;
            }
        }
        let i = (addr / self.spec.interleave_bytes) % self.spec.targets.len() as u64;
        self.spec.targets[i as usize] as usize
    }

    fn reserve(&mut self, free: Tick, at: Tick, ser: Tick) -> (Tick, Tick) {
        let start = free.max(at);
        self.stats.contention_cycles += self.clock.whole_cycles(start.0 - at.0);
        (start, Tick(start.0 + ser.0))
    }

    /// Carries `bytes` from endpoint `src` to `dst` injected at `now`; returns the delivery tick.
    fn carry(&mut self, src: usize, dst: usize, bytes: u64, now: Tick) -> Tick {
        let ser = self
            .clock
            .ticks(bytes.div_ceil(self.spec.link_bytes_per_cycle));
        let hop = self.clock.ticks(self.spec.hop_latency_cycles);
        let at = self.clock.next_edge(now);
        let (mut t, busy) = self.reserve(self.inject_free[src], at, ser);
        self.inject_free[src] = busy;
        let mut routers = 1;
        if self.spec.topology == Topology::Mesh {
            let cols = self.spec.mesh_cols as usize;
            let (sr, dr) = (
                self.spec.endpoint_router[src] as usize,
                self.spec.endpoint_router[dst] as usize,
            );
            let (mut x, mut y) = (sr % cols, sr / cols);
            let (dx, dy) = (dr % cols, dr / cols);
            // XY routing: all of X first, then Y.
            while (x, y) != (dx, dy) {
                let (dir, nx, ny) = if x < dx {
                    (EAST, x + 1, y)
                } else if x > dx {
                    (WEST, x - 1, y)
                } else if y < dy {
                    (SOUTH, x, y + 1)
                } else {
                    (NORTH, x, y - 1)
                };
                t = Tick(t.0 + hop.0); // Through the current router onto its output link.
                let l = (y * cols + x) * 4 + dir;
                let (start, busy) = self.reserve(self.link_free[l], t, ser);
                self.link_free[l] = busy;
                t = start;
                x = nx;
                y = ny;
                routers += 1;
            }
        }
        t = Tick(t.0 + hop.0); // Through the last router to the ejection port.
        let (_, busy) = self.reserve(self.eject_free[dst], t, ser);
        self.eject_free[dst] = busy;
        self.stats.router_hops += routers;
        self.stats.bytes += bytes;
        let arrive = busy;
        self.stats.latency_ps += arrive.0 - now.0;
        arrive
    }

    fn bytes(&self, req: &MemReq, response: bool) -> u64 {
        message_bytes(req, response, self.spec.header_bytes)
    }
}

impl Component for Noc {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[PortGroup] {
        &self.ports
    }
    fn handle(&mut self, port: PortId, msg: Msg, ctx: &mut Ctx) {
        let now = ctx.now();
        let src = port.0 as usize;
        match msg {
            Msg::Req(req) => {
                self.stats.requests += 1;
                let dst = self.target_of(req.addr);
                let arrive = self.carry(src, dst, self.bytes(&req, false), now);
                let mut out = req;
                if req.kind.wants_data() {
                    out.id = self.tags.put(src as u32, req.id);
                }
                ctx.send(PortId(dst as u16), Msg::Req(out), Tick(arrive.0 - now.0));
            }
            Msg::Resp(resp) => {
                self.stats.responses += 1;
                let (source, id) = self.tags.take(resp.id);
                let arrive = self.carry(src, source as usize, self.bytes(&resp, true), now);
                let mut out = resp;
                out.id = id;
                ctx.send(
                    PortId(source as u16),
                    Msg::Resp(out),
                    Tick(arrive.0 - now.0),
                );
            }
            other => panic!("{} @ {} ps: unexpected {other:?}", self.name, now.0),
        }
        ctx.progress();
    }
    fn collect_stats(&self, prefix: &str, out: &mut crate::stats::StatTree) {
        out.add(prefix, &self.stats);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
