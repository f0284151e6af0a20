//! sparsim: a cycle-level simulator of sparse-computing hardware.
//!
//! The layers, bottom first (dependencies point down only; `ARCHITECTURE.md` is the full map):
//! - [`engine`]: time, events, components with port groups, links, the run loop, the watchdog;
//! - [`stats`], [`config`], [`energy`]: counters with units, TOML configs with `--set`
//!   overrides, per-action energy tables;
//! - [`program`], [`workload`]: operations, programs and trace files; matrices and generators;
//! - [`blocks`]: reusable hardware (cache, DRAM, scratchpad, networks, DMA, a trace core);
//! - [`machines`]: the plug-in point (`Machine`, the registry) and each machine's folder;
//! - [`experiment`], [`sweep`], [`parallel`]: loading experiment files through the registry,
//!   design-space sweeps, runs spread over host threads;
//! - [`report`]: `RunReport` and the files, plots and pages made from it;
//! - [`mod@bench`]: the workloads that measure the simulator's own speed.
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
