//! What SAT computes, value by value: the sparse-weight generator (top N of each M by magnitude,
//! as SR-STE prunes) and the weight-stationary array of sparse PEs, fold by fold, each PE holding
//! a compressed weight and its index and picking its activation out of the M candidates of its
//! group. Checked against a plain GEMM of the masked weights (tests, and every run on a slice of
//! each pass: `SatRun::run_ref`).
//!
//! Values are integers so that every order of summation gives the same result exactly.

use crate::machines::sat::config::Nm;

/// A K x N weight matrix pruned N:M along K (per column) and compressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Compressed {
    /// Rows after compression: K / M x N.
    pub k_eff: usize,
    /// Columns.
    pub n: usize,
    /// Kept values, row-major k_eff x n.
    pub values: Vec<i64>,
    /// Each kept value's position in its group of M (0..M).
    pub index: Vec<u8>,
    /// The pattern.
    pub nm: Nm,
}

/// The generator: keeps the N largest magnitudes of every M consecutive rows of each column of
/// `w` (K x N, row-major; K a multiple of M), ties to the lower row, in row order.
pub fn compress(w: &[i64], k: usize, n: usize, nm: Nm) -> Compressed {
    let (gn, gm) = (nm.n as usize, nm.m as usize);
    assert!(k.is_multiple_of(gm) && w.len() == k * n, "K must divide by M");
    let k_eff = k / gm * gn;
    let mut values = vec![0; k_eff * n];
    let mut index = vec![0u8; k_eff * n];
    for col in 0..n {
        for g in 0..k / gm {
            let mut pos: Vec<usize> = (0..gm).collect();
            // Largest magnitude first; equal magnitudes keep row order (a stable sort).
            pos.sort_by_key(|&i| std::cmp::Reverse(w[(g * gm + i) * n + col].abs()));
            let mut kept: Vec<usize> = pos[..gn].to_vec();
            kept.sort_unstable();
            for (j, &i) in kept.iter().enumerate() {
                values[(g * gn + j) * n + col] = w[(g * gm + i) * n + col];
                index[(g * gn + j) * n + col] = i as u8;
            }
        }
    }
    Compressed {
        k_eff,
        n,
        values,
        index,
        nm,
    }
}

/// The mask the generator applies: `w` with every pruned weight zeroed.
pub fn masked(w: &[i64], c: &Compressed) -> Vec<i64> {
    let (gn, gm) = (c.nm.n as usize, c.nm.m as usize);
    let mut out = vec![0; w.len()];
    for r in 0..c.k_eff {
        for col in 0..c.n {
            let k = r / gn * gm + c.index[r * c.n + col] as usize;
            out[k * c.n + col] = w[k * c.n + col];
        }
    }
    out
}

/// C = A . W on a `rows` x `cols` weight-stationary array of sparse PEs: for each column fold and
/// row fold, PE (r, c) holds compressed weight row `fold_row + r` of column `fold_col + c` and
/// multiplies it with the candidate its index selects; partial sums accumulate over row folds.
/// `a` is M x K row-major.
pub fn sparse_array_gemm(a: &[i64], m: usize, k: usize, c: &Compressed, rows: usize, cols: usize) -> Vec<i64> {
    let (gn, gm) = (c.nm.n as usize, c.nm.m as usize);
    assert_eq!(a.len(), m * k);
    let mut out = vec![0i64; m * c.n];
    for fc in (0..c.n).step_by(cols) {
        for fr in (0..c.k_eff).step_by(rows) {
            // One fold: stream every row of A past the loaded weights.
            for i in 0..m {
                for pc in fc..(fc + cols).min(c.n) {
                    let mut psum = 0;
                    for pr in fr..(fr + rows).min(c.k_eff) {
                        let cand = pr / gn * gm + c.index[pr * c.n + pc] as usize;
                        psum += c.values[pr * c.n + pc] * a[i * k + cand];
                    }
                    out[i * c.n + pc] += psum;
                }
            }
        }
    }
    out
}

/// The reference: a plain GEMM (M x K times K x N).
pub fn gemm(a: &[i64], w: &[i64], m: usize, k: usize, n: usize) -> Vec<i64> {
    let mut out = vec![0i64; m * n];
    for i in 0..m {
        for kk in 0..k {
            let x = a[i * k + kk];
            for j in 0..n {
                out[i * n + j] += x * w[kk * n + j];
            }
        }
    }
    out
}

/// The weights of a convolution with `cout` filters of `kk` = kh kw cin values each, laid out
/// for the forward GEMM (K = kh kw cin rows, grouped by input channel fastest, as SR-STE's
/// (Cout, kh, kw, Cin) permutation; N = cout columns), transposed for the backward-data GEMM
/// (K = kh kw cout rows, output channel fastest; N = cin columns) of the same weights.
pub fn backward_layout(w_ff: &[i64], kh_kw: usize, cin: usize, cout: usize) -> Vec<i64> {
    // w_ff[(s * cin + ci) * cout + co] -> w_bp[(s * cout + co) * cin + ci] (spatial s flipped in a
    // true transposed convolution; the flip permutes whole groups and changes no mask).
    let mut out = vec![0; w_ff.len()];
    for s in 0..kh_kw {
        for ci in 0..cin {
            for co in 0..cout {
                out[(s * cout + co) * cin + ci] = w_ff[(s * cin + ci) * cout + co];
            }
        }
    }
    out
}

/// A seeded stream of small integers (xorshift), for checks.
pub struct Ints(u64);

impl Ints {
    /// Seeded.
    pub fn new(seed: u64) -> Ints {
        Ints(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next value in -8..=8.
    pub fn draw(&mut self) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 17) as i64 - 8
    }

    /// `n` values.
    pub fn take(&mut self, n: usize) -> Vec<i64> {
        (0..n).map(|_| self.draw()).collect()
    }
}

/// Checks one pass's arithmetic on a slice: `m` rows and `n` columns of its GEMM, the reduction
/// cut to `k` (a multiple of the pattern's M), seeded values, the sparse array against the plain
/// GEMM of the masked weights. Returns the outputs compared, or the first mismatch.
pub fn check_slice(m: usize, n: usize, k: usize, nm: Nm, rows: usize, cols: usize, seed: u64) -> Result<u64, String> {
    let mut r = Ints::new(seed);
    let w = r.take(k * n);
    let a = r.take(m * k);
    let c = compress(&w, k, n, nm);
    let got = sparse_array_gemm(&a, m, k, &c, rows, cols);
    let want = gemm(&a, &masked(&w, &c), m, k, n);
    match got.iter().zip(&want).position(|(g, w)| g != w) {
        None => Ok(got.len() as u64),
        Some(i) => Err(format!(
            "output ({}, {}) of a {m} x {n} x {k} {}:{} slice: array {} != reference {}",
            i / n,
            i % n,
            nm.n,
            nm.m,
            got[i],
            want[i]
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_generator_keeps_the_largest_magnitudes_of_each_group() {
        // One column, K = 8, 2:4: groups [1, -5, 3, 0] and [2, 2, -2, 7].
        let w = [1, -5, 3, 0, 2, 2, -2, 7];
        let c = compress(&w, 8, 1, Nm { n: 2, m: 4 });
        assert_eq!(c.values, vec![-5, 3, 2, 7]);
        assert_eq!(c.index, vec![1, 2, 0, 3]);
        assert_eq!(masked(&w, &c), vec![0, -5, 3, 0, 2, 0, 0, 7]);
    }

    proptest! {
        /// The sparse array computes A . mask(W) exactly, on any array shape, with the forward
        /// and the backward-data layouts of the same weights pruned independently (BDWP).
        #[test]
        fn sparse_pes_compute_the_masked_product(
            m in 1usize..6, kk in 1usize..4, cin_g in 1usize..4, cout_g in 1usize..4,
            pattern in prop::sample::select(vec![(1u64, 2u64), (2, 4), (1, 4), (2, 8), (1, 8), (3, 16)]),
            rows in 1usize..9, cols in 1usize..9, seed in 0u64..1000,
        ) {
            let nm = Nm { n: pattern.0, m: pattern.1 };
            let (cin, cout) = (cin_g * nm.m as usize, cout_g * nm.m as usize);
            let mut r = Ints::new(seed);
            let w = r.take(kk * cin * cout);
            // Forward: K = kk cin, grouped along input channels.
            let a = r.take(m * kk * cin);
            let c = compress(&w, kk * cin, cout, nm);
            prop_assert_eq!(c.k_eff, kk * cin * nm.n as usize / nm.m as usize);
            let got = sparse_array_gemm(&a, m, kk * cin, &c, rows, cols);
            prop_assert_eq!(got, gemm(&a, &masked(&w, &c), m, kk * cin, cout));
            // Backward-data: the same weights, K = kk cout, grouped along output channels.
            let wb = backward_layout(&w, kk, cin, cout);
            let dy = r.take(m * kk * cout);
            let cb = compress(&wb, kk * cout, cin, nm);
            let got = sparse_array_gemm(&dy, m, kk * cout, &cb, rows, cols);
            prop_assert_eq!(got, gemm(&dy, &masked(&wb, &cb), m, kk * cout, cin));
            // No group keeps more than N.
            let mk = masked(&wb, &cb);
            for col in 0..cin {
                for g in 0..kk * cout / nm.m as usize {
                    let nz = (0..nm.m as usize).filter(|i| mk[(g * nm.m as usize + i) * cin + col] != 0).count();
                    prop_assert!(nz <= nm.n as usize);
                }
            }
        }
    }
}
