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
        // An event-driven machine delivers events; a closed-form one (SAT) none, but time passes.
        assert!(r.simulated_ps > 0 && !r.stats.is_empty() && !r.derived.is_empty());
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
        // The commit a report records changes with every build: compared without it.
        let unbuilt = |t: &str| -> String {
            t.lines()
                .filter(|l| !l.trim_start().starts_with("\"sparsim_commit\""))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (got, want) = (unbuilt(&got), unbuilt(&want));
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

/// Issue 20: every numeric key of every machine's config, set to 0, -1, a huge value, NaN or a
/// string, either runs (cut short by a cycle limit) or is refused at load as bad input naming the
/// key. Never a panic, a watchdog stop, or a run error.
#[test]
fn every_numeric_key_at_an_edge_value_runs_or_is_refused_naming_it() {
    let mut failures = Vec::new();
    for m in MACHINES {
        let file = root().join(m.example());
        let example = sparsim::experiment::load(&file, &[]).unwrap();
        let keys = example.config_keys();
        // Machines that simulate cycle by cycle are cut short; closed-form ones run whole.
        let limited = keys.iter().any(|k| k == "limits.max_cycles");
        let limits = |n: &str| -> Vec<String> {
            if limited {
                vec![
                    format!("limits.max_cycles={n}"),
                    "limits.wall_clock_s=20.0".into(),
                ]
            } else {
                Vec::new()
            }
        };
        let echo = sparsim::experiment::load(&file, &limits("200"))
            .unwrap()
            .run()
            .unwrap()
            .report
            .config;
        for key in keys {
            // Numbers, and unset optional keys (most of them numbers: `dram.org.channels`).
            let Some(v) = lookup(&echo, &key).or(Some(&serde_json::Value::Null)) else {
                continue;
            };
            if !(v.is_number() || v.is_null()) {
                continue;
            }
            let huge = if v.is_f64() {
                "1e30"
            } else {
                "4611686018427387904"
            };
            for value in ["0", "-1", huge, "nan", "\"x\""] {
                let mut set = limits("3000");
                set.push(format!("{key}={value}"));
                let what = format!("{}: {key}={value}", m.name());
                if std::env::var_os("SPARSIM_TRACE_CASES").is_some() {
                    eprintln!("case {what}");
                }
                let outcome =
                    std::panic::catch_unwind(|| match sparsim::experiment::load(&file, &set) {
                        Err(e) if e.is_bad_input() => {
                            let msg = e.to_string();
                            let leaf = key.rsplit('.').next().unwrap_or(&key);
                            let leaf = leaf.split('[').next().unwrap_or(leaf);
                            if msg.contains(leaf) {
                                Ok(())
                            } else {
                                Err(format!("refused without naming the key: {msg}"))
                            }
                        }
                        Err(e) => Err(format!("load failed as not bad input: {e}")),
                        Ok(exp) => match exp.run() {
                            Ok(_) => Ok(()),
                            Err(e) => Err(format!("accepted, then the run failed: {e}")),
                        },
                    });
                match outcome {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => failures.push(format!("{what}: {e}")),
                    Err(_) => failures.push(format!("{what}: panicked")),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The value at key path `a.b[2].c` of a JSON value.
fn lookup<'v>(v: &'v serde_json::Value, key: &str) -> Option<&'v serde_json::Value> {
    let mut at = v;
    for part in key.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        at = at.get(name)?;
        if let Some(i) = index {
            at = at.get(i)?;
        }
    }
    Some(at)
}
