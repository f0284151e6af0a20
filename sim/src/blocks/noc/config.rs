//! Network configuration.

use serde::{Deserialize, Serialize};

use crate::config::{require_at_least, require_in, Invalid, MAX_LATENCY_CYCLES};

/// Most endpoints a network may have.
pub const MAX_ENDPOINTS: u64 = 1024;

/// Network shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// Every endpoint one router away from every other.
    Crossbar,
    /// A `mesh_cols` x `mesh_rows` grid with one endpoint per router and XY routing.
    Mesh,
}

/// A network as written in a config file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NocConfig {
    /// Crossbar or mesh.
    pub topology: Topology,
    /// Endpoints of a crossbar (a mesh has one per router).
    pub n_endpoints: Option<u64>,
    /// Mesh columns.
    pub mesh_cols: Option<u64>,
    /// Mesh rows.
    pub mesh_rows: Option<u64>,
    /// Cycles to cross one router.
    pub hop_latency_cycles: u64,
    /// Link width in bytes per cycle.
    pub link_bytes_per_cycle: u64,
    /// Header bytes on every message. Default 8.
    #[serde(default = "eight")]
    pub header_bytes: u64,
    /// Endpoints that serve memory requests, interleaved by address.
    pub targets: Vec<u64>,
    /// Interleaving granularity across targets, in bytes. Default 64.
    #[serde(default = "sixty_four")]
    pub interleave_bytes: u64,
}

fn eight() -> u64 {
    8
}
fn sixty_four() -> u64 {
    64
}

/// A checked network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NocSpec {
    /// Crossbar or mesh, with the mesh's columns and rows.
    pub topology: Topology,
    /// Number of endpoints (components attached to the network).
    pub n_endpoints: u64,
    /// Mesh columns (1 for a crossbar).
    pub mesh_cols: u64,
    /// Router latency.
    pub hop_latency_cycles: u64,
    /// Link width.
    pub link_bytes_per_cycle: u64,
    /// Header size.
    pub header_bytes: u64,
    /// Target endpoints.
    pub targets: Vec<u64>,
    /// Bytes of address space per target before the next target takes over.
    pub interleave_bytes: u64,
    /// The router each endpoint attaches to (several endpoints may share one). A crossbar ignores it.
    pub endpoint_router: Vec<u32>,
    /// Address regions checked in order before the default targets: a request whose address falls
    /// in a region goes to one of the region's targets.
    pub regions: Vec<Region>,
}

/// An address range served by some endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub base: u64,
    /// Size in bytes.
    pub size: u64,
    /// Endpoints that serve it, interleaved.
    pub targets: Vec<u64>,
    /// Interleaving granularity in bytes.
    pub interleave_bytes: u64,
}

impl NocConfig {
    /// Checks the values; errors name `{prefix}.key`.
    pub fn resolve(&self, prefix: &str) -> Result<NocSpec, Invalid> {
        let key = |k: &str| format!("{prefix}.{k}");
        let (n, cols) = match self.topology {
            Topology::Crossbar => {
                let n = self.n_endpoints.ok_or_else(|| {
                    Invalid::new(
                        key("n_endpoints"),
                        "(missing)",
                        "a crossbar needs n_endpoints",
                    )
                })?;
                (n, 1)
            }
            Topology::Mesh => {
                let c = self.mesh_cols.ok_or_else(|| {
                    Invalid::new(
                        key("mesh_cols"),
                        "(missing)",
                        "a mesh needs mesh_cols and mesh_rows",
                    )
                })?;
                let r = self.mesh_rows.ok_or_else(|| {
                    Invalid::new(
                        key("mesh_rows"),
                        "(missing)",
                        "a mesh needs mesh_cols and mesh_rows",
                    )
                })?;
                require_at_least(&key("mesh_cols"), c, 1)?;
                require_at_least(&key("mesh_rows"), r, 1)?;
                if let Some(e) = self.n_endpoints {
                    if e != c * r {
                        return Err(Invalid::new(
                            key("n_endpoints"),
                            e,
                            format!("a mesh has one endpoint per router: {}", c * r),
                        ));
                    }
                }
                (c * r, c)
            }
        };
        if !(1..=MAX_ENDPOINTS).contains(&n) {
            return Err(Invalid::new(
                key("n_endpoints"),
                n,
                format!("must be in 1..={MAX_ENDPOINTS}"),
            ));
        }
        require_in(
            &key("hop_latency_cycles"),
            self.hop_latency_cycles,
            1,
            MAX_LATENCY_CYCLES,
            "cycles",
        )?;
        require_in(
            &key("link_bytes_per_cycle"),
            self.link_bytes_per_cycle,
            1,
            1 << 16,
            "bytes per cycle",
        )?;
        require_at_least(&key("interleave_bytes"), self.interleave_bytes, 1)?;
        if self.targets.is_empty() {
            return Err(Invalid::new(
                key("targets"),
                "[]",
                "needs at least one target endpoint",
            ));
        }
        if let Some(&t) = self.targets.iter().find(|&&t| t >= n) {
            return Err(Invalid::new(
                key("targets"),
                t,
                format!("is not an endpoint (0..{n})"),
            ));
        }
        Ok(NocSpec {
            topology: self.topology,
            n_endpoints: n,
            mesh_cols: cols,
            hop_latency_cycles: self.hop_latency_cycles,
            link_bytes_per_cycle: self.link_bytes_per_cycle,
            header_bytes: self.header_bytes,
            targets: self.targets.clone(),
            interleave_bytes: self.interleave_bytes,
            endpoint_router: (0..n as u32).collect(),
            regions: Vec::new(),
        })
    }
}
