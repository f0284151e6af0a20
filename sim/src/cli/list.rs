//! `sparsim list`: the registered machines with their kernels and studies, the DRAM presets, the
//! replacement policies and prefetchers, and the bundled experiments and sweeps.

use anyhow::Result;

use sparsim::blocks::cache::replacement::ReplacementKind;
use sparsim::blocks::cache::PrefetchKind;
use sparsim::machines;

use super::bundled;

/// `sparsim list`.
pub fn run() -> Result<()> {
    println!("machines (the `kind` of an experiment file):");
    for m in machines::MACHINES {
        println!("  {:<10} {}", m.name(), m.description());
        println!("  {:<10} kernels: {}", "", m.kernels().join(", "));
        for s in m.studies() {
            println!("  {:<10} reproduce {}: {}", "", s.name(), s.description());
        }
    }
    println!(
        "DRAM presets: {}",
        sparsim::blocks::dram::preset_names().join(", ")
    );
    println!(
        "replacement policies: {}",
        ReplacementKind::ALL.map(|k| k.name()).join(", ")
    );
    println!(
        "prefetchers: {}",
        PrefetchKind::ALL.map(|k| k.name()).join(", ")
    );
    for dir in ["configs/experiments", "configs/sweeps"] {
        let mut names: Vec<String> = std::fs::read_dir(bundled(dir))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .filter(|n| n.ends_with(".toml"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        println!("{dir}/: {}", names.join(", "));
    }
    println!("plots in sweeps: lines, heatmap, pareto, energy, speedup");
    Ok(())
}
