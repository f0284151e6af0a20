//! Regressions, named by issue and case: each failed before its fix.

use super::{karate, root, sparsim};

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

/// Issue 20, case 9: messages say what the user wrote, not Rust's view of it: the largest 64-bit
/// integer is out of TOML's range (not "invalid type: string"), a TOML syntax error keeps its
/// diagram on several lines, and a sweep note shows a baseline as TOML (not `Integer(3)`).
#[test]
fn issue_20_messages_show_values_as_written() {
    let d = tempfile::tempdir().unwrap();
    let exp = karate();
    let (code, _, err) = sparsim(
        &["run", &exp, "--set", "piuma.n_cores=18446744073709551615"],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("beyond the integers TOML holds"), "{err}");
    assert!(!err.contains("invalid type"), "{err}");
    std::fs::write(
        d.path().join("bad.toml"),
        "name = \"x\"\n[core]\nfreq_mhz = = 3\n",
    )
    .unwrap();
    let (code, _, err) = sparsim(&["validate", "bad.toml"], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 3") && err.contains("\n3 | freq_mhz = = 3"),
        "{err}"
    );
    let base = root()
        .join("configs/experiments/cachesim-default.toml")
        .display()
        .to_string();
    std::fs::write(
        d.path().join("s.toml"),
        format!(
            "name = \"s\"\nbase = \"{base}\"\n[[axis]]\nkey = \"level[1].cache.n_ways\"\nvalues = [1, 2]\n\
             [[workload]]\nname = \"short\"\nset = {{ \"limits.max_cycles\" = 20000 }}\n\
             [[plot]]\nkind = \"speedup\"\nmetric = \"core.cycles\"\nbaseline = {{ \"level[1].cache.n_ways\" = 3 }}\n"
        ),
    )
    .unwrap();
    let (code, _, err) = sparsim(&["sweep", "s.toml", "--quiet", "--out", "r"], d.path());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("level[1].cache.n_ways = 3"), "{err}");
    assert!(!err.contains("Integer("), "{err}");
}

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

/// Issue 20, case 6: `validate` checks a DRAM preset or an energy table as what it is (it used
/// to list PIUMA's keys as the keys they should have), and an experiment whose input is missing
/// is not "ok".
#[test]
fn issue_20_validate_checks_each_file_as_what_it_is() {
    let d = tempfile::tempdir().unwrap();
    let preset = std::fs::read_to_string(root().join("configs/presets/dram/ddr4-3200.toml"))
        .unwrap()
        .replace("\ncl = 22", "\ncll = 22");
    std::fs::write(d.path().join("preset.toml"), preset).unwrap();
    std::fs::write(
        d.path().join("energy.toml"),
        "description = \"x\"\n[actions]\n\"a.b\" = { pj = 1.0, source = \"s\", note = 1 }\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("exp.toml"),
        "kind = \"cachesim\"\nhierarchy = \"nowhere.toml\"\ntrace = \"t.lackey\"\n",
    )
    .unwrap();
    for (file, expect) in [
        ("preset.toml", "timing.cll"),
        ("energy.toml", "note"),
        ("exp.toml", "hierarchy"),
    ] {
        let (code, _, err) = sparsim(&["validate", file], d.path());
        assert_eq!(code, 2, "{file}: {err}");
        assert!(err.contains(expect), "{file}: {err}");
        assert!(
            !err.contains("n_cores"),
            "{file} checked as a PIUMA config: {err}"
        );
    }
}

/// Issue 17: a SAT experiment with an impossible pattern, shape or buffer is refused before it
/// runs, exit code 2, naming the file, the key (or line and column) and the fix.
#[test]
fn issue_17_bad_sat_inputs_are_refused_naming_the_key_and_fix() {
    let d = tempfile::tempdir().unwrap();
    let exp = root()
        .join("configs/experiments/sat-resnet18-2to8.toml")
        .display()
        .to_string();
    for (set, expect) in [
        ("sparsity=\"8:8\"", "N must be at least 1 and below M"),
        ("sparsity=\"2:32\"", "exceeds the sparse PE's multiplexer"),
        ("sparsity=\"2/8\"", "write \"dense\" or N:M"),
        ("sat.dataflow=\"xs\"", "sat.dataflow"),
        ("sat.dataflow=\"os\"", "only weight-stationary"),
        ("sat.weight_buffer.kib=2", "too small for one tile"),
        ("sat.max_m=17", "sat.max_m"),
        ("batch=0", "batch"),
        ("network=\"nope.csv\"", "not a readable file"),
        (
            "dense_layers=[\"conv9\"]",
            "no layer with weights of this name",
        ),
    ] {
        let (code, _, err) = sparsim(&["run", &exp, "--out", "r", "--set", set], d.path());
        assert_eq!(code, 2, "{set}: {err}");
        assert!(err.contains(expect), "{set}: {err}");
        assert!(!err.contains("panicked"), "{set}: {err}");
    }
    // A layer table with a filter larger than its input names the table, line and column.
    let table = d.path().join("net.csv");
    std::fs::write(
        &table,
        "name,op,from,channels,height,width,kernel,stride,padding,groups\nx,input,,3,8,8\nc,conv,,8,,,11,1,0,1\n",
    )
    .unwrap();
    let (code, _, err) = sparsim(
        &[
            "run",
            &exp,
            "--out",
            "r",
            "--set",
            &format!("network={:?}", table.display().to_string()),
        ],
        d.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("net.csv")
            && err.contains("line 3, column kernel")
            && err.contains("larger than its input"),
        "{err}"
    );
    assert!(
        !d.path().join("r").exists(),
        "nothing written for refused input"
    );
}

/// A MobileNet-shaped layer table with one of each of MobileNet-v1's operators, at 32 x 32.
pub const MINI_MOBILENET: &str = "name,op,from,channels,height,width,kernel,stride,padding,groups
input,input,,3,32,32,,,,
conv0,conv,,8,,,3,2,1,1
dw1,conv,,8,,,3,1,1,8
pw1,conv,,16,,,1,1,0,1
dw2,conv,,16,,,3,2,1,16
pw2,conv,,16,,,1,1,0,1
pool,avgpool,,,,,global,,,
fc,fc,,16,,,,,,
";

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

/// Issue 28, case 12: an experiment's `name` is its report folder under `--out`; a name that
/// would reach outside it (from an override or the file) is refused naming the key, exit 2, and
/// nothing is written.
#[test]
fn issue_28_an_experiment_name_cannot_write_outside_the_report_folder() {
    let d = tempfile::tempdir().unwrap();
    let exp = root()
        .join("configs/experiments/mobile-a76-sgemm.toml")
        .display()
        .to_string();
    // The same experiment as a file of its own, whose name is "../direct".
    let text = std::fs::read_to_string(&exp)
        .unwrap()
        .replace("\"../../", &format!("\"{}/", root().display()))
        .replace("\"../", &format!("\"{}/configs/", root().display()))
        .replace("name = \"mobile-a76-sgemm\"", "name = \"../direct\"");
    assert!(text.contains("name = \"../direct\""));
    let file = d.path().join("in").join("direct.toml");
    std::fs::create_dir(d.path().join("in")).unwrap();
    std::fs::write(&file, text).unwrap();
    let f = file.display().to_string();
    let (code, _, err) = sparsim(&["run", &f, "--out", "r"], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("direct.toml") && err.contains("name"), "{err}");
    assert!(!d.path().join("direct").exists() && !d.path().join("r").exists());
    std::fs::remove_dir_all(d.path().join("in")).unwrap();
    for set in [
        "name=\"../../up\"",
        "name=\"a/b\"",
        "name=\".hidden\"",
        "name=\"\"",
    ] {
        let (code, _, err) = sparsim(&["run", &exp, "--out", "r", "--set", set], d.path());
        assert_eq!(code, 2, "{set}: {err}");
        assert!(
            err.contains("name") && err.contains("plain folder name"),
            "{set}: {err}"
        );
        assert!(
            std::fs::read_dir(d.path()).unwrap().count() == 0,
            "{set}: wrote something"
        );
    }
}

/// Issue 28, case 15: `kernel run --budget 0` was accepted, then reported as a runaway after 0
/// instructions; now refused naming the flag, exit 2.
#[test]
fn issue_28_a_zero_instruction_budget_is_refused_naming_the_flag() {
    let d = tempfile::tempdir().unwrap();
    let gemm = root()
        .join("workloads/kernels/aarch64/sgemm_4x4.s")
        .display()
        .to_string();
    for budget in ["0", "1e30", "2199023255553"] {
        let (code, _, err) = sparsim(&["kernel", "run", &gemm, "--budget", budget], d.path());
        assert_eq!(code, 2, "--budget {budget}: {err}");
        assert!(err.contains("--budget"), "--budget {budget}: {err}");
        assert!(!err.contains("runs away"), "--budget {budget}: {err}");
    }
    let (code, _, err) = sparsim(&["kernel", "run", &gemm, "--budget", "100000000"], d.path());
    assert_eq!(code, 0, "{err}");
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

/// Issue 28, cases 2, 5 to 8 and 14: sizes whose products overflow, a step whose time saturates,
/// an energy that is infinite, a depthwise row of millions of channels and a run name no file
/// system takes used to run (exit 0 with zero MACs, wrapped bytes, a saturated time or a null
/// energy), abort out of memory, or exit 1 unnamed. Each is refused before it runs (or, for the
/// time, before its report), exit 2, naming the file and the key, line or field.
#[test]
fn issue_28_overflowing_sizes_times_and_energies_are_refused_naming_the_key() {
    let d = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| {
        std::fs::write(d.path().join(name), text).unwrap();
        name.to_string()
    };
    let cfg = std::fs::read_to_string(root().join("configs/scalesim/example.cfg")).unwrap();
    w(
        "long.cfg",
        &cfg.replace(
            "run_name = example",
            &format!("run_name = {}", "x".repeat(300)),
        ),
    );
    w(
        "ctl.cfg",
        &cfg.replace("run_name = example", "run_name = a\u{1}b"),
    );
    w("ok.cfg", &cfg);
    w(
        "gemm.csv",
        "Layer, M, N, K,\nbig, 16777216, 16777216, 16777216,\n",
    );
    w("dp.csv", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nDP1, 8, 8, 3, 3, 16777216, 1, 1,\n");
    let conv = root()
        .join("workloads/scalesim/conv.csv")
        .display()
        .to_string();
    let header = "name,op,from,channels,height,width,kernel,stride,padding,groups\n";
    w(
        "bigin.csv",
        &format!("{header}x,input,,1024,16777216,16777216\nc,conv,,16,,,1,1,0\n"),
    );
    let energy = std::fs::read_to_string(root().join("configs/energy/sat-fpga.toml")).unwrap();
    let first = energy.find("pj = ").unwrap();
    let end = first + energy[first..].find(',').unwrap();
    w(
        "e.toml",
        &format!("{}pj = 1e308{}", &energy[..first], &energy[end..]),
    );
    let sat = root()
        .join("configs/experiments/sat-resnet18-2to8.toml")
        .display()
        .to_string();
    let at = |f: &str| format!("{:?}", d.path().join(f).display().to_string());
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "scalesim".into(),
                "-c".into(),
                "ok.cfg".into(),
                "-t".into(),
                "gemm.csv".into(),
                "-i".into(),
                "gemm".into(),
                "-p".into(),
                "o".into(),
            ],
            "gemm.csv: line 2, field 4",
        ),
        (
            vec![
                "scalesim".into(),
                "-c".into(),
                "ok.cfg".into(),
                "-t".into(),
                "dp.csv".into(),
                "-p".into(),
                "o".into(),
            ],
            "dp.csv: line 2, field 6",
        ),
        (
            vec![
                "scalesim".into(),
                "-c".into(),
                "long.cfg".into(),
                "-t".into(),
                conv.clone(),
                "-p".into(),
                "o".into(),
            ],
            "long.cfg: general.run_name",
        ),
        (
            vec![
                "scalesim".into(),
                "-c".into(),
                "ctl.cfg".into(),
                "-t".into(),
                conv.clone(),
                "-p".into(),
                "o".into(),
            ],
            "ctl.cfg: general.run_name",
        ),
        (
            vec![
                "run".into(),
                sat.clone(),
                "--out".into(),
                "r".into(),
                "--set".into(),
                format!("network={}", at("bigin.csv")),
            ],
            "bigin.csv: line 2, column channels",
        ),
        (
            vec![
                "run".into(),
                sat.clone(),
                "--out".into(),
                "r".into(),
                "--set".into(),
                "resolution=16384".into(),
                "--set".into(),
                "batch=65536".into(),
                "--set".into(),
                "sat.clock_mhz=50".into(),
            ],
            "sat.clock_mhz = 50",
        ),
        (
            vec![
                "run".into(),
                sat.clone(),
                "--out".into(),
                "r".into(),
                "--set".into(),
                "sat.clock_mhz=1e-9".into(),
            ],
            "sat.clock_mhz",
        ),
        (
            vec![
                "run".into(),
                sat.clone(),
                "--out".into(),
                "r".into(),
                "--set".into(),
                format!("energy_table={}", at("e.toml")),
            ],
            "e.toml: actions.",
        ),
    ];
    for (args, expect) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = sparsim(&args, d.path());
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
    }
    assert!(
        !d.path().join("r").exists()
            || std::fs::read_dir(d.path().join("r"))
                .unwrap()
                .next()
                .is_none(),
        "no report written"
    );
}

/// Issue 28, cases 9 and 19: keys a mobile run does not use were accepted and ignored
/// (`sparsity` on the gemm driver, `k` and `mnn_threshold` on a network of another engine), and
/// a sparsity between two thousandths was rounded; each is refused naming the key, exit 2. A
/// runaway kernel exits 2 naming its budget, as the README says of bad input.
#[test]
fn issue_28_mobile_keys_a_run_does_not_use_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let sgemm = root()
        .join("configs/experiments/mobile-a76-sgemm.toml")
        .display()
        .to_string();
    let net = root()
        .join("configs/experiments/mobile-a76-mobilenet-group30.toml")
        .display()
        .to_string();
    for (exp, set, expect) in [
        (
            &sgemm,
            "sparsity=-1",
            "sparsity = -1: the gemm driver prunes nothing",
        ),
        (
            &sgemm,
            "sparsity=1e30",
            "sparsity = 1000000000000000000000000000000: the gemm driver",
        ),
        (&sgemm, "sparsity=nan", "sparsity = NaN: the gemm driver"),
        (&net, "k=5", "k = (with network)"),
        (&net, "mnn_threshold=0.5", "mnn_threshold = 0.5"),
        (
            &net,
            "sparsity=0.999999",
            "not a whole number of thousandths",
        ),
    ] {
        let (code, _, err) = sparsim(&["run", exp, "--out", "r", "--set", set], d.path());
        assert_eq!(code, 2, "{set}: {err}");
        assert!(err.contains(expect), "{set}: {err}");
    }
    std::fs::write(
        d.path().join("spin.s"),
        "    .text\n    .global spin\nspin:\n1:  add x9, x9, #1\n    b 1b\n    ret\n",
    )
    .unwrap();
    let (code, _, err) = sparsim(&["kernel", "run", "spin.s", "--budget", "100000"], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("after 100000 instructions without returning"),
        "{err}"
    );
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("a kernel that runs past its instruction `budget`) gets a message naming the file and the key or line, and exit code 2"));
}

/// Issue 28, case 10: a layer table is read as standard CSV, and what would be ignored is
/// refused: a column named twice, a pool padded past half its kernel (PyTorch refuses it), a
/// value in a column the row's op does not take (height on a conv row, kernel on an fc row). A
/// quoted name holds its comma without its quotes, and a UTF-8 byte-order mark is skipped.
#[test]
fn issue_28_layer_tables_are_standard_csv_and_ignored_values_are_refused() {
    use sparsim::workload::layers::parse;
    let p = std::path::Path::new("t.csv");
    let head = "name,op,from,channels,height,width,kernel,stride,padding,groups\n";
    let input = "x,input,,8,16,16\n";
    let err = |t: &str| parse(t, p).unwrap_err().to_string();
    let e = err(&format!("name,op,channels,channels\n{input}"));
    assert!(e.contains("header") && e.contains("named twice"), "{e}");
    let e = err(&format!(
        "{head}{input}p,maxpool,,,,,3,2,2\nc,conv,,8,,,1\n"
    ));
    assert!(
        e.contains("line 3, column padding") && e.contains("half its kernel"),
        "{e}"
    );
    let e = err(&format!("{head}{input}c,conv,,8,32,,3,1,1\n"));
    assert!(
        e.contains("line 3, column height") && e.contains("leave height empty"),
        "{e}"
    );
    let e = err(&format!("{head}{input}f,fc,,10,,,3\n"));
    assert!(e.contains("line 3, column kernel"), "{e}");
    let ok = parse(
        &format!(
            "\u{feff}{head}{input}\"conv, first\",conv,,8,,,3,1,1\n\"fc\",fc,\"conv, first\",10\n"
        ),
        p,
    )
    .unwrap();
    assert_eq!(ok.layers[1].name, "conv, first");
    assert_eq!(ok.layers[2].name, "fc");
    assert_eq!(ok.layers[2].from, vec![1]);
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

/// Issue 28, case 18: `validate` recognises a SCALE-Sim `.cfg`, a SCALE-Sim topology and a layer
/// table (`.csv`), an AArch64 kernel (`.s`) and a Matrix Market matrix (`.mtx`) and checks each
/// as what it is (it read every one as TOML).
#[test]
fn issue_28_validate_checks_each_input_format_as_what_it_is() {
    let d = tempfile::tempdir().unwrap();
    let files = [
        ("configs/scalesim/example.cfg", "SCALE-Sim config"),
        (
            "workloads/scalesim/conv.csv",
            "SCALE-Sim convolution topology",
        ),
        ("workloads/scalesim/gemm.csv", "SCALE-Sim GEMM topology"),
        ("workloads/dnn/resnet18.csv", "layer table"),
        ("workloads/kernels/aarch64/sgemm_4x4.s", "AArch64 kernel"),
        ("workloads/matrices/karate.mtx", "Matrix Market matrix"),
    ];
    for (f, kind) in files {
        let path = root().join(f).display().to_string();
        let (code, out, err) = sparsim(&["validate", &path], d.path());
        assert_eq!(code, 0, "{f}: {err}");
        assert!(out.contains(&format!("ok ({kind})")), "{f}: {out}");
    }
    for (name, text, expect) in [
        (
            "bad.cfg",
            "[general]\nrun_name = r\n[architecture_presets]\nArrayHeight: 0\n",
            "bad.cfg: architecture_presets",
        ),
        (
            "bad.csv",
            "name,op,from,channels\nx,input,,3\n",
            "bad.csv: line 2, column height",
        ),
        ("bad.s", "    .text\n    frobnicate x0\n", "bad.s: line 2"),
    ] {
        std::fs::write(d.path().join(name), text).unwrap();
        let (code, _, err) = sparsim(&["validate", name], d.path());
        assert_eq!(code, 2, "{name}: {err}");
        assert!(
            err.contains(expect) && !err.contains("TOML"),
            "{name}: {err}"
        );
    }
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
