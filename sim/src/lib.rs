//! sparsim: a cycle-level simulator of sparse-computing hardware.
//!
//! The module list below is the code map, bottom layer first; dependencies point down only.
#![warn(missing_docs)]

pub mod bench;
pub mod blocks;
pub mod config;
pub mod energy;
pub mod engine;
pub mod experiment;
pub mod machines;
pub mod parallel;
pub mod program;
pub mod report;
pub mod stats;
pub mod sweep;
pub mod workload;
