//! Inner product: C(i,j) = A(i,:) · B(:,j) for every pair, with B read in CSC form (Bᵀ in CSR).
//!
//! Each row of A is a unit of work; for each column j of B the thread first compares index ranges
//! (the first and last index of A(i,:) and of B(:,j)) and skips pairs that cannot meet, then merges
//! the two sorted index lists. This is the textbook formulation whose redundant input fetches the
//! SMASH thesis names as its weakness [S1]; the range test is our addition to keep it tractable.

use std::cell::RefCell;
use std::rc::Rc;

use super::{
    by_core, distribute, Code, Layout, Ops, Output, Problem, ThreadWork, Units, WorkProgram,
};
use crate::program::Program;
use crate::workload::Csr;

struct Inner {
    a: Rc<Csr>,
    bt: Rc<Csr>,
    l: Layout,
    units: Units,
    out: Rc<RefCell<Output>>,
}

/// The code of one row of C: take a row, then for every column the intersection loop (about 64
/// instructions, our estimate).
const ROW_CODE: Code = Code::at(0x0000, 256);

impl ThreadWork for Inner {
    fn refill(&mut self, ops: &mut Ops) -> bool {
        ops.code(&self.l, ROW_CODE);
        let Some(i) = self.units.next(ops) else {
            return false;
        };
        let (a, bt, l) = (self.a.clone(), self.bt.clone(), self.l);
        ops.load(l.a.ptr(i));
        ops.load(l.a.ptr(i + 1));
        let (ra, rb) = (a.row_ptr[i], a.row_ptr[i + 1]);
        if ra == rb {
            return true;
        }
        ops.load_dep(l.a.col(ra));
        ops.load(l.a.col(rb - 1));
        let (amin, amax) = (a.col_idx[ra], a.col_idx[rb - 1]);
        for j in 0..bt.n_rows {
            ops.load(l.bt.ptr(j));
            ops.load(l.bt.ptr(j + 1));
            let (sa, sb) = (bt.row_ptr[j], bt.row_ptr[j + 1]);
            if sa == sb {
                ops.int(1);
                continue;
            }
            ops.load_dep(l.bt.col(sa));
            ops.load(l.bt.col(sb - 1));
            ops.int(2);
            if bt.col_idx[sb - 1] < amin || bt.col_idx[sa] > amax {
                continue;
            }
            let (mut p, mut q) = (ra, sa);
            let mut sum = 0.0;
            let mut hit = false;
            while p < rb && q < sb {
                ops.int(1);
                let (x, y) = (a.col_idx[p], bt.col_idx[q]);
                if x == y {
                    ops.load(l.a.val(p));
                    ops.load(l.bt.val(q));
                    ops.fp(1);
                    sum += a.values[p] * bt.values[q];
                    hit = true;
                    p += 1;
                    q += 1;
                    ops.load(l.a.col(p.min(rb - 1)));
                    ops.load(l.bt.col(q.min(sb - 1)));
                } else if x < y {
                    p += 1;
                    ops.load(l.a.col(p.min(rb - 1)));
                } else {
                    q += 1;
                    ops.load(l.bt.col(q.min(sb - 1)));
                }
            }
            if hit {
                self.out
                    .borrow_mut()
                    .write(ops, &l, i as u32, j as u32, sum);
            }
        }
        true
    }
}

/// Programs for the inner-product kernel.
pub fn programs(
    p: &Problem,
    l: &Layout,
    out: &Rc<RefCell<Output>>,
    n_cores: usize,
    per_core: usize,
) -> Vec<Vec<Box<dyn Program>>> {
    let (a, bt) = (Rc::new(p.a.clone()), Rc::new(p.b.transpose()));
    let units = distribute(
        a.n_rows,
        n_cores * per_core,
        p.cfg.work_distribution,
        l.map,
        0,
    );
    let flat = units
        .into_iter()
        .map(|units| {
            Box::new(WorkProgram::new(Inner {
                a: a.clone(),
                bt: bt.clone(),
                l: *l,
                units,
                out: out.clone(),
            })) as Box<dyn Program>
        })
        .collect();
    by_core(flat, per_core)
}
