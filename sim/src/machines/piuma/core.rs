//! A PIUMA core: multithreaded in-order pipelines, single-thread pipelines, a scratchpad it owns,
//! and ports to its data cache and to the network.
//!
//! Models: each pipeline issues one operation per cycle, round-robin among its ready threads
//! (fine-grained multithreading, switching every cycle); a thread is not ready until its previous
//! operation's latency has passed, and blocks on a load or atomic until the answer arrives (stores
//! are posted), nor, on a multithreaded pipeline, until `mtp_issue_interval_cycles` have passed
//! since it last issued (default 1: no limit beyond latencies); core-wide barriers; the local
//! scratchpad's banks, ports and atomic unit; remote scratchpads and memory-side atomics through
//! the network; DRAM data through the data cache;
//! DMA transfers (block, or indexed gather/scatter) handed to the core's DMA engine, the thread
//! waiting for each. An indexed transfer's element addresses follow it in the program and go to
//! the engine in the same cycle (descriptor data, not instructions).
//!
//! A single-thread pipeline's thread (with `stp_max_loads` > 0) does not block on its loads: it
//! goes on issuing, and holds back an operation that needs loaded data until its loads are back.
//! The dependence model is coarse, with one "loaded data" register: any operation other than a
//! load needs every load in flight, and so does a load marked dependent
//! ([`crate::program::Op::dependent_load`], an address computed from loaded data); an independent
//! load waits only when `stp_max_loads` loads are beyond the core (misses and remote accesses; loads
//! of its own scratchpad and cache hits are pipelined and not counted).
//!
//! A `Fetch` operation marks a thread entering a code block: the core looks the block's lines up
//! in its instruction cache (tags only: instructions are never written); all present, it costs no
//! cycle and no issue slot; otherwise the thread waits for one read of the missing lines from DRAM.
//!
//! Does not model: register dependences finer than the above, out-of-order issue, branch
//! prediction, a fetch bandwidth limit (a block's lines arrive together).
//!
//! The data cache is a [`Cache`] the core owns and drives by direct calls (as it does its
//! scratchpad), so a hit costs no events: it is timed as if it had crossed the one-picosecond
//! wires to a separate cache and back. Misses, and hits that must wait behind stalled misses, go
//! through the cache's full request path; the cache's ports are the core's first two.
//!
//! Ports: `dcache_up` (the cache's answers to misses, looped back by a wire to `dcache_resp`),
//! `dcache_down` (the cache's line fetches and writebacks, to the mesh), `net` (remote
//! scratchpads, memory-side atomics, and requests from other cores to this core's scratchpad),
//! `dma` (the core's DMA engine), `dcache_resp`.

use std::any::Any;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::blocks::cache::{Cache, TagArray};
use crate::blocks::dma;
use crate::blocks::spad::Scratchpad;
use crate::engine::{PortGroup, 
    AccessKind, Alarm, Clock, Component, Ctx, MemReq, Msg, Outstanding, PortId, Split, Tick,
};
use crate::program::{DmaForm, Op, OpClass, Program};

/// The embedded data cache's ports are the core's ports from here: its `up[0]`, then its `down`.
const DCACHE_PORTS: PortId = PortId(0);
/// The cache's `up[0]` is the core's port 0 and its `down` the core's port 1.
const DCACHE_UP: PortId = PortId(0);
const DCACHE_DOWN: PortId = PortId(1);
const NET: PortId = PortId(2);
const DMA: PortId = PortId(3);
/// Where the cache's answers (sent out of `dcache_up`) come back in.
const DCACHE_RESP: PortId = PortId(4);
/// The one-way wire delay between the core and its data cache, as if it were a separate block.
const DCACHE_WIRE: Tick = Tick(1);
/// Cycles ahead the core's wheel of waiting threads covers (one bit per slot in a `u64`).
const WHEEL: u64 = 64;
/// Responses to posted stores carry this bit in their id and wake nobody.
const POSTED: u64 = 1 << 63;
/// Responses to a single-thread pipeline's non-blocking loads carry this bit in their id.
const NONBLOCKING: u64 = 1 << 62;
/// Operations a thread holds taken from its program (a SMASH partial product is about 7).
const OPS_AHEAD: usize = 8;

crate::stats_struct! {
    /// Counters of one PIUMA core.
    pub struct PiumaCoreStats {
        instructions: Count = "Operations issued",
        int_ops: Count = "Integer and branch operations",
        fp_ops: Count = "Floating-point operations",
        loads: Count = "Loads",
        stores: Count = "Stores",
        atomics: Count = "Atomic operations",
        local_spad_accesses: Count = "Accesses to this core's scratchpad",
        remote_spad_accesses: Count = "Accesses to another core's scratchpad (through the mesh)",
        dram_accesses: Count = "Loads and stores of DRAM data (through the data cache)",
        memory_side_atomics: Count = "Atomics on DRAM addresses, executed at the memory controller",
        barriers: Count = "Barrier operations",
        dma_jobs: Count = "Transfers handed to the core's DMA engine (the thread waits for each)",
        nonblocking_loads: Count = "Loads a single-thread pipeline's thread issued without waiting for their data",
        memory_stall_cycles: Cycles = "Thread-cycles spent waiting for loads (and instruction fetches that missed)",
        icache_hits: Count = "Instruction-cache lines found on entering a code block",
        icache_misses: Count = "Instruction-cache lines fetched from DRAM",
        atomic_stall_cycles: Cycles = "Thread-cycles spent waiting for atomics",
        barrier_stall_cycles: Cycles = "Thread-cycles spent waiting at barriers",
        wait_cycles: Cycles = "Thread-cycles spent in back-off while polling for work (pause operations)",
        pipeline_busy_cycles: Cycles = "Pipeline-cycles in which an operation issued",
        last_thread_done_cycle: Cycles = "Cycle at which the core's last thread finished",
        done_cycle_sum: Cycles = "Sum over the core's threads of the cycle each finished at",
    }
}

/// Where an address lives in PIUMA's global address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// DRAM.
    Dram,
    /// The scratchpad of core `0`, at the given offset.
    Spad(u32, u64),
}

/// The global address map: DRAM below `spad_base`, then one scratchpad per core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressMap {
    /// First scratchpad byte.
    pub spad_base: u64,
    /// Bytes per scratchpad.
    pub spad_bytes: u64,
}

impl AddressMap {
    /// Which space `addr` is in.
    #[inline]
    pub fn space(&self, addr: u64) -> Space {
        if addr < self.spad_base {
            Space::Dram
        } else {
            let off = addr - self.spad_base;
            if self.spad_bytes.is_power_of_two() {
                // The usual case, without a division on every access.
                let shift = self.spad_bytes.trailing_zeros();
                Space::Spad((off >> shift) as u32, off & (self.spad_bytes - 1))
            } else {
                Space::Spad((off / self.spad_bytes) as u32, off % self.spad_bytes)
            }
        }
    }
    /// The global address of `offset` in core `core`'s scratchpad.
    #[inline]
    pub fn spad(&self, core: u32, offset: u64) -> u64 {
        self.spad_base + core as u64 * self.spad_bytes + offset
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Ready,
    WaitLoad(Tick),
    WaitAtomic(Tick),
    /// A thread with non-blocking loads waits for its loads in flight (since the tick) before its
    /// held operation can issue.
    WaitLoads(Tick),
    Barrier(Tick),
    Done,
}

/// A hardware thread: everything issuing one of its operations touches, in one place. The fields
/// every issue reads come first, so they share the first of its cache lines on the host, and the
/// operations taken ahead follow.
#[repr(C, align(64))]
struct Thread {
    state: State,
    /// When the thread may issue next (meaningful while it is ready).
    ready_at: Tick,
    pipe: u16,
    lane: u8,
    /// Whether its loads are non-blocking (a single-thread pipeline's thread).
    nonblocking: bool,
    /// Operations taken from the program and not yet issued: `ops[ops_next..ops_len]`. Kept
    /// here, beside the rest of the thread, so issuing touches the program only to refill. An
    /// operation that must wait for the thread's loads is put back (`ops_next` steps back).
    ops_next: u8,
    ops_len: u8,
    /// Non-blocking loads in flight beyond the core.
    loads_out: u32,
    /// The latest completion of the non-blocking loads timed here.
    loads_done_at: Tick,
    /// Operations issued.
    instructions: u64,
    ops: [Op; OPS_AHEAD],
    program: Box<dyn Program>,
}

/// The fields every issue reads fit the first host cache line of a thread.
const _: () = assert!(std::mem::offset_of!(Thread, ops) <= 64);

impl Thread {
    /// The thread's next operation from its program, `None` once it has ended.
    #[inline]
    fn next_op(&mut self) -> Option<Op> {
        if self.ops_next == self.ops_len {
            self.ops_len = self.program.next_ops(&mut self.ops) as u8;
            self.ops_next = 0;
            if self.ops_len == 0 {
                return None;
            }
        }
        let op = self.ops[self.ops_next as usize];
        self.ops_next += 1;
        Some(op)
    }

    /// Puts back the operation [`Thread::next_op`] just returned, to be returned again.
    #[inline]
    fn put_back(&mut self) {
        self.ops_next -= 1;
    }
}

struct Pipe {
    first: usize,
    n: usize,
    rr: usize,
    /// Bit `lane` is set while that thread is ready and its `ready_at` has passed: it may issue
    /// (up to 64 threads per pipe). Ready threads whose time has not come wait in the core's wheel.
    eligible: u64,
    /// The last time this pipe issued (one operation per cycle).
    last_issue: Option<Tick>,
}

/// Core timing parameters.
#[derive(Debug, Clone, Copy)]
pub struct CoreTiming {
    /// Integer latency, cycles.
    pub int_cycles: u64,
    /// Floating-point latency, cycles.
    pub fp_cycles: u64,
    /// Cycles between two issues of one multithreaded pipeline's thread (1: no limit beyond
    /// latencies).
    pub mtp_issue_interval_cycles: u64,
}

/// Where a core sits and how fast it runs.
#[derive(Debug, Clone, Copy)]
pub struct CoreSetup {
    /// The core's index (its scratchpad is `map.spad(idx, ..)`).
    pub idx: u32,
    /// Its clock.
    pub clock: Clock,
    /// Operation latencies.
    pub timing: CoreTiming,
    /// The global address map.
    pub map: AddressMap,
    /// How many of the pipes, the last ones, are single-thread pipelines.
    pub stp_pipes: usize,
    /// Loads a single-thread pipeline's thread may have in flight without waiting (0: its loads
    /// block, as a multithreaded pipeline's do).
    pub stp_max_loads: u32,
    /// log2 of the instruction cache's line size.
    pub icache_line_shift: u32,
}

/// A PIUMA core component.
pub struct PiumaCore {
    name: String,
    idx: u32,
    clock: Clock,
    timing: CoreTiming,
    map: AddressMap,
    stp_max_loads: u32,
    spad: Scratchpad,
    /// The instruction cache's tags (instructions are never written, so no data or dirty state).
    icache: TagArray,
    icache_line_shift: u32,
    dcache: Cache,
    threads: Vec<Thread>,
    pipes: Vec<Pipe>,
    n_live: usize,
    n_at_barrier: usize,
    /// The wake-up the core waits for, if any (one per core, serving all its pipes).
    alarm: Alarm,
    /// The cycle the pending alarm rings at.
    alarm_cycle: u64,
    /// The cycle being run (operations issued now issue at its edge). Not `alarm_cycle`, which a
    /// barrier released during the cycle moves on.
    issue_cycle: u64,
    /// The multithreaded pipelines' issue interval, if longer than a cycle, and the first
    /// single-thread pipeline (its threads have no interval).
    mtp_gap: Option<Tick>,
    first_stp: usize,
    /// Ready threads waiting for a cycle less than `WHEEL` cycles ahead: slot `cycle % WHEEL`,
    /// one lane mask per pipe (`wheel[slot * pipes + pipe]`), and a bit per non-empty slot.
    wheel: Vec<u64>,
    wheel_busy: u64,
    /// Ready threads waiting for a cycle further ahead: (cycle, thread), earliest first.
    overflow: BinaryHeap<Reverse<(u64, u32)>>,
    /// The first cycle whose waiting threads have not yet been made eligible.
    next_drain: u64,
    /// The last ready time `make_ready` converted, and its cycle.
    last_ready: (Tick, u64),
    error: Option<String>,
    stats: PiumaCoreStats,
}

impl PiumaCore {
    /// A core with pipelines of the given sizes (`pipe_sizes[p]` threads each) running `programs`
    /// (one per thread, in pipeline order).
    pub fn new(
        name: &str,
        setup: CoreSetup,
        spad: Scratchpad,
        icache: TagArray,
        dcache: Cache,
        pipe_sizes: &[usize],
        programs: Vec<Box<dyn Program>>,
    ) -> PiumaCore {
        let CoreSetup {
            idx,
            clock,
            timing,
            map,
            stp_pipes,
            stp_max_loads,
            icache_line_shift,
        } = setup;
        let first_stp = pipe_sizes.len().saturating_sub(stp_pipes);
        assert_eq!(
            pipe_sizes.iter().sum::<usize>(),
            programs.len(),
            "one program per thread"
        );
        let mut pipes = Vec::new();
        let mut first = 0;
        for &n in pipe_sizes {
            pipes.push(Pipe {
                first,
                n,
                rr: 0,
                // Every thread may issue at time 0.
                eligible: if n == 64 { u64::MAX } else { (1u64 << n) - 1 },
                last_issue: None,
            });
            first += n;
        }
        let n_live = programs.len();
        let n_pipes = pipes.len();
        PiumaCore {
            name: name.to_string(),
            idx,
            clock,
            timing,
            map,
            stp_max_loads,
            spad,
            icache,
            icache_line_shift,
            dcache,
            threads: programs
                .into_iter()
                .enumerate()
                .map(|(t, program)| {
                    let p = pipes
                        .iter()
                        .position(|p: &Pipe| t >= p.first && t < p.first + p.n)
                        .expect("every thread has a pipe");
                    Thread {
                        program,
                        state: State::Ready,
                        ready_at: Tick(0),
                        instructions: 0,
                        pipe: p as u16,
                        lane: (t - pipes[p].first) as u8,
                        nonblocking: p >= first_stp && stp_max_loads > 0,
                        loads_out: 0,
                        loads_done_at: Tick(0),
                        ops_next: 0,
                        ops_len: 0,
                        ops: [Op::mem(OpClass::Int, 0, 0); OPS_AHEAD],
                    }
                })
                .collect(),
            mtp_gap: (timing.mtp_issue_interval_cycles > 1)
                .then(|| clock.ticks(timing.mtp_issue_interval_cycles)),
            first_stp,
            pipes,
            n_live,
            n_at_barrier: 0,
            alarm: Alarm::default(),
            alarm_cycle: 0,
            issue_cycle: 0,
            wheel: vec![0; WHEEL as usize * n_pipes],
            wheel_busy: 0,
            overflow: BinaryHeap::new(),
            next_drain: 0,
            last_ready: (Tick(0), 0),
            error: None,
            stats: PiumaCoreStats::default(),
        }
    }

    /// Core counters.
    pub fn stats(&self) -> &PiumaCoreStats {
        &self.stats
    }

    /// Operations issued by each thread.
    pub fn thread_instructions(&self) -> impl Iterator<Item = u64> + '_ {
        self.threads.iter().map(|th| th.instructions)
    }

    /// A program error, if one stopped a thread.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn cycles(&self, from: Tick, to: Tick) -> u64 {
        self.clock.whole_cycles(to.0 - from.0)
    }

    /// Changes thread `t`'s state. A thread that becomes ready must also be given to
    /// [`PiumaCore::make_ready`] with the time it may issue.
    #[inline]
    fn set_state(&mut self, t: usize, state: State) {
        let th = &mut self.threads[t];
        th.state = state;
        if state != State::Ready {
            self.pipes[th.pipe as usize].eligible &= !(1u64 << th.lane);
        }
    }

    /// Ready thread `t` may issue from `self.threads[t].ready_at` on: it becomes eligible at once if that
    /// cycle's waiting threads have already been made eligible, and otherwise waits for it in the
    /// wheel (or, more than `WHEEL` cycles ahead, in the overflow list). Idempotent.
    /// Returns the cycle the thread may issue at.
    #[inline(always)]
    fn make_ready(&mut self, t: usize) -> u64 {
        // The first cycle whose edge is at or after `ready_at`. Threads made ready together often
        // share their time (the next cycle), so the last conversion is kept.
        let at = self.threads[t].ready_at;
        let cycle = if at == self.last_ready.0 {
            self.last_ready.1
        } else {
            let c = self.clock.cycle_at_or_after(at).0;
            self.last_ready = (at, c);
            c
        };
        let (p, bit) = (self.threads[t].pipe as usize, 1u64 << self.threads[t].lane);
        if cycle < self.next_drain {
            self.pipes[p].eligible |= bit;
        } else if cycle - self.next_drain < WHEEL {
            let slot = (cycle % WHEEL) as usize;
            self.wheel[slot * self.pipes.len() + p] |= bit;
            self.wheel_busy |= 1 << slot;
        } else {
            self.overflow.push(Reverse((cycle, t as u32)));
        }
        cycle
    }

    /// Makes eligible every thread waiting for a cycle up to `cycle`.
    fn drain(&mut self, cycle: u64) {
        if cycle < self.next_drain {
            return;
        }
        let span = cycle - self.next_drain + 1;
        let window = if span >= WHEEL {
            u64::MAX
        } else {
            ((1u64 << span) - 1).rotate_left((self.next_drain % WHEEL) as u32)
        };
        let mut due = self.wheel_busy & window;
        self.wheel_busy &= !due;
        let n_pipes = self.pipes.len();
        while due != 0 {
            let slot = due.trailing_zeros() as usize;
            due &= due - 1;
            for p in 0..n_pipes {
                self.pipes[p].eligible |= std::mem::take(&mut self.wheel[slot * n_pipes + p]);
            }
        }
        while let Some(&Reverse((c, t))) = self.overflow.peek() {
            if c > cycle {
                break;
            }
            self.overflow.pop();
            let th = &self.threads[t as usize];
            self.pipes[th.pipe as usize].eligible |= 1u64 << th.lane;
        }
        self.next_drain = cycle + 1;
    }

    /// The next cycle at which some thread may issue, if any thread is ready.
    fn next_issue_cycle(&self) -> Option<u64> {
        if self.pipes.iter().any(|p| p.eligible != 0) {
            return Some(self.next_drain);
        }
        let in_wheel = (self.wheel_busy != 0).then(|| {
            let from = (self.next_drain % WHEEL) as u32;
            self.next_drain + u64::from(self.wheel_busy.rotate_right(from).trailing_zeros())
        });
        let in_overflow = self.overflow.peek().map(|&Reverse((c, _))| c);
        match (in_wheel, in_overflow) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Makes sure this component is woken no later than `at`.
    fn wake(&mut self, at: Tick, ctx: &mut Ctx) {
        self.wake_cycle(self.clock.cycle_at_or_after(at.max(ctx.now())).0, ctx);
    }

    /// Makes sure this component is woken no later than cycle `cycle` (not before now).
    #[inline]
    fn wake_cycle(&mut self, cycle: u64, ctx: &mut Ctx) {
        if self.alarm.set_edge(self.clock.ticks(cycle), ctx) {
            self.alarm_cycle = cycle;
        }
    }

    /// A request of thread `t` issued at `now`; a posted one (a store) is answered to nobody.
    fn request(t: usize, kind: AccessKind, addr: u64, size: u32, now: Tick) -> MemReq {
        let posted = if kind == AccessKind::Write { POSTED } else { 0 };
        MemReq {
            id: posted | t as u64,
            addr,
            size,
            kind,
            issued_ps: now.0,
            split: Split::Whole,
        }
    }

    /// Thread `t`'s access issued at `now` and timed here (a local scratchpad access or a data
    /// cache hit) completes at `done`: a blocking one waits for it, a posted store for the next cycle.
    fn complete_at(&mut self, t: usize, kind: AccessKind, now: Tick, done: Tick) {
        let th = &mut self.threads[t];
        if kind == AccessKind::Write || (kind == AccessKind::Read && th.nonblocking) {
            if kind == AccessKind::Read {
                th.loads_done_at = th.loads_done_at.max(done);
            }
            th.ready_at = Tick(now.0 + self.clock.period_ps());
            return;
        }
        self.threads[t].ready_at = done;
        self.count_stall(kind, self.cycles(now, done));
    }

    /// Counts `stall` thread-cycles waiting for a blocking access of `kind`.
    #[inline]
    fn count_stall(&mut self, kind: AccessKind, stall: u64) {
        if kind == AccessKind::Atomic {
            self.stats.atomic_stall_cycles += stall;
        } else {
            self.stats.memory_stall_cycles += stall;
        }
    }

    /// [`PiumaCore::complete_at`] for an access timed in cycles (a local scratchpad access),
    /// issued in this cycle and complete at cycle `done`: no tick-to-cycle division.
    fn complete_at_cycle(&mut self, t: usize, kind: AccessKind, now: Tick, done: u64) {
        let done_at = self.clock.ticks(done);
        let th = &self.threads[t];
        if kind == AccessKind::Write || (kind == AccessKind::Read && th.nonblocking) {
            self.complete_at(t, kind, now, done_at);
            return;
        }
        self.threads[t].ready_at = done_at;
        // The thread becomes ready at `done_at`: `make_ready` finds its cycle here.
        self.last_ready = (done_at, done);
        self.count_stall(kind, done - self.issue_cycle);
    }

    /// The earliest thread `t`, which issued at `issued`, may issue again under the multithreaded
    /// pipelines' issue interval (time 0 if it has none).
    #[inline]
    fn interval_end(&self, t: usize, issued: Tick) -> Tick {
        match self.mtp_gap {
            Some(gap) if (self.threads[t].pipe as usize) < self.first_stp => Tick(issued.0 + gap.0),
            _ => Tick(0),
        }
    }

    /// Issues one operation of thread `t` at `now`.
    fn issue(&mut self, t: usize, op: Op, ctx: &mut Ctx) {
        let now = ctx.now();
        self.stats.instructions += 1;
        match op.class {
            OpClass::Int | OpClass::Branch => {
                self.stats.int_ops += 1;
                self.threads[t].ready_at = Tick(now.0 + self.clock.ticks(self.timing.int_cycles).0);
            }
            OpClass::Fp | OpClass::Mac | OpClass::Simd => {
                self.stats.fp_ops += 1;
                self.threads[t].ready_at = Tick(now.0 + self.clock.ticks(self.timing.fp_cycles).0);
            }
            OpClass::Barrier => {
                self.stats.barriers += 1;
                self.set_state(t, State::Barrier(now));
                self.n_at_barrier += 1;
                self.maybe_release_barrier(ctx);
            }
            OpClass::Pause => {
                let cycles = u64::from(op.size.max(1));
                self.stats.wait_cycles += cycles;
                self.threads[t].ready_at = Tick(now.0 + self.clock.ticks(cycles).0);
            }
            OpClass::Dma => {
                // A transfer into the core (a gather) or out of it (a scatter); the thread waits.
                self.stats.dma_jobs += 1;
                let kind = if op.dma_out() {
                    AccessKind::Write
                } else {
                    AccessKind::Read
                };
                match op.dma_form() {
                    DmaForm::Block => {
                        let job = MemReq {
                            id: t as u64,
                            ..Self::request(t, kind, op.addr, op.size, now)
                        };
                        ctx.send(DMA, Msg::Req(job), Tick(0));
                    }
                    DmaForm::Indexed { elem_bytes } => {
                        let header = dma::indexed_job(
                            t as u32,
                            kind,
                            op.addr,
                            op.size,
                            (elem_bytes / 8) as u8,
                        );
                        ctx.send(DMA, Msg::Req(header), Tick(0));
                        // The element addresses follow in the program: descriptor data, sent along
                        // with the header in the same cycle.
                        for _ in 0..op.size {
                            let e = self.threads[t].next_op();
                            let Some(e) = e.filter(|e| {
                                e.class == OpClass::Dma && e.dma_form() == DmaForm::Element
                            }) else {
                                panic!("{}: thread {t}'s indexed DMA of {} elements is followed by {e:?}, not an element address", self.name, op.size);
                            };
                            ctx.send(DMA, Msg::Req(dma::element(e.addr)), Tick(0));
                        }
                    }
                    DmaForm::Element => panic!(
                        "{}: thread {t} issued a DMA element address with no indexed DMA before it",
                        self.name
                    ),
                }
                self.set_state(t, State::WaitLoad(now));
            }
            OpClass::Load | OpClass::Fetch | OpClass::Store | OpClass::Atomic => {
                let kind = match op.class {
                    OpClass::Store => {
                        self.stats.stores += 1;
                        AccessKind::Write
                    }
                    OpClass::Atomic => {
                        self.stats.atomics += 1;
                        AccessKind::Atomic
                    }
                    _ => {
                        self.stats.loads += 1;
                        AccessKind::Read
                    }
                };
                if kind == AccessKind::Read && self.threads[t].nonblocking {
                    self.stats.nonblocking_loads += 1;
                }
                match self.map.space(op.addr) {
                    Space::Spad(core, off) if core == self.idx => {
                        self.stats.local_spad_accesses += 1;
                        // The core and its scratchpad share a clock, and `now` is this cycle's edge.
                        debug_assert_eq!(self.clock.ticks(self.issue_cycle), now);
                        let done = self.spad.access_cycle(kind, off, op.size, self.issue_cycle);
                        self.complete_at_cycle(t, kind, now, done);
                    }
                    space => {
                        let mut req = Self::request(t, kind, op.addr, op.size.max(1), now);
                        let nonblocking = kind == AccessKind::Read && self.threads[t].nonblocking;
                        if nonblocking {
                            req.id |= NONBLOCKING;
                        }
                        match (space, kind) {
                            (Space::Spad(..), _) => {
                                self.stats.remote_spad_accesses += 1;
                                ctx.send(NET, Msg::Req(req), Tick(0));
                            }
                            (Space::Dram, AccessKind::Atomic) => {
                                self.stats.memory_side_atomics += 1;
                                ctx.send(NET, Msg::Req(req), Tick(0));
                            }
                            (Space::Dram, _) => {
                                self.stats.dram_accesses += 1;
                                if let Some(delay) = self.dcache.try_hit(&req, now) {
                                    // Timed as if the answer had crossed the wires back.
                                    let done = Tick(now.0 + delay.0 + 2 * DCACHE_WIRE.0);
                                    self.complete_at(t, kind, now, done);
                                    ctx.progress();
                                    return;
                                }
                                self.dcache.handle(
                                    DCACHE_UP,
                                    Msg::Req(req),
                                    &mut ctx.embedded(DCACHE_PORTS),
                                );
                            }
                        }
                        match kind {
                            _ if nonblocking => {
                                self.threads[t].loads_out += 1;
                                self.threads[t].ready_at = Tick(now.0 + self.clock.period_ps());
                            }
                            AccessKind::Write => {
                                self.threads[t].ready_at = Tick(now.0 + self.clock.period_ps())
                            }
                            AccessKind::Atomic => self.set_state(t, State::WaitAtomic(now)),
                            _ => self.set_state(t, State::WaitLoad(now)),
                        }
                    }
                }
            }
        }
    }

    fn maybe_release_barrier(&mut self, ctx: &mut Ctx) {
        if self.n_at_barrier == 0 || self.n_at_barrier < self.n_live {
            return;
        }
        let now = ctx.now();
        let release = Tick(now.0 + self.clock.period_ps());
        for t in 0..self.threads.len() {
            if let State::Barrier(since) = self.threads[t].state {
                self.stats.barrier_stall_cycles += self.cycles(since, now);
                self.set_state(t, State::Ready);
                self.threads[t].ready_at = release.max(self.interval_end(t, since));
                self.make_ready(t);
            }
        }
        self.n_at_barrier = 0;
        self.wake(release, ctx);
    }

    /// One cycle: every pipe that has not issued at this time issues one operation from its next
    /// eligible thread (round-robin); then the core sleeps until some thread can issue.
    fn run_cycle(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        // Woken by the alarm, whose cycle is known.
        debug_assert_eq!(self.clock.ticks(self.alarm_cycle), now);
        self.issue_cycle = self.alarm_cycle;
        self.drain(self.issue_cycle);
        for p in 0..self.pipes.len() {
            let mask = self.pipes[p].eligible;
            if mask == 0 || self.pipes[p].last_issue == Some(now) {
                continue;
            }
            // The first eligible lane at or after `rr`, else the first before it.
            let (first, n, rr) = (self.pipes[p].first, self.pipes[p].n, self.pipes[p].rr);
            let low = if rr >= 64 { u64::MAX } else { (1u64 << rr) - 1 };
            let from_rr = mask & !low;
            let lane = if from_rr != 0 { from_rr } else { mask }.trailing_zeros() as usize;
            let t = first + lane;
            self.pipes[p].eligible &= !(1u64 << lane);
            self.pipes[p].rr = if lane + 1 == n { 0 } else { lane + 1 };
            self.pipes[p].last_issue = Some(now);
            let th = &mut self.threads[t];
            let mut op = th.next_op();
            // Entering a code block costs nothing while its lines are in the instruction cache.
            let mut fetching = false;
            while let Some(block) = op.filter(|op| op.class == OpClass::Fetch) {
                if self.fetch_code(t, block, now, ctx) {
                    fetching = true;
                    break;
                }
                op = self.threads[t].next_op();
            }
            if fetching || (self.threads[t].nonblocking && self.wait_for_loads(t, op, now)) {
                // The thread waits for its code, or for the loads its operation needs.
            } else {
                match op {
                    Some(op) => {
                        self.stats.pipeline_busy_cycles += 1;
                        self.threads[t].instructions += 1;
                        self.issue(t, op, ctx);
                        if self.mtp_gap.is_some() {
                            let end = self.interval_end(t, now);
                            let th = &mut self.threads[t];
                            th.ready_at = th.ready_at.max(end);
                        }
                    }
                    None => {
                        if let Some(e) = self.threads[t].program.error() {
                            self.error.get_or_insert(e.to_string());
                        }
                        self.finish_thread(t, ctx);
                    }
                }
            }
            if self.threads[t].state == State::Ready {
                self.make_ready(t);
            }
            ctx.progress();
        }
        if let Some(cycle) = self.next_issue_cycle() {
            self.wake_cycle(cycle, ctx);
        }
    }

    /// Thread `t` enters the code block `block` (a fetch of `block.size` bytes at `block.addr`):
    /// true if some of its lines missed in the instruction cache, and the thread now waits for
    /// them to come from DRAM (one read of the missing span, through the network). A line counts
    /// as present from its miss on.
    fn fetch_code(&mut self, t: usize, block: Op, now: Tick, ctx: &mut Ctx) -> bool {
        let shift = self.icache_line_shift;
        let first = block.addr >> shift;
        let last = (block.addr + u64::from(block.size.max(1)) - 1) >> shift;
        let mut missing: Option<(u64, u64)> = None;
        for line in first..=last {
            if self.icache.access(line, true, false).is_some() {
                self.stats.icache_hits += 1;
            } else {
                self.stats.icache_misses += 1;
                self.icache.fill(line, false, false);
                missing = Some(missing.map_or((line, line), |(from, _)| (from, line)));
            }
        }
        let Some((from, to)) = missing else {
            return false;
        };
        let bytes = ((to - from + 1) << shift) as u32;
        let req = Self::request(t, AccessKind::Read, from << shift, bytes, now);
        ctx.send(NET, Msg::Req(req), Tick(0));
        self.set_state(t, State::WaitLoad(now));
        true
    }

    /// Whether thread `t`, whose loads do not block, must first wait for loads in flight before
    /// `op` (`None`: the end of its program) can issue; if so the operation is held and the
    /// thread waits. An independent load waits only when the most loads are already in flight;
    /// a dependent load, any other operation and the end wait for every load.
    fn wait_for_loads(&mut self, t: usize, op: Option<Op>, now: Tick) -> bool {
        let th = &mut self.threads[t];
        let independent_load =
            matches!(op, Some(op) if op.class == OpClass::Load && !op.is_dependent_load());
        let free = if independent_load {
            th.loads_out < self.stp_max_loads
        } else {
            th.loads_out == 0 && th.loads_done_at <= now
        };
        if free {
            return false;
        }
        if op.is_some() {
            th.put_back();
        }
        if th.loads_out > 0 {
            self.set_state(t, State::WaitLoads(now));
        } else {
            // Only loads timed here are left: the thread may go on once the last is back.
            let done = th.loads_done_at;
            th.ready_at = done;
            self.stats.memory_stall_cycles += self.cycles(now, done);
        }
        true
    }

    fn finish_thread(&mut self, t: usize, ctx: &mut Ctx) {
        self.set_state(t, State::Done);
        self.n_live -= 1;
        self.stats.last_thread_done_cycle = self.clock.cycle_at(ctx.now()).0;
        self.stats.done_cycle_sum += self.clock.cycle_at(ctx.now()).0;
        self.maybe_release_barrier(ctx);
    }
}

impl Component for PiumaCore {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[PortGroup] {
        const PORTS: &[PortGroup] = &[PortGroup::one("dcache_up"), PortGroup::one("dcache_down"), PortGroup::one("net"), PortGroup::one("dma"), PortGroup::one("dcache_resp")];
        PORTS
    }
    fn setup(&mut self, ctx: &mut Ctx) {
        self.wake(Tick(0), ctx);
    }
    fn handle(&mut self, port: PortId, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Wake(_) => {
                if !self.alarm.ring(ctx.now()) {
                    return; // Superseded.
                }
                self.run_cycle(ctx);
            }
            Msg::Resp(r) if port == DCACHE_DOWN => {
                self.dcache
                    .handle(DCACHE_DOWN, Msg::Resp(r), &mut ctx.embedded(DCACHE_PORTS));
            }
            Msg::Resp(r) if matches!(port, NET | DMA | DCACHE_RESP) => {
                if r.id & POSTED != 0 {
                    return;
                }
                let now = ctx.now();
                if r.id & NONBLOCKING != 0 {
                    let t = (r.id & !NONBLOCKING) as usize;
                    self.threads[t].loads_out -= 1;
                    if let State::WaitLoads(since) = self.threads[t].state {
                        self.stats.memory_stall_cycles += self.cycles(since, now);
                        self.set_state(t, State::Ready);
                        self.threads[t].ready_at = now;
                        let cycle = self.make_ready(t);
                        self.wake_cycle(cycle, ctx);
                    }
                    ctx.progress();
                    return;
                }
                let t = r.id as usize;
                let since = match self.threads[t].state {
                    State::WaitLoad(since) => {
                        self.stats.memory_stall_cycles += self.cycles(since, now);
                        since
                    }
                    State::WaitAtomic(since) => {
                        self.stats.atomic_stall_cycles += self.cycles(since, now);
                        since
                    }
                    _ => panic!(
                        "{} @ {} ps: response for thread {t}, which is not waiting",
                        self.name, now.0
                    ),
                };
                self.set_state(t, State::Ready);
                self.threads[t].ready_at = now.max(self.interval_end(t, since));
                // The first edge at or after ready_at: where the thread may issue, and the core's wake.
                let cycle = self.make_ready(t);
                ctx.progress();
                self.wake_cycle(cycle, ctx);
            }
            Msg::Req(req) if port == NET => {
                // Another core's access to this core's scratchpad.
                let Space::Spad(core, off) = self.map.space(req.addr) else {
                    panic!(
                        "{} @ {} ps: DRAM request {req:?} routed to a core",
                        self.name,
                        ctx.now().0
                    );
                };
                assert_eq!(
                    core, self.idx,
                    "{}: request for core {core}'s scratchpad",
                    self.name
                );
                let now = ctx.now();
                let done = self.spad.access(req.kind, off, req.size, now);
                if req.kind.wants_data() {
                    ctx.send(NET, Msg::Resp(req), Tick(done.0 - now.0));
                }
                ctx.progress();
            }
            other => panic!(
                "{} @ {} ps: unexpected {other:?} on port {}",
                self.name,
                ctx.now().0,
                port.0
            ),
        }
    }
    fn outstanding(&self, out: &mut Vec<Outstanding>) {
        self.dcache.outstanding(out);
        for (t, th) in self.threads.iter().enumerate() {
            match th.state {
                State::WaitLoad(since) | State::WaitLoads(since) => out.push(Outstanding {
                    id: t as u64,
                    addr: 0,
                    since,
                    what: "thread waiting for a load",
                }),
                State::WaitAtomic(since) => out.push(Outstanding {
                    id: t as u64,
                    addr: 0,
                    since,
                    what: "thread waiting for an atomic",
                }),
                State::Barrier(since) => out.push(Outstanding {
                    id: t as u64,
                    addr: 0,
                    since,
                    what: "thread at a barrier",
                }),
                _ => {}
            }
        }
    }
    fn finish(&mut self, now: Tick) {
        self.dcache.finish(now);
    }
    fn collect_stats(&self, prefix: &str, out: &mut crate::stats::StatTree) {
        out.add(prefix, &self.stats);
        out.add(&format!("{prefix}.spad"), &self.spad.stats());
        out.add(&format!("{prefix}.dcache"), self.dcache.stats());
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
