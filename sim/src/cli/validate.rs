//! `sparsim validate`: checks input files without running anything. A Matrix Market matrix
//! (`.mtx`), a machine's own format (SCALE-Sim's `.cfg` and topology `.csv`, an AArch64 `.s`
//! kernel; each machine says which) and a layer table (another `.csv`) are recognised by their
//! extension and header; a TOML file by its top-level keys: an experiment (`kind`), a sweep (`base`), an energy table (`actions`), a DRAM
//! preset (`org` and `timing`), or a bare config of a registered machine (each machine says which
//! keys mark its own).

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use sparsim::machines::{self, ExperimentError};

use super::bad;

/// Check input files without running anything (experiments, sweeps, machine configs, cache
/// hierarchies, DRAM presets, energy tables, layer tables, matrices, SCALE-Sim configs and
/// topologies, AArch64 kernels).
#[derive(Args)]
#[command(after_help = "Example:
  sparsim validate configs/**/*.toml")]
pub struct ValidateArgs {
    /// Files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// What a config file is, by its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An experiment (`kind = "<machine>"`).
    Experiment,
    /// A sweep (`base = "<experiment>"`).
    Sweep,
    /// An energy table (`[actions]`).
    EnergyTable,
    /// A DRAM preset (`[org]` and `[timing]`).
    DramPreset,
    /// A bare config of this machine.
    Machine(&'static str),
    /// An input file in another format (a layer table, a matrix, a machine's own format).
    Input(&'static str),
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileKind::Experiment => f.write_str("experiment"),
            FileKind::Sweep => f.write_str("sweep"),
            FileKind::EnergyTable => f.write_str("energy table"),
            FileKind::DramPreset => f.write_str("DRAM preset"),
            FileKind::Machine(m) => write!(f, "{m} config"),
            FileKind::Input(what) => f.write_str(what),
        }
    }
}

/// Recognises a parsed TOML file by its top-level keys.
pub fn recognise(t: &toml::Table) -> Option<FileKind> {
    if t.contains_key("kind") {
        Some(FileKind::Experiment)
    } else if t.contains_key("base") {
        Some(FileKind::Sweep)
    } else if t.contains_key("actions") {
        Some(FileKind::EnergyTable)
    } else if t.contains_key("org") && t.contains_key("timing") {
        Some(FileKind::DramPreset)
    } else {
        machines::MACHINES
            .iter()
            .find(|m| m.recognises_config(t))
            .map(|m| FileKind::Machine(m.name()))
    }
}

/// Checks one file; `Ok` names what it was checked as.
pub fn check(file: &Path) -> Result<FileKind, String> {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext == "mtx" {
        return sparsim::workload::mtx::read(file)
            .map(|_| FileKind::Input("Matrix Market matrix"))
            .map_err(|e| e.to_string());
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    for m in machines::MACHINES {
        if let Some(r) = m.check_input_file(file, &text) {
            return r.map(FileKind::Input).map_err(|e| e.to_string());
        }
    }
    if ext == "csv" {
        return sparsim::workload::layers::parse(&text, file)
            .map(|_| FileKind::Input("layer table"))
            .map_err(|e| e.to_string());
    }
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        format!(
            "{}: not valid TOML:\n{}",
            file.display(),
            e.to_string().trim_end()
        )
    })?;
    let kind = recognise(&table).ok_or_else(|| {
        format!(
            "{}: not a file sparsim knows: expected an experiment (top-level `kind`), a sweep (`base`), \
             an energy table (`[actions]`), a DRAM preset (`[org]` and `[timing]`) or a machine config ({})",
            file.display(),
            machines::names().join(", ")
        )
    })?;
    let result: Result<(), ExperimentError> = match kind {
        FileKind::Experiment => sparsim::experiment::load(file, &[]).map(|_| ()),
        FileKind::Sweep => {
            return sparsim::sweep::Sweep::load(file)
                .map(|_| kind)
                .map_err(|e| e.to_string())
        }
        FileKind::EnergyTable => sparsim::energy::EnergyTable::load(file)
            .map(|_| ())
            .map_err(Into::into),
        FileKind::DramPreset => {
            sparsim::blocks::dram::check_preset_text(&text, file).map_err(Into::into)
        }
        FileKind::Machine(name) => machines::find(name)
            .expect("recognised by a registered machine")
            .check_config(file),
        FileKind::Input(_) => unreachable!("recognised by its extension above"),
    };
    result.map(|()| kind).map_err(|e| e.to_string())
}

/// `sparsim validate`.
pub fn run(args: ValidateArgs) -> Result<()> {
    let mut failed = 0;
    for f in &args.files {
        match check(f) {
            Ok(kind) => println!("ok ({kind}): {}", f.display()),
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(bad(format!(
            "{failed} of {} files failed validation",
            args.files.len()
        )));
    }
    Ok(())
}
