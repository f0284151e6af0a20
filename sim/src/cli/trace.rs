//! `sparsim trace show|convert`: inspect and convert memory traces.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;

use sparsim::program::trace::{self, Format, TraceWriter};

use super::{bad, create_new};

/// Inspect and convert trace files.
#[derive(Subcommand)]
pub enum TraceCmd {
    /// Print the first operations of a trace.
    #[command(after_help = "Example:
  sparsim trace show workloads/traces/kernel.lackey.zst --limit 10")]
    Show {
        /// Trace file.
        file: PathBuf,
        /// How many operations.
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
    /// Convert any readable trace to sparsim binary (default) or text.
    #[command(after_help = "Example:
  sparsim trace convert my.lackey my.trace")]
    Convert {
        /// Input trace.
        input: PathBuf,
        /// Output file (must not exist).
        output: PathBuf,
        /// Write the text form instead of binary.
        #[arg(long)]
        text: bool,
        /// zstd level for binary output (0 = uncompressed).
        #[arg(long, default_value_t = 3)]
        zstd: i32,
    },
}

/// `sparsim trace`.
pub fn run(cmd: TraceCmd) -> Result<()> {
    match cmd {
        TraceCmd::Show { file, limit } => trace_show(&file, limit),
        TraceCmd::Convert {
            input,
            output,
            text,
            zstd,
        } => trace_convert(&input, &output, text, zstd),
    }
}

fn trace_show(file: &Path, limit: u64) -> Result<()> {
    let reader = trace::open(file).map_err(bad)?;
    for (i, op) in reader.enumerate() {
        if i as u64 >= limit {
            break;
        }
        let op = op.map_err(bad)?;
        println!("{:?} {:#x} {}", op.class, op.addr, op.size);
    }
    Ok(())
}

fn trace_convert(input: &Path, output: &Path, text: bool, level: i32) -> Result<()> {
    let reader = trace::open(input).map_err(bad)?;
    let file = create_new(output)?;
    let fmt = if text { Format::Text } else { Format::Binary };
    let mut w = TraceWriter::new(Box::new(file), fmt, (!text && level > 0).then_some(level))?;
    let mut n = 0u64;
    for op in reader {
        let op = match op {
            Ok(op) => op,
            Err(e) => {
                drop(w);
                let _ = std::fs::remove_file(output);
                return Err(bad(e));
            }
        };
        w.write(&op)?;
        n += 1;
    }
    w.finish()?;
    println!("wrote {n} operations to {}", output.display());
    Ok(())
}
