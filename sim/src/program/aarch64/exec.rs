//! Functional execution of a parsed kernel: registers, NZCV flags and the memory its driver laid
//! out. Each executed instruction yields a [`DynInst`] (its class, the registers it reads and
//! writes, its address) for a core model to time.

use super::{Addr, Class, Cond, Gp, Inst, IntOp, Kernel, VecOp, Width, Xfer};

pub use crate::program::inst::{DynInst, Role, NONE};
/// The id of `sp` among register ids (x0-x30 are 0-30, v0-v31 are 32-63).
pub const SP: u8 = 31;
/// The id of the NZCV flags.
pub const FLAGS: u8 = 64;
/// Register ids: `x0`-`x30`, `sp`, `v0`-`v31`, the flags.
pub const N_REGS: usize = 65;

/// The return address a driver puts in `x30`: `ret` to it ends the kernel.
pub const RETURN: u64 = 0xdead_0000;

/// A region of memory a driver lays out.
#[derive(Debug, Clone)]
pub struct Region {
    /// Its name in errors (`A`, `weights`, `stack`).
    pub name: String,
    /// First byte's address.
    pub base: u64,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// The memory of a run: disjoint regions.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    /// The regions.
    pub regions: Vec<Region>,
}

impl Memory {
    /// Adds a region.
    pub fn add(&mut self, name: &str, base: u64, bytes: Vec<u8>) {
        self.regions.push(Region {
            name: name.into(),
            base,
            bytes,
        });
    }

    /// The region named `name`.
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.name == name)
    }

    /// The region holding `size` bytes at `addr`, and the offset of `addr` in it.
    fn locate(&self, addr: u64, size: u64) -> Option<(usize, usize)> {
        self.regions.iter().enumerate().find_map(|(i, r)| {
            let off = addr.checked_sub(r.base)?;
            let end = off.checked_add(size)?;
            (end <= r.bytes.len() as u64).then_some((i, off as usize))
        })
    }

    fn describe(&self) -> String {
        self.regions
            .iter()
            .map(|r| {
                format!(
                    "{} {:#x}..{:#x}",
                    r.name,
                    r.base,
                    r.base + r.bytes.len() as u64
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// An access outside every region.
    #[error("{file}:{line}: `{text}` accesses {size} bytes at {addr:#x}, outside the memory its driver laid out ({regions})")]
    OutOfBounds {
        /// Kernel file.
        file: String,
        /// Its line.
        line: usize,
        /// The instruction.
        text: String,
        /// Address.
        addr: u64,
        /// Bytes.
        size: u64,
        /// The regions there are.
        regions: String,
    },
    /// No `ret` within the budget.
    #[error("{file}:{line}: stopped at `{text}` (instruction {index}, address entry + {:#x}) after {executed} instructions without returning: the kernel runs away, or raise the instruction budget", .index * 4)]
    Runaway {
        /// Kernel file.
        file: String,
        /// Its line.
        line: usize,
        /// The instruction.
        text: String,
        /// Its index.
        index: usize,
        /// Instructions executed.
        executed: u64,
    },
    /// A branch or return to nowhere.
    #[error(
        "{file}:{line}: `{text}` jumps to {target:#x}, which is not an instruction of the kernel"
    )]
    BadJump {
        /// Kernel file.
        file: String,
        /// Its line.
        line: usize,
        /// The instruction.
        text: String,
        /// Where it went.
        target: u64,
    },
}

/// A kernel's architectural state and memory.
#[derive(Debug, Clone)]
pub struct Machine<'k> {
    kernel: &'k Kernel,
    /// `x0`-`x30`.
    pub x: [u64; 31],
    /// The stack pointer.
    pub sp: u64,
    /// `v0`-`v31` as four 32-bit lanes.
    pub v: [[u32; 4]; 32],
    /// N, Z, C, V.
    pub flags: [bool; 4],
    /// The memory.
    pub mem: Memory,
    pc: usize,
    done: bool,
    /// Instructions executed so far.
    pub executed: u64,
}

fn reg_id(g: Gp) -> u8 {
    match g {
        Gp::R(r) => r,
        Gp::Sp => SP,
        Gp::Zr => NONE,
    }
}

fn vid(v: u8) -> u8 {
    32 + v
}

/// ARM's FMAX/FMIN: a NaN operand gives a (quiet) NaN; -0 < +0.
fn fminmax(a: f32, b: f32, max: bool) -> f32 {
    if a.is_nan() {
        return f32::from_bits(a.to_bits() | 0x0040_0000);
    }
    if b.is_nan() {
        return f32::from_bits(b.to_bits() | 0x0040_0000);
    }
    if a == 0.0 && b == 0.0 {
        let neg = if max {
            a.is_sign_negative() && b.is_sign_negative()
        } else {
            a.is_sign_negative() || b.is_sign_negative()
        };
        return if neg { -0.0 } else { 0.0 };
    }
    if (a > b) == max {
        a
    } else {
        b
    }
}

impl<'k> Machine<'k> {
    /// A machine at the kernel's entry with `args` in `x0`.., `sp` at `stack_top`, `x30` at
    /// [`RETURN`], and `mem`.
    pub fn new(kernel: &'k Kernel, args: &[u64], stack_top: u64, mem: Memory) -> Machine<'k> {
        let mut x = [0u64; 31];
        x[..args.len().min(8)].copy_from_slice(&args[..args.len().min(8)]);
        x[30] = RETURN;
        Machine {
            kernel,
            x,
            sp: stack_top,
            v: [[0; 4]; 32],
            flags: [false; 4],
            mem,
            pc: kernel.entry,
            done: false,
            executed: 0,
        }
    }

    /// Whether the kernel has returned.
    pub fn done(&self) -> bool {
        self.done
    }

    fn get(&self, g: Gp, w: Width) -> u64 {
        let v = match g {
            Gp::R(r) => self.x[r as usize],
            Gp::Sp => self.sp,
            Gp::Zr => 0,
        };
        match w {
            Width::W => v & 0xffff_ffff,
            Width::X => v,
        }
    }

    fn set(&mut self, g: Gp, w: Width, v: u64) {
        let v = match w {
            Width::W => v & 0xffff_ffff,
            Width::X => v,
        };
        match g {
            Gp::R(r) => self.x[r as usize] = v,
            Gp::Sp => self.sp = v,
            Gp::Zr => {}
        }
    }

    fn err_at(&self, f: impl FnOnce(String, usize, String) -> ExecError) -> ExecError {
        let (line, text) = self.kernel.lines[self.pc].clone();
        f(self.kernel.file.display().to_string(), line, text)
    }

    fn access(&mut self, addr: u64, size: u64) -> Result<&mut [u8], ExecError> {
        let Some((r, off)) = self.mem.locate(addr, size) else {
            let regions = self.mem.describe();
            return Err(self.err_at(|file, line, text| ExecError::OutOfBounds {
                file,
                line,
                text,
                addr,
                size,
                regions,
            }));
        };
        Ok(&mut self.mem.regions[r].bytes[off..off + size as usize])
    }

    /// The effective address of `a` and the base's value after write-back, if any.
    fn ea(&self, a: Addr) -> (u64, Option<u64>) {
        let base = self.get(a.base(), Width::X);
        match a {
            Addr::Offset(_, i) => (base.wrapping_add(i as u64), None),
            Addr::Pre(_, i) => {
                let e = base.wrapping_add(i as u64);
                (e, Some(e))
            }
            Addr::Post(_, i) => (base, Some(base.wrapping_add(i as u64))),
            Addr::PostReg(_, r) => (base, Some(base.wrapping_add(self.get(r, Width::X)))),
            Addr::Reg(_, r, s) => (base.wrapping_add(self.get(r, Width::X) << s), None),
        }
    }

    fn add_with_flags(&mut self, a: u64, b: u64, sub: bool, w: Width) -> u64 {
        let bits = if w == Width::W { 32 } else { 64 };
        let mask = if bits == 32 { 0xffff_ffffu64 } else { u64::MAX };
        let b2 = if sub { !b & mask } else { b };
        let carry_in = u128::from(sub);
        let wide = (a & mask) as u128 + (b2 & mask) as u128 + carry_in;
        let r = (wide as u64) & mask;
        let sign = |v: u64| (v >> (bits - 1)) & 1 == 1;
        self.flags = [
            sign(r),
            r == 0,
            (wide >> bits) & 1 == 1,
            sign(a) == sign(b2) && sign(r) != sign(a),
        ];
        r
    }

    fn holds(&self, c: Cond) -> bool {
        let [n, z, cf, v] = self.flags;
        match c {
            Cond::Eq => z,
            Cond::Ne => !z,
            Cond::Hs => cf,
            Cond::Lo => !cf,
            Cond::Mi => n,
            Cond::Pl => !n,
            Cond::Hi => cf && !z,
            Cond::Ls => !cf || z,
            Cond::Ge => n == v,
            Cond::Lt => n != v,
            Cond::Gt => !z && n == v,
            Cond::Le => z || n != v,
        }
    }

    fn load_reg(&mut self, x: Xfer, bytes: &[u8], signed: bool) {
        match x {
            Xfer::Gp(g, w) => {
                let mut b = [0u8; 8];
                b[..bytes.len()].copy_from_slice(bytes);
                let mut v = u64::from_le_bytes(b);
                if signed {
                    v = v as u32 as i32 as i64 as u64;
                    self.set(g, Width::X, v);
                } else {
                    self.set(g, w, v);
                }
            }
            Xfer::V(r, _) => {
                let mut lanes = [0u32; 4];
                for (i, c) in bytes.chunks(4).enumerate() {
                    lanes[i] = u32::from_le_bytes(c.try_into().expect("4-byte lanes"));
                }
                self.v[r as usize] = lanes;
            }
        }
    }

    fn store_bytes(&self, x: Xfer) -> Vec<u8> {
        match x {
            Xfer::Gp(g, w) => {
                let v = self.get(g, w);
                v.to_le_bytes()[..x.bytes() as usize].to_vec()
            }
            Xfer::V(r, b) => self.v[r as usize]
                .iter()
                .flat_map(|l| l.to_le_bytes())
                .take(b as usize)
                .collect(),
        }
    }

    fn xfer_id(x: Xfer) -> u8 {
        match x {
            Xfer::Gp(g, _) => reg_id(g),
            Xfer::V(r, _) => vid(r),
        }
    }

    /// Executes one instruction. `None` once the kernel has returned.
    pub fn step(&mut self, budget: u64) -> Result<Option<DynInst>, ExecError> {
        if self.done {
            return Ok(None);
        }
        if self.executed >= budget {
            let (index, executed) = (self.pc, self.executed);
            return Err(self.err_at(|file, line, text| ExecError::Runaway {
                file,
                line,
                text,
                index,
                executed,
            }));
        }
        let inst = &self.kernel.insts[self.pc];
        let class = inst.class();
        let mut d = DynInst {
            index: self.pc as u32,
            class: class.index() as u8,
            role: match class {
                Class::Load | Class::VecLoad | Class::LoadDup => Role::Load,
                Class::Store => Role::Store,
                Class::Prefetch => Role::Prefetch,
                // Conditional unless it reads nothing (`b`) or only the link register (`ret`).
                Class::Branch => Role::Branch { conditional: false },
                _ => Role::Compute,
            },
            dst: [NONE; 4],
            wb: NONE,
            src: [NONE; 6],
            acc: NONE,
            addr: 0,
            size: 0,
            taken: false,
        };
        let mut next = self.pc + 1;
        match *inst {
            Inst::MovImm(g, w, v) => {
                self.set(g, w, v);
                d.dst[0] = reg_id(g);
            }
            Inst::IntImm(op, rd, rn, imm, w, flags) => {
                let a = self.get(rn, w);
                let r = match op {
                    IntOp::Add | IntOp::Sub if flags => {
                        self.add_with_flags(a, imm, op == IntOp::Sub, w)
                    }
                    IntOp::Add => a.wrapping_add(imm),
                    IntOp::Sub => a.wrapping_sub(imm),
                    IntOp::Lsl => a << imm,
                    IntOp::Lsr => a >> imm,
                    IntOp::Asr => match w {
                        Width::W => ((a as u32 as i32) >> imm) as u32 as u64,
                        Width::X => ((a as i64) >> imm) as u64,
                    },
                    IntOp::And | IntOp::Orr | IntOp::Eor | IntOp::Mul => {
                        unreachable!("parser refuses")
                    }
                };
                self.set(rd, w, r);
                d.dst = [reg_id(rd), if flags { FLAGS } else { NONE }, NONE, NONE];
                d.src[0] = reg_id(rn);
            }
            Inst::IntReg(op, rd, rn, rm, sh, w, flags) => {
                let a = self.get(rn, w);
                let b = self.get(rm, w) << sh;
                let r = match op {
                    IntOp::Add | IntOp::Sub if flags => {
                        self.add_with_flags(a, b, op == IntOp::Sub, w)
                    }
                    IntOp::Add => a.wrapping_add(b),
                    IntOp::Sub => a.wrapping_sub(b),
                    IntOp::And => a & b,
                    IntOp::Orr => a | b,
                    IntOp::Eor => a ^ b,
                    IntOp::Mul => a.wrapping_mul(b),
                    IntOp::Lsl => a << (b % if w == Width::W { 32 } else { 64 }),
                    IntOp::Lsr => a >> (b % if w == Width::W { 32 } else { 64 }),
                    IntOp::Asr => match w {
                        Width::W => ((a as u32 as i32) >> (b % 32)) as u32 as u64,
                        Width::X => ((a as i64) >> (b % 64)) as u64,
                    },
                };
                self.set(rd, w, r);
                d.dst = [reg_id(rd), if flags { FLAGS } else { NONE }, NONE, NONE];
                d.src[..2].copy_from_slice(&[reg_id(rn), reg_id(rm)]);
            }
            Inst::Madd(rd, rn, rm, ra, w, sub) => {
                let p = self.get(rn, w).wrapping_mul(self.get(rm, w));
                let a = self.get(ra, w);
                self.set(
                    rd,
                    w,
                    if sub {
                        a.wrapping_sub(p)
                    } else {
                        a.wrapping_add(p)
                    },
                );
                d.dst[0] = reg_id(rd);
                d.src[..3].copy_from_slice(&[reg_id(rn), reg_id(rm), reg_id(ra)]);
            }
            Inst::B(t) => {
                next = t;
                d.taken = true;
            }
            Inst::BCond(c, t) => {
                d.src[0] = FLAGS;
                if self.holds(c) {
                    next = t;
                    d.taken = true;
                }
            }
            Inst::Cbz(r, w, nz, t) => {
                d.src[0] = reg_id(r);
                if (self.get(r, w) != 0) == nz {
                    next = t;
                    d.taken = true;
                }
            }
            Inst::Ret => {
                d.src[0] = 30;
                d.taken = true;
                let target = self.x[30];
                if target == RETURN {
                    self.done = true;
                } else {
                    return Err(self.err_at(|file, line, text| ExecError::BadJump {
                        file,
                        line,
                        text,
                        target,
                    }));
                }
            }
            Inst::LdSt(x, a, store, signed) => {
                let (ea, wb) = self.ea(a);
                let n = x.bytes();
                d.addr = ea;
                d.size = n as u32;
                d.src[0] = reg_id(a.base());
                if let Addr::Reg(_, r, _) | Addr::PostReg(_, r) = a {
                    d.src[1] = reg_id(r);
                }
                if store {
                    let bytes = self.store_bytes(x);
                    self.access(ea, n)?.copy_from_slice(&bytes);
                    d.src[2] = Self::xfer_id(x);
                } else {
                    let bytes = self.access(ea, n)?.to_vec();
                    self.load_reg(x, &bytes, signed);
                    d.dst[0] = Self::xfer_id(x);
                }
                if let Some(b) = wb {
                    self.set(a.base(), Width::X, b);
                    d.wb = reg_id(a.base());
                }
            }
            Inst::LdStPair(x1, x2, a, store) => {
                let (ea, wb) = self.ea(a);
                let n = x1.bytes();
                d.addr = ea;
                d.size = 2 * n as u32;
                d.src[0] = reg_id(a.base());
                if store {
                    let mut bytes = self.store_bytes(x1);
                    bytes.extend(self.store_bytes(x2));
                    self.access(ea, 2 * n)?.copy_from_slice(&bytes);
                    d.src[1] = Self::xfer_id(x1);
                    d.src[2] = Self::xfer_id(x2);
                } else {
                    let bytes = self.access(ea, 2 * n)?.to_vec();
                    self.load_reg(x1, &bytes[..n as usize], false);
                    self.load_reg(x2, &bytes[n as usize..], false);
                    d.dst[0] = Self::xfer_id(x1);
                    d.dst[1] = Self::xfer_id(x2);
                }
                if let Some(b) = wb {
                    self.set(a.base(), Width::X, b);
                    d.wb = reg_id(a.base());
                }
            }
            Inst::Prfm(a) => {
                d.addr = self.ea(a).0;
                d.size = 64;
                d.src[0] = reg_id(a.base());
            }
            Inst::Ld1(first, count, a, store) => {
                let (ea, wb) = self.ea(a);
                let n = 16 * count as u64;
                d.addr = ea;
                d.size = n as u32;
                d.src[0] = reg_id(a.base());
                if let Addr::PostReg(_, r) = a {
                    d.src[1] = reg_id(r);
                }
                if store {
                    let mut bytes = Vec::with_capacity(n as usize);
                    for r in first..first + count {
                        bytes.extend(self.store_bytes(Xfer::V(r, 16)));
                    }
                    self.access(ea, n)?.copy_from_slice(&bytes);
                    for (i, r) in (first..first + count).enumerate() {
                        d.src[2 + i] = vid(r);
                    }
                } else {
                    let bytes = self.access(ea, n)?.to_vec();
                    for (i, r) in (first..first + count).enumerate() {
                        self.load_reg(Xfer::V(r, 16), &bytes[16 * i..16 * i + 16], false);
                    }
                    for (i, r) in (first..first + count).enumerate() {
                        d.dst[i] = vid(r);
                    }
                }
                if let Some(b) = wb {
                    self.set(a.base(), Width::X, b);
                    d.wb = reg_id(a.base());
                }
            }
            Inst::Ld1r(v, a) => {
                let (ea, wb) = self.ea(a);
                d.addr = ea;
                d.size = 4;
                d.src[0] = reg_id(a.base());
                let b = self.access(ea, 4)?;
                let lane = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                self.v[v as usize] = [lane; 4];
                d.dst[0] = vid(v);
                if let Some(b) = wb {
                    self.set(a.base(), Width::X, b);
                    d.wb = reg_id(a.base());
                }
            }
            Inst::Vec(op, vd, vn, vm, lane) => {
                let n = self.v[vn as usize].map(f32::from_bits);
                let m = self.v[vm as usize].map(f32::from_bits);
                let acc = self.v[vd as usize].map(f32::from_bits);
                let mut out = [0f32; 4];
                for i in 0..4 {
                    let b = m[lane.map_or(i, |l| l as usize)];
                    out[i] = match op {
                        VecOp::Fmla => n[i].mul_add(b, acc[i]),
                        VecOp::Fmls => (-n[i]).mul_add(b, acc[i]),
                        VecOp::Fmul => n[i] * b,
                        VecOp::Fadd => n[i] + b,
                        VecOp::Fsub => n[i] - b,
                        VecOp::Fmax => fminmax(n[i], b, true),
                        VecOp::Fmin => fminmax(n[i], b, false),
                        VecOp::Uzp1 => [n[0], n[2], m[0], m[2]][i],
                        VecOp::Uzp2 => [n[1], n[3], m[1], m[3]][i],
                    };
                }
                self.v[vd as usize] = out.map(f32::to_bits);
                d.dst[0] = vid(vd);
                d.src[..2].copy_from_slice(&[vid(vn), vid(vm)]);
                if matches!(op, VecOp::Fmla | VecOp::Fmls) {
                    d.acc = vid(vd);
                }
            }
            Inst::DupGp(vd, g) => {
                self.v[vd as usize] = [self.get(g, Width::W) as u32; 4];
                d.dst[0] = vid(vd);
                d.src[0] = reg_id(g);
            }
            Inst::DupLane(vd, vn, l) => {
                self.v[vd as usize] = [self.v[vn as usize][l as usize]; 4];
                d.dst[0] = vid(vd);
                d.src[0] = vid(vn);
            }
            Inst::MoviZero(vd) => {
                self.v[vd as usize] = [0; 4];
                d.dst[0] = vid(vd);
            }
            Inst::MovV(vd, vn) => {
                self.v[vd as usize] = self.v[vn as usize];
                d.dst[0] = vid(vd);
                d.src[0] = vid(vn);
            }
            Inst::EorV(vd, vn, vm) => {
                let (a, b) = (self.v[vn as usize], self.v[vm as usize]);
                self.v[vd as usize] = [a[0] ^ b[0], a[1] ^ b[1], a[2] ^ b[2], a[3] ^ b[3]];
                d.dst[0] = vid(vd);
                if vn != vm {
                    d.src[..2].copy_from_slice(&[vid(vn), vid(vm)]);
                }
            }
        }
        self.executed += 1;
        if !self.done {
            if next >= self.kernel.insts.len() {
                let target = next as u64;
                return Err(self.err_at(|file, line, text| ExecError::BadJump {
                    file,
                    line,
                    text,
                    target,
                }));
            }
            self.pc = next;
        }
        if let Role::Branch { conditional } = &mut d.role {
            *conditional = !d.src.iter().all(|&s| s == NONE) && d.src[0] != 30;
        }
        Ok(Some(d))
    }

    /// Runs to the end within `budget` instructions, calling `each` on every instruction.
    pub fn run(&mut self, budget: u64, mut each: impl FnMut(&DynInst)) -> Result<u64, ExecError> {
        while let Some(d) = self.step(budget)? {
            each(&d);
        }
        Ok(self.executed)
    }
}
