//! Every shipped config parses and resolves; every energy entry names a real statistic.

use super::root;

fn tomls(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            tomls(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

#[test]
fn every_cachesim_config_resolves_and_its_energy_table_prices_real_stats() {
    let mut files = Vec::new();
    tomls(&root().join("configs/cachesim"), &mut files);
    assert!(files.len() >= 2);
    for f in files {
        let (h, e) = sparsim::machines::cachesim::load(&f, &[]).unwrap_or_else(|e| panic!("{e}"));
        let _ = h;
        assert!(e.is_some(), "{}: no energy table", f.display());
    }
    // The cachegrind config's table has no entry for a statistic that does not exist.
    let cfg = root().join("configs/cachesim/cachegrind.toml");
    let (h, e) = sparsim::machines::cachesim::load(&cfg, &[]).unwrap();
    let (_, table) = e.unwrap();
    let r = h
        .run(
            Box::new(
                sparsim::program::trace::open(&root().join("workloads/traces/kernel.lackey.zst"))
                    .unwrap(),
            ),
            "k",
            Some(("t", &table)),
        )
        .unwrap()
        .report;
    assert!(
        r.energy.unknown_entries.is_empty(),
        "{:?}",
        r.energy.unknown_entries
    );
    assert!(r.energy.total_pj > 0.0);
    assert!(r.energy.unpriced.contains(&"l1d.mshr_stalls".to_string()));
}

#[test]
fn validate_accepts_every_toml_under_configs_and_names_what_it_checked_it_as() {
    let mut files = Vec::new();
    tomls(&root().join("configs"), &mut files);
    files.sort();
    assert!(files.len() >= 20);
    let args: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut argv = vec!["validate"];
    argv.extend(args.iter().map(String::as_str));
    let (code, out, err) = super::sparsim(&argv, &root());
    assert_eq!(code, 0, "{out}{err}");
    for (kind, dir) in [
        ("(experiment)", "configs/experiments/"),
        ("(sweep)", "configs/sweeps/"),
        ("(energy table)", "configs/energy/"),
        ("(DRAM preset)", "configs/presets/dram/"),
        ("(piuma config)", "configs/piuma/"),
        ("(cachesim config)", "configs/cachesim/"),
    ] {
        let n = files
            .iter()
            .filter(|f| f.display().to_string().contains(dir))
            .count();
        let said = out
            .lines()
            .filter(|l| l.starts_with(&format!("ok {kind}")) && l.contains(dir))
            .count();
        assert!(
            n > 0 && said == n,
            "{dir}: {n} files, {said} checked as {kind}\n{out}"
        );
    }
}

#[test]
fn validate_refuses_a_file_it_does_not_know_and_a_bad_preset_naming_the_key() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("what.toml"), "colour = \"blue\"\n").unwrap();
    let preset = std::fs::read_to_string(root().join("configs/presets/dram/ddr4-3200.toml"))
        .unwrap()
        .replace("banks_per_group = 4", "banks_per_group = 3");
    std::fs::write(d.path().join("preset.toml"), preset).unwrap();
    // An experiment whose matrix is missing is refused by validate, not reported "ok".
    std::fs::write(
        d.path().join("exp.toml"),
        "kind = \"piuma\"\nname = \"x\"\nkernel = \"smash-v1\"\n[workload.a]\nfile = \"missing.mtx\"\n",
    )
    .unwrap();
    for (file, expect) in [
        ("what.toml", "not a file sparsim knows"),
        ("preset.toml", "org.banks_per_group = 3"),
        ("exp.toml", "missing.mtx"),
    ] {
        let (code, _, err) = super::sparsim(&["validate", file], d.path());
        assert_eq!(code, 2, "{file}: {err}");
        assert!(err.contains(file) && err.contains(expect), "{file}: {err}");
    }
}
