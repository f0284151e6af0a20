//! The views of a sweep directory, made from `sweep.json` and `results.jsonl` alone (never from
//! live models): `results.csv`, `plots/*.svg|png` and a self-contained `index.html`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::results::{self, Record, Status};
use super::spec::{PlotKind, PlotSpec};
use super::{Manifest, SweepError};
use crate::report::html;
use crate::report::plot::{self, Figure};

fn io_err(path: &Path, e: impl std::fmt::Display) -> SweepError {
    SweepError::Io(format!("{}: {e}", path.display()))
}

/// What [`render`] wrote.
pub struct Rendered {
    /// `index.html`.
    pub index: PathBuf,
    /// Plot stems written (each as .svg and .png).
    pub plots: Vec<PathBuf>,
    /// Plots that could not be drawn, and why.
    pub skipped: Vec<String>,
}

/// The records of a sweep directory, one per point, by index.
pub fn load(dir: &Path) -> Result<(Manifest, Vec<Record>), SweepError> {
    let m = Manifest::read(dir)?;
    let c = results::read(&dir.join("results.jsonl"), Some(&m.sweep_hash))?;
    let mut seen = BTreeSet::new();
    let mut recs: Vec<Record> = c
        .records
        .into_iter()
        .filter(|r| seen.insert(r.id.clone()))
        .collect();
    recs.sort_by_key(|r| r.index);
    Ok((m, recs))
}

/// Writes `results.csv`, the plots and `index.html` of the sweep directory `dir`.
pub fn render(dir: &Path) -> Result<Rendered, SweepError> {
    let (m, recs) = load(dir)?;
    write_csv(dir, &m, &recs)?;
    let plots_dir = dir.join("plots");
    std::fs::create_dir_all(&plots_dir).map_err(|e| io_err(&plots_dir, e))?;
    let specs = if m.sweep.file.plot.is_empty() {
        default_plots(&m, &recs)
    } else {
        m.sweep.file.plot.clone()
    };
    let mut figures = String::new();
    let mut stems = Vec::new();
    let mut skipped = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        match figures_for(spec, &m, &recs) {
            Ok(figs) => {
                for (j, (fig, caption)) in figs.into_iter().enumerate() {
                    let name = format!("{:02}-{}-{j}", i + 1, kind_name(spec.kind));
                    let stem = plots_dir.join(&name);
                    let svg = plot::save(&fig, &stem).map_err(|e| io_err(&stem, e))?;
                    figures.push_str(&html::figure(&svg, &caption, &format!("plots/{name}")));
                    stems.push(stem);
                }
            }
            Err(why) => skipped.push(format!("plot {} ({}): {why}", i + 1, kind_name(spec.kind))),
        }
    }
    let index = dir.join("index.html");
    let page = index_html(&m, &recs, &figures, &skipped);
    std::fs::write(&index, page).map_err(|e| io_err(&index, e))?;
    Ok(Rendered {
        index,
        plots: stems,
        skipped,
    })
}

fn kind_name(k: PlotKind) -> &'static str {
    match k {
        PlotKind::Lines => "lines",
        PlotKind::Heatmap => "heatmap",
        PlotKind::Pareto => "pareto",
        PlotKind::Energy => "energy",
        PlotKind::Speedup => "speedup",
    }
}

/// Every metric any point has, with its unit.
fn metric_units(recs: &[Record]) -> BTreeMap<String, String> {
    let mut u = BTreeMap::new();
    for r in recs {
        for (k, v) in &r.metrics {
            u.entry(k.clone()).or_insert_with(|| v.unit.clone());
        }
    }
    u
}

fn with_unit(name: &str, unit: &str) -> String {
    if unit.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({unit})")
    }
}

/// The last part of a key path (`level[1].cache.n_ways` -> `n_ways`), for titles.
fn short(k: &str) -> &str {
    k.rsplit('.').next().unwrap_or(k)
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `results.csv`: one row per point; axes, metrics and energy columns carry their unit in brackets.
fn write_csv(dir: &Path, m: &Manifest, recs: &[Record]) -> Result<(), SweepError> {
    let path = dir.join("results.csv");
    let units = metric_units(recs);
    let comps: BTreeSet<&String> = recs.iter().flat_map(|r| r.energy_pj.keys()).collect();
    let axes: Vec<&String> = m.sweep.axis_values.iter().map(|(k, _)| k).collect();
    let mut w = csv::Writer::from_path(&path).map_err(|e| io_err(&path, e))?;
    let bracket = |name: &str, unit: &str| {
        if unit.is_empty() {
            name.to_string()
        } else {
            format!("{name} [{unit}]")
        }
    };
    let mut header: Vec<String> = vec!["index".into(), "id".into(), "workload".into()];
    header.extend(axes.iter().map(|k| bracket(k, m.sweep.axis_unit(k))));
    header.extend(["seed".into(), "status".into(), "error".into()]);
    header.push("simulated_time [ps]".into());
    header.extend(units.iter().map(|(k, u)| bracket(k, u)));
    header.extend(comps.iter().map(|c| format!("energy.{c} [pJ]")));
    w.write_record(&header).map_err(|e| io_err(&path, e))?;
    for r in recs {
        let mut row: Vec<String> = vec![r.index.to_string(), r.id.clone(), r.workload.clone()];
        row.extend(
            axes.iter()
                .map(|k| r.axes.get(*k).map(show).unwrap_or_default()),
        );
        row.push(r.seed.to_string());
        row.push(
            if r.status == Status::Ok {
                "ok"
            } else {
                "failed"
            }
            .into(),
        );
        row.push(r.error.clone().unwrap_or_default());
        row.push(r.simulated_ps.to_string());
        row.extend(
            units
                .keys()
                .map(|k| r.metric(k).map(|v| v.to_string()).unwrap_or_default()),
        );
        row.extend(comps.iter().map(|c| {
            r.energy_pj
                .get(*c)
                .map(|v| v.to_string())
                .unwrap_or_default()
        }));
        w.write_record(&row).map_err(|e| io_err(&path, e))?;
    }
    w.flush().map_err(|e| io_err(&path, e))
}

/// The metric a sweep is mostly about: the first listed, else time, else cycles.
fn main_metric(m: &Manifest, recs: &[Record]) -> Option<String> {
    let units = metric_units(recs);
    m.sweep
        .file
        .metrics
        .iter()
        .find(|k| units.contains_key(*k))
        .cloned()
        .or_else(|| {
            ["time_us", "cycles", "core.cycles"]
                .iter()
                .find(|k| units.contains_key(**k))
                .map(|k| k.to_string())
        })
        .or_else(|| units.keys().next().cloned())
}

/// Plots for a sweep file that names none: the main metric against each axis, a heatmap of the
/// first two axes, time against energy, and the energy breakdown.
fn default_plots(m: &Manifest, recs: &[Record]) -> Vec<PlotSpec> {
    let blank = PlotSpec {
        kind: PlotKind::Lines,
        x: None,
        y: None,
        metric: None,
        baseline: BTreeMap::new(),
        log_x: None,
    };
    let mut out = Vec::new();
    let Some(metric) = main_metric(m, recs) else {
        return out;
    };
    for (k, _) in &m.sweep.axis_values {
        out.push(PlotSpec {
            x: Some(k.clone()),
            y: Some(metric.clone()),
            ..blank.clone()
        });
    }
    if m.sweep.axis_values.len() >= 2 {
        out.push(PlotSpec {
            kind: PlotKind::Heatmap,
            x: Some(m.sweep.axis_values[0].0.clone()),
            y: Some(m.sweep.axis_values[1].0.clone()),
            metric: Some(metric.clone()),
            ..blank.clone()
        });
    }
    let units = metric_units(recs);
    if units.contains_key("energy_uj") && metric != "energy_uj" {
        out.push(PlotSpec {
            kind: PlotKind::Pareto,
            x: Some(metric),
            y: Some("energy_uj".into()),
            ..blank.clone()
        });
        out.push(PlotSpec {
            kind: PlotKind::Energy,
            ..blank
        });
    }
    out
}

/// The most heatmaps one plot entry draws (one per combination of the other axes).
const MAX_HEATMAPS: usize = 12;

/// A short label of a point: its workload (if the sweep has several) and its axis values.
fn point_label(r: &Record, several_workloads: bool, skip: &[&str]) -> String {
    let mut parts = Vec::new();
    if several_workloads {
        parts.push(r.workload.clone());
    }
    for (k, v) in &r.axes {
        if !skip.contains(&k.as_str()) {
            let short = k.rsplit('.').next().unwrap_or(k);
            parts.push(format!("{short}={}", show(v)));
        }
    }
    if parts.is_empty() {
        format!("#{}", r.index)
    } else {
        parts.join(" ")
    }
}

fn several_workloads(recs: &[Record]) -> bool {
    recs.iter()
        .map(|r| &r.workload)
        .collect::<BTreeSet<_>>()
        .len()
        > 1
}

fn need<'a>(v: &'a Option<String>, what: &str) -> Result<&'a str, String> {
    v.as_deref().ok_or_else(|| format!("needs `{what}`"))
}

fn need_axis<'a>(m: &Manifest, v: &'a Option<String>, what: &str) -> Result<&'a str, String> {
    let k = need(v, what)?;
    if m.sweep.axis_values.iter().any(|(a, _)| a == k) {
        Ok(k)
    } else {
        let axes: Vec<&str> = m
            .sweep
            .axis_values
            .iter()
            .map(|(a, _)| a.as_str())
            .collect();
        Err(format!(
            "`{what} = \"{k}\"` is not an axis; the axes are {axes:?}"
        ))
    }
}

fn need_metric<'a>(recs: &[Record], v: &'a Option<String>, what: &str) -> Result<&'a str, String> {
    let k = need(v, what)?;
    let units = metric_units(recs);
    if units.contains_key(k) {
        Ok(k)
    } else if units.is_empty() {
        Err("no point has finished yet".into())
    } else {
        let names: Vec<&String> = units.keys().collect();
        Err(format!(
            "no point has metric `{k}`; the metrics are {names:?}"
        ))
    }
}

type Figures = Vec<(Figure, String)>;

/// A point of a line: x, y, and x as the axis shows it.
type LinePoint = (f64, f64, String);

fn figures_for(spec: &PlotSpec, m: &Manifest, recs: &[Record]) -> Result<Figures, String> {
    let ok: Vec<&Record> = recs.iter().filter(|r| r.status == Status::Ok).collect();
    let units = metric_units(recs);
    let several = several_workloads(recs);
    let axis_label = |k: &str| with_unit(k, m.sweep.axis_unit(k));
    let metric_label = |k: &str| with_unit(k, units.get(k).map_or("", |u| u.as_str()));
    match spec.kind {
        PlotKind::Lines => {
            let x = need_axis(m, &spec.x, "x")?;
            let y = need_metric(recs, &spec.y, "y")?;
            let numeric = ok
                .iter()
                .all(|r| r.axes.get(x).is_some_and(|v| v.is_number()));
            // Series in the order of their first point (the axes' own order), not by name.
            let mut series: Vec<(String, Vec<LinePoint>)> = Vec::new();
            for r in &ok {
                let (Some(xv), Some(yv)) = (r.axes.get(x), r.metric(y)) else {
                    continue;
                };
                let label = point_label(r, several, &[x]);
                let i = match series.iter().position(|(l, _)| *l == label) {
                    Some(i) => i,
                    None => {
                        series.push((label, Vec::new()));
                        series.len() - 1
                    }
                };
                series[i].1.push((xv.as_f64().unwrap_or(0.0), yv, show(xv)));
            }
            if series.is_empty() {
                return Err("no finished point has this metric".into());
            }
            let title = format!("{y} vs. {}", short(x));
            if numeric {
                let log_x = spec.log_x.unwrap_or_else(|| {
                    m.sweep
                        .file
                        .axis
                        .iter()
                        .any(|a| a.key == x && a.log.is_some())
                });
                let series = series
                    .into_iter()
                    .map(|(k, mut v)| {
                        v.sort_by(|a, b| a.0.total_cmp(&b.0));
                        (k, v.into_iter().map(|(x, y, _)| (x, y)).collect())
                    })
                    .collect();
                Ok(vec![(
                    Figure::Lines {
                        title: title.clone(),
                        x_label: axis_label(x),
                        y_label: metric_label(y),
                        log_x,
                        series,
                    },
                    title,
                )])
            } else {
                // Text values (a policy, a preset): bars, one group per value.
                let values: Vec<String> = m
                    .sweep
                    .axis_values
                    .iter()
                    .find(|(k, _)| k == x)
                    .map(|(_, v)| v.iter().map(show).collect())
                    .unwrap_or_default();
                let series = series
                    .into_iter()
                    .map(|(k, v)| {
                        let col = values
                            .iter()
                            .map(|g| v.iter().find(|p| &p.2 == g).map(|p| p.1))
                            .collect();
                        (k, col)
                    })
                    .collect();
                Ok(vec![(
                    Figure::Bars {
                        title: title.clone(),
                        y_label: metric_label(y),
                        groups: values,
                        series,
                        stacked: false,
                    },
                    title,
                )])
            }
        }
        PlotKind::Heatmap => {
            let x = need_axis(m, &spec.x, "x")?;
            let y = need_axis(m, &spec.y, "y")?;
            if x == y {
                return Err("x and y are the same axis".into());
            }
            let z = need_metric(recs, &spec.metric, "metric")?;
            let vals = |k: &str| -> Vec<serde_json::Value> {
                m.sweep
                    .axis_values
                    .iter()
                    .find(|(a, _)| a == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let (xs, ys) = (vals(x), vals(y));
            let mut grids: BTreeMap<String, Vec<Vec<Option<f64>>>> = BTreeMap::new();
            for r in &ok {
                let (Some(xv), Some(yv), Some(zv)) = (r.axes.get(x), r.axes.get(y), r.metric(z))
                else {
                    continue;
                };
                let (Some(xi), Some(yi)) = (
                    xs.iter().position(|v| v == xv),
                    ys.iter().position(|v| v == yv),
                ) else {
                    continue;
                };
                // One grid per value of the other axes (and workload): a two-axis sweep has one.
                let mut others = point_label(r, several, &[x, y]);
                if others.starts_with('#') {
                    others.clear();
                }
                let g = grids
                    .entry(others)
                    .or_insert_with(|| vec![vec![None; xs.len()]; ys.len()]);
                g[yi][xi] = Some(zv);
            }
            if grids.is_empty() {
                return Err("no finished point has this metric".into());
            }
            let n_grids = grids.len();
            Ok(grids
                .into_iter()
                .take(MAX_HEATMAPS)
                .map(|(label, values)| {
                    let mut title = if label.is_empty() {
                        format!("{z} over {} and {}", short(x), short(y))
                    } else {
                        format!("{z} over {} and {}: {label}", short(x), short(y))
                    };
                    if n_grids > MAX_HEATMAPS {
                        title.push_str(&format!(
                            " (one of the first {MAX_HEATMAPS} of {n_grids} heatmaps; every point is in results.csv)"
                        ));
                    }
                    (
                        Figure::Heatmap {
                            title: title.clone(),
                            x_label: axis_label(x),
                            y_label: axis_label(y),
                            x_ticks: xs.iter().map(show).collect(),
                            y_ticks: ys.iter().map(show).collect(),
                            values,
                        },
                        format!("{title} ({})", metric_label(z)),
                    )
                })
                .collect())
        }
        PlotKind::Pareto => {
            let x = need_metric(recs, &spec.x, "x")?;
            let y = need_metric(recs, &spec.y, "y")?;
            let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
            for r in &ok {
                if let (Some(a), Some(b)) = (r.metric(x), r.metric(y)) {
                    series.entry(r.workload.clone()).or_default().push((a, b));
                }
            }
            let title = format!("{y} vs. {x}, Pareto front");
            Ok(vec![(
                Figure::Pareto {
                    title: title.clone(),
                    x_label: metric_label(x),
                    y_label: metric_label(y),
                    series: series.into_iter().collect(),
                },
                format!("{title} (lower is better on both; the front is over all workloads)"),
            )])
        }
        PlotKind::Energy => {
            const MAX: usize = 60;
            let pts: Vec<&&Record> = ok.iter().filter(|r| !r.energy_pj.is_empty()).collect();
            if pts.is_empty() {
                return Err("no finished point has an energy breakdown (no energy table?)".into());
            }
            let comps: BTreeSet<&String> = pts.iter().flat_map(|r| r.energy_pj.keys()).collect();
            let shown = &pts[..pts.len().min(MAX)];
            let series = comps
                .iter()
                .map(|c| {
                    (
                        c.to_string(),
                        shown
                            .iter()
                            .map(|r| r.energy_pj.get(*c).map(|pj| pj / 1e6))
                            .collect(),
                    )
                })
                .collect();
            let title = if pts.len() > MAX {
                format!("Energy by component (first {MAX} of {} points)", pts.len())
            } else {
                "Energy by component".to_string()
            };
            Ok(vec![(
                Figure::Bars {
                    title: title.clone(),
                    y_label: "energy (uJ)".into(),
                    groups: shown.iter().map(|r| point_label(r, several, &[])).collect(),
                    series,
                    stacked: true,
                },
                title,
            )])
        }
        PlotKind::Speedup => {
            let metric = need_metric(recs, &spec.metric, "metric")?;
            if spec.baseline.is_empty() {
                return Err("needs `baseline = { axis = value, ... }`".into());
            }
            let base: BTreeMap<&String, serde_json::Value> = spec
                .baseline
                .iter()
                .map(|(k, v)| (k, serde_json::to_value(v).expect("TOML converts")))
                .collect();
            let same = |a: &serde_json::Value, b: &serde_json::Value| match (a.as_f64(), b.as_f64())
            {
                (Some(x), Some(y)) => x == y,
                _ => a == b,
            };
            let is_base = |r: &Record| {
                base.iter()
                    .all(|(k, v)| r.axes.get(*k).is_some_and(|a| same(a, v)))
            };
            let workloads: BTreeSet<&String> = ok.iter().map(|r| &r.workload).collect();
            let mut groups: Vec<String> = Vec::new();
            let mut series = Vec::new();
            for w in &workloads {
                let Some(b) = ok
                    .iter()
                    .find(|r| &r.workload == *w && is_base(r))
                    .and_then(|r| r.metric(metric))
                else {
                    continue;
                };
                let mine: Vec<&&Record> = ok.iter().filter(|r| &r.workload == *w).collect();
                let mut col = vec![None; groups.len()];
                for r in mine {
                    let label = point_label(r, false, &[]);
                    let gi = match groups.iter().position(|g| *g == label) {
                        Some(i) => i,
                        None => {
                            groups.push(label);
                            for (_, c) in series.iter_mut() {
                                let c: &mut Vec<Option<f64>> = c;
                                c.push(None);
                            }
                            col.push(None);
                            groups.len() - 1
                        }
                    };
                    col[gi] = r.metric(metric).filter(|v| *v > 0.0).map(|v| b / v);
                }
                series.push((w.to_string(), col));
            }
            if series.is_empty() {
                let wanted: Vec<String> = spec
                    .baseline
                    .iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                return Err(format!(
                    "no finished point matches the baseline {{ {} }}",
                    wanted.join(", ")
                ));
            }
            let desc: Vec<String> = spec
                .baseline
                .iter()
                .map(|(k, v)| format!("{}={v}", short(k)))
                .collect();
            let title = format!("Speedup in {metric} over {}", desc.join(", "));
            Ok(vec![(
                Figure::Bars {
                    title: title.clone(),
                    y_label: format!("speedup (baseline {metric} / {metric})"),
                    groups,
                    series,
                    stacked: false,
                },
                title,
            )])
        }
    }
}

fn index_html(m: &Manifest, recs: &[Record], figures: &str, skipped: &[String]) -> String {
    let f = &m.sweep.file;
    let mine = m.points().len();
    let failed: Vec<&Record> = recs.iter().filter(|r| r.status == Status::Failed).collect();
    let mut b = String::new();
    let _ = writeln!(b, "<h1>Sweep {}</h1>", html::escape(&f.name));
    let _ = writeln!(
        b,
        "<p>{} of {} points done, {} failed{}. Sweep hash <code>{}</code>; base experiment <code>{}</code>; sampling {}, seed {}.</p>",
        recs.len(),
        mine,
        failed.len(),
        m.shard.map_or(String::new(), |s| format!(" (shard {s} of a sweep of {} points)", m.sweep.points.len())),
        m.sweep_hash,
        html::escape(&m.sweep.base.display().to_string()),
        serde_json::to_value(f.sampling)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        f.seed
    );
    b.push_str("<p class=\"muted\">Files: <a href=\"results.jsonl\">results.jsonl</a>, <a href=\"results.csv\">results.csv</a>, <a href=\"sweep.json\">sweep.json</a>. Rerun one point with <code>sparsim run BASE --set ...</code> and the overrides in its row.</p>\n");
    b.push_str("<h2>Plots</h2>\n");
    if figures.is_empty() {
        b.push_str("<p>No plots.</p>\n");
    }
    b.push_str(figures);
    for s in skipped {
        let _ = writeln!(b, "<p class=\"muted\">Not drawn: {}</p>", html::escape(s));
    }
    // Summary table: axes and the chosen metrics.
    let units = metric_units(recs);
    let mut metrics: Vec<String> = f
        .metrics
        .iter()
        .filter(|k| units.contains_key(*k))
        .cloned()
        .collect();
    if metrics.is_empty() {
        metrics.extend(main_metric(m, recs));
        if units.contains_key("energy_uj") && !metrics.iter().any(|k| k == "energy_uj") {
            metrics.push("energy_uj".into());
        }
    }
    let axes: Vec<&String> = m.sweep.axis_values.iter().map(|(k, _)| k).collect();
    let mut headers = vec!["#".to_string(), "workload".into()];
    headers.extend(axes.iter().map(|k| with_unit(k, m.sweep.axis_unit(k))));
    headers.extend(
        metrics
            .iter()
            .map(|k| with_unit(k, units.get(k).map_or("", |u| u.as_str()))),
    );
    headers.push("status".into());
    const ROWS: usize = 500;
    let rows: Vec<Vec<String>> = recs
        .iter()
        .take(ROWS)
        .map(|r| {
            let failed = r.status == Status::Failed;
            let mut row = vec![format!("{}{}", if failed { "!" } else { "" }, r.index)];
            row.push(r.workload.clone());
            row.extend(
                axes.iter()
                    .map(|k| r.axes.get(*k).map(show).unwrap_or_default()),
            );
            row.extend(
                metrics
                    .iter()
                    .map(|k| r.metric(k).map(crate::report::fmt_num).unwrap_or_default()),
            );
            row.push(if failed { "failed" } else { "ok" }.into());
            row
        })
        .collect();
    let _ = writeln!(b, "<h2>Results</h2>");
    if recs.len() > ROWS {
        let _ = writeln!(
            b,
            "<p class=\"muted\">First {ROWS} of {} points; all are in results.csv.</p>",
            recs.len()
        );
    }
    b.push_str(&html::table(&headers, &rows));
    let _ = writeln!(b, "<h2>Failed points ({})</h2>", failed.len());
    if failed.is_empty() {
        b.push_str("<p>None.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = failed
            .iter()
            .map(|r| {
                vec![
                    r.index.to_string(),
                    r.id.clone(),
                    r.overrides.join(" "),
                    r.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        b.push_str(&html::table(
            &["#".into(), "id".into(), "overrides".into(), "error".into()],
            &rows,
        ));
    }
    let _ = writeln!(
        b,
        "<h2>Configuration</h2>\n<h3>Sweep file <code>{}</code></h3>\n<pre>{}</pre>\n<h3>Base experiment</h3>\n<pre>{}</pre>",
        html::escape(&m.sweep.path.display().to_string()),
        html::escape(&m.sweep_text),
        html::escape(&m.base_text)
    );
    html::page(&format!("sweep {}", f.name), &b)
}
