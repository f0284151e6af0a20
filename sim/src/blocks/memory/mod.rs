//! The memory interface of one-pass models: what a core pipeline or an accelerator that times in
//! one pass (SAT's passes, the mobile cores) asks of memory, and the two backends that answer.
//!
//! A one-pass model computes each instruction's or transfer's time directly instead of stepping
//! cycles, so it needs an answer at once: [`DataMemory::access`] returns the cycle a load's data is
//! ready, [`LineMemory::read_line`] the cycle a line fill arrives. Behind them:
//! - [`hierarchy`]: tag arrays of the `cache` block with miss-status registers, merging of accesses
//!   to a line being filled, and writebacks; its misses go to a [`LineMemory`];
//! - [`transfer`]: the **fast** backend, a latency and a sustained rate calibrated at load on the
//!   `dram` block itself ([`transfer::TransferModel`]); line fills queue behind one another at that
//!   rate ([`transfer::StreamingLines`]);
//! - [`detailed`]: the **detailed** backend, the `dram` block with its controller, banks and
//!   refresh running on the event engine, answering each access from its own run.
//!
//! [`MemoryModel`] is the key (`memory.model`) that chooses between them.
//!
//! **Architecture Invariant:** this block knows no machine and no instruction set.

pub mod detailed;
pub mod hierarchy;
pub mod transfer;

use serde::{Deserialize, Serialize};

use crate::stats::StatTree;

/// Where loads and stores go: returns the cycle the data is ready (a load) or accepted (a store).
pub trait DataMemory {
    /// An access of `size` bytes at `addr` issued at cycle `at`.
    fn access(&mut self, addr: u64, size: u32, kind: Access, at: u64) -> u64;

    /// Which level served the last access (0: the first). Default 0.
    fn last_level(&self) -> usize {
        0
    }
}

/// Levels of a data memory a pipeline tells apart when it attributes cycles.
pub const MAX_LEVELS: usize = 8;

/// What a memory access is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A load.
    Load,
    /// A store.
    Store,
    /// A software prefetch.
    Prefetch,
}

/// A memory with one fixed latency (for tests and for a core without caches).
pub struct FixedLatency(pub u64);

impl DataMemory for FixedLatency {
    fn access(&mut self, _addr: u64, _size: u32, _kind: Access, at: u64) -> u64 {
        at + self.0
    }
}

/// Main memory behind a one-pass cache hierarchy, in the core's cycles.
///
/// Contract: a fill is never answered before it was asked (`read_line(.., at).0 > at`); calls
/// may come out of time order (a one-pass out-of-order core asks in program order), and each
/// backend documents how it treats an access asked earlier than one before it.
pub trait LineMemory {
    /// A fill of the `bytes`-long line at `addr`, asked at cycle `at`: returns the cycle its data
    /// arrives and the cycles it waited behind other transfers.
    fn read_line(&mut self, addr: u64, bytes: u64, at: u64) -> (u64, u64);

    /// A dirty line written back at cycle `at`; nothing waits for it, but it takes DRAM time.
    fn write_line(&mut self, addr: u64, bytes: u64, at: u64);

    /// Lets every access asked so far complete (writebacks included), before the final
    /// statistics. Default: nothing to do.
    fn drain(&mut self) {}

    /// Adds the backend's own statistics under `prefix` (the detailed backend's DRAM block).
    /// Default: none.
    fn collect_stats(&self, _prefix: &str, _out: &mut StatTree) {}

    /// Engine events of the run so far (the detailed backend's live run). Default 0: no engine
    /// runs.
    fn n_events(&self) -> u64 {
        0
    }
}

/// Bulk transfers (SAT's tiles): contiguous streams over some of the DRAM's channels.
pub trait BulkMemory: Send + Sync {
    /// Channels of the DRAM.
    fn channels(&self) -> u64;

    /// Time in ps to stream `bytes` spread evenly over `channels` of them (1 to
    /// [`BulkMemory::channels`]).
    fn stream_ps(&self, bytes: u64, channels: u64) -> f64;

    /// Engine events simulated so far (the detailed backend's). Default 0: no engine runs.
    fn n_events(&self) -> u64 {
        0
    }
}

/// Which backend times a one-pass model's DRAM traffic (`memory.model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryModel {
    /// The transfer model calibrated on the `dram` block: fast; contention appears only as
    /// transfers queueing at the sustained rate.
    #[default]
    Transfer,
    /// The `dram` block itself on the event engine: banks, row buffers, the controller's queues
    /// and refresh as the block models them; slower.
    Dram,
}

impl MemoryModel {
    /// True for the default, so configs leave it out of their echo.
    pub fn is_default(&self) -> bool {
        *self == MemoryModel::Transfer
    }

    /// Its name as a config writes it.
    pub fn name(self) -> &'static str {
        match self {
            MemoryModel::Transfer => "transfer",
            MemoryModel::Dram => "dram",
        }
    }
}

/// The `[memory]` table of a one-pass machine's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryConfig {
    /// `transfer` (the calibrated model, fast; the default) or `dram` (the `dram` block itself).
    pub model: MemoryModel,
}

impl MemoryConfig {
    /// True for the default, so configs leave it out of their echo.
    pub fn is_default(&self) -> bool {
        self.model.is_default()
    }
}

#[cfg(test)]
mod tests;
