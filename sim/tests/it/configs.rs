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
