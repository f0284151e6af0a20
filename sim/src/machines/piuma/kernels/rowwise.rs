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
    by_core, distribute, Code, KernelKind, Layout, Ops, Output, Problem, ThreadWork, Units,
    WorkProgram, ELEM,
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
}

fn log2_ceil(n: usize) -> usize {
    (usize::BITS - n.max(1).leading_zeros()) as usize
}

impl Row {
    fn emit(&mut self, ops: &mut Ops, i: usize, j: u32, v: f64) {
        self.out.borrow_mut().write(ops, &self.l, i as u32, j, v);
    }

    fn dense_row(&mut self, ops: &mut Ops, i: usize) {
        let (a, b, l) = (self.a.clone(), self.b.clone(), self.l);
        for p in a.row_ptr[i]..a.row_ptr[i + 1] {
            let (k, aik) = (a.col_idx[p] as usize, a.values[p]);
            ops.a_entry_and_b_row(&l, p, k);
            for q in b.row_ptr[k]..b.row_ptr[k + 1] {
                let j = b.col_idx[q] as usize;
                ops.load_dep(l.b.col(q));
                ops.load(l.b.val(q));
                ops.fp(1);
                let slot = self.acc_base + ELEM * j as u64;
                ops.load(slot);
                ops.fp(1);
                ops.store(slot);
                if !self.touched[j] {
                    self.touched[j] = true;
                    self.nz.push(j as u32);
                    ops.int(1);
                }
                self.acc[j] += aik * b.values[q];
            }
        }
        // Sort the touched columns, then write the row and clear the accumulator.
        let n = self.nz.len();
        ops.int(n * log2_ceil(n));
        let mut nz = std::mem::take(&mut self.nz);
        nz.sort_unstable();
        for &j in &nz {
            let slot = self.acc_base + ELEM * j as u64;
            ops.load(slot);
            let v = std::mem::take(&mut self.acc[j as usize]);
            self.touched[j as usize] = false;
            self.emit(ops, i, j, v);
            ops.store(slot);
        }
        nz.clear();
        self.nz = nz;
    }

    fn heap_row(&mut self, ops: &mut Ops, i: usize) {
        let (a, b, l) = (self.a.clone(), self.b.clone(), self.l);
        let lists = a.row_ptr[i + 1] - a.row_ptr[i];
        let depth = log2_ceil(lists);
        // Seed the heap with the head of each scaled row of B.
        for p in a.row_ptr[i]..a.row_ptr[i + 1] {
            let k = a.col_idx[p] as usize;
            ops.a_entry_and_b_row(&l, p, k);
            if b.row_ptr[k] < b.row_ptr[k + 1] {
                ops.load_dep(l.b.col(b.row_ptr[k]));
                ops.int(depth);
                self.heap
                    .push(Reverse((b.col_idx[b.row_ptr[k]], p, b.row_ptr[k])));
            }
        }
        let mut current: Option<(u32, f64)> = None;
        while let Some(Reverse((j, p, q))) = self.heap.pop() {
            ops.int(depth);
            ops.load(l.b.val(q));
            ops.fp(1);
            let v = a.values[p] * b.values[q];
            current = match current {
                Some((cj, cv)) if cj == j => {
                    ops.fp(1);
                    Some((cj, cv + v))
                }
                Some((cj, cv)) => {
                    self.emit(ops, i, cj, cv);
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
        }
        if let Some((cj, cv)) = current {
            self.emit(ops, i, cj, cv);
        }
    }
}

impl ThreadWork for Row {
    fn refill(&mut self, ops: &mut Ops) -> bool {
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
        match self.kind {
            KernelKind::RowwiseHeap => self.heap_row(ops, i),
            _ => self.dense_row(ops, i),
        }
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
            })) as Box<dyn Program>
        })
        .collect();
    Ok(by_core(flat, per_core))
}
