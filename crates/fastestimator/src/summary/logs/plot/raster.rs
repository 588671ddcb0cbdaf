//! The PNG and SVG of a [`LogPlot`], drawn with plotters: the grid of charts on the left, the
//! legend on the right.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::font::FAMILY;
use super::series::{LogChart, LogChartKind, LogSeries, LogText};
use super::style::{dash_pattern, dash_segments, ds_marker, marker_indices, point_marker, Rgb};
use super::{LegendEntry, LogPlot};
use crate::error::{FeError, Result};

/// One chart's cell, in pixels.
const CELL: (u32, u32) = (460, 320);
/// The legend column's width, the height of one entry, and the space above the first.
const LEGEND_WIDTH: u32 = 300;
const LEGEND_ROW: u32 = 24;
const LEGEND_TOP: u32 = 36;
/// Line width and marker radius, in pixels.
const LINE_WIDTH: f64 = 2.0;
const MARKER: f64 = 6.0;
/// The PNG is drawn this many times larger, then scaled down: smoother lines, and glyphs that
/// sit within half a pixel of their place.
const SUPERSAMPLE: u32 = 2;

/// The figure's size: the grid of cells, plus the legend column (taller when the legend needs
/// it).
pub(crate) fn figure_size(plot: &LogPlot) -> (u32, u32) {
    let entries = plot.legend().len() as u32;
    let legend_width = if entries > 0 { LEGEND_WIDTH } else { 0 };
    let height = (plot.rows as u32 * CELL.1).max(LEGEND_TOP + entries * LEGEND_ROW + 16);
    (plot.cols as u32 * CELL.0 + legend_width, height)
}

/// The figure as an encoded PNG.
pub(crate) fn png(plot: &LogPlot) -> Result<Vec<u8>> {
    let (width, height) = figure_size(plot);
    let (big_w, big_h) = (width * SUPERSAMPLE, height * SUPERSAMPLE);
    let mut big = vec![255u8; big_w as usize * big_h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut big, (big_w, big_h)).into_drawing_area();
        draw(plot, &root, f64::from(SUPERSAMPLE)).map_err(|e| drawing_error("PNG", e))?;
        root.present().map_err(|e| drawing_error("PNG", e))?;
    }
    let pixels = downsample(&big, width as usize, height as usize, SUPERSAMPLE as usize);
    encode_png(&pixels, width, height, "plot_logs")
}

/// Encode RGB `pixels` (`width`×`height`) as a PNG; `consumer` names the caller in errors.
pub(crate) fn encode_png(pixels: &[u8], width: u32, height: u32, consumer: &str) -> Result<Vec<u8>> {
    use image::ImageEncoder as _;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    )
    .write_image(pixels, width, height, image::ExtendedColorType::Rgb8)
    .map_err(|e| FeError::InvalidValue {
        consumer: consumer.into(),
        key: "PNG".into(),
        reason: format!("cannot encode the image: {e}"),
    })?;
    Ok(out)
}

/// Average each `k`×`k` block of an RGB image `k` times the size `width`×`height`.
pub(crate) fn downsample(big: &[u8], width: usize, height: usize, k: usize) -> Vec<u8> {
    let big_w = width * k;
    let mut out = vec![0u8; width * height * 3];
    for y in 0..height {
        for x in 0..width {
            for c in 0..3 {
                let mut sum = 0u32;
                for dy in 0..k {
                    let row = (y * k + dy) * big_w;
                    for dx in 0..k {
                        sum += u32::from(big[(row + x * k + dx) * 3 + c]);
                    }
                }
                out[(y * width + x) * 3 + c] = ((sum + (k * k / 2) as u32) / (k * k) as u32) as u8;
            }
        }
    }
    out
}

/// The figure as an SVG document.
pub(crate) fn svg(plot: &LogPlot) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, figure_size(plot)).into_drawing_area();
        draw(plot, &root, 1.0).map_err(|e| drawing_error("SVG", e))?;
        root.present().map_err(|e| drawing_error("SVG", e))?;
    }
    Ok(out)
}

fn drawing_error<E: std::error::Error + Send + Sync>(what: &str, e: DrawingAreaErrorKind<E>) -> FeError {
    FeError::InvalidValue { consumer: "plot_logs".into(), key: what.into(), reason: format!("drawing failed: {e}") }
}

type Drawn<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draw the figure `k` times its size (every length, width and font size times `k`).
fn draw<DB: DrawingBackend>(plot: &LogPlot, root: &DrawingArea<DB, Shift>, k: f64) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let x_range = plot.step_range().map_or((0.0, 1.0), |(lo, hi)| padded(lo as f64, hi as f64, 0.02));
    let cell_size = (px(f64::from(CELL.0), k), px(f64::from(CELL.1), k));
    for (i, chart) in plot.charts.iter().enumerate() {
        let (row, col) = ((i / plot.cols) as i32, (i % plot.cols) as i32);
        let cell = root.clone().shrink((col * cell_size.0, row * cell_size.1), cell_size);
        match &chart.kind {
            LogChartKind::Lines(series) => draw_lines(root, &cell, chart, series, x_range, k)?,
            LogChartKind::Values(texts) => draw_values(&cell, chart, texts, k)?,
        }
    }
    draw_legend(root, &plot.legend(), f64::from(plot.cols as u32 * CELL.0), k)
}

/// A length in pixels at scale `k`.
fn px(length: f64, k: f64) -> i32 {
    (length * k).round() as i32
}

/// A stroke width in pixels at scale `k`.
fn stroke(width: f64, k: f64) -> u32 {
    (width * k).round().max(1.0) as u32
}

/// `(lo, hi)` widened by `share` of its span on each side (by 5%, or 1 around 0, when it is a
/// single value).
fn padded(lo: f64, hi: f64, share: f64) -> (f64, f64) {
    let pad = if hi > lo {
        (hi - lo) * share
    } else if lo == 0.0 {
        1.0
    } else {
        lo.abs() * 0.05
    };
    (lo - pad, hi + pad)
}

/// A tick label: as many decimals as the axis's span needs, scientific for very large or very
/// small values.
fn tick_label(value: f64, span: f64, magnitude: f64) -> String {
    if magnitude >= 1e6 || (magnitude > 0.0 && magnitude < 1e-3) {
        return format!("{value:.1e}");
    }
    let step = span / 5.0;
    let decimals = if step > 0.0 { (-step.log10().floor()).clamp(0.0, 6.0) as usize } else { 2 };
    let text = format!("{value:.decimals$}");
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_string()
    } else {
        text
    }
}

fn rgb(color: Rgb) -> RGBColor {
    RGBColor(color[0], color[1], color[2])
}

fn text_style(size: f64, color: RGBColor) -> TextStyle<'static> {
    TextStyle {
        font: (FAMILY, size).into_font(),
        color: color.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    cell: &DrawingArea<DB, Shift>,
    chart: &LogChart,
    series: &[LogSeries],
    x_range: (f64, f64),
    k: f64,
) -> Drawn<DB> {
    let values = series
        .iter()
        .flat_map(|s| s.drawn.iter().copied().chain(s.band.iter().flatten().flat_map(|&(lo, hi)| [lo, hi])));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (y_lo, y_hi) = if lo.is_finite() { padded(lo, hi, 0.06) } else { (0.0, 1.0) };
    let y_format = |v: &f64| tick_label(*v, y_hi - y_lo, y_lo.abs().max(y_hi.abs()));
    let x_format = |v: &f64| tick_label(*v, x_range.1 - x_range.0, 0.0);
    let mut ctx = ChartBuilder::on(cell)
        .margin_top(px(12.0, k))
        .margin_right(px(20.0, k))
        .margin_left(px(8.0, k))
        .margin_bottom(px(4.0, k))
        .caption(&chart.title, (FAMILY, 18.0 * k, FontStyle::Bold))
        .x_label_area_size(px(44.0, k))
        .y_label_area_size(px(66.0, k))
        .build_cartesian_2d(x_range.0..x_range.1, y_lo..y_hi)?;
    ctx.configure_mesh()
        .max_light_lines(0)
        .bold_line_style(RGBColor(0xe4, 0xe9, 0xf0).stroke_width(stroke(1.0, k)))
        .axis_style(RGBColor(0xbc, 0xcc, 0xdc).stroke_width(stroke(1.0, k)))
        .set_all_tick_mark_size(px(5.0, k))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .x_desc("Steps")
        .label_style(text_style(13.0 * k, RGBColor(0x44, 0x44, 0x44)))
        .axis_desc_style(text_style(14.0 * k, RGBColor(0x33, 0x33, 0x33)))
        .draw()?;
    let to_px = |step: u64, y: f64| {
        let (x, y) = ctx.backend_coord(&(step as f64, y));
        (f64::from(x), f64::from(y))
    };
    for s in series.iter().filter(|s| s.steps.len() > 1) {
        if let Some(band) = &s.band {
            let upper = s.steps.iter().zip(band).map(|(&x, &(_, hi))| to_px(x, hi));
            let lower = s.steps.iter().zip(band).rev().map(|(&x, &(lo, _))| to_px(x, lo));
            let outline: Vec<(i32, i32)> = upper.chain(lower).map(pixel).collect();
            root.draw(&Polygon::new(outline, rgb(s.color).mix(0.3).filled()))?;
        }
    }
    for s in series.iter().filter(|s| s.steps.len() > 1) {
        let points: Vec<(f64, f64)> = s.steps.iter().zip(&s.drawn).map(|(&x, &y)| to_px(x, y)).collect();
        draw_dashed(root, &points, s.mode, s.color, k)?;
        for i in marker_indices(points.len()) {
            draw_ds_marker(root, points[i], s.ds_marker, k)?;
        }
    }
    for s in series.iter().filter(|s| s.steps.len() == 1) {
        let centre = to_px(s.steps[0], s.drawn[0]);
        if let Some(&(lo, hi)) = s.band.as_ref().and_then(|b| b.first()) {
            let (top, bottom) = (to_px(s.steps[0], hi).1, to_px(s.steps[0], lo).1);
            draw_error_bar(root, centre.0, (top, bottom), s.color, k)?;
        }
        draw_point_marker(root, centre, s.mode, s.color, k)?;
        draw_ds_marker(root, centre, s.ds_marker, k)?;
    }
    Ok(())
}

fn pixel((x, y): (f64, f64)) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

fn draw_dashed<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[(f64, f64)],
    mode: crate::util::Mode,
    color: Rgb,
    k: f64,
) -> Drawn<DB> {
    let style = rgb(color).stroke_width(stroke(LINE_WIDTH, k));
    let pattern: Vec<f64> = dash_pattern(mode).iter().map(|d| d * k).collect();
    for piece in dash_segments(points, &pattern) {
        root.draw(&PathElement::new(piece.into_iter().map(pixel).collect::<Vec<_>>(), style))?;
    }
    Ok(())
}

/// A vertical error bar at `x` from `top` to `bottom`, with caps.
fn draw_error_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: f64,
    (top, bottom): (f64, f64),
    color: Rgb,
    k: f64,
) -> Drawn<DB> {
    let style = rgb(color).stroke_width(stroke(LINE_WIDTH, k));
    let cap = 5.0 * k;
    for line in [[(x, top), (x, bottom)], [(x - cap, top), (x + cap, top)], [(x - cap, bottom), (x + cap, bottom)]] {
        root.draw(&PathElement::new(line.map(pixel).to_vec(), style))?;
    }
    Ok(())
}

fn draw_point_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (f64, f64),
    mode: crate::util::Mode,
    color: Rgb,
    k: f64,
) -> Drawn<DB> {
    let fill = rgb(color).filled();
    let outline = WHITE.stroke_width(stroke(1.5, k));
    let r = MARKER * k;
    match point_marker(mode, r) {
        None => {
            root.draw(&Circle::new(pixel((x, y)), r.round() as u32, fill))?;
            root.draw(&Circle::new(pixel((x, y)), r.round() as u32, outline))?;
        }
        Some(shape) => {
            let shape: Vec<(i32, i32)> = shape.into_iter().map(|(dx, dy)| pixel((x + dx, y + dy))).collect();
            root.draw(&Polygon::new(shape.clone(), fill))?;
            let mut closed = shape.clone();
            closed.extend(shape.first().copied());
            root.draw(&PathElement::new(closed, outline))?;
        }
    }
    Ok(())
}

fn draw_ds_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (f64, f64),
    index: usize,
    k: f64,
) -> Drawn<DB> {
    let style = RGBColor(0x2f, 0x4f, 0x4f).stroke_width(stroke(2.0, k));
    for [(x0, y0), (x1, y1)] in ds_marker(index, MARKER * k) {
        root.draw(&PathElement::new(vec![pixel((x + x0, y + y0)), pixel((x + x1, y + y1))], style))?;
    }
    Ok(())
}

/// A chart of single values: the title, then one coloured `label: value` line per series
/// (FE's text annotations), in columns when they do not fit.
fn draw_values<DB: DrawingBackend>(
    cell: &DrawingArea<DB, Shift>,
    chart: &LogChart,
    texts: &[LogText],
    k: f64,
) -> Drawn<DB> {
    let title = TextStyle {
        font: (FAMILY, 18.0 * k, FontStyle::Bold).into_font(),
        color: BLACK.to_backend_color(),
        pos: Pos::new(HPos::Center, VPos::Top),
    };
    cell.draw_text(&chart.title, &title, (px(f64::from(CELL.0) / 2.0, k), px(10.0, k)))?;
    let per_column = ((CELL.1 - 60) / 26).max(1) as usize;
    for (i, t) in texts.iter().enumerate() {
        let (col, row) = ((i / per_column) as f64, (i % per_column) as f64);
        let style = text_style(15.0 * k, rgb(t.color));
        let at = (px(24.0 + col * 220.0, k), px(52.0 + row * 26.0, k));
        cell.draw_text(&format!("{}: {}", t.label, t.text), &style, at)?;
    }
    Ok(())
}

/// The legend column, from `left` (unscaled pixels): a sample of each entry's line or marker,
/// then its label.
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    legend: &[LegendEntry],
    left: f64,
    k: f64,
) -> Drawn<DB> {
    let x0 = (left + 16.0) * k;
    let label_style = text_style(14.0 * k, RGBColor(0x22, 0x22, 0x22)).pos(Pos::new(HPos::Left, VPos::Center));
    let room = px(f64::from(LEGEND_WIDTH) - 16.0 - 48.0 - 8.0, k);
    let sample = 36.0 * k;
    for (i, entry) in legend.iter().enumerate() {
        let y = f64::from(LEGEND_TOP + i as u32 * LEGEND_ROW) * k;
        let centre = (x0 + sample / 2.0, y);
        if entry.line {
            if entry.band {
                let (a, b) = (pixel((x0, y - 7.0 * k)), pixel((x0 + sample, y + 7.0 * k)));
                root.draw(&Rectangle::new([a, b], rgb(entry.color).mix(0.3).filled()))?;
            }
            draw_dashed(root, &[(x0, y), (x0 + sample, y)], entry.mode, entry.color, k)?;
        } else {
            if entry.band {
                draw_error_bar(root, centre.0, (y - 9.0 * k, y + 9.0 * k), entry.color, k)?;
            }
            draw_point_marker(root, centre, entry.mode, entry.color, k)?;
        }
        draw_ds_marker(root, centre, entry.ds_marker, k)?;
        let label = fit_text(root, &entry.label, &label_style, room);
        root.draw_text(&label, &label_style, (px(left + 16.0 + 48.0, k), y.round() as i32))?;
    }
    Ok(())
}

/// `text`, shortened with an ellipsis until it is at most `width` pixels wide. A label's
/// ` (mode)` ending is kept, so that shortened labels stay apart.
fn fit_text<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str, style: &TextStyle, width: i32) -> String {
    let fits = |t: &str| area.estimate_text_size(t, style).map_or(true, |(w, _)| w as i32 <= width);
    if fits(text) {
        return text.to_string();
    }
    let (head, tail) = match text.rfind(" (") {
        Some(i) if text.ends_with(')') => text.split_at(i),
        _ => (text, ""),
    };
    let mut chars: Vec<char> = head.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let shorter = format!("{}…{tail}", chars.iter().collect::<String>());
        if fits(&shorter) {
            return shorter;
        }
    }
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_have_the_decimals_the_span_needs() {
        assert_eq!(tick_label(0.25, 0.3, 0.4), "0.25");
        assert_eq!(tick_label(1.5, 2.3, 3.0), "1.5");
        assert_eq!(tick_label(1200.0, 5000.0, 5000.0), "1200");
        assert_eq!(tick_label(2e-5, 3e-5, 4e-5), "2.0e-5");
        assert_eq!(tick_label(-0.0001, 1.0, 1.0), "0.0");
        assert_eq!(padded(1.0, 1.0, 0.02), (0.95, 1.05));
        assert_eq!(padded(0.0, 0.0, 0.02), (-1.0, 1.0));
    }
}
