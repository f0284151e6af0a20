//! AArch64 kernels: GNU-assembler source that sparsim parses ([`mod@parse`]), executes functionally
//! ([`exec`]: registers, flags and memory, so a kernel really computes its output) and hands to a
//! core model as a stream of dynamic instructions with real addresses and register dependences.
//!
//! The subset (everything else is an error naming the file, the line and the instruction):
//! - integer: `mov` (register, immediate), `movz`, `add`/`sub`/`adds`/`subs` (immediate, or
//!   register with an optional `lsl #n`), `cmp`, `cmn`, `mul`, `madd`, `msub`, `lsl`, `lsr`,
//!   `asr` (immediate), `and`/`orr`/`eor` (register);
//! - branches: `b`, `b.<cond>` (eq ne cs hs cc lo mi pl hi ls ge lt gt le), `cbz`, `cbnz`, `ret`;
//! - loads and stores: `ldr`/`str` of `x`, `w`, `s`, `d`, `q` registers, `ldrsw`, `ldp`/`stp`
//!   (`x`, `w`, `s`, `d`, `q`), addressed `[xn]`, `[xn, #imm]`, `[xn, #imm]!`, `[xn], #imm`,
//!   `[xn, xm{, lsl #s}]`; `prfm <op>, [xn{, #imm}]`;
//! - NEON on `.4s` lanes of f32: `ld1`/`st1` of one to four consecutive registers (post-index by an
//!   immediate or a register), `ld1r`, `fmla`/`fmls`/`fmul` by vector or by element (`v.s[i]`),
//!   `fadd`, `fsub`, `fmax`, `fmin`, `uzp1`/`uzp2`, `dup` (from a `w` register or a lane), `movi` of zero
//!   (`.4s`, `.16b`, `.2d`), `mov`/`orr`/`eor` of `.16b` registers;
//! - labels (`name:`, numeric `1:` referred to as `1b`/`1f`); directives (`.text`, `.global`,
//!   `.type`, `.size`, `.p2align`, `.align`, `.section`, `.arch`) are accepted and ignored.
//!
//! A kernel is a leaf function under AAPCS64: arguments in `x0`-`x7`, return by `ret` to `x30`.

pub mod conv;
pub mod driver;
pub mod exec;
pub mod parse;
pub mod tensor;
#[cfg(test)]
mod tests;
pub mod wasm;

pub use exec::{DynInst, ExecError, Machine, Memory};
pub use parse::{parse, ParseError};

/// A general-purpose register operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gp {
    /// `x0`-`x30` (or their `w` halves).
    R(u8),
    /// The stack pointer.
    Sp,
    /// The zero register (`xzr`, `wzr`).
    Zr,
}

/// How wide a general-purpose operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// 32-bit (`w` registers).
    W,
    /// 64-bit (`x` registers).
    X,
}

/// The register a load or store moves, with its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Xfer {
    /// A general-purpose register of this width.
    Gp(Gp, Width),
    /// A SIMD/FP register: `s` (4 bytes), `d` (8) or `q` (16).
    V(u8, u8),
}

impl Xfer {
    /// Bytes moved.
    pub fn bytes(self) -> u64 {
        match self {
            Xfer::Gp(_, Width::W) => 4,
            Xfer::Gp(_, Width::X) => 8,
            Xfer::V(_, b) => b as u64,
        }
    }
}

/// An address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addr {
    /// `[base, #imm]` (no write-back).
    Offset(Gp, i64),
    /// `[base, #imm]!`: base += imm first.
    Pre(Gp, i64),
    /// `[base], #imm`: base += imm after.
    Post(Gp, i64),
    /// `[base], xm`: base += xm after.
    PostReg(Gp, Gp),
    /// `[base, xm, lsl #s]`.
    Reg(Gp, Gp, u8),
}

impl Addr {
    /// The base register.
    pub fn base(self) -> Gp {
        match self {
            Addr::Offset(b, _)
            | Addr::Pre(b, _)
            | Addr::Post(b, _)
            | Addr::PostReg(b, _)
            | Addr::Reg(b, _, _) => b,
        }
    }
}

/// A condition of `b.<cond>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Carry set / unsigned higher or same.
    Hs,
    /// Carry clear / unsigned lower.
    Lo,
    /// Negative.
    Mi,
    /// Positive or zero.
    Pl,
    /// Unsigned higher.
    Hi,
    /// Unsigned lower or same.
    Ls,
    /// Signed greater or equal.
    Ge,
    /// Signed less.
    Lt,
    /// Signed greater.
    Gt,
    /// Signed less or equal.
    Le,
}

/// Integer operations on two operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOp {
    /// `add`.
    Add,
    /// `sub`.
    Sub,
    /// `and`.
    And,
    /// `orr`.
    Orr,
    /// `eor`.
    Eor,
    /// `lsl`.
    Lsl,
    /// `lsr`.
    Lsr,
    /// `asr`.
    Asr,
    /// `mul`.
    Mul,
}

/// Element-wise f32 operations on `.4s` vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VecOp {
    /// `fmla`: d += n * m (fused).
    Fmla,
    /// `fmls`: d -= n * m (fused).
    Fmls,
    /// `fmul`.
    Fmul,
    /// `fadd`.
    Fadd,
    /// `fsub`.
    Fsub,
    /// `fmax` (NaN-propagating).
    Fmax,
    /// `fmin` (NaN-propagating).
    Fmin,
    /// `uzp1`: the even lanes of n then of m.
    Uzp1,
    /// `uzp2`: the odd lanes of n then of m.
    Uzp2,
}

/// One static instruction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Inst {
    /// `mov`/`movz` of an immediate.
    MovImm(Gp, Width, u64),
    /// Integer op with an immediate second operand (`add x0, x1, #8`, `lsl x0, x1, #2`).
    IntImm(IntOp, Gp, Gp, u64, Width, bool),
    /// Integer op with a register second operand, optionally shifted left (`add x0, x1, x2, lsl #2`);
    /// the flag says whether it sets NZCV (`adds`, `subs`, `cmp`).
    IntReg(IntOp, Gp, Gp, Gp, u8, Width, bool),
    /// `madd`/`msub` d = a +/- n * m.
    Madd(Gp, Gp, Gp, Gp, Width, bool),
    /// `b`.
    B(usize),
    /// `b.<cond>`.
    BCond(Cond, usize),
    /// `cbz`/`cbnz` (true: branch if not zero).
    Cbz(Gp, Width, bool, usize),
    /// `ret`.
    Ret,
    /// `ldr`/`str` (true: store); `ldrsw` is a `w` load flagged signed.
    LdSt(Xfer, Addr, bool, bool),
    /// `ldp`/`stp` (true: store).
    LdStPair(Xfer, Xfer, Addr, bool),
    /// `prfm`.
    Prfm(Addr),
    /// `ld1`/`st1` of `count` registers from `first` (true: store).
    Ld1(u8, u8, Addr, bool),
    /// `ld1r`: one f32 to every lane.
    Ld1r(u8, Addr),
    /// Element-wise op: d, n, m, and the lane of m for the by-element form.
    Vec(VecOp, u8, u8, u8, Option<u8>),
    /// `dup vd.4s, wn`.
    DupGp(u8, Gp),
    /// `dup vd.4s, vn.s[i]`.
    DupLane(u8, u8, u8),
    /// `movi vd, #0`.
    MoviZero(u8),
    /// `mov vd.16b, vn.16b` (`orr` alias).
    MovV(u8, u8),
    /// `eor vd.16b, vn.16b, vm.16b`.
    EorV(u8, u8, u8),
}

/// What a dynamic instruction uses in a core: its functional-unit class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Integer ALU (moves, add, logic, shifts, compares).
    Int,
    /// Integer multiply.
    IntMul,
    /// A branch.
    Branch,
    /// A load into a general-purpose register.
    Load,
    /// A 128-bit (or pair) vector load, or `ld1` of several registers.
    VecLoad,
    /// `ld1r`.
    LoadDup,
    /// A store.
    Store,
    /// A prefetch.
    Prefetch,
    /// `fmla`/`fmls` by vector.
    Fma,
    /// `fmla`/`fmls` by element.
    FmaElem,
    /// `fmul`.
    Fmul,
    /// `fadd`, `fsub`.
    Fadd,
    /// `fmax`, `fmin`.
    Fminmax,
    /// Vector moves, `dup`, `movi`, `eor`.
    VecMove,
}

impl Class {
    /// Every class, in order.
    pub const ALL: [Class; 14] = [
        Class::Int,
        Class::IntMul,
        Class::Branch,
        Class::Load,
        Class::VecLoad,
        Class::LoadDup,
        Class::Store,
        Class::Prefetch,
        Class::Fma,
        Class::FmaElem,
        Class::Fmul,
        Class::Fadd,
        Class::Fminmax,
        Class::VecMove,
    ];

    /// Its position in [`Class::ALL`] (the declaration order).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its name in configs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::Int => "int",
            Class::IntMul => "int_mul",
            Class::Branch => "branch",
            Class::Load => "load",
            Class::VecLoad => "vec_load",
            Class::LoadDup => "load_dup",
            Class::Store => "store",
            Class::Prefetch => "prefetch",
            Class::Fma => "fma",
            Class::FmaElem => "fma_elem",
            Class::Fmul => "fmul",
            Class::Fadd => "fadd",
            Class::Fminmax => "fminmax",
            Class::VecMove => "vec_move",
        }
    }

    /// Whether it reads memory.
    pub fn is_load(self) -> bool {
        matches!(self, Class::Load | Class::VecLoad | Class::LoadDup)
    }
}

impl Inst {
    /// Its functional-unit class.
    pub fn class(&self) -> Class {
        match self {
            Inst::MovImm(..) | Inst::IntImm(..) => Class::Int,
            Inst::IntReg(IntOp::Mul, ..) | Inst::Madd(..) => Class::IntMul,
            Inst::IntReg(..) => Class::Int,
            Inst::B(_) | Inst::BCond(..) | Inst::Cbz(..) | Inst::Ret => Class::Branch,
            Inst::LdSt(x, _, true, _) | Inst::LdStPair(x, _, _, true) => {
                let _ = x;
                Class::Store
            }
            Inst::LdSt(Xfer::V(_, 16), _, false, _) | Inst::LdStPair(Xfer::V(..), _, _, false) => {
                Class::VecLoad
            }
            Inst::LdSt(..) | Inst::LdStPair(..) => Class::Load,
            Inst::Prfm(_) => Class::Prefetch,
            Inst::Ld1(_, _, _, true) => Class::Store,
            Inst::Ld1(..) => Class::VecLoad,
            Inst::Ld1r(..) => Class::LoadDup,
            Inst::Vec(VecOp::Fmla | VecOp::Fmls, _, _, _, None) => Class::Fma,
            Inst::Vec(VecOp::Fmla | VecOp::Fmls, _, _, _, Some(_)) => Class::FmaElem,
            Inst::Vec(VecOp::Fmul, ..) => Class::Fmul,
            Inst::Vec(VecOp::Fadd | VecOp::Fsub, ..) => Class::Fadd,
            Inst::Vec(VecOp::Fmax | VecOp::Fmin, ..) => Class::Fminmax,
            Inst::Vec(VecOp::Uzp1 | VecOp::Uzp2, ..) => Class::VecMove,
            Inst::DupGp(..)
            | Inst::DupLane(..)
            | Inst::MoviZero(_)
            | Inst::MovV(..)
            | Inst::EorV(..) => Class::VecMove,
        }
    }
}

/// A parsed kernel: its instructions with their source lines, and its labels.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// The file it came from.
    pub file: std::path::PathBuf,
    /// The instructions, in order.
    pub insts: Vec<Inst>,
    /// Each instruction's line and text as written.
    pub lines: Vec<(usize, String)>,
    /// The entry: the first `.global` symbol's instruction (else the first instruction).
    pub entry: usize,
    /// The entry symbol's name, if any.
    pub symbol: Option<String>,
}
