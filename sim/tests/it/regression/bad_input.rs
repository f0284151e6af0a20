//! Regressions of bad input: values, files and keys that used to crash, hang, overflow or be
//! accepted silently, each refused naming the file and the key, line or field.

use crate::{karate, root, sparsim};

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
