//! The messages components exchange. Small and `Copy`: the hot path never allocates for a message.

/// What a memory request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// An instruction fetch.
    Inst,
    /// A data load.
    Read,
    /// A data store.
    Write,
    /// A dirty line written back from an upper level.
    Writeback,
    /// A hardware prefetch.
    Prefetch,
    /// A line fetched because an upper level's write missed (read for ownership).
    ReadForOwnership,
    /// An atomic read-modify-write.
    Atomic,
}

impl AccessKind {
    /// True for requests that need data back (everything but writebacks).
    pub fn wants_data(self) -> bool {
        !matches!(self, AccessKind::Writeback)
    }
}

/// A memory request or its response: identity, address, size and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemReq {
    /// Identifier chosen by the requester; responses carry it back unchanged.
    pub id: u64,
    /// Byte address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u32,
    /// What the access does.
    pub kind: AccessKind,
    /// Tick at which the original requester issued it, for latency statistics.
    pub issued_ps: u64,
    /// Whether this access is a whole operation or a piece of one that straddled a line boundary.
    /// Lets caches also count misses per operation, as cachegrind does.
    pub split: Split,
}

/// How an access relates to the operation it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// The whole operation.
    Whole,
    /// The first line of an operation that straddles lines.
    First,
    /// A later line of such an operation.
    Rest,
}

/// A message on a link, or a component's wake-up to itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// A memory request travelling towards memory.
    Req(MemReq),
    /// A response travelling back to the requester.
    Resp(MemReq),
    /// A self-scheduled wake-up with a component-defined tag.
    Wake(u64),
    /// A generic token with a payload, for simple components and tests.
    Token(u64),
}
