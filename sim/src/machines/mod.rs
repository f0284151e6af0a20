//! Machines: the hardware models that run workloads, each composed from `blocks`, and the one
//! plug-in point through which the rest of sparsim reaches them.
//!
//! A machine is a folder under `machines/` plus one entry in `register!` below. It provides a
//! [`Machine`]: its name (the `kind` key of an experiment file), a one-line description, its
//! kernels, loading an experiment file (both config stages, and the inputs the file names) into an
//! [`Experiment`], the lines `run` prints from a report, how to recognise and check a bare machine
//! config file, and the studies `reproduce` offers. An [`Experiment`] runs once into an
//! [`Outcome`] without reading config files or printing.
//!
//! **Architecture Invariant:** [`MACHINES`] is the only list of machines; experiment loading,
//! `validate`, `list`, `reproduce`, sweeps and the console output all go through it.

pub mod common;

use std::path::Path;
use std::time::Duration;

use crate::config::ConfigError;
use crate::engine::RunError;
use crate::program::trace::TraceError;
use crate::report::plot::Figure;
use crate::report::RunReport;
use crate::workload::mtx::MtxError;
use crate::workload::Csr;

/// Declares the machine modules and the registry in one list: `folder::Type`, one per machine.
macro_rules! register {
    ($($module:ident :: $machine:ident),* $(,)?) => {
        $(pub mod $module;)*
        /// Every machine, in the order `list` shows them.
        pub static MACHINES: &[&dyn Machine] = &[$(&$module::$machine),*];
    };
}

register!(cachesim::Cachesim, piuma::Piuma, sat::Sat, mobile::Mobile);

/// A machine sparsim can run. Every method is mandatory but [`Machine::experiment_from_flags`],
/// [`Machine::studies`] and [`Machine::recognises_config`], whose defaults say "none".
pub trait Machine: Sync {
    /// The value of an experiment file's `kind` key (`"piuma"`).
    fn name(&self) -> &'static str;

    /// One line for `list`.
    fn description(&self) -> &'static str;

    /// The kernels (or workload kinds) it runs, for `list`.
    fn kernels(&self) -> Vec<&'static str>;

    /// Its smallest bundled experiment, relative to the repository (`configs/experiments/...`):
    /// what the smoke and golden tests run for every registered machine.
    fn example(&self) -> &'static str;

    /// Loads an experiment from `text`, the contents of `file` (which names it in errors and
    /// against whose directory relative paths resolve), with `overrides` (`key.path=value`):
    /// parses it, checks its configuration, and reads or opens the inputs it names, so that
    /// everything wrong with the file shows here, before anything runs.
    fn load(
        &self,
        file: &Path,
        text: &str,
        overrides: &[String],
    ) -> Result<Box<dyn Experiment>, ExperimentError>;

    /// The lines `run` prints after a run: the machine's headline metrics, read from the report.
    fn headline(&self, report: &RunReport) -> Vec<String>;

    /// Whether a TOML file with these top-level keys is a bare config of this machine (what
    /// `validate` checks it as). Default: this machine has none.
    fn recognises_config(&self, _table: &toml::Table) -> bool {
        false
    }

    /// Checks a file in one of this machine's own formats that are not TOML (SCALE-Sim's `.cfg`
    /// and topologies, an assembly kernel), recognised by its extension and text: `None` if it is
    /// none of them, else what it was checked as. Default: none.
    fn check_input_file(
        &self,
        _file: &Path,
        _text: &str,
    ) -> Option<Result<&'static str, ExperimentError>> {
        None
    }

    /// Checks a bare machine config file (one [`Machine::recognises_config`] accepted).
    fn check_config(&self, file: &Path) -> Result<(), ExperimentError> {
        Err(ConfigError::Io {
            file: file.to_path_buf(),
            source: std::io::Error::other(format!(
                "the {} machine has no config file of its own",
                self.name()
            )),
        }
        .into())
    }

    /// An experiment table for `run --kernel K --workload FILE [--machine CONFIG]`, if this
    /// machine runs kernel `kernel`. Default: no such shortcut.
    fn experiment_from_flags(
        &self,
        _kernel: &str,
        _workload: &Path,
        _machine: Option<toml::Table>,
    ) -> Option<toml::Table> {
        None
    }

    /// The paper reproductions `reproduce` offers. Default: none.
    fn studies(&self) -> Vec<&'static dyn Study> {
        Vec::new()
    }
}

/// An experiment loaded and checked, its inputs at hand: ready to run once.
pub trait Experiment {
    /// The run's name (its report directory).
    fn name(&self) -> &str;

    /// The machine that loaded it.
    fn machine(&self) -> &'static dyn Machine;

    /// Every key path an override may name (`piuma.n_cores`, `level[0].cache.n_ways`), from the
    /// resolved configuration with its defaults filled in, sorted.
    fn config_keys(&self) -> Vec<String>;

    /// A one-line description of what will run, printed before it starts.
    fn describe(&self) -> String;

    /// Whether the run's [`Outcome`] carries a computed result (for `--write-result`). Default:
    /// no.
    fn computes_result(&self) -> bool {
        false
    }

    /// Runs the experiment. Reads no config file and prints nothing (a trace is streamed).
    fn run(self: Box<Self>) -> Result<Outcome, ExperimentError>;
}

/// What a run gives: the deterministic report and what is not in it.
pub struct Outcome {
    /// The deterministic report of the run.
    pub report: RunReport,
    /// Real time of the simulation itself (no file loading).
    pub wall: Duration,
    /// The simulator's speed measure: how many of what were simulated (`instructions`,
    /// `accesses`) in `wall`.
    pub work: (u64, &'static str),
    /// The computed result, where a kernel computes one.
    pub result: Option<RunResult>,
}

/// A kernel's computed result, for `run --write-result`.
pub enum RunResult {
    /// A sparse matrix (SpGEMM's C).
    Matrix(Csr),
}

/// Why loading or running an experiment failed. Everything but [`ExperimentError::Run`] and
/// [`ExperimentError::Check`] is bad input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// Bad config.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Bad or unreadable trace.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// Bad matrix.
    #[error(transparent)]
    Matrix(#[from] MtxError),
    /// The simulation got stuck.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A model's functional check failed: its computed values differ from the reference (a bug
    /// in sparsim, not in the input).
    #[error("functional check failed: {0}")]
    Check(String),
}

impl ExperimentError {
    /// True for bad input (exit code 2), false for a simulation that failed (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ExperimentError::Run(_) | ExperimentError::Check(_))
    }
}

/// A paper reproduction (`sparsim reproduce NAME`).
pub trait Study: Sync {
    /// Its name on the command line (`smash`).
    fn name(&self) -> &'static str;

    /// One line for `list` and `reproduce --help`.
    fn description(&self) -> &'static str;

    /// Checks the options and says how many runs it will make, before any runs.
    fn plan(&self, opts: &StudyOptions) -> Result<usize, ExperimentError>;

    /// Runs it: `progress` is called once per finished run. Writes nothing.
    fn run(
        &self,
        opts: &StudyOptions,
        progress: &(dyn Fn() + Sync),
    ) -> Result<StudyReport, ExperimentError>;
}

/// What a study is asked to do (the options of `reproduce`).
#[derive(Debug, Clone, Default)]
pub struct StudyOptions {
    /// Only these workloads of the study's fixed set (empty: all).
    pub only: Vec<String>,
    /// Only these kernels (empty: all).
    pub kernels: Vec<String>,
    /// Overrides of machine keys, for every run.
    pub set: Vec<String>,
    /// Runs at once.
    pub jobs: usize,
}

/// A study's results: a Markdown summary (printed and written as `summary.md`) and figures.
pub struct StudyReport {
    /// The tables, in Markdown.
    pub summary_md: String,
    /// Figures, each with its file stem.
    pub figures: Vec<(String, Figure)>,
}

/// The machine named `name`, or an error listing the valid names.
pub fn find(name: &str) -> Result<&'static dyn Machine, String> {
    MACHINES
        .iter()
        .copied()
        .find(|m| m.name() == name)
        .ok_or_else(|| {
            format!(
                "unknown machine {name:?}; valid machines: {}",
                names().join(", ")
            )
        })
}

/// The registered machines' names.
pub fn names() -> Vec<&'static str> {
    MACHINES.iter().map(|m| m.name()).collect()
}

/// Every study of every machine.
pub fn studies() -> Vec<&'static dyn Study> {
    MACHINES.iter().flat_map(|m| m.studies()).collect()
}
