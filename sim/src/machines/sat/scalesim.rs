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
//! A key that is read but not modelled here (memory sizes and bandwidths, layouts, sparsity) is
//! named in a warning.

use std::path::Path;

use crate::config::{ConfigError, Invalid};

use super::array::{compute, Compute, Dataflow, Gemm};

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
    /// Keys read but not modelled, and keys not known at all, each with a note.
    pub warnings: Vec<String>,
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
const MODELLED: &[&str] = &["run_name", "arrayheight", "arraywidth", "dataflow"];

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
            unmodelled.push(format!("{key} = {value}"));
        }
    }
    if !unmodelled.is_empty() {
        warnings.push(format!(
            "{}: read but not modelled by sparsim's front end, which times compute only (no buffers, DRAM, layouts or sparsity yet): {}",
            file.display(),
            unmodelled.join(", ")
        ));
    }
    let run_name = get("general", "run_name")
        .ok_or_else(|| bad("general.run_name", "(missing)", "name the run"))?
        .to_string();
    if run_name.is_empty() || run_name.contains(['/', '\\']) || run_name.starts_with('.') {
        return Err(bad(
            "general.run_name",
            &run_name,
            "must be a plain folder name",
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
    Ok(ScaleConfig {
        run_name,
        rows,
        cols,
        dataflow,
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

/// Reads a topology CSV: a convolution one, or with `gemm` a GEMM one.
pub fn parse_topology(text: &str, file: &Path, gemm: bool) -> Result<Vec<Layer>, ConfigError> {
    let mut layers = Vec::new();
    for (i, raw) in text.lines().enumerate().skip(1) {
        let row = raw.trim();
        if row.is_empty() {
            continue;
        }
        let at = |field: usize| format!("line {}, field {}", i + 1, field + 1);
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
        if !gemm && layer.name.contains("DP") {
            for c in 0..layer.channels {
                layers.push(Layer {
                    name: format!("{}Channel_{c}", layer.name),
                    channels: 1,
                    ..layer.clone()
                });
            }
        } else {
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

/// Each layer's compute on the configured array.
pub fn run(cfg: &ScaleConfig, layers: &[Layer]) -> Vec<Compute> {
    layers
        .iter()
        .map(|l| compute(l.gemm(), cfg.rows, cfg.cols, cfg.dataflow))
        .collect()
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
}
