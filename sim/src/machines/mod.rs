//! Machines: the hardware models that run workloads, each composed from `blocks`.
//!
//! A machine is a folder with its config, components, kernels and tests. So far: `piuma`.

pub mod piuma;
