//! `index.html` in a real browser: headless Chromium loads a sweep's page and a run's page with no
//! console message and paints their plots. Needs Debian's `chromium`, so it is ignored by a plain
//! `cargo test`; `scripts/ci/browser.sh` installs Chromium and runs it (CI does).

use std::path::Path;
use std::process::Command;

use super::{root, sparsim};

/// Renders `page` headless; returns (console lines, screenshot path).
fn render(page: &Path, dir: &Path) -> (Vec<String>, std::path::PathBuf) {
    let shot = dir.join(format!(
        "{}.png",
        page.parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
    ));
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into()))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            "--window-size=1200,1500",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .expect("chromium runs (scripts/ci/browser.sh installs it)");
    let err = String::from_utf8_lossy(&out.stderr);
    let console = err
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    assert!(shot.exists(), "no screenshot: {err}");
    (console, shot)
}

/// A PNG's pixels as RGB rows.
fn rgb_rows(png_path: &Path) -> Vec<Vec<(u8, u8, u8)>> {
    let decoder = png::Decoder::new(std::fs::File::open(png_path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(info.line_size)
        .map(|row| row.chunks(ch).map(|p| (p[0], p[1], p[2])).collect())
        .collect()
}

/// A text-coloured pixel.
fn dark(p: &(u8, u8, u8)) -> bool {
    p.0 < 110 && p.1 < 110 && p.2 < 110
}

/// A chart's x axis (the row with the most dark pixels) and y axis (the column, in the left
/// half, with the most).
fn axes(rows: &[Vec<(u8, u8, u8)>]) -> (usize, usize) {
    let (h, w) = (rows.len(), rows[0].len());
    let axis = (0..h)
        .max_by_key(|&y| rows[y].iter().filter(|p| dark(p)).count())
        .unwrap();
    let y_axis = (0..w / 2)
        .max_by_key(|&x| (0..h).filter(|&y| dark(&rows[y][x])).count())
        .unwrap();
    (axis, y_axis)
}

/// Dark (text-coloured) pixels inside a bar chart's plot area, just above its x axis: where
/// labels centred on the axis, instead of hanging below it, would show. The axis is the row, and
/// the y axis the column, with the most dark pixels.
fn text_above_x_axis(png_path: &Path) -> usize {
    let rows = rgb_rows(png_path);
    let w = rows[0].len();
    let (axis, y_axis) = axes(&rows);
    (axis.saturating_sub(80)..axis.saturating_sub(3))
        .flat_map(|y| (y_axis + 4..w - 20).map(move |x| (y, x)))
        .filter(|&(y, x)| dark(&rows[y][x]))
        .count()
}

/// Dark (text-coloured) pixels inside a chart's plotting area, and to its right, in a
/// screenshot: the x axis is the row with the most dark pixels, the y axis the column (in the
/// left half) with the most, the area's right end the axis row's last dark pixel and its top
/// the y axis's first. A legend drawn over the data puts its text inside.
fn dark_inside_and_right(png_path: &Path) -> (usize, usize) {
    let rows = rgb_rows(png_path);
    let w = rows[0].len();
    let (axis, y_axis) = axes(&rows);
    let right = (0..w).rev().find(|&x| dark(&rows[axis][x])).unwrap();
    let top = (0..axis).find(|&y| dark(&rows[y][y_axis])).unwrap();
    let count = |ys: std::ops::Range<usize>, xs: std::ops::Range<usize>| {
        ys.flat_map(|y| xs.clone().map(move |x| (y, x)))
            .filter(|&(y, x)| dark(&rows[y][x]))
            .count()
    };
    (
        count(
            top + 3..axis.saturating_sub(3),
            y_axis + 4..right.saturating_sub(3),
        ),
        count(top..axis, (right + 6).min(w)..w),
    )
}

/// (share of pixels that are not white, pixels with a clear colour) of a PNG.
fn ink(png_path: &Path) -> (f64, usize) {
    let rows = rgb_rows(png_path);
    let (mut not_white, mut coloured, mut n) = (0usize, 0usize, 0usize);
    for &(r, g, b) in rows.iter().flatten() {
        let (r, g, b) = (r as i32, g as i32, b as i32);
        n += 1;
        if r < 245 || g < 245 || b < 245 {
            not_white += 1;
        }
        if r.max(g).max(b) - r.min(g).min(b) > 60 {
            coloured += 1;
        }
    }
    (not_white as f64 / n as f64, coloured)
}

#[test]
#[ignore = "needs chromium: scripts/ci/browser.sh installs it and runs this test"]
fn index_pages_load_cleanly_and_show_their_plots() {
    let d = tempfile::tempdir().unwrap();
    let sweep = root().join("sim/tests/data/sweeps/tiny.toml");
    let out = d.path().join("out");
    let (code, _, err) = sparsim(
        &[
            "sweep",
            &sweep.display().to_string(),
            "--quiet",
            "--out",
            &out.display().to_string(),
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = sparsim(&["run", "--out", &out.display().to_string()], d.path());
    assert_eq!(code, 0, "{err}");

    // The check itself must be able to fail: a page with no plots is blank to it.
    let blank = d.path().join("blank/index.html");
    std::fs::create_dir_all(blank.parent().unwrap()).unwrap();
    std::fs::write(&blank, "<!DOCTYPE html><html><body><p>.</p></body></html>").unwrap();
    let (_, shot) = render(&blank, d.path());
    let (share, coloured) = ink(&shot);
    assert!(
        share < 0.01 && coloured == 0,
        "a blank page looks drawn: {share} {coloured}"
    );

    // Upright x labels hang below the axis in the SVG as in the PNG (they used to be centred on
    // the axis in the SVG, over the bars): a PIUMA run's ratio plot has ten of them.
    let karate = root().join("configs/experiments/smash-v1-karate.toml");
    let (code, _, err) = sparsim(
        &[
            "run",
            &karate.display().to_string(),
            "--out",
            &out.display().to_string(),
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    for ext in ["svg", "png"] {
        let page = d.path().join(format!("labels-{ext}/index.html"));
        std::fs::create_dir_all(page.parent().unwrap()).unwrap();
        let plot = out.join(format!("smash-v1-karate/plots/ratios.{ext}"));
        std::fs::write(
            &page,
            format!(
                "<!DOCTYPE html><html><body style=\"margin:0\"><img src=\"file://{}\" width=\"900\" height=\"500\"></body></html>",
                plot.display()
            ),
        )
        .unwrap();
        let (_, shot) = render(&page, d.path());
        let above = text_above_x_axis(&shot);
        assert!(
            above < 30,
            "ratios.{ext}: {above} dark pixels over the bars just above the x axis: labels cross it"
        );
    }

    // A SAT run: its page and its schedule's Gantt chart, as an SVG in a page of its own.
    let sat = root().join("configs/experiments/sat-resnet18-2to8.toml");
    let (code, _, err) = sparsim(
        &[
            "run",
            &sat.display().to_string(),
            "--out",
            &out.display().to_string(),
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let gantt = d.path().join("gantt/index.html");
    std::fs::create_dir_all(gantt.parent().unwrap()).unwrap();
    std::fs::write(
        &gantt,
        format!(
            "<!DOCTYPE html><html><body style=\"margin:0\"><img src=\"file://{}\" width=\"1000\" height=\"600\"></body></html>",
            out.join("sat-resnet18-2to8/plots/schedule.svg").display()
        ),
    )
    .unwrap();
    // A MobileNet-shaped run on a mobile core: its page and its latency-by-layer plot.
    let mobile = root().join("configs/experiments/mobile-a76-mobilenet-group30.toml");
    let small = d.path().join("mini.csv");
    std::fs::write(&small, crate::regression::MINI_MOBILENET).unwrap();
    let (code, _, err) = sparsim(
        &[
            "run",
            &mobile.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--name",
            "mobilenet",
            "--set",
            &format!("network={:?}", small.display().to_string()),
        ],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    let layers = d.path().join("layers/index.html");
    std::fs::create_dir_all(layers.parent().unwrap()).unwrap();
    std::fs::write(
        &layers,
        format!(
            "<!DOCTYPE html><html><body style=\"margin:0\"><img src=\"file://{}\" width=\"1000\" height=\"600\"></body></html>",
            out.join("mobilenet/plots/layers.svg").display()
        ),
    )
    .unwrap();
    // Legends stand beside the data, not over it (they used to sit in the plotting area's
    // corner): the Gantt chart's categories and the layers plot's two series.
    for page in [&gantt, &layers] {
        let (_, shot) = render(page, d.path());
        let (inside, right) = dark_inside_and_right(&shot);
        assert!(
            inside < 20 && right > 100,
            "{}: {inside} dark pixels in the plotting area, {right} to its right: is the legend over the data?",
            page.display()
        );
    }
    for page in [
        out.join("tiny/index.html"),
        out.join("cachegrind/index.html"),
        out.join("sat-resnet18-2to8/index.html"),
        gantt.clone(),
        out.join("mobilenet/index.html"),
        layers.clone(),
    ] {
        let (console, shot) = render(&page, d.path());
        assert!(
            console.is_empty(),
            "{}: console: {console:?}",
            page.display()
        );
        let (share, coloured) = ink(&shot);
        assert!(
            share > 0.03 && coloured > 2000,
            "{}: the screenshot looks blank ({:.1} % ink, {coloured} coloured pixels)",
            page.display(),
            share * 100.0
        );
    }
}
