//! Matrix Market reader and writer.
//!
//! Reads every header variant: `coordinate` or `array`; `real`, `integer` or `pattern` (value 1);
//! `general`, `symmetric`, `skew-symmetric` (expanded to the full matrix) and `hermitian` (which the
//! format allows only for complex data, so it is rejected like `complex`). A `%%GraphBLAS type T`
//! line, as LAGraph writes it, is honoured: values must fit `T` (an `int8_t` of 200 is an error),
//! a floating `T` lets an `integer` file hold real values, and a complex `T` is rejected.
//! Comment and blank lines may appear anywhere. Duplicate entries are an error.
//!
//! The reader streams line by line and never allocates more than the file can hold, whatever the
//! header claims. Every error names the file and the line.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::csr::Csr;

/// A problem with a Matrix Market file.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {msg}", .path.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct MtxError {
    /// The Matrix Market file.
    pub path: PathBuf,
    /// 1-based line, when the problem is on one line.
    pub line: Option<u64>,
    /// What is wrong, and how to fix it.
    pub msg: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Coordinate,
    Array,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Real,
    Integer,
    Pattern,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symmetry {
    General,
    Symmetric,
    Skew,
}

/// A value type named by a `%%GraphBLAS type` line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum GbType {
    Bool,
    Int { min: i128, max: i128 },
    Float,
}

fn gb_type(name: &str) -> Result<GbType, String> {
    Ok(match name {
        "bool" => GbType::Bool,
        "int8_t" => GbType::Int {
            min: i8::MIN as i128,
            max: i8::MAX as i128,
        },
        "int16_t" => GbType::Int {
            min: i16::MIN as i128,
            max: i16::MAX as i128,
        },
        "int32_t" => GbType::Int {
            min: i32::MIN as i128,
            max: i32::MAX as i128,
        },
        "int64_t" => GbType::Int {
            min: i64::MIN as i128,
            max: i64::MAX as i128,
        },
        "uint8_t" => GbType::Int {
            min: 0,
            max: u8::MAX as i128,
        },
        "uint16_t" => GbType::Int {
            min: 0,
            max: u16::MAX as i128,
        },
        "uint32_t" => GbType::Int {
            min: 0,
            max: u32::MAX as i128,
        },
        "uint64_t" => GbType::Int {
            min: 0,
            max: u64::MAX as i128,
        },
        "float" | "double" => GbType::Float,
        "float complex" | "double complex" => {
            return Err(format!(
                "complex type {name:?} is not supported: sparsim's kernels compute on real values"
            ))
        }
        other => return Err(format!("unknown %%GraphBLAS type {other:?}")),
    })
}

/// Reads a Matrix Market file into CSR.
pub fn read(path: &Path) -> Result<Csr, MtxError> {
    let err = |line: Option<u64>, msg: String| MtxError {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(None, format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(err(None, "is a directory; give a .mtx file".into()));
    }
    let file = File::open(path).map_err(|e| err(None, format!("cannot read: {e}")))?;
    read_from(BufReader::new(file), meta.len(), path)
}

/// Reads Matrix Market text of `len` bytes from `input` into CSR; `path` names it in errors.
/// What the header claims is never allocated beyond what `len` bytes can hold.
pub fn read_from(input: impl BufRead, len: u64, path: &Path) -> Result<Csr, MtxError> {
    let err = |line: Option<u64>, msg: String| MtxError {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let file_len = len;
    let mut lines = input.lines();
    let mut n = 0u64;
    let mut next_line = |n: &mut u64| -> Option<Result<String, MtxError>> {
        let l = lines.next()?;
        *n += 1;
        Some(l.map_err(|e| MtxError {
            path: path.to_path_buf(),
            line: Some(*n),
            msg: format!("cannot read line: {e}"),
        }))
    };
    // Banner.
    let banner = match next_line(&mut n) {
        None => {
            return Err(err(
                None,
                "is empty; a Matrix Market file starts with `%%MatrixMarket matrix ...`".into(),
            ))
        }
        Some(l) => l?,
    };
    let words: Vec<String> = banner
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.first().map(String::as_str) != Some("%%matrixmarket") {
        return Err(err(Some(1), "missing the `%%MatrixMarket matrix <format> <field> <symmetry>` banner; add it (e.g. `%%MatrixMarket matrix coordinate real general`)".into()));
    }
    if words.len() != 5 || words[1] != "matrix" {
        return Err(err(Some(1), format!("the banner must read `%%MatrixMarket matrix <format> <field> <symmetry>`, found {banner:?}")));
    }
    let format = match words[2].as_str() {
        "coordinate" => Format::Coordinate,
        "array" => Format::Array,
        f => {
            return Err(err(
                Some(1),
                format!("unknown format {f:?}; use coordinate or array"),
            ))
        }
    };
    let field = match words[3].as_str() {
        "real" | "double" => Field::Real,
        "integer" => Field::Integer,
        "pattern" => Field::Pattern,
        "complex" => {
            return Err(err(
                Some(1),
                "complex matrices are not supported: sparsim's kernels compute on real values"
                    .into(),
            ))
        }
        f => {
            return Err(err(
                Some(1),
                format!("unknown field {f:?}; use real, integer or pattern"),
            ))
        }
    };
    let symmetry = match words[4].as_str() {
        "general" => Symmetry::General,
        "symmetric" => Symmetry::Symmetric,
        "skew-symmetric" => Symmetry::Skew,
        "hermitian" => {
            return Err(err(
                Some(1),
                "hermitian is only defined for complex matrices, which are not supported".into(),
            ))
        }
        s => {
            return Err(err(
                Some(1),
                format!("unknown symmetry {s:?}; use general, symmetric or skew-symmetric"),
            ))
        }
    };
    if format == Format::Array && field == Field::Pattern {
        return Err(err(
            Some(1),
            "`array pattern` is not a valid combination: an array stores every value".into(),
        ));
    }
    if symmetry == Symmetry::Skew && field == Field::Pattern {
        return Err(err(
            Some(1),
            "`pattern skew-symmetric` is not a valid combination: a pattern has no signs".into(),
        ));
    }
    // Comments (with an optional %%GraphBLAS type) and the size line.
    let mut gb: Option<GbType> = None;
    let size_line;
    loop {
        let Some(l) = next_line(&mut n) else {
            return Err(err(None, "ends before the size line".into()));
        };
        let l = l?;
        let t = l.trim();
        if let Some(rest) = t.strip_prefix("%%GraphBLAS type ") {
            gb = Some(gb_type(rest.trim()).map_err(|m| err(Some(n), m))?);
            continue;
        }
        if t.is_empty() || t.starts_with('%') {
            continue;
        }
        size_line = (n, l);
        break;
    }
    if matches!(gb, Some(GbType::Int { min: 0, .. }) | Some(GbType::Bool))
        && symmetry == Symmetry::Skew
    {
        return Err(err(
            Some(1),
            "an unsigned or bool %%GraphBLAS type cannot be skew-symmetric".into(),
        ));
    }
    let real_values = field == Field::Real || gb == Some(GbType::Float);
    let nums: Vec<&str> = size_line.1.split_whitespace().collect();
    let parse_dim = |s: &str| {
        s.parse::<u64>().map_err(|_| {
            err(
                Some(size_line.0),
                format!("bad size {s:?}: sizes are non-negative integers"),
            )
        })
    };
    let (rows, cols, declared) = match (format, nums.as_slice()) {
        (Format::Coordinate, [m, k, z]) => (parse_dim(m)?, parse_dim(k)?, parse_dim(z)?),
        (Format::Array, [m, k]) => {
            let (m, k) = (parse_dim(m)?, parse_dim(k)?);
            let count = match symmetry {
                Symmetry::General => m.checked_mul(k),
                Symmetry::Symmetric => m.checked_mul(m + 1).map(|x| x / 2),
                Symmetry::Skew => m.checked_mul(m.saturating_sub(1)).map(|x| x / 2),
            };
            (
                m,
                k,
                count.ok_or_else(|| err(Some(size_line.0), "the matrix is too large".into()))?,
            )
        }
        (Format::Coordinate, _) => {
            return Err(err(
                Some(size_line.0),
                "the size line of a coordinate file is `rows cols entries`".into(),
            ))
        }
        (Format::Array, _) => {
            return Err(err(
                Some(size_line.0),
                "the size line of an array file is `rows cols`".into(),
            ))
        }
    };
    if rows > u32::MAX as u64 || cols > u32::MAX as u64 {
        return Err(err(
            Some(size_line.0),
            format!("{rows} x {cols} is larger than sparsim supports (2^32 - 1 per side)"),
        ));
    }
    if symmetry != Symmetry::General && rows != cols {
        return Err(err(
            Some(size_line.0),
            format!("a symmetric or skew-symmetric matrix must be square, not {rows} x {cols}"),
        ));
    }
    if format == Format::Coordinate && rows.checked_mul(cols).is_some_and(|cells| declared > cells)
    {
        return Err(err(
            Some(size_line.0),
            format!("{declared} entries cannot fit in {rows} x {cols}"),
        ));
    }
    // Never trust the header for allocation: a line holds at least 4 bytes.
    let cap = declared.min(file_len / 4 + 1) as usize;
    let mut t: Vec<(u32, u32, f64)> =
        Vec::with_capacity(cap * if symmetry == Symmetry::General { 1 } else { 2 });
    let mut lines_of: Vec<u64> = Vec::with_capacity(cap);
    let mut count = 0u64;
    let per_line = match (format, field) {
        (Format::Array, _) => 1,
        (Format::Coordinate, Field::Pattern) => 2,
        (Format::Coordinate, _) => 3,
    };
    let parse_value = |s: &str, line: u64| -> Result<f64, MtxError> {
        if real_values {
            return s.parse::<f64>().map_err(|_| {
                err(
                    Some(line),
                    format!("bad value {s:?}: expected a real number"),
                )
            });
        }
        let v: i128 = s.parse().map_err(|_| err(Some(line), format!("bad value {s:?}: the header says integer; use real in the banner for non-integer values")))?;
        match gb {
            Some(GbType::Bool) if !(v == 0 || v == 1) => Err(err(
                Some(line),
                format!("value {v} does not fit the bool type: use 0 or 1"),
            )),
            Some(GbType::Int { min, max }) if v < min || v > max => Err(err(
                Some(line),
                format!("value {v} does not fit the declared %%GraphBLAS type ({min}..={max})"),
            )),
            _ => Ok(v as f64),
        }
    };
    // Array position state: column-major, lower triangle for symmetric kinds.
    let (mut ai, mut aj) = (0u64, 0u64);
    if symmetry == Symmetry::Skew {
        ai = 1;
    }
    while let Some(l) = next_line(&mut n) {
        let l = l?;
        let s = l.trim();
        if s.is_empty() || s.starts_with('%') {
            continue;
        }
        if count == declared {
            return Err(err(
                Some(n),
                format!("more entries than the {declared} the size line declares"),
            ));
        }
        let toks: Vec<&str> = s.split_whitespace().collect();
        if toks.len() != per_line {
            return Err(err(
                Some(n),
                format!(
                    "expected {per_line} number(s) on an entry line, found {}: {s:?}",
                    toks.len()
                ),
            ));
        }
        let (i, j, v) = match format {
            Format::Coordinate => {
                let idx = |x: &str, lim: u64, what: &str| -> Result<u64, MtxError> {
                    let k: u64 = x
                        .parse()
                        .map_err(|_| err(Some(n), format!("bad {what} index {x:?}")))?;
                    if k == 0 || k > lim {
                        return Err(err(
                            Some(n),
                            format!("{what} index {k} is out of range 1..={lim}"),
                        ));
                    }
                    Ok(k - 1)
                };
                let i = idx(toks[0], rows, "row")?;
                let j = idx(toks[1], cols, "column")?;
                let v = if field == Field::Pattern {
                    1.0
                } else {
                    parse_value(toks[2], n)?
                };
                (i, j, v)
            }
            Format::Array => {
                let v = parse_value(toks[0], n)?;
                let pos = (ai, aj);
                ai += 1;
                if ai == rows {
                    aj += 1;
                    ai = match symmetry {
                        Symmetry::General => 0,
                        Symmetry::Symmetric => aj,
                        Symmetry::Skew => aj + 1,
                    };
                }
                (pos.0, pos.1, v)
            }
        };
        match symmetry {
            Symmetry::Skew if i == j => {
                return Err(err(
                    Some(n),
                    "a skew-symmetric matrix has a zero diagonal; remove diagonal entries".into(),
                ))
            }
            _ => {}
        }
        t.push((i as u32, j as u32, v));
        lines_of.push(n);
        if i != j {
            match symmetry {
                Symmetry::General => {}
                Symmetry::Symmetric => t.push((j as u32, i as u32, v)),
                Symmetry::Skew => t.push((j as u32, i as u32, -v)),
            }
        }
        count += 1;
    }
    if count < declared {
        return Err(err(Some(n), format!("the file ends after {count} of the {declared} entries the size line declares (truncated?)")));
    }
    // Duplicates (after symmetric expansion, a mirrored pair is a duplicate too).
    let mut order: Vec<usize> = (0..t.len()).collect();
    order.sort_unstable_by_key(|&k| (t[k].0, t[k].1));
    for w in order.windows(2) {
        let (a, b) = (t[w[0]], t[w[1]]);
        if (a.0, a.1) == (b.0, b.1) {
            let line_of = |k: usize| {
                if symmetry == Symmetry::General {
                    lines_of[k]
                } else {
                    lines_of.get(k / 2).copied().unwrap_or(0)
                }
            };
            return Err(err(
                Some(line_of(w[0].max(w[1]))),
                format!(
                    "duplicate entry ({}, {}); a Matrix Market file lists each position once",
                    a.0 + 1,
                    a.1 + 1
                ),
            ));
        }
    }
    Ok(Csr::from_triplets(rows as usize, cols as usize, t))
}

/// Writes `m` as `coordinate real general` (17 significant digits, so values round-trip exactly).
pub fn write(m: &Csr, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "%%MatrixMarket matrix coordinate real general")?;
    writeln!(out, "% written by sparsim {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(out, "{} {} {}", m.n_rows, m.n_cols, m.nnz())?;
    for (i, j, v) in m.triplets() {
        writeln!(out, "{} {} {v:e}", i + 1, j + 1)?;
    }
    Ok(())
}
