//! Regressions of runs and their reports: what the machines model, their limits, timelines and
//! the reports' bytes.

use super::MINI_MOBILENET;
use crate::{karate, root, sparsim};

/// Issue 20, case 10: a run with overrides goes to a folder that says so, not to `NAME-2`, and
/// `--name` chooses the folder.
#[test]
fn issue_20_a_run_s_folder_names_what_distinguishes_it() {
    let d = tempfile::tempdir().unwrap();
    let exp = karate();
    let (code, out, err) = sparsim(
        &["run", &exp, "--out", "r", "--set", "kernel=\"smash-v3\""],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let dir = d.path().join("r/smash-v1-karate--kernel=smash-v3");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["kind"], "piuma/smash-v3");
    assert!(out.contains("r/smash-v1-karate--kernel=smash-v3"), "{out}");
    let (code, _, err) = sparsim(&["run", &exp, "--out", "r", "--name", "mine"], d.path());
    assert_eq!(code, 0, "{err}");
    assert!(d.path().join("r/mine/report.json").is_file());
    let (code, _, err) = sparsim(&["run", &exp, "--out", "r", "--name", "../x"], d.path());
    assert_eq!(code, 2, "{err}");
}

/// Issue 20, case 12: a reproduction's folder has an `index.html`, and `sparsim report` draws
/// its plots and page again from the data it saved (it used to refuse the folder).
#[test]
fn issue_20_report_redraws_a_reproduction_folder() {
    use sparsim::report::plot::Figure;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("reproduce-x");
    std::fs::create_dir_all(&dir).unwrap();
    let study = sparsim::report::StudyFile {
        name: "x".into(),
        summary_md: "# x\n\n| a | b |\n".into(),
        figures: vec![(
            "bars".into(),
            Figure::Bars {
                title: "t".into(),
                y_label: "y".into(),
                groups: vec!["g1".into(), "g2".into()],
                series: vec![("s".into(), vec![Some(1.0), Some(2.0)])],
                stacked: false,
            },
        )],
    };
    sparsim::report::write_study(&dir, &study).unwrap();
    for f in ["index.html", "bars.svg", "bars.png"] {
        assert!(dir.join(f).is_file(), "{f}");
        std::fs::remove_file(dir.join(f)).unwrap();
    }
    let (code, _, err) = sparsim(&["report", &dir.display().to_string()], d.path());
    assert_eq!(code, 0, "{err}");
    for f in ["index.html", "bars.svg", "bars.png"] {
        assert!(dir.join(f).is_file(), "{f} not drawn again");
    }
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("| a | b |"));
}

/// Issue 19: a MobileNet-v1 network runs every kernel checked, reports per layer, and bad
/// network inputs are refused naming the file and key, exit code 2.
#[test]
fn issue_19_a_network_runs_checked_per_layer_and_bad_inputs_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let exp = root()
        .join("configs/experiments/mobile-a76-mobilenet-group30.toml")
        .display()
        .to_string();
    // A MobileNet-shaped network small enough for a debug build: every operator MobileNet-v1
    // has (the 3x3 stride-2 convolution, depthwise 3x3 at strides 1 and 2, 1x1 convolutions, the
    // global pool and the classifier). `reproduce sparsebytenn` runs the real ones.
    let table = d.path().join("mini.csv");
    std::fs::write(&table, MINI_MOBILENET).unwrap();
    let net = format!("network={:?}", table.display().to_string());
    // Every engine, natively and as WebAssembly, on both cores.
    let a55 = "core=\"../mobile/cortex-a55.toml\"";
    for (i, (engine, extra)) in [
        ("dense", vec![]),
        ("unstructured", vec![]),
        ("group", vec!["wasm.bounds_checks=\"explicit\""]),
        ("mnn", vec!["wasm.relaxed_simd=true"]),
        ("group", vec![a55]),
        ("mnn", vec![a55, "wasm.bounds_checks=\"guard\""]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut args = vec![
            "run",
            &exp,
            "--out",
            "r",
            "--set",
            "resolution=128",
            "--set",
            &net,
        ];
        let e = format!("engine=\"{engine}\"");
        args.extend(["--set", &e]);
        for x in &extra {
            args.extend(["--set", x]);
        }
        let name = format!("{engine}{i}");
        args.extend(["--name", &name]);
        let (code, out, err) = sparsim(&args, d.path());
        assert_eq!(code, 0, "{engine}: {err}");
        assert!(out.contains("kernel calls"), "{out}");
    }
    let dir = std::fs::read_dir(d.path().join("r"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.display().to_string().ends_with("mnn3"))
        .unwrap();
    let layers = std::fs::read_to_string(dir.join("layers.csv")).unwrap();
    // 7 operator rows; the MNN-like engine's NC4HW4 outputs are converted before the second
    // depthwise layer and the pool.
    let rows = |what: &str| layers.lines().filter(|l| l.contains(what)).count();
    assert_eq!(rows(",operator,"), 7, "{layers}");
    assert_eq!(rows(",layout,nc4hw4_chw,"), 2, "{layers}");
    assert!(
        layers.lines().next().unwrap().contains("l1d_misses"),
        "{layers}"
    );
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        html.contains("latency by layer") && html.contains("instruction mix"),
        "plots in the page"
    );
    for (set, key, expect) in [
        ("sparsity=1.0", "sparsity", "must be in [0, 1)"),
        ("sparsity=-0.1", "sparsity", "must be in [0, 1)"),
        ("group=3", "group", "1, 2 or 4"),
        ("engine=\"fast\"", "engine", "unknown variant"),
        ("rearrange=true", "rearrange", "group engine"),
        ("mnn_threshold=1.5", "mnn_threshold", "must be in [0, 1)"),
        ("driver=\"gemm\"", "driver", "belongs to a kernel run"),
    ] {
        let mut args = vec!["run", &exp, "--out", "bad", "--set", set];
        if set.starts_with("rearrange") {
            args.extend(["--set", "engine=\"dense\""]);
        }
        let (code, _, err) = sparsim(&args, d.path());
        assert_eq!(code, 2, "{set}: {err}");
        assert!(
            err.contains(key)
                && err.contains(expect)
                && err.contains("mobile-a76-mobilenet-group30.toml"),
            "{set}: {err}"
        );
        assert!(!err.contains("panicked"), "{set}: {err}");
    }
    // An input size the kernels cannot take names the layer and the resolution.
    let (code, _, err) = sparsim(
        &["run", &exp, "--out", "bad", "--set", "resolution=100"],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("mobilenet_v1.csv: line 14 = conv4_dw")
            && err.contains("with resolution = 100"),
        "{err}"
    );
    // Groups that do not divide a layer's channels; a layer no mobile kernel runs; shapes that
    // do not chain: each names the table or the key, and the line.
    let table = d.path().join("net.csv");
    for (rows, set, expect) in [
        (
            "x,input,,3,32,32\nc,conv,,8,,,3,2,1,1\np,conv,,6,,,1,1,0,1\n",
            "group=4",
            "groups of 4 output channels do not divide its 6",
        ),
        (
            "x,input,,3,32,32\nc,conv,,8,,,5,1,2,1\n",
            "group=4",
            "line 3",
        ),
        (
            "x,input,,3,32,32\nc,conv,,8,,,3,2,1,1\nd,conv,,8,,,3,1,1,4\n",
            "group=4",
            "line 4",
        ),
        (
            "x,input,,3,32,32\nc,conv,,8,,,3,2,1,1\nd,conv,,8,,,17,1,0,8\n",
            "group=4",
            "larger than its input",
        ),
        (
            "x,input,,3,32,32\nc,conv,,8,,,3,2,1,1\nd,maxpool,,,,,2,2\n",
            "group=4",
            "a 2x2 max pool",
        ),
    ] {
        std::fs::write(
            &table,
            format!("name,op,from,channels,height,width,kernel,stride,padding,groups\n{rows}"),
        )
        .unwrap();
        let n = format!("network={:?}", table.display().to_string());
        let (code, _, err) = sparsim(
            &["run", &exp, "--out", "bad", "--set", &n, "--set", set],
            d.path(),
        );
        assert_eq!(code, 2, "{rows}: {err}");
        assert!(err.contains(expect), "{rows}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A network's keys on a kernel run are refused, not ignored.
    let sgemm = root()
        .join("configs/experiments/mobile-a76-sgemm.toml")
        .display()
        .to_string();
    let (code, _, err) = sparsim(
        &["run", &sgemm, "--out", "bad", "--set", "engine=\"group\""],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("engine") && err.contains("belongs to a network run"),
        "{err}"
    );
    assert!(
        !d.path().join("bad").exists(),
        "nothing written for refused input"
    );
}

/// Issue 21 (started): `trace generate` makes DRAMsim3-style traffic that a DRAM-only hierarchy
/// runs, reporting bandwidth, row hits and read latency; bad options are refused, exit code 2.
#[test]
fn issue_21_generated_traffic_runs_straight_into_the_dram() {
    let d = tempfile::tempdir().unwrap();
    let hier = root()
        .join("configs/cachesim/dram-only-ddr4-3200.toml")
        .display()
        .to_string();
    for (pattern, hits) in [("random", false), ("stream", true)] {
        let (code, _, err) = sparsim(
            &[
                "trace",
                "generate",
                "--pattern",
                pattern,
                "--requests",
                "3000",
                "--mix",
                "2:1",
                &format!("{pattern}.trace"),
            ],
            d.path(),
        );
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = sparsim(
            &[
                "cachesim",
                &hier,
                &format!("{pattern}.trace"),
                "--out",
                "r",
                "--name",
                pattern,
            ],
            d.path(),
        );
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("GB/s") && out.contains("avg read latency"),
            "{out}"
        );
        let r: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.path().join(format!("r/{pattern}/report.json"))).unwrap(),
        )
        .unwrap();
        let rate = r["derived"]["dram.row_hit_rate"]["value"].as_f64().unwrap();
        // Random lines over 16 GiB almost never share a row; the stream's 64-byte steps mostly do.
        assert_eq!(rate > 0.5, hits, "{pattern}: row hit rate {rate}");
    }
    for (args, expect) in [
        (vec!["--pattern", "zigzag", "--requests", "10"], "--pattern"),
        (
            vec!["--pattern", "random", "--requests", "10", "--mix", "2/1"],
            "--mix",
        ),
        (vec!["--pattern", "random", "--requests", "0"], "--requests"),
        (
            vec![
                "--pattern",
                "random",
                "--requests",
                "10",
                "--footprint",
                "4096",
            ],
            "footprint",
        ),
    ] {
        let mut a = vec!["trace", "generate"];
        a.extend(args);
        a.push("bad.trace");
        let (code, _, err) = sparsim(&a, d.path());
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(expect), "{err}");
        assert!(
            !d.path().join("bad.trace").exists(),
            "nothing written for refused options"
        );
    }
}

/// Issue 27: every machine's timeline is typed spans written by one writer, and complete events
/// on each track of `timeline.json` nest (compared in whole nanoseconds, as Perfetto imports
/// them): on every bundled SAT network at 2:8 (VGG-16's `GEN fc6` and `FF conv1_2` used to cross
/// `FF conv1_1`'s end on a single `dram` track) and on a mobile network run.
#[test]
fn issue_27_timeline_events_nest_on_every_track() {
    use sparsim::report::timeline::check_nesting;
    let d = tempfile::tempdir().unwrap();
    let sat = root().join("configs/experiments/sat-resnet18-2to8.toml");
    let mut tables: Vec<_> = std::fs::read_dir(root().join("workloads/dnn"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    tables.sort();
    assert!(tables.len() >= 7);
    for t in &tables {
        let net = format!("network={:?}", t.display().to_string());
        let r = sparsim::experiment::load(&sat, &[net, "batch=4".into()])
            .unwrap()
            .run()
            .unwrap()
            .report;
        let timeline = r.timeline.expect("a SAT run has a timeline");
        assert!(
            timeline.tracks.iter().any(|n| n == "dram[3]"),
            "{:?}",
            timeline.tracks
        );
        check_nesting(&timeline.chrome_trace()).unwrap_or_else(|e| panic!("{}: {e}", t.display()));
    }
    // Through the CLI: the files users open.
    let mobile = root().join("configs/experiments/mobile-a76-mobilenet-group30.toml");
    let table = d.path().join("mini.csv");
    std::fs::write(&table, MINI_MOBILENET).unwrap();
    let net = format!("network={:?}", table.display().to_string());
    for (exp, set) in [
        (&mobile, vec!["resolution=128".to_string(), net]),
        (&sat, vec!["batch=2".to_string()]),
    ] {
        let exp = exp.display().to_string();
        let mut args = vec!["run", &exp, "--out", "r"];
        for s in &set {
            args.extend(["--set", s]);
        }
        let (code, _, err) = sparsim(&args, d.path());
        assert_eq!(code, 0, "{err}");
    }
    let mut n_checked = 0;
    for run in std::fs::read_dir(d.path().join("r")).unwrap() {
        let file = run.unwrap().path().join("timeline.json");
        let trace: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        check_nesting(&trace).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        n_checked += 1;
    }
    assert_eq!(n_checked, 2);
}

/// Issue 27, part 5: `[limits]` is taken by every machine, and the report says what stopped a
/// run. SAT refused the table; a cut SAT step counts only the tasks finished by the limit.
#[test]
fn issue_27_every_machine_takes_limits_and_its_report_says_what_stopped_it() {
    use sparsim::engine::StopReason;
    let exp = |name: &str| root().join("configs/experiments").join(name);
    let run = |name: &str, set: &[&str]| {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        sparsim::experiment::load(&exp(name), &set)
            .unwrap_or_else(|e| panic!("{name} {set:?}: {e}"))
            .run()
            .unwrap_or_else(|e| panic!("{name} {set:?}: {e}"))
            .report
    };
    for name in [
        "smash-v1-karate.toml",
        "cachesim-default.toml",
        "sat-resnet18-2to8.toml",
        "mobile-a76-sgemm.toml",
    ] {
        let r = run(name, &["limits.max_cycles=1000"]);
        assert_eq!(r.stop_reason, StopReason::TickLimit, "{name}");
        assert_eq!(r.stop_reason.limit_key(), Some("limits.max_cycles"));
    }
    for name in ["sat-resnet18-2to8.toml", "mobile-a76-sgemm.toml"] {
        let r = run(name, &["limits.wall_clock_s=1e-9"]);
        assert_eq!(r.stop_reason, StopReason::WallClock, "{name}");
    }
    // A SAT step cut halfway: its layer table holds only tasks finished by the cut, and every
    // count is below the whole step's.
    let sat = "sat-resnet18-2to8.toml";
    let whole = run(sat, &["batch=2"]);
    assert_eq!(whole.stop_reason, StopReason::Drained);
    let cycles = whole.derived["cycles"].value as u64;
    let half = cycles / 2;
    let cut = run(sat, &["batch=2", &format!("limits.max_cycles={half}")]);
    assert_eq!(cut.stop_reason, StopReason::TickLimit);
    assert_eq!(cut.derived["cycles"].value as u64, half);
    let layers = |r: &sparsim::report::RunReport| {
        r.tables
            .iter()
            .find(|t| t.name == "layers")
            .unwrap()
            .rows
            .clone()
    };
    let col = |r: &sparsim::report::RunReport, c: &str| {
        r.tables[0].columns.iter().position(|x| x == c).unwrap()
    };
    let (start, len) = (col(&cut, "start_cycle"), col(&cut, "task_cycles"));
    let (rows, all) = (layers(&cut), layers(&whole));
    assert!(
        !rows.is_empty() && rows.len() < all.len(),
        "{} of {}",
        rows.len(),
        all.len()
    );
    for row in &rows {
        assert!(row[start].as_u64().unwrap() + row[len].as_u64().unwrap() <= half);
        assert!(all.contains(row), "a finished task is as in the whole step");
    }
    let stat = |r: &sparsim::report::RunReport, k: &str| {
        r.stats.iter().find(|s| s.name == k).unwrap().value
    };
    for k in [
        "sat.array.dense_macs",
        "dram.bytes_read",
        "sat.array.busy_cycles",
    ] {
        let (c, w) = (stat(&cut, k), stat(&whole, k));
        assert!(c > 0 && c < w, "{k}: {c} of {w}");
    }
    let spans = cut.timeline.unwrap().spans;
    assert!(spans.iter().all(|s| s.start_cycle + s.cycles <= half));
    // SAT runs no instructions.
    let e = sparsim::experiment::load(&exp(sat), &["limits.max_instructions=5".into()]);
    assert!(e
        .err()
        .unwrap()
        .to_string()
        .contains("limits.max_instructions"));
}

/// Issue 28, cases 1 and 3: a SAT layer table whose sums read one layer twice (each `add` of
/// the layer above with itself) used to take time doubling with each row (2^60 visits here); a
/// long table took time quadratic in its layers (each layer's readers were found by scanning the
/// table, and the list scheduler visited every task at each event). Both now resolve in one pass
/// each way; the step of the doubled sums is checked against the same table without them.
#[test]
fn issue_28_sat_sums_of_one_layer_and_long_tables_resolve_in_linear_time() {
    let d = tempfile::tempdir().unwrap();
    let header = "name,op,from,channels,height,width,kernel,stride,padding,groups\nx,input,,16,8,8\nc0,conv,,16,,,3,1,1\n";
    let mut sums = header.to_string();
    let mut prev = "c0".to_string();
    for i in 0..60 {
        sums.push_str(&format!("a{i},add,{prev}+{prev}\n"));
        prev = format!("a{i}");
    }
    sums.push_str(&format!("c1,conv,{prev},16,,,3,1,1\n"));
    let plain = format!("{header}c1,conv,c0,16,,,3,1,1\n");
    let mut chain = header.to_string();
    for i in 1..3000 {
        chain.push_str(&format!("c{i},conv,,16,,,3,1,1\n"));
    }
    let sat = root().join("configs/experiments/sat-resnet18-2to8.toml");
    let mut cycles = Vec::new();
    for (name, table) in [("sums", &sums), ("plain", &plain), ("chain", &chain)] {
        let f = d.path().join(format!("{name}.csv"));
        std::fs::write(&f, table).unwrap();
        let set = [
            format!("network={:?}", f.display().to_string()),
            "batch=2".into(),
        ];
        let r = sparsim::experiment::load(&sat, &set)
            .unwrap()
            .run()
            .unwrap()
            .report;
        cycles.push(r.derived["cycles"].value);
        let rows = r
            .tables
            .iter()
            .find(|t| t.name == "layers")
            .unwrap()
            .rows
            .len();
        let convs = table.lines().filter(|l| l.contains(",conv,")).count();
        assert_eq!(
            rows,
            3 * convs - 1,
            "{name}: FF of each conv, BP and WG of all but the first"
        );
    }
    assert_eq!(
        cycles[0], cycles[1],
        "sums of a layer with itself add no weighted work"
    );
}

/// Issue 28, case 21: a report names its inputs by canonical paths relative to the experiment
/// (the trace's path used to be written as the command line reached it, so the same run gave
/// different bytes from another folder or with an absolute path), and records the commit sparsim
/// was built from beside its version.
#[test]
fn issue_28_a_report_is_the_same_bytes_however_the_run_was_invoked() {
    let d = tempfile::tempdir().unwrap();
    for exp in [
        "cachesim-default.toml",
        "smash-v1-karate.toml",
        "mobile-a76-sgemm.toml",
        "sat-resnet18-2to8.toml",
    ] {
        let rel = format!("configs/experiments/{exp}");
        let abs = root().join(&rel).display().to_string();
        let out = |tag: &str| d.path().join(tag).join(exp).display().to_string();
        let (code, _, err) = sparsim(&["run", &rel, "--out", &out("rel")], &root());
        assert_eq!(code, 0, "{exp}: {err}");
        let (code, _, err) = sparsim(&["run", &abs, "--out", &out("abs")], d.path());
        assert_eq!(code, 0, "{exp}: {err}");
        let report = |tag: &str| {
            let dir = std::fs::read_dir(out(tag))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path();
            std::fs::read_to_string(dir.join("report.json")).unwrap()
        };
        let (a, b) = (report("rel"), report("abs"));
        if let Some((x, y)) = a.lines().zip(b.lines()).find(|(x, y)| x != y) {
            panic!("{exp}: the same run differs by how it was invoked:\n{x}\n{y}");
        }
        assert_eq!(a.len(), b.len(), "{exp}");
        let v: serde_json::Value = serde_json::from_str(&a).unwrap();
        assert!(!v["sparsim_commit"].as_str().unwrap().is_empty(), "{exp}");
        for (role, path) in v["inputs"].as_object().unwrap() {
            let path = path.as_str().unwrap();
            if !path.contains('(') {
                assert!(
                    !std::path::Path::new(path).is_absolute(),
                    "{exp}: {role} = {path}"
                );
            }
        }
    }
}

/// Issue 28, case 20 (in part): the mobile run's "rates and shares" chart mixed IPC (up to 4)
/// with shares in [0, 1] (IPC was a `ratio`), and its two charts gave layout steps and operators
/// opposite colours (the latency bars listed operator first, the schedule sorts categories by
/// name). Now every ratio of a mobile report is a share, and both charts list the categories
/// in one order.
#[test]
fn issue_28_mobile_charts_keep_shares_apart_and_colours_alike() {
    let d = tempfile::tempdir().unwrap();
    let table = d.path().join("mini.csv");
    std::fs::write(&table, MINI_MOBILENET).unwrap();
    let exp = root().join("configs/experiments/mobile-a76-mobilenet-group30.toml");
    let set = [
        format!("network={:?}", table.display().to_string()),
        "resolution=128".into(),
    ];
    let r = sparsim::experiment::load(&exp, &set)
        .unwrap()
        .run()
        .unwrap()
        .report;
    assert_eq!(r.derived["ipc"].unit, "instructions/cycle");
    for (k, m) in &r.derived {
        if m.unit == "ratio" {
            assert!(
                (0.0..=1.0).contains(&m.value),
                "{k} = {} is not a share",
                m.value
            );
        }
    }
    let (_, layers) = r.figures.iter().find(|f| f.0 == "layers").unwrap();
    let sparsim::report::plot::Figure::Bars { series, .. } = layers else {
        panic!("latency by layer is a bar chart")
    };
    let bar_order: Vec<&str> = series.iter().map(|s| s.0.as_str()).collect();
    let mut categories: Vec<String> = r
        .timeline
        .unwrap()
        .spans
        .iter()
        .map(|s| s.category.clone())
        .collect();
    categories.sort();
    categories.dedup();
    assert_eq!(
        bar_order, categories,
        "the schedule colours categories in name order"
    );
}

/// Issue 29: a rerun of `sparsim scalesim` into the same `-p` folder wrote `<run_name>-2/`, so a
/// SCALE-Sim user's scripts read the old reports. It replaces them, as SCALE-Sim does, and says
/// so; a report file it does not write is left and named.
#[test]
fn issue_29_a_scalesim_rerun_replaces_its_reports_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    let cfg = root().join("configs/scalesim/example.cfg");
    let topo = root().join("workloads/scalesim/conv.csv");
    let run = |cfg: &str| {
        sparsim(
            &[
                "scalesim",
                "-c",
                cfg,
                "-t",
                &topo.display().to_string(),
                "-p",
                "out",
            ],
            d.path(),
        )
    };
    let (code, _, err) = run(&cfg.display().to_string());
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("replacing"), "{err}");
    let folder = d.path().join("out/example");
    std::fs::write(folder.join("DETAILED_ACCESS_REPORT.csv"), "kept\n").unwrap();
    // The same run on a 16-row array.
    let small = d.path().join("small.cfg");
    std::fs::write(
        &small,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("ArrayHeight:    32", "ArrayHeight:    16"),
    )
    .unwrap();
    let (code, out, err) = run("small.cfg");
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("32 x 32") && out.contains("16 x 32"), "{out}");
    assert!(
        err.contains("replacing the reports of an earlier run"),
        "{err}"
    );
    assert!(
        err.contains("DETAILED_ACCESS_REPORT.csv from an earlier run left as it is"),
        "{err}"
    );
    let entries: Vec<String> = std::fs::read_dir(d.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["example"], "no example-2");
    let config = std::fs::read_to_string(folder.join("sparsim/report.json")).unwrap();
    assert!(
        config.contains("\"rows\": 16"),
        "the SAT model's report is the rerun's"
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("DETAILED_ACCESS_REPORT.csv")).unwrap(),
        "kept\n"
    );
}

/// Issue 29: a sparse pattern that ran slower than dense said nothing. The report warns, naming
/// the passes, and `run` prints it; at the defaults (banks scaling with the array) it does not.
#[test]
fn issue_29_a_sparse_pass_slower_than_dense_is_warned_of() {
    let d = tempfile::tempdir().unwrap();
    let exp = root().join("configs/experiments/sat-resnet18-2to8.toml");
    let run = |extra: &[&str]| {
        let out = d.path().join(format!("o{}", extra.len()));
        let mut args = vec![
            "run".to_string(),
            exp.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--set".into(),
            "sat.rows=128".into(),
        ];
        for e in extra {
            args.extend(["--set".to_string(), e.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = sparsim(&args, d.path());
        assert_eq!(code, 0, "{err}");
        let summary = std::fs::read_dir(&out)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        (
            err,
            std::fs::read_to_string(summary.join("summary.md")).unwrap(),
        )
    };
    let (err, summary) = run(&[]);
    assert!(!err.contains("slower than they would dense"), "{err}");
    assert!(!summary.contains("## Warnings"));
    let (err, summary) = run(&[
        "sat.activation_buffer.banks=32",
        "sat.gradient_buffer.banks=32",
    ]);
    assert!(
        err.contains("sparse passes run slower than they would dense: "),
        "{err}"
    );
    assert!(err.contains(" ff ("), "{err}");
    assert!(summary.contains("## Warnings"), "{summary}");
}

/// Issue 29: N:M sparsity on an `os` array wrote sparse compute reports (as SCALE-Sim does) while
/// the SAT model beside ran dense without a word (and `sparsim run` refuses it). It says so.
#[test]
fn issue_29_scalesim_says_the_sat_model_runs_dense_outside_ws() {
    let d = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(root().join("configs/scalesim/example.cfg"))
        .unwrap()
        .replace("Dataflow : ws", "Dataflow : os");
    std::fs::write(d.path().join("os.cfg"), cfg).unwrap();
    let topo = root().join("workloads/scalesim/gemm.csv");
    let (code, _, err) = sparsim(
        &[
            "scalesim",
            "-c",
            "os.cfg",
            "-t",
            &topo.display().to_string(),
            "-i",
            "gemm",
            "-p",
            "o",
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("the SAT model beside runs these layers dense"),
        "{err}"
    );
}
