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

/// The keys SCALE-Sim v3 reads, by section, lower-case (configparser's default).
const KNOWN: &[(&str, &[&str])] = &[
    ("general", &["run_name"]),
    (
        "architecture_presets",
        &[
            "arrayheight",
            "arraywidth",
            "ifmapsramszkb",
            "filtersramszkb",
            "ofmapsramszkb",
            "ifmapoffset",
            "filteroffset",
            "ofmapoffset",
            "dataflow",
            "bandwidth",
            "memorybanks",
            "readrequestbuffer",
            "writerequestbuffer",
        ],
    ),
    (
        "layout",
        &[
            "ifmapcustomlayout",
            "ifmapsrambankbandwidth",
            "ifmapsrambanknum",
            "ifmapsrambankport",
            "filtercustomlayout",
            "filtersrambankbandwidth",
            "filtersrambanknum",
            "filtersrambankport",
        ],
    ),
    (
        "sparsity",
        &[
            "sparsitysupport",
            "sparserep",
            "optimizedmapping",
            "blocksize",
            "randomnumbergeneratorseed",
        ],
    ),
    ("run_presets", &["interfacebandwidth", "useramulatortrace"]),
    ("network_presets", &["topologycsvloc"]),
];

/// The keys this front end models.
const MODELLED: &[&str] = &[
    "run_name",
    "arrayheight",
    "arraywidth",
    "dataflow",
    "ifmapsramszkb",
    "filtersramszkb",
    "ofmapsramszkb",
    "sparsitysupport",
    "sparserep",
    "optimizedmapping",
    "blocksize",
];

/// Whether a value is well-formed for its key.
type ValueCheck = fn(&str) -> bool;

/// What a key this front end reads but does not model must hold, as SCALE-Sim parses it
/// (`int(...)`, a comma-separated list of ints, configparser's booleans, or one of some words),
/// or `None` for free text. A value SCALE-Sim would reject is refused here too, so a file that
/// runs here runs there.
fn unmodelled_rule(key: &str) -> Option<(&'static str, ValueCheck)> {
    fn count(v: &str) -> bool {
        v.parse::<u64>().is_ok_and(|n| n >= 1)
    }
    fn offset(v: &str) -> bool {
        v.parse::<u64>().is_ok()
    }
    fn list(v: &str) -> bool {
        v.split(',').all(|x| count(x.trim()))
    }
    fn boolean(v: &str) -> bool {
        let v = v.to_ascii_lowercase();
        ["1", "yes", "true", "on", "0", "no", "false", "off"].contains(&v.as_str())
    }
    fn seed(v: &str) -> bool {
        v.parse::<i64>().is_ok()
    }
    Some(match key {
        "ifmapoffset" | "filteroffset" | "ofmapoffset" => {
            ("must be a whole number of words, 0 or more", offset)
        }
        "bandwidth" => (
            "must be words per cycle, a whole number from 1, or one per memory (`10, 10, 10`)",
            list,
        ),
        "memorybanks" | "readrequestbuffer" | "writerequestbuffer" | "ifmapsrambankbandwidth"
        | "ifmapsrambanknum" | "ifmapsrambankport" | "filtersrambankbandwidth"
        | "filtersrambanknum" | "filtersrambankport" => ("must be a whole number from 1", count),
        "ifmapcustomlayout" | "filtercustomlayout" => ("must be true or false", boolean),
        "useramulatortrace" => ("must be True or False", |v: &str| v == "True" || v == "False"),
        "interfacebandwidth" => ("must be USER or CALC", |v: &str| v == "USER" || v == "CALC"),
        "randomnumbergeneratorseed" => ("must be a whole number", seed),
        _ => return None,
    })
}

/// Reads a SCALE-Sim `.cfg` (`file` names it in errors).
pub fn parse_config(text: &str, file: &Path) -> Result<ScaleConfig, ConfigError> {
    let bad = |key: &str, value: &str, msg: &str| Invalid::new(key, value, msg).in_file(file);
    let mut section = String::new();
    let mut values: Vec<(String, String, String, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        let Some(at) = line.find([':', '=']) else {
            return Err(bad(
                &format!("line {}", i + 1),
                line,
                "expected `key: value` or `key = value`, or a [section]",
            ));
        };
        let key = line[..at].trim().to_ascii_lowercase();
        let value = line[at + 1..].trim().to_string();
        // configparser refuses a repeated key too (DuplicateOptionError): SCALE-Sim would stop.
        if let Some((_, _, _, first)) = values.iter().find(|(s, k, _, _)| *s == section && *k == key) {
            return Err(bad(
                &format!("{section}.{key}"),
                &value,
                &format!(
                    "given twice, on lines {first} and {}: keep one",
                    i + 1
                ),
            ));
        }
        values.push((section.clone(), key, value, i + 1));
    }
    let get = |sec: &str, key: &str| {
        values
            .iter()
            .rev()
            .find(|(s, k, _, _)| s == sec && k == key)
            .map(|(_, _, v, _)| v.as_str())
    };
    let mut warnings = Vec::new();
    let mut unmodelled = Vec::new();
    for (sec, key, value, line) in &values {
        let known = KNOWN
            .iter()
            .any(|(s, keys)| s == sec && keys.contains(&key.as_str()));
        if !known {
            warnings.push(format!(
                "{}:{line}: [{sec}] {key} is not a SCALE-Sim v3 key; ignored",
                file.display()
            ));
        } else if !MODELLED.contains(&key.as_str()) {
            if let Some((rule, ok)) = unmodelled_rule(key) {
                if !ok(value) {
                    return Err(bad(&format!("{sec}.{key}"), value, rule));
                }
            }
            unmodelled.push(format!("{key} = {value}"));
        }
    }
    if !unmodelled.is_empty() {
        warnings.push(format!(
            "{}: read but not modelled (SCALE-Sim's DRAM interface, addresses and layouts; the SAT model's run beside uses its own DDR4): {}",
            file.display(),
            unmodelled.join(", ")
        ));
    }
    let run_name = get("general", "run_name")
        .ok_or_else(|| bad("general.run_name", "(missing)", "name the run"))?
        .to_string();
    if !crate::config::is_plain_folder_name(&run_name) {
        return Err(bad(
            "general.run_name",
            &format!("{run_name:?}"),
            crate::config::PLAIN_FOLDER_NAME,
        ));
    }
    let dim = |key: &str| -> Result<u64, ConfigError> {
        let v = get("architecture_presets", key).ok_or_else(|| {
            bad(
                &format!("architecture_presets.{key}"),
                "(missing)",
                "give the array's size",
            )
        })?;
        match v.parse::<u64>() {
            Ok(n) if (1..=1 << 16).contains(&n) => Ok(n),
            _ => Err(bad(
                &format!("architecture_presets.{key}"),
                v,
                "must be a whole number of PEs from 1 to 65536",
            )),
        }
    };
    let rows = dim("arrayheight")?;
    let cols = dim("arraywidth")?;
    let df = get("architecture_presets", "dataflow").unwrap_or("");
    let dataflow = Dataflow::parse(df).ok_or_else(|| {
        bad(
            "architecture_presets.dataflow",
            df,
            "must be ws, os or is (weight-, output- or input-stationary)",
        )
    })?;
    let flag = |key: &str| -> Result<bool, ConfigError> {
        match get("sparsity", key).map(|v| v.to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(v) => Err(bad(&format!("sparsity.{key}"), &v, "must be true or false")),
        }
    };
    let sparsity = if flag("sparsitysupport")? {
        let rep = get("sparsity", "sparserep")
            .unwrap_or("ellpack_block")
            .to_ascii_lowercase();
        if !["csr", "csc", "ellpack_block"].contains(&rep.as_str()) {
            return Err(bad(
                "sparsity.sparserep",
                &rep,
                "must be csr, csc or ellpack_block",
            ));
        }
        let row_wise = flag("optimizedmapping")?;
        let b = get("sparsity", "blocksize").unwrap_or("4");
        let block = match b.parse::<u64>() {
            Ok(n) if (2..=16).contains(&n) && (!row_wise || n <= rows) => n,
            _ => {
                return Err(bad(
                    "sparsity.blocksize",
                    b,
                    "must be a whole number from 2 to 16, and at most ArrayHeight with OptimizedMapping",
                ))
            }
        };
        Some(Sparsity {
            rep,
            row_wise,
            block,
        })
    } else {
        None
    };
    let mut sram_kib = [None; 3];
    for (slot, key) in sram_kib
        .iter_mut()
        .zip(["ifmapsramszkb", "filtersramszkb", "ofmapsramszkb"])
    {
        if let Some(v) = get("architecture_presets", key) {
            match v.parse::<u64>() {
                Ok(n) if (1..=1 << 22).contains(&n) => *slot = Some(n),
                _ => {
                    return Err(bad(
                        &format!("architecture_presets.{key}"),
                        v,
                        "must be a whole number of KiB from 1 to 4194304",
                    ))
                }
            }
        }
    }
    Ok(ScaleConfig {
        run_name,
        rows,
        cols,
        dataflow,
        sparsity,
        sram_kib,
        warnings,
    })
}

/// One layer of a topology, as SCALE-Sim reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Its name (with `Channel_<i>` appended for each channel of a depthwise layer).
    pub name: String,
    /// Input height.
    pub ifmap_h: u64,
    /// Input width.
    pub ifmap_w: u64,
    /// Filter height.
    pub filt_h: u64,
    /// Filter width.
    pub filt_w: u64,
    /// Input channels.
    pub channels: u64,
    /// Filters (output channels).
    pub filters: u64,
    /// Stride, both directions.
    pub stride: u64,
    /// N of N:M (1:1 for dense).
    pub nm: (u64, u64),
}

impl Layer {
    /// The layer as a GEMM: M output pixels, N filters, K = filter height x width x channels.
    pub fn gemm(&self) -> Gemm {
        let out = |i: u64, f: u64| (i - f + self.stride).div_ceil(self.stride);
        Gemm {
            m: out(self.ifmap_h, self.filt_h) * out(self.ifmap_w, self.filt_w),
            n: self.filters,
            k: self.filt_h * self.filt_w * self.channels,
        }
    }
}

/// The most layers a topology may hold (a depthwise row counts one per channel): far more
/// than any network has, and few enough to run in seconds.
pub const MAX_LAYERS: u64 = 100_000;

/// Reads a topology CSV: a convolution one, or with `gemm` a GEMM one.
pub fn parse_topology(text: &str, file: &Path, gemm: bool) -> Result<Vec<Layer>, ConfigError> {
    let mut layers = Vec::new();
    // Errors name the field by number and by its column's name (the header's, or SCALE-Sim's).
    let standard: &[&str] = if gemm {
        &["Layer Name", "M", "N", "K", "Sparsity"]
    } else {
        &[
            "Layer name",
            "IFMAP Height",
            "IFMAP Width",
            "Filter Height",
            "Filter Width",
            "Channels",
            "Num Filter",
            "Strides",
            "Sparsity",
        ]
    };
    let header: Vec<&str> = text.lines().next().unwrap_or("").split(',').map(str::trim).collect();
    let column = |f: usize| match header.get(f) {
        Some(h) if !h.is_empty() => *h,
        _ => standard.get(f).copied().unwrap_or("extra"),
    };
    for (i, raw) in text.lines().enumerate().skip(1) {
        let row = raw.trim();
        if row.is_empty() {
            continue;
        }
        let at = |field: usize| format!("line {}, field {} ({})", i + 1, field + 1, column(field));
        let bad = |field: usize, value: &str, msg: &str| {
            Invalid::new(at(field), value, msg).in_file(file)
        };
        let mut fields: Vec<&str> = row.split(',').collect();
        fields.pop();
        let want = if gemm { 4 } else { 8 };
        if fields.len() < want || fields.len() > want + 1 {
            return Err(bad(
                fields.len(),
                row,
                &format!(
                    "{} fields (the last one, after the final comma, is dropped as SCALE-Sim drops it); a {} row is `{}` with a trailing comma",
                    fields.len(),
                    if gemm { "GEMM" } else { "convolution" },
                    if gemm {
                        "name, M, N, K[, N:M],"
                    } else {
                        "name, ifmap_h, ifmap_w, filt_h, filt_w, channels, filters, stride[, N:M],"
                    }
                ),
            ));
        }
        let num = |f: usize| -> Result<u64, ConfigError> {
            let v = fields[f].trim();
            match v.parse::<u64>() {
                Ok(n) if (1..=1 << 24).contains(&n) => Ok(n),
                _ => Err(bad(f, v, "must be a whole number from 1 to 16777216")),
            }
        };
        let nm = match fields.get(want) {
            None => (1, 1),
            Some(s) => {
                let parsed = s.trim().split_once(':').and_then(|(n, m)| {
                    Some((n.trim().parse::<u64>().ok()?, m.trim().parse::<u64>().ok()?))
                });
                match parsed {
                    Some((n, m)) if n >= 1 && n <= m && m <= 16 => (n, m),
                    _ => {
                        return Err(bad(
                            want,
                            s.trim(),
                            "must be N:M with 1 <= N <= M <= 16 (e.g. 2:4)",
                        ))
                    }
                }
            }
        };
        let name = fields[0].trim().to_string();
        let layer = if gemm {
            // SCALE-Sim's mapping of a GEMM onto a convolution: [M, K, 1, K, 1, N, 1].
            let (m, n, k) = (num(1)?, num(2)?, num(3)?);
            Layer {
                name,
                ifmap_h: m,
                ifmap_w: k,
                filt_h: 1,
                filt_w: k,
                channels: 1,
                filters: n,
                stride: 1,
                nm,
            }
        } else {
            let l = Layer {
                name,
                ifmap_h: num(1)?,
                ifmap_w: num(2)?,
                filt_h: num(3)?,
                filt_w: num(4)?,
                channels: num(5)?,
                filters: num(6)?,
                stride: num(7)?,
                nm,
            };
            if l.filt_h > l.ifmap_h {
                return Err(bad(
                    3,
                    fields[3].trim(),
                    "the filter is taller than the input",
                ));
            }
            if l.filt_w > l.ifmap_w {
                return Err(bad(
                    4,
                    fields[4].trim(),
                    "the filter is wider than the input",
                ));
            }
            l
        };
        // Bounds that keep every count of the layer within 64 bits (its GEMM's sides, their
        // product, its operands' words); the largest real layers are about 10^10 MACs.
        let out = |i: u64, f: u64| u128::from((i - f + layer.stride).div_ceil(layer.stride));
        let m = out(layer.ifmap_h, layer.filt_h) * out(layer.ifmap_w, layer.filt_w);
        let k = u128::from(layer.filt_h) * u128::from(layer.filt_w) * u128::from(layer.channels);
        let n = u128::from(layer.filters);
        let ifmap = u128::from(layer.ifmap_h) * u128::from(layer.ifmap_w) * u128::from(layer.channels);
        if m > 1 << 40 || k > 1 << 40 || k * n > 1 << 40 || ifmap > 1 << 40 || m * n * k > 1 << 50 {
            let what = if gemm { "M, N and K" } else { "the row's sizes" };
            return Err(bad(
                if gemm { 3 } else { 5 },
                fields[if gemm { 3 } else { 5 }].trim(),
                &format!(
                    "the layer is too large to model: a {m} x {n} x {k} GEMM ({} MACs); {what} must keep each operand under 2^40 words and the MACs under 2^50",
                    m * n * k
                ),
            ));
        }
        if !gemm && layer.name.contains("DP") {
            if layers.len() as u64 + layer.channels > MAX_LAYERS {
                return Err(bad(
                    5,
                    fields[5].trim(),
                    &format!(
                        "a depthwise (DP) row runs as one layer per channel, and a topology may hold at most {MAX_LAYERS} layers"
                    ),
                ));
            }
            for c in 0..layer.channels {
                layers.push(Layer {
                    name: format!("{}Channel_{c}", layer.name),
                    channels: 1,
                    ..layer.clone()
                });
            }
        } else {
            if layers.len() as u64 >= MAX_LAYERS {
                return Err(bad(
                    0,
                    fields[0].trim(),
                    &format!("a topology may hold at most {MAX_LAYERS} layers"),
                ));
            }
            layers.push(layer);
        }
    }
    if layers.is_empty() {
        return Err(Invalid::new(
            "line 2",
            "(none)",
            "the topology has no layer after its header row",
        )
        .in_file(file));
    }
    Ok(layers)
}

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
