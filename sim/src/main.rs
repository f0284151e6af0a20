//! The `sparsim` command line: parses the arguments and dispatches to a subcommand in `cli/`.
//! Exit codes: 0 success, 2 bad input (config, trace, matrix, arguments), 1 a simulation that
//! failed (e.g. the watchdog fired).

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// sparsim: a cycle-level simulator of sparse-computing hardware.
#[derive(Parser)]
#[command(version, about, arg_required_else_help = true)]
#[command(after_help = "Start with `sparsim run` (a bundled experiment) and `sparsim list`.")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Run(cli::run::RunArgs),
    Cachesim(cli::run::CachesimArgs),
    Scalesim(cli::scalesim::ScalesimArgs),
    Validate(cli::validate::ValidateArgs),
    Sweep(cli::sweep::SweepArgs),
    Reproduce(cli::reproduce::ReproduceArgs),
    Report(cli::report::ReportArgs),
    /// Inspect and convert trace files.
    #[command(after_help = "Example:\n  sparsim trace convert my.lackey my.trace")]
    Trace {
        #[command(subcommand)]
        cmd: cli::trace::TraceCmd,
    },
    /// Generate and inspect workloads.
    #[command(
        after_help = "Example:\n  sparsim workload gen stencil5 --nx 150 --ny 150 --out stencil.mtx"
    )]
    Workload {
        #[command(subcommand)]
        cmd: cli::workload::WorkloadCmd,
    },
    /// Run AArch64 kernels functionally and list what they execute.
    #[command(
        after_help = "Example:\n  sparsim kernel listing workloads/kernels/aarch64/sgemm_4x4.s --driver gemm --m 8 --n 8 --k 16"
    )]
    Kernel {
        #[command(subcommand)]
        cmd: cli::kernel::KernelCmd,
    },
    /// List the machines with their kernels and studies, DRAM presets, policies and bundled
    /// configs.
    #[command(after_help = "Example:\n  sparsim list")]
    List,
    Bench(cli::bench::BenchArgs),
}

fn main() -> ExitCode {
    // Like other Unix tools, stop quietly when the reader of our output goes away (`| head`),
    // instead of panicking on a failed print.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let result = match Cli::parse().cmd {
        Cmd::Run(a) => cli::run::run(a),
        Cmd::Cachesim(a) => cli::run::cachesim(a),
        Cmd::Scalesim(a) => cli::scalesim::run(a),
        Cmd::Validate(a) => cli::validate::run(a),
        Cmd::Sweep(a) => cli::sweep::run(a),
        Cmd::Reproduce(a) => cli::reproduce::run(a),
        Cmd::Report(a) => cli::report::run(a),
        Cmd::Trace { cmd } => cli::trace::run(cmd),
        Cmd::Workload { cmd } => cli::workload::run(cmd),
        Cmd::Kernel { cmd } => cli::kernel::run(cmd),
        Cmd::List => cli::list::run(),
        Cmd::Bench(a) => cli::bench::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let is_bad = e
                .chain()
                .any(|c| c.downcast_ref::<cli::BadInput>().is_some());
            eprintln!("error: {e:#}");
            ExitCode::from(if is_bad { 2 } else { 1 })
        }
    }
}
