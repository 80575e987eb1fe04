//! The layout every chart shares: size, fonts, colours, a titled canvas, a
//! Cartesian frame with numeric or category ticks, a legend, and the heat
//! map with its colour bar.

use std::error::Error;
use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{PlotError, Svg};

/// A drawing area in backend pixels.
pub(super) type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;
/// A chart's plotting area, in data coordinates.
pub(super) type Plot<'b> = DrawingArea<SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
/// A chart over two numeric axes.
pub(super) type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
/// What drawing returns; plotters' errors become [`PlotError::Draw`].
pub(super) type DrawResult = Result<(), Box<dyn Error>>;

/// The default canvas.
pub(super) const WIDTH: u32 = 800;
/// The default canvas.
pub(super) const HEIGHT: u32 = 500;

const FONT: &str = "sans-serif";
/// Plotters writes `font-size = size / 1.24`: 16 gives 12.9 px, 22 gives
/// 17.7 px, so no text is under 12 px on an 800 × 500 canvas.
pub(super) const TEXT: f64 = 16.0;
const TITLE: f64 = 22.0;

/// The Okabe–Ito palette (Okabe & Ito 2008), distinguishable with every
/// common colour-vision deficiency; yellow comes last, as it is faint on
/// white.
pub(super) const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

const GRID: RGBColor = RGBColor(221, 221, 221);
const MISSING: RGBColor = RGBColor(238, 238, 238);

/// The `i`-th series colour.
pub(super) fn colour(i: usize) -> RGBColor {
    OKABE_ITO[i % OKABE_ITO.len()]
}

/// Viridis at `v` in `[0, 1]`.
pub(super) fn viridis(v: f64) -> RGBColor {
    ViridisRGB::get_color(v.clamp(0.0, 1.0))
}

/// Black text of `size`, anchored at `h`/`v`.
pub(super) fn text(size: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&BLACK).pos(Pos::new(h, v))
}

/// Black text of the body size, anchored at its left end, centred.
pub(super) fn body() -> TextStyle<'static> {
    text(TEXT, HPos::Left, VPos::Center)
}

/// Black text of the body size, for plotters to place (tick labels, axis
/// descriptions, legends).
fn plain() -> TextStyle<'static> {
    TextStyle::from((FONT, TEXT).into_font()).color(&BLACK)
}

/// Draws a `width` × `height` SVG: a white canvas with `title` on top,
/// `draw(root, below_title)` for the rest.
pub(super) fn render(
    width: u32,
    height: u32,
    title: &str,
    draw: impl for<'b> FnOnce(&Area<'b>, &Area<'b>) -> DrawResult,
) -> Result<Svg, PlotError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        let result = (|| -> DrawResult {
            root.fill(&WHITE)?;
            let title_style = TextStyle::from((FONT, TITLE).into_font().style(FontStyle::Bold)).color(&BLACK);
            let body = root.titled(title, title_style)?;
            draw(&root, &body)?;
            root.present()?;
            Ok(())
        })();
        result.map_err(|e| PlotError::Draw { message: e.to_string() })?;
    }
    Ok(Svg(out))
}

/// How an axis is labelled.
pub(super) enum Ticks {
    /// About `count` round values, written by `format`.
    Auto {
        /// How many labels, at most.
        count: usize,
        /// Writes one label.
        format: Box<dyn Fn(f64) -> String>,
    },
    /// A label at each given position (categories), no grid lines.
    At(Vec<(f64, String)>),
}

impl Ticks {
    /// About `count` round values, written by `format`.
    pub(super) fn auto(count: usize, format: impl Fn(f64) -> String + 'static) -> Ticks {
        Ticks::Auto { count, format: Box::new(format) }
    }
}

/// One axis: its range, its description (with the unit) and its ticks.
pub(super) struct Axis {
    pub range: Range<f64>,
    pub desc: String,
    pub ticks: Ticks,
}

impl Axis {
    pub(super) fn new(range: Range<f64>, desc: impl Into<String>, ticks: Ticks) -> Axis {
        Axis { range, desc: desc.into(), ticks }
    }
}

/// Room for the axes' labels, in pixels: left of the plot, below it.
#[derive(Clone, Copy)]
pub(super) struct Margins {
    pub left: u32,
    pub bottom: u32,
}

impl Default for Margins {
    fn default() -> Self {
        Margins { left: 80, bottom: 56 }
    }
}

/// A chart frame on `area`: axes with descriptions, tick labels and grid
/// lines at the numeric ticks; category labels are written on `root`.
pub(super) fn frame<'a, 'b>(
    root: &Area<'b>,
    area: &'a Area<'b>,
    x: &Axis,
    y: &Axis,
    margins: Margins,
) -> Result<Chart<'a, 'b>, Box<dyn Error>> {
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(margins.bottom)
        .y_label_area_size(margins.left)
        .build_cartesian_2d(x.range.clone(), y.range.clone())?;
    let count = |t: &Ticks| match t {
        Ticks::Auto { count, .. } => *count,
        Ticks::At(_) => 0,
    };
    let x_format = |v: &f64| match &x.ticks {
        Ticks::Auto { format, .. } => format(*v),
        Ticks::At(_) => String::new(),
    };
    let y_format = |v: &f64| match &y.ticks {
        Ticks::Auto { format, .. } => format(*v),
        Ticks::At(_) => String::new(),
    };
    chart
        .configure_mesh()
        .x_labels(count(&x.ticks))
        .y_labels(count(&y.ticks))
        .max_light_lines(0)
        .bold_line_style(GRID)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .x_desc(x.desc.as_str())
        .y_desc(y.desc.as_str())
        .label_style(plain())
        .axis_desc_style(plain())
        .draw()?;
    if let Ticks::At(labels) = &x.ticks {
        for (at, label) in labels {
            let (px, py) = chart.backend_coord(&(*at, y.range.start));
            root.draw(&Text::new(label.clone(), (px, py + 8), text(TEXT, HPos::Center, VPos::Top)))?;
        }
    }
    if let Ticks::At(labels) = &y.ticks {
        for (at, label) in labels {
            let (px, py) = chart.backend_coord(&(x.range.start, *at));
            root.draw(&Text::new(label.clone(), (px - 8, py), text(TEXT, HPos::Right, VPos::Center)))?;
        }
    }
    Ok(chart)
}

/// Where the legend goes.
pub(super) use plotters::chart::SeriesLabelPosition as LegendAt;

/// Draws the legend of the series drawn with a label.
pub(super) fn legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, at: LegendAt) -> DrawResult {
    chart
        .configure_series_labels()
        .position(at)
        .label_font(plain())
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// A legend swatch: a filled square.
pub(super) fn swatch(c: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled())
}

/// A legend swatch: a short line.
pub(super) fn line_swatch(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3))
}

/// The positions `0.5, 1.5, …` of `labels`, for category ticks.
pub(super) fn centred(labels: impl IntoIterator<Item = String>) -> Ticks {
    Ticks::At(labels.into_iter().enumerate().map(|(i, l)| (i as f64 + 0.5, l)).collect())
}

/// A heat map: rows top to bottom, columns left to right.
pub(super) struct HeatMap<'a> {
    pub columns: Vec<String>,
    pub rows: Vec<String>,
    pub x_desc: String,
    pub y_desc: String,
    pub scale_desc: String,
    /// `values[row][column]`; `None` is an empty cell.
    pub values: &'a [Vec<Option<f64>>],
    /// The values at the ends of the scale.
    pub range: (f64, f64),
    /// The text in each cell, if the cells are wide enough for it.
    pub cell_text: Option<&'a dyn Fn(usize, usize, f64) -> String>,
    pub scale_format: &'a dyn Fn(f64) -> String,
    pub margins: Margins,
}

/// Draws `map` on `area`, with its colour bar at the right.
pub(super) fn heat_map<'b>(root: &Area<'b>, area: &Area<'b>, map: &HeatMap<'_>) -> DrawResult {
    let (width, _) = area.dim_in_pixel();
    let (main, bar) = area.split_horizontally(width.saturating_sub(130));
    let (nx, ny) = (map.columns.len(), map.rows.len());
    let x = Axis::new(0.0..nx as f64, map.x_desc.clone(), centred(map.columns.iter().cloned()));
    let rows_up = map.rows.iter().rev().cloned();
    let y = Axis::new(0.0..ny as f64, map.y_desc.clone(), centred(rows_up));
    let chart = frame(root, &main, &x, &y, map.margins)?;
    let (lo, hi) = map.range;
    let span = if hi > lo { hi - lo } else { 1.0 };
    let area = chart.plotting_area();
    for (r, row) in map.values.iter().enumerate() {
        let y0 = (ny - 1 - r) as f64;
        for (c, value) in row.iter().enumerate() {
            let x0 = c as f64;
            let fill = value.map_or(MISSING, |v| viridis((v - lo) / span));
            area.draw(&Rectangle::new([(x0, y0), (x0 + 1.0, y0 + 1.0)], fill.filled()))?;
            if let (Some(v), Some(write)) = (value, map.cell_text) {
                let ink = if (v - lo) / span < 0.6 { WHITE } else { BLACK };
                let style = text(TEXT, HPos::Center, VPos::Center).color(&ink);
                area.draw(&Text::new(write(r, c, *v), (x0 + 0.5, y0 + 0.5), style))?;
            }
        }
    }
    let mut scale = ChartBuilder::on(&bar)
        .margin_top(10)
        .margin_bottom(10 + map.margins.bottom)
        .margin_right(12)
        .y_label_area_size(84)
        .build_cartesian_2d(-0.6..1.0, lo..lo + span)?;
    let format = |v: &f64| (map.scale_format)(*v);
    scale
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&format)
        .y_desc(map.scale_desc.as_str())
        .label_style(plain())
        .axis_desc_style(plain())
        .draw()?;
    let steps = 48;
    scale.draw_series((0..steps).map(|k| {
        let (a, b) = (f64::from(k) / f64::from(steps), f64::from(k + 1) / f64::from(steps));
        Rectangle::new([(0.0, lo + a * span), (1.0, lo + b * span)], viridis(a).filled())
    }))?;
    Ok(())
}

/// `x` with up to two decimals, trailing zeros dropped.
pub(super) fn short(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `n` rounded, with commas between thousands: 12,345.
pub(super) fn thousands(n: f64) -> String {
    let rounded = n.round();
    let digits = format!("{}", rounded.abs() as u64);
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if rounded < 0.0 { format!("−{out}") } else { out }
}

/// A share as a percentage with `digits` decimals.
pub(super) fn percent(share: f64, digits: usize) -> String {
    format!("{:.*}%", digits, 100.0 * share)
}

/// An axis range from 0 (or `lo`) to a little above `hi`, never empty.
pub(super) fn padded(lo: f64, hi: f64) -> Range<f64> {
    let hi = if hi > lo { hi } else { lo + 1.0 };
    lo..hi + 0.08 * (hi - lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1234.4), "1,234");
        assert_eq!(thousands(-1_234_567.0), "−1,234,567");
    }
}
