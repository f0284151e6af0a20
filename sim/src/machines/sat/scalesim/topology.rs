//! SCALE-Sim's topology CSVs, convolution and GEMM, with their quirks.

use super::*;

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
