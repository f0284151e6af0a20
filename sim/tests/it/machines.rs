//! Every registered machine, through the registry: a smoke run of its example experiment, and its
//! `report.json` byte-compared with a golden copy (`sim/tests/golden/<machine>.json`).
//!
//! After a change that is meant to move a machine's results, regenerate the golden files with
//! `UPDATE_GOLDEN=1 cargo test --test it golden` and commit them with the change that moved them.

use sparsim::machines::{self, MACHINES};

use super::{root, sparsim};

#[test]
fn every_registered_machine_runs_its_example_to_completion() {
    assert!(MACHINES.len() >= 2);
    for m in MACHINES {
        let exp = sparsim::experiment::load(&root().join(m.example()), &[])
            .unwrap_or_else(|e| panic!("{}: {e}", m.name()));
        assert_eq!(exp.machine().name(), m.name());
        assert!(!exp.config_keys().is_empty(), "{}", m.name());
        let o = exp.run().unwrap_or_else(|e| panic!("{}: {e}", m.name()));
        let r = &o.report;
        assert!(
            r.kind.starts_with(m.name()),
            "{}: kind {}",
            m.name(),
            r.kind
        );
        assert_eq!(
            serde_json::to_value(r.stop_reason).unwrap(),
            "drained",
            "{}",
            m.name()
        );
        assert!(r.n_events > 0 && !r.stats.is_empty() && !r.derived.is_empty());
        assert!(o.work.0 > 0, "{}: no work counted", m.name());
        assert!(!m.headline(r).is_empty());
        assert!(!m.kernels().is_empty() && !m.description().is_empty());
        assert_eq!(machines::find(m.name()).unwrap().name(), m.name());
    }
    let e = machines::find("nope").err().unwrap();
    assert!(MACHINES.iter().all(|m| e.contains(m.name())), "{e}");
}

#[test]
fn golden_report_json_of_every_machine() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let d = tempfile::tempdir().unwrap();
    for m in MACHINES {
        let out = d.path().join(m.name());
        let (code, _, err) = sparsim(
            &["run", m.example(), "--out", &out.display().to_string()],
            &root(),
        );
        assert_eq!(code, 0, "{}: {err}", m.name());
        let dir = std::fs::read_dir(&out)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let got = std::fs::read_to_string(dir.join("report.json")).unwrap();
        let golden = root().join(format!("sim/tests/golden/{}.json", m.name()));
        if update {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
            panic!(
                "{}: no golden report; make it with UPDATE_GOLDEN=1 cargo test --test it golden",
                golden.display()
            )
        });
        if got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{}: report.json differs from {} from line {}:\n got: {}\nwant: {}\n(if the change is intended: UPDATE_GOLDEN=1 cargo test --test it golden)",
                m.name(),
                golden.display(),
                line + 1,
                got.lines().nth(line).unwrap_or(""),
                want.lines().nth(line).unwrap_or("")
            );
        }
    }
}
