//! The GNU-assembler parser of sparsim's AArch64 subset (see the module's documentation).

use std::collections::HashMap;
use std::path::Path;

use super::{Addr, Cond, Gp, Inst, IntOp, Kernel, VecOp, Width, Xfer};

/// Why a kernel does not parse: the file, the line, what was written and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: `{text}`: {msg}")]
pub struct ParseError {
    /// The kernel file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// The line as written.
    pub text: String,
    /// What is wrong and how to fix it.
    pub msg: String,
}

/// A label reference waiting for its target.
pub(super) enum Target {
    Named(String),
    /// A numeric label `n`, backwards (`nb`) or forwards (`nf`).
    Local(u64, bool),
}

/// Parses `text`, the contents of `file`.
pub fn parse(text: &str, file: &Path) -> Result<Kernel, ParseError> {
    let fname = file.display().to_string();
    let mut insts: Vec<Inst> = Vec::new();
    let mut lines: Vec<(usize, String)> = Vec::new();
    let mut labels: HashMap<String, usize> = HashMap::new();
    let mut locals: Vec<(u64, usize)> = Vec::new();
    let mut globals: Vec<String> = Vec::new();
    let mut pending: Vec<(usize, Target)> = Vec::new();
    let mut in_comment = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let err = |msg: String| ParseError {
            file: fname.clone(),
            line: line_no,
            text: raw.trim().to_string(),
            msg,
        };
        // Comments: `//` to the end of the line, `/* ... */` across lines.
        let mut code = String::new();
        let mut rest = raw;
        loop {
            if in_comment {
                match rest.find("*/") {
                    Some(p) => {
                        rest = &rest[p + 2..];
                        in_comment = false;
                    }
                    None => break,
                }
            } else {
                let slash = rest.find("//");
                let block = rest.find("/*");
                match (slash, block) {
                    (Some(s), b) if b.is_none_or(|b| s < b) => {
                        code.push_str(&rest[..s]);
                        break;
                    }
                    (_, Some(b)) => {
                        code.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_comment = true;
                    }
                    _ => {
                        code.push_str(rest);
                        break;
                    }
                }
            }
        }
        let mut stmt = code.trim();
        // Labels, possibly several, before an instruction.
        while let Some(colon) = stmt.find(':') {
            let name = stmt[..colon].trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                break;
            }
            if let Ok(n) = name.parse::<u64>() {
                locals.push((n, insts.len()));
            } else if labels.insert(name.to_string(), insts.len()).is_some() {
                return Err(err(format!("label {name:?} is defined twice")));
            }
            stmt = stmt[colon + 1..].trim();
        }
        if stmt.is_empty() {
            continue;
        }
        if let Some(d) = stmt.strip_prefix('.') {
            let (name, args) = d.split_once(char::is_whitespace).unwrap_or((d, ""));
            match name {
                "global" | "globl" => globals.push(args.trim().to_string()),
                "text" | "type" | "size" | "p2align" | "align" | "section" | "arch" | "balign"
                | "cfi_startproc" | "cfi_endproc" | "ident" | "file" => {}
                other => {
                    return Err(err(format!(
                        "directive .{other} is not supported (sparsim accepts .text, .global, .type, .size, .p2align, .align, .section, .arch)"
                    )))
                }
            }
            continue;
        }
        let at = insts.len();
        let (inst, target) = instruction(stmt).map_err(err)?;
        if let Some(t) = target {
            pending.push((at, t));
        }
        insts.push(inst);
        lines.push((line_no, stmt.to_string()));
    }
    // Resolve branch targets.
    let mut by_number: std::collections::HashMap<u64, Vec<usize>> =
        std::collections::HashMap::new();
    for &(n, p) in &locals {
        by_number.entry(n).or_default().push(p);
    }
    for (at, t) in pending {
        let (line_no, stmt) = &lines[at];
        let err = |msg: String| ParseError {
            file: fname.clone(),
            line: *line_no,
            text: stmt.clone(),
            msg,
        };
        let dest = match &t {
            Target::Named(n) => labels
                .get(n)
                .copied()
                .ok_or_else(|| err(format!("undefined label {n:?}")))?,
            Target::Local(n, forward) => {
                // Positions of label `n`, ascending: the nearest after (or at or before) `at`.
                let at_n: &[usize] = by_number.get(n).map_or(&[], Vec::as_slice);
                let after = at_n.partition_point(|&p| p <= at);
                let found = if *forward {
                    at_n.get(after).copied()
                } else {
                    after.checked_sub(1).map(|i| at_n[i])
                };
                found.ok_or_else(|| {
                    err(format!(
                        "no numeric label {n}: {} this instruction",
                        if *forward { "after" } else { "before" }
                    ))
                })?
            }
        };
        match &mut insts[at] {
            Inst::B(d) | Inst::BCond(_, d) | Inst::Cbz(_, _, _, d) => *d = dest,
            _ => unreachable!("only branches have targets"),
        }
    }
    if insts.is_empty() {
        return Err(ParseError {
            file: fname,
            line: 1,
            text: String::new(),
            msg: "no instructions".into(),
        });
    }
    let symbol = globals.iter().find(|g| labels.contains_key(*g)).cloned();
    let entry = symbol.as_ref().map_or(0, |s| labels[s]);
    if entry >= insts.len() {
        let name = symbol.unwrap_or_default();
        return Err(ParseError {
            file: fname,
            line: text.lines().count().max(1),
            text: format!("{name}:"),
            msg: format!(
                "the kernel's entry `{name}` labels no instruction (it is after the last one): put the kernel's code after the label"
            ),
        });
    }
    Ok(Kernel {
        file: file.to_path_buf(),
        insts,
        lines,
        entry,
        symbol,
    })
}

/// Splits operands at commas outside brackets and braces.
fn operands(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

pub(super) type R<T> = Result<T, String>;

fn gp(s: &str) -> R<(Gp, Width)> {
    let s = s.trim().to_ascii_lowercase();
    match s.as_str() {
        "sp" => return Ok((Gp::Sp, Width::X)),
        "wsp" => return Ok((Gp::Sp, Width::W)),
        "xzr" => return Ok((Gp::Zr, Width::X)),
        "wzr" => return Ok((Gp::Zr, Width::W)),
        "lr" => return Ok((Gp::R(30), Width::X)),
        "fp" => return Ok((Gp::R(29), Width::X)),
        _ => {}
    }
    let (w, n) = match s.split_at_checked(1) {
        Some(("x", n)) => (Width::X, n),
        Some(("w", n)) => (Width::W, n),
        _ => {
            return Err(format!(
                "{s:?} is not a general-purpose register (x0-x30, w0-w30, sp, xzr, wzr)"
            ))
        }
    };
    match n.parse::<u8>() {
        Ok(r) if r <= 30 => Ok((Gp::R(r), w)),
        _ => Err(format!(
            "{s:?} is not a general-purpose register (x0-x30, w0-w30, sp, xzr, wzr)"
        )),
    }
}

fn imm(s: &str) -> R<i64> {
    let t = s.trim();
    let t = t.strip_prefix('#').unwrap_or(t).trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16)
    } else {
        t.parse::<i64>()
    }
    .map_err(|_| format!("{s:?} is not an immediate (#12, #0x10, #-4)"))?;
    Ok(if neg { -v } else { v })
}

/// `vN.4s` (or `.16b`, `.2d` where `arr` allows) -> N.
fn vreg(s: &str, arrs: &[&str]) -> R<u8> {
    let s = s.trim().to_ascii_lowercase();
    let bad = || {
        format!(
            "{s:?} is not a vector register with arrangement {}",
            arrs.iter()
                .map(|a| format!(".{a}"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    };
    let body = s.strip_prefix('v').ok_or_else(bad)?;
    let (n, arr) = body.split_once('.').ok_or_else(bad)?;
    if !arrs.contains(&arr) {
        return Err(bad());
    }
    match n.parse::<u8>() {
        Ok(r) if r < 32 => Ok(r),
        _ => Err(bad()),
    }
}

/// `vN.s[i]` -> (N, i).
fn vlane(s: &str) -> R<(u8, u8)> {
    let t = s.trim().to_ascii_lowercase();
    let bad = || format!("{t:?} is not a lane of a vector register (v1.s[2])");
    let body = t.strip_prefix('v').ok_or_else(bad)?;
    let (n, rest) = body.split_once(".s[").ok_or_else(bad)?;
    let lane = rest.strip_suffix(']').ok_or_else(bad)?;
    match (n.parse::<u8>(), lane.parse::<u8>()) {
        (Ok(r), Ok(l)) if r < 32 && l < 4 => Ok((r, l)),
        _ => Err(bad()),
    }
}

/// A load/store register: x, w, s, d or q.
fn xfer(s: &str) -> R<Xfer> {
    let t = s.trim().to_ascii_lowercase();
    if let Some((kind, n)) = t.split_at_checked(1) {
        let bytes = match kind {
            "s" if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => Some(4),
            "d" => Some(8),
            "q" => Some(16),
            _ => None,
        };
        if let Some(b) = bytes {
            if let Ok(r) = n.parse::<u8>() {
                if r < 32 {
                    return Ok(Xfer::V(r, b));
                }
            }
        }
    }
    let (g, w) = gp(&t)
        .map_err(|_| format!("{t:?} is not a register a load or store moves (x, w, s, d, q)"))?;
    Ok(Xfer::Gp(g, w))
}

/// `[xn]`, `[xn, #imm]`, `[xn, #imm]!`, `[xn, xm{, lsl #s}]`, and a post-index operand after it.
fn address(s: &str, post: Option<&str>) -> R<Addr> {
    let t = s.trim();
    let (inner, pre) = match t.strip_suffix('!') {
        Some(r) => (r.trim(), true),
        None => (t, false),
    };
    let inner = inner
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(|| {
            format!("{t:?} is not an address ([x1], [x1, #16], [x1, #16]!, [x1, x2, lsl #2])")
        })?;
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    let (base, bw) = gp(parts[0])?;
    if bw != Width::X {
        return Err(format!(
            "the base register {:?} must be an x register or sp",
            parts[0]
        ));
    }
    let a = match parts.len() {
        1 => Addr::Offset(base, 0),
        2 if parts[1].starts_with('#')
            || parts[1].starts_with('-')
            || parts[1].chars().next().is_some_and(|c| c.is_ascii_digit()) =>
        {
            let v = imm(parts[1])?;
            if pre {
                Addr::Pre(base, v)
            } else {
                Addr::Offset(base, v)
            }
        }
        2 => Addr::Reg(base, gp(parts[1])?.0, 0),
        3 => {
            let sh = parts[2]
                .to_ascii_lowercase()
                .strip_prefix("lsl")
                .map(|r| imm(r.trim()))
                .ok_or_else(|| {
                    format!("{:?}: only `lsl #n` may scale a register offset", parts[2])
                })??;
            if !(0..=4).contains(&sh) {
                return Err(format!("shift {sh}: lsl #0 to #4"));
            }
            Addr::Reg(base, gp(parts[1])?.0, sh as u8)
        }
        _ => return Err(format!("{t:?} is not an address")),
    };
    match post {
        None => Ok(a),
        Some(p) => {
            if a != Addr::Offset(base, 0) || pre {
                return Err("a post-index follows a plain [xn] address".into());
            }
            if p.trim().starts_with('#') {
                Ok(Addr::Post(base, imm(p)?))
            } else {
                Ok(Addr::PostReg(base, gp(p)?.0))
            }
        }
    }
}

/// `{v0.4s}`, `{v0.4s, v1.4s}`, `{v0.4s-v3.4s}` -> (first, count).
fn vlist(s: &str) -> R<(u8, u8)> {
    let t = s.trim();
    let inner = t
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or_else(|| format!("{t:?} is not a register list ({{v0.4s, v1.4s}})"))?;
    let regs: Vec<u8> = if let Some((a, b)) = inner.split_once('-') {
        let (a, b) = (vreg(a, &["4s"])?, vreg(b, &["4s"])?);
        if b < a {
            return Err(format!("{t:?}: a range goes upwards"));
        }
        (a..=b).collect()
    } else {
        inner
            .split(',')
            .map(|r| vreg(r, &["4s"]))
            .collect::<R<_>>()?
    };
    if regs.is_empty() || regs.len() > 4 || regs.windows(2).any(|w| w[1] != w[0] + 1) {
        return Err(format!("{t:?}: one to four consecutive registers"));
    }
    Ok((regs[0], regs.len() as u8))
}

fn cond(s: &str) -> Option<Cond> {
    Some(match s {
        "eq" => Cond::Eq,
        "ne" => Cond::Ne,
        "cs" | "hs" => Cond::Hs,
        "cc" | "lo" => Cond::Lo,
        "mi" => Cond::Mi,
        "pl" => Cond::Pl,
        "hi" => Cond::Hi,
        "ls" => Cond::Ls,
        "ge" => Cond::Ge,
        "lt" => Cond::Lt,
        "gt" => Cond::Gt,
        "le" => Cond::Le,
        _ => return None,
    })
}

fn target(s: &str) -> R<Target> {
    let t = s.trim();
    if let Some(n) = t.strip_suffix('b').and_then(|n| n.parse::<u64>().ok()) {
        return Ok(Target::Local(n, false));
    }
    if let Some(n) = t.strip_suffix('f').and_then(|n| n.parse::<u64>().ok()) {
        return Ok(Target::Local(n, true));
    }
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(format!("{t:?} is not a label"));
    }
    Ok(Target::Named(t.to_string()))
}

fn count(ops: &[String], n: usize, form: &str) -> R<()> {
    if ops.len() == n {
        Ok(())
    } else {
        Err(format!("{} operands; the form is `{form}`", ops.len()))
    }
}

/// One instruction (and its branch target, resolved later).
pub(super) fn instruction(stmt: &str) -> R<(Inst, Option<Target>)> {
    let (mn, rest) = stmt.split_once(char::is_whitespace).unwrap_or((stmt, ""));
    let mn = mn.to_ascii_lowercase();
    let ops = operands(rest);
    let same_width = |a: Width, b: Width| {
        if a == b {
            Ok(())
        } else {
            Err("operands must all be x or all be w registers".to_string())
        }
    };
    let int_op = |name: &str| -> Option<(IntOp, bool)> {
        Some(match name {
            "add" => (IntOp::Add, false),
            "adds" => (IntOp::Add, true),
            "sub" => (IntOp::Sub, false),
            "subs" => (IntOp::Sub, true),
            "and" => (IntOp::And, false),
            "orr" => (IntOp::Orr, false),
            "eor" if !ops.first().is_some_and(|o| o.contains('.')) => (IntOp::Eor, false),
            "lsl" => (IntOp::Lsl, false),
            "lsr" => (IntOp::Lsr, false),
            "asr" => (IntOp::Asr, false),
            "mul" => (IntOp::Mul, false),
            _ => return None,
        })
    };
    let vec_op = |name: &str| -> Option<VecOp> {
        Some(match name {
            "fmla" => VecOp::Fmla,
            "fmls" => VecOp::Fmls,
            "fmul" => VecOp::Fmul,
            "fadd" => VecOp::Fadd,
            "fsub" => VecOp::Fsub,
            "fmax" => VecOp::Fmax,
            "fmin" => VecOp::Fmin,
            "uzp1" => VecOp::Uzp1,
            "uzp2" => VecOp::Uzp2,
            _ => return None,
        })
    };
    let inst = match mn.as_str() {
        "mov" | "movz" if !ops.first().is_some_and(|o| o.contains('.')) => {
            count(&ops, 2, "mov xd, xn | mov xd, #imm")?;
            let (d, w) = gp(&ops[0])?;
            if ops[1].starts_with('#') || ops[1].chars().next().is_some_and(|c| c.is_ascii_digit() || c == '-') {
                let v = imm(&ops[1])?;
                let v = match w {
                    Width::W => (v as u32) as u64,
                    Width::X => v as u64,
                };
                Inst::MovImm(d, w, v)
            } else {
                let (n, wn) = gp(&ops[1])?;
                same_width(w, wn)?;
                // `mov` to or from sp is `add #0`; otherwise `orr` with zr.
                if d == Gp::Sp || n == Gp::Sp {
                    Inst::IntImm(IntOp::Add, d, n, 0, w, false)
                } else {
                    Inst::IntReg(IntOp::Orr, d, Gp::Zr, n, 0, w, false)
                }
            }
        }
        "cmp" | "cmn" => {
            count(&ops, 2, "cmp xn, xm | cmp xn, #imm")?;
            let op = if mn == "cmp" { IntOp::Sub } else { IntOp::Add };
            let (n, w) = gp(&ops[0])?;
            if ops[1].starts_with('#') {
                let v = imm(&ops[1])?;
                if !(0..4096).contains(&v) {
                    return Err(format!("immediate {v}: 0 to 4095"));
                }
                Inst::IntImm(op, Gp::Zr, n, v as u64, w, true)
            } else {
                let (m, wm) = gp(&ops[1])?;
                same_width(w, wm)?;
                Inst::IntReg(op, Gp::Zr, n, m, 0, w, true)
            }
        }
        name if int_op(name).is_some() => {
            let (op, flags) = int_op(name).expect("checked");
            if ops.len() != 3 && ops.len() != 4 {
                return Err(format!("{} operands; the form is `{name} xd, xn, xm{{, lsl #s}}` or `{name} xd, xn, #imm`", ops.len()));
            }
            let (d, w) = gp(&ops[0])?;
            let (n, wn) = gp(&ops[1])?;
            same_width(w, wn)?;
            if ops[2].starts_with('#') {
                if ops.len() != 3 || matches!(op, IntOp::Mul | IntOp::And | IntOp::Orr | IntOp::Eor) {
                    return Err(format!("{name} takes registers here, not an immediate"));
                }
                let v = imm(&ops[2])?;
                let max = match op {
                    IntOp::Lsl | IntOp::Lsr | IntOp::Asr => if w == Width::W { 31 } else { 63 },
                    _ => 4095,
                };
                if !(0..=max).contains(&v) {
                    return Err(format!("immediate {v}: 0 to {max}"));
                }
                Inst::IntImm(op, d, n, v as u64, w, flags)
            } else {
                let (m, wm) = gp(&ops[2])?;
                same_width(w, wm)?;
                let sh = match ops.get(3) {
                    None => 0,
                    Some(s) => {
                        let v = s
                            .to_ascii_lowercase()
                            .strip_prefix("lsl")
                            .map(|r| imm(r.trim()))
                            .ok_or_else(|| format!("{s:?}: only `lsl #n` shifts the second register"))??;
                        if !(0..64).contains(&v) {
                            return Err(format!("shift {v}: 0 to 63"));
                        }
                        v as u8
                    }
                };
                Inst::IntReg(op, d, n, m, sh, w, flags)
            }
        }
        "madd" | "msub" => {
            count(&ops, 4, "madd xd, xn, xm, xa")?;
            let (d, w) = gp(&ops[0])?;
            let regs: Vec<(Gp, Width)> = ops[1..].iter().map(|o| gp(o)).collect::<R<_>>()?;
            for r in &regs {
                same_width(w, r.1)?;
            }
            Inst::Madd(d, regs[0].0, regs[1].0, regs[2].0, w, mn == "msub")
        }
        "b" => {
            count(&ops, 1, "b label")?;
            return Ok((Inst::B(0), Some(target(&ops[0])?)));
        }
        "ret" => {
            if !(ops.is_empty() || (ops.len() == 1 && gp(&ops[0])?.0 == Gp::R(30))) {
                return Err("only `ret` (to x30) is supported".into());
            }
            Inst::Ret
        }
        "cbz" | "cbnz" => {
            count(&ops, 2, "cbz xn, label")?;
            let (r, w) = gp(&ops[0])?;
            return Ok((Inst::Cbz(r, w, mn == "cbnz", 0), Some(target(&ops[1])?)));
        }
        name if name.starts_with("b.") => {
            let c = cond(&name[2..]).ok_or_else(|| format!("unknown condition {:?}", &name[2..]))?;
            count(&ops, 1, "b.cond label")?;
            return Ok((Inst::BCond(c, 0), Some(target(&ops[0])?)));
        }
        "ldr" | "str" | "ldrsw" => {
            let store = mn == "str";
            if ops.len() != 2 && ops.len() != 3 {
                return Err(format!("{} operands; the form is `{mn} reg, [xn{{, #imm}}]{{!}}` or `{mn} reg, [xn], #imm`", ops.len()));
            }
            let x = xfer(&ops[0])?;
            if mn == "ldrsw" && !matches!(x, Xfer::Gp(_, Width::X)) {
                return Err("ldrsw loads into an x register".into());
            }
            let a = address(&ops[1], ops.get(2).map(String::as_str))?;
            let x = if mn == "ldrsw" {
                match x {
                    Xfer::Gp(g, _) => Xfer::Gp(g, Width::W),
                    v => v,
                }
            } else {
                x
            };
            Inst::LdSt(x, a, store, mn == "ldrsw")
        }
        "ldp" | "stp" => {
            if ops.len() != 3 && ops.len() != 4 {
                return Err(format!("{} operands; the form is `{mn} r1, r2, [xn{{, #imm}}]{{!}}`", ops.len()));
            }
            let (a, b) = (xfer(&ops[0])?, xfer(&ops[1])?);
            if a.bytes() != b.bytes() || matches!(a, Xfer::Gp(..)) != matches!(b, Xfer::Gp(..)) {
                return Err("both registers of a pair are of one kind and size".into());
            }
            Inst::LdStPair(a, b, address(&ops[2], ops.get(3).map(String::as_str))?, mn == "stp")
        }
        "prfm" => {
            count(&ops, 2, "prfm pldl1keep, [xn{, #imm}]")?;
            let a = address(&ops[1], None)?;
            if !matches!(a, Addr::Offset(..) | Addr::Reg(..)) {
                return Err("prfm takes [xn], [xn, #imm] or [xn, xm]".into());
            }
            Inst::Prfm(a)
        }
        "ld1" | "st1" => {
            if ops.len() != 2 && ops.len() != 3 {
                return Err(format!("{} operands; the form is `{mn} {{v0.4s, ...}}, [xn]{{, #imm | xm}}`", ops.len()));
            }
            let (first, n) = vlist(&ops[0])?;
            let a = address(&ops[1], ops.get(2).map(String::as_str))?;
            if !matches!(a, Addr::Offset(_, 0) | Addr::Post(..) | Addr::PostReg(..)) {
                return Err(format!("{mn} takes [xn], or [xn] post-indexed"));
            }
            if let Addr::Post(_, v) = a {
                if v != 16 * n as i64 {
                    return Err(format!("an immediate post-index must be the bytes moved, #{}", 16 * n));
                }
            }
            Inst::Ld1(first, n, a, mn == "st1")
        }
        "ld1r" => {
            if ops.len() != 2 && ops.len() != 3 {
                return Err(format!("{} operands; the form is `ld1r {{v0.4s}}, [xn]{{, #4 | xm}}`", ops.len()));
            }
            let (first, n) = vlist(&ops[0])?;
            if n != 1 {
                return Err("ld1r loads one register".into());
            }
            let a = address(&ops[1], ops.get(2).map(String::as_str))?;
            match a {
                Addr::Offset(_, 0) | Addr::PostReg(..) | Addr::Post(_, 4) => {}
                _ => return Err("ld1r takes [xn], or [xn] post-indexed by #4 or a register".into()),
            }
            Inst::Ld1r(first, a)
        }
        name if vec_op(name).is_some() => {
            let op = vec_op(name).expect("checked");
            count(&ops, 3, &format!("{name} vd.4s, vn.4s, vm.4s | {name} vd.4s, vn.4s, vm.s[i]"))?;
            let d = vreg(&ops[0], &["4s"])?;
            let n = vreg(&ops[1], &["4s"])?;
            if ops[2].contains('[') {
                if !matches!(op, VecOp::Fmla | VecOp::Fmls | VecOp::Fmul) {
                    return Err(format!("{name} has no by-element form"));
                }
                let (m, lane) = vlane(&ops[2])?;
                Inst::Vec(op, d, n, m, Some(lane))
            } else {
                Inst::Vec(op, d, n, vreg(&ops[2], &["4s"])?, None)
            }
        }
        "dup" => {
            count(&ops, 2, "dup vd.4s, wn | dup vd.4s, vn.s[i]")?;
            let d = vreg(&ops[0], &["4s"])?;
            if ops[1].contains('[') {
                let (n, lane) = vlane(&ops[1])?;
                Inst::DupLane(d, n, lane)
            } else {
                let (g, w) = gp(&ops[1])?;
                if w != Width::W {
                    return Err("dup of .4s takes a w register".into());
                }
                Inst::DupGp(d, g)
            }
        }
        "movi" => {
            count(&ops, 2, "movi vd.4s, #0")?;
            let d = vreg(&ops[0], &["4s", "16b", "2d"])?;
            if imm(&ops[1])? != 0 {
                return Err("only movi of #0 is supported".into());
            }
            Inst::MoviZero(d)
        }
        "mov" | "orr" => {
            let want = if mn == "mov" { 2 } else { 3 };
            count(&ops, want, "mov vd.16b, vn.16b")?;
            let d = vreg(&ops[0], &["16b"])?;
            let n = vreg(&ops[1], &["16b"])?;
            if want == 3 && vreg(&ops[2], &["16b"])? != n {
                return Err("orr of vectors is supported as the mov alias (vn = vm)".into());
            }
            Inst::MovV(d, n)
        }
        "eor" => {
            count(&ops, 3, "eor vd.16b, vn.16b, vm.16b")?;
            Inst::EorV(
                vreg(&ops[0], &["16b"])?,
                vreg(&ops[1], &["16b"])?,
                vreg(&ops[2], &["16b"])?,
            )
        }
        other => {
            return Err(format!(
                "unsupported instruction {other:?}; sparsim's AArch64 subset is listed in sim/src/program/aarch64/mod.rs and docs/machines/mobile.md"
            ))
        }
    };
    Ok((inst, None))
}
