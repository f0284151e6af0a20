//! Regressions of sweeps: points checked before they run, failures and interruptions reported,
//! plots that hold every point.

use crate::{root, sparsim};

/// Issue 20, case 7: a sweep names everything it will use, and all of it is checked before the
/// first point runs: a typo in `metrics` or in a plot's metric, and an axis value of the wrong
/// type, used to surface only after (or while) the points ran.
#[test]
fn issue_20_a_sweep_checks_its_metrics_plots_and_values_before_running() {
    let d = tempfile::tempdir().unwrap();
    let base = root()
        .join("configs/experiments/cachesim-default.toml")
        .display()
        .to_string();
    for (name, body, expect) in [
        (
            "metric",
            "metrics = [\"l1d.mis_rate\"]\n[[axis]]\nkey = \"level[1].cache.n_ways\"\nvalues = [1, 2]\n",
            "metrics[0]: no run reports `l1d.mis_rate`",
        ),
        (
            "plot",
            "[[axis]]\nkey = \"level[1].cache.n_ways\"\nvalues = [1, 2]\n[[plot]]\nkind = \"lines\"\nx = \"level[1].cache.n_ways\"\ny = \"l1d.miss_rat\"\n",
            "plot[0].y: no run reports `l1d.miss_rat`",
        ),
        (
            "values",
            "[[axis]]\nkey = \"level[1].cache.n_ways\"\nvalues = [\"two\", 4]\n",
            "the value \"two\" is refused",
        ),
    ] {
        let file = d.path().join(format!("{name}.toml"));
        std::fs::write(
            &file,
            format!("name = \"{name}\"\nbase = \"{base}\"\n{body}"),
        )
        .unwrap();
        let (code, out, err) = sparsim(
            &["sweep", &file.display().to_string(), "--quiet", "--out", "r"],
            d.path(),
        );
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains(expect), "{name}: {err}");
        assert!(!d.path().join("r").exists(), "{name}: points ran");
    }
}

/// Issue 28, case 11: a sweep's points are all loaded before the first runs, so a value out of
/// range with the others (n_ways = 3 with sizes that are not multiples of 3 lines) is refused
/// up front naming the points, exit 2, nothing written; a sweep in which points fail when they
/// run (a watchdog) records the others and exits 1 saying how many failed (it exited 0).
#[test]
fn issue_28_a_sweep_resolves_every_point_first_and_fails_if_a_point_fails() {
    let d = tempfile::tempdir().unwrap();
    let base = root()
        .join("configs/experiments/cachesim-default.toml")
        .display()
        .to_string();
    let write = |name: &str, axis: &str| {
        let text = format!(
            "name = \"{name}\"\nbase = {base:?}\nmetrics = [\"core.cycles\"]\n[[axis]]\n{axis}\n"
        );
        std::fs::write(d.path().join(format!("{name}.toml")), text).unwrap();
        format!("{name}.toml")
    };
    let ways = write("ways", "key = \"level[1].cache.n_ways\"\nvalues = [2, 3]");
    let (code, _, err) = sparsim(&["sweep", &ways, "--out", "s", "--quiet"], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("1 of 2 points do not resolve") && err.contains("level[1].cache.n_ways=3"),
        "{err}"
    );
    assert!(!d.path().join("s").exists(), "nothing written");
    let (code, _, err) = sparsim(&["validate", &ways], d.path());
    assert_eq!(code, 2, "{err}");
    let dog = write(
        "dog",
        "key = \"limits.watchdog_cycles\"\nvalues = [1, 10000000]",
    );
    let (code, _, err) = sparsim(&["sweep", &dog, "--out", "s", "--quiet"], d.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("1 of 2 points failed"), "{err}");
    let results = std::fs::read_to_string(d.path().join("s/dog/results.jsonl")).unwrap();
    assert_eq!(
        results.lines().count(),
        2,
        "both points recorded: {results}"
    );
}

/// Issue 28, case 16: a two-axis sweep's heatmap is one grid of every point (it was drawn as one
/// single-cell heatmap per point, and the points past the twelfth were dropped).
#[test]
fn issue_28_a_two_axis_heatmap_holds_every_point_in_one_grid() {
    let d = tempfile::tempdir().unwrap();
    let base = root()
        .join("configs/experiments/cachesim-default.toml")
        .display()
        .to_string();
    let text = format!(
        "name = \"hm\"\nbase = {base:?}\nmetrics = [\"l1d.miss_rate\"]\n\
         [[axis]]\nkey = \"level[1].cache.size_bytes\"\nvalues = [4096, 8192, 16384, 32768]\n\
         [[axis]]\nkey = \"level[1].cache.n_ways\"\nvalues = [1, 2, 4, 8]\n\
         [[plot]]\nkind = \"heatmap\"\nx = \"level[1].cache.size_bytes\"\ny = \"level[1].cache.n_ways\"\nmetric = \"l1d.miss_rate\"\n"
    );
    std::fs::write(d.path().join("hm.toml"), text).unwrap();
    let (code, _, err) = sparsim(
        &["sweep", "hm.toml", "--out", "s", "--quiet", "--jobs", "2"],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let r = sparsim::sweep::render::render(&d.path().join("s/hm")).unwrap();
    let maps: Vec<_> = r
        .plots
        .iter()
        .filter(|p| p.display().to_string().contains("heatmap"))
        .collect();
    assert_eq!(maps.len(), 1, "{:?}", r.plots);
    let svg = std::fs::read_to_string(maps[0].with_extension("svg")).unwrap();
    assert!(!svg.contains(": #"), "one grid, not one per point");
}

/// Issue 28, case 17: Ctrl-C on a sweep says where the finished points are and how to resume
/// (it died silently), exit 130; a rerun without `--resume` says that the sweep's directory holds
/// this very sweep unfinished and how to continue it (it silently started over in a `-2` folder).
#[test]
fn issue_28_an_interrupted_sweep_says_how_to_resume() {
    let d = tempfile::tempdir().unwrap();
    let sweep = root()
        .join("configs/sweeps/cachesim-size-ways.toml")
        .display()
        .to_string();
    let interrupt = |dir: &str| {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_sparsim"))
            .args(["sweep", &sweep, "--quiet", "--jobs", "1", "--out", "s"])
            .current_dir(d.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The handler is in place once the sweep's directory has its results file.
        let log = d.path().join("s").join(dir).join("results.jsonl");
        while !log.exists() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        // SAFETY: sends SIGINT to the child we spawned.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGINT);
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = interrupt("cachesim-size-ways");
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("--resume s/cachesim-size-ways"),
        "{err}"
    );
    let (_, err) = interrupt("cachesim-size-ways-2");
    assert!(
        err.contains("holds")
            && err.contains("of 40 points of this same sweep")
            && err.contains("--resume s/cachesim-size-ways"),
        "{err}"
    );
}
