//! A set-associative, non-blocking cache as an engine component.
//!
//! Models: geometry (size, ways, line), banks with one access per bank per cycle, hit latency,
//! replacement (LRU, tree-PLRU, SRRIP, seeded random), write-back or write-through, write-allocate or
//! not, MSHRs that merge misses to the same line and back-pressure when full (waiting requests are
//! replayed in arrival order), next-line and stride prefetchers, and writebacks of dirty victims.
//! Levels are non-inclusive and there is no back-invalidation: a fill below never evicts above.
//!
//! Does not model: coherence, data values, tag/data array split timing, or the fill-port bandwidth.
//!
//! Ports: the group `up` (`up[0]`..`up[n-1]`) receives requests from the levels above (a unified level has several),
//! `down` goes to the next level. Read-type requests are answered on the port they came in on;
//! writebacks (and write-through writes, sent as writebacks) are never answered.

mod config;
mod prefetch;
pub mod replacement;
mod stats;
mod tags;
#[cfg(test)]
mod tests;

use std::any::Any;
use std::collections::VecDeque;

pub use config::{CacheConfig, CacheGeometry, PrefetchKind, WritePolicy, WritebackHandling};
pub use stats::CacheStats;
pub use tags::{Evicted, TagArray};

use crate::engine::{
    AccessKind, Clock, Component, Ctx, MemReq, Msg, Outstanding, PortGroup, PortId, Split, Tick,
};
use config::MAX_MSHR_TARGETS;
use prefetch::Prefetcher;

/// Most upper neighbours one cache can have (a [`PortId`] numbers them and the `down` port).
pub const MAX_UP_PORTS: usize = u16::MAX as usize - 2;

#[derive(Clone, Copy)]
struct Target {
    port: PortId,
    req: MemReq,
}

/// One miss status holding register: a line in flight and the requests waiting for it.
#[derive(Clone, Copy)]
struct Mshr {
    line: u64,
    valid: bool,
    since: Tick,
    n_targets: u8,
    targets: [Target; MAX_MSHR_TARGETS as usize],
}

const EMPTY_TARGET: Target = Target {
    port: PortId(0),
    req: MemReq {
        id: 0,
        addr: 0,
        size: 0,
        kind: AccessKind::Read,
        issued_ps: 0,
        split: Split::Whole,
    },
};

/// A cache component. Build with [`Cache::new`], read [`Cache::stats`] after the run.
pub struct Cache {
    name: String,
    ports: [PortGroup; 2],
    down: PortId,
    cfg: CacheConfig,
    geo: CacheGeometry,
    clock: Clock,
    tags: TagArray,
    mshrs: Vec<Mshr>,
    n_mshrs_busy: usize,
    blocked: VecDeque<(PortId, MemReq)>,
    bank_free: Vec<Tick>,
    prefetcher: Prefetcher,
    stats: CacheStats,
    /// The line of the previous demand access if it was the first piece of a split operation and
    /// missed (for per-operation miss counting).
    prev_first_missed: Option<u64>,
}

impl Cache {
    /// A cache named `name` with `n_up` upper neighbours, clocked by `clock`. `geo` comes from
    /// [`CacheConfig::resolve`]; `seed` feeds random replacement.
    pub fn new(
        name: &str,
        cfg: &CacheConfig,
        geo: CacheGeometry,
        clock: Clock,
        n_up: usize,
        seed: u64,
    ) -> Cache {
        assert!(
            (1..=MAX_UP_PORTS).contains(&n_up),
            "a cache has 1..={MAX_UP_PORTS} upper neighbours"
        );
        let ports = [PortGroup::many("up", n_up as u16), PortGroup::one("down")];
        let empty = Mshr {
            line: 0,
            valid: false,
            since: Tick(0),
            n_targets: 0,
            targets: [EMPTY_TARGET; MAX_MSHR_TARGETS as usize],
        };
        Cache {
            name: name.to_string(),
            down: PortId(n_up as u16),
            ports,
            cfg: cfg.clone(),
            geo,
            clock,
            tags: TagArray::new(geo, cfg.replacement, seed),
            mshrs: vec![empty; cfg.n_mshrs as usize],
            n_mshrs_busy: 0,
            blocked: VecDeque::with_capacity(64),
            bank_free: vec![Tick(0); geo.n_banks as usize],
            prefetcher: Prefetcher::new(cfg.prefetcher, cfg.prefetch_degree),
            stats: CacheStats::default(),
            prev_first_missed: None,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &CacheStats {
        &self.stats
    }

    /// The tag array (for invariant checks in tests).
    pub fn tags(&self) -> &TagArray {
        &self.tags
    }

    #[inline]
    fn line_of(&self, addr: u64) -> u64 {
        addr >> self.geo.line_shift
    }

    /// Reserves the line's bank for one cycle and returns how long the request waited for it.
    #[inline]
    fn bank_wait(&mut self, line: u64, now: Tick) -> Tick {
        let bank = (line & (self.geo.n_banks - 1)) as usize;
        let start = self.bank_free[bank].max(now);
        self.bank_free[bank] = Tick(start.0 + self.clock.period_ps());
        let wait = Tick(start.0 - now.0);
        if wait.0 > 0 {
            // Most accesses find their bank free: no division for them.
            self.stats.bank_conflict_cycles += self.clock.whole_cycles(wait.0);
        }
        wait
    }

    fn find_mshr(&self, line: u64) -> Option<usize> {
        self.mshrs.iter().position(|m| m.valid && m.line == line)
    }

    fn alloc_mshr(&mut self, line: u64, now: Tick) -> usize {
        let i = self
            .mshrs
            .iter()
            .position(|m| !m.valid)
            .expect("caller checked a free MSHR exists");
        let m = &mut self.mshrs[i];
        m.valid = true;
        m.line = line;
        m.since = now;
        m.n_targets = 0;
        self.n_mshrs_busy += 1;
        i
    }

    fn count(&mut self, req: &MemReq, hit: bool) {
        let line = self.line_of(req.addr);
        if !hit && req.split == Split::Rest && self.prev_first_missed == Some(line.wrapping_sub(1))
        {
            self.stats.straddle_second_misses += 1;
        }
        self.prev_first_missed = (!hit && req.split == Split::First).then_some(line);
        let kind = req.kind;
        let s = &mut self.stats;
        match (kind, hit) {
            (AccessKind::Inst, true) => s.inst_hits += 1,
            (AccessKind::Inst, false) => s.inst_misses += 1,
            (AccessKind::Read | AccessKind::Atomic, true) => s.read_hits += 1,
            (AccessKind::Read | AccessKind::Atomic, false) => s.read_misses += 1,
            (AccessKind::Write | AccessKind::ReadForOwnership, true) => s.write_hits += 1,
            (AccessKind::Write | AccessKind::ReadForOwnership, false) => s.write_misses += 1,
            (AccessKind::Prefetch, true) => s.prefetch_hits += 1,
            (AccessKind::Prefetch, false) => s.prefetch_misses += 1,
            (AccessKind::Writeback, _) => unreachable!("writebacks are counted separately"),
        }
    }

    /// Serves `req` at `now` if it can be answered without sending anything: a hit, with no
    /// earlier request waiting for an MSHR, that is not a write-through store. Updates the tags
    /// and counters exactly as [`Component::handle`] would, and returns how long after `now` the
    /// answer is ready. `None` changes nothing: hand the request to `handle`.
    ///
    /// This is how an owner that embeds the cache (see [`Ctx::embedded`]) serves hits without
    /// a request and a response event.
    #[inline]
    pub fn try_hit(&mut self, req: &MemReq, now: Tick) -> Option<Tick> {
        let is_store = matches!(req.kind, AccessKind::Write | AccessKind::Atomic);
        let write_back = self.cfg.write_policy == WritePolicy::WriteBack;
        if !self.blocked.is_empty()
            || req.kind == AccessKind::Writeback
            || (is_store && !write_back)
        {
            return None;
        }
        let line = self.line_of(req.addr);
        let first_use = self.tags.access(line, true, is_store)?;
        let wait = self.bank_wait(line, now);
        self.count(req, true);
        if first_use {
            self.stats.prefetches_useful += 1;
        }
        Some(Tick(
            wait.0 + self.clock.ticks(self.cfg.hit_latency_cycles).0,
        ))
    }

    /// Handles one request; returns false (changing nothing) if it must wait for an MSHR.
    fn try_request(&mut self, port: PortId, req: MemReq, ctx: &mut Ctx) -> bool {
        let now = ctx.now();
        let line = self.line_of(req.addr);
        if req.kind == AccessKind::Writeback {
            self.handle_writeback(line, ctx);
            return true;
        }
        let is_store = matches!(req.kind, AccessKind::Write | AccessKind::Atomic);
        let write_back = self.cfg.write_policy == WritePolicy::WriteBack;
        let hit_latency = self.clock.ticks(self.cfg.hit_latency_cycles);
        if let Some(first_use) = self.tags.access(line, true, is_store && write_back) {
            // A hit can be served even when earlier misses wait for MSHRs only if none are waiting;
            // the caller guarantees that ordering by replaying `blocked` first.
            let wait = self.bank_wait(line, now);
            self.count(&req, true);
            if first_use {
                self.stats.prefetches_useful += 1;
            }
            if is_store && !write_back {
                self.send_down_writeback(line, ctx, Tick(wait.0 + hit_latency.0));
            }
            ctx.send(port, Msg::Resp(req), Tick(wait.0 + hit_latency.0));
            ctx.progress();
            return true;
        }
        // Miss.
        if req.kind == AccessKind::Write && !self.cfg.write_allocate {
            let wait = self.bank_wait(line, now);
            self.count(&req, false);
            self.send_down_writeback(line, ctx, Tick(wait.0 + hit_latency.0));
            ctx.send(port, Msg::Resp(req), Tick(wait.0 + hit_latency.0));
            ctx.progress();
            return true;
        }
        if let Some(i) = self.find_mshr(line) {
            if self.mshrs[i].n_targets as u64 >= self.cfg.mshr_targets {
                self.stats.mshr_stalls += 1;
                return false;
            }
            self.bank_wait(line, now);
            self.count(&req, false);
            self.stats.mshr_merges += 1;
            let m = &mut self.mshrs[i];
            m.targets[m.n_targets as usize] = Target { port, req };
            m.n_targets += 1;
            return true;
        }
        if self.n_mshrs_busy == self.mshrs.len() {
            self.stats.mshr_stalls += 1;
            return false;
        }
        let wait = self.bank_wait(line, now);
        self.count(&req, false);
        let i = self.alloc_mshr(line, now);
        let m = &mut self.mshrs[i];
        m.targets[0] = Target { port, req };
        m.n_targets = 1;
        let kind = match req.kind {
            AccessKind::Write | AccessKind::Atomic => AccessKind::ReadForOwnership,
            k => k,
        };
        let fetch = MemReq {
            id: line,
            addr: line << self.geo.line_shift,
            size: 1 << self.geo.line_shift,
            kind,
            issued_ps: now.0,
            split: req.split,
        };
        ctx.send(self.down, Msg::Req(fetch), Tick(wait.0 + hit_latency.0));
        if req.kind != AccessKind::Prefetch {
            self.run_prefetcher(line, ctx);
        }
        true
    }

    fn run_prefetcher(&mut self, line: u64, ctx: &mut Ctx) {
        let mut candidates = [0u64; prefetch::MAX_DEGREE];
        let n = self.prefetcher.on_miss(line, &mut candidates);
        for &pf_line in &candidates[..n] {
            if self.n_mshrs_busy == self.mshrs.len() {
                break; // Prefetches never wait: drop the rest.
            }
            if self.tags.contains(pf_line) || self.find_mshr(pf_line).is_some() {
                continue;
            }
            self.alloc_mshr(pf_line, ctx.now());
            self.stats.prefetches_issued += 1;
            let req = MemReq {
                id: pf_line,
                addr: pf_line << self.geo.line_shift,
                size: 1 << self.geo.line_shift,
                kind: AccessKind::Prefetch,
                issued_ps: ctx.now().0,
                split: Split::Whole,
            };
            ctx.send(
                self.down,
                Msg::Req(req),
                self.clock.ticks(self.cfg.hit_latency_cycles),
            );
        }
    }

    fn handle_writeback(&mut self, line: u64, ctx: &mut Ctx) {
        self.stats.writebacks_received += 1;
        let passive = self.cfg.writeback_handling == WritebackHandling::Passive;
        let write_back = self.cfg.write_policy == WritePolicy::WriteBack;
        if self.tags.access(line, !passive, write_back).is_some() {
            if !write_back {
                self.send_down_writeback(line, ctx, Tick(0));
            }
        } else if passive || !write_back {
            self.send_down_writeback(line, ctx, Tick(0));
        } else {
            // A full dirty line needs no fetch: allocate it directly.
            self.fill_line(line, true, false, ctx);
        }
        ctx.progress();
    }

    fn send_down_writeback(&mut self, line: u64, ctx: &mut Ctx, delay: Tick) {
        self.stats.writebacks_sent += 1;
        let wb = MemReq {
            id: line,
            addr: line << self.geo.line_shift,
            size: 1 << self.geo.line_shift,
            kind: AccessKind::Writeback,
            issued_ps: ctx.now().0,
            split: Split::Whole,
        };
        ctx.send(self.down, Msg::Req(wb), delay);
    }

    fn fill_line(&mut self, line: u64, dirty: bool, prefetched: bool, ctx: &mut Ctx) {
        self.stats.fills += 1;
        if let Some(ev) = self.tags.fill(line, dirty, prefetched) {
            self.stats.evictions += 1;
            if ev.dirty {
                self.send_down_writeback(ev.line, ctx, Tick(0));
            }
        }
    }

    fn handle_response(&mut self, resp: MemReq, ctx: &mut Ctx) {
        let line = resp.id;
        let i = self.find_mshr(line).unwrap_or_else(|| {
            panic!(
                "{} @ {} ps: response for line {line:#x} with no MSHR",
                self.name,
                ctx.now().0
            )
        });
        let m = self.mshrs[i];
        self.mshrs[i].valid = false;
        self.n_mshrs_busy -= 1;
        let write_back = self.cfg.write_policy == WritePolicy::WriteBack;
        let targets = &m.targets[..m.n_targets as usize];
        let dirty = write_back
            && targets
                .iter()
                .any(|t| matches!(t.req.kind, AccessKind::Write | AccessKind::Atomic));
        let from_own_prefetcher = m.n_targets == 0;
        if !self.tags.contains(line) {
            self.fill_line(line, dirty, from_own_prefetcher, ctx);
        }
        if !write_back && targets.iter().any(|t| t.req.kind == AccessKind::Write) {
            self.send_down_writeback(line, ctx, Tick(0));
        }
        for t in targets {
            ctx.send(t.port, Msg::Resp(t.req), Tick(0));
        }
        ctx.progress();
        self.replay_blocked(ctx);
    }

    fn replay_blocked(&mut self, ctx: &mut Ctx) {
        while let Some(&(port, req)) = self.blocked.front() {
            if !self.try_request(port, req, ctx) {
                // try_request counted a stall again; it is the same stalled request.
                self.stats.mshr_stalls -= 1;
                break;
            }
            self.blocked.pop_front();
        }
    }
}

impl Component for Cache {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[PortGroup] {
        &self.ports
    }
    fn handle(&mut self, port: PortId, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Req(req) => {
                // Requests queue behind earlier stalled ones so the order a level sees is kept.
                if !self.blocked.is_empty() || !self.try_request(port, req, ctx) {
                    if !self.blocked.is_empty() {
                        self.stats.mshr_stalls += 1;
                    }
                    self.blocked.push_back((port, req));
                }
            }
            Msg::Resp(resp) if port == self.down => self.handle_response(resp, ctx),
            other => panic!(
                "{} @ {} ps: unexpected {other:?} on port {}",
                self.name,
                ctx.now().0,
                port.0
            ),
        }
    }
    fn outstanding(&self, out: &mut Vec<Outstanding>) {
        for m in self.mshrs.iter().filter(|m| m.valid) {
            out.push(Outstanding {
                id: m.line,
                addr: m.line << self.geo.line_shift,
                since: m.since,
                what: "miss in flight",
            });
        }
        for (_, r) in &self.blocked {
            out.push(Outstanding {
                id: r.id,
                addr: r.addr,
                since: Tick(r.issued_ps),
                what: "waiting for an MSHR",
            });
        }
    }
    fn collect_stats(&self, prefix: &str, out: &mut crate::stats::StatTree) {
        out.add(prefix, &self.stats);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
