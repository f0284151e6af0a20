//! The WebAssembly profile: a kernel rewritten as V8 would lower the same computation written in
//! WebAssembly SIMD for arm64, so the rewritten assembly both runs in sparsim and assembles for
//! qemu. Each rule follows V8's arm64 code generator (v8/v8 `code-generator-arm64.cc`, see
//! `../shared/facts-mobile.md` §2e as copied into docs/machines/mobile.md):
//!
//! - **No fused multiply-add without relaxed SIMD.** Baseline SIMD128 has no FMA: `fmla` becomes
//!   `fmul` into a scratch register and `fadd` (`fmls`: `fsub`), with the rounding of two
//!   operations. With relaxed SIMD, `f32x4.relaxed_madd` lowers to `fmla` (by vector); a
//!   by-element `fmla` becomes `dup` of the lane and `fmla`, as Wasm has no lane-indexed
//!   multiply-add (our reading: the splat is an instruction of its own).
//! - **No prefetch.** Wasm has none: `prfm` is dropped.
//! - **Bounds checks.** `guard`: none (V8's trap handler with guard regions, used on Linux and
//!   macOS arm64); `explicit`: a compare and a branch before every memory access (as Chrome on
//!   Android arm64 is believed to emit), against a bound kept in `x28` (callee-saved, so the
//!   kernel saves and restores it; the bound is the top of the address space, so the check never
//!   traps and the result is unchanged).
//! - **Fewer vector registers.** V8 allocates fewer vector registers than a hand-written kernel
//!   may use: a register numbered at or above `vector_registers` lives in a stack slot, reloaded
//!   (`ldr q`) before each instruction that reads it and stored (`str q`) after each that writes
//!   it, in a frame the kernel sets up on entry; what an allocator with fewer registers pays.
//!   A kernel that uses `sp` itself cannot be spilled this way and is refused.

use std::path::Path;

use super::parse::{instruction, ParseError};
use super::{Addr, Inst, VecOp};

/// Bounds-check style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bounds {
    /// Guard regions: no checks.
    Guard,
    /// A compare and a branch per access.
    Explicit,
}

/// A WebAssembly profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WasmProfile {
    /// Whether relaxed SIMD (`relaxed_madd`) is available. Default false.
    #[serde(default)]
    pub relaxed_simd: bool,
    /// Bounds checks. Default `explicit`.
    #[serde(default = "explicit")]
    pub bounds_checks: Bounds,
    /// Vector registers the kernel may keep in registers; the rest are spilled. Default 32
    /// (assumption: V8 arm64's allocatable count is not in our sources; lower it to study
    /// spilling).
    #[serde(default = "thirty_two")]
    pub vector_registers: u8,
}

fn explicit() -> Bounds {
    Bounds::Explicit
}
fn thirty_two() -> u8 {
    32
}

fn vectors_used(inst: &Inst) -> Vec<u8> {
    match *inst {
        Inst::Vec(_, d, n, m, _) => vec![d, n, m],
        Inst::Ld1(f, c, _, _) => (f..f + c).collect(),
        Inst::Ld1r(v, _) | Inst::MoviZero(v) | Inst::DupGp(v, _) => vec![v],
        Inst::DupLane(d, n, _) | Inst::MovV(d, n) => vec![d, n],
        Inst::EorV(d, n, m) => vec![d, n, m],
        Inst::LdSt(super::Xfer::V(r, _), ..) => vec![r],
        Inst::LdStPair(super::Xfer::V(a, _), super::Xfer::V(b, _), ..) => vec![a, b],
        _ => Vec::new(),
    }
}

/// The vector registers an instruction reads and writes.
fn vec_rw(inst: &Inst) -> (Vec<u8>, Vec<u8>) {
    use super::Xfer;
    match *inst {
        Inst::Vec(op, d, n, m, _) => {
            let mut r = vec![n, m];
            if matches!(op, VecOp::Fmla | VecOp::Fmls) {
                r.push(d);
            }
            (r, vec![d])
        }
        Inst::Ld1(f, c, _, false) => (Vec::new(), (f..f + c).collect()),
        Inst::Ld1(f, c, _, true) => ((f..f + c).collect(), Vec::new()),
        Inst::Ld1r(v, _) | Inst::MoviZero(v) | Inst::DupGp(v, _) => (Vec::new(), vec![v]),
        Inst::DupLane(d, n, _) | Inst::MovV(d, n) => (vec![n], vec![d]),
        Inst::EorV(d, n, m) => (vec![n, m], vec![d]),
        Inst::LdSt(Xfer::V(r, _), _, store, _) => {
            if store {
                (vec![r], Vec::new())
            } else {
                (Vec::new(), vec![r])
            }
        }
        Inst::LdStPair(Xfer::V(a, _), Xfer::V(b, _), _, store) => {
            if store {
                (vec![a, b], Vec::new())
            } else {
                (Vec::new(), vec![a, b])
            }
        }
        _ => (Vec::new(), Vec::new()),
    }
}

/// Whether an instruction names `sp`.
fn inst_uses_sp(inst: &Inst) -> bool {
    use super::Gp;
    let addr_sp = |a: Addr| a.base() == Gp::Sp;
    match *inst {
        Inst::MovImm(g, ..) | Inst::DupGp(_, g) | Inst::Cbz(g, ..) => g == Gp::Sp,
        Inst::IntImm(_, d, n, ..) => d == Gp::Sp || n == Gp::Sp,
        Inst::IntReg(_, d, n, m, ..) => [d, n, m].contains(&Gp::Sp),
        Inst::Madd(d, n, m, a, ..) => [d, n, m, a].contains(&Gp::Sp),
        Inst::LdSt(_, a, ..)
        | Inst::LdStPair(_, _, a, _)
        | Inst::Prfm(a)
        | Inst::Ld1(_, _, a, _)
        | Inst::Ld1r(_, a) => addr_sp(a),
        _ => false,
    }
}

fn base_reg(a: Addr) -> String {
    match a.base() {
        super::Gp::R(r) => format!("x{r}"),
        super::Gp::Sp => "sp".into(),
        super::Gp::Zr => "xzr".into(),
    }
}

/// Rewrites `text` (from `file`) under `profile`; the result is GNU assembly of the same subset.
pub fn lower(text: &str, file: &Path, profile: &WasmProfile) -> Result<String, ParseError> {
    // Parse once to find the registers in use and the entry.
    let kernel = super::parse(text, file)?;
    let err = |line: usize, text: &str, msg: String| ParseError {
        file: file.display().to_string(),
        line,
        text: text.to_string(),
        msg,
    };
    let mut used = [false; 32];
    let mut uses_sp = false;
    for inst in &kernel.insts {
        for v in vectors_used(inst) {
            used[v as usize] = true;
        }
        uses_sp |= inst_uses_sp(inst);
    }
    // Registers at or above the limit live in stack slots: reloaded before each read, stored
    // after each write (the cost an allocator with fewer registers pays).
    let limit = profile.vector_registers.min(32);
    let spilled: Vec<u8> = (limit..32).filter(|&v| used[v as usize]).collect();
    if !spilled.is_empty() && uses_sp {
        return Err(err(
            1,
            "",
            format!(
                "the kernel uses sp, and its registers v{}.. must be spilled to the stack (wasm.vector_registers = {limit}): raise the limit or leave sp alone",
                spilled[0]
            ),
        ));
    }
    let slot = |v: u8| spilled.iter().position(|&x| x == v).map(|i| 16 * i);
    let frame = 16 * spilled.len();
    // A scratch register the caller does not expect preserved: v16-v31, then v0-v7, and v8-v15
    // (callee-saved in their low halves) only as a last resort.
    let scratch = (16..32)
        .rev()
        .chain((0..8).rev())
        .chain((8..16).rev())
        .filter(|&v| v < limit)
        .find(|&v| !used[v as usize]);
    let needs_scratch = kernel.insts.iter().any(|i| {
        matches!(i, Inst::Vec(VecOp::Fmla | VecOp::Fmls, ..))
            && (!profile.relaxed_simd || matches!(i, Inst::Vec(_, _, _, _, Some(_))))
    });
    let s = match (needs_scratch, scratch) {
        (true, None) => {
            return Err(err(
                1,
                "",
                format!("the WebAssembly lowering needs a free vector register below v{limit} for its multiply, and the kernel uses them all"),
            ))
        }
        (_, v) => v.unwrap_or(31),
    };
    let explicit = profile.bounds_checks == Bounds::Explicit;
    let entry = kernel.symbol.clone();
    let mut out = String::new();
    out.push_str(&format!(
        "// {} lowered for WebAssembly: relaxed SIMD {}, bounds checks {:?}\n",
        file.display(),
        if profile.relaxed_simd { "on" } else { "off" },
        profile.bounds_checks
    ));
    let mut in_comment = false;
    let mut at_entry = false;
    for raw in text.lines() {
        // Strip comments as the parser does, keep labels and directives.
        let mut code = raw.to_string();
        if in_comment {
            match code.find("*/") {
                Some(p) => {
                    code = code[p + 2..].to_string();
                    in_comment = false;
                }
                None => continue,
            }
        }
        if let Some(p) = code.find("//") {
            code.truncate(p);
        }
        if let Some(p) = code.find("/*") {
            in_comment = !code[p..].contains("*/");
            code.truncate(p);
        }
        let mut stmt = code.trim().to_string();
        let mut labels = String::new();
        while let Some(colon) = stmt.find(':') {
            let name = stmt[..colon].trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                break;
            }
            labels.push_str(&format!("{name}:\n"));
            stmt = stmt[colon + 1..].trim().to_string();
        }
        out.push_str(&labels);
        if entry
            .as_deref()
            .is_some_and(|e| labels.lines().any(|l| l == format!("{e}:")))
        {
            at_entry = true;
        }
        if stmt.is_empty() {
            continue;
        }
        if stmt.starts_with('.') {
            out.push_str(&format!("    {stmt}\n"));
            continue;
        }
        let (inst, _) = instruction(&stmt).map_err(|m| err(0, &stmt, m))?;
        if std::mem::take(&mut at_entry) {
            if explicit {
                // Save x28 (callee-saved) and set the bound.
                out.push_str("    str     x28, [sp, #-16]!\n    mov     x28, #-1\n");
            }
            if frame > 0 {
                out.push_str(&format!("    sub     sp, sp, #{frame}\n"));
            }
        }
        let (reads, writes) = vec_rw(&inst);
        let mut reloaded = Vec::new();
        for r in reads {
            if let Some(o) = slot(r) {
                if !reloaded.contains(&r) {
                    out.push_str(&format!("    ldr     q{r}, [sp, #{o}]\n"));
                    reloaded.push(r);
                }
            }
        }
        let check = |a: Addr| {
            format!(
                "    cmp     {}, x28\n    b.hs    .Lwasm_trap\n",
                base_reg(a)
            )
        };
        match inst {
            Inst::Prfm(_) => {}
            Inst::Vec(op @ (VecOp::Fmla | VecOp::Fmls), d, n, m, lane) => {
                let mop = match lane {
                    Some(l) => format!("v{m}.s[{l}]"),
                    None => format!("v{m}.4s"),
                };
                if profile.relaxed_simd {
                    let name = if op == VecOp::Fmla { "fmla" } else { "fmls" };
                    match lane {
                        None => out.push_str(&format!("    {stmt}\n")),
                        Some(l) => out.push_str(&format!(
                            "    dup     v{s}.4s, v{m}.s[{l}]\n    {name}    v{d}.4s, v{n}.4s, v{s}.4s\n"
                        )),
                    }
                } else {
                    let add = if op == VecOp::Fmla { "fadd" } else { "fsub" };
                    out.push_str(&format!(
                        "    fmul    v{s}.4s, v{n}.4s, {mop}\n    {add}    v{d}.4s, v{d}.4s, v{s}.4s\n"
                    ));
                }
            }
            Inst::LdSt(_, a, ..)
            | Inst::LdStPair(_, _, a, _)
            | Inst::Ld1(_, _, a, _)
            | Inst::Ld1r(_, a)
                if explicit =>
            {
                out.push_str(&check(a));
                out.push_str(&format!("    {stmt}\n"));
            }
            Inst::Ret => {
                if frame > 0 {
                    out.push_str(&format!("    add     sp, sp, #{frame}\n"));
                }
                if explicit {
                    out.push_str("    ldr     x28, [sp], #16\n");
                }
                out.push_str("    ret\n");
            }
            _ => out.push_str(&format!("    {stmt}\n")),
        }
        for w in writes {
            if let Some(o) = slot(w) {
                out.push_str(&format!("    str     q{w}, [sp, #{o}]\n"));
            }
        }
    }
    if explicit {
        // Never reached: the bound is the top of the address space.
        out.push_str(".Lwasm_trap:\n    b       .Lwasm_trap\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::aarch64::driver::Layout;
    use crate::program::aarch64::{parse, Class, Machine};

    fn bundled(name: &str) -> (String, std::path::PathBuf) {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../workloads/kernels/aarch64")
            .join(name);
        (std::fs::read_to_string(&p).unwrap(), p)
    }

    fn count(
        text: &str,
        p: &Path,
        layout: Layout,
    ) -> (std::collections::BTreeMap<Class, u64>, Vec<u8>) {
        let k = parse(text, p).unwrap();
        let l = layout.launch(2);
        let mut m = Machine::new(&k, &l.args, l.sp, l.mem);
        let mut c = std::collections::BTreeMap::new();
        m.run(1 << 24, |d| {
            *c.entry(Class::ALL[d.class as usize]).or_insert(0) += 1
        })
        .unwrap();
        (c, m.mem.region("C").unwrap().bytes.clone())
    }

    #[test]
    fn each_profile_rewrites_as_v8_lowers() {
        let (text, p) = bundled("sgemm_4x4.s");
        let layout = Layout::Gemm { m: 8, n: 8, k: 16 };
        let (native, c_native) = count(&text, &p, layout);
        let base = WasmProfile {
            relaxed_simd: false,
            bounds_checks: Bounds::Guard,
            vector_registers: 32,
        };
        // No FMA: every FMLA by element becomes FMUL + FADD.
        let (plain, _) = count(&lower(&text, &p, &base).unwrap(), &p, layout);
        assert_eq!(plain.get(&Class::FmaElem), None);
        assert_eq!(plain[&Class::Fmul], native[&Class::FmaElem]);
        assert_eq!(plain[&Class::Fadd], native[&Class::FmaElem]);
        // Relaxed SIMD: dup + fmla.
        let relaxed = WasmProfile {
            relaxed_simd: true,
            ..base
        };
        let (r, c_relaxed) = count(&lower(&text, &p, &relaxed).unwrap(), &p, layout);
        assert_eq!(r[&Class::Fma], native[&Class::FmaElem]);
        assert_eq!(c_relaxed, c_native, "fused either way: the same C");
        // Explicit bounds checks: a compare and a branch per access.
        let ex = WasmProfile {
            bounds_checks: Bounds::Explicit,
            ..relaxed
        };
        let (e, c_ex) = count(&lower(&text, &p, &ex).unwrap(), &p, layout);
        let accesses = native[&Class::Load] + native[&Class::VecLoad] + native[&Class::Store];
        assert_eq!(e[&Class::Branch], native[&Class::Branch] + accesses);
        assert_eq!(c_ex, c_native);
        // Sixteen vector registers: v16-v19 (the accumulators) spill: reloaded before each
        // multiply-add and before the stores of C, stored after each multiply-add and each
        // zeroing; C unchanged.
        let few = WasmProfile {
            vector_registers: 16,
            relaxed_simd: true,
            ..base
        };
        let (f, c_few) = count(&lower(&text, &p, &few).unwrap(), &p, layout);
        let fmas = native[&Class::FmaElem];
        assert_eq!(f[&Class::VecLoad], native[&Class::VecLoad] + fmas + 16);
        assert_eq!(f[&Class::Store], native[&Class::Store] + fmas + 16);
        assert_eq!(c_few, c_native);
    }

    #[test]
    fn prefetches_are_dropped() {
        let (text, p) = bundled("stream_sum.s");
        let w = lower(
            &text,
            &p,
            &WasmProfile {
                relaxed_simd: false,
                bounds_checks: Bounds::Guard,
                vector_registers: 32,
            },
        )
        .unwrap();
        assert!(!w.contains("prfm"));
        let (c, _) = count(
            &w,
            &p,
            Layout::Loop {
                iterations: 1,
                floats: 64,
            },
        );
        assert_eq!(c.get(&Class::Prefetch), None);
    }
}
