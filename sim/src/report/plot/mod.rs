//! Plots made from report data (never from live models): bars (grouped or stacked), lines,
//! heatmaps and Pareto scatters. Each [`Figure`] is drawn twice by one generic routine, into an SVG
//! (crisp, embeddable in `index.html`) and a PNG.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

mod legend;

use legend::{draw_legend, split_for_legend, Mark};

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        // DejaVu Sans (Bitstream Vera licence, shipped by the `dejavu` crate).
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Figure size in pixels.
const SIZE: (u32, u32) = (900, 520);

/// A plot, as data (saved beside a study's plots, so `sparsim report` can draw them again).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Bars: one group per label, one bar per series; `stacked` piles the series instead.
    Bars {
        /// The figure's title.
        title: String,
        /// Y axis label, with unit.
        y_label: String,
        /// Group labels (x).
        groups: Vec<String>,
        /// Series name and one value per group.
        series: Vec<(String, Vec<Option<f64>>)>,
        /// Stack the series instead of placing them side by side.
        stacked: bool,
    },
    /// Lines over a numeric x.
    Lines {
        /// The figure's title.
        title: String,
        /// X axis label, with unit.
        x_label: String,
        /// Y axis label, with unit.
        y_label: String,
        /// Logarithmic x.
        log_x: bool,
        /// Series name and its (x, y) points.
        series: Vec<(String, Vec<(f64, f64)>)>,
    },
    /// A colour grid: `values[y][x]`.
    Heatmap {
        /// The figure's title.
        title: String,
        /// X axis label.
        x_label: String,
        /// Y axis label.
        y_label: String,
        /// Label of each column.
        x_ticks: Vec<String>,
        /// Label of each row.
        y_ticks: Vec<String>,
        /// Values, by row then column; `None` = no result.
        values: Vec<Vec<Option<f64>>>,
    },
    /// A Gantt chart: one row per resource, a bar per task over its time, coloured by category.
    Gantt {
        /// The figure's title.
        title: String,
        /// X axis label, with unit.
        x_label: String,
        /// Row names, top to bottom.
        rows: Vec<String>,
        /// Bars: row index, category, start and end.
        bars: Vec<(usize, String, f64, f64)>,
    },
    /// Points on two metrics, with the Pareto front (lower is better on both) drawn over them.
    Pareto {
        /// The figure's title.
        title: String,
        /// X axis label, with unit.
        x_label: String,
        /// Y axis label, with unit.
        y_label: String,
        /// Series name and its (x, y) points.
        series: Vec<(String, Vec<(f64, f64)>)>,
    },
}

impl Figure {
    /// A Gantt chart from named bars `(row, category, start, end)`, rows in order of first
    /// appearance (a timeline's `gantt_bars`).
    pub fn gantt(title: &str, x_label: &str, bars: &[(String, String, u64, u64)]) -> Figure {
        let mut rows: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for (row, cat, s, e) in bars {
            let i = match rows.iter().position(|r| r == row) {
                Some(i) => i,
                None => {
                    rows.push(row.clone());
                    rows.len() - 1
                }
            };
            out.push((i, cat.clone(), *s as f64, *e as f64));
        }
        Figure::Gantt {
            title: title.into(),
            x_label: x_label.into(),
            rows,
            bars: out,
        }
    }
}

type Res = Result<(), String>;

fn e2s<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Indices of the points not dominated by another (both coordinates lower or equal, one lower),
/// sorted by x.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..points.len()).collect();
    idx.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[a].1.total_cmp(&points[b].1))
    });
    let mut front = Vec::new();
    let mut best_y = f64::INFINITY;
    for i in idx {
        if points[i].1 < best_y {
            best_y = points[i].1;
            front.push(i);
        }
    }
    front
}

/// A tick label: at most three decimals or three significant digits in scientific form, with
/// no trailing zeros (`0.5`, `1.25`, `2e5`, not `0.500` or `2.00e5`).
fn tick(v: f64) -> String {
    fn trim(s: String) -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e5 || v.abs() < 1e-2 {
        let s = format!("{v:.2e}");
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim(m.to_string())),
            None => s,
        }
    } else {
        trim(format!("{v:.3}"))
    }
}

/// A viridis-like ramp, `t` in 0..=1 (anchors from matplotlib's viridis at 0, .25, .5, .75, 1).
fn ramp(t: f64) -> RGBColor {
    const A: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let m = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(
        m(A[i].0, A[i + 1].0),
        m(A[i].1, A[i + 1].1),
        m(A[i].2, A[i + 1].2),
    )
}

fn draw<DB: DrawingBackend>(fig: &Figure, root: DrawingArea<DB, Shift>) -> Res {
    root.fill(&WHITE).map_err(e2s)?;
    match fig {
        Figure::Bars {
            title,
            y_label,
            groups,
            series,
            stacked,
        } => draw_bars(&root, title, y_label, groups, series, *stacked)?,
        Figure::Lines {
            title,
            x_label,
            y_label,
            log_x,
            series,
        } => {
            let (x0, x1) = bounds(series.iter().flat_map(|(_, v)| v.iter().map(|p| p.0)));
            let (y0, y1) = bounds(series.iter().flat_map(|(_, v)| v.iter().map(|p| p.1)));
            let y = y0.min(0.0)..(y1 + (y1 - y0.min(0.0)) * 0.08).max(y0.min(0.0) + 1e-9);
            if *log_x && x0 > 0.0 {
                // Ticks at the data's own x values (2, 4, 8, ...), not at powers of ten.
                let mut keys: Vec<f64> = series
                    .iter()
                    .flat_map(|(_, v)| v.iter().map(|p| p.0))
                    .collect();
                keys.sort_by(f64::total_cmp);
                keys.dedup();
                let x = (x0 / 1.2..x1 * 1.2).log_scale().with_key_points(keys);
                draw_xy(&root, title, x_label, y_label, x, y, series, None)?;
            } else {
                let pad = ((x1 - x0) * 0.05).max(1e-9);
                draw_xy(
                    &root,
                    title,
                    x_label,
                    y_label,
                    x0 - pad..x1 + pad,
                    y,
                    series,
                    None,
                )?;
            }
        }
        Figure::Pareto {
            title,
            x_label,
            y_label,
            series,
        } => {
            let all: Vec<(f64, f64)> = series.iter().flat_map(|(_, v)| v.iter().copied()).collect();
            let front: Vec<(f64, f64)> = pareto_front(&all).into_iter().map(|i| all[i]).collect();
            let (x0, x1) = bounds(all.iter().map(|p| p.0));
            let (y0, y1) = bounds(all.iter().map(|p| p.1));
            let px = ((x1 - x0) * 0.08).max(x1.abs() * 0.05).max(1e-9);
            let py = ((y1 - y0) * 0.08).max(y1.abs() * 0.05).max(1e-9);
            draw_xy(
                &root,
                title,
                x_label,
                y_label,
                x0 - px..x1 + px,
                y0 - py..y1 + py,
                series,
                Some(&front),
            )?;
        }
        Figure::Heatmap {
            title,
            x_label,
            y_label,
            x_ticks,
            y_ticks,
            values,
        } => draw_heatmap(&root, title, x_label, y_label, x_ticks, y_ticks, values)?,
        Figure::Gantt {
            title,
            x_label,
            rows,
            bars,
        } => draw_gantt(&root, title, x_label, rows, bars)?,
    }
    root.present().map_err(e2s)
}

fn draw_gantt<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    rows: &[String],
    bars: &[(usize, String, f64, f64)],
) -> Res {
    let n = rows.len().max(1);
    let end = bars.iter().map(|b| b.3).fold(1e-9f64, f64::max);
    let longest = rows.iter().map(|r| r.chars().count()).max().unwrap_or(1) as u32;
    let mut categories: Vec<&String> = bars.iter().map(|b| &b.1).collect();
    categories.sort();
    categories.dedup();
    let entries: Vec<(String, Mark)> = categories
        .iter()
        .enumerate()
        .map(|(ci, c)| (c.to_string(), Mark::Bar(COLORS[ci % COLORS.len()])))
        .collect();
    let (plot, side) = split_for_legend(root, &entries);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size((longest * 8 + 20).min(250))
        .build_cartesian_2d(0f64..end * 1.02, 0f64..n as f64)
        .map_err(e2s)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .y_labels(n * 2 + 1)
        .y_label_formatter(&|y| {
            let i = y.floor() as usize;
            if (y.fract() - 0.5).abs() < 1e-6 && i < rows.len() {
                // Row 0 at the top.
                rows[rows.len() - 1 - i].clone()
            } else {
                String::new()
            }
        })
        .x_labels(8)
        .x_label_formatter(&|v| tick(*v))
        .x_desc(x_label)
        .draw()
        .map_err(e2s)?;
    // Bars of a row and category closer than a fraction of a pixel are drawn as one: the
    // picture is the same, and a schedule of millions of tasks stays a small SVG.
    let gap = end / f64::from(plot.dim_in_pixel().0.max(1)) / 4.0;
    for (ci, cat) in categories.iter().enumerate() {
        let color = COLORS[ci % COLORS.len()];
        let mut spans: Vec<(usize, f64, f64)> = bars
            .iter()
            .filter(|b| &&b.1 == cat)
            .map(|&(row, _, s, e)| (row.min(n - 1), s, e.max(s)))
            .collect();
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut merged: Vec<(usize, f64, f64)> = Vec::with_capacity(spans.len().min(1 << 16));
        for (row, s, e) in spans {
            match merged.last_mut() {
                Some(m) if m.0 == row && s <= m.2 + gap => m.2 = m.2.max(e),
                _ => merged.push((row, s, e)),
            }
        }
        let rects = merged.into_iter().map(|(row, s, e)| {
            let y = (n - 1 - row) as f64;
            Rectangle::new([(s, y + 0.15), (e, y + 0.85)], color.filled())
        });
        chart.draw_series(rects).map_err(e2s)?;
    }
    draw_legend(side, &entries)
}

fn bounds(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (a, b) = xs
        .filter(|x| x.is_finite())
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    if a > b {
        (0.0, 1.0)
    } else if a == b {
        (a - a.abs().max(1.0) * 0.5, b + b.abs().max(1.0) * 0.5)
    } else {
        (a, b)
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_xy<DB: DrawingBackend, X, Y>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    x: X,
    y: Y,
    series: &[(String, Vec<(f64, f64)>)],
    front: Option<&[(f64, f64)]>,
) -> Res
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut entries: Vec<(String, Mark)> = series
        .iter()
        .enumerate()
        .map(|(si, (name, _))| (name.clone(), Mark::Dot(COLORS[si % COLORS.len()])))
        .collect();
    if front.is_some() {
        entries.push(("Pareto front".into(), Mark::Line(BLACK)));
    }
    let (plot, side) = split_for_legend(root, &entries);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)
        .map_err(e2s)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .x_desc(x_label)
        .y_desc(y_label)
        .draw()
        .map_err(e2s)?;
    let scatter = front.is_some();
    for (si, (_, pts)) in series.iter().enumerate() {
        let color = COLORS[si % COLORS.len()];
        if !scatter {
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                .map_err(e2s)?;
        }
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(e2s)?;
    }
    if let Some(front) = front {
        chart
            .draw_series(LineSeries::new(
                front.iter().copied(),
                BLACK.stroke_width(2),
            ))
            .map_err(e2s)?;
        chart
            .draw_series(
                front
                    .iter()
                    .map(|&p| Circle::new(p, 7, BLACK.stroke_width(2))),
            )
            .map_err(e2s)?;
    }
    draw_legend(side, &entries)
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(String, Vec<Option<f64>>)],
    stacked: bool,
) -> Res {
    let n_groups = groups.len().max(1);
    let n_series = series.len().max(1);
    let max = if stacked {
        (0..n_groups)
            .map(|g| {
                series
                    .iter()
                    .map(|(_, v)| v.get(g).copied().flatten().unwrap_or(0.0))
                    .sum::<f64>()
            })
            .fold(1e-9f64, f64::max)
    } else {
        series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .fold(1e-9f64, |a, &b| a.max(b))
    };
    let longest = groups.iter().map(|g| g.chars().count()).max().unwrap_or(0);
    // Many or long labels are turned upright so they do not run into each other.
    let upright = groups.len() > 8 || longest * groups.len() > 100;
    let label_area = if upright {
        (longest as u32 * 7 + 20).min(300)
    } else {
        45
    };
    let entries: Vec<(String, Mark)> = series
        .iter()
        .enumerate()
        .map(|(si, (name, _))| (name.clone(), Mark::Bar(COLORS[si % COLORS.len()])))
        .collect();
    let (plot, side) = split_for_legend(root, &entries);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(label_area)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..n_groups as f64, 0f64..max * 1.12)
        .map_err(e2s)?;
    let step = n_groups.div_ceil(60).max(1);
    let shown = |x: f64| -> Option<&String> {
        let g = x.floor() as usize;
        ((x.fract() - 0.5).abs() < 1e-6 && g.is_multiple_of(step))
            .then(|| groups.get(g))
            .flatten()
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .x_labels(n_groups * 2 + 1)
        .x_label_style(("sans-serif", 13).into_font())
        // Upright labels are drawn below, each starting at its tick: the mesh centres its labels
        // on the tick, which would put half of an upright label over the bars.
        .x_label_formatter(&|x| match shown(*x) {
            Some(label) if !upright => label.clone(),
            _ => String::new(),
        })
        .y_labels(8)
        .y_label_formatter(&|v| tick(*v))
        .y_desc(y_label)
        .draw()
        .map_err(e2s)?;
    if upright {
        let style = ("sans-serif", 11)
            .into_font()
            .transform(FontTransform::Rotate90)
            .into_text_style(root)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (g, label) in groups.iter().enumerate().filter(|(g, _)| g % step == 0) {
            let (x, y) = chart.backend_coord(&(g as f64 + 0.5, 0.0));
            root.draw(&Text::new(label.clone(), (x, y + 8), style.clone()))
                .map_err(e2s)?;
        }
    }
    let width = if stacked { 0.8 } else { 0.8 / n_series as f64 };
    let mut base = vec![0.0f64; n_groups];
    for (si, (_, values)) in series.iter().enumerate() {
        let color = COLORS[si % COLORS.len()];
        let mut rects = Vec::new();
        for (g, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            let x0 = g as f64 + 0.1 + if stacked { 0.0 } else { si as f64 * width };
            let (lo, hi) = if stacked {
                let lo = base[g];
                base[g] += v;
                (lo, base[g])
            } else {
                (0.0, *v)
            };
            rects.push(Rectangle::new(
                [(x0, lo), (x0 + width * 0.92, hi)],
                color.filled(),
            ));
        }
        chart.draw_series(rects).map_err(e2s)?;
    }
    draw_legend(side, &entries)
}

#[allow(clippy::too_many_arguments)]
fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    x_ticks: &[String],
    y_ticks: &[String],
    values: &[Vec<Option<f64>>],
) -> Res {
    let (lo, hi) = bounds(values.iter().flatten().flatten().copied());
    let (plot, legend) = root.split_horizontally(SIZE.0 - 130);
    let nx = x_ticks.len().max(1);
    let ny = y_ticks.len().max(1);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..nx as f64, 0f64..ny as f64)
        .map_err(e2s)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx * 2 + 1)
        .y_labels(ny * 2 + 1)
        .x_label_formatter(&|x| {
            if (x.fract() - 0.5).abs() < 1e-6 {
                x_ticks.get(x.floor() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| {
            if (y.fract() - 0.5).abs() < 1e-6 {
                y_ticks.get(y.floor() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_desc(x_label)
        .y_desc(y_label)
        .draw()
        .map_err(e2s)?;
    let mut cells = Vec::new();
    let mut labels = Vec::new();
    for (yi, row) in values.iter().enumerate() {
        for (xi, v) in row.iter().enumerate() {
            let (x, y) = (xi as f64, yi as f64);
            let color = match v {
                Some(v) => ramp((v - lo) / (hi - lo)),
                None => RGBColor(220, 220, 220),
            };
            cells.push(Rectangle::new([(x, y), (x + 1.0, y + 1.0)], color.filled()));
            if nx * ny <= 64 {
                let text = v.map_or("n/a".to_string(), tick);
                let fg = if v.is_some_and(|v| (v - lo) / (hi - lo) > 0.6) {
                    BLACK
                } else {
                    WHITE
                };
                labels.push(Text::new(
                    text,
                    (x + 0.35, y + 0.55),
                    ("sans-serif", 13).into_font().color(&fg),
                ));
            }
        }
    }
    chart.draw_series(cells).map_err(e2s)?;
    chart.draw_series(labels).map_err(e2s)?;
    // Colour scale.
    let mut bar = ChartBuilder::on(&legend)
        .margin_top(50)
        .margin_bottom(60)
        .margin_right(10)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..1.0, lo..hi)
        .map_err(e2s)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_style(("sans-serif", 12))
        .y_label_formatter(&|v| tick(*v))
        .draw()
        .map_err(e2s)?;
    let steps = 64;
    bar.draw_series((0..steps).map(|i| {
        let a = lo + (hi - lo) * i as f64 / steps as f64;
        let b = lo + (hi - lo) * (i + 1) as f64 / steps as f64;
        Rectangle::new([(0.0, a), (1.0, b)], ramp(i as f64 / steps as f64).filled())
    }))
    .map_err(e2s)?;
    Ok(())
}

/// Draws `fig` as `<stem>.svg` and `<stem>.png`, and returns the SVG text (for embedding).
pub fn save(fig: &Figure, stem: &Path) -> Result<String, String> {
    register_font();
    let mut svg = String::new();
    draw(
        fig,
        SVGBackend::with_string(&mut svg, SIZE).into_drawing_area(),
    )?;
    let svg_path = stem.with_extension("svg");
    std::fs::write(&svg_path, &svg).map_err(|e| format!("{}: {e}", svg_path.display()))?;
    let png_path = stem.with_extension("png");
    draw(fig, BitMapBackend::new(&png_path, SIZE).into_drawing_area())
        .map_err(|e| format!("{}: {e}", png_path.display()))?;
    Ok(svg)
}

/// `path` without its extension: where [`save`] puts `.svg` and `.png`.
pub fn stem(path: &Path) -> PathBuf {
    path.with_extension("")
}

/// A grouped bar chart on a linear scale from zero: one group per `groups` label, one bar per
/// series. Writes `path` as SVG and the same name with `.png`.
pub fn grouped_bars(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(String, Vec<Option<f64>>)],
) -> Result<(), String> {
    let fig = Figure::Bars {
        title: title.into(),
        y_label: y_label.into(),
        groups: groups.to_vec(),
        series: series.to_vec(),
        stacked: false,
    };
    save(&fig, &stem(path)).map(|_| ())
}

/// A line chart of `series` over a logarithmic x. Writes `path` as SVG and the same name with `.png`.
pub fn lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<(), String> {
    let fig = Figure::Lines {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        log_x: true,
        series: series.to_vec(),
    };
    save(&fig, &stem(path)).map(|_| ())
}

#[cfg(test)]
mod tests;
