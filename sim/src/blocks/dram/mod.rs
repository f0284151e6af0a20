//! A DRAM system: channels of ranks, bank groups and banks with full bank state machines, an
//! FR-FCFS scheduler per channel, open- or closed-page policy, address mapping, all-bank refresh, and
//! an access granularity from 8 B (PIUMA's narrow accesses) to 64 B.
//!
//! Timing rules enforced (JEDEC names): tRCD, tRP, tCL, tCWL, tRAS, tRC, tRTP, tWR, tCCD_S/L,
//! tRRD_S/L, tFAW, tWTR_S/L, read-to-write turnaround (tCL + burst + 2 - tCWL), rank-to-rank switch
//! (tRTRS), tRFC, tREFI; one command per channel per cycle. [`checker`] replays the command log and
//! verifies every rule independently.
//!
//! The controller (every preset gives DRAMsim3's; each key can be changed):
//! - **Queues.** With `bank_queue` > 0, requests wait in a transaction queue of `queue_size`
//!   entries and any of them whose bank's queue (`bank_queue` accesses) has room enters it; the
//!   scheduler sees every bank queue. With `bank_queue` = 0, one window of `queue_size` requests
//!   is shared by all banks. Beyond either, requests wait in arrival order (the requester's side).
//! - **Write buffer** (`write_buffer` > 0): writes wait in it while the scheduler serves reads; a
//!   read of a buffered access is answered from it and a write to one merges with it; once the
//!   buffer reaches `write_high` (or holds more than `write_idle` with no read waiting) it drains
//!   into the queues until `write_low` are left. Without one, reads and writes share the queues.
//! - **Scheduling**: FR-FCFS, the oldest ready row hit first, else the oldest ready ACT or PRE;
//!   with `row_hit_cap` > 0 a row closes for an older access to another row once it has served
//!   that many hits since it opened.
//!
//! A read's latency is counted from its arrival, so it includes any wait for a place in the
//! queues; a write is done when it issues (or merges) and is not answered.
//!
//! Not modelled: power-down states, per-bank or same-bank refresh, on-die ECC, command/address
//! two-cycle commands of DDR5.
//!
//! Refresh is lazy while a channel is idle: when a request arrives after idle time, the refreshes that
//! fell due meanwhile are issued at their due times first, so an idle system does not keep the run alive.

pub mod checker;
mod config;
mod queues;
mod refresh;
mod scheduler;
mod stats;
#[cfg(test)]
mod tests;

use std::any::Any;
use std::collections::VecDeque;

pub use config::{
    check_preset_text, preset_names, DramConfig, DramOrg, DramSpec, DramTiming, Field, PagePolicy,
    WriteBuffer,
};
pub use stats::DramStats;

use crate::engine::{
    AccessKind, Component, Ctx, MemReq, Msg, Outstanding, PortGroup, PortId, Tick,
};
use crate::host::hash::FastMap;
use scheduler::Step;

/// A DRAM command, as logged for the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Activate a row.
    Act,
    /// Precharge a bank.
    Pre,
    /// Read one access.
    Rd,
    /// Write one access.
    Wr,
    /// All-bank refresh of a rank.
    Ref,
}

/// One issued command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuedCommand {
    /// DRAM cycle.
    pub cycle: u64,
    /// The command issued.
    pub cmd: Command,
    /// The channel it went to.
    pub channel: u32,
    /// The rank it went to.
    pub rank: u32,
    /// Bank group.
    pub bank_group: u32,
    /// Bank within group.
    pub bank: u32,
    /// Row (ACT, RD, WR).
    pub row: u32,
}

/// A decoded address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DramAddr {
    /// Channel index.
    pub channel: u32,
    /// Rank index in the channel.
    pub rank: u32,
    /// Bank group.
    pub bank_group: u32,
    /// Bank within group.
    pub bank: u32,
    /// Row index in the bank.
    pub row: u32,
    /// Column block.
    pub column: u32,
}

/// Splits a byte address into DRAM coordinates according to the spec's mapping.
pub fn decode(spec: &DramSpec, addr: u64) -> DramAddr {
    let mut a = addr / spec.access_bytes;
    let mut d = DramAddr {
        channel: 0,
        rank: 0,
        bank_group: 0,
        bank: 0,
        row: 0,
        column: 0,
    };
    // Bits already placed in each field (a field may come in several parts, lowest part first).
    let mut filled = [0u32; 6];
    for &(f, bits) in &spec.mapping_lsb_first {
        let v = (a & ((1u64 << bits) - 1)) as u32;
        a >>= bits;
        let (slot, field) = match f {
            Field::Channel => (0, &mut d.channel),
            Field::Rank => (1, &mut d.rank),
            Field::BankGroup => (2, &mut d.bank_group),
            Field::Bank => (3, &mut d.bank),
            Field::Row => (4, &mut d.row),
            Field::Column => (5, &mut d.column),
        };
        *field |= v << filled[slot];
        filled[slot] += bits;
    }
    d
}

const NO_ROW: u32 = u32::MAX;
/// Most scheduler steps one wake-up takes before handing back to the engine.
const INLINE_STEPS: u32 = 1 << 12;

/// What a bank would do next for its queue.
#[derive(Clone, Copy, Debug)]
enum CandKind {
    /// Nothing queued.
    None,
    /// A column command for the queue entry at `idx` (the oldest row hit).
    Col { idx: u32, write: bool },
    /// Open the oldest entry's row.
    Act,
    /// Close a row nobody queued wants.
    Pre,
}

/// A bank's candidate command and the bank-level part of its earliest time.
#[derive(Clone, Copy, Debug)]
struct Cand {
    kind: CandKind,
    seq: u64,
    bank_ready: u64,
}

/// Rank-level readiness, computed once per scheduler step.
#[derive(Clone, Copy, Default)]
struct RankReady {
    act: u64,
    rd: u64,
    wr: u64,
    refreshing: bool,
}

#[derive(Clone, Copy)]
struct Bank {
    open_row: u32,
    /// Queued accesses to the open row (kept exact so the scheduler never rescans the queue).
    hits_queued: u32,
    /// Column commands served since the open row was opened (for `row_hit_cap`).
    row_hits: u32,
    /// Flat index of this bank's group, and its rank.
    group: u32,
    rank: u32,
    /// The scheduler's candidate for this bank, recomputed only after the bank or its queue changed.
    cand: Cand,
    cand_valid: bool,
    next_act: u64,
    next_pre: u64,
    next_rd: u64,
    next_wr: u64,
}

#[derive(Clone, Copy, Default)]
struct Group {
    next_act: u64,
    next_rd: u64,
    next_wr: u64,
}

#[derive(Clone, Copy)]
struct Rank {
    next_act: u64,
    next_rd: u64,
    next_wr: u64,
    faw: [u64; 4],
    faw_idx: usize,
    n_acts: u64,
    next_ref_due: u64,
}

#[derive(Clone, Copy)]
struct Entry {
    /// Arrival order within the channel (FR-FCFS "first come").
    seq: u64,
    slot: u32,
    bank: u32,
    group: u32,
    addr: DramAddr,
    is_write: bool,
    needed_pre: bool,
    needed_act: bool,
}

impl Entry {
    /// The access's bank, row and column packed into one integer (a bank index below 2^12, a
    /// column below 2^20).
    fn key(&self) -> u64 {
        (self.bank as u64) << 52 | (self.addr.row as u64) << 20 | self.addr.column as u64
    }
}

#[derive(Clone)]
struct Channel {
    banks: Vec<Bank>,
    groups: Vec<Group>,
    ranks: Vec<Rank>,
    /// Queued accesses per bank, oldest first.
    bank_queues: Vec<VecDeque<Entry>>,
    /// Banks with a non-empty queue, in no particular order.
    active: Vec<u32>,
    /// Per bank, its candidate's earliest cycle when last computed, or 0 while the candidate is
    /// stale. Constraints only grow, so this is a lower bound, and a bank with `when_lb > t` is
    /// skipped without reading it (kept apart from the banks so the scan touches one small array).
    when_lb: Vec<u64>,
    /// Scratch for [`Dram::step`]: the banks whose lower bound has come.
    due: Vec<u32>,
    /// Accesses in all bank queues (at most the scheduler window).
    n_queued: usize,
    /// Accesses that arrived while the window (or, staged, the transaction queue or write buffer)
    /// was full, oldest first.
    backlog: VecDeque<Entry>,
    /// With per-bank queues (`bank_queue`): the transaction queue in front of them (reads only,
    /// with a write buffer), oldest first.
    trans: VecDeque<Entry>,
    /// Transactions waiting per bank.
    trans_count: Vec<u32>,
    /// Banks an access left since the last [`Dram::pump`] (per-bank queues, outside draining).
    freed: Vec<u32>,
    /// Whether every waiting transaction must be looked at again (draining just ended).
    rescan: bool,
    /// Arrivals so far (the next entry's `seq`).
    n_arrived: u64,
    /// Each rank's [`RankReady`], rewritten every step.
    rank_ready: Vec<RankReady>,
    next_cmd: u64,
    /// The cycle of the wake-up this channel is waiting for, if any.
    wake_at: Option<u64>,
    /// Banks (flat index) to close as soon as legal under the closed-page policy.
    to_close: Vec<usize>,
    /// Writes waiting in the write buffer (not yet in the window), oldest first.
    write_buf: VecDeque<Entry>,
    /// The buffered writes by access ([`Entry::key`]), for forwarding and merging.
    buffered: FastMap<u64, u32>,
    /// Writes in the window.
    writes_in_window: usize,
    /// Write-drain mode: the window takes writes from the buffer, not reads.
    draining: bool,
    /// The spec's `row_hit_cap` (0 = none).
    row_hit_cap: u32,
}

#[derive(Clone)]
struct Slot {
    active: bool,
    req: MemReq,
    port: PortId,
    remaining: u32,
    arrived: Tick,
    done_cycle: u64,
}

/// The DRAM component. Ports: the group `up`, requests in, responses out on the same port.
#[derive(Clone)]
pub struct Dram {
    name: String,
    ports: [PortGroup; 1],
    spec: DramSpec,
    channels: Vec<Channel>,
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    finished: Vec<u32>,
    stats: DramStats,
    log: Option<Vec<IssuedCommand>>,
    rtw: u64,
    ccd_s: u64,
    ccd_l: u64,
    /// `(ways, granule)`: this DRAM holds one granule in `ways` of a wider interleave.
    fold: Option<(u64, u64)>,
    /// Write-buffer counters (reported only with a buffer): reads answered from it, writes
    /// merged into it, drain episodes.
    wb_forwards: u64,
    wb_merges: u64,
    wb_drains: u64,
}

impl Dram {
    /// Makes this DRAM one of `ways` that share the address space in `granule`-byte pieces
    /// (several dies' memories): addresses are folded to this DRAM's own dense space before
    /// decoding, so its channels and banks see no gaps. Responses carry the original address.
    pub fn fold_interleave(mut self, ways: u64, granule: u64) -> Dram {
        assert!(
            ways >= 1 && granule >= 1,
            "{}: bad interleave fold",
            self.name
        );
        self.fold = (ways > 1).then_some((ways, granule));
        self
    }

    #[inline]
    fn local_addr(&self, addr: u64) -> u64 {
        match self.fold {
            Some((ways, g)) => addr / (g * ways) * g + addr % g,
            None => addr,
        }
    }

    /// A DRAM system with `n_up` request ports.
    pub fn new(name: &str, spec: DramSpec, n_up: usize) -> Dram {
        assert!(
            (1..u16::MAX as usize).contains(&n_up),
            "a DRAM has at least one request port"
        );
        let o = spec.org;
        let t = spec.timing;
        let n_banks = (o.ranks * o.bank_groups * o.banks_per_group) as usize;
        let channel = || Channel {
            banks: (0..n_banks)
                .map(|bi| Bank {
                    open_row: NO_ROW,
                    hits_queued: 0,
                    row_hits: 0,
                    group: (bi as u64 / o.banks_per_group) as u32,
                    rank: (bi as u64 / (o.banks_per_group * o.bank_groups)) as u32,
                    cand: Cand {
                        kind: CandKind::None,
                        seq: 0,
                        bank_ready: 0,
                    },
                    cand_valid: false,
                    next_act: 0,
                    next_pre: 0,
                    next_rd: 0,
                    next_wr: 0,
                })
                .collect(),
            groups: vec![Group::default(); (o.ranks * o.bank_groups) as usize],
            ranks: (0..o.ranks)
                .map(|r| Rank {
                    next_act: 0,
                    next_rd: 0,
                    next_wr: 0,
                    faw: [0; 4],
                    faw_idx: 0,
                    n_acts: 0,
                    // Stagger ranks so they do not all refresh at once.
                    next_ref_due: t.refi * (r + 1) / o.ranks,
                })
                .collect(),
            bank_queues: (0..n_banks)
                .map(|_| VecDeque::with_capacity(spec.queue_size))
                .collect(),
            active: Vec::with_capacity(n_banks),
            when_lb: vec![0; n_banks],
            due: vec![0; n_banks],
            n_queued: 0,
            backlog: VecDeque::new(),
            trans: VecDeque::with_capacity(if spec.bank_queue > 0 {
                spec.queue_size
            } else {
                0
            }),
            trans_count: vec![0; if spec.bank_queue > 0 { n_banks } else { 0 }],
            freed: Vec::new(),
            rescan: false,
            n_arrived: 0,
            rank_ready: vec![RankReady::default(); o.ranks as usize],
            next_cmd: 0,
            wake_at: None,
            to_close: Vec::new(),
            write_buf: VecDeque::with_capacity(spec.write_buffer.entries),
            buffered: FastMap::default(),
            writes_in_window: 0,
            draining: false,
            row_hit_cap: spec.row_hit_cap,
        };
        let rtw = t.cl + spec.burst_cycles + 2 - t.cwl.min(t.cl + spec.burst_cycles + 2);
        Dram {
            name: name.to_string(),
            ports: [PortGroup::many("up", n_up as u16)],
            channels: (0..o.channels).map(|_| channel()).collect(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            finished: Vec::new(),
            stats: DramStats::default(),
            log: None,
            rtw,
            ccd_s: t.ccd_s.max(spec.burst_cycles),
            ccd_l: t.ccd_l.max(spec.burst_cycles),
            fold: None,
            wb_forwards: 0,
            wb_merges: 0,
            wb_drains: 0,
            spec,
        }
    }

    /// Records every issued command for [`checker::check`] (tests and debugging; grows with the run).
    pub fn enable_command_log(&mut self) {
        self.log = Some(Vec::new());
    }

    /// The command log, if enabled.
    pub fn command_log(&self) -> Option<&[IssuedCommand]> {
        self.log.as_deref()
    }

    /// Counters so far.
    pub fn stats(&self) -> &DramStats {
        &self.stats
    }

    /// With a write buffer: reads answered from it, writes merged into it, and drain episodes.
    pub fn write_buffer_counts(&self) -> (u64, u64, u64) {
        (self.wb_forwards, self.wb_merges, self.wb_drains)
    }

    /// The resolved spec.
    pub fn spec(&self) -> &DramSpec {
        &self.spec
    }

    fn bank_idx(&self, a: &DramAddr) -> usize {
        let o = &self.spec.org;
        ((a.rank as u64 * o.bank_groups + a.bank_group as u64) * o.banks_per_group + a.bank as u64)
            as usize
    }

    fn group_idx(&self, a: &DramAddr) -> usize {
        (a.rank as u64 * self.spec.org.bank_groups + a.bank_group as u64) as usize
    }

    fn cycle_of(&self, t: Tick) -> u64 {
        t.0.div_ceil(self.spec.timing.tck_ps)
    }

    fn accept(&mut self, port: PortId, req: MemReq, ctx: &mut Ctx) {
        self.stats.requests += 1;
        let n = (req.size.max(1) as u64).div_ceil(self.spec.access_bytes) as u32;
        let slot = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot {
                    active: false,
                    req,
                    port,
                    remaining: 0,
                    arrived: Tick(0),
                    done_cycle: 0,
                });
                self.slots.len() as u32 - 1
            }
        };
        self.slots[slot as usize] = Slot {
            active: true,
            req,
            port,
            remaining: n,
            arrived: ctx.now(),
            done_cycle: 0,
        };
        let is_write = req.kind == AccessKind::Writeback || req.kind == AccessKind::Write;
        let now_cycle = self.cycle_of(ctx.now());
        let base = self.local_addr(req.addr) / self.spec.access_bytes * self.spec.access_bytes;
        for i in 0..n as u64 {
            let addr = decode(&self.spec, base + i * self.spec.access_bytes);
            let ch = addr.channel as usize;
            if self.channels[ch].n_queued == 0 && self.channels[ch].wake_at.is_none() {
                self.catch_up_refresh(ch, now_cycle);
            }
            let (bank, group) = (self.bank_idx(&addr) as u32, self.group_idx(&addr) as u32);
            let staged = self.staged();
            let c = &mut self.channels[ch];
            let e = Entry {
                seq: c.n_arrived,
                slot,
                bank,
                group,
                addr,
                is_write,
                needed_pre: false,
                needed_act: false,
            };
            c.n_arrived += 1;
            if staged {
                c.backlog.push_back(e);
                self.pump(ch, now_cycle);
                if self.channels[ch]
                    .backlog
                    .back()
                    .is_some_and(|b| b.seq == e.seq)
                {
                    self.stats.queue_full_waits += 1;
                }
            } else if c.n_queued < self.spec.queue_size {
                c.enqueue(e);
            } else {
                c.backlog.push_back(e);
                self.stats.queue_full_waits += 1;
            }
            self.wake(ch, now_cycle, ctx);
        }
        if !self.finished.is_empty() {
            self.answer_finished(ctx);
        }
    }

    /// Whether arrivals pass through [`Dram::pump`]: with a write buffer or per-bank queues.
    fn staged(&self) -> bool {
        self.spec.write_buffer.entries > 0 || self.spec.bank_queue > 0
    }

    /// With a write buffer or per-bank queues: moves arrivals from the backlog into the write
    /// buffer (a write; merged with a buffered write of the same access), the transaction queue
    /// (per-bank queues) or the window (a read, outside draining; a read of a buffered access is
    /// answered from the buffer); moves transactions whose bank queue has room into it; switches
    /// write-drain mode at the watermarks, and while draining fills the window from the buffer.
    /// Returns whether the window changed.
    fn pump(&mut self, ch: usize, cycle: u64) -> bool {
        let wb = self.spec.write_buffer;
        let window = self.spec.queue_size;
        let bank_queue = self.spec.bank_queue;
        let mut changed = false;
        let mut done: Vec<u32> = Vec::new();
        for _ in 0..2 {
            let c = &mut self.channels[ch];
            // Per-bank queues: a transaction enters its bank's queue as soon as that has room,
            // oldest first. Outside draining every waiting transaction's bank queue is full, so
            // only a bank an access just left can take one, unless draining just ended.
            if bank_queue > 0 && c.draining {
                c.freed.clear();
            } else if bank_queue > 0 && c.rescan {
                c.rescan = false;
                c.freed.clear();
                let mut i = 0;
                while i < c.trans.len() {
                    let e = c.trans[i];
                    if c.bank_queues[e.bank as usize].len() < bank_queue {
                        c.trans.remove(i);
                        c.trans_count[e.bank as usize] -= 1;
                        c.enqueue(e);
                        changed = true;
                    } else {
                        i += 1;
                    }
                }
            } else if bank_queue > 0 {
                while let Some(b) = c.freed.pop() {
                    let b = b as usize;
                    if c.trans_count[b] > 0 && c.bank_queues[b].len() < bank_queue {
                        let i = c
                            .trans
                            .iter()
                            .position(|e| e.bank as usize == b)
                            .expect("trans_count counts waiting transactions");
                        let e = c.trans.remove(i).expect("index from a scan");
                        c.trans_count[b] -= 1;
                        c.enqueue(e);
                        changed = true;
                    }
                }
            }
            while let Some(&e) = c.backlog.front() {
                let key = e.key();
                let buffered = wb.entries > 0 && c.buffered.contains_key(&key);
                if e.is_write && buffered {
                    self.wb_merges += 1;
                    done.push(e.slot);
                } else if e.is_write && c.write_buf.len() < wb.entries {
                    c.write_buf.push_back(e);
                    *c.buffered.entry(key).or_default() += 1;
                } else if !e.is_write && buffered {
                    self.wb_forwards += 1;
                    done.push(e.slot);
                } else if bank_queue > 0 && (!e.is_write || wb.entries == 0) {
                    if c.trans.len() >= window {
                        break;
                    }
                    let b = e.bank as usize;
                    if !c.draining && c.trans_count[b] == 0 && c.bank_queues[b].len() < bank_queue {
                        c.enqueue(e);
                        changed = true;
                    } else {
                        c.trans.push_back(e);
                        c.trans_count[b] += 1;
                    }
                } else if !e.is_write && !c.draining && c.n_queued < window {
                    c.enqueue(e);
                    changed = true;
                } else {
                    break;
                }
                c.backlog.pop_front();
            }
            if wb.entries == 0 {
                break;
            }
            let reads_waiting =
                c.n_queued > c.writes_in_window || !c.backlog.is_empty() || !c.trans.is_empty();
            let idle = c.n_queued == 0 && c.backlog.is_empty() && c.trans.is_empty();
            if !c.draining
                && !c.write_buf.is_empty()
                && (c.write_buf.len() >= wb.high
                    || (!reads_waiting && (c.write_buf.len() > wb.idle || idle)))
            {
                c.draining = true;
                self.wb_drains += 1;
            }
            if !c.draining {
                break;
            }
            let mut i = 0;
            while i < c.write_buf.len() && (bank_queue > 0 || c.n_queued < window) {
                let e = c.write_buf[i];
                if bank_queue > 0 && c.bank_queues[e.bank as usize].len() >= bank_queue {
                    i += 1;
                    continue;
                }
                c.write_buf.remove(i);
                let key = e.key();
                match c.buffered.get_mut(&key) {
                    Some(n) if *n > 1 => *n -= 1,
                    _ => {
                        c.buffered.remove(&key);
                    }
                }
                c.enqueue(e);
                changed = true;
            }
            // Draining stops at the low mark: with per-bank queues once that few writes wait to
            // enter them (DRAMsim3), with one window once that few are left unissued.
            let left = if bank_queue > 0 {
                c.write_buf.len()
            } else {
                c.write_buf.len() + c.writes_in_window
            };
            if left > wb.low {
                break;
            }
            // Drained: reads may enter again.
            c.draining = false;
            c.rescan = true;
        }
        for s in done {
            let slot = &mut self.slots[s as usize];
            slot.remaining -= 1;
            slot.done_cycle = slot.done_cycle.max(cycle + 1);
            if slot.remaining == 0 {
                self.finished.push(s);
            }
        }
        changed
    }

    /// Makes sure channel `ch` is woken no later than `cycle`.
    fn wake(&mut self, ch: usize, cycle: u64, ctx: &mut Ctx) {
        let c = &mut self.channels[ch];
        let cycle = cycle.max(c.next_cmd);
        if c.wake_at.is_some_and(|w| w <= cycle) {
            return;
        }
        c.wake_at = Some(cycle);
        let at = cycle * self.spec.timing.tck_ps;
        ctx.wake_after(
            Tick(at.saturating_sub(ctx.now().0)),
            Msg::Wake(cycle << 8 | ch as u64),
        );
    }

    /// Wakes `ch` at cycle `cycle`: issues what can issue, then carries on through the quiet
    /// cycles before the next engine event, at most [`INLINE_STEPS`] steps at a time.
    fn on_wake(&mut self, ch: usize, cycle: u64, ctx: &mut Ctx) {
        if self.channels[ch].wake_at != Some(cycle) {
            return; // Superseded by an earlier wake-up.
        }
        self.channels[ch].wake_at = None;
        // Nothing can reach this component before the earliest pending event, so the cycles before
        // it are simulated here in one go instead of one engine event each.
        let tck = self.spec.timing.tck_ps;
        let mut c = cycle;
        for steps in 1u32.. {
            let step = self.step(ch, c);
            self.answer_finished(ctx);
            if !self.has_work(ch) {
                return;
            }
            let next = match step {
                Step::Issued(hint) => hint.max(c + 1),
                Step::Idle(Some(n)) => n.max(c + 1),
                Step::Idle(None) => return,
            };
            // Re-read each time: this loop's own responses are pending events too.
            // A long stretch goes back to the engine now and then, so its wall-clock limit holds
            // (a slow core leaves the DRAM refreshing alone for hours of simulated time).
            let horizon = ctx.next_event_tick().map_or(u64::MAX, |t| t.0);
            if next.saturating_mul(tck) < horizon && steps % INLINE_STEPS != 0 {
                c = next;
            } else {
                self.wake(ch, next, ctx);
                return;
            }
        }
    }

    /// Answers requests whose last access has been issued, at the time their data completes.
    fn answer_finished(&mut self, ctx: &mut Ctx) {
        while let Some(s) = self.finished.pop() {
            let slot = &mut self.slots[s as usize];
            slot.active = false;
            if slot.req.kind.wants_data() {
                let at = slot.done_cycle * self.spec.timing.tck_ps;
                let delay = Tick(at.saturating_sub(ctx.now().0));
                self.stats.answered += 1;
                self.stats.read_latency_ps += at.max(ctx.now().0) - slot.arrived.0;
                ctx.send(slot.port, Msg::Resp(slot.req), delay);
            }
            ctx.progress();
            self.free_slots.push(s);
        }
    }
}

impl Component for Dram {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[PortGroup] {
        &self.ports
    }
    fn handle(&mut self, port: PortId, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Req(req) => self.accept(port, req, ctx),
            Msg::Wake(tag) => self.on_wake((tag & 0xff) as usize, tag >> 8, ctx),
            other => panic!("{} @ {} ps: unexpected {other:?}", self.name, ctx.now().0),
        }
    }
    fn outstanding(&self, out: &mut Vec<Outstanding>) {
        for s in &self.slots {
            if s.active {
                out.push(Outstanding {
                    id: s.req.id,
                    addr: s.req.addr,
                    since: s.arrived,
                    what: "queued in DRAM",
                });
            }
        }
    }
    fn collect_stats(&self, prefix: &str, out: &mut crate::stats::StatTree) {
        out.add(prefix, &self.stats);
        if self.spec.write_buffer.entries > 0 {
            use crate::stats::Unit;
            out.push(
                format!("{prefix}.write_buffer_forwards"),
                self.wb_forwards,
                Unit::Count,
                "Reads answered from the write buffer",
            );
            out.push(
                format!("{prefix}.write_buffer_merges"),
                self.wb_merges,
                Unit::Count,
                "Writes merged into a buffered write of the same access",
            );
            out.push(
                format!("{prefix}.write_drains"),
                self.wb_drains,
                Unit::Count,
                "Times the write buffer started draining",
            );
        }
    }
    fn fork(&self) -> Option<Box<dyn Component>> {
        Some(Box::new(self.clone()))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
