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

impl Channel {
    /// Adds an access to its bank's queue.
    fn enqueue(&mut self, e: Entry) {
        let bi = e.bank as usize;
        if self.bank_queues[bi].is_empty() {
            self.active.push(e.bank);
        }
        if self.banks[bi].open_row == e.addr.row {
            self.banks[bi].hits_queued += 1;
        }
        self.bank_queues[bi].push_back(e);
        self.n_queued += 1;
        self.writes_in_window += e.is_write as usize;
        self.banks[bi].cand_valid = false;
        self.when_lb[bi] = 0;
    }

    /// Bank `bi`'s candidate, recomputed if stale.
    #[inline(always)]
    fn cand(&mut self, bi: usize) -> Cand {
        let b = &self.banks[bi];
        if b.cand_valid {
            return b.cand;
        }
        let q = &self.bank_queues[bi];
        let cand = if q.is_empty() {
            Cand {
                kind: CandKind::None,
                seq: 0,
                bank_ready: 0,
            }
        } else if b.hits_queued > 0
            && (self.row_hit_cap == 0
                || b.row_hits < self.row_hit_cap
                || q[0].addr.row == b.open_row)
        {
            let i = q
                .iter()
                .position(|e| e.addr.row == b.open_row)
                .expect("hits_queued counts queued hits");
            let e = q[i];
            let bank_ready = if e.is_write { b.next_wr } else { b.next_rd };
            Cand {
                kind: CandKind::Col {
                    idx: i as u32,
                    write: e.is_write,
                },
                seq: e.seq,
                bank_ready,
            }
        } else if b.open_row == NO_ROW {
            Cand {
                kind: CandKind::Act,
                seq: q[0].seq,
                bank_ready: b.next_act,
            }
        } else {
            Cand {
                kind: CandKind::Pre,
                seq: q[0].seq,
                bank_ready: b.next_pre,
            }
        };
        let b = &mut self.banks[bi];
        b.cand = cand;
        b.cand_valid = true;
        cand
    }

    /// The earliest cycle bank `bi`'s candidate can issue, and the candidate.
    #[inline(always)]
    fn cand_when(&mut self, bi: usize) -> (u64, Cand) {
        let cand = self.cand(bi);
        let b = &self.banks[bi];
        let g = &self.groups[b.group as usize];
        let r = &self.rank_ready[b.rank as usize];
        let when = match cand.kind {
            CandKind::None => u64::MAX,
            CandKind::Col { write: false, .. } => cand.bank_ready.max(g.next_rd).max(r.rd),
            CandKind::Col { write: true, .. } => cand.bank_ready.max(g.next_wr).max(r.wr),
            CandKind::Act => cand.bank_ready.max(g.next_act).max(r.act),
            CandKind::Pre => cand.bank_ready,
        };
        let when = when.max(self.next_cmd);
        self.when_lb[bi] = when;
        (when, cand)
    }

    /// Recomputes the per-rank readiness used by [`Channel::cand_when`].
    #[inline(always)]
    fn update_rank_ready(&mut self, t: u64, faw: u64, refresh: bool) {
        for (r, ready) in self.ranks.iter().zip(self.rank_ready.iter_mut()) {
            let faw_ready = if r.n_acts >= 4 {
                r.faw[r.faw_idx] + faw
            } else {
                0
            };
            *ready = RankReady {
                act: r.next_act.max(faw_ready),
                rd: r.next_rd,
                wr: r.next_wr,
                refreshing: refresh && r.next_ref_due <= t,
            };
        }
    }

    /// Removes access `i` of bank `bi`'s queue and, without a write buffer, refills the window
    /// from the backlog (with one, [`Dram::pump`] does).
    fn take(&mut self, bi: usize, i: usize, refill: bool) -> Entry {
        let e = self.bank_queues[bi]
            .remove(i)
            .expect("index from a scan of this queue");
        self.n_queued -= 1;
        self.writes_in_window -= e.is_write as usize;
        self.banks[bi].cand_valid = false;
        self.when_lb[bi] = 0;
        if self.bank_queues[bi].is_empty() {
            let k = self
                .active
                .iter()
                .position(|&b| b as usize == bi)
                .expect("a non-empty bank is active");
            self.active.swap_remove(k);
        }
        if refill {
            if let Some(b) = self.backlog.pop_front() {
                self.enqueue(b);
            }
        } else if !self.trans_count.is_empty() && !self.draining {
            self.freed.push(bi as u32);
        }
        e
    }
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

    /// Issues, at their due times, the refreshes that fell due while channel `ch` was idle.
    fn catch_up_refresh(&mut self, ch: usize, now_cycle: u64) {
        if !self.spec.refresh {
            return;
        }
        loop {
            let due = self.channels[ch]
                .ranks
                .iter()
                .map(|r| r.next_ref_due)
                .min()
                .unwrap_or(u64::MAX);
            let at = due.max(self.channels[ch].next_cmd);
            if at >= now_cycle {
                return;
            }
            // With an empty queue a step only does refresh work; it returns when it can act next.
            let mut t = at;
            while t < now_cycle {
                match self.step(ch, t) {
                    Step::Issued(hint) => t = hint.max(t + 1),
                    Step::Idle(Some(next)) => t = next,
                    Step::Idle(None) => break,
                }
                if self.channels[ch].ranks.iter().all(|r| r.next_ref_due > t) {
                    break;
                }
            }
            if t >= now_cycle {
                return;
            }
        }
    }

    fn log(&mut self, cycle: u64, cmd: Command, ch: usize, a: &DramAddr, row: u32) {
        if let Some(log) = &mut self.log {
            log.push(IssuedCommand {
                cycle,
                cmd,
                channel: ch as u32,
                rank: a.rank,
                bank_group: a.bank_group,
                bank: a.bank,
                row,
            });
        }
    }

    fn issue_act(&mut self, ch: usize, a: DramAddr, t: u64) {
        let tm = self.spec.timing;
        let (bi, gi) = (self.bank_idx(&a), self.group_idx(&a));
        let c = &mut self.channels[ch];
        let hits = c.bank_queues[bi]
            .iter()
            .filter(|q| q.addr.row == a.row)
            .count() as u32;
        c.when_lb[bi] = 0;
        let b = &mut c.banks[bi];
        b.open_row = a.row;
        b.hits_queued = hits;
        b.row_hits = 0;
        b.cand_valid = false;
        b.next_act = b.next_act.max(t + tm.rc);
        b.next_pre = b.next_pre.max(t + tm.ras);
        b.next_rd = b.next_rd.max(t + tm.rcd);
        b.next_wr = b.next_wr.max(t + tm.rcd);
        c.groups[gi].next_act = c.groups[gi].next_act.max(t + tm.rrd_l);
        let r = &mut c.ranks[a.rank as usize];
        r.next_act = r.next_act.max(t + tm.rrd_s);
        r.faw[r.faw_idx] = t;
        r.faw_idx = (r.faw_idx + 1) % 4;
        r.n_acts += 1;
        c.next_cmd = t + 1;
        self.stats.activates += 1;
        self.log(t, Command::Act, ch, &a, a.row);
    }

    fn issue_pre(&mut self, ch: usize, bi: usize, a: DramAddr, t: u64) {
        let tm = self.spec.timing;
        let c = &mut self.channels[ch];
        c.when_lb[bi] = 0;
        let b = &mut c.banks[bi];
        b.open_row = NO_ROW;
        b.hits_queued = 0;
        b.cand_valid = false;
        b.next_act = b.next_act.max(t + tm.rp);
        c.next_cmd = t + 1;
        self.stats.precharges += 1;
        self.log(t, Command::Pre, ch, &a, NO_ROW);
    }

    fn issue_column(&mut self, ch: usize, e: Entry, t: u64) {
        let tm = self.spec.timing;
        let bl = self.spec.burst_cycles;
        let (bi, gi) = (e.bank as usize, e.group as usize);
        let (rtw, ccd_s, ccd_l) = (self.rtw, self.ccd_s, self.ccd_l);
        let c = &mut self.channels[ch];
        c.banks[bi].hits_queued -= 1;
        c.banks[bi].row_hits += 1;
        c.banks[bi].cand_valid = false;
        c.when_lb[bi] = 0;
        let rank = e.addr.rank as usize;
        if e.is_write {
            let b = &mut c.banks[bi];
            b.next_pre = b.next_pre.max(t + tm.cwl + bl + tm.wr);
            let g = &mut c.groups[gi];
            g.next_wr = g.next_wr.max(t + ccd_l);
            g.next_rd = g.next_rd.max(t + tm.cwl + bl + tm.wtr_l);
            let r = &mut c.ranks[rank];
            r.next_wr = r.next_wr.max(t + ccd_s);
            r.next_rd = r.next_rd.max(t + tm.cwl + bl + tm.wtr_s);
            for (_, r) in c.ranks.iter_mut().enumerate().filter(|(i, _)| *i != rank) {
                r.next_wr = r.next_wr.max(t + bl + tm.rtrs);
                r.next_rd = r
                    .next_rd
                    .max((t + tm.cwl + bl + tm.rtrs).saturating_sub(tm.cl));
            }
            self.stats.writes += 1;
            self.stats.bytes_written += self.spec.access_bytes;
        } else {
            let b = &mut c.banks[bi];
            b.next_pre = b.next_pre.max(t + tm.rtp);
            let g = &mut c.groups[gi];
            g.next_rd = g.next_rd.max(t + ccd_l);
            g.next_wr = g.next_wr.max(t + rtw);
            let r = &mut c.ranks[rank];
            r.next_rd = r.next_rd.max(t + ccd_s);
            r.next_wr = r.next_wr.max(t + rtw);
            for (_, r) in c.ranks.iter_mut().enumerate().filter(|(i, _)| *i != rank) {
                r.next_rd = r.next_rd.max(t + bl + tm.rtrs);
                r.next_wr = r
                    .next_wr
                    .max((t + tm.cl + bl + tm.rtrs).saturating_sub(tm.cwl));
            }
            self.stats.reads += 1;
            self.stats.bytes_read += self.spec.access_bytes;
        }
        c.next_cmd = t + 1;
        match (e.needed_pre, e.needed_act) {
            (true, _) => self.stats.row_misses += 1,
            (false, true) => self.stats.row_empty += 1,
            (false, false) => self.stats.row_hits += 1,
        }
        let row = e.addr.row;
        self.log(
            t,
            if e.is_write { Command::Wr } else { Command::Rd },
            ch,
            &e.addr,
            row,
        );
        let done = t + if e.is_write { tm.cwl } else { tm.cl } + bl;
        let s = &mut self.slots[e.slot as usize];
        s.remaining -= 1;
        s.done_cycle = s.done_cycle.max(done);
        if s.remaining == 0 {
            self.finished.push(e.slot);
        }
        if self.spec.page_policy == PagePolicy::Closed {
            let c = &mut self.channels[ch];
            if c.banks[bi].hits_queued == 0 && !c.to_close.contains(&bi) {
                c.to_close.push(bi);
            }
        }
    }

    /// Tries to issue one command on channel `ch` at cycle `t`.
    fn step(&mut self, ch: usize, t: u64) -> Step {
        let tm = self.spec.timing;
        let mut next = u64::MAX;
        // 1. Refresh, which has priority once due.
        let due = self.channels[ch]
            .ranks
            .iter()
            .map(|r| r.next_ref_due)
            .min()
            .unwrap_or(u64::MAX);
        if self.spec.refresh && due > t {
            next = due;
        } else if self.spec.refresh {
            for rank in 0..self.channels[ch].ranks.len() {
                if self.channels[ch].ranks[rank].next_ref_due > t {
                    next = next.min(self.channels[ch].ranks[rank].next_ref_due);
                    continue;
                }
                let per_rank = (self.spec.org.bank_groups * self.spec.org.banks_per_group) as usize;
                let range = rank * per_rank..(rank + 1) * per_rank;
                let c = &self.channels[ch];
                if let Some(bi) = range.clone().find(|&bi| c.banks[bi].open_row != NO_ROW) {
                    let ready = c.banks[bi].next_pre.max(c.next_cmd);
                    if ready <= t {
                        let a = self.addr_of_bank(rank, bi - rank * per_rank);
                        self.issue_pre(ch, bi, a, t);
                        return Step::Issued(t + 1);
                    }
                    next = next.min(ready);
                } else {
                    let ready = range
                        .clone()
                        .map(|bi| c.banks[bi].next_act)
                        .max()
                        .unwrap_or(0)
                        .max(c.next_cmd);
                    if ready <= t {
                        let c = &mut self.channels[ch];
                        for bi in range {
                            c.banks[bi].next_act = c.banks[bi].next_act.max(t + tm.rfc);
                            c.banks[bi].cand_valid = false;
                            c.when_lb[bi] = 0;
                        }
                        c.ranks[rank].next_ref_due += tm.refi;
                        c.next_cmd = t + 1;
                        self.stats.refreshes += 1;
                        let a = self.addr_of_bank(rank, 0);
                        self.log(t, Command::Ref, ch, &a, NO_ROW);
                        return Step::Issued(t + 1);
                    }
                    next = next.min(ready);
                }
            }
        }
        // 2. Per bank with queued work, its candidate: the oldest row hit (a column command), or else
        // the oldest access's ACT (closed bank) or PRE (a row nobody queued wants).
        // FR-FCFS: the oldest ready column command wins; else the oldest ready ACT/PRE.
        let refresh = self.spec.refresh;
        let c = &mut self.channels[ch];
        c.update_rank_ready(t, tm.faw, refresh);
        let mut best_col: Option<(u64, usize, u32)> = None; // (seq, bank, index in bank queue)
        let mut best_row: Option<(u64, usize, bool)> = None; // (seq, bank, is ACT)
        let mut n_ready = 0;
        // Banks whose lower bound has come, found without branching on it (it is unpredictable);
        // while a rank refreshes its banks are left out.
        let refreshing = c.rank_ready.iter().any(|r| r.refreshing);
        let mut n_due = 0;
        for k in 0..c.active.len() {
            let bi = c.active[k] as usize;
            if refreshing && c.rank_ready[c.banks[bi].rank as usize].refreshing {
                continue;
            }
            let lb = c.when_lb[bi];
            c.due[n_due] = bi as u32;
            n_due += (lb <= t) as usize;
            next = next.min(if lb > t { lb } else { u64::MAX });
        }
        for k in 0..n_due {
            let bi = c.due[k] as usize;
            let (when, cand) = c.cand_when(bi);
            if when > t {
                next = next.min(when);
                continue;
            }
            n_ready += 1;
            match cand.kind {
                CandKind::Col { idx, .. } => {
                    if best_col.is_none_or(|(seq, _, _)| cand.seq < seq) {
                        best_col = Some((cand.seq, bi, idx));
                    }
                }
                CandKind::Act | CandKind::Pre => {
                    if best_row.is_none_or(|(seq, _, _)| cand.seq < seq) {
                        best_row = Some((cand.seq, bi, matches!(cand.kind, CandKind::Act)));
                    }
                }
                CandKind::None => unreachable!("active banks have queued work"),
            }
        }
        // Issuing only raises timing constraints, so candidates that were not ready stay not ready
        // until `next`; the issuing bank is checked again, and anything else that changed (another
        // ready candidate, a backlog refill, closed-page closes) makes the next step the next cycle.
        // Several banks may have changed (another ready candidate, a backlog refill): then every
        // active bank's candidate is looked at again after the issue, not only the issuing one's.
        let mut recheck_all = n_ready > 1;
        let issued_bank = if let Some((_, bi, idx)) = best_col {
            recheck_all |= !self.channels[ch].backlog.is_empty();
            let staged = self.staged();
            let e = self.channels[ch].take(bi, idx as usize, !staged);
            self.issue_column(ch, e, t);
            if staged {
                recheck_all |= self.pump(ch, t);
            }
            Some(bi)
        } else if let Some((_, bi, is_act)) = best_row {
            let front = &mut self.channels[ch].bank_queues[bi][0];
            front.needed_act = true;
            if !is_act {
                front.needed_pre = true;
            }
            let addr = front.addr;
            if is_act {
                self.issue_act(ch, addr, t);
            } else {
                self.issue_pre(ch, bi, addr, t);
            }
            Some(bi)
        } else {
            None
        };
        if let Some(bi) = issued_bank {
            if self.spec.page_policy == PagePolicy::Closed {
                return Step::Issued(t + 1);
            }
            let c = &mut self.channels[ch];
            c.update_rank_ready(t + 1, tm.faw, refresh);
            let mut when = c.cand_when(bi).0;
            if recheck_all {
                // A valid candidate's `when_lb` is a lower bound (constraints only grow): a bank
                // whose bound is not below the earliest time found so far cannot lower it.
                for k in 0..c.active.len() {
                    let b = c.active[k] as usize;
                    if c.when_lb[b] >= next.min(when) {
                        continue;
                    }
                    when = when.min(c.cand_when(b).0);
                }
            }
            return Step::Issued(next.min(when).max(t + 1));
        }
        // 4. Closed page: close rows nobody queued wants.
        let mut k = 0;
        while k < self.channels[ch].to_close.len() {
            let bi = self.channels[ch].to_close[k];
            let c = &self.channels[ch];
            let open = c.banks[bi].open_row;
            if open == NO_ROW || c.banks[bi].hits_queued > 0 {
                self.channels[ch].to_close.swap_remove(k);
                continue;
            }
            let when = c.banks[bi].next_pre.max(c.next_cmd);
            if when <= t {
                self.channels[ch].to_close.swap_remove(k);
                let per_rank = (self.spec.org.bank_groups * self.spec.org.banks_per_group) as usize;
                let a = self.addr_of_bank(bi / per_rank, bi % per_rank);
                self.issue_pre(ch, bi, a, t);
                return Step::Issued(t + 1);
            }
            next = next.min(when);
            k += 1;
        }
        Step::Idle((next != u64::MAX).then_some(next))
    }

    fn addr_of_bank(&self, rank: usize, within: usize) -> DramAddr {
        let bpg = self.spec.org.banks_per_group as usize;
        DramAddr {
            channel: 0,
            rank: rank as u32,
            bank_group: (within / bpg) as u32,
            bank: (within % bpg) as u32,
            row: NO_ROW,
            column: 0,
        }
    }

    fn has_work(&self, ch: usize) -> bool {
        let c = &self.channels[ch];
        c.n_queued > 0 || !c.to_close.is_empty() || !c.write_buf.is_empty() || !c.trans.is_empty()
    }

    fn on_wake(&mut self, ch: usize, cycle: u64, ctx: &mut Ctx) {
        if self.channels[ch].wake_at != Some(cycle) {
            return; // Superseded by an earlier wake-up.
        }
        self.channels[ch].wake_at = None;
        // Nothing can reach this component before the earliest pending event, so the cycles before
        // it are simulated here in one go instead of one engine event each.
        let tck = self.spec.timing.tck_ps;
        let mut c = cycle;
        loop {
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
            let horizon = ctx.next_event_tick().map_or(u64::MAX, |t| t.0);
            if next.saturating_mul(tck) < horizon {
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

enum Step {
    /// A command issued; nothing else can issue before the given cycle.
    Issued(u64),
    Idle(Option<u64>),
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
