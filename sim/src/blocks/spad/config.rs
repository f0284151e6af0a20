//! Scratchpad configuration and its checked geometry.

use serde::{Deserialize, Serialize};

use crate::config::{require_in, require_pow2, Invalid, MAX_LATENCY_CYCLES};

/// A scratchpad as written in a config file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpadConfig {
    /// Capacity in bytes.
    pub size_bytes: u64,
    /// Banks (a power of two).
    pub n_banks: u64,
    /// Interleaving granularity: consecutive chunks of this many bytes go to consecutive banks. Default 8.
    #[serde(default = "eight")]
    pub bank_width_bytes: u64,
    /// Requests that can start per cycle. Default 1.
    #[serde(default = "one")]
    pub n_ports: u64,
    /// Cycles from start to data for a read or write.
    pub access_latency_cycles: u64,
    /// Extra cycles the atomic unit's ALU adds to an atomic. Default 2.
    #[serde(default = "two")]
    pub atomic_latency_cycles: u64,
    /// Cycles an atomic holds its bank (read plus write-back). Default 2.
    #[serde(default = "two")]
    pub atomic_bank_cycles: u64,
    /// Atomics the unit can have in flight. Default 8.
    #[serde(default = "default_slots")]
    pub n_atomic_slots: u64,
}

fn one() -> u64 {
    1
}
fn two() -> u64 {
    2
}
fn eight() -> u64 {
    8
}
fn default_slots() -> u64 {
    8
}

/// Checked values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpadGeometry {
    /// Capacity in bytes.
    pub size_bytes: u64,
    /// Number of banks.
    pub n_banks: u64,
    /// Bytes of one bank before the next bank takes over.
    pub bank_width_bytes: u64,
    /// Requests the scratchpad accepts per cycle.
    pub n_ports: u64,
    /// Access latency.
    pub access_latency_cycles: u64,
    /// Atomic ALU latency.
    pub atomic_latency_cycles: u64,
    /// Bank occupancy of an atomic.
    pub atomic_bank_cycles: u64,
    /// Atomic slots.
    pub n_atomic_slots: u64,
}

impl SpadConfig {
    /// Checks the values; errors name `{prefix}.key`.
    pub fn resolve(&self, prefix: &str) -> Result<SpadGeometry, Invalid> {
        let key = |k: &str| format!("{prefix}.{k}");
        require_in(
            &key("size_bytes"),
            self.size_bytes,
            1,
            1 << 30,
            "up to 1 GiB",
        )?;
        require_pow2(&key("n_banks"), self.n_banks)?;
        require_in(&key("n_banks"), self.n_banks, 1, 1 << 16, "banks")?;
        require_pow2(&key("bank_width_bytes"), self.bank_width_bytes)?;
        require_in(
            &key("bank_width_bytes"),
            self.bank_width_bytes,
            1,
            1 << 16,
            "bytes",
        )?;
        require_in(
            &key("n_ports"),
            self.n_ports,
            1,
            1 << 10,
            "requests per cycle",
        )?;
        for (k, v) in [
            ("access_latency_cycles", self.access_latency_cycles),
            ("atomic_bank_cycles", self.atomic_bank_cycles),
        ] {
            require_in(&key(k), v, 1, MAX_LATENCY_CYCLES, "cycles")?;
        }
        require_in(
            &key("atomic_latency_cycles"),
            self.atomic_latency_cycles,
            0,
            MAX_LATENCY_CYCLES,
            "cycles",
        )?;
        require_in(
            &key("n_atomic_slots"),
            self.n_atomic_slots,
            1,
            1 << 16,
            "atomics in flight",
        )?;
        if self.n_banks * self.bank_width_bytes > self.size_bytes {
            return Err(Invalid::new(
                key("n_banks"),
                self.n_banks,
                format!(
                    "x bank_width_bytes exceeds size_bytes = {}",
                    self.size_bytes
                ),
            ));
        }
        Ok(SpadGeometry {
            size_bytes: self.size_bytes,
            n_banks: self.n_banks,
            bank_width_bytes: self.bank_width_bytes,
            n_ports: self.n_ports,
            access_latency_cycles: self.access_latency_cycles,
            atomic_latency_cycles: self.atomic_latency_cycles,
            atomic_bank_cycles: self.atomic_bank_cycles,
            n_atomic_slots: self.n_atomic_slots,
        })
    }
}
