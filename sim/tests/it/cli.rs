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

/// `sparsim scalesim` takes SCALE-Sim's files and writes its report files, and the SAT model's
/// report beside; a bad dataflow or a row without its trailing comma is refused with exit 2.
#[test]
fn scalesim_writes_scale_sim_s_reports_and_the_sat_model_s_beside() {
    let d = tempfile::tempdir().unwrap();
    let cfg = root().join("configs/scalesim/example.cfg");
    let topo = root().join("workloads/scalesim/conv.csv");
    let (code, out, err) = sparsim(
        &[
            "scalesim",
            "-c",
            &cfg.display().to_string(),
            "-t",
            &topo.display().to_string(),
            "-p",
            "out",
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("11 layers"),
        "the DP layer splits into 8: {out}"
    );
    let run = d.path().join("out/example");
    let compute = std::fs::read_to_string(run.join("COMPUTE_REPORT.csv")).unwrap();
    assert_eq!(compute.lines().count(), 12);
    let bw = std::fs::read_to_string(run.join("BANDWIDTH_REPORT.csv")).unwrap();
    assert!(bw.starts_with(
        "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg FILTER Metadata SRAM BW,"
    ));
    assert_eq!(bw.lines().count(), 12);
    assert!(run.join("SPARSE_REPORT.csv").is_file());
    assert!(
        run.join("sparsim/report.json").is_file() && run.join("sparsim/timeline.json").is_file()
    );
    let bad_cfg = d.path().join("bad.cfg");
    std::fs::write(
        &bad_cfg,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("Dataflow : ws", "Dataflow : xs"),
    )
    .unwrap();
    let (code, _, err) = sparsim(
        &[
            "scalesim",
            "-c",
            "bad.cfg",
            "-t",
            &topo.display().to_string(),
            "-p",
            "o2",
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.cfg") && err.contains("dataflow") && err.contains("ws, os or is"),
        "{err}"
    );
    std::fs::write(d.path().join("t.csv"), "Layer, M, N, K,\nG1, 8, 8, 8\n").unwrap();
    let (code, _, err) = sparsim(
        &[
            "scalesim",
            "-c",
            &cfg.display().to_string(),
            "-t",
            "t.csv",
            "-p",
            "o3",
            "-i",
            "gemm",
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("t.csv") && err.contains("line 2") && err.contains("trailing comma"),
        "{err}"
    );
}

/// `sparsim kernel`: a kernel runs under its driver and lists what it executed; a bad kernel, a
/// stray access or a runaway loop exits with 2 naming the file and line, and leaves no output.
#[test]
fn kernel_runs_lists_and_refuses_bad_kernels() {
    let d = tempfile::tempdir().unwrap();
    let gemm = root().join("workloads/kernels/aarch64/sgemm_4x4.s");
    let g = gemm.display().to_string();
    let (code, out, err) = sparsim(
        &[
            "kernel", "run", &g, "--m", "8", "--n", "8", "--k", "16", "--inputs", "in.bin",
            "--output", "c.bin",
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("instructions executed") && out.contains("fma_elem 256"),
        "{out}"
    );
    assert_eq!(
        std::fs::metadata(d.path().join("c.bin")).unwrap().len(),
        8 * 8 * 4
    );
    let (code, out, _) = sparsim(
        &["kernel", "listing", &g, "--m", "4", "--n", "4", "--k", "3"],
        d.path(),
    );
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.contains("fma_elem") && l.contains(" 3 ")),
        "{out}"
    );
    // An existing output is never overwritten.
    let (code, _, err) = sparsim(&["kernel", "run", &g, "--output", "c.bin"], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists already"), "{err}");
    for (src, want) in [
        ("f:\n  fsqrt v0.4s, v1.4s\n  ret\n", "bad.s:2"),
        (
            "f:\n  ldr q0, [x2, #4096]\n  ret\n",
            "outside the memory its driver laid out",
        ),
        ("f:\n1:\n  b 1b\n", "without returning"),
    ] {
        std::fs::write(d.path().join("bad.s"), src).unwrap();
        let (code, _, err) = sparsim(
            &[
                "kernel", "run", "bad.s", "--budget", "1000", "--output", "o.bin",
            ],
            d.path(),
        );
        assert_eq!(code, 2, "{src:?}: {err}");
        assert!(
            err.contains(want) && !err.contains("panicked"),
            "{src:?}: {err}"
        );
        assert!(
            !d.path().join("o.bin").exists(),
            "{src:?}: output left behind"
        );
    }
}
