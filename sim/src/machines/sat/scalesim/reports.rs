//! Each layer's compute as SCALE-Sim counts it, and its report files.

use super::*;

/// The reduction the array runs for `layer` under `cfg`'s sparsity, and the M of its groups (1
/// for dense), as SCALE-Sim condenses the filter matrix: layer-wise, the first N of every M rows
/// of each column kept (a last, shorter group keeps at most N) and trailing all-zero rows
/// dropped; row-wise, K padded to a multiple of 2 x BlockSize and halved, whatever each column's
/// N.
pub fn condensed_k(cfg: &ScaleConfig, layer: &Layer) -> (u64, u64) {
    let k = layer.gemm().k;
    match &cfg.sparsity {
        None => (k, 1),
        Some(s) if s.row_wise => (k.div_ceil(2 * s.block) * s.block, s.block),
        Some(_) => {
            let (n, m) = layer.nm;
            (k / m * n + (k % m).min(n), m)
        }
    }
}

/// Each layer's compute on the configured array. With sparsity, the array runs the condensed
/// reduction, and utilisation counts dense MACs (as SCALE-Sim's does: above 100 % when sparse).
pub fn run(cfg: &ScaleConfig, layers: &[Layer]) -> Vec<Compute> {
    layers
        .iter()
        .map(|l| {
            let g = l.gemm();
            let (k, _) = condensed_k(cfg, l);
            let mut c = compute(Gemm { k, ..g }, cfg.rows, cfg.cols, cfg.dataflow);
            c.utilisation = (g.m * g.n * g.k) as f64 / (cfg.rows * cfg.cols * c.cycles).max(1) as f64;
            c
        })
        .collect()
}

/// `SPARSE_REPORT.csv` in SCALE-Sim's format, storage in words, for layer-wise sparsity, or
/// row-wise with `ellpack_block` (row-wise CSR and CSC storage depends on SCALE-Sim's random N per
/// column, which sparsim does not draw: None).
pub fn sparse_report(cfg: &ScaleConfig, layers: &[Layer], results: &[Compute]) -> Option<String> {
    let s = cfg.sparsity.as_ref()?;
    if s.row_wise && s.rep != "ellpack_block" {
        return None;
    }
    let mut out = String::from("LayerID, Sparsity Representation, Original Filter Storage, New Storage (Filter+Metadata), Filter Metadata Storage, Avg FILTER Metadata SRAM BW, \n");
    for (i, (l, c)) in layers.iter().zip(results).enumerate() {
        let g = l.gemm();
        let (k_eff, _) = condensed_k(cfg, l);
        let original = g.k * g.n;
        let (new, meta) = match s.rep.as_str() {
            "ellpack_block" => {
                // Index bits from the topology's M, in row-wise mode too (as SCALE-Sim does).
                let bits = (l.nm.1 as f64).log2().ceil();
                let meta = (k_eff * g.n) as f64 * bits / 32.0;
                let new = (k_eff * g.n) as f64 + meta;
                (py_num(new), py_num(meta))
            }
            rep => {
                // Kept entries of the layer-wise pattern, and the pointer array's length.
                let nnz = k_eff * g.n;
                let ptr = if rep == "csr" { g.k + 1 } else { g.n + 1 };
                ((2 * nnz + ptr).to_string(), (nnz + ptr).to_string())
            }
        };
        let meta_bw = meta.parse::<f64>().unwrap_or(0.0) / c.cycles.max(1) as f64;
        out.push_str(&format!(
            "{i}, {}, {original}, {new}, {meta}, {meta_bw},\n",
            s.rep
        ));
    }
    Some(out)
}

/// `BANDWIDTH_REPORT.csv` with SCALE-Sim's columns, from the SAT model's forward passes (one per
/// layer, in order): words (bytes) per cycle of the layer's task, SRAM reads of the ifmap and the
/// filter (and its indices, with sparsity), SRAM writes of the ofmap, and DRAM traffic of each.
/// The values are the SAT model's (its buffers, loop order and DDR4), not SCALE-Sim's.
pub fn bandwidth_report(cfg: &ScaleConfig, passes: &[(u64, [u64; 3], [u64; 3], u64)]) -> String {
    let sparse = cfg.sparsity.is_some();
    let mut s = String::from("LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, ");
    if sparse {
        s.push_str("Avg FILTER Metadata SRAM BW, ");
    }
    s.push_str("Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n");
    for (i, (cycles, sram, dram, ofmap_sram)) in passes.iter().enumerate() {
        let bw = |x: u64| x as f64 / (*cycles).max(1) as f64;
        s.push_str(&format!("{i}, {}, {}, ", bw(sram[0]), bw(sram[1])));
        if sparse {
            s.push_str(&format!("{}, ", bw(sram[2])));
        }
        s.push_str(&format!(
            "{}, {}, {}, {},\n",
            bw(*ofmap_sram),
            bw(dram[0]),
            bw(dram[1]),
            bw(dram[2])
        ));
    }
    s
}

/// A number as Python prints it: integers of a float with `.0`.
fn py_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// `COMPUTE_REPORT.csv` in SCALE-Sim's format (", " between values, a trailing comma). With no
/// memory model, there are no stalls and no prefetch: "Total Cycles (incl. prefetch)" repeats
/// "Total Cycles".
pub fn compute_report(results: &[Compute]) -> String {
    let mut s = String::from("LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,\n");
    for (i, c) in results.iter().enumerate() {
        s.push_str(&format!(
            "{i}, {}, {}, 0, {}, {}, {},\n",
            c.cycles,
            c.cycles,
            c.utilisation * 100.0,
            c.mapping_efficiency * 100.0,
            c.compute_utilisation * 100.0
        ));
    }
    s
}
