//! `sparsim workload gen|info`: seeded synthetic matrices written as Matrix Market, and a
//! matrix's shape and row statistics.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;

use super::{bad, create_new};

/// `sparsim workload`.
pub fn run(cmd: WorkloadCmd) -> Result<()> {
    match cmd {
        WorkloadCmd::Gen { kind, seed, out } => workload_gen(kind, seed, out.as_deref()),
        WorkloadCmd::Info { file } => workload_info(&file),
    }
}

#[derive(Subcommand)]
pub enum WorkloadCmd {
    /// Generate a seeded synthetic matrix and write it as Matrix Market.
    #[command(after_help = "Example:
  sparsim workload gen rmat --scale 14 --edge-factor 8 --out rmat.mtx")]
    Gen {
        #[command(subcommand)]
        kind: GenKind,
        /// Seed of the generator: the same seed gives the same matrix.
        #[arg(long, default_value_t = 1, global = true)]
        seed: u64,
        /// Output .mtx file (must not exist).
        #[arg(long, global = true)]
        out: Option<PathBuf>,
    },
    /// Print a matrix's shape, entry count and row-length statistics.
    #[command(after_help = "Example:
  sparsim workload info workloads/matrices/bcsstk13.mtx")]
    Info {
        /// Matrix Market file.
        file: PathBuf,
    },
}

#[derive(Subcommand, Clone)]
pub enum GenKind {
    /// R-MAT / Kronecker graph (Graph500 parameters by default).
    Rmat {
        /// log2 of the number of rows.
        #[arg(long)]
        scale: u32,
        /// Edges drawn per row.
        #[arg(long, default_value_t = 16)]
        edge_factor: u32,
        /// Quadrant probabilities a, b, c (d = 1 - a - b - c).
        #[arg(long, num_args = 3, default_values_t = [0.57, 0.19, 0.19])]
        abc: Vec<f64>,
    },
    /// Erdős–Rényi with a fixed number of entries per row.
    Er {
        /// Rows and columns.
        #[arg(long)]
        n: usize,
        /// Entries per row.
        #[arg(long)]
        nnz_per_row: usize,
    },
    /// 2D 5-point stencil.
    Stencil5 {
        /// Grid width.
        #[arg(long)]
        nx: usize,
        /// Grid height.
        #[arg(long)]
        ny: usize,
    },
    /// 3D 7-point stencil on an n^3 grid.
    Stencil7 {
        /// Grid side.
        #[arg(long)]
        n: usize,
    },
    /// 3D 27-point stencil on an n^3 grid.
    Stencil27 {
        /// Grid side.
        #[arg(long)]
        n: usize,
    },
    /// Banded matrix.
    Banded {
        /// Rows and columns.
        #[arg(long)]
        n: usize,
        /// Half bandwidth.
        #[arg(long)]
        half_width: usize,
    },
    /// Rows with power-law lengths.
    Powerlaw {
        /// Rows and columns.
        #[arg(long)]
        n: usize,
        /// Mean entries per row.
        #[arg(long)]
        avg_nnz: usize,
        /// Zipf exponent.
        #[arg(long, default_value_t = 1.0)]
        alpha: f64,
    },
}

fn workload_gen(kind: GenKind, seed: u64, out: Option<&Path>) -> Result<()> {
    use sparsim::workload::gen::Generator;
    let out = out.ok_or_else(|| bad("--out FILE is required: where to write the matrix"))?;
    let limit = |what: &str, v: u64, max: u64| {
        if v == 0 || v > max {
            Err(bad(format!("--{what} = {v}: must be in 1..={max}")))
        } else {
            Ok(())
        }
    };
    let g = match kind {
        GenKind::Rmat {
            scale,
            edge_factor,
            abc,
        } => {
            limit("scale", scale as u64, 26)?;
            limit("edge-factor", edge_factor as u64, 1024)?;
            if abc.iter().any(|p| !(0.0..=1.0).contains(p)) || abc.iter().sum::<f64>() > 1.0 {
                return Err(bad(
                    "--abc: a, b and c must be probabilities whose sum is at most 1",
                ));
            }
            Generator::Rmat {
                scale,
                edge_factor,
                abc: [abc[0], abc[1], abc[2]],
            }
        }
        GenKind::Er { n, nnz_per_row } => {
            limit("n", n as u64, 1 << 26)?;
            limit("nnz-per-row", nnz_per_row as u64, n as u64)?;
            Generator::ErdosRenyi { n, nnz_per_row }
        }
        GenKind::Stencil5 { nx, ny } => {
            limit("nx", nx as u64, 1 << 13)?;
            limit("ny", ny as u64, 1 << 13)?;
            Generator::Stencil5 { nx, ny }
        }
        GenKind::Stencil7 { n } => {
            limit("n", n as u64, 400)?;
            Generator::Stencil7 { n }
        }
        GenKind::Stencil27 { n } => {
            limit("n", n as u64, 200)?;
            Generator::Stencil27 { n }
        }
        GenKind::Banded { n, half_width } => {
            limit("n", n as u64, 1 << 24)?;
            Generator::Banded { n, half_width }
        }
        GenKind::Powerlaw { n, avg_nnz, alpha } => {
            limit("n", n as u64, 1 << 24)?;
            limit("avg-nnz", avg_nnz as u64, n as u64)?;
            if !(alpha.is_finite() && alpha > 0.0) {
                return Err(bad(format!("--alpha = {alpha}: must be positive")));
            }
            Generator::PowerLawRows { n, avg_nnz, alpha }
        }
    };
    let m = g.generate(seed);
    let file = create_new(out)?;
    let mut w = std::io::BufWriter::new(file);
    sparsim::workload::mtx::write(&m, &mut w)?;
    std::io::Write::flush(&mut w)?;
    println!(
        "wrote {} x {} with {} entries to {}",
        m.n_rows,
        m.n_cols,
        m.nnz(),
        out.display()
    );
    Ok(())
}

fn workload_info(file: &Path) -> Result<()> {
    let m = sparsim::workload::mtx::read(file).map_err(bad)?;
    let lens: Vec<usize> = (0..m.n_rows).map(|i| m.row(i).0.len()).collect();
    let max = lens.iter().copied().max().unwrap_or(0);
    let mean = if m.n_rows > 0 {
        m.nnz() as f64 / m.n_rows as f64
    } else {
        0.0
    };
    println!(
        "{}: {} x {}, {} stored entries, row length mean {mean:.2}, max {max}",
        file.display(),
        m.n_rows,
        m.n_cols,
        m.nnz()
    );
    Ok(())
}
