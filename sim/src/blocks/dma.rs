//! A DMA engine: an offload unit beside a core that moves memory in narrow accesses while the
//! requesting thread waits (or does something else).
//!
//! What it models: jobs arrive on `up`. A block job is one request whose `addr` and `size` give a
//! block in the memory below (`size` may be large); `kind` Read fetches it toward the requester
//! (a gather into local storage), Write sends it out (a scatter). An indexed job (see
//! [`indexed_job`]) first reads its index array, then moves one element per index, at addresses
//! the requester sends after the header as [`element`] messages (the requester computes the real
//! indices; the engine times the accesses). The engine cuts everything into `access_bytes`
//! accesses, issues at most one per cycle on `down` with at most `max_outstanding` in flight, and
//! answers a job with its original request (an indexed job's id without its flags) once every
//! access is answered. Jobs are served in arrival order; the next job's accesses follow the
//! previous job's without a gap, and may start while an indexed job waits for its indices. An
//! indexed job's element may start as soon as its own index is back (and the earlier elements
//! have started): the element accesses overlap the index reads still in flight.
//!
//! What it does not model: descriptor rings, address translation, the local write of gathered data
//! (the requester owns that timing), strided transfers as one job, and elements issued out of
//! order (an element whose index came back early still waits for the elements before it).

use std::any::Any;
use std::collections::VecDeque;

use crate::engine::{
    AccessKind, Alarm, Clock, Component, Ctx, MemReq, Msg, Outstanding, PortGroup, PortId, Split,
    Tick,
};

crate::stats_struct! {
    /// Counters of one DMA engine.
    pub struct DmaStats {
        jobs: Count = "Jobs (transfers) completed",
        indexed_jobs: Count = "Indexed (gather/scatter) jobs among them",
        bytes: Bytes = "Bytes moved (indexed jobs: indices and elements)",
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

/// Id bit of an indexed job's header on `up`.
const INDEXED: u64 = 1 << 62;
/// Id bit of an element message on `up`.
const ELEMENT: u64 = 1 << 61;
/// Where an indexed header keeps its element count and element size (in 8-byte words).
const COUNT_SHIFT: u32 = 32;
const COUNT_BITS: u32 = 24;
const WORDS_SHIFT: u32 = COUNT_SHIFT + COUNT_BITS;
const WORDS_MASK: u64 = (1 << (61 - WORDS_SHIFT)) - 1;
/// Access ids carry the job's sequence number shifted past this phase bit (set for elements).
const PHASE_ELEMENT: u64 = 1;

/// The header of an indexed job for `up`: `n` 8-byte indices at `index_addr`, then one element of
/// `elem_words` 8-byte words per index, read (`kind` Read, a gather) or written (Write, a scatter).
/// `id` (32 bits) comes back in the answer. Send the `n` [`element`] messages right after it.
pub fn indexed_job(id: u32, kind: AccessKind, index_addr: u64, n: u32, elem_words: u8) -> MemReq {
    assert!(
        u64::from(n) < 1 << COUNT_BITS,
        "at most 2^24 - 1 elements per job"
    );
    MemReq {
        id: INDEXED
            | u64::from(elem_words.max(1)) << WORDS_SHIFT
            | u64::from(n) << COUNT_SHIFT
            | u64::from(id),
        addr: index_addr,
        size: 8 * n,
        kind,
        issued_ps: 0,
        split: Split::Whole,
    }
}

/// One element's address of the indexed job sent just before.
pub fn element(addr: u64) -> MemReq {
    MemReq {
        id: ELEMENT,
        addr,
        size: 0,
        kind: AccessKind::Read,
        issued_ps: 0,
        split: Split::Whole,
    }
}

struct Job {
    /// The answer to send (for an indexed job, the header without its flags).
    req: MemReq,
    arrived: Tick,
    /// Next byte offset of the block (or the index array) to issue.
    next: u64,
    /// Block or index accesses issued and not yet answered.
    in_flight: u32,
    /// Indexed jobs: the elements' addresses (as they arrive), how many are expected, bytes per
    /// element, and the next element byte to issue (element `i`, offset `o` is `i * bytes + o`).
    elems: Vec<u64>,
    n_elems: u32,
    elem_bytes: u32,
    elem_next: u64,
    elem_in_flight: u32,
    /// Indexed jobs: which index-array accesses are answered (one flag per access), and how many
    /// bytes of the index array are answered without a gap from its start.
    index_done: Vec<bool>,
    index_ready: u64,
}

impl Job {
    fn elem_total(&self) -> u64 {
        u64::from(self.n_elems) * u64::from(self.elem_bytes)
    }
    /// Whether the job has an access it may issue now.
    fn can_issue(&self) -> bool {
        if self.next < u64::from(self.req.size) {
            return true;
        }
        // The next element starts once its index is back and its address has arrived.
        if self.elem_next >= self.elem_total() {
            return false;
        }
        let i = self.elem_next / u64::from(self.elem_bytes);
        (i as usize) < self.elems.len() && 8 * (i + 1) <= self.index_ready
    }
    fn finished(&self) -> bool {
        self.next >= u64::from(self.req.size)
            && self.in_flight == 0
            && self.elem_next >= self.elem_total()
            && self.elem_in_flight == 0
    }
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
    /// Emptied element lists and index flags, reused so a job allocates nothing once the engine
    /// is warm.
    spare: Vec<(Vec<u64>, Vec<bool>)>,
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
            spare: Vec::new(),
            stats: DmaStats::default(),
        }
    }

    /// Its counters so far.
    pub fn stats(&self) -> &DmaStats {
        &self.stats
    }

    /// Makes sure this component is woken no later than `at`.
    fn wake(&mut self, at: Tick, ctx: &mut Ctx) {
        self.alarm.set(self.clock, at, ctx);
    }

    /// Issues one access of the first job that has one ready, if the window allows.
    fn issue(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        if self.last_issue == Some(now) {
            self.wake(Tick(now.0 + 1), ctx);
            return;
        }
        let Some(pos) = self.jobs.iter().position(Job::can_issue) else {
            return;
        };
        if self.outstanding >= self.spec.max_outstanding {
            self.stats.window_full_cycles += 1;
            return; // An answer will wake us.
        }
        let seq = self.head_seq + pos as u64;
        let step = u64::from(self.spec.access_bytes);
        let job = &mut self.jobs[pos];
        let write = job.req.kind == AccessKind::Write;
        let (id, addr, size, kind, split) = if job.next < u64::from(job.req.size) {
            // The block, or an indexed job's index array (always read).
            let size = (u64::from(job.req.size) - job.next).min(step);
            let addr = job.req.addr + job.next;
            job.next += size;
            job.in_flight += 1;
            let read_only = job.n_elems > 0 || !write;
            let kind = if read_only {
                AccessKind::Read
            } else {
                AccessKind::Write
            };
            (seq << 1, addr, size, kind, job.req.split)
        } else {
            let (i, off) = (
                job.elem_next / u64::from(job.elem_bytes),
                job.elem_next % u64::from(job.elem_bytes),
            );
            let size = (u64::from(job.elem_bytes) - off).min(step);
            let addr = job.elems[i as usize] + off;
            job.elem_next += size;
            job.elem_in_flight += 1;
            let kind = if write {
                AccessKind::Write
            } else {
                AccessKind::Read
            };
            (seq << 1 | PHASE_ELEMENT, addr, size, kind, Split::Whole)
        };
        let access = MemReq {
            id,
            addr,
            size: size as u32,
            kind,
            issued_ps: now.0,
            split,
        };
        self.outstanding += 1;
        self.stats.accesses += 1;
        self.last_issue = Some(now);
        ctx.send(DOWN, Msg::Req(access), Tick(0));
        ctx.progress();
        if self.jobs.iter().any(Job::can_issue) {
            self.wake(Tick(now.0 + self.clock.period_ps()), ctx);
        }
    }

    /// Answers finished jobs at the front, in order.
    fn retire(&mut self, ctx: &mut Ctx) {
        while self.jobs.front().is_some_and(Job::finished) {
            let mut j = self.jobs.pop_front().expect("front exists");
            self.head_seq += 1;
            self.stats.jobs += 1;
            self.stats.bytes += u64::from(j.req.size) + j.elem_total();
            if j.n_elems > 0 {
                self.stats.indexed_jobs += 1;
            }
            self.stats.job_latency_cycles += self.clock.whole_cycles(ctx.now().0 - j.arrived.0);
            ctx.send(UP, Msg::Resp(j.req), Tick(0));
            j.elems.clear();
            j.index_done.clear();
            self.spare.push((
                std::mem::take(&mut j.elems),
                std::mem::take(&mut j.index_done),
            ));
        }
    }

    /// A job (or an indexed job's header) arrives.
    fn accept(&mut self, req: MemReq, ctx: &mut Ctx) {
        let mut job = Job {
            req,
            arrived: ctx.now(),
            next: 0,
            in_flight: 0,
            elems: Vec::new(),
            n_elems: 0,
            elem_bytes: 8,
            elem_next: 0,
            elem_in_flight: 0,
            index_done: Vec::new(),
            index_ready: 0,
        };
        if req.id & INDEXED != 0 {
            job.n_elems = ((req.id >> COUNT_SHIFT) & ((1 << COUNT_BITS) - 1)) as u32;
            job.elem_bytes = 8 * ((req.id >> WORDS_SHIFT) & WORDS_MASK).max(1) as u32;
            job.req.id = req.id & u64::from(u32::MAX);
            let (elems, mut done) = self.spare.pop().unwrap_or_default();
            let step = u64::from(self.spec.access_bytes);
            done.resize(u64::from(job.req.size).div_ceil(step) as usize, false);
            job.elems = elems;
            job.index_done = done;
        }
        self.jobs.push_back(job);
        ctx.progress();
        self.retire(ctx);
        self.wake(ctx.now(), ctx);
    }
}

impl Component for DmaEngine {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[PortGroup] {
        const PORTS: &[PortGroup] = &[PortGroup::one("up"), PortGroup::one("down")];
        PORTS
    }
    fn handle(&mut self, port: PortId, msg: Msg, ctx: &mut Ctx) {
        match (port, msg) {
            (UP, Msg::Req(req)) if req.id & ELEMENT != 0 => {
                let job = self
                    .jobs
                    .iter_mut()
                    .rev()
                    .find(|j| j.n_elems > 0)
                    .unwrap_or_else(|| panic!("{}: an element with no indexed job", self.name));
                assert!(
                    job.elems.len() < job.n_elems as usize,
                    "{}: more elements than the indexed job announced",
                    self.name
                );
                job.elems.push(req.addr);
                self.wake(ctx.now(), ctx);
            }
            (UP, Msg::Req(req)) => self.accept(req, ctx),
            (DOWN, Msg::Resp(r)) => {
                let pos = ((r.id >> 1) - self.head_seq) as usize;
                let job = self
                    .jobs
                    .get_mut(pos)
                    .unwrap_or_else(|| panic!("{}: answer {} for no job", self.name, r.id));
                if r.id & PHASE_ELEMENT != 0 {
                    job.elem_in_flight -= 1;
                } else {
                    job.in_flight -= 1;
                    if job.n_elems > 0 {
                        // An index access: the indices up to the first gap are known.
                        let step = u64::from(self.spec.access_bytes);
                        job.index_done[((r.addr - job.req.addr) / step) as usize] = true;
                        let size = u64::from(job.req.size);
                        while job.index_ready < size
                            && job.index_done[(job.index_ready / step) as usize]
                        {
                            job.index_ready = (job.index_ready + step).min(size);
                        }
                    }
                }
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
    fn collect_stats(&self, prefix: &str, out: &mut crate::stats::StatTree) {
        out.add(prefix, &self.stats);
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
    #[derive(Clone)]
    struct FixedMemory {
        latency: Tick,
        seen: u64,
        addrs: Vec<(u64, AccessKind)>,
    }
    impl Component for FixedMemory {
        fn name(&self) -> &str {
            "mem"
        }
        fn ports(&self) -> &[PortGroup] {
            const PORTS: &[PortGroup] = &[PortGroup::one("up")];
            PORTS
        }
        fn handle(&mut self, _p: PortId, msg: Msg, ctx: &mut Ctx) {
            if let Msg::Req(r) = msg {
                self.seen += u64::from(r.size);
                self.addrs.push((r.addr, r.kind));
                ctx.send(PortId(0), Msg::Resp(r), self.latency);
                ctx.progress();
            }
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    /// Sends one job at time 0 (and, for an indexed job, its elements) and records when it is
    /// answered.
    struct Requester {
        job: MemReq,
        elements: Vec<u64>,
        done: Option<Tick>,
    }
    impl Component for Requester {
        fn name(&self) -> &str {
            "req"
        }
        fn ports(&self) -> &[PortGroup] {
            const PORTS: &[PortGroup] = &[PortGroup::one("dma")];
            PORTS
        }
        fn setup(&mut self, ctx: &mut Ctx) {
            ctx.send(PortId(0), Msg::Req(self.job), Tick(0));
            for &a in &self.elements {
                ctx.send(PortId(0), Msg::Req(element(a)), Tick(0));
            }
        }
        fn handle(&mut self, _p: PortId, msg: Msg, ctx: &mut Ctx) {
            if let Msg::Resp(r) = msg {
                let expect = MemReq {
                    id: self.job.id & u64::from(u32::MAX),
                    ..self.job
                };
                assert_eq!(
                    r, expect,
                    "the answer is the job's own request, flags cleared"
                );
                self.done = Some(ctx.now());
                ctx.progress();
            }
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    /// Runs `job` (with `elements` after it); returns (completion in cycles, the memory).
    fn run_job(
        job: MemReq,
        elements: Vec<u64>,
        window: u32,
        latency_cycles: u64,
    ) -> (u64, FixedMemory) {
        let clock = Clock::from_mhz(1000.0);
        let mut b = SimBuilder::new();
        let r = b.add(Box::new(Requester {
            job,
            elements,
            done: None,
        }));
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
            addrs: Vec::new(),
        }));
        // Links of one picosecond: negligible next to the cycle.
        b.connect(r, "dma", d, "up", Tick(1));
        b.connect(d, "down", m, "up", Tick(1));
        let fin = b.build().unwrap().run(RunLimits::default()).unwrap();
        let done = fin.get::<Requester>(r).unwrap().done.expect("answered");
        (done.0 / 1000, fin.get::<FixedMemory>(m).unwrap().clone())
    }

    /// Runs one block job of `bytes`; returns (completion in cycles, bytes the memory saw).
    fn run(bytes: u32, window: u32, latency_cycles: u64) -> (u64, u64) {
        let job = MemReq {
            id: 7,
            addr: 4096,
            size: bytes,
            kind: AccessKind::Read,
            issued_ps: 0,
            split: Split::Whole,
        };
        let (cycles, mem) = run_job(job, Vec::new(), window, latency_cycles);
        (cycles, mem.seen)
    }

    #[test]
    fn an_indexed_gather_reads_the_indices_then_exactly_the_elements() {
        // 10 indices, 16-byte elements, a wide window, latency 20: the 10 index reads issue one
        // per cycle (cycles 0 to 9, answered at 20 to 29); element 0 starts at the edge after its
        // index is back (21), and the 20 element accesses issue one per cycle (each element's
        // index is back by then), the last at 40, answered at 60. Without the overlap the
        // elements would wait for the last index (30) and the job would end at 69.
        let n = 10u64;
        let elems: Vec<u64> = (0..n).map(|i| (1 << 20) + (i * 7919 % 1000) * 64).collect();
        let job = indexed_job(3, AccessKind::Read, 4096, n as u32, 2);
        let (cycles, mem) = run_job(job, elems.clone(), 64, 20);
        assert!((60..=62).contains(&cycles), "{cycles}");
        let (idx, data) = mem.addrs.split_at(n as usize);
        let want_idx: Vec<(u64, AccessKind)> =
            (0..n).map(|i| (4096 + 8 * i, AccessKind::Read)).collect();
        assert_eq!(idx, &want_idx[..]);
        let want: Vec<(u64, AccessKind)> = elems
            .iter()
            .flat_map(|&a| [(a, AccessKind::Read), (a + 8, AccessKind::Read)])
            .collect();
        assert_eq!(data, &want[..]);
        assert_eq!(mem.seen, 8 * n + 16 * n);
    }

    #[test]
    fn an_element_waits_for_its_own_index_only() {
        // Window 2, latency 10, 8-byte elements: index reads at 0 and 1 fill the window; index 0's
        // answer (10) frees a slot for index 2 at 11 and index 1's (11) one for element 0 at 12,
        // whose index is back. Had element 0 waited for all three indices (back at 21), the job
        // would end later than the closed form below.
        let elems = vec![1 << 20, (1 << 20) + 64, (1 << 20) + 128];
        let job = indexed_job(1, AccessKind::Read, 64, 3, 1);
        let (cycles, mem) = run_job(job, elems, 2, 10);
        assert_eq!(
            mem.addrs.iter().map(|a| a.0).collect::<Vec<_>>(),
            vec![64, 72, 80, 1 << 20, (1 << 20) + 64, (1 << 20) + 128],
        );
        // Element 0 issues at 12 (answered 22), index 2's answer (21) lets element 1 go at 22,
        // element 0's (22) frees the slot for element 2 at 23, answered at 33.
        assert!((33..=35).contains(&cycles), "{cycles}");
    }

    #[test]
    fn an_indexed_scatter_reads_indices_and_writes_elements() {
        let elems = vec![800, 8000, 80];
        let job = indexed_job(1, AccessKind::Write, 64, 3, 1);
        let (_, mem) = run_job(job, elems, 4, 5);
        assert_eq!(
            mem.addrs,
            vec![
                (64, AccessKind::Read),
                (72, AccessKind::Read),
                (80, AccessKind::Read),
                (800, AccessKind::Write),
                (8000, AccessKind::Write),
                (80, AccessKind::Write),
            ]
        );
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
