//! PIUMA through the command line: runs, result files, and bad input.

use super::{karate, root, sparsim};

#[test]
fn piuma_experiment_runs_and_writes_c_that_reads_back() {
    let d = tempfile::tempdir().unwrap();
    let exp = karate();
    let (code, out, err) = sparsim(
        &["run", &exp, "--out", "r", "--write-result", "c.mtx"],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("simulation speed"), "{out}");
    let c = sparsim::workload::mtx::read(&d.path().join("c.mtx")).unwrap();
    assert_eq!(c.nnz(), 698);
    let report = std::fs::read_to_string(d.path().join("r/smash-v1-karate/report.json")).unwrap();
    assert!(report.contains("\"smash.hash_probes\"") && report.contains("\"core0.spad.atomics\""));
    // The per-pipeline-kind means split the operations between the kinds' threads exactly.
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    let derived = |k: &str| r["derived"][k]["value"].as_f64().unwrap();
    assert_eq!(derived("c_nnz"), 698.0);
    let p = &r["config"]["piuma"];
    let n = |k: &str| p[k].as_u64().unwrap() as f64;
    let cores = n("n_cores") * n("n_dies");
    let (mtp_threads, stp_threads) = (
        cores * n("n_mtp") * n("threads_per_mtp"),
        cores * n("n_stp"),
    );
    assert!(stp_threads > 0.0);
    let split = derived("threads.mtp_instructions_mean") * mtp_threads
        + derived("threads.stp_instructions_mean") * stp_threads;
    assert!(
        (split - derived("instructions")).abs() < 1e-6 * derived("instructions"),
        "{split} vs {}",
        derived("instructions")
    );
    // DDR5-4400 (configs/presets/dram/ddr5-4400.toml): column commands at least tCCD_S = 8 clocks
    // of 454 ps apart, 8 bytes each, on each channel.
    let bound = n("dram_channels") * 8.0 / (8.0 * 454e-12) / 1e9;
    assert!(
        (derived("dram.column_bound_gb_s") - bound).abs() < 1e-9,
        "{bound}"
    );
    // The bound's use, counted another way: column commands issued over the most the channels
    // could have issued in the run's simulated time (one per tCCD_S each).
    let stat = |k: &str| {
        r["stats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == k)
            .unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    let seconds = r["simulated_ps"].as_f64().unwrap() * 1e-12;
    let most_commands = n("dram_channels") * seconds / (8.0 * 454e-12);
    let used = (stat("dram.reads") + stat("dram.writes")) / most_commands;
    assert!(used > 0.0 && used <= 1.0, "{used}");
    assert!(
        (derived("dram.column_bound_use") - used).abs() < 1e-6 * used,
        "{} vs {used}",
        derived("dram.column_bound_use")
    );
    // The result file is never overwritten.
    let (code, _, err) = sparsim(
        &["run", &exp, "--out", "r", "--write-result", "c.mtx"],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn piuma_bad_input_exits_2_naming_the_key() {
    let d = tempfile::tempdir().unwrap();
    let exp = karate();
    for (set, expect) in [
        (
            vec!["--set", "piuma.n_mtp=0", "--set", "piuma.n_stp=0"],
            "at least one thread",
        ),
        (vec!["--set", "piuma.spad_bytes=4096"], "piuma.spad_bytes"),
        (vec!["--set", "kernel=\"fastest\""], "kernel"),
        (vec!["--set", "workload.product=\"a_b\""], "workload.b"),
        (
            vec![
                "--set",
                "workload.a.file=\"../../sim/tests/data/bad-matrices/mangled7.mtx\"",
            ],
            "mangled7.mtx:",
        ),
    ] {
        let mut args = vec!["run", exp.as_str(), "--out", "r"];
        args.extend(set.iter().copied());
        let (code, _, err) = sparsim(&args, d.path());
        assert_eq!(code, 2, "{set:?}: {err}");
        assert!(err.contains(expect), "{set:?}: {err}");
    }
    // A·B with incompatible shapes.
    let (code, _, err) = sparsim(
        &[
            "run",
            &exp,
            "--out",
            "r",
            "--set",
            "workload.product=\"a_b\"",
            "--set",
            "workload.b.file=\"lp_afiro.mtx\"",
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn same_piuma_experiment_gives_identical_report_json() {
    let file = root().join("configs/experiments/smash-v1-west0067.toml");
    let run = || {
        sparsim::experiment::load(&file, &[])
            .unwrap()
            .run()
            .unwrap()
            .report
            .to_json()
    };
    let (x, y) = (run(), run());
    assert!(x == y, "two runs of one PIUMA experiment differ");
    assert!(x.contains("\"smash.hash_probes\""));
}

/// Thread scaling is a sweep (configs/sweeps/piuma-thread-scaling.toml); here the same on karate,
/// with the DRAM's channels as a second axis.
#[test]
fn thread_scaling_sweep_records_the_dram_bound_beside_each_point() {
    let d = tempfile::tempdir().unwrap();
    let sweep = d.path().join("scaling.toml");
    std::fs::write(
        &sweep,
        format!(
            r#"name = "scaling"
base = "{}"
metrics = ["cycles", "dram.column_bound_use", "thread_cycles.barrier"]
[[axis]]
key = "piuma.threads_per_mtp"
values = [1, 4]
[[axis]]
key = "piuma.dram_channels"
values = [4, 8]
[[plot]]
kind = "speedup"
metric = "cycles"
baseline = {{ "piuma.threads_per_mtp" = 1, "piuma.dram_channels" = 4 }}
"#,
            karate()
        ),
    )
    .unwrap();
    let dir = d.path().join("out");
    let (code, _, err) = sparsim(
        &[
            "sweep",
            &sweep.display().to_string(),
            "--quiet",
            "--dir",
            &dir.display().to_string(),
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let recs: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 4);
    let bound_use = |threads: u64, channels: u64| -> f64 {
        let r = recs
            .iter()
            .find(|r| {
                r["axes"]["piuma.threads_per_mtp"] == threads
                    && r["axes"]["piuma.dram_channels"] == channels
            })
            .unwrap();
        r["metrics"]["dram.column_bound_use"]["value"]
            .as_f64()
            .unwrap()
    };
    // Twice the channels double the column-rate bound, so the same traffic uses less of it.
    assert!(bound_use(1, 8) < bound_use(1, 4));
    assert!(bound_use(1, 4) > 0.0 && bound_use(1, 4) <= 1.0);
    assert!(std::fs::read_dir(dir.join("plots")).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("speedup")));
}

#[test]
fn reproduce_rejects_unknown_kernels_keys_values_and_no_jobs_before_running_anything() {
    let d = tempfile::tempdir().unwrap();
    for (args, names) in [
        (
            &["--kernels", "rowwise-dense,nope"][..],
            &["--kernels", "\"nope\"", "smash-v1"][..],
        ),
        (
            &["--kernels", "rowwise-dense"],
            &["--kernels", "at least one SMASH"],
        ),
        (
            &["--set", "piuma.nope=1"],
            &["piuma.nope", "dense_acc_spad_share"],
        ),
        (
            &["--set", "piuma.dense_acc_spad_share=1.5"],
            &["piuma.dense_acc_spad_share", "from 0"],
        ),
        (&["--jobs", "0"], &["--jobs 0", "at least 1"]),
    ] {
        let mut argv = vec!["reproduce", "smash", "--out", "r"];
        argv.extend_from_slice(args);
        let (code, out, err) = sparsim(&argv, d.path());
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        for n in names {
            assert!(err.contains(n), "{args:?}: {err}");
        }
        assert!(!d.path().join("r").exists(), "{args:?} wrote a report");
    }
}

#[test]
fn piuma_limits_table_stops_a_run_and_refuses_a_zero_watchdog() {
    let file = root().join("configs/experiments/smash-v1-karate.toml");
    let o = sparsim::experiment::load(&file, &["limits.max_cycles=2000".into()])
        .unwrap()
        .run()
        .unwrap();
    let r = &o.report;
    assert_eq!(
        serde_json::to_value(r.stop_reason).unwrap(),
        "tick_limit",
        "a cycle limit ends the run early"
    );
    assert_eq!(r.derived["cycles"].value, 2000.0);
    assert_eq!(r.config["limits"]["max_cycles"], 2000);
    // A watchdog shorter than the run's quiet stretches stops it as stuck (exit 1 from the CLI);
    // zero is refused before anything runs.
    let e = sparsim::experiment::load(&file, &["limits.watchdog_cycles=0".into()])
        .err()
        .unwrap();
    assert!(e.is_bad_input());
    assert!(e.to_string().contains("limits.watchdog_cycles = 0"), "{e}");
    let e = sparsim::experiment::load(&file, &["max_cycles=5".into()])
        .err()
        .unwrap();
    assert!(e.to_string().contains("limits"), "{e}");
    // An instruction limit belongs to the mobile cores: refused here, naming the key.
    let e = sparsim::experiment::load(&file, &["limits.max_instructions=5".into()])
        .err()
        .unwrap();
    assert!(e.is_bad_input());
    assert!(e.to_string().contains("limits.max_instructions"), "{e}");
}

/// Issue 20, case 1: an override changes exactly the key it names. Setting one key of
/// `[piuma.dram]` used to replace the whole table, dropping the die's 8-byte accesses and its
/// address mapping (restating the default preset changed the cycles), and setting another key
/// alone failed with "missing field preset".
#[test]
fn an_override_of_one_nested_key_keeps_its_siblings_defaults() {
    let file = root().join("configs/experiments/smash-v1-karate.toml");
    let cycles = |set: &[&str]| -> f64 {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        let o = sparsim::experiment::load(&file, &set)
            .unwrap_or_else(|e| panic!("{set:?}: {e}"))
            .run()
            .unwrap();
        assert_eq!(
            o.report.config["piuma"]["dram"]["access_bytes"], 8,
            "{set:?}"
        );
        o.report.derived["cycles"].value
    };
    let plain = cycles(&[]);
    assert_eq!(cycles(&["piuma.dram.preset=\"DDR5-4400\""]), plain);
    assert_ne!(cycles(&["piuma.dram.page_policy=\"closed\""]), 0.0);
    assert_eq!(cycles(&["piuma.n_cores=8"]), plain);
}
