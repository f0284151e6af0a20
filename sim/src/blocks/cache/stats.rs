//! Cache statistics.

crate::stats_struct! {
    /// Counters of one cache. "Write" counts stores and read-for-ownership fetches from an upper level.
    pub struct CacheStats {
        inst_hits: Count = "Instruction fetches that hit",
        inst_misses: Count = "Instruction fetches that missed (MSHR merges included)",
        read_hits: Count = "Data reads that hit",
        read_misses: Count = "Data reads that missed (MSHR merges included)",
        write_hits: Count = "Writes and read-for-ownership requests that hit",
        write_misses: Count = "Writes and read-for-ownership requests that missed (MSHR merges included)",
        prefetch_hits: Count = "Prefetch requests from an upper level that hit",
        prefetch_misses: Count = "Prefetch requests from an upper level that missed",
        writebacks_received: Count = "Dirty lines written back into this cache from above",
        writebacks_sent: Count = "Dirty lines (or write-through writes) sent to the level below",
        evictions: Count = "Valid lines replaced by a fill",
        mshr_merges: Count = "Misses merged into an MSHR already fetching the line",
        mshr_stalls: Count = "Requests that found every MSHR (or the MSHR's target list) full and waited",
        bank_conflict_cycles: Cycles = "Cycles requests waited for a busy bank",
        prefetches_issued: Count = "Prefetches this cache's prefetcher sent down",
        prefetches_useful: Count = "Prefetched lines later hit by a demand access",
        fills: Count = "Lines filled from the level below",
        straddle_second_misses: Count = "Misses of the second line of a split operation whose first line also missed (cachegrind counts such an operation as one miss)",
    }
}

impl CacheStats {
    /// Demand accesses of every kind (prefetches from above included).
    pub fn accesses(&self) -> u64 {
        self.hits() + self.misses()
    }
    /// Hits of every kind.
    pub fn hits(&self) -> u64 {
        self.inst_hits + self.read_hits + self.write_hits + self.prefetch_hits
    }
    /// Misses of every kind.
    pub fn misses(&self) -> u64 {
        self.inst_misses + self.read_misses + self.write_misses + self.prefetch_misses
    }
}
