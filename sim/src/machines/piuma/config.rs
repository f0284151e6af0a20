//! PIUMA configuration. Every default names its source: a tag (\[S7a\] etc., listed with their
//! addresses under "Sources" in `docs/machines/piuma.md`) or "assumption", with the reasoning.

use serde::{Deserialize, Serialize};

use crate::blocks::dram::DramConfig;
use crate::config::{require_at_least, require_in, require_pow2, Invalid, MAX_LATENCY_CYCLES};

/// How rows (or other units of work) are spread over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkDistribution {
    /// Each thread gets one contiguous block up front.
    Static,
    /// Threads take the next unit from a shared counter with an atomic fetch-add.
    #[default]
    Dynamic,
}

/// Where the dense row-wise baseline keeps the accumulators of threads that find no room in the
/// scratchpad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenseAccOverflow {
    /// In DRAM, through the data cache: every thread works.
    Dram,
    /// Nowhere: those threads take no work, and only the threads with a scratchpad accumulator
    /// multiply.
    #[default]
    Idle,
}

/// A PIUMA die, as written in a config file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PiumaConfig {
    /// Cores per die. Default 8: the 2023 prototype [S7a, S7b, S7c].
    #[serde(default = "d_cores")]
    pub n_cores: u64,
    /// Core clock in MHz. Default 1000: PIUMA's clock is [NOT FOUND]; 1 GHz is our assumption for a
    /// 75 W, 7 nm many-threaded design whose power goes mostly to photonics \[S7b\].
    #[serde(default = "d_clock")]
    pub clock_mhz: f64,
    /// Multi-threaded pipelines per core. Default 4: 66 threads = 4 x 16 + 2 [INFERRED from S7a, S7b].
    #[serde(default = "d_mtp")]
    pub n_mtp: u64,
    /// Threads per multi-threaded pipeline. Default 16 [INFERRED, as above].
    #[serde(default = "d_threads")]
    pub threads_per_mtp: u64,
    /// Single-thread pipelines per core. Default 2 [INFERRED, as above].
    #[serde(default = "d_stp")]
    pub n_stp: u64,
    /// Loads a single-thread pipeline's thread may have in flight before it waits (0: its loads
    /// block, as a multithreaded pipeline's thread's do). Default 4. PIUMA credits its STPs with 8x
    /// the single-thread performance of an MTP thread \[S7b\] but does not say how; non-blocking
    /// loads (the thread waits only when it uses loaded data, or when this many are in flight)
    /// are our assumption of one part of it, and 4 (a small in-order core's miss buffers) our
    /// assumption of its depth.
    #[serde(default = "d_stp_loads")]
    pub stp_max_outstanding_loads: u64,
    /// Latency of an integer or branch operation, cycles. Default 1 (assumption: simple in-order pipeline).
    #[serde(default = "d_one")]
    pub int_latency_cycles: u64,
    /// Cycles between two issues of one multithreaded pipeline's thread, whatever the operation's
    /// latency. Default 1 (assumption: a thread may issue every cycle). PIUMA credits its STPs with
    /// 8x single-thread performance \[S7b\]; one reading is a barrel pipeline without bypassing, whose
    /// threads issue once per pass through it: 8 lets one test that reading (the pipeline still
    /// issues every cycle while enough of its threads are ready).
    #[serde(default = "d_one")]
    pub mtp_issue_interval_cycles: u64,
    /// Latency of a floating-point multiply or add, cycles. Default 4 (assumption).
    #[serde(default = "d_fp")]
    pub fp_latency_cycles: u64,
    /// Scratchpad per core, bytes. Default 4 MiB [S7b, S7c, S7e].
    #[serde(default = "d_spad")]
    pub spad_bytes: u64,
    /// Scratchpad banks. Default 16 (assumption).
    #[serde(default = "d_banks")]
    pub spad_banks: u64,
    /// Scratchpad requests that can start per cycle. Default 4 (assumption: one per MTP).
    #[serde(default = "d_ports")]
    pub spad_ports: u64,
    /// Scratchpad access latency, cycles. Default 4 (assumption: an SRAM of a few MB).
    #[serde(default = "d_spad_lat")]
    pub spad_latency_cycles: u64,
    /// Extra cycles of the scratchpad's atomic unit. Default 2 (assumption).
    #[serde(default = "d_two")]
    pub atomic_latency_cycles: u64,
    /// Instruction cache per core, bytes. Default 64 KiB: 192 KB of cache per core [S7c, S7e],
    /// split 64 KiB for instructions and 128 KiB for data by our assumption. Same line size as the
    /// data cache.
    #[serde(default = "d_icache")]
    pub icache_bytes: u64,
    /// Instruction cache ways. Default 4 (assumption).
    #[serde(default = "d_icache_ways")]
    pub icache_ways: u64,
    /// Data cache per core, bytes. Default 128 KiB: 192 KB of cache per core [S7c, S7e], split
    /// 64 KiB instruction + 128 KiB data by assumption (the split is [NOT FOUND]).
    #[serde(default = "d_dcache")]
    pub dcache_bytes: u64,
    /// Data cache line, bytes. Default 64 (assumption).
    #[serde(default = "d_line")]
    pub dcache_line_bytes: u64,
    /// Data cache ways. Default 8 (assumption).
    #[serde(default = "d_ways")]
    pub dcache_ways: u64,
    /// Data cache hit latency, cycles. Default 2 (assumption).
    #[serde(default = "d_two")]
    pub dcache_hit_cycles: u64,
    /// Data cache MSHRs. Default 32 (assumption: many threads keep many misses in flight).
    #[serde(default = "d_mshrs")]
    pub dcache_mshrs: u64,
    /// Mesh columns. Default 4: 16 routers on the die [S7a, S7c].
    #[serde(default = "d_mesh")]
    pub mesh_cols: u64,
    /// Mesh rows. Default 4 [S7a, S7c].
    #[serde(default = "d_mesh")]
    pub mesh_rows: u64,
    /// Router latency, cycles. Default 1: a cut-through router \[S7c\]; the value is our assumption.
    #[serde(default = "d_one")]
    pub hop_latency_cycles: u64,
    /// Mesh link width, bytes per cycle. Default 16 (assumption).
    #[serde(default = "d_link")]
    pub link_bytes_per_cycle: u64,
    /// DMA engine per core: accesses in flight. Default 16 (assumption: the offload engines exist
    /// [S4, S9], their count, throughput and latency are [NOT FOUND]).
    #[serde(default = "d_dma")]
    pub dma_max_outstanding: u64,
    /// SMASH: use the DMA engine. Each hashing unit starts with one indexed gather of B's row
    /// bounds (indexed by the unit's column indices of A), and each row of B is fetched into the
    /// scratchpad with two block jobs (columns, values), instead of loading all of these one by
    /// one through the data cache. Default false (our option: the thesis does not say how SMASH
    /// uses the offload engines).
    #[serde(default)]
    pub smash_dma_b_rows: bool,
    /// Dies joined by a HyperX network, each with `n_cores` cores, its own mesh and DRAM. Default 1.
    /// PIUMA systems join sockets all-to-all through a HyperX of optical links \[S7h\].
    #[serde(default = "d_one")]
    pub n_dies: u64,
    /// HyperX: one-way latency of a die-to-die link, cycles. Default 100 (assumption: 100 ns at
    /// 1 GHz; \[S7b\] says under 400 ns across the largest system, and link latency is [NOT FOUND]).
    #[serde(default = "d_hyperx_latency")]
    pub hyperx_latency_cycles: u64,
    /// HyperX: bytes per cycle per direction of a die-to-die link. Default 32: one optical port of
    /// 32 GB/s per direction [S7b, S7f] at 1 GHz; one port per die pair is our assumption.
    #[serde(default = "d_hyperx_link")]
    pub hyperx_link_bytes_per_cycle: u64,
    /// DRAM channels per die. Default 4 (assumption: the count is [NOT FOUND]).
    #[serde(default = "d_channels")]
    pub dram_channels: u64,
    /// DRAM system: DDR5-4400 with 8-byte accesses [S7c, S7d].
    #[serde(default = "d_dram")]
    pub dram: DramConfig,
    /// Work distribution for the kernels. Default dynamic.
    #[serde(default)]
    pub work_distribution: WorkDistribution,
    /// SMASH hashing phase: nonzeros of A per unit of work that a thread takes (0 = a whole row).
    /// Default 0. Our interpretation: the scheme's parallel loop may run over the nonzeros of a
    /// window's rows (the thesis's hashing phase merges partial products with atomics into a
    /// scratchpad hash table \[S1\]), letting several threads share a long row; on bcsstk13 and
    /// R-MAT this trades barrier time for memory stalls and is slightly slower, so rows are the default.
    #[serde(default = "d_unit")]
    pub smash_unit_nnz: u64,
    /// SMASH V3: C entries per output fragment a thread takes with one atomic. Default 64
    /// (1 KiB of (column, value) pairs). Our interpretation of "fragmenting memory" (the thesis's
    /// mechanism is [NOT FOUND]); see `kernels/smash.rs`.
    #[serde(default = "d_fragment")]
    pub smash_fragment_entries: u64,
    /// Row-wise kernel with a dense accumulator: the share of each core's scratchpad its threads'
    /// accumulators may fill (after a 4 KiB area for counters), the first threads' first; the
    /// other threads follow `dense_acc_overflow`. Default 0.5, our assumption (the thesis does not say how
    /// its dense baseline places them): half, leaving room for what a real kernel also keeps there.
    #[serde(default = "d_half")]
    pub dense_acc_spad_share: f64,
    /// Row-wise kernel with a dense accumulator: what the threads whose accumulators do not fit in
    /// `dense_acc_spad_share` do. Default "idle": they take no work; "dram" keeps their
    /// accumulators in DRAM. Our options: the thesis does not describe its dense baseline. Idle is
    /// the default because it is the faster baseline wherever accumulators overflow (R-MAT scale
    /// 14: 77.3 M cycles against 405.0 M; see the README), as a programmer tuning for PIUMA would
    /// find: a DRAM accumulator's scattered 8-byte updates miss the data cache.
    #[serde(default)]
    pub dense_acc_overflow: DenseAccOverflow,
}

fn d_half() -> f64 {
    0.5
}

fn d_hyperx_latency() -> u64 {
    100
}

fn d_hyperx_link() -> u64 {
    32
}

fn d_dma() -> u64 {
    16
}

fn d_fragment() -> u64 {
    64
}

fn d_unit() -> u64 {
    0
}

fn d_cores() -> u64 {
    8
}
fn d_clock() -> f64 {
    1000.0
}
fn d_mtp() -> u64 {
    4
}
fn d_threads() -> u64 {
    16
}
fn d_stp() -> u64 {
    2
}
fn d_icache() -> u64 {
    64 * 1024
}
fn d_icache_ways() -> u64 {
    4
}
fn d_stp_loads() -> u64 {
    4
}
fn d_one() -> u64 {
    1
}
fn d_two() -> u64 {
    2
}
fn d_fp() -> u64 {
    4
}
fn d_spad() -> u64 {
    4 << 20
}
fn d_banks() -> u64 {
    16
}
fn d_ports() -> u64 {
    4
}
fn d_spad_lat() -> u64 {
    4
}
fn d_dcache() -> u64 {
    128 << 10
}
fn d_line() -> u64 {
    64
}
fn d_ways() -> u64 {
    8
}
fn d_mshrs() -> u64 {
    32
}
fn d_mesh() -> u64 {
    4
}
fn d_link() -> u64 {
    16
}
fn d_channels() -> u64 {
    4
}
fn d_dram() -> DramConfig {
    let mut d = DramConfig::preset("DDR5-4400");
    d.access_bytes = Some(8);
    // Assumption: channels interleave at 64-byte lines, so a line's eight 8-byte words share one
    // row of one bank (one activate), and consecutive lines spread over channels and bank groups.
    d.mapping = "row-rank-bank-column:6-bankgroup-channel-column:3".into();
    d
}

impl Default for PiumaConfig {
    fn default() -> PiumaConfig {
        toml::from_str("").expect("every field has a default")
    }
}

impl PiumaConfig {
    /// Cores over all dies.
    pub fn total_cores(&self) -> u64 {
        self.n_cores * self.n_dies
    }

    /// Hardware threads per core.
    pub fn threads_per_core(&self) -> u64 {
        self.n_mtp * self.threads_per_mtp + self.n_stp
    }

    /// Checks the values; errors name `piuma.key`. Everything the die's builder resolves (its
    /// scratchpad, caches, mesh, DRAM) is checked here, so a config that passes builds.
    pub fn check(&self) -> Result<(), Invalid> {
        let k = |s: &str| format!("piuma.{s}");
        require_in(&k("n_cores"), self.n_cores, 1, 1024, "cores per die")?;
        require_in(&k("mesh_cols"), self.mesh_cols, 1, 64, "routers per row")?;
        require_in(&k("mesh_rows"), self.mesh_rows, 1, 64, "routers per column")?;
        require_in(&k("dram_channels"), self.dram_channels, 1, 64, "channels per die")?;
        require_pow2(&k("dram_channels"), self.dram_channels)?;
        if self.n_cores + self.dram_channels > self.mesh_cols * self.mesh_rows * 2 {
            return Err(Invalid::new(
                k("n_cores"),
                self.n_cores,
                format!(
                    "with {} DRAM channels, too many for a {} x {} mesh: at most two endpoints per router",
                    self.dram_channels, self.mesh_cols, self.mesh_rows
                ),
            ));
        }
        // At most 1e6 MHz: time is counted in picoseconds.
        crate::config::require_clock(&k("clock_mhz"), self.clock_mhz, "MHz", 1.0e6)?;
        require_in(&k("n_mtp"), self.n_mtp, 0, 64, "multithreaded pipelines per core")?;
        require_in(&k("n_stp"), self.n_stp, 0, 64, "single-thread pipelines per core")?;
        require_in(
            &k("threads_per_mtp"),
            self.threads_per_mtp,
            0,
            64,
            "a pipeline keeps its threads' readiness in one 64-bit mask",
        )?;
        if self.n_mtp * self.threads_per_mtp + self.n_stp == 0 {
            return Err(Invalid::new(
                k("threads_per_mtp"),
                self.threads_per_mtp,
                "a core needs at least one thread (n_mtp x threads_per_mtp + n_stp >= 1)",
            ));
        }
        if self.n_mtp > 0 {
            require_at_least(&k("threads_per_mtp"), self.threads_per_mtp, 1)?;
        }
        for (key, cycles) in [
            ("int_latency_cycles", self.int_latency_cycles),
            ("fp_latency_cycles", self.fp_latency_cycles),
            ("mtp_issue_interval_cycles", self.mtp_issue_interval_cycles),
            ("hop_latency_cycles", self.hop_latency_cycles),
            ("hyperx_latency_cycles", self.hyperx_latency_cycles),
        ] {
            require_in(&k(key), cycles, 1, MAX_LATENCY_CYCLES, "cycles")?;
        }
        require_in(
            &k("link_bytes_per_cycle"),
            self.link_bytes_per_cycle,
            1,
            1 << 16,
            "bytes a mesh link moves per cycle",
        )?;
        require_in(
            &k("smash_fragment_entries"),
            self.smash_fragment_entries,
            1,
            1 << 20,
            "entries of C per output fragment",
        )?;
        require_in(
            &k("smash_unit_nnz"),
            self.smash_unit_nnz,
            0,
            1 << 32,
            "nonzeros of A per unit of work; 0 = whole rows",
        )?;
        if !(0.0..=1.0).contains(&self.dense_acc_spad_share) {
            return Err(Invalid::new(
                k("dense_acc_spad_share"),
                self.dense_acc_spad_share,
                "must be a share of the scratchpad from 0 (accumulators in DRAM) to 1 (all of it)",
            ));
        }
        require_in(
            &k("dma_max_outstanding"),
            self.dma_max_outstanding,
            1,
            1 << 16,
            "accesses a DMA engine keeps in flight",
        )?;
        if self.stp_max_outstanding_loads > 256 {
            return Err(Invalid::new(
                k("stp_max_outstanding_loads"),
                self.stp_max_outstanding_loads,
                "at most 256 loads in flight per thread (0 makes loads block)",
            ));
        }
        require_in(&k("n_dies"), self.n_dies, 1, 64, "dies")?;
        require_in(
            &k("hyperx_link_bytes_per_cycle"),
            self.hyperx_link_bytes_per_cycle,
            1,
            1 << 16,
            "bytes a die-to-die link moves per cycle",
        )?;
        require_pow2(&k("spad_bytes"), self.spad_bytes)?;
        self.memories()?;
        self.dram_spec()?;
        Ok(())
    }
}
