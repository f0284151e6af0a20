//! sparsim: a cycle-level simulator of sparse-computing hardware.
//!
//! The layers, bottom first (dependencies point down only; `ARCHITECTURE.md` is the full map, and
//! `sim/tests/it/tidy.rs` checks the order):
//! - [`stats`], [`host`]: counters with units; host-speed helpers (a fast hash map, cache hints);
//! - [`engine`]: time, events, components with port groups, links, the run loop, the watchdog;
//! - [`config`], [`parallel`]: TOML configs with `--set` overrides; runs spread over host threads;
//! - [`energy`], [`program`], [`workload`]: per-action energy tables; operations, programs, trace
//!   files and AArch64 kernels; matrices, generators and layer tables;
//! - [`blocks`]: reusable hardware (cache, DRAM, the memory interface of one-pass models,
//!   scratchpad, networks, DMA, pipeline, dataflow scheduler, a trace core);
//! - [`report`]: `RunReport`, timelines, and the files, plots and pages made from them;
//! - [`machines`]: the plug-in point (`Machine`, the registry) and each machine's folder;
//! - [`experiment`]: loading experiment files through the registry;
//! - [`sweep`], [`mod@bench`]: design-space sweeps; the workloads that measure the simulator's
//!   own speed.
#![warn(missing_docs)]

pub mod bench;
pub mod blocks;
pub mod config;
pub mod energy;
pub mod engine;
pub mod experiment;
pub mod host;
pub mod machines;
pub mod parallel;
pub mod program;
pub mod report;
pub mod stats;
pub mod sweep;
pub mod workload;
