//! Row-wise (Gustavson) baselines: C(i,:) = Σ_k A(i,k) · B(k,:), one row of A per unit of work.
//!
//! `rowwise-dense` accumulates into a dense array per thread (in its core's scratchpad for as many
//! of the core's threads as fit in `piuma.dense_acc_spad_share` of it; the other threads take no
//! work, or with `piuma.dense_acc_overflow = "dram"` keep theirs in DRAM), remembers which columns
//! it touched, sorts them and writes the row.
//! `rowwise-heap` merges the scaled rows of B with a binary heap keyed by column, so C's row comes
//! out sorted with no dense array. Both are standard SpGEMM formulations (Gustavson 1978; heap
//! merge as in Azad et al., 2016); their mapping onto PIUMA is ours.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;

use super::{
    by_core, distribute, Code, Discard, Emit, KernelKind, Layout, Ops, Output, Problem, ThreadWork,
    Units, WorkProgram, ELEM,
};
use crate::config::Invalid;
use crate::machines::piuma::DenseAccOverflow;

// The code of one row of C (instruction counts are our estimates, 4 bytes each).
/// Dense accumulator: scale and add B's rows, then sort the touched columns and write (about 72).
const DENSE_CODE: Code = Code::at(0x2000, 288);
/// Heap merge: seed the heap, pop, accumulate, push, write (about 120).
const HEAP_CODE: Code = Code::at(0x2200, 480);
use crate::program::Program;
use crate::workload::Csr;

struct Row {
    kind: KernelKind,
    a: Rc<Csr>,
    b: Rc<Csr>,
    l: Layout,
    units: Units,
    acc_base: u64,
    acc: Vec<f64>,
    touched: Vec<bool>,
    nz: Vec<u32>,
    heap: BinaryHeap<Reverse<(u32, usize, usize)>>,
    out: Rc<RefCell<Output>>,
    /// The row of C whose operations are being generated, if any.
    pending: Option<Pending>,
}

/// A row of C in progress. Its functional work (C's row, recorded in the output with the slots
/// it takes) is done when the row starts; its operations then follow, `STEPS_PER_REFILL`
/// partial products, heap pops or written entries per refill, the same operations in the same
/// order as if they had all been generated at once, so a thread's buffer stays small whatever
/// the row's work.
#[derive(Clone, Copy)]
struct Pending {
    i: usize,
    /// The output slot of the row's first entry (its entries take consecutive slots).
    pos0: u64,
    step: Step,
}

#[derive(Clone, Copy)]
enum Step {
    /// Dense accumulator: A's entry `p`, and the next entry `q` of B's row (`None`: the loads
    /// that start on `p` come first).
    DenseProducts { p: usize, q: Option<usize> },
    /// Dense accumulator: sorting the touched columns, `left` integer operations to go.
    DenseSort { left: usize },
    /// Dense accumulator: writing entry `e` of the sorted touched columns (`self.nz`).
    DenseWrite { e: usize },
    /// Heap merge: seeding the heap with the head of A's entry `p`'s scaled row of B.
    HeapSeed { p: usize },
    /// Heap merge: popping; the entry being summed, and the entries written so far.
    HeapMerge {
        current: Option<(u32, f64)>,
        written: u64,
    },
}

/// Steps of a row (partial products, heap pops, written entries) one refill generates.
const STEPS_PER_REFILL: usize = 64;
/// Integer operations of the dense accumulator's sort per step.
const SORT_OPS_PER_STEP: usize = 16;

fn log2_ceil(n: usize) -> usize {
    (usize::BITS - n.max(1).leading_zeros()) as usize
}

impl Row {
    /// Dense accumulator, functional: C's row `i` accumulated, its touched columns sorted into
    /// `self.nz` (and left marked in `self.touched` for the operations to find their first
    /// touches) and its entries recorded. Returns the first entry's output slot.
    fn dense_compute(&mut self, i: usize) -> u64 {
        let (a, b) = (&*self.a, &*self.b);
        for p in a.row_ptr[i]..a.row_ptr[i + 1] {
            let (k, aik) = (a.col_idx[p] as usize, a.values[p]);
            for q in b.row_ptr[k]..b.row_ptr[k + 1] {
                let j = b.col_idx[q] as usize;
                if !self.touched[j] {
                    self.touched[j] = true;
                    self.nz.push(j as u32);
                }
                self.acc[j] += aik * b.values[q];
            }
        }
        self.nz.sort_unstable();
        let mut out = self.out.borrow_mut();
        let pos0 = out.entries.len() as u64;
        for &j in &self.nz {
            let v = std::mem::take(&mut self.acc[j as usize]);
            out.record(i as u32, j, v);
        }
        pos0
    }

    /// Dense accumulator, operations: up to `STEPS_PER_REFILL` steps of the row from `step`;
    /// returns where the row goes on, `None` once it is finished.
    fn dense_ops(&mut self, ops: &mut Ops, pend: &Pending) -> Option<Step> {
        let (a, b, l) = (&*self.a, &*self.b, self.l);
        let (i, pos0) = (pend.i, pend.pos0);
        let mut step = pend.step;
        for _ in 0..STEPS_PER_REFILL {
            step = match step {
                Step::DenseProducts { p, q } if p < a.row_ptr[i + 1] => {
                    let k = a.col_idx[p] as usize;
                    match q {
                        None => {
                            ops.a_entry_and_b_row(&l, p, k);
                            Step::DenseProducts {
                                p,
                                q: Some(b.row_ptr[k]),
                            }
                        }
                        Some(q) if q < b.row_ptr[k + 1] => {
                            let j = b.col_idx[q] as usize;
                            ops.load_dep(l.b.col(q));
                            ops.load(l.b.val(q));
                            ops.fp(1);
                            let slot = self.acc_base + ELEM * j as u64;
                            ops.load(slot);
                            ops.fp(1);
                            ops.store(slot);
                            // The first touch of column j (marked by the functional pass).
                            if std::mem::take(&mut self.touched[j]) {
                                ops.int(1);
                            }
                            Step::DenseProducts { p, q: Some(q + 1) }
                        }
                        Some(_) => Step::DenseProducts { p: p + 1, q: None },
                    }
                }
                Step::DenseProducts { .. } => {
                    // Sort the touched columns, then write the row and clear the accumulator.
                    let n = self.nz.len();
                    Step::DenseSort {
                        left: n * log2_ceil(n),
                    }
                }
                Step::DenseSort { left } if left > 0 => {
                    let now = left.min(SORT_OPS_PER_STEP);
                    ops.int(now);
                    Step::DenseSort { left: left - now }
                }
                Step::DenseSort { .. } => Step::DenseWrite { e: 0 },
                Step::DenseWrite { e } if e < self.nz.len() => {
                    let slot = self.acc_base + ELEM * self.nz[e] as u64;
                    ops.load(slot);
                    Output::store_ops(ops, &l, pos0 + e as u64);
                    ops.store(slot);
                    Step::DenseWrite { e: e + 1 }
                }
                Step::DenseWrite { .. } => {
                    self.nz.clear();
                    return None;
                }
                _ => unreachable!("a dense row's step"),
            };
        }
        Some(step)
    }

    /// Heap merge: seeds the heap with the head of A's entry `p`'s scaled row of B.
    fn heap_seed(&mut self, ops: &mut impl Emit, p: usize, depth: usize) {
        let (a, b, l) = (&*self.a, &*self.b, &self.l);
        let k = a.col_idx[p] as usize;
        ops.a_entry_and_b_row(l, p, k);
        if b.row_ptr[k] < b.row_ptr[k + 1] {
            ops.load_dep(l.b.col(b.row_ptr[k]));
            ops.int(depth);
            self.heap
                .push(Reverse((b.col_idx[b.row_ptr[k]], p, b.row_ptr[k])));
        }
    }

    /// Heap merge: one pop, adding its product to `current`; an entry of C the pop completes
    /// goes to `finish` (in the functional pass, the output; in the operations, its stores).
    /// False once the heap is empty.
    fn heap_pop<E: Emit>(
        &mut self,
        ops: &mut E,
        depth: usize,
        current: &mut Option<(u32, f64)>,
        finish: &mut impl FnMut(&mut E, u32, f64),
    ) -> bool {
        let Some(Reverse((j, p, q))) = self.heap.pop() else {
            return false;
        };
        let (a, b, l) = (&*self.a, &*self.b, &self.l);
        ops.int(depth);
        ops.load(l.b.val(q));
        ops.fp(1);
        let v = a.values[p] * b.values[q];
        *current = match *current {
            Some((cj, cv)) if cj == j => {
                ops.fp(1);
                Some((cj, cv + v))
            }
            Some((cj, cv)) => {
                finish(ops, cj, cv);
                Some((j, v))
            }
            None => Some((j, v)),
        };
        let k = a.col_idx[p] as usize;
        if q + 1 < b.row_ptr[k + 1] {
            ops.load(l.b.col(q + 1));
            ops.int(depth);
            self.heap.push(Reverse((b.col_idx[q + 1], p, q + 1)));
        }
        true
    }

    /// The depth of row `i`'s heap (one list per entry of A's row).
    fn heap_depth(&self, i: usize) -> usize {
        log2_ceil(self.a.row_ptr[i + 1] - self.a.row_ptr[i])
    }

    /// Heap merge, functional: C's row `i` merged and its entries recorded (the heap is left
    /// empty). Returns the first entry's output slot.
    fn heap_compute(&mut self, i: usize) -> u64 {
        let depth = self.heap_depth(i);
        for p in self.a.row_ptr[i]..self.a.row_ptr[i + 1] {
            self.heap_seed(&mut Discard, p, depth);
        }
        let out = self.out.clone();
        let pos0 = out.borrow().entries.len() as u64;
        let mut record = |_: &mut Discard, j: u32, v: f64| {
            out.borrow_mut().record(i as u32, j, v);
        };
        let mut current = None;
        while self.heap_pop(&mut Discard, depth, &mut current, &mut record) {}
        if let Some((j, v)) = current {
            record(&mut Discard, j, v);
        }
        pos0
    }

    /// Heap merge, operations: up to `STEPS_PER_REFILL` steps of the row from `step`; returns
    /// where the row goes on, `None` once it is finished.
    fn heap_ops(&mut self, ops: &mut Ops, pend: &Pending) -> Option<Step> {
        let (i, pos0) = (pend.i, pend.pos0);
        let depth = self.heap_depth(i);
        let mut step = pend.step;
        for _ in 0..STEPS_PER_REFILL {
            step = match step {
                Step::HeapSeed { p } if p < self.a.row_ptr[i + 1] => {
                    self.heap_seed(ops, p, depth);
                    Step::HeapSeed { p: p + 1 }
                }
                Step::HeapSeed { .. } => Step::HeapMerge {
                    current: None,
                    written: 0,
                },
                Step::HeapMerge {
                    mut current,
                    mut written,
                } => {
                    let l = self.l;
                    let mut store = |ops: &mut Ops, _: u32, _: f64| {
                        Output::store_ops(ops, &l, pos0 + written);
                        written += 1;
                    };
                    if !self.heap_pop(ops, depth, &mut current, &mut store) {
                        if current.is_some() {
                            store(ops, 0, 0.0);
                        }
                        return None;
                    }
                    Step::HeapMerge { current, written }
                }
                _ => unreachable!("a heap row's step"),
            };
        }
        Some(step)
    }

    /// The operations of the pending row's next steps; false if no row is pending.
    fn continue_row(&mut self, ops: &mut Ops) -> bool {
        let Some(pend) = self.pending.take() else {
            return false;
        };
        let next = match self.kind {
            KernelKind::RowwiseHeap => self.heap_ops(ops, &pend),
            _ => self.dense_ops(ops, &pend),
        };
        self.pending = next.map(|step| Pending { step, ..pend });
        true
    }
}

impl ThreadWork for Row {
    fn refill(&mut self, ops: &mut Ops) -> bool {
        if self.continue_row(ops) {
            return true;
        }
        let code = match self.kind {
            KernelKind::RowwiseHeap => HEAP_CODE,
            _ => DENSE_CODE,
        };
        ops.code(&self.l, code);
        let Some(i) = self.units.next(ops) else {
            return false;
        };
        ops.load(self.l.a.ptr(i));
        ops.load(self.l.a.ptr(i + 1));
        let p = self.a.row_ptr[i];
        let (pos0, step) = match self.kind {
            KernelKind::RowwiseHeap => (self.heap_compute(i), Step::HeapSeed { p }),
            _ => (self.dense_compute(i), Step::DenseProducts { p, q: None }),
        };
        self.pending = Some(Pending { i, pos0, step });
        self.continue_row(ops);
        true
    }
}

/// Programs for the row-wise kernels. Fails (naming the key) when no thread could work: idle
/// overflow and no accumulator fitting in the scratchpad's share.
pub fn programs(
    kind: KernelKind,
    p: &Problem,
    l: &Layout,
    out: &Rc<RefCell<Output>>,
    n_cores: usize,
    per_core: usize,
) -> Result<Vec<Vec<Box<dyn Program>>>, Invalid> {
    let (a, b) = (Rc::new(p.a.clone()), Rc::new(p.b.clone()));
    let n_threads = n_cores * per_core;
    let acc_bytes = b.n_cols as u64 * ELEM;
    // Dense accumulators sit in the core's scratchpad (after a 4 KiB area for counters), in the
    // configured share of it, for as many of the core's threads as fit there (the first ones, MTP
    // threads before STP threads); the others are idle or keep theirs in DRAM (`works` below).
    let spad_threads = if kind == KernelKind::RowwiseDense {
        let share = (p.cfg.spad_bytes as f64 * p.cfg.dense_acc_spad_share) as u64;
        (share.saturating_sub(4096) / acc_bytes.max(1)) as usize
    } else {
        0
    };
    // With `dense_acc_overflow = "idle"`, only the threads with a scratchpad accumulator take work.
    let works = |t: usize| {
        kind != KernelKind::RowwiseDense
            || p.cfg.dense_acc_overflow == DenseAccOverflow::Dram
            || t % per_core < spad_threads
    };
    let workers = (0..n_threads).filter(|&t| works(t)).count();
    if workers == 0 {
        return Err(Invalid::new(
            "piuma.dense_acc_spad_share",
            p.cfg.dense_acc_spad_share,
            format!(
                "no dense accumulator of {acc_bytes} bytes fits in this share of the {} B scratchpad \
                 (less 4 KiB), and dense_acc_overflow = \"idle\" leaves every thread without work: \
                 raise the share or spad_bytes, or set dense_acc_overflow = \"dram\"",
                p.cfg.spad_bytes
            ),
        ));
    }
    let mut units = distribute(a.n_rows, workers, p.cfg.work_distribution, l.map, 0).into_iter();
    let flat = (0..n_threads)
        .map(|t| {
            if works(t) {
                units.next().expect("one share of the work per worker")
            } else {
                Units::Static(0..0)
            }
        })
        .enumerate()
        .map(|(t, units)| {
            let (core, local) = (t / per_core, t % per_core);
            let acc_base = if local < spad_threads {
                l.map.spad(core as u32, 4096 + acc_bytes * local as u64)
            } else {
                l.scratch + acc_bytes.div_ceil(4096) * 4096 * t as u64
            };
            let dense = kind == KernelKind::RowwiseDense;
            Box::new(WorkProgram::new(Row {
                kind,
                a: a.clone(),
                b: b.clone(),
                l: *l,
                units,
                acc_base,
                acc: if dense {
                    vec![0.0; b.n_cols]
                } else {
                    Vec::new()
                },
                touched: if dense {
                    vec![false; b.n_cols]
                } else {
                    Vec::new()
                },
                nz: Vec::new(),
                heap: BinaryHeap::new(),
                out: out.clone(),
                pending: None,
            })) as Box<dyn Program>
        })
        .collect();
    Ok(by_core(flat, per_core))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{drain, map};
    use super::*;

    /// A row of C with many partial products, for both row-wise kernels: its entries are all
    /// recorded when the row starts, and its operations come in refills of a bounded size, with a
    /// store pair for every entry (and the dense accumulator's own stores).
    #[test]
    fn a_row_s_operations_come_a_bounded_batch_per_refill_whatever_its_work() {
        let n = 10_000;
        let a = Csr::from_triplets(1, 2, vec![(0, 0, 2.0), (0, 1, 3.0)]);
        let b = Csr::from_triplets(
            2,
            n,
            (0..n as u32)
                .flat_map(|j| [(0, j, 1.0), (1, j, 1.0)])
                .collect(),
        );
        for kind in [KernelKind::RowwiseDense, KernelKind::RowwiseHeap] {
            let out = Rc::new(RefCell::new(Output::default()));
            let mut w = Row {
                kind,
                l: Layout::new(&a, &b, map(), n),
                a: Rc::new(a.clone()),
                b: Rc::new(b.clone()),
                units: Units::Static(0..1),
                acc_base: 0,
                acc: vec![0.0; n],
                touched: vec![false; n],
                nz: Vec::new(),
                heap: BinaryHeap::new(),
                out: out.clone(),
                pending: None,
            };
            let (refills, largest, stores) = drain(&mut w, || {
                assert_eq!(
                    out.borrow().entries.len(),
                    n,
                    "{kind:?}: entries at the start"
                )
            });
            assert!(
                largest <= STEPS_PER_REFILL * 16,
                "{kind:?}: a refill of {largest} operations"
            );
            assert!(
                refills > 2 * n / STEPS_PER_REFILL,
                "{kind:?}: {refills} refills"
            );
            let accumulator_stores = if kind == KernelKind::RowwiseDense {
                3 * n
            } else {
                0
            };
            assert_eq!(stores, 2 * n + accumulator_stores, "{kind:?}: stores");
            assert!(out
                .borrow()
                .entries
                .iter()
                .all(|&(i, _, v)| i == 0 && v == 5.0));
        }
    }
}
