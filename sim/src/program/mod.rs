//! Programs and traces: the operations a hardware thread runs, and recorded traces of them.
//!
//! A [`Program`] yields the next [`Op`] when its core asks. A recorded trace is a program that replays
//! a file ([`trace`]). Reading streams: memory use does not grow with trace length.

pub mod trace;

/// The class of an operation, which decides the functional unit or memory path it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    /// Integer ALU.
    Int,
    /// Floating point.
    Fp,
    /// SIMD / vector.
    Simd,
    /// Multiply-accumulate.
    Mac,
    /// Branch.
    Branch,
    /// Instruction fetch (memory-only traces record fetches explicitly).
    Fetch,
    /// Load.
    Load,
    /// Store.
    Store,
    /// Atomic read-modify-write.
    Atomic,
    /// Barrier across threads.
    Barrier,
    /// DMA request to an offload engine.
    Dma,
    /// Back-off: the thread gives up its issue slots for `size` cycles (polling loops).
    Pause,
}

impl OpClass {
    /// Whether the operation touches memory (and so carries an address and size).
    pub fn is_memory(self) -> bool {
        matches!(
            self,
            OpClass::Fetch | OpClass::Load | OpClass::Store | OpClass::Atomic | OpClass::Dma
        )
    }
}

/// One operation. Memory operations carry an address and size; register dependences let a pipeline
/// model data hazards (0 = none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    /// Class.
    pub class: OpClass,
    /// Byte address (memory operations).
    pub addr: u64,
    /// Size in bytes (memory operations).
    pub size: u32,
    /// Destination register, 0 if none.
    pub dst: u8,
    /// Source registers, 0 if unused.
    pub src: [u8; 2],
}

impl Op {
    /// A memory operation with no register dependences.
    pub fn mem(class: OpClass, addr: u64, size: u32) -> Op {
        Op {
            class,
            addr,
            size,
            dst: 0,
            src: [0, 0],
        }
    }
}

/// An execution-driven generator of operations for one hardware thread.
///
/// Contract: `next_op` is called when the core can accept an operation; `None` means the program
/// ended. A program that fails (a corrupt trace) ends early and reports why through `error`.
pub trait Program {
    /// The next operation, `None` at the end.
    fn next_op(&mut self) -> Option<Op>;

    /// Why the program ended early, if it did. Default: it never fails.
    fn error(&self) -> Option<&trace::TraceError> {
        None
    }
}
