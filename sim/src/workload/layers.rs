//! Layer tables: a DNN as a CSV file of layers, the network format every DNN machine reads.
//!
//! One row per layer, under a header row naming the columns (any order; `#` starts a comment
//! line):
//!
//! | column | meaning |
//! | --- | --- |
//! | `name` | unique layer name |
//! | `op` | `input`, `conv`, `fc`, `maxpool`, `avgpool`, `add`, `attention` |
//! | `from` | the layers it reads, joined by `+` (summed element-wise: equal shapes; a residual connection is an `add` of two); empty: the row above |
//! | `channels` | output channels (`input`: its channels; pools keep their input's; `attention`: the width H of its 3H-wide query-key-value input) |
//! | `height`, `width` | `input` only: the input's size (a sequence is `tokens x 1`) |
//! | `kernel` | `conv` and pools: `K` or `KHxKW`; pools also `global` |
//! | `stride`, `padding` | `conv` and pools; default 1 and 0 |
//! | `groups` | `conv`: default 1; `channels` for a depthwise convolution |
//!
//! Shapes propagate from the inputs: a convolution's output is `(in + 2 padding - kernel) /
//! stride + 1` (rounded down), as PyTorch computes it; an `fc` layer applies to every position of
//! its input (a Transformer's tokens), so a CNN's classifier follows a global pool. The batch and
//! the input resolution are parameters ([`Network::with_input`]), not part of the file.
//!
//! `attention` stands for a Transformer's scaled dot-product attention between its query-key-value
//! input and its output; its activation-by-activation products are not counted (weight arrays run
//! the linear layers around it).
//!
//! Not represented: operations without weights other than pooling, `add` and `attention` (activations,
//! normalisation, softmax, attention's activation-by-activation products): they carry no MACs on a
//! weight array and leave shapes unchanged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::{ConfigError, Invalid};

/// What a layer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerOp {
    /// A network input.
    Input,
    /// A convolution.
    Conv {
        /// Kernel height.
        kh: u64,
        /// Kernel width.
        kw: u64,
        /// Stride (both directions).
        stride: u64,
        /// Zero padding (both directions, each side).
        padding: u64,
        /// Channel groups.
        groups: u64,
    },
    /// A fully connected layer, applied at every position.
    Fc,
    /// An element-wise sum of its inputs (no weights).
    Add,
    /// Attention from a 3H-wide query-key-value input to an H-wide output (no weights).
    Attention,
    /// A pooling layer (no weights); `global` pools to 1 x 1.
    Pool {
        /// Kernel height and width (0: global).
        k: (u64, u64),
        /// Stride.
        stride: u64,
        /// Padding.
        padding: u64,
        /// Max pooling (else average).
        max: bool,
    },
}

/// A layer with its shapes resolved (per sample).
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Its name.
    pub name: String,
    /// What it does.
    pub op: LayerOp,
    /// The layers it reads (indices of earlier layers; empty for an input).
    pub from: Vec<usize>,
    /// Input channels, height, width.
    pub input: (u64, u64, u64),
    /// Output channels, height, width.
    pub output: (u64, u64, u64),
    /// Its line in the file.
    pub line: usize,
}

impl Layer {
    /// Weights of the layer (0 for inputs and pools).
    pub fn params(&self) -> u64 {
        match self.op {
            LayerOp::Conv { kh, kw, groups, .. } => kh * kw * self.input.0 / groups * self.output.0,
            LayerOp::Fc => self.input.0 * self.output.0,
            _ => 0,
        }
    }

    /// Multiply-accumulates of one sample's forward pass.
    pub fn macs(&self) -> u64 {
        let pixels = self.output.1 * self.output.2;
        match self.op {
            LayerOp::Conv { .. } | LayerOp::Fc => pixels * self.params(),
            _ => 0,
        }
    }

    /// True for layers with weights (convolutions and fully connected).
    pub fn has_weights(&self) -> bool {
        matches!(self.op, LayerOp::Conv { .. } | LayerOp::Fc)
    }

    /// Channel groups (1 but for grouped convolutions).
    pub fn groups(&self) -> u64 {
        match self.op {
            LayerOp::Conv { groups, .. } => groups,
            _ => 1,
        }
    }

    /// Kernel height and width (1 x 1 for fully connected layers).
    pub fn kernel(&self) -> (u64, u64) {
        match self.op {
            LayerOp::Conv { kh, kw, .. } => (kh, kw),
            _ => (1, 1),
        }
    }
}

/// A parsed layer table.
#[derive(Debug, Clone)]
pub struct Network {
    /// The file it came from.
    pub file: PathBuf,
    /// The rows as written (for re-resolving at another input size).
    rows: Vec<Row>,
    /// The layers, in file order, shapes resolved.
    pub layers: Vec<Layer>,
}

#[derive(Debug, Clone)]
struct Row {
    line: usize,
    name: String,
    op: String,
    from: Vec<String>,
    channels: Option<u64>,
    height: Option<u64>,
    width: Option<u64>,
    kernel: Option<String>,
    stride: Option<u64>,
    padding: Option<u64>,
    groups: Option<u64>,
}

/// The most layers a table may hold: far more than any network has, and few enough to model
/// in seconds.
pub const MAX_LAYERS: usize = 100_000;

const COLUMNS: [&str; 10] = [
    "name", "op", "from", "channels", "height", "width", "kernel", "stride", "padding", "groups",
];

/// Reads a layer table from `path`.
pub fn load(path: &Path) -> Result<Network, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// The columns each op takes besides `name`, `op` and `from`; a value in another column is
/// refused (it would be ignored).
fn columns_of(op: &str) -> &'static [&'static str] {
    match op {
        "input" => &["channels", "height", "width"],
        "conv" => &["channels", "kernel", "stride", "padding", "groups"],
        "fc" | "attention" => &["channels"],
        "maxpool" | "avgpool" => &["kernel", "stride", "padding"],
        _ => &[],
    }
}

/// Parses a layer table (`file` names it in errors) and resolves its shapes as written. The
/// file is standard CSV (RFC 4180: quoted fields may hold commas; a UTF-8 byte-order mark, as
/// spreadsheets write, is skipped).
pub fn parse(text: &str, file: &Path) -> Result<Network, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            Invalid::new(
                format!("line {line}"),
                "(unreadable)",
                format!("not CSV: {e}"),
            )
            .in_file(file)
        })?;
        let line = rec.position().map_or(0, |p| p.line()) as usize;
        if rec.iter().all(str::is_empty) {
            continue;
        }
        records.push((line, rec));
    }
    let mut records = records.into_iter();
    let Some((hline, header)) = records.next() else {
        return Err(Invalid::new(
            "line 1",
            "(empty)",
            format!(
                "a layer table starts with a header row naming its columns: {}",
                COLUMNS.join(",")
            ),
        )
        .in_file(file));
    };
    let cols: Vec<String> = header.iter().map(|c| c.to_ascii_lowercase()).collect();
    for (i, c) in cols.iter().enumerate() {
        if !COLUMNS.contains(&c.as_str()) {
            return Err(Invalid::new(
                format!("line {hline}, header"),
                format!("{c:?}"),
                format!("unknown column; the columns are {}", COLUMNS.join(", ")),
            )
            .in_file(file));
        }
        if cols[..i].contains(c) {
            return Err(Invalid::new(
                format!("line {hline}, header"),
                format!("{c:?}"),
                "the column is named twice; name each column once".to_string(),
            )
            .in_file(file));
        }
    }
    let header_text = cols.join(",");
    for need in ["name", "op"] {
        if !cols.iter().any(|c| c == need) {
            return Err(Invalid::new(
                format!("line {hline}, header"),
                header_text,
                format!("the header must name a `{need}` column"),
            )
            .in_file(file));
        }
    }
    let mut rows = Vec::new();
    for (line, fields) in records {
        if fields.len() > cols.len() {
            let text: Vec<&str> = fields.iter().collect();
            return Err(Invalid::new(
                format!("line {line}"),
                text.join(","),
                format!(
                    "{} fields for {} columns in the header",
                    fields.len(),
                    cols.len()
                ),
            )
            .in_file(file));
        }
        let get = |name: &str| -> Option<&str> {
            cols.iter()
                .position(|c| c == name)
                .and_then(|i| fields.get(i))
                .filter(|s| !s.is_empty())
        };
        let op = get("op").unwrap_or("").to_ascii_lowercase();
        let takes = columns_of(&op);
        if !takes.is_empty() {
            for (i, c) in cols.iter().enumerate() {
                let given = fields.get(i).is_some_and(|v| !v.is_empty());
                if given
                    && !["name", "op", "from"].contains(&c.as_str())
                    && !takes.contains(&c.as_str())
                {
                    return Err(Invalid::new(
                        format!("line {line}, column {c}"),
                        fields.get(i).unwrap_or(""),
                        format!("a {op} row takes {}; leave {c} empty", takes.join(", ")),
                    )
                    .in_file(file));
                }
            }
        }
        let num = |name: &str| -> Result<Option<u64>, ConfigError> {
            match get(name) {
                None => Ok(None),
                Some(s) => match s.parse::<u64>() {
                    Ok(v) if v <= 1 << 24 => Ok(Some(v)),
                    _ => Err(Invalid::new(
                        format!("line {line}, column {name}"),
                        s,
                        "must be a whole number from 0 to 16777216",
                    )
                    .in_file(file)),
                },
            }
        };
        rows.push(Row {
            line,
            name: get("name").unwrap_or("").to_string(),
            op,
            from: get("from")
                .map(|s| s.split('+').map(|p| p.trim().to_string()).collect())
                .unwrap_or_default(),
            channels: num("channels")?,
            height: num("height")?,
            width: num("width")?,
            kernel: get("kernel").map(str::to_string),
            stride: num("stride")?,
            padding: num("padding")?,
            groups: num("groups")?,
        });
    }
    let mut net = Network {
        file: file.to_path_buf(),
        rows,
        layers: Vec::new(),
    };
    net.layers = net.resolve(None)?;
    Ok(net)
}

impl Network {
    /// A network of layers built elsewhere (shapes already resolved), named by `file`. It cannot
    /// be resized: [`Network::with_input`] returns it unchanged.
    pub fn from_layers(file: &Path, layers: Vec<Layer>) -> Network {
        Network {
            file: file.to_path_buf(),
            rows: Vec::new(),
            layers,
        }
    }

    /// The same network with every input resized to `resolution` (square images; a sequence,
    /// written `tokens x 1`, gets `resolution` tokens), shapes propagated again.
    pub fn with_input(&self, resolution: u64) -> Result<Network, ConfigError> {
        let mut n = self.clone();
        if n.rows.is_empty() {
            return Ok(n);
        }
        n.layers = n.resolve(Some(resolution))?;
        Ok(n)
    }

    /// Weights of the whole network.
    pub fn params(&self) -> u64 {
        self.layers.iter().map(Layer::params).sum()
    }

    /// Forward MACs of one sample.
    pub fn macs(&self) -> u64 {
        self.layers.iter().map(Layer::macs).sum()
    }

    fn resolve(&self, resolution: Option<u64>) -> Result<Vec<Layer>, ConfigError> {
        let file = &self.file;
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut layers: Vec<Layer> = Vec::new();
        let mut total_macs: u128 = 0;
        for r in &self.rows {
            let line = r.line;
            let bad = |col: &str, value: &dyn ToString, msg: String| {
                Invalid::new(format!("line {line}, column {col}"), value.to_string(), msg)
                    .in_file(file)
            };
            if r.name.is_empty() {
                return Err(bad("name", &"(empty)", "every layer needs a name".into()));
            }
            if index.contains_key(r.name.as_str()) {
                return Err(bad(
                    "name",
                    &r.name,
                    "a layer of this name is above; names must be unique".into(),
                ));
            }
            let positive = |col: &str, v: Option<u64>, default: Option<u64>| match v.or(default) {
                None => Err(bad(
                    col,
                    &"(empty)",
                    format!("a {} layer needs its {col}", r.op),
                )),
                Some(0) => Err(bad(col, &0, "must be at least 1".into())),
                Some(v) => Ok(v),
            };
            if r.op == "input" {
                let c = positive("channels", r.channels, None)?;
                let mut h = positive("height", r.height, None)?;
                let mut w = positive("width", r.width, None)?;
                if let Some(res) = resolution {
                    if w == 1 && h != 1 {
                        h = res;
                    } else {
                        h = res;
                        w = res;
                    }
                }
                let size = c as u128 * h as u128 * w as u128;
                if size > 1 << 36 {
                    return Err(bad(
                        "channels",
                        &c,
                        format!("the input is too large to model ({c} x {h} x {w} values): at most 2^36 per sample"),
                    ));
                }
                index.insert(&r.name, layers.len());
                layers.push(Layer {
                    name: r.name.clone(),
                    op: LayerOp::Input,
                    from: Vec::new(),
                    input: (c, h, w),
                    output: (c, h, w),
                    line,
                });
                continue;
            }
            // Where it reads from.
            let from: Vec<usize> = if r.from.is_empty() {
                match layers.len() {
                    0 => {
                        return Err(bad(
                            "from",
                            &"(empty)",
                            "the first layer must be an `input` row (or name what it reads)".into(),
                        ))
                    }
                    n => vec![n - 1],
                }
            } else {
                let mut v = Vec::new();
                for f in &r.from {
                    match index.get(f.as_str()) {
                        Some(&i) => v.push(i),
                        None => {
                            return Err(bad(
                                "from",
                                f,
                                "no layer of this name above this row; `from` names earlier layers, joined by +".into(),
                            ))
                        }
                    }
                }
                v
            };
            let input = layers[from[0]].output;
            for &f in &from[1..] {
                if layers[f].output != input {
                    return Err(bad(
                        "from",
                        &r.from.join("+"),
                        format!(
                            "summed layers must have equal shapes: {} is {:?} but {} is {:?} (channels, height, width)",
                            layers[from[0]].name, input, layers[f].name, layers[f].output
                        ),
                    ));
                }
            }
            let (cin, hin, win) = input;
            let window = |k: (u64, u64), stride: u64, padding: u64| {
                if k.0 > hin + 2 * padding || k.1 > win + 2 * padding {
                    return Err(bad(
                        "kernel",
                        &format!("{}x{}", k.0, k.1),
                        format!(
                            "larger than its input ({hin}x{win} with padding {padding}); use a smaller kernel or more padding"
                        ),
                    ));
                }
                Ok((
                    (hin + 2 * padding - k.0) / stride + 1,
                    (win + 2 * padding - k.1) / stride + 1,
                ))
            };
            let kernel = |global_ok: bool| -> Result<(u64, u64), ConfigError> {
                let Some(k) = r.kernel.as_deref() else {
                    return Err(bad(
                        "kernel",
                        &"(empty)",
                        format!("a {} layer needs its kernel (K or KHxKW)", r.op),
                    ));
                };
                if global_ok && k.eq_ignore_ascii_case("global") {
                    return Ok((0, 0));
                }
                let parse = |s: &str| s.trim().parse::<u64>().ok().filter(|&v| v > 0);
                let parsed = match k.split_once(['x', 'X']) {
                    Some((a, b)) => parse(a).zip(parse(b)),
                    None => parse(k).map(|v| (v, v)),
                };
                parsed.ok_or_else(|| {
                    bad(
                        "kernel",
                        &k,
                        format!(
                            "must be K or KHxKW with sizes of at least 1{}",
                            if global_ok { ", or global" } else { "" }
                        ),
                    )
                })
            };
            let (op, output) = match r.op.as_str() {
                "conv" => {
                    let (kh, kw) = kernel(false)?;
                    let stride = positive("stride", r.stride, Some(1))?;
                    let padding = r.padding.unwrap_or(0);
                    let groups = positive("groups", r.groups, Some(1))?;
                    let cout = positive("channels", r.channels, None)?;
                    if cin % groups != 0 || cout % groups != 0 {
                        return Err(bad(
                            "groups",
                            &groups,
                            format!("must divide the input channels ({cin}) and the output channels ({cout})"),
                        ));
                    }
                    let (h, w) = window((kh, kw), stride, padding)?;
                    (
                        LayerOp::Conv {
                            kh,
                            kw,
                            stride,
                            padding,
                            groups,
                        },
                        (cout, h, w),
                    )
                }
                "add" => (LayerOp::Add, input),
                "attention" => {
                    let h = positive("channels", r.channels, None)?;
                    if cin != 3 * h {
                        return Err(bad(
                            "channels",
                            &h,
                            format!("attention reads queries, keys and values: its input must have 3 x {h} channels, not {cin}"),
                        ));
                    }
                    (LayerOp::Attention, (h, hin, win))
                }
                "fc" => {
                    let cout = positive("channels", r.channels, None)?;
                    (LayerOp::Fc, (cout, hin, win))
                }
                "maxpool" | "avgpool" => {
                    let k = kernel(true)?;
                    let stride = positive("stride", r.stride, Some(1))?;
                    let padding = r.padding.unwrap_or(0);
                    if k != (0, 0) && 2 * padding > k.0.min(k.1) {
                        return Err(bad(
                            "padding",
                            &padding,
                            format!(
                                "a pool pads at most half its kernel ({}x{}), as PyTorch requires",
                                k.0, k.1
                            ),
                        ));
                    }
                    let (h, w) = if k == (0, 0) {
                        (1, 1)
                    } else {
                        window(k, stride, padding)?
                    };
                    let max = r.op == "maxpool";
                    (
                        LayerOp::Pool {
                            k,
                            stride,
                            padding,
                            max,
                        },
                        (cin, h, w),
                    )
                }
                other => {
                    return Err(bad(
                        "op",
                        &other,
                        "unknown op; use input, conv, fc, maxpool, avgpool, add or attention"
                            .into(),
                    ))
                }
            };
            let layer = Layer {
                name: r.name.clone(),
                op,
                from,
                input,
                output,
                line,
            };
            // Bounds that keep every count of a step (batch up to 65536) within 64 bits; the
            // largest real layers are about 10^9 MACs per sample.
            let (c, h, w) = output;
            let params = match op {
                LayerOp::Conv { kh, kw, groups, .. } => {
                    kh as u128 * kw as u128 * (cin / groups) as u128 * c as u128
                }
                LayerOp::Fc => cin as u128 * c as u128,
                _ => 0,
            };
            let size = c as u128 * h as u128 * w as u128;
            if params > 1 << 36 || params * (h as u128 * w as u128) > 1 << 40 || size > 1 << 36 {
                return Err(bad(
                    "channels",
                    &c,
                    format!(
                        "the layer is too large to model ({params} weights, {c} x {h} x {w} outputs): at most 2^36 weights or outputs and 2^40 MACs per sample"
                    ),
                ));
            }
            total_macs += params * (h as u128 * w as u128);
            if total_macs > 1 << 44 || layers.len() >= MAX_LAYERS {
                return Err(bad(
                    "name",
                    &r.name,
                    format!(
                        "the network is too large to model up to this layer ({} layers, {total_macs} MACs per sample): at most {MAX_LAYERS} layers and 2^44 MACs per sample",
                        layers.len() + 1
                    ),
                ));
            }
            index.insert(&r.name, layers.len());
            layers.push(layer);
        }
        if !layers.iter().any(Layer::has_weights) {
            return Err(Invalid::new(
                "layers",
                layers.len(),
                "the table has no conv or fc layer: nothing to compute",
            )
            .in_file(file));
        }
        Ok(layers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "name,op,from,channels,height,width,kernel,stride,padding,groups\n";

    fn net(body: &str) -> Result<Network, ConfigError> {
        parse(&format!("{HEAD}{body}"), Path::new("t.csv"))
    }

    fn err(body: &str) -> String {
        net(body).unwrap_err().to_string()
    }

    #[test]
    fn shapes_propagate_as_pytorch_computes_them() {
        let n = net("in,input,,3,224,224\nconv1,conv,,64,,,7,2,3\npool,maxpool,,,,,3,2,1\nb,conv,,64,,,3,1,1\nsum,add,b+pool\nc,conv,,64,,,1\ngap,avgpool,,,,,global\nfc,fc,,1000\n").unwrap();
        let out: Vec<_> = n.layers.iter().map(|l| l.output).collect();
        assert_eq!(
            out,
            [
                (3, 224, 224),
                (64, 112, 112),
                (64, 56, 56),
                (64, 56, 56),
                (64, 56, 56),
                (64, 56, 56),
                (64, 1, 1),
                (1000, 1, 1)
            ]
        );
        assert_eq!(n.layers[4].from, vec![3, 2]);
        // conv1: 112 x 112 x 64 outputs x 7 x 7 x 3 weights each.
        assert_eq!(n.layers[1].macs(), 112 * 112 * 64 * 147);
        assert_eq!(n.layers[7].params(), 64_000);
        let small = n.with_input(160).unwrap();
        assert_eq!(small.layers[2].output, (64, 40, 40));
    }

    #[test]
    fn a_sequence_input_resizes_its_tokens_only() {
        let n = net("x,input,,768,128,1\nq,fc,,2304\na,attention,,768\no,fc,,768\n").unwrap();
        assert_eq!(n.layers[1].output, (2304, 128, 1));
        assert_eq!(n.layers[2].output, (768, 128, 1));
        assert!(err("x,input,,768,128,1\na,attention,,768").contains("3 x 768"));
        assert_eq!(n.with_input(384).unwrap().layers[1].output, (2304, 384, 1));
    }

    #[test]
    fn depthwise_groups_divide_the_weights() {
        let n = net("x,input,,32,112,112\ndw,conv,,32,,,3,1,1,32\n").unwrap();
        assert_eq!(n.layers[1].params(), 9 * 32);
    }

    #[test]
    fn impossible_shapes_name_the_line_column_and_fix() {
        for (body, want) in [
            ("x,input,,3,0,8\nc,conv,,4,,,3", "line 2, column height"),
            ("x,input,,3,8,8\nc,conv,,4,,,9", "larger than its input"),
            (
                "x,input,,3,8,8\nc,conv,,4,,,3,1,1,2",
                "must divide the input channels",
            ),
            ("x,input,,3,8,8\nc,conv,,0,,,3", "line 3, column channels"),
            ("x,input,,3,8,8\nc,conv,,4,,,3x", "KHxKW"),
            ("x,input,,3,8,8\nc,conv,y,4,,,3", "no layer of this name"),
            ("x,input,,3,8,8\nc,relu,,4", "unknown op"),
            ("x,input,,3,8,8\nc,conv,,-4,,,3", "whole number"),
            (
                "x,input,,3,8,8\nc,conv,,4,,,3,1,99999999",
                "from 0 to 16777216",
            ),
            (
                "x,input,,4096,4096,4096\nc,conv,,4096,,,3,1,1",
                "too large to model",
            ),
            ("x,input,,3,8,8\nx,conv,,4,,,3", "unique"),
            (
                "x,input,,3,8,8\na,conv,,4,,,3\nb,conv,x+a,4,,,1",
                "equal shapes",
            ),
            ("x,input,,3,8,8\np,maxpool,,,,,2,2", "no conv or fc"),
            ("c,conv,,4,,,3", "input"),
            ("x,input,,3,8,8,1,1,1,1,1", "fields for 10 columns"),
        ] {
            let e = err(body);
            assert!(e.contains("t.csv") && e.contains(want), "{body:?}: {e}");
        }
        let e = parse("name,op,size\n", Path::new("t.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown column"), "{e}");
        let e = parse("# only a comment\n", Path::new("t.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("header row"), "{e}");
    }
}

#[cfg(test)]
mod bundled {
    use super::*;

    /// The bundled networks against the MACs and weights their papers or reference
    /// implementations state (weights of conv and fc layers, no biases or batch norm).
    #[test]
    fn bundled_networks_have_their_published_size() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads/dnn");
        for (file, macs, params) in [
            // torchvision: 1.81 GFLOPs (MACs), 11.69 M parameters (11,689,512 with 9,600 of
            // batch norm and 1,000 of fc bias).
            ("resnet18.csv", 1.814e9, 11_678_912.0),
            // torchvision v1.5: 4.09 GMACs; 25,557,032 parameters, 53,120 of batch norm and 1,000 of
            // fc bias.
            ("resnet50.csv", 4.089e9, 25_502_912.0),
            // torchvision: 15.47 GMACs; 138,357,544 parameters, of which 13,416 biases.
            ("vgg16.csv", 15.47e9, 138_344_128.0),
            // Howard et al. Table 1: 569 M mult-adds, 4.2 M parameters.
            ("mobilenet_v1.csv", 569e6, 4.2e6),
            // 12 x (768 x 2304 + 768 x 768 + 2 x 768 x 3072) weights; the same x 128 tokens MACs.
            ("bert_base.csv", 84_934_656.0 * 128.0, 84_934_656.0),
        ] {
            let n = load(&dir.join(file)).unwrap();
            let (m, p) = (n.macs() as f64, n.params() as f64);
            assert!(
                (m / macs - 1.0).abs() < 0.01,
                "{file}: {m} MACs, want {macs}"
            );
            assert!(
                (p / params - 1.0).abs() < 0.01,
                "{file}: {p} weights, want {params}"
            );
        }
        // Howard et al. Table 6, at 224: 0.75 MobileNet-1-224 325 M mult-adds and 2.6 M
        // parameters, 0.5 149 M and 1.3 M; ours must round to the published figures.
        for (file, macs, params) in [
            ("mobilenet_v1_075.csv", 325.0, 2.6),
            ("mobilenet_v1_050.csv", 149.0, 1.3),
        ] {
            let n = load(&dir.join(file)).unwrap();
            let m = (n.macs() as f64 / 1e6).round();
            let p = (n.params() as f64 / 1e5).round() / 10.0;
            assert_eq!(
                (m, p),
                (macs, params),
                "{file}: {} MACs, {} weights",
                n.macs(),
                n.params()
            );
        }
    }
}
