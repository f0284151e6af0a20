//! PIUMA through the command line: runs, result files, and bad input.

use super::{root, sparsim};

/// The bundled SMASH V1 experiment on karate, a run of a fraction of a second.
fn karate() -> String {
    root()
        .join("configs/experiments/smash-v1-karate.toml")
        .display()
        .to_string()
}

#[test]
fn piuma_experiment_runs_and_writes_c_that_reads_back() {
    let d = tempfile::tempdir().unwrap();
    let exp = karate();
    let (code, out, err) = sparsim(
        &["run", &exp, "--out", "r", "--write-result", "c.mtx"],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("C has 698 entries") && out.contains("simulation speed"),
        "{out}"
    );
    let c = sparsim::workload::mtx::read(&d.path().join("c.mtx")).unwrap();
    assert_eq!(c.nnz(), 698);
    let report = std::fs::read_to_string(d.path().join("r/smash-v1-karate/report.json")).unwrap();
    assert!(report.contains("\"smash.hash_probes\"") && report.contains("\"core0.spad.atomics\""));
    // The per-pipeline-kind means split the operations between the kinds' threads exactly.
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    let derived = |k: &str| r["derived"][k]["value"].as_f64().unwrap();
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
    let used = derived("dram.bandwidth_gb_s") / bound;
    assert!(used > 0.0 && (derived("dram.column_bound_use") - used).abs() < 1e-12);
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
    let exp: sparsim::experiment::PiumaExperiment = sparsim::config::load(&file, &[]).unwrap();
    let (a, b) = sparsim::experiment::load_matrices(&exp, &file).unwrap();
    let run = || {
        sparsim::experiment::run_piuma(&exp, &file, &a, &b)
            .unwrap()
            .report
            .to_json()
    };
    let (x, y) = (run(), run());
    assert!(x == y, "two runs of one PIUMA experiment differ");
    assert!(x.contains("\"smash.hash_probes\""));
}

#[test]
fn scaling_prints_each_thread_count_with_what_bounds_it_and_takes_overrides() {
    let d = tempfile::tempdir().unwrap();
    let exp = karate();
    let (code, out, err) = sparsim(
        &[
            "scaling",
            &exp,
            "--out",
            "r",
            "--set",
            "piuma.dram_channels=8",
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let points: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("threads per MTP "))
        .collect();
    assert_eq!(points.len(), 7, "{out}");
    assert!(points[0].contains("speedup 1.00; DRAM"), "{out}");
    let md =
        std::fs::read_to_string(d.path().join("r/scaling-smash-v1-karate/summary.md")).unwrap();
    assert!(
        md.contains("| DRAM use | memory | atomic | barrier | finished |"),
        "{md}"
    );
    assert!(d
        .path()
        .join("r/scaling-smash-v1-karate/scaling.svg")
        .exists());
    // The override reached the runs: twice the channels of the default 4 double the DRAM's
    // column-rate bound, so its use (in brackets) drops.
    let use_at_1 = |out: &str| -> f64 {
        let line = out
            .lines()
            .find(|l| l.starts_with("threads per MTP  1:"))
            .unwrap();
        let inner = line.split('(').nth(1).unwrap().split(')').next().unwrap();
        inner.parse().unwrap()
    };
    let (code, default_out, err) = sparsim(&["scaling", &exp, "--out", "r1"], d.path());
    assert_eq!(code, 0, "{err}");
    assert!(
        use_at_1(&out) < use_at_1(&default_out),
        "{out}\n{default_out}"
    );
    // A key that does not exist is refused.
    let (code, _, err) = sparsim(
        &[
            "scaling",
            &exp,
            "--out",
            "r2",
            "--set",
            "piuma.dram_lanes=8",
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dram_lanes"), "{err}");
}

#[test]
fn scaling_gives_the_same_table_whatever_the_number_of_runs_at_once() {
    let d = tempfile::tempdir().unwrap();
    let exp = karate();
    let mut tables = Vec::new();
    for (jobs, out) in [("1", "j1"), ("3", "j3")] {
        let (code, _, err) = sparsim(&["scaling", &exp, "--jobs", jobs, "--out", out], d.path());
        assert_eq!(code, 0, "{err}");
        tables.push(
            std::fs::read_to_string(
                d.path()
                    .join(out)
                    .join("scaling-smash-v1-karate/summary.md"),
            )
            .unwrap(),
        );
    }
    assert!(tables[0] == tables[1], "{}\n{}", tables[0], tables[1]);
    let (code, _, err) = sparsim(&["scaling", &exp, "--jobs", "0", "--out", "j0"], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--jobs 0"), "{err}");
    assert!(!d.path().join("j0").exists());
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
