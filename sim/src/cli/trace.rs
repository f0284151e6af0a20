//! `sparsim trace show|convert|generate`: inspect, convert and generate memory traces.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;

use sparsim::program::trace::{self, Format, TraceWriter};
use sparsim::program::traffic::{Pattern, Traffic};

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
    /// Write synthetic DRAM traffic as DRAMsim3's built-in CPUs make it: random lines with a
    /// read:write mix, or its stream add (read a, read b, write c).
    #[command(after_help = "Examples:
  sparsim trace generate --pattern random --requests 1000000 --mix 2:1 random.trace
  sparsim cachesim configs/cachesim/dram-only-ddr4-3200.toml random.trace")]
    Generate {
        /// random or stream.
        #[arg(long)]
        pattern: String,
        /// Requests (64 bytes each).
        #[arg(long)]
        requests: u64,
        /// Reads:writes of the random pattern (the stream's is 2:1).
        #[arg(long, default_value = "2:1")]
        mix: String,
        /// Addresses stay below this many bytes. Default 16 GiB (two ranks of x8 8 Gb DDR4).
        #[arg(long, default_value_t = 16 << 30)]
        footprint: u64,
        /// Seed of the addresses.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (must not exist).
        output: PathBuf,
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
        TraceCmd::Generate {
            pattern,
            requests,
            mix,
            footprint,
            seed,
            output,
        } => trace_generate(&pattern, requests, &mix, footprint, seed, &output),
    }
}

fn trace_generate(
    pattern: &str,
    requests: u64,
    mix: &str,
    footprint: u64,
    seed: u64,
    output: &Path,
) -> Result<()> {
    let pattern = match pattern {
        "random" => Pattern::Random,
        "stream" => Pattern::Stream,
        other => return Err(bad(format!("--pattern {other:?}: use random or stream"))),
    };
    let parsed = mix
        .split_once(':')
        .and_then(|(r, w)| Some((r.trim().parse::<u64>().ok()?, w.trim().parse::<u64>().ok()?)));
    let Some((reads, writes)) = parsed else {
        return Err(bad(format!("--mix {mix:?}: write reads:writes, e.g. 2:1")));
    };
    if requests == 0 {
        return Err(bad("--requests 0: give at least one request"));
    }
    let traffic = Traffic::new(pattern, requests, footprint, reads, writes, seed)
        .map_err(|e| bad(format!("--footprint/--mix: {e}")))?;
    let file = create_new(output)?;
    let mut w = TraceWriter::new(Box::new(file), Format::Binary, Some(3))?;
    for op in traffic {
        w.write(&op)?;
    }
    w.finish()?;
    println!("wrote {requests} requests to {}", output.display());
    Ok(())
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
