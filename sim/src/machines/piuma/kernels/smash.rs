//! SMASH V1, "atomic hashing" (Shivdikar, M.S. thesis, 2021, §5.1) [S1, S3].
//!
//! From the thesis (abstract and table of contents): row-wise product; partial products are merged
//! as they are produced, with atomics, into a hash table in scratchpad; three phases, window
//! distribution, hashing and write-back. Everything else here is our interpretation, because the
//! thesis text is [NOT FOUND]:
//! - Window distribution: consecutive rows of A form a window while their partial-product count
//!   (capped per row by B's column count: an upper bound on the window's distinct outputs) stays
//!   within half the hash table and within an equal share of the whole product per core, so that
//!   there are at least as many windows as cores; windows go to cores largest first, each to the
//!   least-loaded core (by partial products).
//!   Each core's threads first count the partial products of its rows (loads of A's and B's row
//!   pointers), then wait at a core barrier.
//! - Hashing: the core's threads take units of work from a counter in the core's scratchpad (an
//!   atomic fetch-add): whole rows (the default), or runs of `smash_unit_nnz` nonzeros of A; for each product, the key (i, j) is hashed (Fibonacci hashing) into a
//!   table sized to the window (a power of two, at least twice the bound), probed linearly with an
//!   atomic compare-and-swap per probe, and the value added with an atomic add.
//! - Write-back: after a barrier, threads scan slices of the table, write each entry's column and
//!   value to C in DRAM (taking positions with a scratchpad fetch-add) and clear the slot. C's rows
//!   are not sorted.
//!
//! SMASH V2, "tokenization" (§5.2), and V3, "fragmenting memory" (§5.3): only the titles are known
//! \[S3\]. What follows is entirely our interpretation, chosen to attack what V1 spends its time on
//! in this model (per-window barriers: 46 % to 72 % of thread-cycles in `reproduce smash`):
//! - V2: each window's work is a set of tokens (units of hashing, then chunks of write-back). A
//!   thread returns a token when it comes back for more, with an atomic decrement of the window's
//!   token counter in scratchpad; the window's write-back starts when its hashing tokens are all
//!   back, and any thread takes write-back chunks before new hashing work. The table is split in two
//!   halves, so a core hashes window w + 1 while window w is written back; window w + 2 waits for
//!   the half that w used. There is no barrier after the counting phase: a thread with nothing to
//!   take polls the token counter with a short back-off. A window holds at most a quarter of the
//!   table's slots (half a half, at load factor 1/2), and a core gets at least two windows.
//! - V3: V2, with C's output area handed out in fragments of `smash_fragment_entries` entries: a
//!   thread takes a fragment with one atomic on a counter in core 0's scratchpad and fills it
//!   sequentially, instead of one scratchpad fetch-add per written entry. Fragments end partly
//!   empty; C's entries are still read back by row and column, so the result is the same.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use super::{
    by_core, Code, Emit, KernelKind, Layout, Ops, Output, Problem, ThreadWork, WorkProgram, ELEM,
};
use crate::config::Invalid;
use crate::host::hints as host;
use crate::program::Program;
use crate::workload::Csr;

const EMPTY: u64 = u64::MAX;
/// Scratchpad bytes reserved for counters before the table.
const RESERVED: u64 = 4096;
const ROW_CURSOR: u64 = 64;
const OUT_CURSOR: u64 = 128;
/// V2/V3: the token counters of the two table halves, and the write-back chunk cursor.
const TOKENS: u64 = 192;
const WB_CURSOR: u64 = 208;
/// V2/V3: cycles a thread with nothing to take waits before it polls again (our assumption: long
/// enough that polling costs little issue bandwidth, short next to a hashing unit).
const POLL_BACKOFF_CYCLES: u32 = 32;
/// With `smash_dma_b_rows`: the staging area B's rows are copied to, in the reserved bytes.
const STAGING: u64 = 2304;
const STAGING_ELEMS: u64 = (RESERVED - STAGING) / ELEM - 1;
/// With `smash_dma_b_rows`: the staging area B's gathered row bounds go to, in the reserved bytes.
const PTR_STAGING: u64 = 1024;
const PTR_STAGING_ELEMS: u64 = (STAGING - PTR_STAGING) / ELEM - 1;
/// V3: the global fragment counter (in core 0's scratchpad).
const FRAG_CURSOR: u64 = 216;
// The code of each phase (instruction counts are our estimates, 4 bytes each).
/// Counting a row's partial products (about 32).
const COUNT_CODE: Code = Code::at(0x3000, 128);
/// Taking a unit of hashing work and hashing it: the multiply, the key, the probe loop with its
/// compare-and-swap, the atomic add, and the DMA variant's transfers (about 96).
const HASH_CODE: Code = Code::at(0x3080, 384);
/// Writing a chunk of table slots back to C (about 48).
const WRITEBACK_CODE: Code = Code::at(0x3200, 192);
/// V2/V3: returning and taking tokens, and polling (about 64).
const TOKEN_CODE: Code = Code::at(0x3300, 256);

/// Table slots a thread scans per unit of write-back work.
const WB_CHUNK: usize = 64;

struct Window {
    rows: Range<usize>,
    slots: usize,
    /// Upper bound on the window's partial products (its work).
    work: usize,
}

struct CoreState {
    windows: Vec<Window>,
    cur_window: usize,
    /// Next row (row units) or next nonzero of A (nonzero units) to hash in the current window.
    next: usize,
    /// The hash table's contents: each slot's key (`EMPTY` if free) and value, side by side so a
    /// probe and its add touch one host cache line.
    table: host::HugePageTable<(u64, f64)>,
    /// V2/V3: slots per table half (0 for V1, whose windows all start at slot 0).
    half: usize,
    /// V2/V3, per window: hashing tokens out, write-back chunks out, next write-back slot, done.
    hash_out: Vec<usize>,
    wb_out: Vec<usize>,
    wb_next: Vec<usize>,
    wb_done: Vec<bool>,
}

impl CoreState {
    /// First slot of window `w`'s table.
    fn base(&self, w: usize) -> usize {
        (w % 2) * self.half
    }
}

#[derive(Clone, Copy)]
enum Step {
    Count,
    Barrier,
    Hash(usize),
    WriteBack(usize),
    /// V2/V3: everything after the counting phase, driven by tokens.
    Tokens,
}

/// A token a V2/V3 thread holds until it asks for more work.
#[derive(Clone, Copy)]
enum Token {
    Hash(usize),
    WriteBack(usize),
}

struct Smash {
    a: Rc<Csr>,
    b: Rc<Csr>,
    l: Layout,
    core: u32,
    local: usize,
    per_core: usize,
    state: Rc<RefCell<CoreState>>,
    steps: Rc<Vec<Step>>,
    step: usize,
    /// Count phase: this thread's rows; write-back: the next slot.
    count_rows: Vec<usize>,
    cursor: usize,
    slots_max: u64,
    /// Nonzeros of A per hashing unit (0 = a whole row).
    unit_nnz: usize,
    out: Rc<RefCell<Output>>,
    kind: KernelKind,
    /// Fetch B's rows with the DMA engine.
    dma: bool,
    /// V2/V3: the token this thread holds.
    held: Option<Token>,
    /// V3: this thread's fragment: next slot and slots left.
    frag_pos: u64,
    frag_left: u64,
    frag_entries: u64,
    /// The hashing unit in progress: its operations are generated one step per refill (the loads
    /// that start a nonzero of A, or one partial product), so a thread's buffered operations stay
    /// a few (a whole row's would be thousands).
    pending: Option<Pending>,
}

/// What is left of a hashing unit: B's entries `qs` still to multiply by A's entry `aik` (in row
/// `i`; B's row starts at `row_start`), then A's nonzeros `ps`; the window's table is `slots`
/// slots from `base`.
struct Pending {
    i: usize,
    /// The unit's first nonzero (where its gathered row bounds start).
    first_p: usize,
    aik: f64,
    row_start: usize,
    qs: Range<usize>,
    ps: Range<usize>,
    slots: usize,
    base: usize,
}

impl Pending {
    fn new(i: usize, ps: Range<usize>, slots: usize, base: usize) -> Pending {
        Pending {
            i,
            first_p: ps.start,
            aik: 0.0,
            row_start: 0,
            qs: 0..0,
            ps,
            slots,
            base,
        }
    }
}

#[inline]
fn slot_of(key: u64, slots: usize) -> usize {
    let bits = slots.trailing_zeros();
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits.max(1))) as usize & (slots - 1)
}

impl Smash {
    fn key_addr(&self, s: usize) -> u64 {
        self.l.map.spad(self.core, RESERVED + ELEM * s as u64)
    }
    fn val_addr(&self, s: usize) -> u64 {
        self.l.map.spad(
            self.core,
            RESERVED + ELEM * self.slots_max + ELEM * s as u64,
        )
    }

    fn hash_row(&mut self, ops: &mut Ops, i: usize, slots: usize, base: usize) {
        ops.load(self.l.a.ptr(i));
        ops.load(self.l.a.ptr(i + 1));
        let ps = self.a.row_ptr[i]..self.a.row_ptr[i + 1];
        self.start_unit(ops, Pending::new(i, ps, slots, base));
    }

    /// Hashes the nonzeros `ps` of A, which lie in the window's `rows`: a binary search of A's row
    /// pointers finds the first one's row, and each row boundary crossed costs one more load.
    fn hash_nonzeros(
        &mut self,
        ops: &mut Ops,
        ps: Range<usize>,
        rows: Range<usize>,
        slots: usize,
        base: usize,
    ) {
        let a = &self.a;
        let i =
            rows.start + a.row_ptr[rows.start..=rows.end].partition_point(|&x| x <= ps.start) - 1;
        // Each probe of the search depends on the one before.
        for _ in 0..=(rows.len().max(1)).ilog2() {
            ops.load_dep(self.l.a.ptr(i));
        }
        self.start_unit(ops, Pending::new(i, ps, slots, base));
    }

    /// Starts a hashing unit. With DMA, one indexed gather first brings B's row bounds
    /// (`row_ptr[k]` and `row_ptr[k + 1]`, 16 bytes) for every nonzero of the unit into the
    /// scratchpad, indexed by the unit's column indices of A.
    fn start_unit(&mut self, ops: &mut Ops, pend: Pending) {
        if self.dma && !pend.ps.is_empty() {
            let ps = pend.ps.clone();
            ops.dma_gather(
                self.l.a.col(ps.start),
                self.a.col_idx[ps].iter().map(|&k| self.l.b.ptr(k as usize)),
                2,
            );
        }
        self.pending = Some(pend);
    }

    /// Generates the next step of the pending hashing unit: the loads that start a nonzero of A,
    /// or one partial product. False if the unit is finished.
    fn continue_unit(&mut self, ops: &mut Ops) -> bool {
        let Some(pend) = self.pending.as_mut() else {
            return false;
        };
        if let Some(q) = pend.qs.next() {
            let pend = &*pend;
            let (i, aik, row_start, slots, base) =
                (pend.i, pend.aik, pend.row_start, pend.slots, pend.base);
            let next = (q + 1 < pend.qs.end).then_some(q + 1);
            self.hash_product(ops, i, aik, q, row_start, slots, base);
            if let Some(q) = next {
                self.prefetch_slot(i, q, slots, base);
            }
            return true;
        }
        let Some(p) = pend.ps.next() else {
            self.pending = None;
            return false;
        };
        let (a, b, l) = (&self.a, &self.b, &self.l);
        while p >= a.row_ptr[pend.i + 1] {
            pend.i += 1;
            ops.load(l.a.ptr(pend.i + 1));
        }
        // A's entry p (column k) multiplies row k of B.
        let k = a.col_idx[p] as usize;
        if self.dma {
            // B's row bounds were gathered into the scratchpad when the unit started.
            let slot = (self.local as u64 * 16 + 2 * (p - pend.first_p) as u64) % PTR_STAGING_ELEMS;
            ops.load(l.a.col(p));
            ops.load(l.a.val(p));
            ops.load(l.map.spad(self.core, PTR_STAGING + ELEM * slot));
            ops.load(l.map.spad(self.core, PTR_STAGING + ELEM * (slot + 1)));
        } else {
            ops.a_entry_and_b_row(l, p, k);
        }
        let (start, end) = (b.row_ptr[k], b.row_ptr[k + 1]);
        if self.dma && end > start {
            // Two transfers bring B's row into the scratchpad; the entries are then read
            // locally, from a staging area that wraps (its addresses matter only for banks).
            let bytes = (ELEM * (end - start) as u64) as u32;
            ops.dma_get(l.b.col(start), bytes);
            ops.dma_get(l.b.val(start), bytes);
        }
        pend.aik = a.values[p];
        pend.row_start = start;
        pend.qs = start..end;
        let (i, slots, base) = (pend.i, pend.slots, pend.base);
        if end > start {
            self.prefetch_slot(i, start, slots, base);
        }
        true
    }

    /// Asks the host to bring the table slot that B's entry `q` of row `i`'s next partial product
    /// hashes to into its cache, so the probe finds it there when the thread comes back for its
    /// next operations. A hint for the host's speed only: it changes nothing simulated.
    #[inline]
    fn prefetch_slot(&self, i: usize, q: usize, slots: usize, base: usize) {
        let key = i as u64 * self.b.n_cols as u64 + self.b.col_idx[q] as u64;
        let st = self.state.borrow();
        if let Some(entry) = st.table.get(base + slot_of(key, slots)) {
            host::prefetch(entry);
        }
    }

    /// One partial product, A[i][k] times B's entry `q` (B's row k starts at `row_start`), merged
    /// into the table.
    #[allow(clippy::too_many_arguments)]
    fn hash_product(
        &mut self,
        ops: &mut Ops,
        i: usize,
        aik: f64,
        q: usize,
        row_start: usize,
        slots: usize,
        base: usize,
    ) {
        let (b, l) = (&self.b, &self.l);
        let j = b.col_idx[q] as u64;
        if self.dma {
            let slot = (self.local * 16 + 2 * (q - row_start)) as u64 % STAGING_ELEMS;
            ops.load(l.map.spad(self.core, STAGING + ELEM * slot));
            ops.load(l.map.spad(self.core, STAGING + ELEM * (slot + 1)));
        } else {
            // q runs over the row bounds of B just loaded.
            ops.load_dep(l.b.col(q));
            ops.load(l.b.val(q));
        }
        ops.fp(1);
        ops.int(2);
        let key = i as u64 * b.n_cols as u64 + j;
        let bq = b.values[q];
        let mut st = self.state.borrow_mut();
        let mut out = self.out.borrow_mut();
        let mut s = slot_of(key, slots);
        loop {
            out.hash_probes += 1;
            ops.atomic(self.key_addr(base + s));
            let slot = &mut st.table[base + s].0;
            if *slot == EMPTY {
                *slot = key;
                break;
            }
            if *slot == key {
                break;
            }
            out.hash_collisions += 1;
            ops.int(1);
            s = (s + 1) & (slots - 1);
        }
        ops.atomic(self.val_addr(base + s));
        st.table[base + s].1 += aik * bq;
    }
}

impl ThreadWork for Smash {
    fn refill(&mut self, ops: &mut Ops) -> bool {
        if self.continue_unit(ops) {
            return true;
        }
        let Some(&step) = self.steps.get(self.step) else {
            return false;
        };
        match step {
            Step::Count => {
                ops.code(&self.l, COUNT_CODE);
                if self.cursor < self.count_rows.len() {
                    let i = self.count_rows[self.cursor];
                    self.cursor += 1;
                    let (a, l) = (self.a.clone(), self.l);
                    ops.load(l.a.ptr(i));
                    ops.load(l.a.ptr(i + 1));
                    for p in a.row_ptr[i]..a.row_ptr[i + 1] {
                        let k = a.col_idx[p] as usize;
                        ops.load_dep(l.a.col(p));
                        ops.load_dep(l.b.ptr(k));
                        ops.load(l.b.ptr(k + 1));
                        ops.int(1);
                    }
                    ops.store(self.l.map.spad(self.core, 256 + ELEM * (i % 256) as u64));
                } else {
                    self.step += 1;
                    self.cursor = 0;
                }
            }
            Step::Barrier => {
                ops.barrier();
                self.step += 1;
            }
            Step::Hash(w) => {
                ops.code(&self.l, HASH_CODE);
                let a = self.a.clone();
                let (unit, slots) = {
                    let mut st = self.state.borrow_mut();
                    let rows = st.windows[w].rows.clone();
                    let (start, end) = if self.unit_nnz == 0 {
                        (rows.start, rows.end)
                    } else {
                        (a.row_ptr[rows.start], a.row_ptr[rows.end])
                    };
                    if st.cur_window != w {
                        st.cur_window = w;
                        st.next = start;
                    }
                    let slots = st.windows[w].slots;
                    let step = if self.unit_nnz == 0 { 1 } else { self.unit_nnz };
                    let unit = (st.next < end).then(|| {
                        let from = st.next;
                        st.next = (from + step).min(end);
                        (from, st.next, rows)
                    });
                    (unit, slots)
                };
                ops.atomic(self.l.map.spad(self.core, ROW_CURSOR));
                match unit {
                    Some((i, _, _)) if self.unit_nnz == 0 => self.hash_row(ops, i, slots, 0),
                    Some((p0, p1, rows)) => self.hash_nonzeros(ops, p0..p1, rows, slots, 0),
                    None => self.step += 1,
                }
            }
            Step::WriteBack(w) => {
                ops.code(&self.l, WRITEBACK_CODE);
                let slots = self.state.borrow().windows[w].slots;
                let (lo, hi) = (
                    self.local * slots / self.per_core,
                    (self.local + 1) * slots / self.per_core,
                );
                let start = lo + self.cursor;
                if start >= hi {
                    self.step += 1;
                    self.cursor = 0;
                    return true;
                }
                let end = (start + WB_CHUNK).min(hi);
                self.cursor += end - start;
                self.write_slots(ops, start..end);
            }
            Step::Tokens => return self.refill_tokens(ops),
        }
        true
    }
}

impl Smash {
    /// Writes the table entries in `slots` (absolute slot numbers) to C and clears them.
    fn write_slots(&mut self, ops: &mut Ops, slots: Range<usize>) {
        let n_cols = self.b.n_cols as u64;
        for s in slots {
            // Whether the slot is empty decides what follows: the scan waits for each key.
            ops.load_dep(self.key_addr(s));
            let (key, v) = {
                let mut st = self.state.borrow_mut();
                std::mem::replace(&mut st.table[s], (EMPTY, 0.0))
            };
            if key == EMPTY {
                continue;
            }
            ops.load_dep(self.val_addr(s));
            let (i, j) = ((key / n_cols) as u32, (key % n_cols) as u32);
            if self.kind == KernelKind::SmashV3 {
                if self.frag_left == 0 {
                    let mut out = self.out.borrow_mut();
                    ops.atomic(self.l.map.spad(0, FRAG_CURSOR));
                    self.frag_pos = out.fragments * self.frag_entries;
                    self.frag_left = self.frag_entries;
                    out.fragments += 1;
                }
                self.out
                    .borrow_mut()
                    .write_at(ops, &self.l, self.frag_pos, i, j, v);
                self.frag_pos += 1;
                self.frag_left -= 1;
            } else {
                ops.atomic(self.l.map.spad(self.core, OUT_CURSOR));
                self.out.borrow_mut().write(ops, &self.l, i, j, v);
            }
            ops.store(self.key_addr(s));
        }
    }

    /// V2/V3: returns the held token, then takes write-back work of a fully hashed window, else
    /// hashing work, else waits; `false` once every window of the core is written back.
    fn refill_tokens(&mut self, ops: &mut Ops) -> bool {
        ops.code(&self.l, TOKEN_CODE);
        let tokens = |w: usize| TOKENS + ELEM * (w % 2) as u64;
        if let Some(t) = self.held.take() {
            let mut st = self.state.borrow_mut();
            match t {
                Token::Hash(w) => {
                    st.hash_out[w] -= 1;
                    ops.atomic(self.l.map.spad(self.core, tokens(w)));
                }
                Token::WriteBack(w) => {
                    st.wb_out[w] -= 1;
                    ops.atomic(self.l.map.spad(self.core, tokens(w)));
                    if st.wb_out[w] == 0 && st.wb_next[w] >= st.windows[w].slots {
                        st.wb_done[w] = true;
                    }
                }
            }
        }
        let a = self.a.clone();
        let n = self.state.borrow().windows.len();
        let hashing = self.state.borrow().cur_window;
        // Write-back first: the oldest window whose hashing tokens are all back.
        for w in 0..n.min(hashing.saturating_add(1)) {
            let mut st = self.state.borrow_mut();
            if st.wb_done[w] || st.hash_out[w] > 0 {
                continue;
            }
            let end_unit = if self.unit_nnz == 0 {
                st.windows[w].rows.end
            } else {
                a.row_ptr[st.windows[w].rows.end]
            };
            if w == st.cur_window && st.next < end_unit {
                continue; // still hashing
            }
            let slots = st.windows[w].slots;
            if st.wb_next[w] < slots {
                let base = st.base(w);
                let start = st.wb_next[w];
                let end = (start + WB_CHUNK).min(slots);
                st.wb_next[w] = end;
                st.wb_out[w] += 1;
                drop(st);
                ops.atomic(self.l.map.spad(self.core, WB_CURSOR));
                ops.code(&self.l, WRITEBACK_CODE);
                self.write_slots(ops, base + start..base + end);
                self.held = Some(Token::WriteBack(w));
                return true;
            }
        }
        // Hashing: the current window, or the next one once its table half is free.
        loop {
            let mut st = self.state.borrow_mut();
            let h = st.cur_window;
            if h >= n {
                return false; // a core with no window
            }
            let rows = st.windows[h].rows.clone();
            let end = if self.unit_nnz == 0 {
                rows.end
            } else {
                a.row_ptr[rows.end]
            };
            if st.next < end {
                let step = self.unit_nnz.max(1);
                let from = st.next;
                st.next = (from + step).min(end);
                let to = st.next;
                st.hash_out[h] += 1;
                let (slots, base) = (st.windows[h].slots, st.base(h));
                drop(st);
                ops.atomic(self.l.map.spad(self.core, ROW_CURSOR));
                ops.code(&self.l, HASH_CODE);
                if self.unit_nnz == 0 {
                    self.hash_row(ops, from, slots, base);
                } else {
                    self.hash_nonzeros(ops, from..to, rows, slots, base);
                }
                self.held = Some(Token::Hash(h));
                return true;
            }
            let next = h + 1;
            if next < n && (next < 2 || st.wb_done[next - 2]) {
                st.cur_window = next;
                st.next = if self.unit_nnz == 0 {
                    st.windows[next].rows.start
                } else {
                    a.row_ptr[st.windows[next].rows.start]
                };
                continue;
            }
            if next >= n {
                // Past the last window: done once every window is written back.
                if st.wb_done.iter().all(|&d| d) {
                    return false;
                }
            }
            break;
        }
        // Nothing to take: poll the token counter after a back-off that leaves the pipeline to
        // the threads that have work (PIUMA's fast thread switching; the length is our assumption).
        ops.pause(POLL_BACKOFF_CYCLES);
        let w = self.state.borrow().cur_window.min(n.saturating_sub(1));
        ops.load(self.l.map.spad(self.core, tokens(w)));
        true
    }
}

/// Programs for SMASH V1, V2 or V3. Fails if one row's partial products cannot fit a window's
/// table at load factor 1/2.
pub fn programs(
    kind: KernelKind,
    p: &Problem,
    l: &Layout,
    out: &Rc<RefCell<Output>>,
    n_cores: usize,
    per_core: usize,
) -> Result<Vec<Vec<Box<dyn Program>>>, Invalid> {
    let (a, b) = (Rc::new(p.a.clone()), Rc::new(p.b.clone()));
    // The largest power-of-two table that fits the scratchpad (keys and values, 8 bytes each).
    let fit = (p.cfg.spad_bytes.saturating_sub(RESERVED) / (2 * ELEM)).max(1);
    let slots_max = 1u64 << (63 - fit.leading_zeros());
    let tokens = kind != KernelKind::SmashV1;
    // V2/V3 split the table in two halves (two windows in flight).
    let window_slots_max = if tokens { slots_max / 2 } else { slots_max }.max(1);
    let cap = (window_slots_max / 2) as usize;
    // Window distribution (planned here; its counting cost is charged to the threads below).
    // A row has at most as many distinct outputs as it has partial products, or as B has columns.
    let bound = |i: usize| -> usize {
        let row: usize = (a.row_ptr[i]..a.row_ptr[i + 1])
            .map(|q| {
                let k = a.col_idx[q] as usize;
                b.row_ptr[k + 1] - b.row_ptr[k]
            })
            .sum();
        row.min(b.n_cols)
    };
    // Aim for at least one window per core, so small problems still use the whole die.
    let total: usize = (0..a.n_rows).map(bound).sum();
    // V2/V3 aim for two windows per core, so a core always has one to hash while one is written.
    let per = if tokens { 2 * n_cores } else { n_cores };
    let target = cap.min(total.div_ceil(per).max(1));
    let mut windows: Vec<Window> = Vec::new();
    let (mut start, mut products) = (0usize, 0usize);
    for i in 0..a.n_rows {
        let row = bound(i);
        if row > cap {
            return Err(Invalid::new(
                "piuma.spad_bytes",
                p.cfg.spad_bytes,
                format!("SMASH's hash table ({window_slots_max} slots per window) cannot hold row {i}'s {row} partial products at a load factor of 1/2; raise spad_bytes to at least {}", RESERVED + 4 * ELEM * (slots_max / window_slots_max) * (row as u64).next_power_of_two()),
            ));
        }
        if products + row > target && i > start {
            windows.push(Window {
                rows: start..i,
                slots: (2 * products)
                    .next_power_of_two()
                    .clamp(64, window_slots_max as usize),
                work: products,
            });
            start = i;
            products = 0;
        }
        products += row;
    }
    if start < a.n_rows {
        windows.push(Window {
            rows: start..a.n_rows,
            slots: (2 * products)
                .next_power_of_two()
                .clamp(64, window_slots_max as usize),
            work: products,
        });
    }
    out.borrow_mut().windows = windows.len() as u64;
    let mut per_core_windows: Vec<Vec<Window>> = (0..n_cores).map(|_| Vec::new()).collect();
    // Longest-processing-time-first: the largest remaining window goes to the least-loaded core.
    let mut load = vec![0usize; n_cores];
    windows.sort_by_key(|w| (std::cmp::Reverse(w.work), w.rows.start));
    for win in windows {
        let core = (0..n_cores)
            .min_by_key(|&c| (load[c], c))
            .expect("at least one core");
        load[core] += win.work;
        per_core_windows[core].push(win);
    }
    for wins in &mut per_core_windows {
        wins.sort_by_key(|w| w.rows.start);
    }
    let mut flat: Vec<Box<dyn Program>> = Vec::new();
    for (core, wins) in per_core_windows.into_iter().enumerate() {
        let rows: Vec<usize> = wins.iter().flat_map(|w| w.rows.clone()).collect();
        let mut steps = vec![Step::Count, Step::Barrier];
        if tokens {
            steps.push(Step::Tokens);
        } else {
            for w in 0..wins.len() {
                steps.extend([
                    Step::Hash(w),
                    Step::Barrier,
                    Step::WriteBack(w),
                    Step::Barrier,
                ]);
            }
        }
        let steps = Rc::new(steps);
        let max_slots = wins.iter().map(|w| w.slots).max().unwrap_or(64);
        let n_wins = wins.len();
        let first = match wins.first() {
            Some(w) if p.cfg.smash_unit_nnz > 0 => a.row_ptr[w.rows.start],
            Some(w) => w.rows.start,
            None => 0,
        };
        let state = Rc::new(RefCell::new(CoreState {
            windows: wins,
            cur_window: if tokens { 0 } else { usize::MAX },
            next: if tokens { first } else { 0 },
            table: host::HugePageTable::new(
                (EMPTY, 0.0),
                if tokens { 2 * max_slots } else { max_slots },
            ),
            half: if tokens { max_slots } else { 0 },
            hash_out: vec![0; n_wins],
            wb_out: vec![0; n_wins],
            wb_next: vec![0; n_wins],
            wb_done: vec![false; n_wins],
        }));
        for local in 0..per_core {
            flat.push(Box::new(WorkProgram::new(Smash {
                a: a.clone(),
                b: b.clone(),
                l: *l,
                core: core as u32,
                local,
                per_core,
                state: state.clone(),
                steps: steps.clone(),
                step: 0,
                count_rows: rows.iter().copied().skip(local).step_by(per_core).collect(),
                cursor: 0,
                slots_max,
                unit_nnz: p.cfg.smash_unit_nnz as usize,
                out: out.clone(),
                kind,
                dma: p.cfg.smash_dma_b_rows,
                held: None,
                frag_pos: 0,
                frag_left: 0,
                frag_entries: p.cfg.smash_fragment_entries.max(1),
                pending: None,
            })));
        }
    }
    Ok(by_core(flat, per_core))
}
