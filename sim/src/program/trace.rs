//! Trace files: the native binary format (versioned, optionally zstd-compressed), its text form,
//! and an importer for valgrind `lackey --trace-mem=yes` output. All readers stream.
//!
//! Binary format, version 1: an 8-byte magic `SPTRACE\0`, a little-endian `u16` version, a `u16` of
//! flags (bit 0: the body is one zstd frame), then records of 11 bytes: `u8` class code, `u16` size,
//! `u64` address, all little-endian.
//! Text form: a first line `# sparsim-trace v1`, then one `CLASS ADDRESS SIZE` per line
//! (`F 0x401000 4`, `L 0x7ff0 8`, `S 0x7ff0 8`, `A 0x10 8`); `#` starts a comment.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::{Op, OpClass, Program};

/// Magic bytes opening a binary trace.
pub const MAGIC: &[u8; 8] = b"SPTRACE\0";
/// Current binary version.
pub const VERSION: u16 = 1;
const FLAG_ZSTD: u16 = 1;
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const TEXT_HEADER: &str = "# sparsim-trace v1";

/// A problem with a trace file, naming the file and the line (text) or byte offset (binary).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file cannot be opened or read.
    #[error("{}: cannot read trace: {source}", .path.display())]
    Io {
        /// The trace file.
        path: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
    /// The file is empty or holds no operations.
    #[error("{}: {msg}", .path.display())]
    Empty {
        /// The trace file.
        path: PathBuf,
        /// What is missing.
        msg: String,
    },
    /// A text line cannot be read.
    #[error("{}:{line}: {msg}", .path.display())]
    Line {
        /// The trace file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong and how to fix it.
        msg: String,
    },
    /// The binary body is malformed.
    #[error("{}: byte {offset}: {msg}", .path.display())]
    Binary {
        /// The trace file.
        path: PathBuf,
        /// Offset in the (decompressed) body.
        offset: u64,
        /// What is wrong.
        msg: String,
    },
}

fn class_code(c: OpClass) -> u8 {
    match c {
        OpClass::Int => 0,
        OpClass::Fp => 1,
        OpClass::Simd => 2,
        OpClass::Mac => 3,
        OpClass::Branch => 4,
        OpClass::Fetch => 5,
        OpClass::Load => 6,
        OpClass::Store => 7,
        OpClass::Atomic => 8,
        OpClass::Barrier => 9,
        OpClass::Dma => 10,
        OpClass::Pause => 11,
    }
}

fn class_from_code(c: u8) -> Option<OpClass> {
    Some(match c {
        0 => OpClass::Int,
        1 => OpClass::Fp,
        2 => OpClass::Simd,
        3 => OpClass::Mac,
        4 => OpClass::Branch,
        5 => OpClass::Fetch,
        6 => OpClass::Load,
        7 => OpClass::Store,
        8 => OpClass::Atomic,
        9 => OpClass::Barrier,
        10 => OpClass::Dma,
        11 => OpClass::Pause,
        _ => return None,
    })
}

fn class_letter(c: OpClass) -> &'static str {
    match c {
        OpClass::Fetch => "F",
        OpClass::Load => "L",
        OpClass::Store => "S",
        OpClass::Atomic => "A",
        OpClass::Int => "INT",
        OpClass::Fp => "FP",
        OpClass::Simd => "SIMD",
        OpClass::Mac => "MAC",
        OpClass::Branch => "BR",
        OpClass::Barrier => "BAR",
        OpClass::Dma => "DMA",
        OpClass::Pause => "PAUSE",
    }
}

fn class_from_letter(s: &str) -> Option<OpClass> {
    Some(match s {
        "F" => OpClass::Fetch,
        "L" => OpClass::Load,
        "S" => OpClass::Store,
        "A" => OpClass::Atomic,
        "INT" => OpClass::Int,
        "FP" => OpClass::Fp,
        "SIMD" => OpClass::Simd,
        "MAC" => OpClass::Mac,
        "BR" => OpClass::Branch,
        "BAR" => OpClass::Barrier,
        "DMA" => OpClass::Dma,
        "PAUSE" => OpClass::Pause,
        _ => return None,
    })
}

/// Which format a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Native binary.
    Binary,
    /// Native text.
    Text,
    /// valgrind lackey output.
    Lackey,
}

/// Opens `path`, detects its format (a zstd-compressed text or lackey file is decompressed on the fly)
/// and returns a streaming reader. Fails on a directory, an empty file or an unreadable header.
pub fn open(path: &Path) -> Result<TraceReader, TraceError> {
    let io = |source| TraceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(TraceError::Empty {
            path: path.to_path_buf(),
            msg: "is a directory; give a trace file".into(),
        });
    }
    if meta.len() == 0 {
        return Err(TraceError::Empty {
            path: path.to_path_buf(),
            msg: "is empty; a trace needs at least one operation".into(),
        });
    }
    let file = BufReader::with_capacity(1 << 16, File::open(path).map_err(io)?);
    from_reader(Box::new(file), path)
}

/// A streaming reader over trace bytes from `input` (the file's contents; `path` names it in
/// errors), its format detected as [`open`] does.
pub fn from_reader(mut file: Box<dyn BufRead>, path: &Path) -> Result<TraceReader, TraceError> {
    let io = |source| TraceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let head = file.fill_buf().map_err(io)?.to_vec();
    if head.starts_with(MAGIC) {
        let mut hdr = [0u8; 12];
        file.read_exact(&mut hdr).map_err(|_| TraceError::Binary {
            path: path.to_path_buf(),
            offset: 0,
            msg: "truncated header (need 12 bytes)".into(),
        })?;
        let version = u16::from_le_bytes([hdr[8], hdr[9]]);
        let flags = u16::from_le_bytes([hdr[10], hdr[11]]);
        if version != VERSION {
            return Err(TraceError::Binary {
                path: path.to_path_buf(),
                offset: 8,
                msg: format!(
                    "version {version} is not supported (this sparsim reads version {VERSION})"
                ),
            });
        }
        let body: Box<dyn Read> = if flags & FLAG_ZSTD != 0 {
            Box::new(zstd_decoder(file).map_err(io)?)
        } else {
            Box::new(file)
        };
        return Ok(TraceReader {
            path: path.to_path_buf(),
            inner: Inner::Binary { body, offset: 0 },
            pending: None,
            n_ops: 0,
            error: None,
        });
    }
    let text: Box<dyn BufRead> = if head.starts_with(&ZSTD_MAGIC) {
        Box::new(BufReader::with_capacity(
            1 << 16,
            zstd_decoder(file).map_err(io)?,
        ))
    } else {
        Box::new(file)
    };
    Ok(TraceReader {
        path: path.to_path_buf(),
        inner: Inner::Text {
            reader: text,
            line: 0,
            buf: String::with_capacity(128),
            format: None,
        },
        pending: None,
        n_ops: 0,
        error: None,
    })
}

/// A zstd decoder whose window is at most 8 MiB (2^23), so a frame header cannot make it
/// allocate more (zstd's own limit is 128 MiB); `trace convert` and zstd's command line at
/// their default levels stay well below it.
fn zstd_decoder<R: BufRead>(r: R) -> std::io::Result<zstd::stream::read::Decoder<'static, R>> {
    let mut d = zstd::stream::read::Decoder::with_buffer(r)?;
    d.window_log_max(23)?;
    Ok(d)
}

enum Inner {
    Binary {
        body: Box<dyn Read>,
        offset: u64,
    },
    Text {
        reader: Box<dyn BufRead>,
        line: u64,
        buf: String,
        format: Option<Format>,
    },
}

/// A streaming trace reader; also a [`Program`].
pub struct TraceReader {
    path: PathBuf,
    inner: Inner,
    /// The store half of a lackey `M` line, delivered after its load.
    pending: Option<Op>,
    n_ops: u64,
    /// The error that stopped the trace, once `Program::next_op` met it.
    error: Option<TraceError>,
}

impl TraceReader {
    /// The detected format (text formats are known after the first non-comment line).
    pub fn format(&self) -> Option<Format> {
        match &self.inner {
            Inner::Binary { .. } => Some(Format::Binary),
            Inner::Text { format, .. } => *format,
        }
    }

    fn line_err(&self, line: u64, msg: impl Into<String>) -> TraceError {
        TraceError::Line {
            path: self.path.clone(),
            line,
            msg: msg.into(),
        }
    }

    fn next_binary(&mut self) -> Option<Result<Op, TraceError>> {
        let Inner::Binary { body, offset } = &mut self.inner else {
            unreachable!()
        };
        let mut rec = [0u8; 11];
        let mut got = 0;
        while got < rec.len() {
            match body.read(&mut rec[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Some(Err(TraceError::Binary {
                        path: self.path.clone(),
                        offset: *offset,
                        msg: format!("corrupt body: {e}"),
                    }))
                }
            }
        }
        if got == 0 {
            return None;
        }
        let at = *offset;
        if got < rec.len() {
            return Some(Err(TraceError::Binary {
                path: self.path.clone(),
                offset: at,
                msg: format!("truncated record ({got} of 11 bytes); the file was cut short"),
            }));
        }
        *offset += 11;
        let Some(class) = class_from_code(rec[0]) else {
            return Some(Err(TraceError::Binary {
                path: self.path.clone(),
                offset: at,
                msg: format!("unknown operation code {}", rec[0]),
            }));
        };
        let size = u16::from_le_bytes([rec[1], rec[2]]) as u32;
        let addr = u64::from_le_bytes(rec[3..11].try_into().expect("slice of 8 bytes"));
        Some(Ok(Op::mem(class, addr, size)))
    }

    fn next_text(&mut self) -> Option<Result<Op, TraceError>> {
        loop {
            let Inner::Text {
                reader,
                line,
                buf,
                format,
            } = &mut self.inner
            else {
                unreachable!()
            };
            buf.clear();
            *line += 1;
            let n = match reader.read_line(buf) {
                Ok(n) => n,
                Err(e) => {
                    let l = *line;
                    return Some(Err(self.line_err(l, format!("cannot read line: {e}"))));
                }
            };
            if n == 0 {
                return None;
            }
            let l = *line;
            let raw = buf.trim_end_matches(['\n', '\r']);
            if format.is_none() {
                if raw.trim().is_empty() {
                    continue;
                }
                *format = Some(if raw.trim() == TEXT_HEADER {
                    Format::Text
                } else {
                    Format::Lackey
                });
                if *format == Some(Format::Text) {
                    continue;
                }
            }
            let fmt = format.expect("set above");
            let parsed = match fmt {
                Format::Text => parse_text_line(raw),
                Format::Lackey => parse_lackey_line(raw),
                Format::Binary => unreachable!(),
            };
            match parsed {
                Ok(None) => continue,
                Ok(Some((op, modify))) => {
                    if modify {
                        self.pending = Some(Op::mem(OpClass::Store, op.addr, op.size));
                    }
                    return Some(Ok(op));
                }
                Err(msg) => return Some(Err(self.line_err(l, msg))),
            }
        }
    }
}

/// Parses one line of the native text form.
fn parse_text_line(raw: &str) -> Result<Option<(Op, bool)>, String> {
    let s = raw.split('#').next().unwrap_or("").trim();
    if s.is_empty() {
        return Ok(None);
    }
    let mut it = s.split_whitespace();
    let (Some(c), Some(a), Some(z), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(format!(
            "expected `CLASS ADDRESS SIZE` (e.g. `L 0x7ff0 8`), found {s:?}"
        ));
    };
    let class = class_from_letter(c).ok_or_else(|| {
        format!("unknown class {c:?}; use F, L, S, A, INT, FP, SIMD, MAC, BR, BAR or DMA")
    })?;
    let addr = parse_u64(a)
        .ok_or_else(|| format!("bad address {a:?}; write it as 0x-prefixed hex or decimal"))?;
    let size = z
        .parse::<u32>()
        .map_err(|_| format!("bad size {z:?}; write a decimal number of bytes"))?;
    Ok(Some((Op::mem(class, addr, size), false)))
}

fn parse_u64(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Parses one line of lackey output: `I  04010b0,3`, ` L 1ffefffd58,8`, ` S ...`, ` M ...`.
/// valgrind's own commentary (`==pid==`, `--pid--`) is skipped. Returns the op and whether it is a
/// modify (a load followed by a store to the same address).
fn parse_lackey_line(raw: &str) -> Result<Option<(Op, bool)>, String> {
    if raw.starts_with("==") || raw.starts_with("--") || raw.trim().is_empty() {
        return Ok(None);
    }
    let bytes = raw.as_bytes();
    let (class, modify, rest) = if let Some(rest) = raw.strip_prefix("I ") {
        (OpClass::Fetch, false, rest)
    } else if bytes.len() > 2 && bytes[0] == b' ' && bytes[2] == b' ' {
        match bytes[1] {
            b'L' => (OpClass::Load, false, &raw[3..]),
            b'S' => (OpClass::Store, false, &raw[3..]),
            b'M' => (OpClass::Load, true, &raw[3..]),
            _ => {
                return Err(format!(
                    "not a lackey line: {raw:?}; expected `I  addr,size` or ` L|S|M addr,size`"
                ))
            }
        }
    } else {
        return Err(format!("not a lackey line: {raw:?}; expected `I  addr,size` or ` L|S|M addr,size` (run valgrind --tool=lackey --trace-mem=yes)"));
    };
    let (a, z) = rest
        .trim()
        .split_once(',')
        .ok_or_else(|| format!("missing `,size` in {raw:?}"))?;
    let addr = u64::from_str_radix(a.trim(), 16)
        .map_err(|_| format!("bad hex address {a:?} in {raw:?}"))?;
    let size = z
        .trim()
        .parse::<u32>()
        .map_err(|_| format!("bad size {z:?} in {raw:?}"))?;
    if size == 0 {
        return Err(format!("zero-size access in {raw:?}"));
    }
    Ok(Some((Op::mem(class, addr, size), modify)))
}

impl TraceReader {
    /// The next operation or the error that stops the trace.
    pub fn read_next(&mut self) -> Option<Result<Op, TraceError>> {
        if let Some(op) = self.pending.take() {
            self.n_ops += 1;
            return Some(Ok(op));
        }
        let r = match self.inner {
            Inner::Binary { .. } => self.next_binary(),
            Inner::Text { .. } => self.next_text(),
        };
        match r {
            Some(Ok(op)) => {
                self.n_ops += 1;
                Some(Ok(op))
            }
            None if self.n_ops == 0 => Some(Err(TraceError::Empty {
                path: self.path.clone(),
                msg: "holds no operations".into(),
            })),
            other => other,
        }
    }
}

impl Program for TraceReader {
    fn next_op(&mut self) -> Option<Op> {
        if self.error.is_some() {
            return None;
        }
        match self.read_next()? {
            Ok(op) => Some(op),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }
    fn error(&self) -> Option<&TraceError> {
        self.error.as_ref()
    }
}

impl Iterator for TraceReader {
    type Item = Result<Op, TraceError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.read_next()
    }
}

/// Writes a trace in the binary format (optionally zstd-compressed) or the text form.
pub struct TraceWriter {
    out: Box<dyn Write>,
    text: bool,
}

impl TraceWriter {
    /// A writer on `out`; `format` is [`Format::Binary`] or [`Format::Text`].
    pub fn new(
        out: Box<dyn Write>,
        format: Format,
        zstd_level: Option<i32>,
    ) -> std::io::Result<TraceWriter> {
        let mut out: Box<dyn Write> = Box::new(BufWriter::with_capacity(1 << 16, out));
        match format {
            Format::Binary => {
                out.write_all(MAGIC)?;
                out.write_all(&VERSION.to_le_bytes())?;
                let flags = if zstd_level.is_some() { FLAG_ZSTD } else { 0 };
                out.write_all(&flags.to_le_bytes())?;
                if let Some(level) = zstd_level {
                    out = Box::new(zstd::stream::write::Encoder::new(out, level)?.auto_finish());
                }
                Ok(TraceWriter { out, text: false })
            }
            Format::Text => {
                writeln!(out, "{TEXT_HEADER}")?;
                Ok(TraceWriter { out, text: true })
            }
            Format::Lackey => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "lackey is an import-only format",
            )),
        }
    }

    /// Appends one operation.
    pub fn write(&mut self, op: &Op) -> std::io::Result<()> {
        if self.text {
            writeln!(
                self.out,
                "{} {:#x} {}",
                class_letter(op.class),
                op.addr,
                op.size
            )
        } else {
            let size = u16::try_from(op.size).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "operation larger than 65535 bytes",
                )
            })?;
            let mut rec = [0u8; 11];
            rec[0] = class_code(op.class);
            rec[1..3].copy_from_slice(&size.to_le_bytes());
            rec[3..11].copy_from_slice(&op.addr.to_le_bytes());
            self.out.write_all(&rec)
        }
    }

    /// Flushes everything (and ends the zstd frame).
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_tmp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn read_all(p: &Path) -> Result<Vec<Op>, TraceError> {
        open(p)?.collect()
    }

    #[test]
    fn lackey_modify_is_a_load_then_a_store_and_commentary_is_skipped() {
        let d = tempfile::tempdir().unwrap();
        let p = write_tmp(
            &d,
            "t.lackey",
            b"==1== Lackey\nI  0401000,3\n L 1ffefff8,8\n M 0602010,4\n S 0602018,8\n==1== end\n",
        );
        let ops = read_all(&p).unwrap();
        let got: Vec<_> = ops.iter().map(|o| (o.class, o.addr, o.size)).collect();
        assert_eq!(
            got,
            vec![
                (OpClass::Fetch, 0x401000, 3),
                (OpClass::Load, 0x1ffefff8, 8),
                (OpClass::Load, 0x602010, 4),
                (OpClass::Store, 0x602010, 4),
                (OpClass::Store, 0x602018, 8),
            ]
        );
    }

    #[test]
    fn lackey_garbage_line_names_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        let p = write_tmp(&d, "g.lackey", b"I  0401000,3\nhello world\n");
        let err = read_all(&p).unwrap_err().to_string();
        assert!(
            err.contains("g.lackey:2:") && err.contains("not a lackey line"),
            "{err}"
        );
        let p = write_tmp(&d, "h.lackey", b" L 12zz,8\n");
        assert!(read_all(&p)
            .unwrap_err()
            .to_string()
            .contains("h.lackey:1: bad hex address"));
    }

    #[test]
    fn binary_round_trips_plain_and_zstd_and_text() {
        let d = tempfile::tempdir().unwrap();
        let ops: Vec<Op> = (0..1000u64)
            .map(|i| {
                Op::mem(
                    if i % 3 == 0 {
                        OpClass::Store
                    } else {
                        OpClass::Load
                    },
                    i * 72,
                    8,
                )
            })
            .collect();
        for (name, fmt, z) in [
            ("a.bin", Format::Binary, None),
            ("a.binz", Format::Binary, Some(3)),
            ("a.txt", Format::Text, None),
        ] {
            let p = d.path().join(name);
            let mut w = TraceWriter::new(Box::new(File::create(&p).unwrap()), fmt, z).unwrap();
            for op in &ops {
                w.write(op).unwrap();
            }
            w.finish().unwrap();
            assert_eq!(read_all(&p).unwrap(), ops, "{name}");
        }
    }

    #[test]
    fn truncated_and_corrupt_binaries_are_errors_not_panics() {
        let d = tempfile::tempdir().unwrap();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes());
        bytes.extend_from_slice(&[6, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        bytes.extend_from_slice(&[6, 8, 0, 1]);
        let p = write_tmp(&d, "cut.bin", &bytes);
        let err = read_all(&p).unwrap_err().to_string();
        assert!(err.contains("cut.bin: byte 11: truncated record"), "{err}");
        let p = write_tmp(&d, "hdr.bin", &MAGIC[..]);
        assert!(read_all(&p)
            .unwrap_err()
            .to_string()
            .contains("truncated header"));
        let mut bad = bytes.clone();
        bad[12] = 99;
        let p = write_tmp(&d, "code.bin", &bad[..23]);
        assert!(read_all(&p)
            .unwrap_err()
            .to_string()
            .contains("unknown operation code 99"));
        let mut z = bytes[..12].to_vec();
        z[10] = 1;
        z.extend_from_slice(b"this is not zstd");
        let p = write_tmp(&d, "z.bin", &z);
        assert!(read_all(&p).is_err());
        let mut v = bytes[..12].to_vec();
        v[8] = 7;
        let p = write_tmp(&d, "v.bin", &v);
        assert!(read_all(&p).unwrap_err().to_string().contains("version 7"));
    }

    #[test]
    fn directory_and_empty_files_are_refused() {
        let d = tempfile::tempdir().unwrap();
        assert!(read_all(d.path())
            .unwrap_err()
            .to_string()
            .contains("is a directory"));
        let p = write_tmp(&d, "e", b"");
        assert!(read_all(&p).unwrap_err().to_string().contains("is empty"));
        let p = write_tmp(&d, "c", b"==1== only commentary\n");
        assert!(read_all(&p)
            .unwrap_err()
            .to_string()
            .contains("holds no operations"));
    }
}
