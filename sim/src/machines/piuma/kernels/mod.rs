//! SpGEMM kernels (C = A·B) as programs for PIUMA's hardware threads.
//!
//! Every kernel computes the real C: each thread program generates the operations of one unit of
//! work at a time (a row, a column pair, a window phase) and applies its functional effect as it
//! does, so dynamic work distribution and real hash collisions shape the timing. Operations carry
//! the addresses of a fixed memory layout ([`Layout`]): the CSR arrays of A, B and C in DRAM, with
//! 8-byte elements, and per-kernel structures in the scratchpads.
//!
//! Which parts are SMASH's design and which are our interpretation is stated on each kernel.

mod inner;
mod outer;
mod rowwise;
mod smash;

use std::cell::RefCell;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::config::{PiumaConfig, WorkDistribution};
use super::core::AddressMap;
use crate::config::Invalid;
use crate::program::{Op, OpClass, Program};
use crate::workload::Csr;

/// The SpGEMM kernels a PIUMA die runs: the four baselines and the three SMASH versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KernelKind {
    /// Inner product: a dot product per (row of A, column of B) pair.
    InnerProduct,
    /// Outer product: partial products bucketed by row, then sorted and merged.
    OuterProduct,
    /// Row-wise (Gustavson) with a dense accumulator per thread.
    RowwiseDense,
    /// Row-wise with a sorted k-way merge (heap) of the scaled B rows.
    RowwiseHeap,
    /// SMASH V1: window distribution, atomic hashing into a scratchpad hash table, write-back.
    SmashV1,
    /// SMASH V2, "tokenization" (our interpretation): V1 with per-window completion tokens instead
    /// of barriers and two windows in flight per core.
    SmashV2,
    /// SMASH V3, "fragmenting memory" (our interpretation): V2 with C written into per-thread
    /// output fragments, one atomic per fragment instead of one per entry.
    SmashV3,
}

impl KernelKind {
    /// Every kernel.
    pub const ALL: [KernelKind; 7] = [
        KernelKind::InnerProduct,
        KernelKind::OuterProduct,
        KernelKind::RowwiseDense,
        KernelKind::RowwiseHeap,
        KernelKind::SmashV1,
        KernelKind::SmashV2,
        KernelKind::SmashV3,
    ];

    /// The name used in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::InnerProduct => "inner-product",
            KernelKind::OuterProduct => "outer-product",
            KernelKind::RowwiseDense => "rowwise-dense",
            KernelKind::RowwiseHeap => "rowwise-heap",
            KernelKind::SmashV1 => "smash-v1",
            KernelKind::SmashV2 => "smash-v2",
            KernelKind::SmashV3 => "smash-v3",
        }
    }
}

/// Bytes per array element in the layout: PIUMA's 8-byte accesses.
pub const ELEM: u64 = 8;

/// Base addresses of a CSR matrix's arrays.
#[derive(Debug, Clone, Copy)]
pub struct CsrAddrs {
    /// `row_ptr[i]` is at `row_ptr + 8 i`.
    pub row_ptr: u64,
    /// Column indices.
    pub col: u64,
    /// Where the values array starts (8 bytes per entry).
    pub val: u64,
}

impl CsrAddrs {
    /// Address of `row_ptr[i]`.
    #[inline]
    pub fn ptr(&self, i: usize) -> u64 {
        self.row_ptr + ELEM * i as u64
    }
    /// Address of `col[p]`.
    #[inline]
    pub fn col(&self, p: usize) -> u64 {
        self.col + ELEM * p as u64
    }
    /// Address of `val[p]`.
    #[inline]
    pub fn val(&self, p: usize) -> u64 {
        self.val + ELEM * p as u64
    }
}

/// Where everything lives.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Where A's arrays live in DRAM.
    pub a: CsrAddrs,
    /// Where B's arrays live in DRAM.
    pub b: CsrAddrs,
    /// Bᵀ (B in CSC form), for the inner product.
    pub bt: CsrAddrs,
    /// Aᵀ (A in CSC form), for the outer product.
    pub at: CsrAddrs,
    /// Output area for C's (column, value) pairs.
    pub c_out: u64,
    /// The kernels' code (instructions are fetched from DRAM through each core's instruction
    /// cache); [`CODE_BYTES`] long.
    pub code: u64,
    /// Free DRAM for kernel scratch (dense accumulators, partial products).
    pub scratch: u64,
    /// The address map.
    pub map: AddressMap,
}

impl Layout {
    /// Lays A, Aᵀ, B, Bᵀ and C out one after another from address 0.
    pub fn new(a: &Csr, b: &Csr, map: AddressMap, c_bound: usize) -> Layout {
        let mut next = 0u64;
        let mut alloc = |elems: usize| {
            let at = next;
            next += (elems as u64 * ELEM).div_ceil(4096) * 4096 + 4096;
            at
        };
        let mut csr = |rows: usize, nnz: usize| CsrAddrs {
            row_ptr: alloc(rows + 1),
            col: alloc(nnz),
            val: alloc(nnz),
        };
        let la = csr(a.n_rows, a.nnz());
        let lat = csr(a.n_cols, a.nnz());
        let lb = csr(b.n_rows, b.nnz());
        let lbt = csr(b.n_cols, b.nnz());
        let c_out = alloc(2 * c_bound);
        let code = alloc((CODE_BYTES / ELEM) as usize);
        let scratch = alloc(0);
        Layout {
            a: la,
            b: lb,
            bt: lbt,
            at: lat,
            c_out,
            code,
            scratch,
            map,
        }
    }
}

/// Bytes of DRAM holding the kernels' code.
pub const CODE_BYTES: u64 = 64 * 1024;

/// A block of a kernel's code, fetched when a thread enters it: its offset in the code area and its
/// size. Kernels are generated, not compiled, so the sizes are our estimates: about 4 bytes per
/// instruction of the block's loops and bookkeeping, its address arithmetic and branches included
/// (which the operation stream leaves implicit). A block includes its inner loops, so a thread
/// fetches it once per unit of work; while the block stays in the instruction cache the loops
/// run without further fetches (the model would miss refetches of a block larger than the cache).
#[derive(Debug, Clone, Copy)]
pub struct Code {
    /// Offset in the code area.
    pub offset: u32,
    /// The block's estimated code size in bytes.
    pub bytes: u32,
}

impl Code {
    /// The block of `bytes` at `offset` in the code area.
    pub const fn at(offset: u32, bytes: u32) -> Code {
        Code { offset, bytes }
    }
}

/// The product as written by the threads: (row, column, value) entries, in write order.
#[derive(Debug, Default)]
pub struct Output {
    /// C's entries as (row, column, value), in the order they were written.
    pub entries: Vec<(u32, u32, f64)>,
    /// Hash-table probes (SMASH).
    pub hash_probes: u64,
    /// Probes that found another key in the slot (SMASH).
    pub hash_collisions: u64,
    /// Windows (SMASH).
    pub windows: u64,
    /// Output fragments handed out (SMASH V3).
    pub fragments: u64,
}

impl Output {
    /// Writes C(i, j) = v: two stores (column and value) to the next slot of C's output area.
    pub fn write(&mut self, ops: &mut Ops, l: &Layout, i: u32, j: u32, v: f64) {
        let pos = self.record(i, j, v);
        Output::store_ops(ops, l, pos);
    }

    /// Records C(i, j) = v in the next slot of C's output area and returns the slot, for a kernel
    /// whose stores of it follow later ([`Output::store_ops`]).
    pub fn record(&mut self, i: u32, j: u32, v: f64) -> u64 {
        self.entries.push((i, j, v));
        self.entries.len() as u64 - 1
    }

    /// Writes C(i, j) = v to slot `pos` of C's output area (a slot the caller owns).
    pub fn write_at(&mut self, ops: &mut Ops, l: &Layout, pos: u64, i: u32, j: u32, v: f64) {
        Output::store_ops(ops, l, pos);
        self.entries.push((i, j, v));
    }

    /// The two stores (column and value) that write slot `pos` of C's output area, for a kernel
    /// that records its entries ahead of the stores ([`Output::record`]).
    pub fn store_ops(ops: &mut Ops, l: &Layout, pos: u64) {
        ops.store(l.c_out + 2 * ELEM * pos);
        ops.store(l.c_out + 2 * ELEM * pos + ELEM);
    }

    /// The product as CSR (entries sorted; duplicates would be summed, and tests check there are none).
    pub fn to_csr(&self, n_rows: usize, n_cols: usize) -> Csr {
        Csr::from_triplets(n_rows, n_cols, self.entries.clone())
    }
}

/// A shared work counter: the functional value and the address its atomic lives at.
#[derive(Debug)]
pub struct WorkQueue {
    next: usize,
    end: usize,
    /// Address of the counter (a scratchpad word).
    pub addr: u64,
}

impl WorkQueue {
    /// Units `start..end`, counted at `addr`.
    pub fn new(start: usize, end: usize, addr: u64) -> WorkQueue {
        WorkQueue {
            next: start,
            end,
            addr,
        }
    }
    /// Takes the next unit, if any.
    pub fn take(&mut self) -> Option<usize> {
        (self.next < self.end).then(|| {
            self.next += 1;
            self.next - 1
        })
    }
}

/// How one thread finds its units of work: a static range, or a shared queue.
pub enum Units {
    /// The remaining units of a static block.
    Static(std::ops::Range<usize>),
    /// A queue shared with other threads.
    Dynamic(Rc<RefCell<WorkQueue>>),
}

impl Units {
    /// The next unit, emitting the operations it costs (an atomic fetch-add for a shared queue).
    pub fn next(&mut self, ops: &mut Ops) -> Option<usize> {
        match self {
            Units::Static(r) => {
                ops.int(1);
                r.next()
            }
            Units::Dynamic(q) => {
                let mut q = q.borrow_mut();
                ops.atomic(q.addr);
                q.take()
            }
        }
    }
}

/// Splits `n` units over `n_threads` threads: a static block each, or one shared queue whose counter
/// lives in core 0's scratchpad at `counter_offset`.
pub fn distribute(
    n: usize,
    n_threads: usize,
    how: WorkDistribution,
    map: AddressMap,
    counter_offset: u64,
) -> Vec<Units> {
    match how {
        WorkDistribution::Static => (0..n_threads)
            .map(|t| Units::Static(t * n / n_threads..(t + 1) * n / n_threads))
            .collect(),
        WorkDistribution::Dynamic => {
            let q = Rc::new(RefCell::new(WorkQueue::new(
                0,
                n,
                map.spad(0, counter_offset),
            )));
            (0..n_threads).map(|_| Units::Dynamic(q.clone())).collect()
        }
    }
}

/// Operations a thread's buffer keeps room for between refills.
const OPS_KEPT: usize = 4096;

/// A buffer of generated operations, with helpers that name them.
///
/// Operations are only added once the buffer is empty (a refill), and taken from the front, so
/// the buffer restarts at its beginning each refill: the memory a thread touches stays small and
/// warm (a ring buffer would sweep its whole capacity).
#[derive(Default)]
pub struct Ops {
    buf: Vec<Op>,
    next: usize,
}

/// Where a kernel's operations go: a thread's buffer ([`Ops`]), or nowhere ([`Discard`], for a
/// pass that only computes, whose operations follow later). The helpers name the operations.
pub trait Emit {
    /// Adds one operation.
    fn push(&mut self, op: Op);
    /// A load of 8 bytes.
    #[inline]
    fn load(&mut self, addr: u64) {
        self.push(Op::mem(OpClass::Load, addr, ELEM as u32));
    }
    /// A load of 8 bytes whose address is computed from data loaded just before it (no other
    /// operation in between): a single-thread pipeline waits for its loads in flight first.
    #[inline]
    fn load_dep(&mut self, addr: u64) {
        self.push(Op::dependent_load(addr, ELEM as u32));
    }
    /// A store of 8 bytes.
    #[inline]
    fn store(&mut self, addr: u64) {
        self.push(Op::mem(OpClass::Store, addr, ELEM as u32));
    }
    /// `n` integer operations.
    #[inline]
    fn int(&mut self, n: usize) {
        for _ in 0..n {
            self.push(Op::mem(OpClass::Int, 0, 0));
        }
    }
    /// `n` floating-point operations.
    #[inline]
    fn fp(&mut self, n: usize) {
        for _ in 0..n {
            self.push(Op::mem(OpClass::Fp, 0, 0));
        }
    }
    /// The loads that start on A's stored entry `p` (column `k`): its column and value, and the
    /// bounds of B's row `k`.
    #[inline]
    fn a_entry_and_b_row(&mut self, l: &Layout, p: usize, k: usize) {
        // p may come from row pointers just loaded, and k is the column index just loaded.
        self.load_dep(l.a.col(p));
        self.load(l.a.val(p));
        self.load_dep(l.b.ptr(k));
        self.load(l.b.ptr(k + 1));
    }
}

impl Emit for Ops {
    #[inline]
    fn push(&mut self, op: Op) {
        self.buf.push(op);
    }
}

/// Drops every operation.
pub struct Discard;

impl Emit for Discard {
    #[inline]
    fn push(&mut self, _: Op) {}
}

impl Ops {
    /// An 8-byte atomic (fetch-add, CAS, ...).
    #[inline]
    pub fn atomic(&mut self, addr: u64) {
        self.buf.push(Op::mem(OpClass::Atomic, addr, ELEM as u32));
    }
    /// A DMA transfer of `bytes` at `addr` into this core (a gather into its scratchpad); the
    /// thread waits until the engine has moved it all.
    #[inline]
    pub fn dma_get(&mut self, addr: u64, bytes: u32) {
        self.buf.push(Op::dma(addr, bytes, false));
    }
    /// An indexed DMA gather into this core: the engine reads the 8-byte indices at `index_addr`,
    /// then one element of `elem_words` 8-byte words at each of `elements` (the addresses the
    /// indices lead to, which the kernel computes); the thread waits until all have arrived.
    pub fn dma_gather(
        &mut self,
        index_addr: u64,
        elements: impl ExactSizeIterator<Item = u64>,
        elem_words: u8,
    ) {
        let n = elements.len() as u32;
        self.buf
            .push(Op::dma_indexed(index_addr, n, elem_words, false));
        self.buf.extend(elements.map(Op::dma_element));
    }
    /// A back-off of `cycles` cycles during which the thread issues nothing.
    #[inline]
    pub fn pause(&mut self, cycles: u32) {
        self.buf.push(Op::mem(OpClass::Pause, 0, cycles));
    }
    /// Entering the code block `c`: its instructions are fetched (free when they hit in the
    /// instruction cache; not an operation).
    #[inline]
    pub fn code(&mut self, l: &Layout, c: Code) {
        self.buf.push(Op::mem(
            OpClass::Fetch,
            l.code + u64::from(c.offset),
            c.bytes,
        ));
    }
    /// A core-wide barrier.
    #[inline]
    pub fn barrier(&mut self) {
        self.buf.push(Op::mem(OpClass::Barrier, 0, 0));
    }
    fn pop(&mut self) -> Option<Op> {
        let op = self.buf.get(self.next).copied();
        self.next += 1;
        if self.next >= self.buf.len() {
            self.buf.clear();
            self.next = 0;
        }
        op
    }
    fn is_empty(&self) -> bool {
        self.next >= self.buf.len()
    }
    /// Gives back the memory of an empty buffer that a long refill (a row of C with many partial
    /// products) made large, so 528 threads do not each keep their largest refill's worth.
    #[inline]
    fn shrink_if_large(&mut self) {
        if self.buf.capacity() > OPS_KEPT {
            self.buf = Vec::with_capacity(OPS_KEPT);
        }
    }
    /// Moves up to `out.len()` operations from the front into `out`; returns how many.
    fn take_into(&mut self, out: &mut [Op]) -> usize {
        let n = out.len().min(self.buf.len() - self.next);
        // An element at a time: a few operations, where a call to memcpy would cost more.
        for (o, op) in out.iter_mut().zip(&self.buf[self.next..self.next + n]) {
            *o = *op;
        }
        self.next += n;
        if self.next >= self.buf.len() {
            self.buf.clear();
            self.next = 0;
        }
        n
    }
}

/// One thread's algorithm: produces the operations of its next unit of work into `ops`.
pub trait ThreadWork {
    /// Generates more operations; returns false when the thread has nothing left.
    fn refill(&mut self, ops: &mut Ops) -> bool;
}

/// Adapts a [`ThreadWork`] to the [`Program`] interface.
pub struct WorkProgram<W: ThreadWork> {
    work: W,
    ops: Ops,
    done: bool,
}

impl<W: ThreadWork> WorkProgram<W> {
    /// Wraps `work`.
    pub fn new(work: W) -> WorkProgram<W> {
        WorkProgram {
            work,
            ops: Ops::default(),
            done: false,
        }
    }
}

impl<W: ThreadWork> WorkProgram<W> {
    /// Refills (only) if every generated operation has been taken; false once the work is done.
    #[inline]
    fn has_ops(&mut self) -> bool {
        while self.ops.is_empty() {
            self.ops.shrink_if_large();
            if self.done || !self.work.refill(&mut self.ops) {
                self.done = true;
                return false;
            }
        }
        true
    }
}

impl<W: ThreadWork> Program for WorkProgram<W> {
    #[inline]
    fn next_op(&mut self) -> Option<Op> {
        if self.has_ops() {
            self.ops.pop()
        } else {
            None
        }
    }

    #[inline]
    fn next_ops(&mut self, buf: &mut [Op]) -> usize {
        if self.has_ops() {
            self.ops.take_into(buf)
        } else {
            0
        }
    }
}

/// The inputs of a kernel run.
pub struct Problem<'a> {
    /// The left operand.
    pub a: &'a Csr,
    /// The right operand.
    pub b: &'a Csr,
    /// The die the kernel is laid out for (cores, threads, scratchpad size).
    pub cfg: &'a PiumaConfig,
}

/// Programs for every thread, `[core][thread]`, and the output they fill.
pub struct Prepared {
    /// The programs, `programs[core][thread]`, one per hardware thread.
    pub programs: Vec<Vec<Box<dyn Program>>>,
    /// The product, filled as the programs run.
    pub output: Rc<RefCell<Output>>,
}

/// An upper bound on C's entries: the number of partial products, capped by the dense size.
pub fn product_bound(a: &Csr, b: &Csr) -> usize {
    a.product_flops(b).min(a.n_rows.saturating_mul(b.n_cols))
}

/// Prepares `kind` on `problem`. Fails (naming the key) when the machine cannot run it, e.g. a
/// hash table that cannot hold one row's partial products.
pub fn prepare(kind: KernelKind, problem: &Problem) -> Result<Prepared, Invalid> {
    if problem.a.n_cols != problem.b.n_rows {
        return Err(Invalid::new(
            "workload",
            format!(
                "A is {} x {}, B is {} x {}",
                problem.a.n_rows, problem.a.n_cols, problem.b.n_rows, problem.b.n_cols
            ),
            "A's columns must equal B's rows for A·B",
        ));
    }
    let cfg = problem.cfg;
    let layout = Layout::new(
        problem.a,
        problem.b,
        cfg.address_map(),
        product_bound(problem.a, problem.b),
    );
    let output = Rc::new(RefCell::new(Output::default()));
    let n_cores = cfg.total_cores() as usize;
    let per_core = cfg.threads_per_core() as usize;
    let programs = match kind {
        KernelKind::RowwiseDense | KernelKind::RowwiseHeap => {
            rowwise::programs(kind, problem, &layout, &output, n_cores, per_core)?
        }
        KernelKind::InnerProduct => inner::programs(problem, &layout, &output, n_cores, per_core),
        KernelKind::OuterProduct => outer::programs(problem, &layout, &output, n_cores, per_core),
        KernelKind::SmashV1 | KernelKind::SmashV2 | KernelKind::SmashV3 => {
            smash::programs(kind, problem, &layout, &output, n_cores, per_core)?
        }
    };
    Ok(Prepared { programs, output })
}

/// Groups a flat list of `n_cores * per_core` programs by core.
fn by_core(mut flat: Vec<Box<dyn Program>>, per_core: usize) -> Vec<Vec<Box<dyn Program>>> {
    let mut out = Vec::new();
    while !flat.is_empty() {
        let rest = flat.split_off(per_core.min(flat.len()));
        out.push(flat);
        flat = rest;
    }
    out
}

/// A spinning global barrier over all threads of all cores: each thread adds itself with an atomic
/// on a counter in core 0's scratchpad, then polls it (with a short back-off) until all arrived.
pub struct GlobalBarrier {
    arrived: usize,
    total: usize,
    /// Counter address.
    pub addr: u64,
}

impl GlobalBarrier {
    /// A barrier for `total` threads.
    pub fn new(total: usize, addr: u64) -> Rc<RefCell<GlobalBarrier>> {
        Rc::new(RefCell::new(GlobalBarrier {
            arrived: 0,
            total,
            addr,
        }))
    }
    /// Arrives (emitting the atomic).
    pub fn arrive(b: &Rc<RefCell<GlobalBarrier>>, ops: &mut Ops) {
        let mut b = b.borrow_mut();
        b.arrived += 1;
        ops.atomic(b.addr);
    }
    /// Whether everyone arrived; if not, emits one poll and its back-off.
    pub fn poll(b: &Rc<RefCell<GlobalBarrier>>, ops: &mut Ops) -> bool {
        let b = b.borrow();
        if b.arrived >= b.total {
            return true;
        }
        ops.int(8);
        ops.load(b.addr);
        false
    }
}

/// Helpers for the kernels' tests.
#[cfg(test)]
pub(super) mod testing {
    use super::*;
    use crate::program::OpClass;

    /// An address map with scratchpads far above the matrices.
    pub fn map() -> AddressMap {
        AddressMap {
            spad_base: 1 << 40,
            spad_bytes: 1 << 22,
        }
    }

    /// Runs `w` to its end: its refills, the most operations one refill generated, and its stores.
    /// `at_start` is called after the first refill.
    pub fn drain(w: &mut impl ThreadWork, mut at_start: impl FnMut()) -> (usize, usize, usize) {
        let (mut refills, mut largest, mut stores) = (0, 0, 0);
        let mut ops = Ops::default();
        while w.refill(&mut ops) {
            if refills == 0 {
                at_start();
            }
            refills += 1;
            largest = largest.max(ops.buf.len());
            stores += ops
                .buf
                .iter()
                .filter(|op| op.class == OpClass::Store)
                .count();
            ops.buf.clear();
        }
        (refills, largest, stores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generates `per_refill` integer operations per refill, `refills` times, counting refills.
    struct Counting {
        per_refill: usize,
        refills: usize,
        calls: Rc<RefCell<usize>>,
    }
    impl ThreadWork for Counting {
        fn refill(&mut self, ops: &mut Ops) -> bool {
            if *self.calls.borrow() == self.refills {
                return false;
            }
            *self.calls.borrow_mut() += 1;
            ops.int(self.per_refill);
            true
        }
    }

    #[test]
    fn taking_operations_in_batches_refills_at_the_same_moments_as_one_at_a_time() {
        let calls = Rc::new(RefCell::new(0));
        let mut p = WorkProgram::new(Counting {
            per_refill: 11,
            refills: 2,
            calls: calls.clone(),
        });
        let mut buf = [Op::mem(OpClass::Fp, 0, 0); 8];
        // The first refill's 11 operations come as 8 then 3, with no refill in between.
        assert_eq!(p.next_ops(&mut buf), 8);
        assert_eq!(*calls.borrow(), 1);
        assert_eq!(p.next_ops(&mut buf), 3);
        assert_eq!(
            *calls.borrow(),
            1,
            "no refill before the first one's operations are all out"
        );
        assert!(buf[..3].iter().all(|op| op.class == OpClass::Int));
        // Only asking again refills.
        assert_eq!(p.next_ops(&mut buf), 8);
        assert_eq!(*calls.borrow(), 2);
        assert_eq!(p.next_op().map(|op| op.class), Some(OpClass::Int));
        assert_eq!(p.next_ops(&mut buf), 2);
        assert_eq!(p.next_ops(&mut buf), 0);
        assert_eq!(p.next_op(), None);
        assert_eq!(*calls.borrow(), 2);
    }
}
