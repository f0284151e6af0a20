//! Outer product: C = Σ_k A(:,k) ⊗ B(k,:), in two phases.
//!
//! Multiply: each unit is a k; every product A(i,k)·B(k,j) is appended to the bucket of the thread
//! that owns row i (a memory-side atomic fetch-add on the bucket's cursor, then two stores).
//! After a global barrier, merge: each thread loads its bucket, sorts it by (i, j), sums equal
//! positions and writes C. Materialising partial products is the cost the SMASH thesis contrasts
//! its atomic merging with \[S1\]; the bucketing scheme is our interpretation.

use std::cell::RefCell;
use std::rc::Rc;

use super::{
    by_core, distribute, Code, Emit, GlobalBarrier, Layout, Ops, Output, Problem, ThreadWork,
    Units, WorkProgram, ELEM,
};

// The code of each phase (instruction counts are our estimates, 4 bytes each).
/// Multiply: one column of Aᵀ times one row of B, appending partial products (about 48).
const MULTIPLY_CODE: Code = Code::at(0x1000, 192);
/// The global barrier's arrival and polling (about 16).
const BARRIER_CODE: Code = Code::at(0x1100, 64);
/// Merge: sort a bucket of partial products, sum duplicates, write C (about 80).
const MERGE_CODE: Code = Code::at(0x1140, 320);
use crate::program::Program;
use crate::workload::Csr;

struct Shared {
    buckets: Vec<Vec<(u32, u32, f64)>>,
    n_partials: u64,
}

/// Operations a merge step emits at most per refill (bucket loads, or the sort's integer work),
/// so a thread's buffer stays small however large its bucket.
const MERGE_CHUNK: usize = 64;

/// Where a thread is. A unit's functional work (its partial products into the buckets, the
/// slots they take; the merged entries of C) happens when the unit starts, and its operations
/// follow a few at a time (one partial product per refill while multiplying), so the buffer never
/// holds a whole unit's operations: they would be 7 per partial product, millions for an R-MAT
/// hub. Same operations, and same moments for the functional work, as generating them at once.
enum Phase {
    /// Taking the next unit (a k).
    Multiply,
    /// In unit `k`: entry `p` of row k of Aᵀ, the next entry `q` of row k of B (`None`: entry
    /// p's own loads are still to come), and the slot of the next partial product.
    Products {
        k: usize,
        p: usize,
        q: Option<usize>,
        slot: u64,
    },
    Arrive,
    Wait,
    /// Entering the merge: sort the bucket and write its entries of C; their operations follow.
    Merge,
    /// Merge: the bucket's loads from entry `e` on (the bucket is already sorted, and its entries
    /// of C written from slot `pos` of C's output area on).
    MergeLoad {
        bucket: Vec<(u32, u32, f64)>,
        e: usize,
        pos: u64,
    },
    /// The sort's integer operations still to emit.
    MergeSort {
        bucket: Vec<(u32, u32, f64)>,
        left: usize,
        pos: u64,
    },
    /// Summing and writing the sorted bucket from entry `e` on, to slot `pos` on.
    MergeWrite {
        bucket: Vec<(u32, u32, f64)>,
        e: usize,
        pos: u64,
    },
    Done,
}

struct Outer {
    at: Rc<Csr>,
    b: Rc<Csr>,
    l: Layout,
    units: Units,
    me: usize,
    rows_per_thread: usize,
    n_threads: usize,
    shared: Rc<RefCell<Shared>>,
    barrier: Rc<RefCell<GlobalBarrier>>,
    phase: Phase,
    out: Rc<RefCell<Output>>,
}

impl Outer {
    /// The thread that merges row `i`.
    fn owner(&self, i: usize) -> usize {
        (i / self.rows_per_thread).min(self.n_threads - 1)
    }
}

impl ThreadWork for Outer {
    fn refill(&mut self, ops: &mut Ops) -> bool {
        let (at, b, l) = (&*self.at, &*self.b, self.l);
        self.phase = match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Multiply => {
                ops.code(&l, MULTIPLY_CODE);
                match self.units.next(ops) {
                    Some(k) => {
                        ops.load(l.at.ptr(k));
                        ops.load(l.at.ptr(k + 1));
                        ops.load(l.b.ptr(k));
                        ops.load(l.b.ptr(k + 1));
                        // Every product A(i,k)·B(k,j) goes to the bucket of the thread owning
                        // row i, in consecutive slots of the partial area from `slot` on.
                        let mut sh = self.shared.borrow_mut();
                        let slot = sh.n_partials;
                        for p in at.row_ptr[k]..at.row_ptr[k + 1] {
                            let i = at.col_idx[p] as usize;
                            let owner = self.owner(i);
                            for q in b.row_ptr[k]..b.row_ptr[k + 1] {
                                sh.n_partials += 1;
                                sh.buckets[owner].push((
                                    i as u32,
                                    b.col_idx[q],
                                    at.values[p] * b.values[q],
                                ));
                            }
                        }
                        Phase::Products {
                            k,
                            p: at.row_ptr[k],
                            q: None,
                            slot,
                        }
                    }
                    None => Phase::Arrive,
                }
            }
            Phase::Products { k, p, q, slot } => {
                if p == at.row_ptr[k + 1] {
                    Phase::Multiply
                } else {
                    let q = q.unwrap_or_else(|| {
                        ops.load_dep(l.at.col(p));
                        ops.load(l.at.val(p));
                        b.row_ptr[k]
                    });
                    if q == b.row_ptr[k + 1] {
                        Phase::Products {
                            k,
                            p: p + 1,
                            q: None,
                            slot,
                        }
                    } else {
                        // One partial product: an atomic on its bucket's cursor, two stores.
                        let owner = self.owner(at.col_idx[p] as usize);
                        ops.load(l.b.col(q));
                        ops.load(l.b.val(q));
                        ops.fp(1);
                        ops.atomic(l.scratch + ELEM * owner as u64);
                        let addr = l.scratch + 4096 * 16 + 2 * ELEM * slot;
                        ops.store(addr);
                        ops.store(addr + ELEM);
                        Phase::Products {
                            k,
                            p,
                            q: Some(q + 1),
                            slot: slot + 1,
                        }
                    }
                }
            }
            Phase::Arrive => {
                ops.code(&l, BARRIER_CODE);
                GlobalBarrier::arrive(&self.barrier, ops);
                Phase::Wait
            }
            Phase::Wait => {
                ops.code(&l, BARRIER_CODE);
                if GlobalBarrier::poll(&self.barrier, ops) {
                    Phase::Merge
                } else {
                    Phase::Wait
                }
            }
            Phase::Merge => {
                ops.code(&l, MERGE_CODE);
                let mut bucket = std::mem::take(&mut self.shared.borrow_mut().buckets[self.me]);
                bucket.sort_by_key(|&(i, j, _)| (i, j));
                let mut out = self.out.borrow_mut();
                let pos = out.entries.len() as u64;
                let mut e = 0;
                while e < bucket.len() {
                    let (i, j, mut v) = bucket[e];
                    e += 1;
                    while e < bucket.len() && (bucket[e].0, bucket[e].1) == (i, j) {
                        v += bucket[e].2;
                        e += 1;
                    }
                    out.record(i, j, v);
                }
                Phase::MergeLoad { bucket, e: 0, pos }
            }
            Phase::MergeLoad { bucket, e, pos } => {
                let n = bucket.len();
                let to = (e + MERGE_CHUNK).min(n);
                for e in e..to {
                    // The partials of this bucket are scattered through the partial area; charge a
                    // key and a value load each, at their bucket-order position.
                    let slot = l.scratch + 4096 * 16 + 2 * ELEM * e as u64;
                    ops.load(slot);
                    ops.load(slot + ELEM);
                }
                if to < n {
                    Phase::MergeLoad { bucket, e: to, pos }
                } else {
                    let left = n * (usize::BITS - n.max(1).leading_zeros()) as usize;
                    Phase::MergeSort { bucket, left, pos }
                }
            }
            Phase::MergeSort { bucket, left, pos } => {
                let now = left.min(MERGE_CHUNK);
                ops.int(now);
                if now < left {
                    Phase::MergeSort {
                        bucket,
                        left: left - now,
                        pos,
                    }
                } else {
                    Phase::MergeWrite { bucket, e: 0, pos }
                }
            }
            Phase::MergeWrite { bucket, mut e, pos } => {
                if e == bucket.len() {
                    Phase::Done
                } else {
                    // One entry of C: its partial products summed, then written.
                    let (i, j) = (bucket[e].0, bucket[e].1);
                    e += 1;
                    while e < bucket.len() && (bucket[e].0, bucket[e].1) == (i, j) {
                        ops.int(1);
                        ops.fp(1);
                        e += 1;
                    }
                    Output::store_ops(ops, &l, pos);
                    Phase::MergeWrite {
                        bucket,
                        e,
                        pos: pos + 1,
                    }
                }
            }
            Phase::Done => return false,
        };
        true
    }
}

/// Programs for the outer-product kernel.
pub fn programs(
    p: &Problem,
    l: &Layout,
    out: &Rc<RefCell<Output>>,
    n_cores: usize,
    per_core: usize,
) -> Vec<Vec<Box<dyn Program>>> {
    let (at, b) = (Rc::new(p.a.transpose()), Rc::new(p.b.clone()));
    let n_threads = n_cores * per_core;
    let shared = Rc::new(RefCell::new(Shared {
        buckets: vec![Vec::new(); n_threads],
        n_partials: 0,
    }));
    let barrier = GlobalBarrier::new(n_threads, l.map.spad(0, 8));
    let rows_per_thread = p.a.n_rows.div_ceil(n_threads).max(1);
    let units = distribute(at.n_rows, n_threads, p.cfg.work_distribution, l.map, 0);
    let flat = units
        .into_iter()
        .enumerate()
        .map(|(me, units)| {
            Box::new(WorkProgram::new(Outer {
                at: at.clone(),
                b: b.clone(),
                l: *l,
                units,
                me,
                rows_per_thread,
                n_threads,
                shared: shared.clone(),
                barrier: barrier.clone(),
                phase: Phase::Multiply,
                out: out.clone(),
            })) as Box<dyn Program>
        })
        .collect();
    by_core(flat, per_core)
}
