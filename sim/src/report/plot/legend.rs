//! Legends: a column beside the plotting area naming each series with its mark.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{e2s, Res};

/// How a series is marked in the legend.
#[derive(Clone, Copy)]
pub(super) enum Mark {
    /// A filled square (bars).
    Bar(RGBColor),
    /// A dot (points and lines).
    Dot(RGBColor),
    /// A thick line (a front drawn over points).
    Line(RGBColor),
}

/// Longest series name drawn in full in the legend; longer ones end in an ellipsis.
const LEGEND_CHARS: usize = 36;

/// Splits `root` into the plotting area and, when there are two or more series to tell apart,
/// a legend column at its right, so the legend never covers data (a legend inside the plotting
/// area hides bars and points wherever it is placed). One series needs no legend: the title and
/// the axis say what it is.
pub(super) fn split_for_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[(String, Mark)],
) -> (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>) {
    if entries.len() < 2 {
        return (root.clone(), None);
    }
    let longest = entries
        .iter()
        .map(|(n, _)| n.chars().count().min(LEGEND_CHARS + 1))
        .max()
        .unwrap_or(0) as u32;
    let width = (longest * 8 + 45).clamp(90, 330);
    let (plot, side) = root.split_horizontally(root.dim_in_pixel().0.saturating_sub(width));
    (plot, Some(side))
}

/// Draws the legend column: one mark and name per series, top-aligned with the plotting area;
/// what does not fit is counted in a last line.
pub(super) fn draw_legend<DB: DrawingBackend>(
    side: Option<DrawingArea<DB, Shift>>,
    entries: &[(String, Mark)],
) -> Res {
    let Some(side) = side else { return Ok(()) };
    let font = ("sans-serif", 13)
        .into_font()
        .into_text_style(&side)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let (top, step) = (50, 20);
    let fits = ((side.dim_in_pixel().1 as i32 - top - 20) / step).max(1) as usize;
    let shown = if entries.len() > fits {
        fits - 1
    } else {
        entries.len()
    };
    for (i, (name, mark)) in entries.iter().take(shown).enumerate() {
        let y = top + i as i32 * step;
        match *mark {
            Mark::Bar(c) => side.draw(&Rectangle::new([(4, y - 6), (16, y + 6)], c.filled())),
            Mark::Dot(c) => side.draw(&Circle::new((10, y), 5, c.filled())),
            Mark::Line(c) => side.draw(&PathElement::new(vec![(2, y), (18, y)], c.stroke_width(3))),
        }
        .map_err(e2s)?;
        let text = if name.chars().count() > LEGEND_CHARS {
            let cut: String = name.chars().take(LEGEND_CHARS - 1).collect();
            format!("{cut}…")
        } else {
            name.clone()
        };
        side.draw(&Text::new(text, (24, y), font.clone()))
            .map_err(e2s)?;
    }
    if shown < entries.len() {
        let y = top + shown as i32 * step;
        side.draw(&Text::new(
            format!("and {} more", entries.len() - shown),
            (24, y),
            font,
        ))
        .map_err(e2s)?;
    }
    Ok(())
}
