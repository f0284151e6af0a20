//! DRAM statistics.

crate::stats_struct! {
    /// Counters of one DRAM system (all channels).
    pub struct DramStats {
        reads: Count = "Read column commands (one access each)",
        writes: Count = "Write column commands (one access each)",
        activates: Count = "ACT commands",
        precharges: Count = "PRE commands",
        refreshes: Count = "REF commands (all-bank)",
        row_hits: Count = "Accesses served from an already open row",
        row_misses: Count = "Accesses that needed another row closed first",
        row_empty: Count = "Accesses to a closed bank (ACT only)",
        bytes_read: Bytes = "Bytes read from DRAM",
        bytes_written: Bytes = "Bytes written to DRAM",
        requests: Count = "Requests received (each may need several accesses)",
        read_latency_ps: Picoseconds = "Sum over answered requests of arrival-to-response time",
        answered: Count = "Requests answered (reads; writes are posted)",
        queue_full_waits: Count = "Accesses that waited because the scheduler window was full",
    }
}
