//! A compressed sparse row matrix of `f64`, the form every SpGEMM kernel reads.

/// CSR: row `i` holds `col_idx[row_ptr[i]..row_ptr[i + 1]]` with matching `values`, columns sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    /// Number of rows.
    pub n_rows: usize,
    /// Number of columns.
    pub n_cols: usize,
    /// Row start offsets, `n_rows + 1` entries.
    pub row_ptr: Vec<usize>,
    /// Column of each stored entry.
    pub col_idx: Vec<u32>,
    /// Value of each stored entry.
    pub values: Vec<f64>,
}

impl Csr {
    /// Builds a CSR matrix from `(row, col, value)` triplets (any order). Duplicate positions are
    /// summed; callers that must reject duplicates check first.
    pub fn from_triplets(n_rows: usize, n_cols: usize, mut t: Vec<(u32, u32, f64)>) -> Csr {
        t.sort_unstable_by_key(|&(r, c, _)| (r, c));
        let mut row_ptr = vec![0usize; n_rows + 1];
        let mut col_idx = Vec::with_capacity(t.len());
        let mut values: Vec<f64> = Vec::with_capacity(t.len());
        let mut last: Option<(u32, u32)> = None;
        for (r, c, v) in t {
            if last == Some((r, c)) {
                *values.last_mut().expect("a previous entry exists") += v;
                continue;
            }
            last = Some((r, c));
            row_ptr[r as usize + 1] += 1;
            col_idx.push(c);
            values.push(v);
        }
        for i in 0..n_rows {
            row_ptr[i + 1] += row_ptr[i];
        }
        Csr {
            n_rows,
            n_cols,
            row_ptr,
            col_idx,
            values,
        }
    }

    /// Stored entries.
    pub fn nnz(&self) -> usize {
        self.col_idx.len()
    }

    /// Partial products of `self`·`b` (one multiplication each): for every stored entry (i, k)
    /// of `self`, the entries of row k of `b`.
    pub fn product_flops(&self, b: &Csr) -> usize {
        self.col_idx
            .iter()
            .map(|&k| b.row_ptr[k as usize + 1] - b.row_ptr[k as usize])
            .sum()
    }

    /// Row `i` as (columns, values).
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.row_ptr[i]..self.row_ptr[i + 1];
        (&self.col_idx[r.clone()], &self.values[r])
    }

    /// The transpose (also the CSC form of `self`).
    pub fn transpose(&self) -> Csr {
        let mut t = Vec::with_capacity(self.nnz());
        for i in 0..self.n_rows {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                t.push((c, i as u32, v));
            }
        }
        Csr::from_triplets(self.n_cols, self.n_rows, t)
    }

    /// Iterates over `(row, col, value)`.
    pub fn triplets(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.n_rows).flat_map(move |i| {
            let (cols, vals) = self.row(i);
            cols.iter()
                .zip(vals)
                .map(move |(&c, &v)| (i, c as usize, v))
        })
    }
}
