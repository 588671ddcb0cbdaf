//! What both trackers share: reading a batch, and their picture: lines of a metric over training steps, one per label or instance,
//! optionally with a shaded band (drawn with plotters, in the style of the log charts).

use plotters::prelude::*;

use crate::error::{FeError, Result};
use crate::summary::logs::plot::{colors, downsample, encode_png, ensure_font, FAMILY};

/// One line of a tracker plot.
pub(crate) struct Line {
    /// The legend's text.
    pub name: String,
    /// `(step, value)` points, in step order.
    pub points: Vec<(f64, f64)>,
    /// `(step, low, high)` of a shaded band around the line, when bounds are drawn.
    pub band: Vec<(f64, f64, f64)>,
}

const SIZE: (u32, u32) = (800, 480);
const SUPERSAMPLE: u32 = 2;
/// The legend column's width, in pixels.
const LEGEND_WIDTH: u32 = 150;

/// Draw `lines` as a PNG titled `title`, with `y_label` on the vertical axis.
pub(crate) fn tracker_png(title: &str, y_label: &str, lines: &[Line]) -> Result<Vec<u8>> {
    ensure_font(None)?;
    let fail = |e: String| FeError::InvalidValue { consumer: title.to_string(), key: "plot".into(), reason: e };
    let finite = |v: f64| v.is_finite();
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).filter(|v| finite(*v));
    let ys = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1).chain(l.band.iter().flat_map(|b| [b.1, b.2])))
        .filter(|v| finite(*v));
    let (x0, x1) = span(xs);
    let (y0, y1) = span(ys);
    let (ypad, xpad) = ((y1 - y0) * 0.05, (x1 - x0) * 0.02);
    let (w, h) = (SIZE.0 * SUPERSAMPLE, SIZE.1 * SUPERSAMPLE);
    let k = SUPERSAMPLE as i32;
    let mut big = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut big, (w, h)).into_drawing_area();
        let font = |size: i32| (FAMILY, size * k).into_font();
        let legend_width = if lines.is_empty() { 0 } else { LEGEND_WIDTH * SUPERSAMPLE };
        let (plot_area, legend_area) = root.split_horizontally(w - legend_width);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(title, font(18))
            .margin(12 * k)
            .x_label_area_size(36 * k)
            .y_label_area_size(60 * k)
            .build_cartesian_2d(x0 - xpad..x1 + xpad, y0 - ypad..y1 + ypad)
            .map_err(|e| fail(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc(y_label)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style(font(12))
            .axis_desc_style(font(13))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .map_err(|e| fail(e.to_string()))?;
        let palette = colors(lines.len());
        for (i, (line, rgb)) in lines.iter().zip(palette).enumerate() {
            let color = RGBColor(rgb[0], rgb[1], rgb[2]);
            if !line.band.is_empty() {
                let mut outline: Vec<(f64, f64)> = line.band.iter().map(|b| (b.0, b.2)).collect();
                outline.extend(line.band.iter().rev().map(|b| (b.0, b.1)));
                chart
                    .draw_series(std::iter::once(Polygon::new(outline, color.mix(0.15).filled())))
                    .map_err(|e| fail(e.to_string()))?;
            }
            let style = ShapeStyle::from(&color).stroke_width(2 * SUPERSAMPLE);
            chart
                .draw_series(std::iter::once(PathElement::new(line.points.clone(), style)))
                .map_err(|e| fail(e.to_string()))?;
            chart
                .draw_series(line.points.iter().map(|&p| Circle::new(p, 3 * k, color.filled())))
                .map_err(|e| fail(e.to_string()))?;
            // The legend: a short line and the name, one row per line, right of the chart.
            let y = (44 + 22 * i as i32) * k;
            legend_area
                .draw(&PathElement::new(vec![(8 * k, y), (30 * k, y)], style))
                .map_err(|e| fail(e.to_string()))?;
            legend_area
                .draw(&Text::new(line.name.clone(), (38 * k, y - 10 * k), font(13)))
                .map_err(|e| fail(e.to_string()))?;
        }
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let pixels = downsample(&big, SIZE.0 as usize, SIZE.1 as usize, SUPERSAMPLE as usize);
    encode_png(&pixels, SIZE.0, SIZE.1, title)
}

/// The smallest and largest value, widened when they are equal (or there are none).
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi - lo < 1e-12 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

/// Hand `png` to the run as the figure `title`, and write it as `<save_dir>/<title>.png` (the
/// folder created if needed) when there is a `save_dir`.
pub(crate) fn publish(
    trace: &str,
    title: String,
    png: Vec<u8>,
    save_dir: Option<&std::path::Path>,
    system: &mut crate::summary::System,
) -> Result<()> {
    if let Some(dir) = save_dir {
        std::fs::create_dir_all(dir).map_err(|e| FeError::io(format!("{trace}: cannot create save_dir"), dir, e))?;
        let path = dir.join(format!("{}.png", file_stem(&title)));
        crate::trace::report::write_atomic(&path, &png)?;
        crate::output::log(&format!("FastEstimator-{trace}: saved {title} to {}", path.display()));
    }
    system.add_figure(title, png);
    Ok(())
}

/// A file name for a figure title: letters, digits, `-`, `_` and `.`; anything else is `_`.
fn file_stem(title: &str) -> String {
    title.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}

/// Shared by both trackers: read a `[batch]` (or `[batch, 1]`) tensor of numbers.
pub(crate) fn per_instance(t: &tch::Tensor, trace: &str, key: &str) -> Result<Vec<f64>> {
    let size = t.size();
    let ok = matches!(size.as_slice(), [_] | [_, 1]);
    if !ok {
        return Err(FeError::UnexpectedShape {
            op: trace.to_string(),
            key: key.to_string(),
            expected: "one value per instance ([batch] or [batch, 1])".into(),
            got: size,
        });
    }
    Vec::<f64>::try_from(t.detach().to_device(tch::Device::Cpu).to_kind(tch::Kind::Double).reshape([-1]))
        .map_err(|e| FeError::torch(format!("{trace} reading {key:?}"), e))
}

/// Shared by both trackers: a batch's group keys (labels or ids, whole numbers) under
/// `group_key` and its per-instance metric under `metric_key`, one each per instance. With
/// `one_hot`, `[batch, classes]` rows count as the class of their largest entry. `role` names
/// the group keys in errors ("label", "id").
pub(crate) fn read_batch(
    trace: &str,
    data: &crate::trace::Data,
    system: &crate::summary::System,
    (group_key, metric_key): (&str, &str),
    role: &str,
    one_hot: bool,
) -> Result<(Vec<i64>, Vec<f64>)> {
    let get = |key: &str| {
        data.tensor(key).ok_or_else(|| {
            crate::util::missing_key(
                trace,
                key,
                data.batch().keys().map(String::as_str),
                system.mode,
                system.epoch_idx,
                &system.ds_id,
            )
        })
    };
    let t = get(group_key)?;
    let size = t.size();
    let values = if one_hot && size.len() == 2 && size[1] > 1 {
        let classes = Vec::<i64>::try_from(t.detach().to_device(tch::Device::Cpu).argmax(1, false))
            .map_err(|e| FeError::torch(format!("{trace} reading {group_key:?}"), e))?;
        classes.into_iter().map(|v| v as f64).collect()
    } else {
        per_instance(t, trace, group_key)?
    };
    let groups = values
        .into_iter()
        .map(|v| {
            if v.fract() == 0.0 && v.is_finite() {
                Ok(v as i64)
            } else {
                Err(FeError::InvalidValue {
                    consumer: trace.to_string(),
                    key: group_key.to_string(),
                    reason: format!("{role}s must be whole numbers, got {v}"),
                })
            }
        })
        .collect::<Result<Vec<i64>>>()?;
    let metric = per_instance(get(metric_key)?, trace, metric_key)?;
    if groups.len() != metric.len() {
        return Err(FeError::LengthMismatch {
            context: trace.to_string(),
            what: format!("values in {metric_key:?} (one per {role} in {group_key:?})"),
            expected: groups.len(),
            got: metric.len(),
        });
    }
    Ok((groups, metric))
}

/// A tracker's history as checkpoint state: `[key, points]` pairs, which keep the order of the
/// plot's lines (a JSON object would sort its keys).
pub(crate) fn history_state<K: serde::Serialize, P: serde::Serialize>(
    history: &indexmap::IndexMap<K, Vec<P>>,
) -> serde_json::Value {
    crate::trace::to_state(&history.iter().collect::<Vec<_>>())
}

/// Read a history written by [`history_state`] (`Null`, a trace without a checkpoint yet,
/// leaves `history` as it is); `trace` names the tracker in errors.
pub(crate) fn load_history<K, P>(
    trace: &str,
    state: &serde_json::Value,
    history: &mut indexmap::IndexMap<K, Vec<P>>,
) -> Result<()>
where
    K: serde::de::DeserializeOwned + std::hash::Hash + Eq,
    P: serde::de::DeserializeOwned,
{
    if !state.is_null() {
        let pairs: Vec<(K, Vec<P>)> = crate::trace::from_state(trace, state)?;
        *history = pairs.into_iter().collect();
    }
    Ok(())
}
