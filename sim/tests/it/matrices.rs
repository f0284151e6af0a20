//! The Matrix Market reader against scipy.io.mmread on every bundled matrix, and on malformed files.
//!
//! Expected values come from `scripts/matrices/expectations.py` (scipy 1.17; four files scipy
//! refuses are read there by a minimal independent parser, marked "manual"), never from sparsim.

use sparsim::workload::{mtx, Csr};

use super::root;

/// (file, rows, cols, stored entries, NaNs, +inf, -inf, sum of finite values, weighted sum).
#[allow(clippy::type_complexity)]
const EXPECTED: &[(&str, usize, usize, usize, usize, usize, usize, f64, f64)] = &[
    ("A2.mtx", 7, 7, 30, 0, 0, 0, 30.0, 13684.0), // scipy
    (
        "LFAT5.mtx",
        14,
        14,
        46,
        0,
        0,
        0,
        12581499.907366203,
        9099508558.205704,
    ), // scipy
    (
        "bcsstk13.mtx",
        2003,
        2003,
        83883,
        0,
        0,
        0,
        30220739908119.46,
        1.3578182007256476e+16,
    ), // scipy
    (
        "comments_west0067.mtx",
        67,
        67,
        295,
        1,
        0,
        0,
        34.3087486,
        17885.63185255,
    ), // scipy
    ("cover.mtx", 7, 7, 12, 0, 0, 0, 51.0, 26225.0), // scipy
    ("empty.mtx", 3, 4, 0, 0, 0, 0, 0.0, 0.0),    // scipy
    ("full.mtx", 3, 3, 9, 0, 0, 0, 4.497, 2420.834), // scipy
    ("karate.mtx", 34, 34, 156, 0, 0, 0, 156.0, 73349.0), // scipy
    ("lp_afiro.mtx", 27, 51, 102, 0, 0, 0, 44.37, 23452.673), // scipy
    ("matrix_bool.mtx", 7, 7, 12, 0, 0, 0, 7.0, 3132.0), // scipy
    ("matrix_fp32.mtx", 7, 7, 12, 0, 1, 1, 44.0, 22278.0), // manual
    ("matrix_fp64.mtx", 7, 7, 12, 0, 1, 1, 44.0, 22278.0), // manual
    ("matrix_int8.mtx", 7, 7, 12, 0, 0, 0, 43.0, 53731.0), // scipy
    (
        "matrix_uint64.mtx",
        7,
        7,
        12,
        0,
        0,
        0,
        1.8446744073709552e+19,
        1.481273549118877e+22,
    ), // manual
    (
        "pushpull.mtx",
        4000,
        4000,
        196305,
        0,
        0,
        0,
        196305.0,
        98913636.0,
    ), // scipy
    ("sample.mtx", 8, 8, 12, 0, 0, 0, 12.0, 6026.0), // scipy
    (
        "skew_fp64.mtx",
        6,
        6,
        20,
        0,
        1,
        1,
        2.220446049250313e-16,
        541.213027439456,
    ), // scipy
    ("structure.mtx", 7, 7, 12, 0, 0, 0, 12.0, 5863.0), // scipy
    (
        "west0067.mtx",
        67,
        67,
        294,
        0,
        0,
        0,
        34.3087486,
        17885.63185255,
    ), // scipy
    (
        "west0067_jumbled.mtx",
        67,
        67,
        294,
        0,
        0,
        0,
        34.308748599999994,
        17885.63185255,
    ), // manual
];

fn checks(m: &Csr) -> (usize, usize, usize, f64, f64, f64) {
    let (mut nan, mut pinf, mut ninf, mut sum, mut wsum, mut scale) = (0, 0, 0, 0.0, 0.0, 0.0);
    for (i, j, v) in m.triplets() {
        if v.is_nan() {
            nan += 1;
        } else if v == f64::INFINITY {
            pinf += 1;
        } else if v == f64::NEG_INFINITY {
            ninf += 1;
        } else {
            let w = 1 + (i as u64 * 7919 + j as u64 * 104729) % 1009;
            sum += v;
            wsum += v * w as f64;
            scale += v.abs() * w as f64;
        }
    }
    (nan, pinf, ninf, sum, wsum, scale)
}

#[test]
fn every_bundled_matrix_reads_as_scipy_reads_it() {
    for &(name, rows, cols, nnz, nan, pinf, ninf, sum, wsum) in EXPECTED {
        let m = mtx::read(&root().join("workloads/matrices").join(name))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((m.n_rows, m.n_cols, m.nnz()), (rows, cols, nnz), "{name}");
        let (n, p, q, s, w, scale) = checks(&m);
        assert_eq!((n, p, q), (nan, pinf, ninf), "{name}: non-finite values");
        let tol = 1e-9 * (1.0 + scale);
        assert!(
            (s - sum).abs() <= tol && (w - wsum).abs() <= tol,
            "{name}: sums {s} {w} vs {sum} {wsum}"
        );
    }
}

#[test]
fn every_malformed_matrix_is_rejected_with_file_and_line() {
    let dir = root().join("sim/tests/data/bad-matrices");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "mtx") {
            continue;
        }
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let err = match mtx::read(&p) {
            Ok(m) => panic!(
                "{name} was accepted ({} x {}, {} entries)",
                m.n_rows,
                m.n_cols,
                m.nnz()
            ),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(&name), "{name}: {err}");
        assert!(err.contains(".mtx:"), "{name}: no line in {err}");
        n += 1;
    }
    assert_eq!(n, 27, "all malformed files were tried");
}

#[test]
fn a_huge_header_on_a_tiny_file_fails_fast_without_allocating_it() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("huge.mtx");
    std::fs::write(
        &p,
        "%%MatrixMarket matrix coordinate real general\n1000000 1000000 1000000000000\n1 1 1.0\n",
    )
    .unwrap();
    let e = mtx::read(&p).unwrap_err().to_string();
    assert!(
        e.contains("ends after 1 of the 1000000000000 entries"),
        "{e}"
    );
    std::fs::write(&p, "%%MatrixMarket matrix coordinate real general\n2 2 5\n").unwrap();
    assert!(mtx::read(&p)
        .unwrap_err()
        .to_string()
        .contains("cannot fit"));
    std::fs::write(
        &p,
        "%%MatrixMarket matrix coordinate complex general\n2 2 1\n1 1 1 0\n",
    )
    .unwrap();
    assert!(mtx::read(&p)
        .unwrap_err()
        .to_string()
        .contains("complex matrices are not supported"));
}

#[test]
fn written_matrices_read_back_identically() {
    let m = mtx::read(&root().join("workloads/matrices/bcsstk13.mtx")).unwrap();
    let mut buf = Vec::new();
    mtx::write(&m, &mut buf).unwrap();
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("rt.mtx");
    std::fs::write(&p, buf).unwrap();
    assert_eq!(mtx::read(&p).unwrap(), m);
}
