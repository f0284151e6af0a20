//! Reusable hardware blocks. They know no machine: a machine composes them.
//!
//! **Architecture Invariant:** nothing here imports `machines`; blocks read no files and print nothing.

pub mod cache;
pub mod dataflow;
pub mod dma;
pub mod dram;
pub mod memory;
pub mod noc;
pub mod pipeline;
pub mod requester;
pub mod spad;
pub mod trace_core;
