//! A memory-only core that replays a [`Program`] (usually a trace): it issues one memory access per
//! cycle, keeps at most `max_outstanding` in flight, and splits an access that straddles a line
//! boundary into one access per line.
//!
//! Models: issue bandwidth (one access per cycle) and memory-level parallelism (the window). Does not
//! model: instruction execution, dependences or the time between memory operations. With
//! `max_outstanding = 1` accesses reach the first level strictly in program order, one at a time,
//! which is what cachegrind assumes.
//!
//! Ports: `inst` (fetches) and `data` (loads, stores, atomics).

use std::any::Any;

use crate::engine::{
    AccessKind, Clock, Component, Ctx, MemReq, Msg, Outstanding, PortGroup, PortId, Split, Tick,
};
use crate::program::trace::TraceError;
use crate::program::{Op, OpClass, Program};

const INST: PortId = PortId(0);
const DATA: PortId = PortId(1);

crate::stats_struct! {
    /// Counters of the trace core.
    pub struct TraceCoreStats {
        fetches: Count = "Instruction fetch accesses issued (after line splitting)",
        loads: Count = "Load accesses issued (after line splitting)",
        stores: Count = "Store accesses issued (after line splitting)",
        atomics: Count = "Atomic accesses issued (after line splitting)",
        ops: Count = "Operations read from the program",
        line_splits: Count = "Extra accesses created because an operation straddled a line",
        skipped_ops: Count = "Non-memory operations (ignored by this core)",
        responses: Count = "Responses received",
        latency_ps: Picoseconds = "Sum of issue-to-response times",
        window_full_cycles: Cycles = "Cycles with an access ready but the window full",
    }
}

/// The trace-replaying core.
pub struct TraceCore {
    name: String,
    clock: Clock,
    program: Box<dyn Program>,
    line_bytes: u64,
    max_outstanding: u64,
    outstanding: u64,
    /// The rest of an operation that straddles lines: (class, next address, end address).
    split: Option<(OpClass, u64, u64)>,
    next_issue: Tick,
    wake_pending: bool,
    window_full_since: Option<Tick>,
    done: bool,
    next_id: u64,
    oldest: Tick,
    stats: TraceCoreStats,
}

impl TraceCore {
    /// A core at `clock` replaying `program`, splitting accesses at `line_bytes` (a power of two).
    pub fn new(
        name: &str,
        clock: Clock,
        program: Box<dyn Program>,
        line_bytes: u64,
        max_outstanding: u64,
    ) -> TraceCore {
        assert!(line_bytes.is_power_of_two() && max_outstanding >= 1);
        TraceCore {
            name: name.to_string(),
            clock,
            program,
            line_bytes,
            max_outstanding,
            outstanding: 0,
            split: None,
            next_issue: Tick(0),
            wake_pending: false,
            window_full_since: None,
            done: false,
            next_id: 0,
            oldest: Tick(0),
            stats: TraceCoreStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &TraceCoreStats {
        &self.stats
    }

    /// The error that stopped the program, if any.
    pub fn error(&self) -> Option<&TraceError> {
        self.program.error()
    }

    /// The next single-line access, or `None` at the end of the program.
    fn next_access(&mut self) -> Option<(OpClass, u64, u64)> {
        let (class, addr, end) = match self.split.take() {
            Some(s) => {
                self.stats.line_splits += 1;
                s
            }
            None => loop {
                let Op {
                    class, addr, size, ..
                } = self.program.next_op()?;
                self.stats.ops += 1;
                if class.is_memory() && class != OpClass::Dma {
                    break (class, addr, addr + size.max(1) as u64);
                }
                self.stats.skipped_ops += 1;
            },
        };
        let line_end = (addr | (self.line_bytes - 1)) + 1;
        if end > line_end {
            self.split = Some((class, line_end, end));
        }
        Some((class, addr, end.min(line_end)))
    }

    fn issue_one(&mut self, ctx: &mut Ctx) -> bool {
        if self.done {
            return false;
        }
        let continuing = self.split.is_some();
        let Some((class, addr, end)) = self.next_access() else {
            self.done = true;
            return false;
        };
        let (port, kind) = match class {
            OpClass::Fetch => {
                self.stats.fetches += 1;
                (INST, AccessKind::Inst)
            }
            OpClass::Store => {
                self.stats.stores += 1;
                (DATA, AccessKind::Write)
            }
            OpClass::Atomic => {
                self.stats.atomics += 1;
                (DATA, AccessKind::Atomic)
            }
            _ => {
                self.stats.loads += 1;
                (DATA, AccessKind::Read)
            }
        };
        self.next_id += 1;
        if self.outstanding == 0 {
            self.oldest = ctx.now();
        }
        self.outstanding += 1;
        let req = MemReq {
            id: self.next_id,
            addr,
            size: (end - addr) as u32,
            kind,
            issued_ps: ctx.now().0,
            split: match (continuing, self.split.is_some()) {
                (true, _) => Split::Rest,
                (false, true) => Split::First,
                (false, false) => Split::Whole,
            },
        };
        ctx.send(port, Msg::Req(req), Tick(0));
        self.next_issue = Tick(ctx.now().0 + self.clock.period_ps());
        true
    }

    /// Issues now if allowed, else arranges a wake-up for the next issue slot.
    fn pump(&mut self, ctx: &mut Ctx) {
        if self.done || self.wake_pending {
            return;
        }
        if self.outstanding >= self.max_outstanding {
            if self.window_full_since.is_none() {
                self.window_full_since = Some(ctx.now());
            }
            return;
        }
        if let Some(since) = self.window_full_since.take() {
            self.stats.window_full_cycles += self.clock.whole_cycles(ctx.now().0 - since.0);
        }
        if ctx.now() >= self.next_issue {
            if self.issue_one(ctx) && self.outstanding < self.max_outstanding {
                self.wake_pending = true;
                ctx.wake_after(self.clock.ticks(1), Msg::Wake(0));
            }
        } else {
            self.wake_pending = true;
            ctx.wake_after(Tick(self.next_issue.0 - ctx.now().0), Msg::Wake(0));
        }
    }
}

impl Component for TraceCore {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[PortGroup] {
        const PORTS: &[PortGroup] = &[PortGroup::one("inst"), PortGroup::one("data")];
        PORTS
    }
    fn setup(&mut self, ctx: &mut Ctx) {
        self.pump(ctx);
    }
    fn handle(&mut self, _port: PortId, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Resp(r) => {
                self.outstanding -= 1;
                self.stats.responses += 1;
                self.stats.latency_ps += ctx.now().0 - r.issued_ps;
                ctx.progress();
                self.pump(ctx);
            }
            Msg::Wake(_) => {
                self.wake_pending = false;
                self.pump(ctx);
            }
            other => panic!("{} @ {} ps: unexpected {other:?}", self.name, ctx.now().0),
        }
    }
    fn outstanding(&self, out: &mut Vec<Outstanding>) {
        if self.outstanding > 0 {
            out.push(Outstanding {
                id: self.next_id,
                addr: 0,
                since: self.oldest,
                what: "accesses awaiting responses",
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
