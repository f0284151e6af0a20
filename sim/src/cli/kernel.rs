//! `sparsim kernel`: run an AArch64 kernel functionally under a driver, and show what it executes.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use sparsim::program::aarch64::driver::{inputs_file, Layout};
use sparsim::program::aarch64::wasm::{lower, Bounds, WasmProfile};
use sparsim::program::aarch64::{parse, Class, Kernel, Machine};

use super::{bad, create_new};

/// Run AArch64 kernels functionally and list what they execute.
#[derive(Subcommand)]
pub enum KernelCmd {
    /// Execute a kernel under a driver; print the instruction count and mix; optionally write the
    /// driver's inputs (for scripts/aarch64/harness.c) and the kernel's output C.
    #[command(
        after_help = "Example:\n  sparsim kernel run workloads/kernels/aarch64/sgemm_4x4.s --driver gemm --m 8 --n 8 --k 16 --inputs in.bin --output c.bin"
    )]
    Run(KernelArgs),
    /// Print each instruction of a kernel with its line, its class and how often a run under
    /// the driver executed it.
    #[command(
        after_help = "Example:\n  sparsim kernel listing workloads/kernels/aarch64/sgemm_4x4.s --driver gemm --m 8 --n 8 --k 16"
    )]
    Listing(KernelArgs),
    /// Print a kernel as the WebAssembly profile rewrites it (--wasm), as GNU assembly.
    #[command(
        after_help = "Example:\n  sparsim kernel lower workloads/kernels/aarch64/sgemm_4x4.s --wasm explicit > sgemm_wasm.s"
    )]
    Lower(KernelArgs),
}

/// A kernel and its driver.
#[derive(Args)]
pub struct KernelArgs {
    /// The kernel: AArch64 assembly in GNU syntax (workloads/kernels/aarch64/*.s).
    file: PathBuf,
    /// Driver: `gemm` (A m x k, B k x n, C m x n), `spmm` (a sparse 1x1 convolution: m pixels,
    /// n output and k input channels, CHW), `spmm4` (the same pruned in blocks of 4 output
    /// channels) or `loop` (a buffer of n floats, m iterations).
    #[arg(long, default_value = "gemm")]
    driver: String,
    /// m: rows of A and C (gemm) or iterations (loop).
    #[arg(long, default_value_t = 8)]
    m: u64,
    /// n: columns of B and C (gemm) or floats in the buffer (loop).
    #[arg(long, default_value_t = 8)]
    n: u64,
    /// k: columns of A (gemm).
    #[arg(long, default_value_t = 8)]
    k: u64,
    /// Seed of the input values.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// With the spmm, spmm2, spmm4, mnn4 and mnn1 drivers: the share of zero weights, in [0, 1),
    /// in steps of 0.001. Default 0.7.
    #[arg(long)]
    sparsity: Option<f64>,
    /// Stop a kernel that has not returned after this many instructions (1 to 2^40; the same
    /// default as a mobile experiment's `budget`).
    #[arg(long, default_value_t = 100_000_000, value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    budget: u64,
    /// Write the driver's inputs here (a new file), in harness.c's format.
    #[arg(long)]
    inputs: Option<PathBuf>,
    /// Write the output region C here (a new file), raw bytes.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Run the kernel as the WebAssembly profile lowers it, with bounds checks `guard` (none) or
    /// `explicit` (a compare and branch per access).
    #[arg(long, value_name = "guard|explicit")]
    wasm: Option<String>,
    /// With --wasm: relaxed SIMD is available (fused multiply-add kept).
    #[arg(long)]
    relaxed_simd: bool,
    /// With --wasm: vector registers kept in registers (v0 up); the rest are spilled.
    #[arg(long, default_value_t = 32)]
    vector_registers: u8,
}

impl KernelArgs {
    fn layout(&self) -> Result<Layout> {
        Layout::from_driver(&self.driver, self.m, self.n, self.k, self.sparsity).map_err(
            |(key, e)| match key {
                "sparsity" => bad(format!("--sparsity: {e}")),
                _ => bad(format!("--driver {:?}: {e}", self.driver)),
            },
        )
    }

    /// The kernel's text, lowered by the WebAssembly profile if asked.
    fn text(&self) -> Result<String> {
        let text = std::fs::read_to_string(&self.file)
            .map_err(|e| bad(format!("{}: cannot read: {e}", self.file.display())))?;
        let bounds = match self.wasm.as_deref() {
            None => {
                if self.relaxed_simd || self.vector_registers != 32 {
                    return Err(bad(
                        "--relaxed-simd and --vector-registers go with --wasm guard|explicit",
                    ));
                }
                return Ok(text);
            }
            Some("guard") => Bounds::Guard,
            Some("explicit") => Bounds::Explicit,
            Some(other) => return Err(bad(format!("--wasm {other:?}: use guard or explicit"))),
        };
        if !(1..=32).contains(&self.vector_registers) {
            return Err(bad(format!(
                "--vector-registers {}: 1 to 32",
                self.vector_registers
            )));
        }
        let profile = WasmProfile {
            relaxed_simd: self.relaxed_simd,
            bounds_checks: bounds,
            vector_registers: self.vector_registers,
        };
        lower(&text, &self.file, &profile).map_err(bad)
    }

    fn kernel(&self) -> Result<Kernel> {
        parse(&self.text()?, &self.file).map_err(bad)
    }
}

/// `sparsim kernel`.
pub fn run(cmd: KernelCmd) -> Result<()> {
    let (args, listing) = match cmd {
        KernelCmd::Run(a) => (a, false),
        KernelCmd::Listing(a) => (a, true),
        KernelCmd::Lower(a) => {
            if a.wasm.is_none() {
                return Err(bad("kernel lower needs --wasm guard|explicit"));
            }
            print!("{}", a.text()?);
            return Ok(());
        }
    };
    let kernel = args.kernel()?;
    let layout = args.layout()?;
    let inputs = args.inputs.as_deref().map(create_new).transpose()?;
    let output = args.output.as_deref().map(create_new).transpose()?;
    let launch = layout.launch(args.seed);
    if let Some(mut f) = inputs {
        f.write_all(&inputs_file(&launch))?;
    }
    let mut m = Machine::new(&kernel, &launch.args, launch.sp, launch.mem);
    let mut counts = vec![0u64; kernel.insts.len()];
    let mut by_class: BTreeMap<&'static str, u64> = BTreeMap::new();
    let t = std::time::Instant::now();
    let executed = m
        .run(args.budget, |d| {
            counts[d.index as usize] += 1;
            *by_class
                .entry(Class::ALL[d.class as usize].name())
                .or_default() += 1;
        })
        .map_err(|e| {
            // Leave no half-written outputs.
            for p in [&args.inputs, &args.output].into_iter().flatten() {
                let _ = std::fs::remove_file(p);
            }
            bad(e)
        })?;
    let secs = t.elapsed().as_secs_f64();
    if listing {
        println!(
            "{} ({}), entry {}: {} instructions executed",
            args.file.display(),
            args.driver,
            kernel.symbol.as_deref().unwrap_or("(first instruction)"),
            executed
        );
        println!(
            "{:>6} {:>12} {:<9} instruction",
            "line", "executed", "class"
        );
        for (i, (line, text)) in kernel.lines.iter().enumerate() {
            println!(
                "{line:>6} {:>12} {:<9} {text}",
                counts[i],
                kernel.insts[i].class().name()
            );
        }
    } else {
        let mix: Vec<String> = by_class.iter().map(|(c, n)| format!("{c} {n}")).collect();
        println!(
            "{}: {executed} instructions executed in {secs:.3} s ({:.1} M/s functional); mix: {}",
            args.file.display(),
            executed as f64 / secs.max(1e-9) / 1e6,
            mix.join(", ")
        );
    }
    if let Some(mut f) = output {
        f.write_all(&m.mem.region("C").expect("drivers lay out C").bytes)?;
        println!(
            "C written to {}",
            args.output.as_ref().expect("given").display()
        );
    }
    Ok(())
}
