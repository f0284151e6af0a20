//! The systolic array's compute timing: an R x C array of PEs running one GEMM (or a convolution
//! lowered to one by im2col) in folds, weight-, output- or input-stationary.
//!
//! A GEMM is `M` output rows (a convolution's output pixels), `N` output columns (its filters)
//! and `K` reduction steps (filter height x width x channels). Each dataflow keeps one operand in
//! the array and streams the other through it, fold after fold:
//!
//! | dataflow | on the array's rows | on its columns | streamed | cycles per fold |
//! | --- | --- | --- | --- | --- |
//! | weight-stationary (`ws`) | K | N | M | 2R + C + M - 2 |
//! | output-stationary (`os`) | M | N | K | R + C + K - 2 |
//! | input-stationary (`is`) | K | M | N | 2R + C + N - 2 |
//!
//! and the layer takes `folds x cycles per fold - 1` cycles, where `folds` is the product of the
//! two mapped dimensions each divided by its array side, rounded up. That is SCALE-Sim v3's
//! compute model: its `COMPUTE_REPORT.csv` "Total Cycles" equal these, for all three dataflows on
//! square and non-square arrays (`scripts/scalesim/compare.sh`; recorded outputs in the tests).
//! Per fold: filling the stationary operand (R cycles, for `ws` and `is`), skewing the streamed
//! one in and the results out (R + C - 2), and the stream itself.
//!
//! Not modelled here: memory (buffers and DRAM decide stalls, elsewhere), and N:M sparsity (the
//! sparse PE's condensed reduction is the next step of the SAT model).

use serde::{Deserialize, Serialize};

/// Which operand stays in the array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dataflow {
    /// Weight-stationary.
    Ws,
    /// Output-stationary.
    Os,
    /// Input-stationary.
    Is,
}

impl Dataflow {
    /// Its name in SCALE-Sim's configs: `ws`, `os` or `is`.
    pub fn name(self) -> &'static str {
        match self {
            Dataflow::Ws => "ws",
            Dataflow::Os => "os",
            Dataflow::Is => "is",
        }
    }

    /// Parses `ws`, `os` or `is` (any case).
    pub fn parse(s: &str) -> Option<Dataflow> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ws" => Some(Dataflow::Ws),
            "os" => Some(Dataflow::Os),
            "is" => Some(Dataflow::Is),
            _ => None,
        }
    }
}

/// A GEMM: C[M x N] = A[M x K] . B[K x N].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gemm {
    /// Output rows (a convolution's output pixels).
    pub m: u64,
    /// Output columns (a convolution's filters).
    pub n: u64,
    /// Reduction length (filter height x width x channels).
    pub k: u64,
}

/// A layer's compute on the array.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Compute {
    /// Folds: passes of the stationary operand through the array.
    pub folds: u64,
    /// Cycles of one fold.
    pub cycles_per_fold: u64,
    /// Cycles of the layer.
    pub cycles: u64,
    /// Multiply-accumulates of the layer (M x N x K).
    pub macs: u64,
    /// The share of PEs the mapping uses, over all folds.
    pub mapping_efficiency: f64,
    /// MACs over PE-cycles.
    pub utilisation: f64,
    /// SCALE-Sim's "Compute Util": MACs over PE-cycles of the folds, each fold counted as it
    /// counts it (for `ws` and `is`, C - 1 cycles longer than in the layer's total, as its
    /// folds' demand matrices overlap by that much).
    pub compute_utilisation: f64,
}

/// The compute of `g` on an array of `rows` x `cols` PEs with dataflow `df`.
pub fn compute(g: Gemm, rows: u64, cols: u64, df: Dataflow) -> Compute {
    let (on_rows, on_cols, streamed, fill) = match df {
        Dataflow::Ws => (g.k, g.n, g.m, rows),
        Dataflow::Os => (g.m, g.n, g.k, 0),
        Dataflow::Is => (g.k, g.m, g.n, rows),
    };
    let (row_folds, col_folds) = (on_rows.div_ceil(rows), on_cols.div_ceil(cols));
    let folds = row_folds * col_folds;
    let cycles_per_fold = fill + rows + cols + streamed - 2;
    let cycles = (folds * cycles_per_fold).saturating_sub(1);
    let macs = g.m * g.n * g.k;
    let fold_as_counted = cycles_per_fold + if fill > 0 { cols - 1 } else { 0 };
    Compute {
        folds,
        cycles_per_fold,
        cycles,
        macs,
        mapping_efficiency: (on_rows * on_cols) as f64 / (folds * rows * cols).max(1) as f64,
        utilisation: macs as f64 / (rows * cols * cycles).max(1) as f64,
        compute_utilisation: macs as f64 / (folds * rows * cols * fold_as_counted).max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SCALE-Sim 3.0.0 (PyPI), `-i gemm`, one layer `G1, 100, 40, 70,` (M, N, K), scale.cfg with
    /// the array and dataflow changed: "Total Cycles", "Overall Util %", "Mapping Efficiency %"
    /// and "Compute Util %" of its COMPUTE_REPORT.csv, recorded once.
    #[allow(clippy::type_complexity)]
    const RECORDED: [(Dataflow, u64, u64, u64, f64, f64, f64); 9] = [
        (
            Dataflow::Ws,
            8,
            8,
            5489,
            79.70486427400255,
            97.22222222222221,
            75.36606373815683,
        ),
        (
            Dataflow::Ws,
            8,
            16,
            3509,
            62.33969791963522,
            81.01851851851852,
            55.87484035759901,
        ),
        (
            Dataflow::Ws,
            16,
            8,
            3449,
            63.42418092200638,
            87.5,
            60.344827586206925,
        ),
        (
            Dataflow::Os,
            8,
            8,
            5459,
            80.1428833119619,
            96.15384615384616,
            80.12820512820518,
        ),
        (
            Dataflow::Os,
            8,
            16,
            3587,
            60.984109283523836,
            80.12820512820514,
            60.967112597547356,
        ),
        (
            Dataflow::Os,
            16,
            8,
            3219,
            67.95588692140416,
            89.28571428571429,
            67.93478260869563,
        ),
        (
            Dataflow::Is,
            8,
            8,
            7253,
            60.31986764097615,
            93.48290598290599,
            54.192988975597736,
        ),
        (
            Dataflow::Is,
            8,
            16,
            4409,
            49.61442503969154,
            86.80555555555556,
            40.84967320261433,
        ),
        (
            Dataflow::Is,
            16,
            8,
            5069,
            43.15446833695009,
            84.13461538461539,
            39.59276018099543,
        ),
    ];

    #[test]
    fn compute_cycles_equal_scale_sim_for_every_dataflow_and_array_shape() {
        let g = Gemm {
            m: 100,
            n: 40,
            k: 70,
        };
        for (df, r, c, cycles, util, mapping, compute_util) in RECORDED {
            let x = compute(g, r, c, df);
            assert_eq!(x.cycles, cycles, "{df:?} {r}x{c}");
            assert!(
                (x.utilisation * 100.0 - util).abs() < 1e-9,
                "{df:?} {r}x{c}"
            );
            assert!(
                (x.mapping_efficiency * 100.0 - mapping).abs() < 1e-9,
                "{df:?} {r}x{c}"
            );
            assert!(
                (x.compute_utilisation * 100.0 - compute_util).abs() < 1e-9,
                "{df:?} {r}x{c}: {}",
                x.compute_utilisation * 100.0
            );
        }
    }

    #[test]
    fn scale_sim_s_golden_outputs_follow() {
        // test/general/golden_trace_calc: AlexNet conv1 (227x227x3, 11x11, 96 filters, stride 4:
        // 55 x 55 outputs) on a 32 x 32 weight-stationary array.
        let conv1 = Gemm {
            m: 55 * 55,
            n: 96,
            k: 11 * 11 * 3,
        };
        assert_eq!(compute(conv1, 32, 32, Dataflow::Ws).cycles, 112_283);
        // golden_trace_user_ws: the GEMM 256, 128, 256 (M, N, K) on 32 x 32.
        let g = Gemm {
            m: 256,
            n: 128,
            k: 256,
        };
        assert_eq!(compute(g, 32, 32, Dataflow::Ws).cycles, 11_199);
    }

    #[test]
    fn one_fold_of_a_ws_array_fills_skews_and_streams() {
        // K = R and N = C: one fold; R cycles to load the weights, R + C - 2 of skew, M to stream.
        let x = compute(Gemm { m: 10, n: 4, k: 4 }, 4, 4, Dataflow::Ws);
        assert_eq!((x.folds, x.cycles), (1, 4 + 4 + 4 + 10 - 2 - 1));
        assert_eq!(x.mapping_efficiency, 1.0);
    }
}
