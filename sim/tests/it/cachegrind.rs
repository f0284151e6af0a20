//! Fidelity: sparsim's cachegrind-like hierarchy against valgrind's cachegrind on the same program.
//!
//! The expected counts come from cachegrind itself (valgrind 3.19), run on `workloads/traces/kernel.c`
//! built with `gcc -O1 -static`, not from sparsim. Regenerate with `scripts/cachegrind/compare.sh`.
//! The lackey trace of that binary is `workloads/traces/kernel.lackey.zst`.

use sparsim::machines::cachesim;
use sparsim::program::trace;

use super::root;

/// (overrides, cachegrind's I1, D1, LL misses).
const CASES: &[(&[&str], u64, u64, u64)] = &[
    // --I1=32768,8,64 --D1=32768,8,64 --LL=262144,8,64
    (&[], 623, 4084, 2348),
    // --I1=4096,2,64 --D1=4096,4,64 --LL=32768,8,64
    (
        &[
            "level[0].cache.size_bytes=4096",
            "level[0].cache.n_ways=2",
            "level[1].cache.size_bytes=4096",
            "level[1].cache.n_ways=4",
            "level[2].cache.size_bytes=32768",
        ],
        781,
        23872,
        4765,
    ),
];

#[test]
fn miss_counts_match_cachegrind_within_half_a_percent() {
    let cfg = root().join("configs/cachesim/cachegrind.toml");
    let tr = root().join("workloads/traces/kernel.lackey.zst");
    for (set, i1, d1, ll) in CASES {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        let (h, _) = cachesim::load(&cfg, &set).unwrap();
        let r = h
            .run(Box::new(trace::open(&tr).unwrap()), "kernel", None)
            .unwrap()
            .report;
        let got = |k: &str| r.derived[k].value;
        for (name, want) in [("l1i", *i1), ("l1d", *d1), ("ll", *ll)] {
            let ours = got(&format!("{name}.misses_per_operation"));
            let err = (ours - want as f64).abs() / want as f64;
            assert!(
                err <= 0.005,
                "{name} {set:?}: sparsim {ours} vs cachegrind {want} ({:.2} %)",
                err * 100.0
            );
        }
    }
}

#[test]
fn same_config_and_seed_give_identical_report_json() {
    let cfg = root().join("configs/cachesim/l1-l2-prefetch.toml");
    let tr = root().join("workloads/traces/kernel.lackey.zst");
    let run = || {
        let (h, e) =
            cachesim::load(&cfg, &["level[2].cache.replacement=\"random\"".into()]).unwrap();
        let e = e.unwrap();
        h.run(
            Box::new(trace::open(&tr).unwrap()),
            "kernel",
            Some(("table", &e.1)),
        )
        .unwrap()
        .report
        .to_json()
    };
    let (a, b) = (run(), run());
    assert!(a == b, "two runs differ");
    assert!(a.contains("\"l2.prefetches_issued\""));
}
