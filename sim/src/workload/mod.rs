//! Workloads: data that drives the machines. No timing here.
//!
//! `mtx` reads Matrix Market files into [`Csr`] matrices; `gen` makes seeded synthetic matrices;
//! `layers` reads DNN layer tables.

pub mod csr;
pub mod gen;
pub mod layers;
pub mod mtx;

pub use csr::Csr;
