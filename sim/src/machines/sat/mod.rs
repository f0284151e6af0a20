//! SAT: the N:M sparse-training accelerator (Fang et al., IEEE TCAD 2023), a systolic array
//! whose sparse PEs skip pruned weights. In progress: not yet a registered machine. What exists:
//! the array's compute timing for the three dataflows ([`array`], equal to SCALE-Sim v3's), and
//! a front end that reads SCALE-Sim's config and topology files and writes its compute report
//! ([`scalesim`]). The training step (forward, backward-data and weight-gradient GEMMs on the
//! dataflow scheduler), N:M sparse PEs, buffers and DRAM come next.

pub mod array;
pub mod scalesim;
pub mod transfer;
