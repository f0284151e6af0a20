//! `sparsim reproduce sparsebytenn`: MobileNet-v1 inference on the mobile cores with dense,
//! unstructured (XNNPACK-style), MNN-like and group-sparse 1x1 convolutions, beside SparseByteNN's
//! headline (Xu et al., arXiv 2310.19509, abstract): a 30 %-sparse MobileNet-v1 runs 1.27x faster
//! than dense and 1.29x faster than MNN's sparse engine on a Snapdragon 855. Also: the same in the
//! WebAssembly profile (relaxed SIMD off and on, guard-region and explicit bounds checks), the
//! speedup against sparsity on the big and the little core, and the width multipliers 0.75 and
//! 0.5. One thread, one inference, full detail (every instruction executed and timed). No
//! parameter is tuned per layer or calibrated to the headline.

use std::path::{Path, PathBuf};

use crate::machines::mobile::MobileRun;
use crate::machines::{ExperimentError, Outcome, Study, StudyOptions, StudyReport};
use crate::report::plot::Figure;

/// The paper's speedup of its group-sparse engine over its dense one, 30 %-sparse MobileNet-v1.
pub const OVER_DENSE: f64 = 1.27;
/// The paper's speedup over MNN's sparse engine, same model.
pub const OVER_MNN: f64 = 1.29;

/// The networks: file stem and name.
pub const NETWORKS: [(&str, &str); 3] = [
    ("mobilenet_v1", "MobileNet-v1 1.0"),
    ("mobilenet_v1_075", "MobileNet-v1 0.75"),
    ("mobilenet_v1_050", "MobileNet-v1 0.5"),
];

/// The cores: file stem and name.
const CORES: [(&str, &str); 2] = [("cortex-a76", "big (A76-like)"), ("cortex-a55", "little (A55-like)")];

/// The sparse engines, as in experiment files, and their names in tables.
const ENGINES: [(&str, &str); 4] = [
    ("unstructured", "unstructured (XNNPACK 16x1)"),
    ("mnn1", "MNN-like (1x1 blocks)"),
    ("mnn", "MNN-like (4x1 blocks)"),
    ("group", "group-sparse (groups of 4)"),
];


/// Sparsities of the curves, in percent.
const SPARSITIES: [u32; 4] = [30, 50, 70, 90];

/// WebAssembly profiles: (relaxed SIMD, bounds checks) and a name.
const WASM: [(bool, &str, &str); 4] = [
    (false, "guard", "SIMD, guard regions"),
    (false, "explicit", "SIMD, explicit checks"),
    (true, "guard", "relaxed SIMD, guard regions"),
    (true, "explicit", "relaxed SIMD, explicit checks"),
];

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// One run of the study.
#[derive(Debug, Clone, PartialEq)]
struct Job {
    net: usize,
    core: usize,
    engine: &'static str,
    /// Percent zeros (0 for dense).
    sparsity: u32,
    wasm: Option<usize>,
    /// Channel rearrangement (group engine).
    rearrange: bool,
}

/// What the study keeps of a run.
#[derive(Debug, Clone)]
struct Cell {
    ms: f64,
    ipc: f64,
    fma: f64,
    instructions: f64,
    layout_share: f64,
    shares: Vec<(String, f64)>,
    misses: Vec<(String, f64)>,
    dram_mb: f64,
    energy_mj: f64,
    kept: f64,
    /// Milliseconds per layer (operator and layout steps).
    layers: Vec<(String, f64)>,
}

fn experiment(job: &Job, set: &[String]) -> Result<MobileRun, ExperimentError> {
    let (stem, _) = NETWORKS[job.net];
    let (core, _) = CORES[job.core];
    let mut text = format!(
        "kind = \"mobile\"\nname = \"{stem}-{core}-{}{}{}{}\"\nnetwork = {:?}\ncore = {:?}\nengine = \"{}\"\n{}energy_table = {:?}\n",
        job.engine,
        job.sparsity,
        if job.rearrange { "-rearranged" } else { "" },
        job.wasm.map_or(String::new(), |w| format!("-wasm{w}")),
        repo(&format!("workloads/dnn/{stem}.csv")).display().to_string(),
        repo(&format!("configs/mobile/{core}.toml")).display().to_string(),
        if job.engine == "mnn1" { "mnn" } else { job.engine },
        if job.engine == "dense" {
            String::new()
        } else {
            format!("sparsity = {}\n", job.sparsity as f64 / 100.0)
        },
        repo("configs/energy/mobile-45nm.toml").display().to_string(),
    );
    if job.rearrange {
        text.push_str("rearrange = true\n");
    }
    if job.engine == "mnn1" {
        text.push_str("group = 1\n");
    }
    if let Some(w) = job.wasm {
        let (relaxed, bounds, _) = WASM[w];
        text.push_str(&format!("[wasm]\nrelaxed_simd = {relaxed}\nbounds_checks = \"{bounds}\"\n"));
    }
    // The machine's own loader, so every check of an experiment file applies.
    MobileRun::load(Path::new("(reproduce sparsebytenn)"), &text, set)
}

fn cell(o: &Outcome) -> Cell {
    let r = &o.report;
    let d = |k: &str| r.derived.get(k).map_or(0.0, |m| m.value);
    let st = |k: &str| r.stats.iter().find(|e| e.name == k).map_or(0.0, |e| e.value as f64);
    let mut layers: Vec<(String, f64)> = Vec::new();
    if let Some(t) = r.tables.iter().find(|t| t.name == "layers") {
        let col = |n: &str| t.columns.iter().position(|c| c == n).expect("layers column");
        let (l, ms) = (col("layer"), col("ms"));
        for row in &t.rows {
            let name = row[l].as_str().unwrap_or("?").to_string();
            let v = row[ms].as_f64().unwrap_or(0.0);
            match layers.last_mut() {
                Some(x) if x.0 == name => x.1 += v,
                _ => layers.push((name, v)),
            }
        }
    }
    Cell {
        ms: d("latency_ms"),
        ipc: d("ipc"),
        fma: d("pipe_utilisation.vec"),
        instructions: st("core.instructions"),
        layout_share: d("layout_share"),
        shares: ["frontend", "window", "dependency", "pipe", "execute", "memory"]
            .iter()
            .map(|p| (p.to_string(), d(&format!("cycles_share.{p}"))))
            .collect(),
        misses: ["l1d", "l2", "l3"].iter().map(|l| (l.to_string(), st(&format!("{l}.misses")))).collect(),
        dram_mb: (st("dram.bytes_read") + st("dram.bytes_written")) / 1e6,
        energy_mj: r.energy.total_pj / 1e9,
        kept: d("kept_magnitude"),
        layers,
    }
}

/// The study `reproduce sparsebytenn`.
pub struct SparseByteNnStudy;

impl SparseByteNnStudy {
    fn jobs(&self, opts: &StudyOptions) -> Result<Vec<Job>, ExperimentError> {
        let names: Vec<&str> = NETWORKS.iter().map(|n| n.0).collect();
        if let Some(u) = opts.only.iter().find(|o| !names.contains(&o.as_str())) {
            return Err(crate::config::Invalid::new("--only", format!("{u:?}"), format!("no such network in the study; choose from {names:?}"))
                .in_file(Path::new("(reproduce sparsebytenn)"))
                .into());
        }
        let wanted = |n: usize| opts.only.is_empty() || opts.only.iter().any(|o| o == NETWORKS[n].0);
        let mut jobs = Vec::new();
        let mut add = |j: Job| {
            if !jobs.contains(&j) {
                jobs.push(j);
            }
        };
        let job = |net, core, engine, sparsity, wasm| Job {
            net,
            core,
            engine,
            sparsity,
            wasm,
            rearrange: false,
        };
        for net in (0..NETWORKS.len()).filter(|&n| wanted(n)) {
            // The headline at 30 %, on the big core.
            add(job(net, 0, "dense", 0, None));
            for (e, _) in ENGINES {
                add(job(net, 0, e, 30, None));
            }
            if net != 0 {
                continue;
            }
            add(Job {
                rearrange: true,
                ..job(net, 0, "group", 30, None)
            });
            // WebAssembly.
            for w in 0..WASM.len() {
                add(job(net, 0, "dense", 0, Some(w)));
                add(job(net, 0, "mnn", 30, Some(w)));
                add(job(net, 0, "group", 30, Some(w)));
            }
            // The curves, big and little.
            for core in 0..CORES.len() {
                add(job(net, core, "dense", 0, None));
                for (e, _) in ENGINES {
                    for s in SPARSITIES {
                        add(job(net, core, e, s, None));
                    }
                }
            }
        }
        // Every run is checked before any starts.
        for j in &jobs {
            experiment(j, &opts.set)?;
        }
        Ok(jobs)
    }
}

impl Study for SparseByteNnStudy {
    fn name(&self) -> &'static str {
        "sparsebytenn"
    }

    fn description(&self) -> &'static str {
        "MobileNet-v1 on the mobile cores: group-sparse vs dense and vs MNN-like at 30 % (paper 1.27x, 1.29x), WebAssembly, speedup vs sparsity on big and little cores"
    }

    fn plan(&self, opts: &StudyOptions) -> Result<usize, ExperimentError> {
        Ok(self.jobs(opts)?.len())
    }

    fn run(&self, opts: &StudyOptions, progress: &(dyn Fn() + Sync)) -> Result<StudyReport, ExperimentError> {
        let jobs = self.jobs(opts)?;
        let set = opts.set.clone();
        let results = crate::parallel::map_in_order(
            opts.jobs.max(1),
            &jobs,
            |j| experiment(j, &set).expect("checked in plan").run_ref().map(|o| cell(&o)),
            |_| progress(),
        );
        let results: Vec<Cell> = results.into_iter().collect::<Result<_, _>>()?;
        let find = |net: usize, core: usize, engine: &str, sparsity: u32, wasm: Option<usize>| {
            jobs.iter()
                .zip(&results)
                .find(|(j, _)| j.net == net && j.core == core && j.engine == engine && j.sparsity == sparsity && j.wasm == wasm && !j.rearrange)
                .map(|(_, c)| c)
        };
        let mut md = String::from(
            "# SparseByteNN: group-sparse MobileNet-v1 inference on a mobile core\n\n\
             One inference at batch 1 on one core, every instruction executed and timed (full detail). Only the 1x1 convolutions are pruned (by magnitude, under each kernel's structure, from seeded weights); the first convolution, the depthwise layers and the classifier stay dense. \
             Engines differ only in the 1x1 kernels: dense `conv1x1_16x4.s`; unstructured `spmm_16x1.s` (XNNPACK's SpMM); MNN-like `mnn_16x1.s` and `mnn_16x4.s` (blocks of 1 or 4 output channels as MNN's sparseBlockOC, a per-tile pack, NC4HW4 output converted back for the depthwise layers; dense below 30 % zeros); group-sparse `spmm_16x4.s` (groups of 4 output channels x 1 input channel). See docs/machines/mobile.md.\n\n",
        );
        if !set.is_empty() {
            md.push_str(&format!("Overrides: {}\n\n", set.join(", ")));
        }
        let mut figures = Vec::new();
        // Headline.
        let nets: Vec<usize> = {
            let mut v: Vec<usize> = jobs.iter().map(|j| j.net).collect();
            v.dedup();
            v
        };
        md.push_str("## The headline: 30 % sparse, big core\n\n| network | dense (ms) | unstructured (ms) | MNN-like 1x1 (ms) | MNN-like 4x1 (ms) | group-sparse (ms) | group vs dense | group vs MNN-like 1x1 | group vs MNN-like 4x1 | group vs unstructured |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for &n in &nets {
            let c = |e: &str, s: u32| find(n, 0, e, s, None).expect("ran");
            let (d, u, m1, m, g) = (c("dense", 0), c("unstructured", 30), c("mnn1", 30), c("mnn", 30), c("group", 30));
            md.push_str(&format!(
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | **{:.3}x** | **{:.3}x** | **{:.3}x** | {:.3}x |\n",
                NETWORKS[n].1,
                d.ms,
                u.ms,
                m1.ms,
                m.ms,
                g.ms,
                d.ms / g.ms,
                m1.ms / g.ms,
                m.ms / g.ms,
                u.ms / g.ms
            ));
        }
        md.push_str(&format!("\nThe paper (Snapdragon 855, threads not stated): **{OVER_DENSE}x** over dense and **{OVER_MNN}x** over MNN's sparse engine.\n\n"));
        // Mechanisms.
        if let (Some(d), Some(m), Some(g), Some(u), Some(m1)) = (
            find(0, 0, "dense", 0, None),
            find(0, 0, "mnn", 30, None),
            find(0, 0, "group", 30, None),
            find(0, 0, "unstructured", 30, None),
            find(0, 0, "mnn1", 30, None),
        ) {
            md.push_str("### What bounds each engine (MobileNet-v1 1.0, big core)\n\n| engine | instructions (M) | IPC | vec-pipe utilisation | layout steps | cycle stack: front end / window / dependency / pipe / execute / memory | L1D / L2 / L3 misses (M) | DRAM (MB) | energy (mJ) |\n| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |\n");
            for (name, c) in [("dense", d), ("unstructured 30 %", u), ("MNN-like 1x1 30 %", m1), ("MNN-like 4x1 30 %", m), ("group-sparse 30 %", g)] {
                let shares: Vec<String> = c.shares.iter().map(|(_, v)| format!("{:.2}", v)).collect();
                let misses: Vec<String> = c.misses.iter().map(|(_, v)| format!("{:.2}", v / 1e6)).collect();
                md.push_str(&format!(
                    "| {name} | {:.1} | {:.2} | {:.3} | {:.1} % | {} | {} | {:.1} | {:.2} |\n",
                    c.instructions / 1e6,
                    c.ipc,
                    c.fma,
                    c.layout_share * 100.0,
                    shares.join(" / "),
                    misses.join(" / "),
                    c.dram_mb,
                    c.energy_mj
                ));
            }
            md.push('\n');
            if let Some((_, r)) = jobs.iter().zip(&results).find(|(j, _)| j.rearrange) {
                md.push_str(&format!(
                    "### Pruning under each structure: weight magnitude kept at 30 % zeros (an accuracy proxy)\n\n| unstructured | MNN-like 1x1 blocks | MNN-like 4x1 blocks | group-sparse, groups of 4 | group-sparse with channel rearrangement |\n| ---: | ---: | ---: | ---: | ---: |\n| {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |\n\n\
                     With channel rearrangement (our interpretation: output channels whose strongest inputs coincide share a group; free at run time) the group-sparse network runs in {:.2} ms ({:.3}x of the plain group-sparse time). The weights are seeded random values, so which channels coincide is chance: a trained network's structure may gain more.\n\n",
                    u.kept, m1.kept, m.kept, g.kept, r.kept, r.ms, g.ms / r.ms
                ));
            }
            let groups: Vec<String> = d.layers.iter().map(|l| l.0.clone()).collect();
            let series = [("dense", d), ("MNN-like 1x1 30 %", m1), ("MNN-like 4x1 30 %", m), ("group-sparse 30 %", g)]
                .iter()
                .map(|(n, c)| (n.to_string(), c.layers.iter().map(|l| Some(l.1)).collect()))
                .collect();
            figures.push((
                "layers".to_string(),
                Figure::Bars {
                    title: "MobileNet-v1 1.0 on the big core: latency by layer".into(),
                    y_label: "ms".into(),
                    groups,
                    series,
                    stacked: false,
                },
            ));
        }
        // WebAssembly.
        if find(0, 0, "dense", 0, Some(0)).is_some() {
            md.push_str("## WebAssembly profile (MobileNet-v1 1.0, 30 %, big core)\n\n| profile | dense (ms) | MNN-like 4x1 (ms) | group-sparse (ms) | group vs dense | group vs MNN-like 4x1 | group: native speedup over this |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            let native = find(0, 0, "group", 30, None).map_or(f64::NAN, |c| c.ms);
            let mut bars: Vec<(String, Vec<Option<f64>>)> = vec![("group vs dense".into(), Vec::new()), ("group vs MNN-like 4x1".into(), Vec::new())];
            let mut groups = vec!["native".to_string()];
            if let (Some(d), Some(m), Some(g)) = (find(0, 0, "dense", 0, None), find(0, 0, "mnn", 30, None), find(0, 0, "group", 30, None)) {
                bars[0].1.push(Some(d.ms / g.ms));
                bars[1].1.push(Some(m.ms / g.ms));
            }
            for (w, (_, _, name)) in WASM.iter().enumerate() {
                let c = |e: &str, s: u32| find(0, 0, e, s, Some(w)).expect("ran");
                let (d, m, g) = (c("dense", 0), c("mnn", 30), c("group", 30));
                md.push_str(&format!(
                    "| {name} | {:.2} | {:.2} | {:.2} | {:.3}x | {:.3}x | {:.3}x |\n",
                    d.ms,
                    m.ms,
                    g.ms,
                    d.ms / g.ms,
                    m.ms / g.ms,
                    g.ms / native
                ));
                groups.push(name.to_string());
                bars[0].1.push(Some(d.ms / g.ms));
                bars[1].1.push(Some(m.ms / g.ms));
            }
            md.push('\n');
            bars.push((format!("paper vs dense ({OVER_DENSE})"), groups.iter().map(|_| Some(OVER_DENSE)).collect()));
            bars.push((format!("paper vs MNN ({OVER_MNN})"), groups.iter().map(|_| Some(OVER_MNN)).collect()));
            figures.push((
                "wasm".to_string(),
                Figure::Bars {
                    title: "Group-sparse speedups at 30 %, native and WebAssembly".into(),
                    y_label: "speedup (x)".into(),
                    groups,
                    series: bars,
                    stacked: false,
                },
            ));
        }
        // Curves.
        for (ci, (cstem, cname)) in CORES.iter().enumerate() {
            let Some(dense) = find(0, ci, "dense", 0, None) else { continue };
            if find(0, ci, "group", 90, None).is_none() {
                continue;
            }
            md.push_str(&format!("## Speedup over dense against sparsity, {cname} core (MobileNet-v1 1.0; dense {:.2} ms)\n\n| engine |", dense.ms));
            for s in SPARSITIES {
                md.push_str(&format!(" {s} % |"));
            }
            md.push_str("\n| --- |");
            for _ in SPARSITIES {
                md.push_str(" ---: |");
            }
            md.push('\n');
            let mut series = Vec::new();
            for (e, name) in ENGINES {
                md.push_str(&format!("| {name} |"));
                let mut pts = Vec::new();
                for s in SPARSITIES {
                    let c = find(0, ci, e, s, None).expect("ran");
                    md.push_str(&format!(" {:.3}x |", dense.ms / c.ms));
                    pts.push((s as f64, dense.ms / c.ms));
                }
                md.push('\n');
                series.push((name.to_string(), pts));
            }
            md.push('\n');
            figures.push((
                format!("speedup-{cstem}"),
                Figure::Lines {
                    title: format!("MobileNet-v1 1.0, {cname} core: speedup over dense"),
                    x_label: "zeros in the 1x1 convolutions (%)".into(),
                    y_label: "speedup (x)".into(),
                    log_x: false,
                    series,
                },
            ));
        }
        Ok(StudyReport { summary_md: md, figures })
    }
}
