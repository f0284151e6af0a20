//! PIUMA through the command line: runs, result files, and bad input.

use super::{root, sparsim};

#[test]
fn piuma_experiment_runs_and_writes_c_that_reads_back() {
    let d = tempfile::tempdir().unwrap();
    let exp = root()
        .join("configs/experiments/smash-v1-karate.toml")
        .display()
        .to_string();
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
    let exp = root()
        .join("configs/experiments/smash-v1-karate.toml")
        .display()
        .to_string();
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
