//! Regressions, named by issue and case: each failed before its fix.

use super::{root, sparsim};

fn karate() -> String {
    root()
        .join("configs/experiments/smash-v1-karate.toml")
        .display()
        .to_string()
}

/// Issue 20, cases 2 to 4 and 9: values that used to panic, deadlock, end in a watchdog stop or
/// blame the wrong key are refused before the run, exit code 2, naming the key and the limit.
#[test]
fn issue_20_bad_machine_values_are_refused_naming_the_key() {
    let d = tempfile::tempdir().unwrap();
    let exp = karate();
    for (set, expect) in [
        (
            "piuma.link_bytes_per_cycle=0",
            "piuma.link_bytes_per_cycle = 0",
        ),
        ("piuma.threads_per_mtp=128", "64-bit mask"),
        ("piuma.threads_per_mtp=65", "piuma.threads_per_mtp = 65"),
        ("piuma.clock_mhz=1e30", "piuma.clock_mhz"),
        ("piuma.mesh_cols=0", "piuma.mesh_cols = 0"),
        ("limits.watchdog_cycles=0", "limits.watchdog_cycles = 0"),
    ] {
        let (code, _, err) = sparsim(&["run", &exp, "--out", "r", "--set", set], d.path());
        assert_eq!(code, 2, "{set}: {err}");
        assert!(err.contains(expect), "{set}: {err}");
        assert!(!err.contains("panicked"), "{set}: {err}");
    }
    let cs = root()
        .join("configs/experiments/cachesim-default.toml")
        .display()
        .to_string();
    let (code, _, err) = sparsim(
        &[
            "run",
            &cs,
            "--out",
            "r",
            "--set",
            "limits.watchdog_cycles=0",
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("limits.watchdog_cycles = 0"), "{err}");
    assert!(
        !d.path().join("r").exists(),
        "nothing ran, nothing was written"
    );
}

/// Issue 20, case 5: an output that cannot be written is found before the simulation, named,
/// and called what it is (not "must not exist" for a read-only folder).
#[test]
fn issue_20_unwritable_outputs_are_refused_before_running_naming_the_path() {
    let d = tempfile::tempdir().unwrap();
    let exp = karate();
    // /proc is read-only for everyone, root included.
    let (code, out, err) = sparsim(&["run", &exp, "--out", "/proc/sparsim-reports"], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/proc/sparsim-reports"), "{err}");
    assert!(
        !out.contains("simulation speed"),
        "it ran before failing: {out}"
    );
    let (code, _, err) = sparsim(
        &["run", &exp, "--out", "r", "--write-result", "/proc/c.mtx"],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/proc/c.mtx") && !err.contains("exist"),
        "{err}"
    );
    assert!(!d.path().join("r").exists());
    std::fs::write(d.path().join("c.mtx"), "mine").unwrap();
    let (code, _, err) = sparsim(
        &["run", &exp, "--out", "r", "--write-result", "c.mtx"],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists already"), "{err}");
    assert_eq!(
        std::fs::read_to_string(d.path().join("c.mtx")).unwrap(),
        "mine"
    );
    let (code, _, err) = sparsim(
        &[
            "reproduce",
            "smash",
            "--only",
            "bcsstk13",
            "--out",
            "/proc/sparsim-reports",
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/proc/sparsim-reports"), "{err}");
    let sweep = root()
        .join("configs/sweeps/cachesim-size-ways.toml")
        .display()
        .to_string();
    let (code, _, err) = sparsim(
        &["sweep", &sweep, "--quiet", "--out", "/proc/sparsim-reports"],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/proc/sparsim-reports"), "{err}");
}
