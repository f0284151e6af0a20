//! SCALE-Sim v3's inputs and compute report, for `sparsim scalesim`: its `.cfg` (an INI file),
//! its convolution and GEMM topology CSVs with their quirks, and `COMPUTE_REPORT.csv` with its
//! exact columns.
//!
//! Topology rows are split on commas and the last field dropped, as SCALE-Sim does, so the
//! trailing comma is mandatory; a convolution row is `name, ifmap_h, ifmap_w, filt_h, filt_w,
//! channels, filters, stride[, N:M],` (one stride for both directions) and a GEMM row
//! `name, M, N, K[, N:M],`; a convolution whose name contains `DP` is depthwise and runs as one
//! single-channel layer per channel. Outputs are not padded: `ofmap = ceil((ifmap - filt +
//! stride) / stride)`.
//! With `[sparsity] SparsitySupport: true` the filter matrix is condensed as SCALE-Sim condenses
//! it (layer-wise from the topology's N:M, or row-wise to half the reduction), and
//! `SPARSE_REPORT.csv` gives its storage. A key that is read but not modelled here (memory sizes
//! and bandwidths, layouts) is named in a warning.

use std::path::Path;

use crate::config::{ConfigError, Invalid};

use super::array::{compute, Compute, Dataflow, Gemm};
use super::config::{Nm, SatConfig};
use super::{Mode, SatExperiment, SatRun};
use crate::machines::ExperimentError;
use crate::report::RunReport;
use crate::workload::layers::{Layer as NetLayer, LayerOp, Network};

/// What `sparsim scalesim` takes from a SCALE-Sim `.cfg`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleConfig {
    /// `[general] run_name`: the report folder's name.
    pub run_name: String,
    /// `ArrayHeight`: PE rows.
    pub rows: u64,
    /// `ArrayWidth`: PE columns.
    pub cols: u64,
    /// `Dataflow`.
    pub dataflow: Dataflow,
    /// `[sparsity]` with `SparsitySupport: true`; None: layers run dense whatever their N:M.
    pub sparsity: Option<Sparsity>,
    /// `IfmapSramSzkB`, `FilterSramSzkB`, `OfmapSramSzkB` (KiB), where given: the SAT model's
    /// activation, weight and output buffers.
    pub sram_kib: [Option<u64>; 3],
    /// Keys read but not modelled, and keys not known at all, each with a note.
    pub warnings: Vec<String>,
}

/// SCALE-Sim's sparsity settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Sparsity {
    /// `SparseRep`: `csr`, `csc` or `ellpack_block` (storage in SPARSE_REPORT.csv).
    pub rep: String,
    /// `OptimizedMapping`: row-wise N:M with M = `BlockSize` (the reduction condensed to K/2);
    /// otherwise layer-wise, each layer's N:M from the topology.
    pub row_wise: bool,
    /// `BlockSize`: M of the row-wise mode.
    pub block: u64,
}

mod config;
mod reports;
mod topology;

pub use config::parse_config;
pub use reports::{bandwidth_report, compute_report, condensed_k, run, sparse_report};
pub use topology::{parse_topology, Layer, MAX_LAYERS};

/// The topology as a network for the SAT model: each layer its own input (channels, height,
/// width) and a convolution with SCALE-Sim's output size (no padding, `ceil((in - filter +
/// stride) / stride)`), each with its pattern: layer-wise its N:M (dense at 1:1), row-wise
/// BlockSize/2 of BlockSize (what the condensed reduction amounts to).
pub fn network(cfg: &ScaleConfig, layers: &[Layer], file: &Path) -> (Network, Vec<Option<Nm>>) {
    let mut net = Vec::new();
    let mut patterns = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let out = |inp: u64, f: u64| (inp - f + l.stride).div_ceil(l.stride);
        let input = (l.channels, l.ifmap_h, l.ifmap_w);
        net.push(NetLayer {
            name: format!("input{i}"),
            op: LayerOp::Input,
            from: Vec::new(),
            input,
            output: input,
            line: i + 2,
        });
        net.push(NetLayer {
            name: l.name.clone(),
            op: LayerOp::Conv {
                kh: l.filt_h,
                kw: l.filt_w,
                stride: l.stride,
                padding: 0,
                groups: 1,
            },
            from: vec![net.len() - 1],
            input,
            output: (l.filters, out(l.ifmap_h, l.filt_h), out(l.ifmap_w, l.filt_w)),
            line: i + 2,
        });
        let nm = match &cfg.sparsity {
            None => None,
            Some(s) if s.row_wise => Some(Nm {
                n: s.block / 2,
                m: s.block,
            }),
            Some(_) => (l.nm.0 < l.nm.1).then_some(Nm {
                n: l.nm.0,
                m: l.nm.1,
            }),
        };
        patterns.extend([None, nm]);
    }
    (Network::from_layers(file, net), patterns)
}

/// The SAT machine for a SCALE-Sim config: its array and dataflow, its SRAM sizes as the
/// activation, weight and output buffers, one-byte words (partial sums too) as SCALE-Sim counts
/// them; everything else as SAT's defaults.
pub fn sat_config(cfg: &ScaleConfig) -> SatConfig {
    let mut c = SatConfig {
        rows: cfg.rows,
        cols: cfg.cols,
        dataflow: cfg.dataflow,
        word_bytes: 1,
        acc_bytes: 1,
        ..SatConfig::default()
    };
    let [ifmap, filter, ofmap] = cfg.sram_kib;
    for (buf, kib) in [
        (&mut c.activation_buffer, ifmap),
        (&mut c.weight_buffer, filter),
        (&mut c.output_buffer, ofmap),
    ] {
        if let Some(k) = kib {
            buf.kib = k;
        }
    }
    c
}

/// What `sparsim scalesim` writes: SCALE-Sim's reports and the SAT model's run beside them.
pub struct DropIn {
    /// Each layer's compute, as SCALE-Sim counts it.
    pub compute: Vec<Compute>,
    /// `COMPUTE_REPORT.csv`.
    pub compute_report: String,
    /// `SPARSE_REPORT.csv`, where SCALE-Sim's storage is deterministic.
    pub sparse_report: Option<String>,
    /// The SAT model of the same layers (inference, batch 1): `BANDWIDTH_REPORT.csv` and
    /// sparsim's report, or why the config's SRAMs cannot hold its tiles.
    pub sat: Result<(String, RunReport), String>,
}

/// Runs SCALE-Sim's inputs (`cfg`, and `layers` read from `topology`): the compute reports, and
/// the SAT model once, through the same checks as a SAT experiment.
pub fn drop_in(cfg: &ScaleConfig, layers: &[Layer], topology: &Path) -> Result<DropIn, ExperimentError> {
    let compute = run(cfg, layers);
    let compute_report = compute_report(&compute);
    let sparse_report = sparse_report(cfg, layers, &compute);
    let sat_cfg = sat_config(cfg);
    let sat = match sat_cfg.check() {
        Err(e) => Err(e.to_string()),
        Ok(_) => {
            let (net, patterns) = network(cfg, layers, topology);
            let exp = SatExperiment {
                kind: "sat".into(),
                name: cfg.run_name.clone(),
                seed: 1,
                network: topology.to_path_buf(),
                batch: 1,
                resolution: None,
                mode: Mode::Inference,
                sparsity: "dense".into(),
                dense_layers: None,
                sat: sat_cfg,
                energy_table: None,
                limits: Default::default(),
            };
            let mut run = SatRun::with_network(exp, net, patterns, topology)?;
            if cfg.sparsity.is_some() {
                // The patterns come per layer from the topology; the echo says so.
                run.exp.sparsity = "per layer (SCALE-Sim topology)".into();
            }
            let (step, outcome) = run.run_step()?;
            let passes: Vec<_> = step
                .tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.kind == super::TaskKind::Ff)
                .map(|(i, t)| {
                    let p = &step.passes[t.passes[0]];
                    (
                        step.schedule.end[i] - step.schedule.start[i],
                        p.buffer_read_by_operand,
                        p.dram_by_operand,
                        p.buffer_write - p.dram_read,
                    )
                })
                .collect();
            Ok((bandwidth_report(cfg, &passes), outcome.report))
        }
    };
    Ok(DropIn {
        compute,
        compute_report,
        sparse_report,
        sat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = "[general]\nrun_name = r\n\n[architecture_presets]\nArrayHeight:    8\nArrayWidth:     16\nIfmapSramSzkB:   64\nBandwidth : 10\nDataflow : os\nMemoryBanks: 1\n[run_presets]\nInterfaceBandwidth: CALC\n";

    #[test]
    fn a_config_gives_the_array_and_names_what_is_not_modelled() {
        let c = parse_config(CFG, Path::new("s.cfg")).unwrap();
        assert_eq!((c.rows, c.cols, c.dataflow), (8, 16, Dataflow::Os));
        assert_eq!(c.run_name, "r");
        assert!(c.warnings.iter().any(|w| w.contains("bandwidth = 10")));
        assert!(c.warnings.iter().any(|w| w.contains("interfacebandwidth")));
        let e = parse_config(&CFG.replace("os", "xs"), Path::new("s.cfg")).unwrap_err();
        assert!(e.to_string().contains("dataflow = xs"), "{e}");
        let e = parse_config(
            &CFG.replace("ArrayHeight:    8", "ArrayHeight: 0"),
            Path::new("s.cfg"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("arrayheight = 0"), "{e}");
    }

    /// Issue 29: a key given twice was taken from its last line; SCALE-Sim's configparser stops
    /// on it. It is refused naming both lines.
    #[test]
    fn a_key_given_twice_is_refused_naming_both_lines() {
        let twice = CFG.replace("Dataflow : os\n", "Dataflow : os\nDataflow : ws\n");
        let e = parse_config(&twice, Path::new("s.cfg")).unwrap_err().to_string();
        assert!(
            e.contains("architecture_presets.dataflow") && e.contains("lines 9 and 10"),
            "{e}"
        );
    }

    #[test]
    fn topology_rows_follow_scale_sim_s_quirks() {
        let conv = "name, ih, iw, fh, fw, c, f, s,\nConv1, 227, 227, 11, 11, 3, 96, 4,\nDP2, 7, 7, 3, 3, 4, 1, 1,\nNoComma, 9, 9, 3, 3, 1, 1, 1\n";
        let e = parse_topology(conv, Path::new("t.csv"), false).unwrap_err();
        assert!(
            e.to_string().contains("line 4"),
            "without its trailing comma a row loses its stride: {e}"
        );
        let layers = parse_topology(
            &conv.replace("NoComma, 9, 9, 3, 3, 1, 1, 1\n", ""),
            Path::new("t.csv"),
            false,
        )
        .unwrap();
        assert_eq!(layers.len(), 1 + 4, "a DP layer runs once per channel");
        assert_eq!(
            layers[0].gemm(),
            Gemm {
                m: 55 * 55,
                n: 96,
                k: 363
            }
        );
        assert_eq!(layers[1].name, "DP2Channel_0");
        assert_eq!(layers[1].gemm(), Gemm { m: 25, n: 1, k: 9 });
        let g = parse_topology(
            "Layer, M, N, K,\nG1, 100, 40, 70,\nG2, 3, 5, 16, 3:4,\n",
            Path::new("g.csv"),
            true,
        )
        .unwrap();
        assert_eq!(
            g[0].gemm(),
            Gemm {
                m: 100,
                n: 40,
                k: 70
            }
        );
        assert_eq!(g[1].nm, (3, 4));
        for (bad, expect) in [
            ("G, 3, 5, 16, 5:4,", "N:M"),
            ("G, 0, 5, 16,", "field 2"),
            ("G, 3, x, 16,", "field 3"),
        ] {
            let e = parse_topology(&format!("h,\n{bad}\n"), Path::new("g.csv"), true).unwrap_err();
            assert!(e.to_string().contains(expect), "{bad}: {e}");
        }
    }

    #[test]
    fn the_compute_report_has_scale_sim_s_columns_and_separators() {
        let cfg = parse_config(CFG, Path::new("s.cfg")).unwrap();
        let layers =
            parse_topology("L, M, N, K,\nG1, 100, 40, 70,\n", Path::new("g.csv"), true).unwrap();
        let r = compute_report(&run(&cfg, &layers));
        let mut lines = r.lines();
        assert_eq!(lines.next().unwrap(), "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,");
        // SCALE-Sim 3.0.0 on the same inputs: "0, ..., 3587, 0, 60.98..., 80.12..., 60.96...,".
        assert!(lines.next().unwrap().starts_with("0, 3587, 3587, 0, 60.98"));
    }

    fn sparse_cfg(rep: &str, row_wise: bool, rows: u64, block: u64) -> ScaleConfig {
        let text = format!("[general]\nrun_name = s\n[architecture_presets]\nArrayHeight: {rows}\nArrayWidth: {}\nDataflow : ws\n[sparsity]\nSparsitySupport : true\nSparseRep : {rep}\nOptimizedMapping : {row_wise}\nBlockSize : {block}\n", if rows == 8 { 16 } else { rows });
        parse_config(&text, Path::new("s.cfg")).unwrap()
    }

    /// SCALE-Sim 3.0.0's outputs, recorded once (`scripts/scalesim/compare.sh`'s sparse cases):
    /// "Total Cycles" and SPARSE_REPORT.csv rows, layer-wise and row-wise, and its golden
    /// `test/sparsity/golden_trace` (AlexNet conv1 1:4 on 128 x 128, row-wise, BlockSize 8).
    #[test]
    fn sparse_layers_condense_as_scale_sim_does() {
        let topo = "Layer, M, N, K, Sparsity,\nS1, 100, 40, 70, 2:4,\nS2, 64, 48, 96, 1:8,\nS3, 7, 30, 33, 3:4,\n";
        let layers = parse_topology(topo, Path::new("t.csv"), true).unwrap();
        let cycles = |cfg: &ScaleConfig| run(cfg, &layers).iter().map(|c| c.cycles).collect::<Vec<_>>();
        let layer_wise = sparse_cfg("ellpack_block", false, 8, 8);
        assert_eq!(cycles(&layer_wise), [1949, 563, 295]);
        assert_eq!(
            sparse_report(&layer_wise, &layers, &run(&layer_wise, &layers)).unwrap(),
            "LayerID, Sparsity Representation, Original Filter Storage, New Storage (Filter+Metadata), Filter Metadata Storage, Avg FILTER Metadata SRAM BW, \n\
             0, ellpack_block, 2800, 1530.0, 90.0, 0.046177526936890714,\n\
             1, ellpack_block, 4608, 630.0, 54.0, 0.09591474245115453,\n\
             2, ellpack_block, 990, 796.875, 46.875, 0.15889830508474576,\n"
        );
        let csr = sparse_cfg("csr", false, 8, 8);
        assert!(sparse_report(&csr, &layers, &run(&csr, &layers))
            .unwrap()
            .contains("0, csr, 2800, 2951, 1511, 0.7752693689071318,\n"));
        let row_wise = sparse_cfg("ellpack_block", true, 8, 8);
        assert_eq!(cycles(&row_wise), [1949, 1691, 221]);
        assert!(sparse_report(&sparse_cfg("csr", true, 8, 8), &layers, &[]).is_none());
        // Without SparsitySupport the N:M column is ignored.
        let dense = parse_config(CFG, Path::new("d.cfg")).unwrap();
        assert!(dense.sparsity.is_none());
        let golden = parse_topology(
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Sparsity,\nConv1, 224, 224, 11, 11, 3, 96, 4, 1:4,\n",
            Path::new("alexnet_part.csv"),
            false,
        )
        .unwrap();
        assert_eq!(run(&sparse_cfg("ellpack_block", true, 128, 8), &golden)[0].cycles, 6813);
        let e = parse_config("[general]\nrun_name = s\n[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nDataflow : ws\n[sparsity]\nSparsitySupport : true\nOptimizedMapping : true\nBlockSize : 8\n", Path::new("b.cfg")).unwrap_err().to_string();
        assert!(e.contains("sparsity.blocksize") && e.contains("ArrayHeight"), "{e}");
    }
}
