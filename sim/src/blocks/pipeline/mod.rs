//! Parts to build cores: a pipeline that times a stream of dynamic instructions (decode width, a
//! reorder buffer, issue queues, functional-unit pools with latency and throughput per class,
//! scoreboarded registers, accumulator late-forwarding, load and store pipes through a data
//! memory the machine supplies, a branch predictor with its mispredict penalty; in-order or
//! out-of-order issue).
//!
//! **How it times.** One pass in program order: each instruction gets its decode, dispatch,
//! issue, completion and retirement cycles from the constraints that bind it: the decode width
//! and redirects after mispredicted branches; the reorder buffer (an instruction dispatches only
//! once the one `rob` places older has retired) and its issue queue (only once the one `iq`
//! places older in its pipe group has issued); its source registers (an accumulator operand of a
//! multiply-accumulate is forwarded `acc_latency` cycles after its producer issued, other
//! operands after the producer's full latency); and a free pipe of its group, found in a
//! reservation calendar, so a younger instruction can take a pipe before an older one that
//! waits (out of order). In-order issue also keeps every instruction at or after the one before
//! it and enforces the pairing rules of a dual-issue core. Retirement is in order, `retire_width`
//! a cycle. This gives the exact cycle of every instruction under those constraints without
//! stepping cycles in which nothing happens, and allocates nothing per instruction.
//!
//! Not modelled: register-file ports, rename-register limits beyond the window, memory
//! disambiguation (loads never wait for older stores), and the instruction cache (kernels are a
//! few hundred bytes, resident after their first pass).
//!
//! **Architecture Invariant:** this block knows no machine and no instruction set: pipe groups,
//! classes and latencies come from its config, instructions as `program::inst::DynInst`, memory
//! from a [`DataMemory`].

#[cfg(test)]
mod tests;

use crate::blocks::memory::{Access, DataMemory, MAX_LEVELS};
use crate::program::inst::{DynInst, Role, NONE};

/// Register numbers a pipeline tracks (an instruction names registers by `u8`).
const N_REGS: usize = 256;

/// A pool of identical pipes.
#[derive(Debug, Clone, PartialEq)]
pub struct PipeGroup {
    /// Its name in reports (`vec`, `load`).
    pub name: String,
    /// Pipes.
    pub count: u32,
    /// Its issue-queue entries (for out-of-order issue).
    pub iq: u32,
}

/// How a class of instructions executes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassTiming {
    /// Index of its pipe group.
    pub group: usize,
    /// Cycles from issue to result (for a load: to the address, the memory adds the rest).
    pub latency: u32,
    /// Cycles a pipe stays busy (1: fully pipelined).
    pub interval: u32,
    /// For multiply-accumulates: cycles from issue until the result can feed the accumulator of
    /// the next one (late forwarding); None: the full latency.
    pub acc_latency: Option<u32>,
}

/// A pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// In-order issue (else out of order).
    pub in_order: bool,
    /// Instructions decoded (and dispatched) a cycle.
    pub decode_width: u32,
    /// Instructions issued a cycle (in order: the dual-issue width); out of order, the pipes limit it.
    pub issue_width: u32,
    /// Instructions retired a cycle.
    pub retire_width: u32,
    /// Reorder-buffer entries (the window).
    pub rob: u32,
    /// Cycles from decode to the issue queue.
    pub dispatch_latency: u32,
    /// The pipe groups.
    pub groups: Vec<PipeGroup>,
    /// Each class's timing, indexed by [`DynInst::class`].
    pub classes: Vec<ClassTiming>,
    /// Each class's name (in errors), in the same order.
    pub class_names: Vec<String>,
    /// Cycles from a mispredicted branch's execution to the first correct instruction's decode.
    pub mispredict_penalty: u32,
    /// Entries of the bimodal predictor (2-bit counters by instruction index); 0: every
    /// conditional branch predicted not taken.
    pub predictor_entries: u32,
    /// In-order dual issue: pairs of classes that may not issue in the same cycle (either order).
    pub forbidden_pairs: Vec<(u8, u8)>,
}

impl PipelineConfig {
    /// Checks widths, sizes and latencies; errors name `{prefix}.key` (`key` for an empty
    /// prefix, as in a core file).
    pub fn check(&self, prefix: &str) -> Result<(), crate::config::Invalid> {
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}.")
        };
        use crate::config::{require_in, Invalid};
        require_in(
            &format!("{prefix}decode_width"),
            self.decode_width as u64,
            1,
            16,
            "instructions a cycle",
        )?;
        require_in(
            &format!("{prefix}issue_width"),
            self.issue_width as u64,
            1,
            16,
            "instructions a cycle",
        )?;
        require_in(
            &format!("{prefix}retire_width"),
            self.retire_width as u64,
            1,
            16,
            "instructions a cycle",
        )?;
        require_in(&format!("{prefix}rob"), self.rob as u64, 1, 4096, "entries")?;
        if !self.in_order && self.rob < self.decode_width {
            return Err(Invalid::new(
                format!("{prefix}rob"),
                self.rob,
                format!("a window smaller than the decode width ({}) cannot keep it busy; give at least that", self.decode_width),
            ));
        }
        require_in(
            &format!("{prefix}mispredict_penalty"),
            self.mispredict_penalty as u64,
            0,
            1000,
            "cycles",
        )?;
        require_in(
            &format!("{prefix}dispatch_latency"),
            self.dispatch_latency as u64,
            0,
            1000,
            "cycles",
        )?;
        require_in(
            &format!("{prefix}predictor_entries"),
            self.predictor_entries as u64,
            0,
            1 << 20,
            "entries",
        )?;
        for g in &self.groups {
            require_in(
                &format!("{prefix}pipes.{}.count", g.name),
                g.count as u64,
                1,
                16,
                "pipes",
            )?;
            require_in(
                &format!("{prefix}pipes.{}.iq", g.name),
                g.iq as u64,
                1,
                1024,
                "entries",
            )?;
        }
        for (i, c) in self.classes.iter().enumerate() {
            let name = &self.class_names[i];
            if c.group >= self.groups.len() {
                return Err(Invalid::new(
                    format!("{prefix}classes.{name}.pipe"),
                    c.group,
                    "names no pipe group",
                ));
            }
            require_in(
                &format!("{prefix}classes.{name}.latency"),
                c.latency as u64,
                1,
                1000,
                "cycles",
            )?;
            require_in(
                &format!("{prefix}classes.{name}.interval"),
                c.interval as u64,
                1,
                1000,
                "cycles",
            )?;
            if let Some(a) = c.acc_latency {
                require_in(
                    &format!("{prefix}classes.{name}.acc_latency"),
                    a as u64,
                    1,
                    c.latency as u64,
                    "cycles, at most the latency",
                )?;
            }
        }
        Ok(())
    }
}

/// A reservation calendar of one pipe group: pipes in use per cycle, over a sliding window.
struct Calendar {
    count: u32,
    base: u64,
    used: Vec<u8>,
}

const WINDOW: usize = 1 << 14;

impl Calendar {
    fn new(count: u32) -> Calendar {
        Calendar {
            count,
            base: 0,
            used: vec![0; WINDOW],
        }
    }

    fn slot(&self, c: u64) -> usize {
        (c as usize) & (WINDOW - 1)
    }

    /// Forgets cycles before `c` (never asked for again).
    fn advance(&mut self, c: u64) {
        while self.base < c {
            let s = self.slot(self.base);
            self.used[s] = 0;
            self.base += 1;
            if c - self.base > WINDOW as u64 {
                // A jump past the whole window: clear it at once.
                self.used.iter_mut().for_each(|u| *u = 0);
                self.base = c;
            }
        }
    }

    /// The first cycle at or after `t` with a pipe free for `interval` cycles; reserves it.
    fn reserve(&mut self, t: u64, interval: u32) -> u64 {
        let mut c = t.max(self.base);
        loop {
            if c + interval as u64 - self.base >= WINDOW as u64 {
                // Beyond the window: nothing is reserved there yet.
                let far = c;
                self.advance(far.saturating_sub(WINDOW as u64 / 2));
            }
            if (0..interval as u64).all(|d| (self.used[self.slot(c + d)] as u32) < self.count) {
                for d in 0..interval as u64 {
                    let s = self.slot(c + d);
                    self.used[s] += 1;
                }
                return c;
            }
            c += 1;
        }
    }
}

crate::stats_struct! {
    /// Counters of a pipeline.
    pub struct PipelineStats {
        instructions: Count = "Instructions retired",
        cycles: Cycles = "Cycles to the last retirement",
        branches: Count = "Conditional branches",
        mispredicts: Count = "Conditional branches mispredicted",
        loads: Count = "Loads (and prefetches) issued to the data memory",
        stores: Count = "Stores issued to the data memory",
        decode_slots_lost_to_redirects: Cycles = "Cycles the front end waited for a mispredicted branch to resolve and refill",
        dispatch_wait_rob: Cycles = "Cycles instructions waited to dispatch for a free reorder-buffer entry (summed over instructions)",
        dispatch_wait_iq: Cycles = "Cycles instructions waited to dispatch for a free issue-queue entry (summed)",
        issue_wait_operands: Cycles = "Cycles instructions waited in the queue for their operands (summed)",
        issue_wait_pipe: Cycles = "Cycles instructions waited, operands ready, for a free pipe or an issue slot (summed)",
        load_cycles: Cycles = "Cycles from load issue to data (summed over loads)",
        stack_frontend: Cycles = "Cycles attributed to the front end: the instruction retiring next was not decoded yet (width, redirects)",
        stack_window: Cycles = "Cycles attributed to a full window or issue queue: decoded, not dispatched",
        stack_dependency: Cycles = "Cycles attributed to waiting for operands",
        stack_pipe: Cycles = "Cycles attributed to waiting for a free pipe or issue slot (operands ready)",
        stack_execute: Cycles = "Cycles attributed to execution latency (an L1 hit included)",
        stack_memory: Cycles = "Cycles attributed to memory beyond L1 (see memory_cycles by level)",
        stack_retire: Cycles = "Cycles attributed to the retire width",
    }
}

/// A pipeline timing a stream of instructions.
pub struct Pipeline<'c> {
    cfg: &'c PipelineConfig,
    /// Counters.
    pub stats: PipelineStats,
    /// Busy pipe-cycles per group.
    pub group_busy: Vec<u64>,
    /// Instructions per class, indexed by [`DynInst::class`].
    pub class_count: Vec<u64>,
    /// Of the memory cycles of the stack, those per level that served the access.
    pub memory_cycles: [u64; MAX_LEVELS],
    /// Of the pipe cycles of the stack, those per pipe group.
    pub pipe_cycles: Vec<u64>,
    ready: [u64; N_REGS],
    ready_acc: [u64; N_REGS],
    calendars: Vec<Calendar>,
    /// Retire cycles of the last `rob` instructions (a ring).
    retire_ring: Vec<u64>,
    /// Per group: issue cycles of its last `iq` instructions (rings).
    iq_rings: Vec<Vec<u64>>,
    iq_pos: Vec<usize>,
    seq: u64,
    decode_cycle: u64,
    decode_used: u32,
    redirect: u64,
    last_issue: u64,
    issue_slots: (u64, u32, [u8; 4]),
    last_retire: u64,
    retire_used: u32,
    predictor: Vec<u8>,
}

impl<'c> Pipeline<'c> {
    /// A pipeline at cycle 0 with every register ready.
    pub fn new(cfg: &'c PipelineConfig) -> Pipeline<'c> {
        Pipeline {
            cfg,
            stats: PipelineStats::default(),
            group_busy: vec![0; cfg.groups.len()],
            class_count: vec![0; cfg.classes.len()],
            memory_cycles: [0; MAX_LEVELS],
            pipe_cycles: vec![0; cfg.groups.len()],
            ready: [0; N_REGS],
            ready_acc: [0; N_REGS],
            calendars: cfg.groups.iter().map(|g| Calendar::new(g.count)).collect(),
            retire_ring: vec![0; cfg.rob as usize],
            iq_rings: cfg.groups.iter().map(|g| vec![0; g.iq as usize]).collect(),
            iq_pos: vec![0; cfg.groups.len()],
            seq: 0,
            decode_cycle: 0,
            decode_used: 0,
            redirect: 0,
            last_issue: 0,
            issue_slots: (0, 0, [0; 4]),
            last_retire: 0,
            retire_used: 0,
            predictor: vec![1; cfg.predictor_entries as usize],
        }
    }

    /// Times one instruction, in program order; returns its retire cycle.
    pub fn push(&mut self, d: &DynInst, mem: &mut dyn DataMemory) -> u64 {
        let cfg = self.cfg;
        let ci = d.class as usize;
        let t = cfg.classes[ci];
        self.class_count[ci] += 1;
        // Decode: width a cycle, not before a redirect.
        if self.redirect > self.decode_cycle {
            self.stats.decode_slots_lost_to_redirects += self.redirect - self.decode_cycle;
            self.decode_cycle = self.redirect;
            self.decode_used = 0;
        }
        if self.decode_used == cfg.decode_width {
            self.decode_cycle += 1;
            self.decode_used = 0;
        }
        self.decode_used += 1;
        let decoded = self.decode_cycle;
        // Dispatch: a reorder-buffer entry and an issue-queue entry.
        let mut dispatch = decoded + cfg.dispatch_latency as u64;
        let rob_slot = (self.seq % cfg.rob as u64) as usize;
        if self.seq >= cfg.rob as u64 && self.retire_ring[rob_slot] > dispatch {
            self.stats.dispatch_wait_rob += self.retire_ring[rob_slot] - dispatch;
            dispatch = self.retire_ring[rob_slot];
        }
        let g = t.group;
        let iq_len = self.iq_rings[g].len();
        let iq_slot = self.iq_pos[g] % iq_len;
        if !cfg.in_order && self.iq_pos[g] >= iq_len && self.iq_rings[g][iq_slot] > dispatch {
            self.stats.dispatch_wait_iq += self.iq_rings[g][iq_slot] - dispatch;
            dispatch = self.iq_rings[g][iq_slot];
        }
        if dispatch > self.decode_cycle {
            // Decode stalls behind a full window (dispatch is in order).
            self.decode_cycle = dispatch;
            self.decode_used = 1;
        }
        // Operands.
        let mut ready = dispatch;
        for &s in &d.src {
            if s != NONE {
                ready = ready.max(self.ready[s as usize]);
            }
        }
        if d.acc != NONE {
            ready = ready.max(self.ready_acc[d.acc as usize]);
        }
        self.stats.issue_wait_operands += ready - dispatch;
        // Issue: in order, not before the one before; then a free pipe.
        let mut earliest = ready;
        if cfg.in_order {
            earliest = earliest.max(self.last_issue);
        }
        self.calendars[g].advance(self.decode_cycle.min(dispatch));
        let mut issue = self.calendars[g].reserve(earliest, t.interval);
        if cfg.in_order {
            // Issue slots and pairing rules of the cycle.
            loop {
                let (cyc, n, classes) = self.issue_slots;
                if issue > cyc {
                    break;
                }
                let forbidden = classes[..n as usize].iter().any(|&c| {
                    cfg.forbidden_pairs
                        .iter()
                        .any(|&(a, b)| (a == c && b == d.class) || (b == c && a == d.class))
                });
                if n < cfg.issue_width && !forbidden {
                    break;
                }
                // Give back the reservation and try the next cycle.
                for k in 0..t.interval as u64 {
                    let s = self.calendars[g].slot(issue + k);
                    self.calendars[g].used[s] -= 1;
                }
                issue = self.calendars[g].reserve(issue + 1, t.interval);
            }
            if issue == self.issue_slots.0 {
                let n = self.issue_slots.1 as usize;
                if n < 4 {
                    self.issue_slots.2[n] = d.class;
                }
                self.issue_slots.1 += 1;
            } else {
                self.issue_slots = (issue, 1, [d.class; 4]);
            }
            self.last_issue = issue;
        }
        self.stats.issue_wait_pipe += issue - ready;
        self.group_busy[g] += t.interval as u64;
        self.iq_rings[g][iq_slot] = issue;
        self.iq_pos[g] += 1;
        // Execute.
        let executed = issue + t.latency as u64;
        let mut done = executed;
        let mut level = 0;
        match d.role {
            Role::Load => {
                self.stats.loads += 1;
                done = mem.access(d.addr, d.size, Access::Load, issue + t.latency as u64);
                level = mem.last_level().min(MAX_LEVELS - 1);
                self.stats.load_cycles += done - issue;
            }
            Role::Prefetch => {
                self.stats.loads += 1;
                mem.access(d.addr, d.size, Access::Prefetch, issue + t.latency as u64);
            }
            Role::Store => {
                self.stats.stores += 1;
                mem.access(d.addr, d.size, Access::Store, issue + t.latency as u64);
            }
            Role::Branch { conditional } => {
                if conditional {
                    self.stats.branches += 1;
                    let predicted = if self.predictor.is_empty() {
                        false
                    } else {
                        let e = d.index as usize % self.predictor.len();
                        let p = self.predictor[e] >= 2;
                        self.predictor[e] = if d.taken {
                            (self.predictor[e] + 1).min(3)
                        } else {
                            self.predictor[e].saturating_sub(1)
                        };
                        p
                    };
                    if predicted != d.taken {
                        self.stats.mispredicts += 1;
                        self.redirect = self.redirect.max(done + cfg.mispredict_penalty as u64);
                    }
                }
            }
            Role::Compute => {}
        }
        for &r in &d.dst {
            if r != NONE {
                self.ready[r as usize] = done;
                self.ready_acc[r as usize] = match t.acc_latency {
                    Some(a) => issue + a as u64,
                    None => done,
                };
            }
        }
        if d.wb != NONE {
            // A pre- or post-indexed base is written back by the address generation, a cycle
            // after issue, whatever the data's latency.
            self.ready[d.wb as usize] = issue + 1;
            self.ready_acc[d.wb as usize] = issue + 1;
        }
        // Retire in order, retire_width a cycle.
        let prev = self.last_retire;
        let mut retire = done.max(self.last_retire);
        if retire == self.last_retire {
            if self.retire_used == cfg.retire_width {
                retire += 1;
                self.retire_used = 0;
            }
        } else {
            self.retire_used = 0;
        }
        self.retire_used += 1;
        // Where the cycles since the last retirement went: the part of this instruction's
        // timeline each falls in.
        if retire > prev {
            let part = |a: u64, b: u64| b.min(retire).saturating_sub(a.max(prev));
            let st = &mut self.stats;
            st.stack_frontend += part(0, decoded);
            st.stack_window += part(decoded, dispatch);
            st.stack_dependency += part(dispatch, ready);
            let p = part(ready, issue);
            st.stack_pipe += p;
            self.pipe_cycles[g] += p;
            st.stack_execute += part(issue, executed);
            let m = part(executed, done);
            st.stack_memory += m;
            self.memory_cycles[level] += m;
            st.stack_retire += part(done, u64::MAX);
        }
        self.last_retire = retire;
        self.retire_ring[rob_slot] = retire;
        self.seq += 1;
        self.stats.instructions += 1;
        self.stats.cycles = retire;
        retire
    }
}
