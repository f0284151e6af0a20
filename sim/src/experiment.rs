//! Experiment files: a TOML file whose `kind` key names a registered machine, loaded by that
//! machine with `--set` overrides applied. What `sparsim run FILE` runs and what a sweep point is.

use std::path::Path;

use crate::config::{ConfigError, Invalid};
use crate::machines::{self, Experiment, ExperimentError, Machine};

/// Reads and parses a TOML file; errors name it.
fn read_table(file: &Path) -> Result<(String, toml::Table), ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    let table = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
        file: file.to_path_buf(),
        msg: e.to_string().trim_end().to_string(),
    })?;
    Ok((text, table))
}

/// The machine a parsed experiment table's `kind` key names (`file` is for errors).
pub fn machine_of_table(
    table: &toml::Table,
    file: &Path,
) -> Result<&'static dyn Machine, ConfigError> {
    let valid = machines::names()
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    match table.get("kind") {
        Some(toml::Value::String(k)) => machines::find(k).map_err(|_| {
            Invalid::new(
                "kind",
                format!("{k:?}"),
                format!("unknown machine; valid machines: {valid}"),
            )
            .in_file(file)
        }),
        Some(other) => Err(Invalid::new(
            "kind",
            other.to_string(),
            format!("must be a string naming a machine: {valid}"),
        )
        .in_file(file)),
        None => Err(Invalid::new(
            "kind",
            "(missing)",
            format!("an experiment starts with kind = one of {valid}"),
        )
        .in_file(file)),
    }
}

/// Loads an experiment file with `overrides` (`key.path=value`) through the machine its `kind`
/// names: the config is checked and the inputs it names are read.
pub fn load(file: &Path, overrides: &[String]) -> Result<Box<dyn Experiment>, ExperimentError> {
    let (text, table) = read_table(file)?;
    let exp = machine_of_table(&table, file)?.load(file, &text, overrides)?;
    plain_name(exp.as_ref(), file)?;
    Ok(exp)
}

/// Refuses an experiment whose `name` is not a plain folder name: its report goes to
/// `<out>/<name>/`, which must not reach outside `<out>`.
fn plain_name(exp: &dyn Experiment, file: &Path) -> Result<(), ExperimentError> {
    let n = exp.name();
    if !crate::config::is_plain_folder_name(n) {
        return Err(Invalid::new(
            "name",
            format!("{n:?}"),
            format!("the report's folder: {}", crate::config::PLAIN_FOLDER_NAME),
        )
        .in_file(file)
        .into());
    }
    Ok(())
}

/// Loads an experiment given as a table (built from command-line flags, say); `origin` names it
/// in errors and relative paths are resolved against its directory.
pub fn load_table(
    table: &toml::Table,
    origin: &Path,
    overrides: &[String],
) -> Result<Box<dyn Experiment>, ExperimentError> {
    let machine = machine_of_table(table, origin)?;
    let text = toml::to_string(table).expect("a TOML table serializes");
    let exp = machine.load(origin, &text, overrides)?;
    plain_name(exp.as_ref(), origin)?;
    Ok(exp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn config_keys_list_nested_and_indexed_paths() {
        let piuma = load(
            &root().join("configs/experiments/smash-v1-west0067.toml"),
            &[],
        )
        .unwrap();
        let keys = piuma.config_keys();
        for k in [
            "piuma.n_cores",
            "workload.a.file",
            "kernel",
            "seed",
            "limits.max_cycles",
            "limits.watchdog_cycles",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
        }
        let cs = load(
            &root().join("configs/experiments/cachesim-default.toml"),
            &["level[0].cache.n_ways=4".into()],
        )
        .unwrap();
        let keys = cs.config_keys();
        for k in ["level[0].cache.n_ways", "dram.preset", "trace", "seed"] {
            assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
        }
    }

    #[test]
    fn an_unknown_machine_lists_the_valid_ones() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("x.toml");
        std::fs::write(&f, "kind = \"gpu\"\n").unwrap();
        let e = load(&f, &[]).err().unwrap().to_string();
        for m in machines::names() {
            assert!(e.contains(m), "{e}");
        }
        assert!(e.contains("x.toml") && e.contains("kind"), "{e}");
    }
}
