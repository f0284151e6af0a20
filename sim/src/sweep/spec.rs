//! Sweep files: a base experiment, axes over config key paths, workloads, sampling, plots; and the
//! points they expand to.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use super::SweepError;

/// More points than this is almost certainly a mistake in a range; the error says how to go on.
pub const MAX_POINTS: usize = 1_000_000;

/// A sweep file as written (`configs/sweeps/*.toml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// Sweep name: the directory under `reports/`.
    pub name: String,
    /// The experiment every point runs, relative to the sweep file.
    pub base: PathBuf,
    /// Seed for sampling and for each point's derived seed. Default 1.
    #[serde(default = "one")]
    pub seed: u64,
    /// The key that receives each point's derived seed. Default `seed`; `""` = leave the seed alone.
    #[serde(default = "seed_key")]
    pub seed_key: String,
    /// `cartesian` (every combination, the default), `random` or `lhs` (Latin hypercube).
    #[serde(default)]
    pub sampling: Sampling,
    /// Points to draw with `random` or `lhs`.
    pub samples: Option<usize>,
    /// Metrics shown in the summary table (every metric is recorded either way).
    #[serde(default)]
    pub metrics: Vec<String>,
    /// The axes: a key path each, with its values.
    #[serde(default)]
    pub axis: Vec<Axis>,
    /// Workloads: named sets of overrides. Default: the base experiment's own workload.
    #[serde(default)]
    pub workload: Vec<Workload>,
    /// Plots made from the results.
    #[serde(default)]
    pub plot: Vec<PlotSpec>,
}

fn one() -> u64 {
    1
}
fn seed_key() -> String {
    "seed".into()
}

/// How points are chosen from the axes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// Every combination.
    #[default]
    Cartesian,
    /// `samples` distinct combinations drawn uniformly (seeded).
    Random,
    /// Latin hypercube: `samples` points, each axis's values covered in equal strata (seeded).
    Lhs,
}

/// One axis: a key path and its values.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    /// Config key path, as with `--set` (e.g. `piuma.threads_per_mtp`, `level[1].cache.size_bytes`).
    pub key: String,
    /// Unit, for plot labels and column names (e.g. `KiB`, `threads`).
    #[serde(default)]
    pub unit: String,
    /// Explicit values.
    pub values: Option<Vec<toml::Value>>,
    /// A linear range `{ from, to, step }`, `to` included when the steps land on it.
    pub range: Option<LinearRange>,
    /// A log range `{ from, to, factor }` or `{ from, to, points }`, `to` included.
    pub log: Option<LogRange>,
}

/// `from`, `from + step`, ... up to `to`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinearRange {
    /// First value.
    pub from: f64,
    /// Last value (included if reached).
    pub to: f64,
    /// Step; its sign must lead from `from` to `to`.
    pub step: f64,
}

/// Geometric values from `from` to `to`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogRange {
    /// First value (> 0).
    pub from: f64,
    /// Last value (> 0).
    pub to: f64,
    /// Ratio between neighbours (> 1 going up, < 1 going down).
    pub factor: Option<f64>,
    /// Number of values, evenly spaced in log (>= 2).
    pub points: Option<usize>,
}

/// A named workload: overrides applied to the base experiment.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Name, shown in plots and tables.
    pub name: String,
    /// Overrides (`"workload.a.file" = "../../workloads/matrices/karate.mtx"`); paths are relative
    /// to the base experiment, exactly as with `run --set`.
    #[serde(default)]
    pub set: BTreeMap<String, toml::Value>,
}

/// A plot of the results.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// `lines` (metric vs. axis), `heatmap` (metric over two axes), `pareto` (two metrics, front
    /// highlighted), `energy` (stacked energy by component per point), `speedup` (bars relative to
    /// a baseline point).
    pub kind: PlotKind,
    /// lines, heatmap: the axis on x. pareto: the metric on x.
    pub x: Option<String>,
    /// heatmap: the axis on y. lines, pareto: the metric on y.
    pub y: Option<String>,
    /// heatmap, speedup: the metric.
    pub metric: Option<String>,
    /// speedup: axis values of the baseline point (per workload).
    #[serde(default)]
    pub baseline: BTreeMap<String, toml::Value>,
    /// Logarithmic x axis (lines). Default: on for axes given as `log` ranges.
    pub log_x: Option<bool>,
}

/// Plot kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlotKind {
    /// Metric against one axis.
    Lines,
    /// Metric over two axes.
    Heatmap,
    /// Two metrics, Pareto front highlighted.
    Pareto,
    /// Stacked energy breakdown per point.
    Energy,
    /// Speedup over a baseline point.
    Speedup,
}

/// One point of a sweep: a run of the base experiment with overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Position in the sweep's canonical order.
    pub index: usize,
    /// Stable id: a hash of the workload name and the axis overrides.
    pub id: String,
    /// Workload name.
    pub workload: String,
    /// Axis key -> value.
    pub axes: BTreeMap<String, serde_json::Value>,
    /// The point's derived seed.
    pub seed: u64,
    /// Every `--set` override of this point, in order: workload, axes, seed.
    pub overrides: Vec<String>,
}

/// A checked sweep: what runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sweep {
    /// The sweep file as parsed.
    pub file: SweepFile,
    /// Where it was read from.
    pub path: PathBuf,
    /// The base experiment (resolved path).
    pub base: PathBuf,
    /// Hash of everything that decides the results: the base experiment's text and every point.
    pub hash: String,
    /// The points, in canonical order.
    pub points: Vec<Point>,
    /// Axis values as expanded (key -> values), for plots.
    pub axis_values: Vec<(String, Vec<serde_json::Value>)>,
}

/// 64-bit FNV-1a: a small, stable, documented hash (ids must not change between versions or
/// platforms, which rules out `std`'s randomly keyed hashers).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A TOML value as an override's right-hand side (`4`, `"lru"`, `2.5`).
fn toml_literal(v: &toml::Value) -> String {
    v.to_string()
}

fn to_json(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).expect("TOML values convert to JSON")
}

impl Axis {
    /// The values this axis takes, checked.
    pub fn expand(&self, at: &str) -> Result<Vec<toml::Value>, String> {
        let given = [
            self.values.is_some(),
            self.range.is_some(),
            self.log.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(format!(
                "{at} (key {}): give exactly one of `values`, `range` or `log`",
                self.key
            ));
        }
        if let Some(v) = &self.values {
            if v.is_empty() {
                return Err(format!(
                    "{at}.values (key {}): the list is empty; give at least one value",
                    self.key
                ));
            }
            return Ok(v.clone());
        }
        let ints = |xs: &[f64]| xs.iter().all(|x| x.fract() == 0.0 && x.abs() < 9e15);
        if let Some(r) = &self.range {
            if !(r.from.is_finite() && r.to.is_finite() && r.step.is_finite()) {
                return Err(format!(
                    "{at}.range: from, to and step must be finite numbers"
                ));
            }
            if r.step == 0.0 || (r.to - r.from) * r.step < 0.0 {
                return Err(format!(
                    "{at}.range: step {} never leads from {} to {}; use a step with the sign of to - from",
                    r.step, r.from, r.to
                ));
            }
            let n = ((r.to - r.from) / r.step + 1e-9).floor() as usize + 1;
            if n > MAX_POINTS {
                return Err(format!(
                    "{at}.range: {n} values; use a larger step (at most {MAX_POINTS})"
                ));
            }
            let xs: Vec<f64> = (0..n).map(|i| r.from + r.step * i as f64).collect();
            let int = ints(&[r.from, r.to, r.step]);
            return Ok(xs.into_iter().map(|x| number(x, int)).collect());
        }
        let l = self.log.as_ref().expect("one of the three is given");
        if !(l.from > 0.0 && l.to > 0.0 && l.from.is_finite() && l.to.is_finite()) {
            return Err(format!(
                "{at}.log: from {} and to {} must be positive numbers",
                l.from, l.to
            ));
        }
        let xs: Vec<f64> = match (l.factor, l.points) {
            (Some(f), None) => {
                if !(f.is_finite() && f > 0.0 && f != 1.0) || (l.to - l.from) * (f - 1.0) < 0.0 {
                    return Err(format!(
                        "{at}.log: factor {f} never leads from {} to {}; use a factor > 1 to go up, < 1 to go down",
                        l.from, l.to
                    ));
                }
                let n = ((l.to / l.from).ln() / f.ln() + 1e-9).floor() as usize + 1;
                if n > MAX_POINTS {
                    return Err(format!("{at}.log: {n} values; use a larger factor"));
                }
                (0..n).map(|i| l.from * f.powi(i as i32)).collect()
            }
            (None, Some(p)) => {
                if p < 2 {
                    return Err(format!("{at}.log: points = {p}; give at least 2"));
                }
                if p > MAX_POINTS {
                    return Err(format!("{at}.log: points = {p}; at most {MAX_POINTS}"));
                }
                let r = (l.to / l.from).ln() / (p - 1) as f64;
                (0..p).map(|i| l.from * (r * i as f64).exp()).collect()
            }
            _ => {
                return Err(format!(
                    "{at}.log: give exactly one of `factor` or `points`"
                ))
            }
        };
        // Integer endpoints give integer values (rounded, duplicates dropped): sizes and counts.
        let int = ints(&[l.from, l.to]) && l.factor.is_none_or(|f| f.fract() == 0.0);
        let int = int || (ints(&[l.from, l.to]) && l.points.is_some());
        let mut out: Vec<toml::Value> = Vec::new();
        for x in xs {
            let v = number(if int { x.round() } else { x }, int);
            if !out.contains(&v) {
                out.push(v);
            }
        }
        Ok(out)
    }
}

fn number(x: f64, int: bool) -> toml::Value {
    if int {
        toml::Value::Integer(x.round() as i64)
    } else {
        // Trim binary noise (0.1 * 3 = 0.30000000000000004) so ids and labels stay readable.
        toml::Value::Float(format!("{x:.12e}").parse().expect("formatted float parses"))
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Checks `key` against the base experiment's key paths; the error suggests the nearest.
fn check_key(key: &str, valid: &[String], at: &str, file: &Path) -> Result<(), SweepError> {
    // A key below an optional table left unset (`workload.b.file` when `workload.b` is absent) is
    // valid if that table is a known key; the run's schema check has the last word.
    let known = valid.iter().any(|v| {
        v == key
            || key
                .strip_prefix(v.as_str())
                .is_some_and(|r| r.starts_with('.'))
    });
    if known {
        return Ok(());
    }
    let nearest = valid
        .iter()
        .min_by_key(|v| (edit_distance(key, v), v.len()))
        .map(String::as_str)
        .unwrap_or("(none)");
    Err(SweepError::Input(format!(
        "{}: {at}: the base experiment has no key `{key}`; did you mean `{nearest}`?",
        file.display()
    )))
}

/// Loads every point's experiment (its overrides applied, every check of the machine's loader
/// run) before any point runs, in parallel: a sweep whose points do not all resolve is refused,
/// naming the first few and why, instead of recording them as failed after the others ran.
fn check_points_resolve(base: &Path, points: &[Point], path: &Path) -> Result<(), SweepError> {
    use rayon::prelude::*;
    let failed: Vec<(usize, String)> = points
        .par_iter()
        .filter_map(|p| {
            crate::experiment::load(base, &p.overrides)
                .err()
                .map(|e| (p.index, e.to_string()))
        })
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let mut msg = format!(
        "{}: {} of {} points do not resolve; fix the axes' values (or the base) so that every point loads:",
        path.display(),
        failed.len(),
        points.len()
    );
    for (i, e) in failed.iter().take(5) {
        let p = &points[*i];
        msg.push_str(&format!(
            "\n  point {i} ({} {}): {e}",
            p.workload,
            p.overrides.join(" ")
        ));
    }
    if failed.len() > 5 {
        msg.push_str(&format!("\n  ... and {} more", failed.len() - 5));
    }
    Err(SweepError::Input(msg))
}

/// Checks, before any point runs, what only a run would otherwise reveal: that each axis value
/// is of a kind the base experiment accepts for its key (`values = ["two", 4]` on a number), and that
/// every metric the sweep names (its `metrics`, and its plots' `x`, `y` and `metric`) is one a
/// run reports or an axis. The metric names come from a run of the base experiment cut to one
/// cycle.
fn check_values_and_metrics(
    file: &SweepFile,
    base: &Path,
    axis_values: &[(String, Vec<toml::Value>)],
    path: &Path,
) -> Result<(), SweepError> {
    let input = |m: String| SweepError::Input(format!("{}: {m}", path.display()));
    for (i, (key, vals)) in axis_values.iter().enumerate() {
        for v in vals {
            let set = format!("{key}={}", toml_literal(v));
            // Only a value of the wrong kind is refused here: a value that is out of range with
            // the base's other keys may be fine with the other axes' values (and a point that
            // fails records its error).
            if let Err(e) = crate::experiment::load(base, std::slice::from_ref(&set)) {
                if matches!(
                    e,
                    crate::machines::ExperimentError::Config(
                        crate::config::ConfigError::Schema { .. }
                            | crate::config::ConfigError::Override { .. }
                    )
                ) {
                    return Err(input(format!(
                        "axis[{i}] (key {key}): the value {} is refused by the base experiment: {e}",
                        toml_literal(v)
                    )));
                }
            }
        }
    }
    let probe = crate::experiment::load(base, &["limits.max_cycles=1".to_string()])
        .and_then(|e| e.run())
        .ok();
    let Some(probe) = probe else {
        return Ok(());
    };
    let mut known: BTreeSet<String> = probe.report.derived.keys().cloned().collect();
    known.extend(["energy_uj".to_string(), "simulated_time_us".to_string()]);
    let axes: BTreeSet<&String> = axis_values.iter().map(|(k, _)| k).collect();
    let check = |name: &str, at: &str| -> Result<(), SweepError> {
        if known.contains(name) || axes.iter().any(|a| a.as_str() == name) {
            return Ok(());
        }
        let nearest = known
            .iter()
            .chain(axes.iter().copied())
            .min_by_key(|v| (edit_distance(name, v), v.len()))
            .map(String::as_str)
            .unwrap_or("(none)");
        Err(input(format!(
            "{at}: no run reports `{name}` and it is not an axis; did you mean `{nearest}`?"
        )))
    };
    for (i, m) in file.metrics.iter().enumerate() {
        check(m, &format!("metrics[{i}]"))?;
    }
    for (i, p) in file.plot.iter().enumerate() {
        for (what, v) in [("x", &p.x), ("y", &p.y), ("metric", &p.metric)] {
            if let Some(name) = v {
                check(name, &format!("plot[{i}].{what}"))?;
            }
        }
    }
    Ok(())
}

impl Sweep {
    /// Reads and checks a sweep file and expands its points.
    pub fn load(path: &Path) -> Result<Sweep, SweepError> {
        let file: SweepFile =
            crate::config::load(path, &[]).map_err(|e| SweepError::Input(e.to_string()))?;
        Sweep::from_file(file, path)
    }

    /// Checks a parsed sweep file (read from `path`) and expands its points.
    pub fn from_file(file: SweepFile, path: &Path) -> Result<Sweep, SweepError> {
        let input = |m: String| SweepError::Input(format!("{}: {m}", path.display()));
        let base = path.parent().unwrap_or(Path::new(".")).join(&file.base);
        let base_text = std::fs::read_to_string(&base).map_err(|e| {
            input(format!(
                "key `base`: cannot read the base experiment {}: {e}",
                base.display()
            ))
        })?;
        let loaded = crate::experiment::load(&base, &[]).map_err(|e| {
            input(format!(
                "key `base`: the base experiment does not load: {e}"
            ))
        })?;
        let valid = loaded.config_keys();

        // Axes.
        let mut axis_values = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, a) in file.axis.iter().enumerate() {
            let at = format!("axis[{i}]");
            check_key(&a.key, &valid, &format!("{at}.key"), path)?;
            if !seen.insert(a.key.clone()) {
                return Err(input(format!("{at}.key: `{}` is swept twice", a.key)));
            }
            if a.key == file.seed_key {
                return Err(input(format!(
                    "{at}.key: `{}` receives each point's derived seed; set seed_key = \"\" to sweep it yourself",
                    a.key
                )));
            }
            let vals = a.expand(&at).map_err(input)?;
            axis_values.push((a.key.clone(), vals));
        }
        if !file.seed_key.is_empty() {
            check_key(&file.seed_key, &valid, "seed_key", path)?;
        }

        // Workloads.
        let workloads: Vec<Workload> = if file.workload.is_empty() {
            vec![Workload {
                name: "base".into(),
                set: BTreeMap::new(),
            }]
        } else {
            file.workload.clone()
        };
        let mut names = BTreeSet::new();
        for (i, w) in workloads.iter().enumerate() {
            if w.name.is_empty() || !names.insert(w.name.clone()) {
                return Err(input(format!(
                    "workload[{i}].name: `{}` is empty or used twice; give each workload its own name",
                    w.name
                )));
            }
            for k in w.set.keys() {
                check_key(k, &valid, &format!("workload[{i}].set"), path)?;
                if seen.contains(k) {
                    return Err(input(format!(
                        "workload[{i}].set: `{k}` is also an axis; a key is either swept or set per workload"
                    )));
                }
            }
        }

        // Combinations of axis value indices.
        let sizes: Vec<usize> = axis_values.iter().map(|(_, v)| v.len()).collect();
        let total = sizes
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .filter(|t| t.saturating_mul(workloads.len()) <= MAX_POINTS)
            .ok_or_else(|| {
                input(format!(
                    "the axes span more than {MAX_POINTS} points; use sampling = \"random\" or \"lhs\" with samples = N, or fewer values"
                ))
            });
        let combos: Vec<Vec<usize>> = match file.sampling {
            Sampling::Cartesian => {
                if file.samples.is_some() {
                    return Err(input(
                        "key `samples`: only random and lhs sampling take samples; remove it or set sampling".into(),
                    ));
                }
                let total = total?;
                (0..total).map(|k| unrank(k, &sizes)).collect()
            }
            Sampling::Random | Sampling::Lhs => {
                let n = file.samples.ok_or_else(|| {
                    input("key `samples`: random and lhs sampling need samples = N".into())
                })?;
                if n == 0 || n > MAX_POINTS {
                    return Err(input(format!(
                        "samples = {n}: must be between 1 and {MAX_POINTS}"
                    )));
                }
                let mut rng = rand_pcg::Pcg64::seed_from_u64(file.seed);
                if file.sampling == Sampling::Random {
                    if let Ok(total) = total {
                        if n > total {
                            return Err(input(format!(
                                "samples = {n}: the axes have only {total} combinations; use at most {total} or sampling = \"cartesian\""
                            )));
                        }
                    }
                    let mut picked = BTreeSet::new();
                    let mut out = Vec::new();
                    while out.len() < n {
                        let c: Vec<usize> = sizes.iter().map(|&s| below(&mut rng, s)).collect();
                        if picked.insert(c.clone()) {
                            out.push(c);
                        }
                    }
                    out
                } else {
                    // Each axis is cut into n equal strata, shuffled; sample k takes a uniform
                    // position in its stratum of every axis and the value at that position.
                    let perms: Vec<Vec<usize>> = sizes
                        .iter()
                        .map(|_| {
                            let mut p: Vec<usize> = (0..n).collect();
                            for i in (1..n).rev() {
                                p.swap(i, below(&mut rng, i + 1));
                            }
                            p
                        })
                        .collect();
                    let mut out = Vec::new();
                    let mut seen = BTreeSet::new();
                    for k in 0..n {
                        let c: Vec<usize> = sizes
                            .iter()
                            .zip(&perms)
                            .map(|(&len, p)| {
                                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                                let x = (p[k] as f64 + u) / n as f64 * len as f64;
                                (x as usize).min(len - 1)
                            })
                            .collect();
                        // With fewer values than samples, strata share values: keep each once.
                        if seen.insert(c.clone()) {
                            out.push(c);
                        }
                    }
                    out
                }
            }
        };

        // Points: workload-major, then combinations in order.
        let mut points = Vec::new();
        let mut ids = BTreeSet::new();
        for w in &workloads {
            for c in &combos {
                let mut overrides: Vec<String> = w
                    .set
                    .iter()
                    .map(|(k, v)| format!("{k}={}", toml_literal(v)))
                    .collect();
                let mut axes = BTreeMap::new();
                let mut id_text = format!("workload={}\n", w.name);
                for ((key, vals), &j) in axis_values.iter().zip(c) {
                    let o = format!("{key}={}", toml_literal(&vals[j]));
                    id_text.push_str(&o);
                    id_text.push('\n');
                    overrides.push(o);
                    axes.insert(key.clone(), to_json(&vals[j]));
                }
                let id = format!("{:016x}", fnv1a(id_text.as_bytes()));
                if !ids.insert(id.clone()) {
                    return Err(input(format!(
                        "two points have the same id {id} (workload {}): an axis lists a value twice",
                        w.name
                    )));
                }
                // Below 2^53 so that JSON readers keep it exact.
                let seed = fnv1a(format!("{}:{id}", file.seed).as_bytes()) & ((1 << 53) - 1);
                if !file.seed_key.is_empty() {
                    overrides.push(format!("{}={seed}", file.seed_key));
                }
                points.push(Point {
                    index: points.len(),
                    id,
                    workload: w.name.clone(),
                    axes,
                    seed,
                    overrides,
                });
            }
        }
        check_values_and_metrics(&file, &base, &axis_values, path)?;
        check_points_resolve(&base, &points, path)?;
        let mut h = base_text;
        for p in &points {
            h.push_str(&format!(
                "\n{}|{}|{}",
                p.id,
                p.workload,
                p.overrides.join("|")
            ));
        }
        let hash = format!("{:016x}", fnv1a(h.as_bytes()));
        Ok(Sweep {
            file,
            path: path.to_path_buf(),
            base,
            hash,
            points,
            axis_values: axis_values
                .into_iter()
                .map(|(k, v)| (k, v.iter().map(to_json).collect()))
                .collect(),
        })
    }

    /// The unit of an axis ("" if none).
    pub fn axis_unit(&self, key: &str) -> &str {
        self.file
            .axis
            .iter()
            .find(|a| a.key == key)
            .map_or("", |a| a.unit.as_str())
    }
}

/// The `k`-th combination in row-major order (last axis fastest).
fn unrank(mut k: usize, sizes: &[usize]) -> Vec<usize> {
    let mut c = vec![0; sizes.len()];
    for (i, &s) in sizes.iter().enumerate().rev() {
        c[i] = k % s;
        k /= s;
    }
    c
}

/// A uniform integer in `0..n` (n > 0), by rejection so there is no modulo bias.
fn below(rng: &mut rand_pcg::Pcg64, n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - u64::MAX % n;
    loop {
        let x = rng.next_u64();
        if x < zone {
            return (x % n) as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(text: &str) -> Axis {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn ranges_expand_inclusively_with_integers_kept_integral() {
        let a = axis("key = \"k\"\nrange = { from = 1, to = 9, step = 4 }");
        assert_eq!(a.expand("a").unwrap(), vec![1.into(), 5.into(), 9.into()]);
        let a = axis("key = \"k\"\nlog = { from = 1, to = 64, factor = 2 }");
        let v: Vec<i64> = a
            .expand("a")
            .unwrap()
            .iter()
            .map(|v| v.as_integer().unwrap())
            .collect();
        assert_eq!(v, vec![1, 2, 4, 8, 16, 32, 64]);
        let a = axis("key = \"k\"\nlog = { from = 0.001, to = 1.0, points = 4 }");
        let v: Vec<f64> = a
            .expand("a")
            .unwrap()
            .iter()
            .map(|v| v.as_float().unwrap())
            .collect();
        assert_eq!(v, vec![0.001, 0.01, 0.1, 1.0]);
        let a = axis("key = \"k\"\nrange = { from = 8, to = 2, step = -3 }");
        assert_eq!(a.expand("a").unwrap(), vec![8.into(), 5.into(), 2.into()]);
    }

    #[test]
    fn bad_ranges_say_what_to_change() {
        for (text, want) in [
            ("values = []", "empty"),
            ("range = { from = 1, to = 9, step = -1 }", "sign"),
            ("range = { from = 1, to = 9, step = 0 }", "sign"),
            ("log = { from = 0, to = 9, factor = 2 }", "positive"),
            ("log = { from = 64, to = 1, factor = 2 }", "factor"),
            ("log = { from = 1, to = 8, points = 1 }", "at least 2"),
            ("log = { from = 1, to = 8 }", "exactly one of `factor`"),
            (
                "values = [1]\nrange = { from = 1, to = 2, step = 1 }",
                "exactly one",
            ),
        ] {
            let e = axis(&format!("key = \"k\"\n{text}"))
                .expand("axis[0]")
                .unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn edit_distance_finds_the_nearest_key() {
        assert_eq!(edit_distance("piuma.n_core", "piuma.n_cores"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn unrank_walks_the_product_last_axis_fastest() {
        let all: Vec<Vec<usize>> = (0..6).map(|k| unrank(k, &[2, 3])).collect();
        assert_eq!(all[0], vec![0, 0]);
        assert_eq!(all[1], vec![0, 1]);
        assert_eq!(all[3], vec![1, 0]);
        assert_eq!(all[5], vec![1, 2]);
    }

    fn sweep_text(sampling: &str) -> Sweep {
        let base = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../configs/experiments/cachesim-default.toml");
        let text = format!(
            "name = \"s\"\nbase = {:?}\nseed = 9\n{sampling}\n\
             [[axis]]\nkey = \"level[1].cache.size_bytes\"\nlog = {{ from = 1024, to = 131072, factor = 2 }}\n\
             [[axis]]\nkey = \"level[1].cache.n_mshrs\"\nrange = {{ from = 1, to = 8, step = 1 }}\n",
            base.display().to_string()
        );
        let file: SweepFile = toml::from_str(&text).unwrap();
        Sweep::from_file(file, Path::new("t.toml")).unwrap()
    }

    fn combos(s: &Sweep) -> Vec<(i64, i64)> {
        s.points
            .iter()
            .map(|p| {
                (
                    p.axes["level[1].cache.size_bytes"].as_i64().unwrap(),
                    p.axes["level[1].cache.n_mshrs"].as_i64().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn latin_hypercube_covers_every_value_of_each_axis_once() {
        // 8 values per axis, 8 samples: each value of each axis appears exactly once.
        let s = sweep_text("sampling = \"lhs\"\nsamples = 8");
        let c = combos(&s);
        assert_eq!(c.len(), 8);
        let sizes: BTreeSet<i64> = c.iter().map(|x| x.0).collect();
        let ways: BTreeSet<i64> = c.iter().map(|x| x.1).collect();
        assert_eq!(sizes.len(), 8, "{c:?}");
        assert_eq!(ways.len(), 8, "{c:?}");
        // Seeded: the same file gives the same points.
        assert_eq!(combos(&sweep_text("sampling = \"lhs\"\nsamples = 8")), c);
    }

    #[test]
    fn random_sampling_draws_distinct_points_reproducibly() {
        let s = sweep_text("sampling = \"random\"\nsamples = 20");
        let c = combos(&s);
        assert_eq!(c.iter().collect::<BTreeSet<_>>().len(), 20);
        assert_eq!(
            combos(&sweep_text("sampling = \"random\"\nsamples = 20")),
            c
        );
        let all = sweep_text("");
        assert_eq!(all.points.len(), 64);
        // Ids depend on the point, not on where sampling put it.
        for p in &s.points {
            assert!(all
                .points
                .iter()
                .any(|q| q.id == p.id && q.overrides == p.overrides));
        }
        let e = Sweep::from_file(
            toml::from_str(&format!(
                "name = \"s\"\nbase = {:?}\nsampling = \"random\"\nsamples = 65\n[[axis]]\nkey = \"seed\"\nvalues = [1]",
                all.base.display().to_string()
            ))
            .unwrap(),
            Path::new("t.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("receives each point's derived seed"), "{e}");
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference test suite (draft-eastlake-fnv): "" and "a".
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
