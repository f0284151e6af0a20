//! A one-dimensional HyperX between dies: every die has a direct link to every other (all-to-all),
//! each link with its own latency and bandwidth per direction.
//!
//! What it models: a request from die `s` (arriving on port `die{s}`) goes to the die that owns its
//! address (a function given at construction), paying the link's latency and its serialization
//! behind earlier messages on the same directed link; the response comes back the same way. Each die
//! reaches the HyperX through one endpoint of its own on-die network, so contention at that
//! gateway is the on-die network's.
//!
//! What it does not model: multi-dimensional HyperX (several hops), adaptive routing, optical
//! link errors, in-network collectives.

use std::any::Any;

use super::{message_bytes, Tags};
use crate::engine::{Clock, Component, Ctx, MemReq, Msg, PortGroup, PortId, Tick};

crate::stats_struct! {
    /// Counters of the die-to-die network.
    pub struct HyperXStats {
        requests: Count = "Requests carried between dies",
        responses: Count = "Responses carried between dies",
        bytes: Bytes = "Bytes carried (headers included)",
        latency_ps: Picoseconds = "Injection-to-delivery time, summed over messages",
        contention_cycles: Cycles = "Cycles messages waited for a busy link",
    }
}

/// Link parameters.
#[derive(Debug, Clone, Copy)]
pub struct HyperXSpec {
    /// Number of dies joined.
    pub n_dies: usize,
    /// One-way latency of a die-to-die link, cycles.
    pub latency_cycles: u64,
    /// Bytes per cycle per direction of a link.
    pub link_bytes_per_cycle: u64,
    /// Header bytes per message.
    pub header_bytes: u64,
}

/// The die-to-die network.
pub struct HyperX {
    name: String,
    spec: HyperXSpec,
    clock: Clock,
    /// Which die owns an address.
    owner: Box<dyn Fn(u64) -> usize>,
    /// When each directed link `src * n + dst` is next free.
    link_free: Vec<Tick>,
    tags: Tags,
    stats: HyperXStats,
    ports: [PortGroup; 1],
}

impl HyperX {
    /// A HyperX of `spec.n_dies` dies (at most 256); `owner` maps an address to its die.
    pub fn new(
        name: &str,
        spec: HyperXSpec,
        clock: Clock,
        owner: Box<dyn Fn(u64) -> usize>,
    ) -> HyperX {
        assert!(
            (1..=256).contains(&spec.n_dies) && spec.link_bytes_per_cycle > 0,
            "{name}: 1 to 256 dies and a link of at least one byte per cycle"
        );
        HyperX {
            ports: [PortGroup::many("die", spec.n_dies as u16)],
            name: name.to_string(),
            link_free: vec![Tick(0); spec.n_dies * spec.n_dies],
            spec,
            clock,
            owner,
            tags: Tags::default(),
            stats: HyperXStats::default(),
        }
    }

    /// Its counters so far.
    pub fn stats(&self) -> &HyperXStats {
        &self.stats
    }

    fn bytes(&self, req: &MemReq, response: bool) -> u64 {
        message_bytes(req, response, self.spec.header_bytes)
    }

    /// Carries `bytes` from die `s` to die `t` injected at `now`; returns the delivery tick.
    fn carry(&mut self, s: usize, t: usize, bytes: u64, now: Tick) -> Tick {
        let at = self.clock.next_edge(now);
        let ser = self
            .clock
            .ticks(bytes.div_ceil(self.spec.link_bytes_per_cycle));
        let l = s * self.spec.n_dies + t;
        let start = self.link_free[l].max(at);
        self.stats.contention_cycles += self.clock.whole_cycles(start.0 - at.0);
        self.link_free[l] = Tick(start.0 + ser.0);
        let arrive = Tick(start.0 + ser.0 + self.clock.ticks(self.spec.latency_cycles).0);
        self.stats.bytes += bytes;
        self.stats.latency_ps += arrive.0 - now.0;
        arrive
    }
}

impl Component for HyperX {
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
                let dst = (self.owner)(req.addr);
                assert_ne!(
                    dst, src,
                    "{} @ {} ps: die {src} sent its own address {:#x} off the die",
                    self.name, now.0, req.addr
                );
                let arrive = self.carry(src, dst, self.bytes(&req, false), now);
                let mut out = req;
                if req.kind.wants_data() {
                    out.id = self.tags.put(src as u32, req.id);
                }
                ctx.send(PortId(dst as u16), Msg::Req(out), Tick(arrive.0 - now.0));
            }
            Msg::Resp(resp) => {
                self.stats.responses += 1;
                let (die, id) = self.tags.take(resp.id);
                let arrive = self.carry(src, die as usize, self.bytes(&resp, true), now);
                let mut out = resp;
                out.id = id;
                ctx.send(PortId(die as u16), Msg::Resp(out), Tick(arrive.0 - now.0));
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
