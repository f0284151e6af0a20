//! Inner product: C(i,j) = A(i,:) · B(:,j) for every pair, with B read in CSC form (Bᵀ in CSR).
//!
//! Each row of A is a unit of work; for each column j of B the thread first compares index ranges
//! (the first and last index of A(i,:) and of B(:,j)) and skips pairs that cannot meet, then merges
//! the two sorted index lists. This is the textbook formulation whose redundant input fetches the
//! SMASH thesis names as its weakness \[S1\]; the range test is our addition to keep it tractable.

use std::cell::RefCell;
use std::rc::Rc;

use super::{
    by_core, distribute, Code, Discard, Emit, Layout, Ops, Output, Problem, ThreadWork, Units,
    WorkProgram,
};
use crate::program::Program;
use crate::workload::Csr;

struct Inner {
    a: Rc<Csr>,
    bt: Rc<Csr>,
    l: Layout,
    units: Units,
    out: Rc<RefCell<Output>>,
    /// The row of C whose operations are being generated, if any.
    row: Option<Row>,
    /// The positions in C's output area of the current row's entries, in column order (kept
    /// between rows for its room).
    hits: Vec<u64>,
}

/// A row of C in progress. Its functional work (every dot product, and its entries of C with
/// their positions) is done when the row starts; its operations then follow
/// `COLUMNS_PER_REFILL` columns per refill, the same operations in the same order as if they had
/// all been generated at once, so a thread's buffer stays small whatever B's width.
#[derive(Clone, Copy)]
struct Row {
    i: usize,
    /// A's row: its entries `ra..rb` and their first and last column index.
    ra: usize,
    rb: usize,
    amin: u32,
    amax: u32,
    /// The next column of B whose operations to generate.
    next_j: usize,
    /// The next entry of `Inner::hits` to store.
    next_hit: usize,
}

/// Columns of B whose operations one refill generates.
const COLUMNS_PER_REFILL: usize = 64;

/// The code of one row of C: take a row, then for every column the intersection loop (about 64
/// instructions, our estimate).
const ROW_CODE: Code = Code::at(0x0000, 256);

impl Inner {
    /// Column `j` of row `row`: its operations into `ops`, and C(i, j) if A(i,:) and B(:,j) meet.
    fn column(&self, row: &Row, j: usize, ops: &mut impl Emit) -> Option<f64> {
        let (a, bt, l) = (&*self.a, &*self.bt, &self.l);
        let (ra, rb) = (row.ra, row.rb);
        ops.load(l.bt.ptr(j));
        ops.load(l.bt.ptr(j + 1));
        let (sa, sb) = (bt.row_ptr[j], bt.row_ptr[j + 1]);
        if sa == sb {
            ops.int(1);
            return None;
        }
        ops.load_dep(l.bt.col(sa));
        ops.load(l.bt.col(sb - 1));
        ops.int(2);
        if bt.col_idx[sb - 1] < row.amin || bt.col_idx[sa] > row.amax {
            return None;
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
        hit.then_some(sum)
    }

    /// Starts row `i` (non-empty): every dot product and entry of C now, their operations later.
    fn start_row(&mut self, i: usize) -> Row {
        let a = &self.a;
        let (ra, rb) = (a.row_ptr[i], a.row_ptr[i + 1]);
        let row = Row {
            i,
            ra,
            rb,
            amin: a.col_idx[ra],
            amax: a.col_idx[rb - 1],
            next_j: 0,
            next_hit: 0,
        };
        self.hits.clear();
        for j in 0..self.bt.n_rows {
            if let Some(sum) = self.column(&row, j, &mut Discard) {
                let pos = self.out.borrow_mut().record(i as u32, j as u32, sum);
                self.hits.push(pos);
            }
        }
        row
    }

    /// The operations of the row's next columns; false once the row is finished.
    fn continue_row(&mut self, ops: &mut Ops) -> bool {
        let Some(mut row) = self.row.take() else {
            return false;
        };
        let end = (row.next_j + COLUMNS_PER_REFILL).min(self.bt.n_rows);
        for j in row.next_j..end {
            if self.column(&row, j, ops).is_some() {
                Output::store_ops(ops, &self.l, self.hits[row.next_hit]);
                row.next_hit += 1;
            }
        }
        row.next_j = end;
        if end < self.bt.n_rows {
            self.row = Some(row);
        } else {
            debug_assert_eq!(
                row.next_hit,
                self.hits.len(),
                "row {}: every entry stored",
                row.i
            );
        }
        true
    }
}

impl ThreadWork for Inner {
    fn refill(&mut self, ops: &mut Ops) -> bool {
        if self.continue_row(ops) {
            return true;
        }
        ops.code(&self.l, ROW_CODE);
        let Some(i) = self.units.next(ops) else {
            return false;
        };
        let l = self.l;
        ops.load(l.a.ptr(i));
        ops.load(l.a.ptr(i + 1));
        let (ra, rb) = (self.a.row_ptr[i], self.a.row_ptr[i + 1]);
        if ra == rb {
            return true;
        }
        ops.load_dep(l.a.col(ra));
        ops.load(l.a.col(rb - 1));
        self.row = Some(self.start_row(i));
        self.continue_row(ops);
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
                row: None,
                hits: Vec::new(),
            })) as Box<dyn Program>
        })
        .collect();
    by_core(flat, per_core)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{drain, map};
    use super::*;

    /// A row of C across a wide B: its entries are all recorded when the row starts, and its
    /// operations come in refills of a bounded size, with a store pair for every entry.
    #[test]
    fn a_row_s_operations_come_a_bounded_batch_per_refill_whatever_b_s_width() {
        let n = 10_000;
        let a = Csr::from_triplets(1, 2, vec![(0, 0, 2.0), (0, 1, 3.0)]);
        let b = Csr::from_triplets(2, n, (0..n as u32).map(|j| (0, j, 1.0)).collect());
        let out = Rc::new(RefCell::new(Output::default()));
        let mut w = Inner {
            l: Layout::new(&a, &b, map(), n),
            a: Rc::new(a),
            bt: Rc::new(b.transpose()),
            units: Units::Static(0..1),
            out: out.clone(),
            row: None,
            hits: Vec::new(),
        };
        let (refills, largest, stores) = drain(&mut w, || {
            assert_eq!(
                out.borrow().entries.len(),
                n,
                "entries recorded at the row's start"
            )
        });
        assert!(
            largest <= COLUMNS_PER_REFILL * 16,
            "a refill of {largest} operations"
        );
        assert_eq!(refills, n.div_ceil(COLUMNS_PER_REFILL));
        assert_eq!(stores, 2 * n, "a column and a value store per entry");
        assert!(out
            .borrow()
            .entries
            .iter()
            .all(|&(i, _, v)| i == 0 && v == 2.0));
    }
}
