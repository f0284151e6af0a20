//! Outer product: C = Σ_k A(:,k) ⊗ B(k,:), in two phases.
//!
//! Multiply: each unit is a k; every product A(i,k)·B(k,j) is appended to the bucket of the thread
//! that owns row i (a memory-side atomic fetch-add on the bucket's cursor, then two stores).
//! After a global barrier, merge: each thread loads its bucket, sorts it by (i, j), sums equal
//! positions and writes C. Materialising partial products is the cost the SMASH thesis contrasts
//! its atomic merging with [S1]; the bucketing scheme is our interpretation.

use std::cell::RefCell;
use std::rc::Rc;

use super::{
    by_core, distribute, Code, GlobalBarrier, Layout, Ops, Output, Problem, ThreadWork, Units,
    WorkProgram, ELEM,
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

enum Phase {
    Multiply,
    Arrive,
    Wait,
    Merge,
    Done,
}

struct Outer {
    at: Rc<Csr>,
    b: Rc<Csr>,
    l: Layout,
    units: Units,
    me: usize,
    rows_per_thread: usize,
    shared: Rc<RefCell<Shared>>,
    barrier: Rc<RefCell<GlobalBarrier>>,
    phase: Phase,
    out: Rc<RefCell<Output>>,
}

impl ThreadWork for Outer {
    fn refill(&mut self, ops: &mut Ops) -> bool {
        let (at, b, l) = (self.at.clone(), self.b.clone(), self.l);
        match self.phase {
            Phase::Multiply => {
                ops.code(&l, MULTIPLY_CODE);
                let Some(k) = self.units.next(ops) else {
                    self.phase = Phase::Arrive;
                    return true;
                };
                ops.load(l.at.ptr(k));
                ops.load(l.at.ptr(k + 1));
                ops.load(l.b.ptr(k));
                ops.load(l.b.ptr(k + 1));
                let mut sh = self.shared.borrow_mut();
                for p in at.row_ptr[k]..at.row_ptr[k + 1] {
                    let i = at.col_idx[p] as usize;
                    ops.load_dep(l.at.col(p));
                    ops.load(l.at.val(p));
                    let owner = (i / self.rows_per_thread).min(sh.buckets.len() - 1);
                    for q in b.row_ptr[k]..b.row_ptr[k + 1] {
                        ops.load(l.b.col(q));
                        ops.load(l.b.val(q));
                        ops.fp(1);
                        ops.atomic(l.scratch + ELEM * owner as u64);
                        let slot = l.scratch + 4096 * 16 + 2 * ELEM * sh.n_partials;
                        ops.store(slot);
                        ops.store(slot + ELEM);
                        sh.n_partials += 1;
                        sh.buckets[owner].push((
                            i as u32,
                            b.col_idx[q],
                            at.values[p] * b.values[q],
                        ));
                    }
                }
                true
            }
            Phase::Arrive => {
                ops.code(&l, BARRIER_CODE);
                GlobalBarrier::arrive(&self.barrier, ops);
                self.phase = Phase::Wait;
                true
            }
            Phase::Wait => {
                ops.code(&l, BARRIER_CODE);
                if GlobalBarrier::poll(&self.barrier, ops) {
                    self.phase = Phase::Merge;
                }
                true
            }
            Phase::Merge => {
                ops.code(&l, MERGE_CODE);
                let mut bucket = std::mem::take(&mut self.shared.borrow_mut().buckets[self.me]);
                let n = bucket.len();
                for e in 0..n {
                    // The partials of this bucket are scattered through the partial area; charge a
                    // key and a value load each, at their bucket-order position.
                    let slot = l.scratch + 4096 * 16 + 2 * ELEM * e as u64;
                    ops.load(slot);
                    ops.load(slot + ELEM);
                }
                ops.int(n * (usize::BITS - n.max(1).leading_zeros()) as usize);
                bucket.sort_by_key(|&(i, j, _)| (i, j));
                let mut out = self.out.borrow_mut();
                let mut e = 0;
                while e < n {
                    let (i, j, mut v) = bucket[e];
                    e += 1;
                    while e < n && (bucket[e].0, bucket[e].1) == (i, j) {
                        ops.int(1);
                        ops.fp(1);
                        v += bucket[e].2;
                        e += 1;
                    }
                    out.write(ops, &l, i, j, v);
                }
                self.phase = Phase::Done;
                true
            }
            Phase::Done => false,
        }
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
                shared: shared.clone(),
                barrier: barrier.clone(),
                phase: Phase::Multiply,
                out: out.clone(),
            })) as Box<dyn Program>
        })
        .collect();
    by_core(flat, per_core)
}
