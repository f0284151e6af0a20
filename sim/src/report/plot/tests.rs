//! Plots drawn from figures, and their helpers.

#[test]
fn tick_labels_have_no_trailing_zeros() {
    use super::tick;
    for (v, want) in [
        (0.0, "0"),
        (0.5, "0.5"),
        (1.5, "1.5"),
        (3.0, "3"),
        (0.125, "0.125"),
        (1234.0, "1234"),
        (2e5, "2e5"),
        (1.5e7, "1.5e7"),
        (1.25e-3, "1.25e-3"),
        (-0.25, "-0.25"),
    ] {
        assert_eq!(tick(v), want, "{v}");
    }
}

#[test]
fn a_schedule_draws_as_a_gantt_chart_with_a_row_per_resource() {
    use crate::blocks::dataflow::{Priority, Task, TaskGraph};
    let mut g = TaskGraph::new();
    let array = g.add_resource("array", 1);
    let dma = g.add_resource("dma", 1);
    let mut prev = None;
    for (i, (cat, d, r)) in [
        ("load", 30, dma),
        ("FF", 100, array),
        ("load", 30, dma),
        ("BP", 80, array),
    ]
    .into_iter()
    .enumerate()
    {
        let t = g.add_task(Task {
            name: format!("t{i}"),
            category: cat.into(),
            duration: d,
            needs: vec![(r, 1)],
        });
        if let Some(p) = prev {
            if cat != "load" {
                g.add_dep(p, t);
            }
        }
        prev = Some(t);
    }
    let s = g.schedule(&Priority::CriticalPath).unwrap();
    let bars = crate::report::timeline::Timeline::from_schedule(&s, &g, 200.0).gantt_bars();
    let fig = Figure::gantt("schedule", "cycles", &bars);
    let Figure::Gantt { rows, bars, .. } = &fig else {
        panic!("not a Gantt chart")
    };
    assert_eq!(
        rows,
        &vec!["array".to_string(), "dma".to_string()],
        "rows in track order"
    );
    assert_eq!(bars.len(), 4);
    let d = tempfile::tempdir().unwrap();
    let svg = save(&fig, &d.path().join("gantt")).unwrap();
    assert!(svg.contains("array") && svg.contains("<rect"));
    assert!(d.path().join("gantt.png").metadata().unwrap().len() > 1000);
    if let Ok(keep) = std::env::var("SPARSIM_KEEP_PLOT") {
        std::fs::copy(d.path().join("gantt.png"), keep).unwrap();
    }
}

use super::*;

#[test]
fn pareto_front_keeps_exactly_the_undominated_points() {
    let pts = [(1.0, 5.0), (2.0, 3.0), (3.0, 4.0), (4.0, 1.0), (2.0, 6.0)];
    assert_eq!(pareto_front(&pts), vec![0, 1, 3]);
}

#[test]
fn every_figure_kind_renders_to_svg_and_png() {
    let d = tempfile::tempdir().unwrap();
    let figs = [
        Figure::Bars {
            title: "t".into(),
            y_label: "y (s)".into(),
            groups: vec!["a".into(), "b".into()],
            series: vec![("s".into(), vec![Some(1.0), None])],
            stacked: true,
        },
        Figure::Lines {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            log_x: false,
            series: vec![("s".into(), vec![(1.0, 2.0), (3.0, 1.0)])],
        },
        Figure::Heatmap {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_ticks: vec!["1".into(), "2".into()],
            y_ticks: vec!["a".into()],
            values: vec![vec![Some(1.0), Some(2.0)]],
        },
        Figure::Pareto {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![("s".into(), vec![(1.0, 2.0), (2.0, 1.0), (3.0, 3.0)])],
        },
    ];
    for (i, f) in figs.iter().enumerate() {
        let stem = d.path().join(format!("f{i}"));
        let svg = save(f, &stem).unwrap();
        assert!(svg.contains("<svg"), "{i}");
        let png = std::fs::read(stem.with_extension("png")).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{i}");
    }
}
