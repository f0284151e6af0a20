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

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use super::{by_core, Layout, Ops, Output, Problem, ThreadWork, WorkProgram, ELEM};
use crate::config::Invalid;
use crate::program::Program;
use crate::workload::Csr;

const EMPTY: u64 = u64::MAX;
/// Scratchpad bytes reserved for counters before the table.
const RESERVED: u64 = 4096;
const ROW_CURSOR: u64 = 64;
const OUT_CURSOR: u64 = 128;
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
    keys: Vec<u64>,
    vals: Vec<f64>,
}

#[derive(Clone, Copy)]
enum Step {
    Count,
    Barrier,
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

    fn hash_row(&mut self, ops: &mut Ops, i: usize, slots: usize) {
        ops.load(self.l.a.ptr(i));
        ops.load(self.l.a.ptr(i + 1));
        let range = self.a.row_ptr[i]..self.a.row_ptr[i + 1];
        for p in range {
            self.hash_nonzero(ops, i, p, slots);
        }
    }

    /// Hashes the nonzeros `ps` of A, which lie in the window's `rows`: a binary search of A's row
    /// pointers finds the first one's row, and each row boundary crossed costs one more load.
    fn hash_nonzeros(&mut self, ops: &mut Ops, ps: Range<usize>, rows: Range<usize>, slots: usize) {
        let a = self.a.clone();
        let mut i =
            rows.start + a.row_ptr[rows.start..=rows.end].partition_point(|&x| x <= ps.start) - 1;
        for _ in 0..=(rows.len().max(1)).ilog2() {
            ops.load(self.l.a.ptr(i));
        }
        for p in ps {
            while p >= a.row_ptr[i + 1] {
                i += 1;
                ops.load(self.l.a.ptr(i + 1));
            }
            self.hash_nonzero(ops, i, p, slots);
        }
    }

    /// Multiplies A's entry `p` (in row `i`) by row k of B and merges the products into the table.
    fn hash_nonzero(&mut self, ops: &mut Ops, i: usize, p: usize, slots: usize) {
        let (a, b, l) = (self.a.clone(), self.b.clone(), self.l);
        let mut st = self.state.borrow_mut();
        let mut out = self.out.borrow_mut();
        {
            let (k, aik) = (a.col_idx[p] as usize, a.values[p]);
            ops.a_entry_and_b_row(&l, p, k);
            for q in b.row_ptr[k]..b.row_ptr[k + 1] {
                let j = b.col_idx[q] as u64;
                ops.load(l.b.col(q));
                ops.load(l.b.val(q));
                ops.fp(1);
                ops.int(2);
                let key = i as u64 * b.n_cols as u64 + j;
                let mut s = slot_of(key, slots);
                loop {
                    out.hash_probes += 1;
                    ops.atomic(self.key_addr(s));
                    if st.keys[s] == EMPTY {
                        st.keys[s] = key;
                        break;
                    }
                    if st.keys[s] == key {
                        break;
                    }
                    out.hash_collisions += 1;
                    ops.int(1);
                    s = (s + 1) & (slots - 1);
                }
                ops.atomic(self.val_addr(s));
                st.vals[s] += aik * b.values[q];
            }
        }
    }
}

impl ThreadWork for Smash {
    fn refill(&mut self, ops: &mut Ops) -> bool {
        let Some(&step) = self.steps.get(self.step) else {
            return false;
        };
        match step {
            Step::Count => {
                if self.cursor < self.count_rows.len() {
                    let i = self.count_rows[self.cursor];
                    self.cursor += 1;
                    let (a, l) = (self.a.clone(), self.l);
                    ops.load(l.a.ptr(i));
                    ops.load(l.a.ptr(i + 1));
                    for p in a.row_ptr[i]..a.row_ptr[i + 1] {
                        let k = a.col_idx[p] as usize;
                        ops.load(l.a.col(p));
                        ops.load(l.b.ptr(k));
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
                    Some((i, _, _)) if self.unit_nnz == 0 => self.hash_row(ops, i, slots),
                    Some((p0, p1, rows)) => self.hash_nonzeros(ops, p0..p1, rows, slots),
                    None => self.step += 1,
                }
            }
            Step::WriteBack(w) => {
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
                let n_cols = self.b.n_cols as u64;
                for s in start..end {
                    ops.load(self.key_addr(s));
                    let (key, v) = {
                        let mut st = self.state.borrow_mut();
                        let key = std::mem::replace(&mut st.keys[s], EMPTY);
                        (key, std::mem::take(&mut st.vals[s]))
                    };
                    if key == EMPTY {
                        continue;
                    }
                    ops.load(self.val_addr(s));
                    ops.atomic(self.l.map.spad(self.core, OUT_CURSOR));
                    self.out.borrow_mut().write(
                        ops,
                        &self.l,
                        (key / n_cols) as u32,
                        (key % n_cols) as u32,
                        v,
                    );
                    ops.store(self.key_addr(s));
                }
            }
        }
        true
    }
}

/// Programs for SMASH V1. Fails if one row's partial products cannot fit half the hash table.
pub fn programs(
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
    let cap = (slots_max / 2) as usize;
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
    let target = cap.min(total.div_ceil(n_cores).max(1));
    let mut windows: Vec<Window> = Vec::new();
    let (mut start, mut products) = (0usize, 0usize);
    for i in 0..a.n_rows {
        let row = bound(i);
        if row > cap {
            return Err(Invalid::new(
                "piuma.spad_bytes",
                p.cfg.spad_bytes,
                format!("SMASH's hash table ({slots_max} slots) cannot hold row {i}'s {row} partial products at a load factor of 1/2; raise spad_bytes to at least {}", RESERVED + 4 * ELEM * (row as u64).next_power_of_two()),
            ));
        }
        if products + row > target && i > start {
            windows.push(Window {
                rows: start..i,
                slots: (2 * products)
                    .next_power_of_two()
                    .clamp(64, slots_max as usize),
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
                .clamp(64, slots_max as usize),
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
        for w in 0..wins.len() {
            steps.extend([
                Step::Hash(w),
                Step::Barrier,
                Step::WriteBack(w),
                Step::Barrier,
            ]);
        }
        let steps = Rc::new(steps);
        let max_slots = wins.iter().map(|w| w.slots).max().unwrap_or(64);
        let state = Rc::new(RefCell::new(CoreState {
            windows: wins,
            cur_window: usize::MAX,
            next: 0,
            keys: vec![EMPTY; max_slots],
            vals: vec![0.0; max_slots],
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
            })));
        }
    }
    Ok(by_core(flat, per_core))
}
