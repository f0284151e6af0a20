//! Run reports: one serializable snapshot ([`RunReport`]) and the files made from it.
//!
//! **Architecture Invariant:** everything here works from a `RunReport`, never from live models.
//! `report.json` is the single source of truth; `summary.md`, `stats.csv` and `energy.csv` are views.
//! Nothing in a report depends on wall-clock time, so the same config and seed give identical bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::energy::EnergyReport;
use crate::engine::StopReason;
use crate::stats::StatEntry;

pub mod html;
pub mod plot;
pub mod timeline;

/// A metric derived from statistics at report time (a rate, an average).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metric {
    /// The metric's value.
    pub value: f64,
    /// Its unit (`GB/s`, `ratio`, `cycles`).
    pub unit: String,
    /// What it is.
    pub doc: String,
}

/// Everything a run produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Run name (also the report directory's name).
    pub name: String,
    /// What ran (e.g. `cachesim`).
    pub kind: String,
    /// sparsim version that produced it.
    pub sparsim_version: String,
    /// The git commit it was built from (HEAD at build time; "unknown" outside a checkout).
    pub sparsim_commit: String,
    /// The seed the run was configured with.
    pub seed: u64,
    /// The resolved configuration, as loaded (after overrides).
    pub config: serde_json::Value,
    /// Input files, by role.
    pub inputs: BTreeMap<String, String>,
    /// Simulated time at the end, in picoseconds.
    pub simulated_ps: u64,
    /// Why the run stopped.
    pub stop_reason: StopReason,
    /// Engine events delivered.
    pub n_events: u64,
    /// Every statistic, hierarchically named.
    pub stats: Vec<StatEntry>,
    /// Derived metrics.
    pub derived: BTreeMap<String, Metric>,
    /// Energy by action and component, and the statistics no table entry prices.
    pub energy: EnergyReport,
    /// Tables of per-part figures (a layer-by-pass breakdown), each also written as CSV.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<ReportTable>,
    /// What ran where and when (written as `timeline.json` in Chrome trace events, drawn as a
    /// Gantt chart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<timeline::Timeline>,
    /// Machine-specific plots (file stem and figure), drawn into `plots/` and `index.html`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<(String, plot::Figure)>,
    /// What the run found that the user should know (a sparse pattern slower than dense):
    /// printed by `run`, listed in `summary.md`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A table of a report: named columns, rows of numbers or text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReportTable {
    /// Its name (the CSV file's stem).
    pub name: String,
    /// What it shows.
    pub doc: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, one value per column.
    pub rows: Vec<Vec<serde_json::Value>>,
}

impl ReportTable {
    /// The table as CSV (text fields quoted when they hold a comma or a quote).
    pub fn to_csv(&self) -> String {
        let cell = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) if s.contains([',', '"']) => {
                format!("\"{}\"", s.replace('"', "\"\""))
            }
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut s = self.columns.join(",");
        s.push('\n');
        for r in &self.rows {
            s.push_str(&r.iter().map(cell).collect::<Vec<_>>().join(","));
            s.push('\n');
        }
        s
    }
}

/// Creates a fresh directory for `name` under `base`: `base/name`, or `base/name-2`, `-3`, ... if
/// taken. An existing report directory is never written into.
pub fn fresh_dir(base: &Path, name: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(base)?;
    for i in 1.. {
        let dir = if i == 1 {
            base.join(name)
        } else {
            base.join(format!("{name}-{i}"))
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop only ends by returning")
}

impl RunReport {
    /// The report as pretty JSON (deterministic: ordered maps, no timestamps).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serializes");
        s.push('\n');
        s
    }

    /// `name,value,unit,description` rows.
    pub fn stats_csv(&self) -> String {
        let mut s = String::from("name,value,unit,description\n");
        for e in &self.stats {
            let _ = writeln!(
                s,
                "{},{},{},\"{}\"",
                e.name,
                e.value,
                e.unit.as_str(),
                e.doc.replace('"', "'")
            );
        }
        for (k, m) in &self.derived {
            let _ = writeln!(
                s,
                "{k},{},{},\"{}\"",
                m.value,
                m.unit,
                m.doc.replace('"', "'")
            );
        }
        s
    }

    /// `stat,count,pj_each,total_pj` rows, then per-component totals.
    pub fn energy_csv(&self) -> String {
        let mut s = String::from("stat,count,pj_each,total_pj\n");
        for a in &self.energy.actions {
            let _ = writeln!(s, "{},{},{},{}", a.stat, a.count, a.pj_each, a.total_pj);
        }
        s
    }

    /// A Markdown summary: derived metrics, energy by component, unpriced statistics.
    pub fn summary_md(&self) -> String {
        let mut s = format!("# {} ({})\n\n", self.name, self.kind);
        let _ = writeln!(
            s,
            "Simulated time: {:.3} us; stop reason: {:?}; seed {}; sparsim {} (commit {}).\n",
            self.simulated_ps as f64 / 1e6,
            self.stop_reason,
            self.seed,
            self.sparsim_version,
            self.sparsim_commit
        );
        for (role, path) in &self.inputs {
            let _ = writeln!(s, "- {role}: `{path}`");
        }
        if !self.warnings.is_empty() {
            s.push_str("\n## Warnings\n\n");
            for w in &self.warnings {
                let _ = writeln!(s, "- {w}");
            }
        }
        s.push_str("\n## Metrics\n\n| metric | value | unit |\n| --- | ---: | --- |\n");
        for (k, m) in &self.derived {
            let _ = writeln!(s, "| {k} | {} | {} |", fmt_num(m.value), m.unit);
        }
        let _ = writeln!(
            s,
            "\n## Energy ({})\n\nTotal: {:.3} uJ.\n\n| component | energy (uJ) |\n| --- | ---: |",
            self.energy.table,
            self.energy.total_pj / 1e6
        );
        for (c, pj) in &self.energy.by_component {
            let _ = writeln!(s, "| {c} | {:.3} |", pj / 1e6);
        }
        if !self.energy.unpriced.is_empty() {
            let _ = writeln!(
                s,
                "\nStatistics with no energy entry: {}.",
                self.energy.unpriced.join(", ")
            );
        }
        s
    }

    /// Writes `report.json`, `summary.md`, `stats.csv`, `energy.csv`, `plots/` and `index.html` into
    /// a fresh directory under `base` named after the run, and returns it.
    pub fn write(&self, base: &Path) -> std::io::Result<PathBuf> {
        self.write_as(base, &self.name)
    }

    /// [`RunReport::write`] into a fresh directory `base/folder` (or `folder-2`, ... if taken).
    pub fn write_as(&self, base: &Path, folder: &str) -> std::io::Result<PathBuf> {
        let dir = fresh_dir(base, folder)?;
        self.write_into(&dir)?;
        Ok(dir)
    }

    /// [`RunReport::write`] into `dir` itself, made if missing; files of the same names there
    /// are replaced (for front ends whose users expect a rerun to replace its reports).
    pub fn write_into(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (file, text) in [
            ("report.json", self.to_json()),
            ("summary.md", self.summary_md()),
            ("stats.csv", self.stats_csv()),
            ("energy.csv", self.energy_csv()),
        ] {
            let mut f = std::fs::File::create(dir.join(file))?;
            f.write_all(text.as_bytes())?;
        }
        render_dir(dir).map_err(std::io::Error::other)?;
        Ok(())
    }
}

/// Rows of a table shown on a run's page (`index.html`); longer tables are in their CSV.
pub const HTML_TABLE_ROWS: usize = 1000;

/// `report.json` as read back: every field a view is drawn from (the statistics are in
/// `stats.csv`). Numbers JSON cannot hold (an infinite or undefined metric) are written as
/// `null` and read as `None`.
#[derive(Debug, Deserialize)]
struct SavedReport {
    name: String,
    kind: String,
    seed: u64,
    config: serde_json::Value,
    #[serde(default)]
    inputs: BTreeMap<String, String>,
    simulated_ps: u64,
    stop_reason: StopReason,
    n_events: u64,
    #[serde(default)]
    derived: BTreeMap<String, SavedMetric>,
    energy: SavedEnergy,
    #[serde(default)]
    tables: Vec<ReportTable>,
    timeline: Option<timeline::Timeline>,
    #[serde(default)]
    figures: Vec<(String, plot::Figure)>,
}

/// A [`Metric`] as read back.
#[derive(Debug, Deserialize)]
struct SavedMetric {
    value: Option<f64>,
    unit: String,
    doc: String,
}

/// The energy section as read back.
#[derive(Debug, Deserialize)]
struct SavedEnergy {
    table: String,
    total_pj: Option<f64>,
    by_component: BTreeMap<String, Option<f64>>,
}

/// Makes a run directory's `plots/` and `index.html` from its `report.json` alone (so
/// `sparsim report DIR` can redo them): energy by component, the ratio metrics, the tables and the
/// configuration echo.
pub fn render_dir(dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let r: SavedReport = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a run report sparsim writes ({e})", path.display()))?;
    let name = r.name.as_str();
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).map_err(|e| format!("{}: {e}", plots.display()))?;
    let mut figures = String::new();
    let by_comp = &r.energy.by_component;
    let mut figs: Vec<(String, plot::Figure)> = Vec::new();
    if !by_comp.is_empty() {
        figs.push((
            "energy".to_string(),
            plot::Figure::Bars {
                title: format!("{name}: energy by component"),
                y_label: "energy (uJ)".into(),
                groups: by_comp.keys().cloned().collect(),
                series: vec![(
                    "energy".into(),
                    by_comp.values().map(|v| v.map(|pj| pj / 1e6)).collect(),
                )],
                stacked: false,
            },
        ));
    }
    let ratios: Vec<(&String, f64)> = r
        .derived
        .iter()
        .filter(|(_, m)| m.unit == "ratio")
        .filter_map(|(k, m)| m.value.map(|v| (k, v)))
        .collect();
    if !ratios.is_empty() {
        figs.push((
            "ratios".to_string(),
            plot::Figure::Bars {
                title: format!("{name}: rates and shares"),
                y_label: "ratio".into(),
                groups: ratios.iter().map(|(k, _)| k.to_string()).collect(),
                series: vec![(
                    "value".into(),
                    ratios.iter().map(|(_, v)| Some(*v)).collect(),
                )],
                stacked: false,
            },
        ));
    }
    let mut files = String::new();
    if let Some(t) = &r.timeline {
        let trace = dir.join("timeline.json");
        std::fs::write(&trace, t.chrome_trace_text())
            .map_err(|e| format!("{}: {e}", trace.display()))?;
        files.push_str(", <a href=\"timeline.json\">timeline.json</a> (Chrome trace events: open in Perfetto or chrome://tracing)");
        figs.push((
            "schedule".to_string(),
            plot::Figure::gantt(&format!("{name}: schedule"), "cycles", &t.gantt_bars()),
        ));
    }
    figs.extend(r.figures.iter().cloned());
    let mut tables = String::new();
    for table in &r.tables {
        let stem = table.name.as_str();
        let csv = dir.join(format!("{stem}.csv"));
        std::fs::write(&csv, table.to_csv()).map_err(|e| format!("{}: {e}", csv.display()))?;
        let _ = write!(files, ", <a href=\"{stem}.csv\">{stem}.csv</a>");
        // A page shows the first rows of a long table; the CSV has them all.
        let shown = table.rows.len().min(HTML_TABLE_ROWS);
        let text_rows: Vec<Vec<String>> = table.rows[..shown]
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => n.as_f64().map(fmt_num).unwrap_or_default(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        let _ = write!(
            tables,
            "<h2>{}</h2>\n<p>{}</p>\n{}",
            html::escape(stem),
            html::escape(&table.doc),
            html::table(&table.columns, &text_rows)
        );
        if shown < table.rows.len() {
            let _ = writeln!(
                tables,
                "<p>The first {shown} of {} rows; all are in <a href=\"{stem}.csv\">{stem}.csv</a>.</p>",
                table.rows.len()
            );
        }
    }
    for (stem, fig) in &figs {
        let svg = plot::save(fig, &plots.join(stem))?;
        figures.push_str(&html::figure(&svg, stem, &format!("plots/{stem}")));
    }
    let mut b = format!(
        "<h1>{} <span class=\"muted\">({})</span></h1>\n<p>Simulated time {:.3} us; stop reason {}; seed {}; {} engine events. Files: <a href=\"report.json\">report.json</a>, <a href=\"stats.csv\">stats.csv</a>, <a href=\"energy.csv\">energy.csv</a>, <a href=\"summary.md\">summary.md</a>{}.</p>\n",
        html::escape(name),
        html::escape(&r.kind),
        r.simulated_ps as f64 / 1e6,
        html::escape(&serde_json::to_string(&r.stop_reason).expect("a stop reason serializes")),
        r.seed,
        r.n_events,
        files
    );
    b.push_str("<h2>Plots</h2>\n");
    b.push_str(&figures);
    b.push_str(&tables);
    let rows: Vec<Vec<String>> = r
        .derived
        .iter()
        .map(|(k, m)| {
            vec![
                k.clone(),
                m.value.map(fmt_num).unwrap_or_default(),
                m.unit.clone(),
                m.doc.clone(),
            ]
        })
        .collect();
    b.push_str("<h2>Metrics</h2>\n");
    b.push_str(&html::table(
        &[
            "metric".into(),
            "value".into(),
            "unit".into(),
            "what".into(),
        ],
        &rows,
    ));
    let rows: Vec<Vec<String>> = by_comp
        .iter()
        .map(|(k, v)| vec![k.clone(), fmt_num(v.unwrap_or(0.0) / 1e6)])
        .collect();
    let _ = write!(
        b,
        "<h2>Energy</h2>\n<p>Table {}; total {:.3} uJ.</p>\n",
        html::escape(&r.energy.table),
        r.energy.total_pj.unwrap_or(0.0) / 1e6
    );
    b.push_str(&html::table(
        &["component".into(), "energy (uJ)".into()],
        &rows,
    ));
    b.push_str("<h2>Inputs</h2>\n<ul>\n");
    for (k, v) in &r.inputs {
        let _ = writeln!(
            b,
            "<li>{}: <code>{}</code></li>",
            html::escape(k),
            html::escape(v)
        );
    }
    b.push_str("</ul>\n<h2>Configuration</h2>\n");
    let _ = writeln!(
        b,
        "<pre>{}</pre>",
        html::escape(&serde_json::to_string_pretty(&r.config).unwrap_or_default())
    );
    let index = dir.join("index.html");
    std::fs::write(&index, html::page(name, &b))
        .map_err(|e| format!("{}: {e}", index.display()))?;
    Ok(index)
}

/// A study's results as saved in its folder (`study.json`): what `sparsim report` draws again.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StudyFile {
    /// The study's name (`smash`).
    pub name: String,
    /// Its tables, in Markdown.
    pub summary_md: String,
    /// Its figures, each with its file stem.
    pub figures: Vec<(String, plot::Figure)>,
}

/// Writes a study's `study.json` and `summary.md` into `dir`, then its plots and `index.html`.
pub fn write_study(dir: &Path, study: &StudyFile) -> Result<PathBuf, String> {
    let json = serde_json::to_string_pretty(study).expect("a study serializes");
    for (file, text) in [
        ("study.json", json.as_str()),
        ("summary.md", &study.summary_md),
    ] {
        std::fs::write(dir.join(file), text)
            .map_err(|e| format!("{}: {e}", dir.join(file).display()))?;
    }
    render_study(dir)
}

/// Draws a study folder's plots and `index.html` from its `study.json` alone.
pub fn render_study(dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join("study.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let study: StudyFile = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a study's results ({e})", path.display()))?;
    let mut body = format!("<h1>reproduce {}</h1>\n", html::escape(&study.name));
    for (stem, fig) in &study.figures {
        let svg = plot::save(fig, &dir.join(stem))?;
        body.push_str(&html::figure(&svg, stem, stem));
    }
    let _ = write!(
        body,
        "<h2>Summary</h2>\n<p>As <a href=\"summary.md\">summary.md</a>; the data of the plots is in <a href=\"study.json\">study.json</a>.</p>\n<pre>{}</pre>\n",
        html::escape(&study.summary_md)
    );
    let index = dir.join("index.html");
    std::fs::write(
        &index,
        html::page(&format!("reproduce {}", study.name), &body),
    )
    .map_err(|e| format!("{}: {e}", index.display()))?;
    Ok(index)
}

/// Formats a number for tables: integers plainly, others with 4 significant decimals.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_dir_never_reuses_an_existing_directory() {
        let d = tempfile::tempdir().unwrap();
        let a = fresh_dir(d.path(), "run").unwrap();
        std::fs::write(a.join("keep.txt"), "mine").unwrap();
        let b = fresh_dir(d.path(), "run").unwrap();
        assert_ne!(a, b);
        assert!(b.ends_with("run-2"));
        assert_eq!(std::fs::read_to_string(a.join("keep.txt")).unwrap(), "mine");
    }
}
