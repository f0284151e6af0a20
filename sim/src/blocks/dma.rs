//! A DMA engine: an offload unit beside a core that moves a block of memory in narrow accesses
//! while the requesting thread waits (or does something else).
//!
//! What it models: a job arrives on `up` as one request whose `addr` and `size` give the block in
//! the memory below (`size` may be large); `kind` Read fetches the block toward the requester
//! (a gather into local storage), Write sends a block out (a scatter). The engine cuts the job into
//! `access_bytes` accesses, issues at most one per cycle on `down` with at most `max_outstanding`
//! in flight, and answers the job with its original request once every access is answered. Jobs
//! are served in arrival order; the next job's accesses follow the previous job's without a gap.
//!
//! What it does not model: descriptor rings, address translation, the local write of gathered data
//! (the requester owns that timing), strided or indexed gathers as one job (a kernel issues one job
//! per contiguous run).

use std::any::Any;
use std::collections::VecDeque;

use crate::engine::{
    AccessKind, Alarm, Clock, Component, Ctx, MemReq, Msg, Outstanding, PortId, Tick,
};

crate::stats_struct! {
    /// Counters of one DMA engine.
    pub struct DmaStats {
        jobs: Count = "Jobs (transfers) completed",
        bytes: Bytes = "Bytes moved",
        accesses: Count = "Memory accesses issued",
        window_full_cycles: Cycles = "Cycles with an access ready but the window of outstanding accesses full",
        job_latency_cycles: Cycles = "Arrival-to-answer time, summed over jobs",
    }
}

/// Engine parameters.
#[derive(Debug, Clone, Copy)]
pub struct DmaSpec {
    /// Bytes per memory access (8 on PIUMA, whose DRAM is accessed 8 bytes at a time).
    pub access_bytes: u32,
    /// Accesses in flight at once.
    pub max_outstanding: u32,
}

struct Job {
    req: MemReq,
    arrived: Tick,
    /// Next byte offset to issue.
    next: u64,
    /// Accesses issued and not yet answered.
    in_flight: u32,
}

const UP: PortId = PortId(0);
const DOWN: PortId = PortId(1);

/// The engine component; ports `up` (jobs in, answers out) and `down` (accesses).
pub struct DmaEngine {
    name: String,
    spec: DmaSpec,
    clock: Clock,
    /// Jobs in arrival order; those at the front may be fully issued and waiting for answers.
    jobs: VecDeque<Job>,
    /// Job sequence number of `jobs[0]`; accesses carry `seq` in their id.
    head_seq: u64,
    outstanding: u32,
    alarm: Alarm,
    last_issue: Option<Tick>,
    stats: DmaStats,
}

impl DmaEngine {
    /// An engine clocked by `clock`.
    pub fn new(name: &str, spec: DmaSpec, clock: Clock) -> DmaEngine {
        assert!(
            spec.access_bytes > 0 && spec.max_outstanding > 0,
            "{name}: a DMA engine needs access_bytes and max_outstanding of at least 1"
        );
        DmaEngine {
            name: name.to_string(),
            spec,
            clock,
            jobs: VecDeque::new(),
            head_seq: 0,
            outstanding: 0,
            alarm: Alarm::default(),
            last_issue: None,
            stats: DmaStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> &DmaStats {
        &self.stats
    }

    /// Makes sure this component is woken no later than `at`.
    fn wake(&mut self, at: Tick, ctx: &mut Ctx) {
        self.alarm.set(self.clock, at, ctx);
    }

    /// Issues one access of the first job with bytes left, if the window allows.
    fn issue(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        if self.last_issue == Some(now) {
            self.wake(Tick(now.0 + 1), ctx);
            return;
        }
        let Some(pos) = self
            .jobs
            .iter()
            .position(|j| j.next < u64::from(j.req.size))
        else {
            return;
        };
        if self.outstanding >= self.spec.max_outstanding {
            self.stats.window_full_cycles += 1;
            return; // An answer will wake us.
        }
        let seq = self.head_seq + pos as u64;
        let job = &mut self.jobs[pos];
        let size =
            (u64::from(job.req.size) - job.next).min(u64::from(self.spec.access_bytes)) as u32;
        let access = MemReq {
            id: seq,
            addr: job.req.addr + job.next,
            size,
            kind: if job.req.kind == AccessKind::Write {
                AccessKind::Write
            } else {
                AccessKind::Read
            },
            issued_ps: now.0,
            split: job.req.split,
        };
        job.next += u64::from(size);
        job.in_flight += 1;
        self.outstanding += 1;
        self.stats.accesses += 1;
        self.last_issue = Some(now);
        ctx.send(DOWN, Msg::Req(access), Tick(0));
        ctx.progress();
        if self.jobs.iter().any(|j| j.next < u64::from(j.req.size)) {
            self.wake(Tick(now.0 + self.clock.period_ps()), ctx);
        }
    }

    /// Answers finished jobs at the front, in order.
    fn retire(&mut self, ctx: &mut Ctx) {
        while let Some(j) = self.jobs.front() {
            if j.next < u64::from(j.req.size) || j.in_flight > 0 {
                break;
            }
            let j = self.jobs.pop_front().expect("front exists");
            self.head_seq += 1;
            self.stats.jobs += 1;
            self.stats.bytes += u64::from(j.req.size);
            self.stats.job_latency_cycles += (ctx.now().0 - j.arrived.0) / self.clock.period_ps();
            ctx.send(UP, Msg::Resp(j.req), Tick(0));
        }
    }
}

impl Component for DmaEngine {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[&'static str] {
        &["up", "down"]
    }
    fn handle(&mut self, port: PortId, msg: Msg, ctx: &mut Ctx) {
        match (port, msg) {
            (UP, Msg::Req(req)) => {
                self.jobs.push_back(Job {
                    req,
                    arrived: ctx.now(),
                    next: 0,
                    in_flight: 0,
                });
                ctx.progress();
                if req.size == 0 {
                    self.retire(ctx);
                } else {
                    self.wake(ctx.now(), ctx);
                }
            }
            (DOWN, Msg::Resp(r)) => {
                let pos = (r.id - self.head_seq) as usize;
                let job = self
                    .jobs
                    .get_mut(pos)
                    .unwrap_or_else(|| panic!("{}: answer {} for no job", self.name, r.id));
                job.in_flight -= 1;
                self.outstanding -= 1;
                ctx.progress();
                self.retire(ctx);
                self.wake(ctx.now(), ctx);
            }
            (_, Msg::Wake(_)) => {
                if !self.alarm.ring(ctx.now()) {
                    return; // Superseded.
                }
                self.issue(ctx);
            }
            (p, other) => panic!(
                "{} @ {} ps: unexpected {other:?} on port {}",
                self.name,
                ctx.now().0,
                p.0
            ),
        }
    }
    fn outstanding(&self, out: &mut Vec<Outstanding>) {
        for j in &self.jobs {
            out.push(Outstanding {
                id: j.req.id,
                addr: j.req.addr,
                since: j.arrived,
                what: "DMA job",
            });
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{RunLimits, SimBuilder, Split};

    /// Answers every access after a fixed latency.
    struct FixedMemory {
        latency: Tick,
        seen: u64,
    }
    impl Component for FixedMemory {
        fn name(&self) -> &str {
            "mem"
        }
        fn ports(&self) -> &[&'static str] {
            &["up"]
        }
        fn handle(&mut self, _p: PortId, msg: Msg, ctx: &mut Ctx) {
            if let Msg::Req(r) = msg {
                self.seen += u64::from(r.size);
                ctx.send(PortId(0), Msg::Resp(r), self.latency);
                ctx.progress();
            }
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    /// Sends one job at time 0 and records when it is answered.
    struct Requester {
        job: MemReq,
        done: Option<Tick>,
    }
    impl Component for Requester {
        fn name(&self) -> &str {
            "req"
        }
        fn ports(&self) -> &[&'static str] {
            &["dma"]
        }
        fn setup(&mut self, ctx: &mut Ctx) {
            ctx.send(PortId(0), Msg::Req(self.job), Tick(0));
        }
        fn handle(&mut self, _p: PortId, msg: Msg, ctx: &mut Ctx) {
            if let Msg::Resp(r) = msg {
                assert_eq!(r, self.job, "the answer is the job's own request");
                self.done = Some(ctx.now());
                ctx.progress();
            }
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    /// Runs one job of `bytes`; returns (completion in cycles, bytes the memory saw).
    fn run(bytes: u32, window: u32, latency_cycles: u64) -> (u64, u64) {
        let clock = Clock::from_mhz(1000.0);
        let mut b = SimBuilder::new();
        let job = MemReq {
            id: 7,
            addr: 4096,
            size: bytes,
            kind: AccessKind::Read,
            issued_ps: 0,
            split: Split::Whole,
        };
        let r = b.add(Box::new(Requester { job, done: None }));
        let d = b.add(Box::new(DmaEngine::new(
            "dma",
            DmaSpec {
                access_bytes: 8,
                max_outstanding: window,
            },
            clock,
        )));
        let m = b.add(Box::new(FixedMemory {
            latency: clock.ticks(latency_cycles),
            seen: 0,
        }));
        // Links of one picosecond: negligible next to the cycle.
        b.connect(r, "dma", d, "up", Tick(1));
        b.connect(d, "down", m, "up", Tick(1));
        let fin = b.build().unwrap().run(RunLimits::default()).unwrap();
        let done = fin.get::<Requester>(r).unwrap().done.expect("answered");
        let seen = fin.get::<FixedMemory>(m).unwrap().seen;
        (done.0 / 1000, seen)
    }

    #[test]
    fn a_wide_window_streams_one_access_per_cycle() {
        // 512 B = 64 accesses, one per cycle, the last answered `latency` later:
        // about 63 + 20 cycles (plus the picosecond links).
        let (cycles, seen) = run(512, 32, 20);
        assert_eq!(seen, 512);
        assert!((83..=85).contains(&cycles), "{cycles}");
    }

    #[test]
    fn a_narrow_window_is_bound_by_latency() {
        // Window 4, latency 20: an access is reissued at the clock edge after its answer, so a
        // slot turns over every 21 cycles. 64 accesses = 16 rounds of 4: the last round starts at
        // 15 x 21, its fourth access 3 cycles later, answered 20 after that.
        let (cycles, _) = run(512, 4, 20);
        let expect = 15 * 21 + 3 + 20;
        assert!(
            (expect..=expect + 2).contains(&cycles),
            "{cycles} vs {expect}"
        );
    }

    #[test]
    fn an_odd_size_ends_with_a_short_access() {
        let (_, seen) = run(13, 8, 5);
        assert_eq!(seen, 13);
    }
}
