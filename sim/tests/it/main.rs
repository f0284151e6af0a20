//! Integration tests: one binary, one module per concern.

mod browser;
mod cachegrind;
mod cli;
mod configs;
mod machines;
mod matrices;
mod piuma;
mod regression;
mod sweep;
mod tidy;

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The bundled SMASH V1 experiment on karate, a run of a fraction of a second.
pub fn karate() -> String {
    root()
        .join("configs/experiments/smash-v1-karate.toml")
        .display()
        .to_string()
}

/// Runs the sparsim binary in `cwd`; returns (exit code, stdout, stderr).
pub fn sparsim(args: &[&str], cwd: &std::path::Path) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sparsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}
