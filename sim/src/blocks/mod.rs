//! Reusable hardware blocks. They know no machine: a machine composes them.
//!
//! **Architecture Invariant:** nothing here imports `machines`; blocks read no files and print nothing.

pub mod cache;
pub mod dma;
pub mod dram;
pub mod noc;
pub mod spad;
pub mod trace_core;

/// Names of the request ports of blocks with several upper neighbours; a block with `n` uses the first `n`.
pub const UP_PORTS: [&str; 16] = [
    "up0", "up1", "up2", "up3", "up4", "up5", "up6", "up7", "up8", "up9", "up10", "up11", "up12",
    "up13", "up14", "up15",
];
