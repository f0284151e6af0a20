//! The SAT machine's parameters (`[sat]` in an experiment file; `configs/sat/sat.toml` spells
//! every key out with its source).
//!
//! SAT's paper gives none of its array size, PE design, buffers or clock (papers.md §2(a):
//! [NOT FOUND]); it names only the board, a Xilinx VCU1525 (Virtex UltraScale+ VU9P, four DDR4
//! channels). Every default below is therefore sized to that board and marked as our assumption
//! where the board does not fix it.

use serde::{Deserialize, Serialize};

use crate::blocks::dram::{DramConfig, DramSpec};
use crate::blocks::memory::detailed::DramTransfers;
use crate::blocks::memory::{MemoryConfig, MemoryModel};
use crate::config::{require_in, Invalid};
use crate::machines::sat::array::Dataflow;

/// One on-chip buffer: its size and how many words it delivers per cycle (banks x ports, one word
/// per port per cycle).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BufferConfig {
    /// Capacity in KiB.
    pub kib: u64,
    /// Banks. Unset (the default), they scale with the array lanes the buffer feeds, as each
    /// buffer's doc on [`SatConfig`] says, so a larger array is not starved by the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banks: Option<u64>,
    /// Ports per bank (one word per port per cycle).
    pub ports: u64,
}

impl BufferConfig {
    fn new(kib: u64, ports: u64) -> BufferConfig {
        BufferConfig {
            kib,
            banks: None,
            ports,
        }
    }

    /// Bytes.
    pub fn bytes(&self) -> u64 {
        self.kib * 1024
    }

    /// Words it can deliver (or take) per cycle: banks x ports, with `default_banks` where the
    /// banks are unset.
    pub fn words_per_cycle(&self, default_banks: u64) -> u64 {
        self.banks.unwrap_or(default_banks) * self.ports
    }
}

/// The SAT accelerator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SatConfig {
    /// Clock of the FPGA design in MHz. Default 200 (the default; SAT's clock is [NOT
    /// FOUND]; 200 MHz is typical of VU9P DSP designs).
    pub clock_mhz: f64,
    /// PE rows (the reduction dimension in `ws`). Default 32 (assumption: 32 x 32 16-bit MACs at
    /// two DSP48E2 slices each use 2,048 of the 5,847 DSPs left to kernels by the VCU1525 shell).
    pub rows: u64,
    /// PE columns. Default 32 (as `rows`).
    pub cols: u64,
    /// Which operand stays in the array. Default `ws` (sparse PEs hold N:M weights).
    pub dataflow: Dataflow,
    /// Bytes of an operand word. Default 2 (assumption: 16-bit training, FP16/BF16).
    pub word_bytes: u64,
    /// Bytes of a partial sum. Default 4 (assumption: 32-bit accumulation).
    pub acc_bytes: u64,
    /// The largest M the sparse PE's multiplexer selects from. Default 16 (the range, M <= 16).
    pub max_m: u64,
    /// Weight buffer (holds the stationary operand). Default 1 MiB, 2 ports, one bank per PE row
    /// or column, whichever are more (32 on the default array).
    pub weight_buffer: BufferConfig,
    /// Activation buffer (the forward pass's streamed operand). Default 2 MiB, 1 port, four banks
    /// per PE row (128 on the default array): 4 R words a cycle, so sparse PEs run at full rate up
    /// to M/N = 4 on any array, and no N:M pattern streams slower than dense (assumption).
    pub activation_buffer: BufferConfig,
    /// Gradient buffer (the backward passes' streamed operand). Default as the activation buffer.
    pub gradient_buffer: BufferConfig,
    /// Output buffer (partial sums). Default 1 MiB, 2 ports, one bank per PE column (32 on the
    /// default array): a read and a write of a partial sum per column per cycle.
    pub output_buffer: BufferConfig,
    /// Whether tile loads overlap compute (each buffer split in two halves). Default true.
    pub double_buffered: bool,
    /// Groups of M the sparse-weight generator ranks per cycle (top-N of M by magnitude).
    /// Default 8 (assumption).
    pub generator_groups_per_cycle: u64,
    /// Weights the update unit handles per cycle (SGD with momentum). Default 32 (assumption: one
    /// lane per array column).
    pub update_lanes: u64,
    /// Interleave mapping (our interpretation): a layer's backward-data and weight-gradient GEMMs
    /// share the array fold by fold, so one's transfers hide under the other's compute and the
    /// gradient they both stream is read once. Default true.
    pub interleave: bool,
    /// Pre-generation of the N:M weights (our interpretation): the generator makes a layer's
    /// forward and backward compressed weights ahead of time, overlapped with other work, instead
    /// of on demand when the array reaches the layer. Default true.
    pub pregenerate: bool,
    /// Offline scheduling (our interpretation): the step's task graph is list-scheduled by
    /// critical path before the run; otherwise tasks start strictly in program order. Default true.
    pub offline_schedule: bool,
    /// The off-chip memory. Default DDR4-2400, 4 channels (VCU1525: four DDR4 DIMM channels,
    /// 19.2 GB/s each; papers.md §2(a)).
    pub dram: DramConfig,
    /// How DRAM transfers are timed (`[sat.memory]`): `model = "transfer"`, the model calibrated on
    /// the `dram` block (fast; the default), or `"dram"`, every transfer run through the block
    /// itself (see `blocks/memory`). Left out of the config echo at its default.
    #[serde(skip_serializing_if = "MemoryConfig::is_default")]
    pub memory: MemoryConfig,
}

impl SatConfig {
    /// Banks of the weight buffer when unset: one per PE row or column, whichever are more.
    pub fn weight_banks(&self) -> u64 {
        self.rows.max(self.cols)
    }

    /// Banks of the activation and gradient buffers when unset: four per PE row.
    pub fn stream_banks(&self) -> u64 {
        4 * self.rows
    }

    /// Banks of the output buffer when unset: one per PE column.
    pub fn output_banks(&self) -> u64 {
        self.cols
    }

    /// Sets every unset bank count to its default for this array (so a run's config echo says
    /// what it ran with).
    pub fn resolve_banks(&mut self) {
        let (w, s, o) = (self.weight_banks(), self.stream_banks(), self.output_banks());
        for (b, n) in [
            (&mut self.weight_buffer, w),
            (&mut self.activation_buffer, s),
            (&mut self.gradient_buffer, s),
            (&mut self.output_buffer, o),
        ] {
            b.banks.get_or_insert(n);
        }
    }
}

impl Default for SatConfig {
    fn default() -> SatConfig {
        let mut dram = DramConfig::preset("DDR4-2400");
        dram.org.channels = Some(4);
        SatConfig {
            clock_mhz: 200.0,
            rows: 32,
            cols: 32,
            dataflow: Dataflow::Ws,
            word_bytes: 2,
            acc_bytes: 4,
            max_m: 16,
            weight_buffer: BufferConfig::new(1024, 2),
            activation_buffer: BufferConfig::new(2048, 1),
            gradient_buffer: BufferConfig::new(2048, 1),
            output_buffer: BufferConfig::new(1024, 2),
            double_buffered: true,
            generator_groups_per_cycle: 8,
            update_lanes: 32,
            interleave: true,
            pregenerate: true,
            offline_schedule: true,
            dram,
            memory: MemoryConfig::default(),
        }
    }
}

impl SatConfig {
    /// Checks every value; errors name `sat.<key>`. Returns the resolved DRAM.
    pub fn check(&self) -> Result<DramSpec, Invalid> {
        crate::config::require_clock("sat.clock_mhz", self.clock_mhz, "MHz", 10_000.0)?;
        require_in("sat.rows", self.rows, 1, 4096, "PEs per column")?;
        require_in("sat.cols", self.cols, 1, 4096, "PEs per row")?;
        for (k, v) in [("sat.word_bytes", self.word_bytes), ("sat.acc_bytes", self.acc_bytes)] {
            if ![1, 2, 4, 8].contains(&v) {
                return Err(Invalid::new(k, v, "must be 1, 2, 4 or 8 bytes"));
            }
        }
        require_in(
            "sat.max_m",
            self.max_m,
            2,
            16,
            "the multiplexer picks one of M candidates, N:M with M <= 16",
        )?;
        let halves = if self.double_buffered { 2 } else { 1 };
        for (key, b, tile) in [
            (
                "sat.weight_buffer",
                &self.weight_buffer,
                // One stationary tile: R x C words with their indices.
                self.rows * self.cols * (self.word_bytes + 1),
            ),
            (
                "sat.activation_buffer",
                &self.activation_buffer,
                // One row of the stream: M candidates per array row.
                self.rows * self.max_m * self.word_bytes,
            ),
            (
                "sat.gradient_buffer",
                &self.gradient_buffer,
                self.rows * self.max_m * self.word_bytes,
            ),
            (
                "sat.output_buffer",
                &self.output_buffer,
                // One row of partial sums.
                self.cols * self.acc_bytes,
            ),
        ] {
            if let Some(banks) = b.banks {
                require_in(&format!("{key}.banks"), banks, 1, 1 << 16, "banks")?;
            }
            require_in(&format!("{key}.ports"), b.ports, 1, 16, "ports per bank")?;
            require_in(&format!("{key}.kib"), b.kib, 1, 1 << 22, "KiB")?;
            if b.bytes() < halves * tile {
                return Err(Invalid::new(
                    format!("{key}.kib"),
                    b.kib,
                    format!(
                        "too small for one tile: {} bytes{} are needed on a {} x {} array; give at least {} KiB",
                        halves * tile,
                        if halves == 2 { " (two halves, double-buffered)" } else { "" },
                        self.rows,
                        self.cols,
                        (halves * tile).div_ceil(1024)
                    ),
                ));
            }
        }
        require_in(
            "sat.generator_groups_per_cycle",
            self.generator_groups_per_cycle,
            1,
            1 << 20,
            "groups",
        )?;
        require_in("sat.update_lanes", self.update_lanes, 1, 1 << 20, "lanes")?;
        if self.memory.model == MemoryModel::Dram {
            // The detailed backend times transfers on one channel of this DRAM: resolve it now.
            DramTransfers::new(&self.dram, "sat.dram")?;
        }
        self.dram.resolve("sat.dram")
    }

    /// Bits of one N:M index (which of M): ceil(log2 M).
    pub fn index_bits(m: u64) -> u64 {
        64 - (m - 1).leading_zeros() as u64
    }
}

/// A sparsity pattern: `N` kept of every `M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nm {
    /// Kept.
    pub n: u64,
    /// Group size.
    pub m: u64,
}

impl Nm {
    /// Parses `"dense"` (None) or `"N:M"` with 1 <= N < M <= `max_m`.
    pub fn parse(s: &str, max_m: u64) -> Result<Option<Nm>, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("dense") {
            return Ok(None);
        }
        let fix = format!("write \"dense\" or N:M with 1 <= N < M <= {max_m} (e.g. \"2:8\")");
        let (a, b) = s.split_once(':').ok_or_else(|| fix.clone())?;
        let (n, m) = match (a.trim().parse::<u64>(), b.trim().parse::<u64>()) {
            (Ok(n), Ok(m)) => (n, m),
            _ => return Err(fix),
        };
        if n == 0 || n >= m {
            return Err(format!("N must be at least 1 and below M: {fix}"));
        }
        if m > max_m {
            return Err(format!(
                "M = {m} exceeds the sparse PE's multiplexer (sat.max_m = {max_m}): {fix}"
            ));
        }
        Ok(Some(Nm { n, m }))
    }

    /// As written: `N:M`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.n, self.m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_check_and_bad_values_name_their_key() {
        SatConfig::default().check().unwrap();
        let mut c = SatConfig::default();
        c.weight_buffer.kib = 1;
        let e = c.check().unwrap_err().to_string();
        assert!(e.contains("sat.weight_buffer.kib") && e.contains("too small for one tile"), "{e}");
        let c = SatConfig {
            max_m: 17,
            ..Default::default()
        };
        assert!(c.check().unwrap_err().to_string().contains("sat.max_m"));
    }

    #[test]
    fn n_m_parses_and_refuses_what_the_pe_cannot_do() {
        assert_eq!(Nm::parse("2:8", 16), Ok(Some(Nm { n: 2, m: 8 })));
        assert_eq!(Nm::parse("Dense", 16), Ok(None));
        for bad in ["8:8", "0:4", "2:32", "2-8", "a:b", ""] {
            assert!(Nm::parse(bad, 16).is_err(), "{bad}");
        }
        assert_eq!(SatConfig::index_bits(8), 3);
        assert_eq!(SatConfig::index_bits(4), 2);
        assert_eq!(SatConfig::index_bits(5), 3);
    }
}
