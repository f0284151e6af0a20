//! The command line on bad input: a clear message naming the file and key or line, exit code 2,
//! nothing existing overwritten.

use super::{root, sparsim};

fn data(f: &str) -> String {
    root().join("sim/tests/data").join(f).display().to_string()
}

#[test]
fn bad_configs_exit_2_naming_file_and_key() {
    let tr = root()
        .join("workloads/traces/kernel.lackey.zst")
        .display()
        .to_string();
    let d = tempfile::tempdir().unwrap();
    for (file, expect) in [
        (
            "zero-ways.toml",
            "level[0].cache.n_ways = 0: must be at least 1",
        ),
        ("unknown-key.toml", "n_wayz"),
        ("line-too-big.toml", "level[0].cache.line_bytes = 65536"),
        (
            "sets-not-pow2.toml",
            "number of sets must be a power of two",
        ),
        ("malformed.toml", "not valid TOML"),
    ] {
        let (code, _, err) = sparsim(&["cachesim", &data(file), &tr], d.path());
        assert_eq!(code, 2, "{file}: {err}");
        assert!(err.contains(file) && err.contains(expect), "{file}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = sparsim(&["validate", &data("zero-ways.toml")], d.path());
    assert_eq!(code, 2);
    assert!(err.contains("n_ways = 0"));
}

#[test]
fn bad_traces_exit_2_naming_file_and_line() {
    let cfg = root()
        .join("configs/cachesim/cachegrind.toml")
        .display()
        .to_string();
    let d = tempfile::tempdir().unwrap();
    for (tr, expect) in [
        (
            data("garbage.lackey"),
            "garbage.lackey:3: not a lackey line",
        ),
        (data("truncated.bin"), "truncated"),
        (d.path().display().to_string(), "is a directory"),
        (data("empty-does-not-exist"), "cannot read trace"),
    ] {
        let (code, _, err) = sparsim(&["cachesim", &cfg, &tr], d.path());
        assert_eq!(code, 2, "{tr}: {err}");
        assert!(err.contains(expect), "{tr}: {err}");
    }
    assert!(
        !d.path().join("reports").exists(),
        "a failed run writes no report"
    );
}

#[test]
fn a_run_never_overwrites_an_earlier_report() {
    let d = tempfile::tempdir().unwrap();
    let (code, _, err) = sparsim(&["run", "--out", "r"], d.path());
    assert_eq!(code, 0, "{err}");
    assert!(d.path().join("r/cachegrind/report.json").is_file());
    std::fs::write(d.path().join("r/cachegrind/notes.txt"), "mine").unwrap();
    let (code, _, _) = sparsim(&["run", "--out", "r"], d.path());
    assert_eq!(code, 0);
    assert!(d.path().join("r/cachegrind-2/report.json").is_file());
    assert_eq!(
        std::fs::read_to_string(d.path().join("r/cachegrind/notes.txt")).unwrap(),
        "mine"
    );
    // Bad --set keys are bad input too.
    let (code, _, err) = sparsim(&["run", "--set", "level[0].cache.n_wayz=2"], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("n_wayz"));
}

#[test]
fn trace_convert_round_trips_and_refuses_to_overwrite() {
    let d = tempfile::tempdir().unwrap();
    let src = root()
        .join("workloads/traces/kernel.lackey.zst")
        .display()
        .to_string();
    let (code, out, err) = sparsim(&["trace", "convert", &src, "k.bin"], d.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote 342201 operations"), "{out}");
    let (code, _, err) = sparsim(&["trace", "convert", &src, "k.bin"], d.path());
    assert_eq!(code, 2, "{err}");
    let cfg = root()
        .join("configs/cachesim/cachegrind.toml")
        .display()
        .to_string();
    let (code, _, _) = sparsim(&["cachesim", &cfg, "k.bin", "--out", "a"], d.path());
    let (code2, _, _) = sparsim(&["cachesim", &cfg, &src, "--out", "b"], d.path());
    assert_eq!((code, code2), (0, 0));
    let stats = |dir: &str| -> serde_json::Value {
        let text =
            std::fs::read_to_string(d.path().join(dir).join("cachegrind/report.json")).unwrap();
        let r: serde_json::Value = serde_json::from_str(&text).unwrap();
        r["stats"].clone()
    };
    assert_eq!(
        stats("a"),
        stats("b"),
        "binary and lackey forms of one trace give the same statistics"
    );
}
