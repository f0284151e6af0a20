//! Seeded synthetic matrices: R-MAT/Kronecker, Erdős–Rényi, 2D/3D stencils, banded, power-law rows.
//!
//! Values are drawn uniformly from [0.5, 1.5) so numerical results are non-trivial; the same
//! parameters and seed always give the same matrix.

use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg64;

use super::csr::Csr;

/// Which generator, with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Generator {
    /// R-MAT (Chakrabarti et al., SDM 2004) on 2^scale vertices with `edge_factor * 2^scale` edges
    /// drawn; duplicates merge. Graph500 uses a = 0.57, b = c = 0.19, d = 0.05.
    Rmat {
        /// log2 of the number of rows.
        scale: u32,
        /// Edges drawn per row.
        edge_factor: u32,
        /// Quadrant probabilities a, b, c (d = 1 - a - b - c).
        abc: [f64; 3],
    },
    /// Erdős–Rényi: each row gets `nnz_per_row` distinct uniformly random columns.
    ErdosRenyi {
        /// Rows and columns.
        n: usize,
        /// Entries per row.
        nnz_per_row: usize,
    },
    /// 5-point 2D Laplacian stencil on an `nx` x `ny` grid.
    Stencil5 {
        /// Grid width.
        nx: usize,
        /// Grid height.
        ny: usize,
    },
    /// 7-point 3D stencil on an `n`^3 grid.
    Stencil7 {
        /// Grid side.
        n: usize,
    },
    /// 27-point 3D stencil on an `n`^3 grid.
    Stencil27 {
        /// Grid side.
        n: usize,
    },
    /// Banded: entries with |i - j| <= `half_width`.
    Banded {
        /// Rows and columns.
        n: usize,
        /// Half bandwidth.
        half_width: usize,
    },
    /// Rows whose lengths follow a power law (Zipf exponent `alpha`) with mean about `avg_nnz`.
    PowerLawRows {
        /// Rows and columns.
        n: usize,
        /// Mean entries per row.
        avg_nnz: usize,
        /// Zipf exponent of the row lengths.
        alpha: f64,
    },
}

/// Graph500's R-MAT quadrant probabilities (a, b, c; d = 0.05).
pub const GRAPH500_ABC: [f64; 3] = [0.57, 0.19, 0.19];

struct Rng(Pcg64);

impl Rng {
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.0.next_u64() as u128 * n as u128) >> 64) as usize
    }
    fn value(&mut self) -> f64 {
        0.5 + self.unit()
    }
}

impl Generator {
    /// Generates the matrix.
    pub fn generate(&self, seed: u64) -> Csr {
        let mut rng = Rng(Pcg64::seed_from_u64(seed));
        let mut t: Vec<(u32, u32, f64)> = Vec::new();
        let n = match *self {
            Generator::Rmat {
                scale,
                edge_factor,
                abc,
            } => {
                let n = 1usize << scale;
                let [a, b, c] = abc;
                for _ in 0..(n as u64 * edge_factor as u64) {
                    let (mut i, mut j) = (0usize, 0usize);
                    for bit in (0..scale).rev() {
                        let r = rng.unit();
                        let (di, dj) = if r < a {
                            (0, 0)
                        } else if r < a + b {
                            (0, 1)
                        } else if r < a + b + c {
                            (1, 0)
                        } else {
                            (1, 1)
                        };
                        i |= di << bit;
                        j |= dj << bit;
                    }
                    t.push((i as u32, j as u32, rng.value()));
                }
                n
            }
            Generator::ErdosRenyi { n, nnz_per_row } => {
                let k = nnz_per_row.min(n);
                let mut row: Vec<usize> = Vec::with_capacity(k);
                for i in 0..n {
                    row.clear();
                    while row.len() < k {
                        let j = rng.below(n);
                        if !row.contains(&j) {
                            row.push(j);
                        }
                    }
                    for &j in &row {
                        t.push((i as u32, j as u32, rng.value()));
                    }
                }
                n
            }
            Generator::Stencil5 { nx, ny } => {
                let id = |x: usize, y: usize| (y * nx + x) as u32;
                for y in 0..ny {
                    for x in 0..nx {
                        let me = id(x, y);
                        t.push((me, me, 4.0));
                        for (dx, dy) in [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)] {
                            let (x2, y2) = (x as i64 + dx, y as i64 + dy);
                            if (0..nx as i64).contains(&x2) && (0..ny as i64).contains(&y2) {
                                t.push((me, id(x2 as usize, y2 as usize), -1.0));
                            }
                        }
                    }
                }
                nx * ny
            }
            Generator::Stencil7 { n } | Generator::Stencil27 { n } => {
                let full = matches!(self, Generator::Stencil27 { .. });
                let id = |x: i64, y: i64, z: i64| ((z * n as i64 + y) * n as i64 + x) as u32;
                let inside = |v: i64| (0..n as i64).contains(&v);
                for z in 0..n as i64 {
                    for y in 0..n as i64 {
                        for x in 0..n as i64 {
                            for dz in -1..=1i64 {
                                for dy in -1..=1i64 {
                                    for dx in -1..=1i64 {
                                        let manhattan = dx.abs() + dy.abs() + dz.abs();
                                        if (!full && manhattan > 1)
                                            || !inside(x + dx)
                                            || !inside(y + dy)
                                            || !inside(z + dz)
                                        {
                                            continue;
                                        }
                                        let v = if manhattan == 0 {
                                            if full {
                                                26.0
                                            } else {
                                                6.0
                                            }
                                        } else {
                                            -1.0
                                        };
                                        t.push((id(x, y, z), id(x + dx, y + dy, z + dz), v));
                                    }
                                }
                            }
                        }
                    }
                }
                n * n * n
            }
            Generator::Banded { n, half_width } => {
                for i in 0..n {
                    for j in i.saturating_sub(half_width)..(i + half_width + 1).min(n) {
                        t.push((i as u32, j as u32, rng.value()));
                    }
                }
                n
            }
            Generator::PowerLawRows { n, avg_nnz, alpha } => {
                // Row i (in a seeded random order) gets a length proportional to 1 / rank^alpha.
                let weights: Vec<f64> = (1..=n).map(|r| 1.0 / (r as f64).powf(alpha)).collect();
                let total: f64 = weights.iter().sum();
                let mut rows: Vec<usize> = (0..n).collect();
                for k in (1..n).rev() {
                    rows.swap(k, rng.below(k + 1));
                }
                let mut cols: Vec<usize> = Vec::new();
                for (rank, &i) in rows.iter().enumerate() {
                    let len = ((weights[rank] / total * (avg_nnz * n) as f64).round() as usize)
                        .clamp(1, n);
                    cols.clear();
                    while cols.len() < len {
                        let j = rng.below(n);
                        if !cols.contains(&j) {
                            cols.push(j);
                        }
                    }
                    for &j in &cols {
                        t.push((i as u32, j as u32, rng.value()));
                    }
                }
                n
            }
        };
        Csr::from_triplets(n, n, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stencils_have_the_closed_form_entry_counts() {
        // 5-point on nx x ny: 5 n - 2 (nx + ny) entries.
        let m = Generator::Stencil5 { nx: 10, ny: 7 }.generate(1);
        assert_eq!(m.nnz(), 5 * 70 - 2 * (10 + 7));
        // 7-point on n^3: 7 n^3 - 6 n^2.
        let m = Generator::Stencil7 { n: 6 }.generate(1);
        assert_eq!(m.nnz(), 7 * 216 - 6 * 36);
        // 27-point on n^3: (3n - 2)^3.
        let m = Generator::Stencil27 { n: 5 }.generate(1);
        assert_eq!(m.nnz(), 13usize.pow(3));
        let m = Generator::Banded {
            n: 100,
            half_width: 2,
        }
        .generate(1);
        assert_eq!(m.nnz(), 5 * 100 - 2 - 4);
    }

    #[test]
    fn generators_are_deterministic_and_seed_sensitive() {
        let g = Generator::Rmat {
            scale: 10,
            edge_factor: 8,
            abc: GRAPH500_ABC,
        };
        assert_eq!(g.generate(3), g.generate(3));
        assert_ne!(g.generate(3), g.generate(4));
        let m = g.generate(3);
        assert!(m.nnz() > 1024 * 8 / 2 && m.nnz() <= 1024 * 8, "{}", m.nnz());
        let er = Generator::ErdosRenyi {
            n: 500,
            nnz_per_row: 7,
        }
        .generate(1);
        assert_eq!(er.nnz(), 3500);
        let pl = Generator::PowerLawRows {
            n: 2000,
            avg_nnz: 8,
            alpha: 1.0,
        }
        .generate(1);
        let longest = (0..2000).map(|i| pl.row(i).0.len()).max().unwrap();
        assert!(longest > 100, "a power law has long rows: {longest}");
    }
}
