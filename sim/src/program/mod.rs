//! Programs and traces: the operations a hardware thread runs, and recorded traces of them.
//!
//! A [`Program`] yields the next [`Op`] when its core asks. A recorded trace is a program that replays
//! a file ([`trace`]). Reading streams: memory use does not grow with trace length.

pub mod aarch64;
pub mod inst;
pub mod trace;
pub mod traffic;

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
    /// A branch (a control-flow operation with no memory access).
    Branch,
    /// Instruction fetch (memory-only traces record fetches explicitly).
    Fetch,
    /// A memory read.
    Load,
    /// A memory write.
    Store,
    /// Atomic read-modify-write.
    Atomic,
    /// Barrier across threads.
    Barrier,
    /// DMA request to an offload engine; its form is given by [`Op::dma_form`].
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
    /// What kind of operation it is.
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

/// What a [`OpClass::Dma`] operation asks of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmaForm {
    /// Move the `size` bytes at `addr`.
    Block,
    /// An indexed transfer: read `size` 8-byte indices at `addr`, then move one element of
    /// `elem_bytes` per index; the elements' addresses follow as `size` [`DmaForm::Element`]s.
    Indexed {
        /// Bytes per element (a multiple of 8).
        elem_bytes: u32,
    },
    /// One element's address of the indexed transfer before it (descriptor data: not issued).
    Element,
}

/// The source register a load names when its address is computed from data loaded just before
/// it (pointer chasing): a core with non-blocking loads must wait for its loads in flight before
/// issuing it. Other operations than loads are taken to use loaded data anyway.
pub const LOADED_DATA: u8 = 1;

const DMA_INDEXED: u8 = 1;
const DMA_ELEMENT: u8 = 2;

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

    /// A load of `size` bytes at `addr` whose address depends on data loaded before it (see
    /// [`LOADED_DATA`]).
    pub fn dependent_load(addr: u64, size: u32) -> Op {
        Op {
            src: [LOADED_DATA, 0],
            ..Op::mem(OpClass::Load, addr, size)
        }
    }

    /// Whether this is a load whose address depends on data loaded before it.
    pub fn is_dependent_load(&self) -> bool {
        self.class == OpClass::Load && self.src[0] == LOADED_DATA
    }

    /// A DMA transfer of the `bytes` at `addr`: into the core (a gather into local storage) or,
    /// if `out`, out of it (a scatter).
    pub fn dma(addr: u64, bytes: u32, out: bool) -> Op {
        Op {
            dst: u8::from(out),
            ..Op::mem(OpClass::Dma, addr, bytes)
        }
    }

    /// The header of an indexed DMA transfer (a gather, or a scatter if `out`): `n` 8-byte indices
    /// at `index_addr`, one element of `elem_words` 8-byte words per index. It must be followed by
    /// `n` [`Op::dma_element`]s giving the elements' addresses, which the program knows because
    /// it computes the real indices.
    pub fn dma_indexed(index_addr: u64, n: u32, elem_words: u8, out: bool) -> Op {
        Op {
            dst: u8::from(out),
            src: [DMA_INDEXED, elem_words.max(1)],
            ..Op::mem(OpClass::Dma, index_addr, n)
        }
    }

    /// One element address of the indexed transfer before it.
    pub fn dma_element(addr: u64) -> Op {
        Op {
            src: [DMA_ELEMENT, 0],
            ..Op::mem(OpClass::Dma, addr, 0)
        }
    }

    /// The form of a [`OpClass::Dma`] operation.
    pub fn dma_form(&self) -> DmaForm {
        match self.src[0] {
            DMA_INDEXED => DmaForm::Indexed {
                elem_bytes: 8 * u32::from(self.src[1].max(1)),
            },
            DMA_ELEMENT => DmaForm::Element,
            _ => DmaForm::Block,
        }
    }

    /// Whether a DMA operation moves data out of the core (a scatter).
    pub fn dma_out(&self) -> bool {
        self.dst == 1
    }
}

/// An execution-driven generator of operations for one hardware thread.
///
/// Contract: `next_op` is called when the core can accept an operation; `None` means the program
/// ended. A program that fails (a corrupt trace) ends early and reports why through `error`.
pub trait Program {
    /// The next operation, `None` at the end.
    fn next_op(&mut self) -> Option<Op>;

    /// The next operations, as many as the program has ready (at most `buf.len()`), moved into
    /// `buf`; 0 at the end. A program generates no more than `next_op` would have to produce the
    /// first of them, so a caller that takes operations in batches sees the program's state change
    /// at the same moments as one that takes them one at a time. Default: one `next_op`.
    fn next_ops(&mut self, buf: &mut [Op]) -> usize {
        // An empty `buf` takes nothing (the operation must not be drawn and dropped).
        let Some(slot) = buf.first_mut() else {
            return 0;
        };
        match self.next_op() {
            Some(op) => {
                *slot = op;
                1
            }
            None => 0,
        }
    }

    /// Why the program ended early, if it did. Default: it never fails.
    fn error(&self) -> Option<&trace::TraceError> {
        None
    }
}
