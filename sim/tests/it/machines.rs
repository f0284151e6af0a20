//! Every registered machine, through the registry: a smoke run of its example experiment, and its
//! `report.json` byte-compared with a golden copy (`sim/tests/golden/<machine>.json`).
//!
//! After a change that is meant to move a machine's results, regenerate the golden files with
//! `UPDATE_GOLDEN=1 cargo test --test it golden` and commit them with the change that moved them.

use std::path::Path;

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

/// Issues 20 and 28: every numeric key of every machine's config, set to 0, -1, a huge value
/// (1e30 or 2^63-1), NaN, a string or a tiny fraction, either runs (cut short by a cycle limit) to
/// a report whose every figure is finite and unsaturated, or is refused at load as bad input
/// naming the key. Never a panic, a watchdog stop, a run error, or exit 0 with a meaningless
/// result.
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
            for value in EDGE_VALUES.map(|v| if v == "x" { "\"x\"" } else { v }) {
                let mut set = limits("3000");
                set.push(format!("{key}={value}"));
                let what = format!("{}: {key}={value}", m.name());
                if std::env::var_os("SPARSIM_TRACE_CASES").is_some() {
                    eprintln!("case {what}");
                }
                // A number's key given no number of anything must not run.
                let must_refuse = v.is_number() && ["nan", "\"x\""].contains(&value);
                let outcome =
                    std::panic::catch_unwind(|| match sparsim::experiment::load(&file, &set) {
                        Ok(_) if must_refuse => Err("accepted".to_string()),
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
                            Ok(o) => meaningless(&o.report).map_or(Ok(()), Err),
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

/// What makes a finished run's report meaningless, if anything: a simulated time, statistic,
/// metric, energy or table cell that is not finite or is stuck at a type's maximum (saturated).
fn meaningless(r: &sparsim::report::RunReport) -> Option<String> {
    const SATURATED: f64 = 9.2e18; // i64::MAX and above: a counter that hit its type's ceiling
    let bad = |x: f64| !x.is_finite() || x.abs() >= SATURATED;
    if r.simulated_ps >= 1 << 63 {
        return Some(format!("simulated_ps = {}", r.simulated_ps));
    }
    if let Some(s) = r.stats.iter().find(|s| s.value >= 1 << 63) {
        return Some(format!("statistic {} = {}", s.name, s.value));
    }
    if let Some((k, m)) = r.derived.iter().find(|(_, m)| bad(m.value)) {
        return Some(format!("metric {k} = {}", m.value));
    }
    if bad(r.energy.total_pj) {
        return Some(format!("energy.total_pj = {}", r.energy.total_pj));
    }
    for t in &r.tables {
        for row in &t.rows {
            for (c, v) in t.columns.iter().zip(row) {
                if v.is_null() || v.as_f64().is_some_and(bad) {
                    return Some(format!("table {} column {c} = {v}", t.name));
                }
            }
        }
    }
    None
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

/// The hostile values of the edge-value tests, as they would be typed into a file.
const EDGE_VALUES: [&str; 7] = ["0", "-1", "1e30", "9223372036854775807", "nan", "x", "1e-9"];

/// Issue 28: every key of a SCALE-Sim config and every cell of a topology row (convolution and
/// GEMM), set to each edge value, either gives reports whose every number is finite and
/// unsaturated, or is refused as bad input naming the key or column. As `sparsim scalesim` runs
/// them: the compute reports, and the SAT model beside.
#[test]
fn every_scalesim_key_and_topology_cell_at_an_edge_value_runs_or_is_refused_naming_it() {
    use sparsim::machines::sat::scalesim;
    let cfg_file = root().join("configs/scalesim/example.cfg");
    let cfg_text = std::fs::read_to_string(&cfg_file).unwrap();
    // One small layer of each kind keeps each case quick; the hostile value makes it big.
    let conv = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, \
                Num Filter, Strides, Sparsity,\nConv1, 12, 12, 3, 3, 8, 8, 1, 2:4,\n";
    let gemm = "Layer Name, M, N, K, Sparsity,\nQKV, 16, 24, 32, 2:4,\n";
    let topo = Path::new("topology.csv");
    let mut failures = Vec::new();
    let case = |what: String, cfg: &str, topology: &str, gemm: bool, names: &[&str]| {
        let named = |msg: &str| {
            let low = msg.to_lowercase();
            names.iter().any(|n| low.contains(&n.to_lowercase()))
        };
        let outcome = std::panic::catch_unwind(|| -> Result<String, String> {
            let c = match scalesim::parse_config(cfg, &cfg_file) {
                Err(e) if named(&e.to_string()) => return Ok(format!("refused: {e}")),
                Err(e) => return Err(format!("refused without naming it: {e}")),
                Ok(c) => c,
            };
            let layers = match scalesim::parse_topology(topology, topo, gemm) {
                Err(e) if named(&e.to_string()) => return Ok(format!("refused: {e}")),
                Err(e) => return Err(format!("refused without naming it: {e}")),
                Ok(l) => l,
            };
            let run = match scalesim::drop_in(&c, &layers, topo) {
                Err(e) if e.is_bad_input() && named(&e.to_string()) => {
                    return Ok(format!("refused: {e}"))
                }
                Err(e) => return Err(format!("the run failed: {e}")),
                Ok(r) => r,
            };
            let reports = [Some(&run.compute_report), run.sparse_report.as_ref()];
            let bandwidth = run.sat.as_ref().ok().map(|(b, _)| b);
            for csv in reports.into_iter().chain([bandwidth]).flatten() {
                if let Some(cell) = csv.lines().skip(1).flat_map(|l| l.split(',')).find(|c| {
                    c.trim()
                        .parse::<f64>()
                        .is_ok_and(|x| !x.is_finite() || x.abs() >= 9.2e18)
                        || c.trim().eq_ignore_ascii_case("nan")
                }) {
                    return Err(format!("a report cell reads {cell:?}"));
                }
            }
            match &run.sat {
                Ok((_, r)) => meaningless(r).map_or(Ok("ran".into()), Err),
                Err(e) if named(e) => Ok(format!("ran, no SAT model beside: {e}")),
                Err(e) => Err(format!("no SAT model beside, without naming it: {e}")),
            }
        });
        if std::env::var_os("SPARSIM_TRACE_CASES").is_some() {
            eprintln!("case {what}: {outcome:?}");
        }
        match outcome {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(format!("{what}: {e}")),
            Err(_) => Some(format!("{what}: panicked")),
        }
    };
    for line in cfg_text.lines() {
        let Some((key, _)) = line.split_once([':', '=']) else {
            continue;
        };
        let key = key.trim();
        if key.starts_with('#') || key.starts_with('[') || key.is_empty() {
            continue;
        }
        let numeric = line
            .split_once([':', '='])
            .unwrap()
            .1
            .trim()
            .parse::<f64>()
            .is_ok();
        for v in EDGE_VALUES {
            let cfg = cfg_text.replace(line, &format!("{key} : {v}"));
            let what = format!("{key} = {v}");
            // No number of anything: must not run.
            if numeric && ["x", "nan", "1e30"].contains(&v) {
                match scalesim::parse_config(&cfg, &cfg_file) {
                    Ok(_) => failures.push(format!("{what}: accepted")),
                    Err(e) if !e.to_string().to_lowercase().contains(&key.to_lowercase()) => {
                        failures.push(format!("{what}: refused without naming it: {e}"))
                    }
                    Err(_) => {}
                }
                continue;
            }
            failures.extend(case(what, &cfg, conv, false, &[key]));
        }
    }
    for (table, is_gemm) in [(conv, false), (gemm, true)] {
        let (header, row) = table.split_once('\n').unwrap();
        let columns: Vec<&str> = header.split(',').map(str::trim).collect();
        let cells: Vec<&str> = row.trim_end().split(',').collect();
        for i in 1..cells.len() {
            if cells[i].trim().is_empty() {
                continue;
            }
            for v in EDGE_VALUES.into_iter().chain(["0:4", "4:0", "9:4"]) {
                let mut c = cells.clone();
                let cell = format!(" {v}");
                c[i] = &cell;
                let t = format!("{header}\n{}\n", c.join(","));
                failures.extend(case(
                    format!("topology {} = {v}", columns[i]),
                    &cfg_text,
                    &t,
                    is_gemm,
                    &[&format!("line 2, field {} ({})", i + 1, columns[i])],
                ));
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
