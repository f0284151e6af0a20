//! Integration tests: one binary, one module per concern.

mod cachegrind;
mod cli;
mod configs;
mod matrices;
mod piuma;
mod tidy;

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}
