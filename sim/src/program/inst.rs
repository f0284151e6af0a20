//! An executed instruction as a core model times it, whatever the instruction set: its
//! functional-unit class (an index into the core's class table), what it does beyond executing
//! on its pipe (a load, a store, a prefetch, a branch), the registers it reads and writes, and
//! the address it touches. An instruction-set front end (`aarch64`) yields these; the pipeline
//! (`blocks/pipeline`) needs nothing else of the instruction set.

/// No register.
pub const NONE: u8 = u8::MAX;

/// What an instruction does beyond executing on its pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It only computes.
    Compute,
    /// It loads from memory.
    Load,
    /// It stores to memory.
    Store,
    /// It prefetches (nothing waits for it).
    Prefetch,
    /// It branches; a conditional branch is predicted.
    Branch {
        /// Whether it depends on a condition (else it always goes to its target).
        conditional: bool,
    },
}

/// One executed instruction, as a core model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynInst {
    /// Its index in the program (predictor tables are indexed by it).
    pub index: u32,
    /// Its functional-unit class: an index into the core's class table.
    pub class: u8,
    /// What it does beyond executing.
    pub role: Role,
    /// Registers written with the result ([`NONE`] for unused slots).
    pub dst: [u8; 4],
    /// The base register a load or store writes back (pre- or post-indexed), ready when the
    /// address is, not the data; or [`NONE`].
    pub wb: u8,
    /// Registers read, except an accumulator.
    pub src: [u8; 6],
    /// The accumulator a multiply-accumulate reads (late-forwarded), or [`NONE`].
    pub acc: u8,
    /// The memory address, for loads, stores and prefetches.
    pub addr: u64,
    /// Bytes accessed.
    pub size: u32,
    /// For a branch: whether it was taken.
    pub taken: bool,
}
