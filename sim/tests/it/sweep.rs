//! Sweeps end to end through the binary: the same results however they run (one job or two,
//! sharded and merged, killed and resumed), and bad input refused with exit code 2.

use std::path::{Path, PathBuf};

use super::{root, sparsim};

/// A 6-point sweep (3 sizes x 2 associativities) on the bundled cachesim experiment, each run cut
/// short by a cycle limit so the test stays fast in a debug build. The one point with 16 KiB and
/// a bad replacement policy fails on purpose.
fn write_sweep(dir: &Path, name: &str, extra: &str) -> PathBuf {
    write_sweep_cycles(dir, name, extra, 60_000)
}

fn write_sweep_cycles(dir: &Path, name: &str, extra: &str, max_cycles: u64) -> PathBuf {
    let base = root()
        .join("configs/experiments/cachesim-default.toml")
        .display()
        .to_string();
    let text = format!(
        r#"name = "{name}"
base = "{base}"
seed = 5
metrics = ["l1d.miss_rate"]

[[axis]]
key = "level[1].cache.size_bytes"
values = [4096, 8192, 16384]
unit = "B"

[[axis]]
key = "level[1].cache.n_ways"
values = [1, 4]

[[workload]]
name = "short"
set = {{ "limits.max_cycles" = {max_cycles} }}
{extra}"#
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn results(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("results.jsonl")).unwrap()
}

#[test]
fn one_job_two_jobs_shards_and_resume_give_identical_results() {
    let d = tempfile::tempdir().unwrap();
    let f = write_sweep(d.path(), "same", "");
    let out = d.path().join("out");
    let (code, _, err) = sparsim(
        &["sweep", &s(&f), "--jobs", "1", "--quiet", "--out", &s(&out)],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let one = results(&out.join("same"));
    assert_eq!(one.lines().count(), 6);
    // Lines are in point order and each is a complete record.
    for (i, line) in one.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["index"], i);
        assert_eq!(v["status"], "ok", "{line}");
    }

    let out2 = d.path().join("out2");
    let (code, _, err) = sparsim(
        &[
            "sweep",
            &s(&f),
            "--jobs",
            "2",
            "--quiet",
            "--out",
            &s(&out2),
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        results(&out2.join("same")),
        one,
        "--jobs 2 differs from --jobs 1"
    );

    // Three shards, then merge.
    let shards = d.path().join("shards");
    let mut dirs = Vec::new();
    for i in 1..=3 {
        let spec = format!("{i}/3");
        let (code, _, err) = sparsim(
            &[
                "sweep",
                &s(&f),
                "--shard",
                &spec,
                "--quiet",
                "--out",
                &s(&shards),
            ],
            d.path(),
        );
        assert_eq!(code, 0, "{err}");
        dirs.push(s(&shards.join(format!("same.shard-{i}-of-3"))));
    }
    let shard_lines: usize = dirs
        .iter()
        .map(|d| results(Path::new(d)).lines().count())
        .sum();
    assert_eq!(shard_lines, 6, "shards must cover every point exactly once");
    let merged = d.path().join("merged");
    let mut args = vec!["sweep", "merge"];
    args.extend(dirs.iter().map(String::as_str));
    let m = s(&merged);
    args.extend(["--out", &m]);
    let (code, _, err) = sparsim(&args, d.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        results(&merged),
        one,
        "merged shards differ from one process"
    );
    assert!(merged.join("index.html").exists());

    // Resume after losing the last points and tearing the last line, as a kill would.
    let cut = out2.join("same/results.jsonl");
    let mut partial: Vec<&str> = one.lines().take(3).collect();
    partial.push(&one.lines().nth(3).unwrap()[..40]);
    std::fs::write(&cut, partial.join("\n")).unwrap();
    let (code, out_text, err) = sparsim(
        &["sweep", &s(&f), "--resume", "--quiet", "--out", &s(&out2)],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out_text.contains("3 already done"), "{out_text}");
    assert!(out_text.contains("torn last line"), "{out_text}");
    assert_eq!(results(&out2.join("same")), one, "resumed differs");
}

#[test]
fn a_killed_sweep_resumes_with_no_point_lost_or_repeated() {
    let d = tempfile::tempdir().unwrap();
    // Whole runs (about a second each in a debug build), so the kill lands mid-sweep.
    let f = write_sweep_cycles(d.path(), "killed", "", 10_000_000);
    let out = d.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sparsim"))
        .args(["sweep", &s(&f), "--jobs", "1", "--quiet", "--out", &s(&out)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let log = out.join("killed/results.jsonl");
    // Kill (SIGKILL) as soon as at least one point is recorded.
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()) == 0 {
        assert!(start.elapsed().as_secs() < 120, "no point finished");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = std::fs::read_to_string(&log).unwrap();
    assert!(
        before.lines().count() < 6,
        "the sweep ended before the kill; the test needs longer points"
    );
    let (code, text, err) = sparsim(
        &["sweep", &s(&f), "--resume", "--quiet", "--out", &s(&out)],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let after = results(&out.join("killed"));
    let ids: std::collections::BTreeSet<String> = after
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(after.lines().count(), 6, "{after}");
    assert_eq!(ids.len(), 6, "a point was repeated");
    // What was recorded before the kill is kept as it was.
    for line in before.lines().filter(|l| l.ends_with('}')) {
        assert!(after.contains(line), "lost: {line}");
    }
    assert!(text.contains("already done"), "{text}");
}

#[test]
fn results_csv_has_units_and_the_report_has_plots() {
    let d = tempfile::tempdir().unwrap();
    let extra = "[[plot]]\nkind = \"heatmap\"\nx = \"level[1].cache.size_bytes\"\ny = \"level[1].cache.n_ways\"\nmetric = \"l1d.miss_rate\"\n";
    let f = write_sweep(d.path(), "views", extra);
    let out = d.path().join("out");
    let (code, _, err) = sparsim(&["sweep", &s(&f), "--quiet", "--out", &s(&out)], d.path());
    assert_eq!(code, 0, "{err}");
    let dir = out.join("views");
    let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for col in [
        "level[1].cache.size_bytes [B]",
        "l1d.miss_rate [ratio]",
        "energy_uj [uJ]",
        "simulated_time [ps]",
    ] {
        assert!(header.contains(col), "{col} not in {header}");
    }
    assert_eq!(csv.lines().count(), 7);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("Sweep views"),
        "no inline plot"
    );
    assert!(dir.join("plots/01-heatmap-0.png").exists());
    // `report` redoes the views from the results alone.
    std::fs::remove_file(dir.join("index.html")).unwrap();
    let (code, _, err) = sparsim(&["report", &s(&dir)], d.path());
    assert_eq!(code, 0, "{err}");
    assert!(dir.join("index.html").exists());
}

#[test]
fn bad_sweeps_exit_2_with_the_fix() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let cases = [
        (
            "level[1].cache.n_ways",
            "level[1].cache.n_wayz",
            "did you mean `level[1].cache.n_ways`",
        ),
        ("values = [1, 4]", "values = []", "empty"),
        (
            "values = [1, 4]",
            "range = { from = 8, to = 1, step = 1 }",
            "sign",
        ),
        ("values = [1, 4]", "log = { from = 1, to = 8 }", "factor"),
    ];
    for (i, (from, to, want)) in cases.iter().enumerate() {
        let f = write_sweep(d.path(), &format!("bad{i}"), "");
        let text = std::fs::read_to_string(&f).unwrap().replacen(from, to, 1);
        std::fs::write(&f, text).unwrap();
        let (code, _, err) = sparsim(&["sweep", &s(&f), "--out", &s(&out)], d.path());
        assert_eq!(code, 2, "{to}: {err}");
        assert!(err.contains(want) && err.contains(&s(&f)), "{to}: {err}");
    }
    assert!(!out.exists(), "a refused sweep created its directory");
    let f = write_sweep(d.path(), "shards", "");
    for spec in ["0/0", "5/4", "0/3", "x/2"] {
        let (code, _, err) = sparsim(&["sweep", &s(&f), "--shard", spec], d.path());
        assert_eq!(code, 2, "{spec}: {err}");
        assert!(
            err.contains("--shard") && err.contains("1 <= i <= N"),
            "{err}"
        );
    }
}

#[test]
fn resume_and_merge_refuse_what_does_not_fit_and_overwrite_nothing() {
    let d = tempfile::tempdir().unwrap();
    let f = write_sweep(d.path(), "guard", "");
    let out = d.path().join("out");
    let (code, _, err) = sparsim(&["sweep", &s(&f), "--quiet", "--out", &s(&out)], d.path());
    assert_eq!(code, 0, "{err}");
    let dir = out.join("guard");
    let before = results(&dir);

    // The sweep changes; resuming the old directory is refused.
    let text = std::fs::read_to_string(&f)
        .unwrap()
        .replace("[1, 4]", "[1, 2]");
    std::fs::write(&f, text).unwrap();
    let (code, _, err) = sparsim(&["sweep", &s(&f), "--resume", "--out", &s(&out)], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("changed") && err.contains("without --resume"),
        "{err}"
    );
    assert_eq!(results(&dir), before);

    // Overlapping merge inputs; a merge into an existing directory.
    let (code, _, err) = sparsim(
        &[
            "sweep",
            "merge",
            &s(&dir),
            &s(&dir),
            "--out",
            &s(&d.path().join("m")),
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("overlap"), "{err}");
    let (code, _, err) = sparsim(&["sweep", "merge", &s(&dir), "--out", &s(&dir)], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("never into an existing"), "{err}");
    assert_eq!(results(&dir), before);

    // A shard alone is missing points.
    let (code, _, err) = sparsim(
        &[
            "sweep",
            &s(&write_sweep(d.path(), "part", "")),
            "--shard",
            "1/2",
            "--quiet",
            "--out",
            &s(&out),
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = sparsim(
        &[
            "sweep",
            "merge",
            &s(&out.join("part.shard-1-of-2")),
            "--out",
            &s(&d.path().join("m2")),
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("have no result"), "{err}");
    assert!(!d.path().join("m2").exists());
}

#[test]
fn every_bundled_sweep_file_loads_and_expands() {
    let dir = root().join("configs/sweeps");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let s = sparsim::sweep::Sweep::load(&p).unwrap_or_else(|e| panic!("{e}"));
            assert!(!s.points.is_empty(), "{}", p.display());
            n += 1;
        }
    }
    assert!(n >= 2, "expected the example sweeps in {}", dir.display());
}

/// Issue 20: a sweep killed with SIGKILL at 20 moments drawn from a fixed seed, and resumed
/// after each (`--resume DIR`), ends with `results.jsonl` byte-identical to an unbroken run.
#[test]
fn twenty_kills_and_resumes_give_the_unbroken_results() {
    let d = tempfile::tempdir().unwrap();
    let extra = "[[axis]]\nkey = \"level[0].cache.n_ways\"\nvalues = [1, 2, 4, 8]\n";
    let f = write_sweep_cycles(d.path(), "kills", extra, 200_000);
    let whole = d.path().join("whole");
    let (code, _, err) = sparsim(
        &[
            "sweep",
            &s(&f),
            "--quiet",
            "--jobs",
            "2",
            "--dir",
            &s(&whole),
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let want = results(&whole);
    assert_eq!(want.lines().count(), 24);
    let dir = d.path().join("broken");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut killed_mid_sweep = 0;
    for k in 0..20 {
        // xorshift64: the kill moments are the same on every run of the test.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay_ms = 20 + state % 400;
        let mut args = vec![
            "sweep".to_string(),
            s(&f),
            "--quiet".into(),
            "--jobs".into(),
            "2".into(),
        ];
        if k == 0 {
            args.extend(["--dir".into(), s(&dir)]);
        } else {
            args.extend(["--resume".into(), s(&dir)]);
        }
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sparsim"))
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            killed_mid_sweep += 1;
        }
        let _ = child.kill();
        child.wait().unwrap();
    }
    let (code, _, err) = sparsim(
        &["sweep", &s(&f), "--quiet", "--resume", &s(&dir)],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        killed_mid_sweep >= 10,
        "only {killed_mid_sweep} kills landed mid-sweep"
    );
    assert_eq!(
        results(&dir),
        want,
        "20 kills and resumes changed the results"
    );
}
