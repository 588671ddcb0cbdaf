//! From [`Summary`]s to charts: one chart per metric, one series per experiment × mode ×
//! dataset id, values made numeric and smoothed as FE's `plot_logs` does.

use std::collections::{BTreeMap, BTreeSet};

use super::names::{natural_order, prettify_metric_name};
use super::options::LogPlotOptions;
use super::style::{colors, mode_offset, Rgb};
use crate::summary::{LogValue, Summary};
use crate::util::Mode;

/// One line of a chart (or one marker, when the series has a single step): the values of one
/// metric for one experiment, mode and dataset id.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSeries {
    /// The experiment (run or group of runs) the values belong to.
    pub experiment: String,
    /// The mode they were logged in.
    pub mode: Mode,
    /// The dataset id of a per-dataset key (`acc|ds1` → `ds1`).
    pub ds_id: Option<String>,
    /// The legend label: `experiment (mode)`, `experiment (ds1 mode)`, or just the mode when a
    /// single experiment is drawn (FE's titles).
    pub label: String,
    /// The line colour: one per experiment, or one per mode for a single experiment.
    pub color: Rgb,
    /// Which dataset marker the line carries (0: none; see FE's nine symbols).
    pub ds_marker: usize,
    /// The steps, ascending.
    pub steps: Vec<u64>,
    /// The values as logged (the middle of a `(low, mid, high)` value).
    pub values: Vec<f64>,
    /// The values drawn: `values` after the Gaussian smoothing.
    pub drawn: Vec<f64>,
    /// The band drawn around the line, `(low, high)` per step (after smoothing), for values
    /// logged with an error (averaged runs, confidence intervals).
    pub band: Option<Vec<(f64, f64)>>,
}

/// A value that did not change over the run, written as text (FE's one-value "charts").
#[derive(Debug, Clone, PartialEq)]
pub struct LogText {
    /// The same label a series would have.
    pub label: String,
    /// Its colour.
    pub color: Rgb,
    /// The value: floats with 5 decimals, as FE writes them.
    pub text: String,
}

/// What a chart holds.
#[derive(Debug, Clone, PartialEq)]
pub enum LogChartKind {
    /// Metric-vs-step lines (and markers for series with a single step).
    Lines(Vec<LogSeries>),
    /// Only single values: listed as text.
    Values(Vec<LogText>),
}

/// One chart of the grid: one metric (per-dataset keys `acc|ds1` join the chart of `acc`).
#[derive(Debug, Clone, PartialEq)]
pub struct LogChart {
    /// The metric key.
    pub metric: String,
    /// The title shown: the key, or its pretty name.
    pub title: String,
    /// The series or values.
    pub kind: LogChartKind,
}

impl LogChart {
    /// The series of a line chart (none for a chart of single values).
    pub fn series(&self) -> &[LogSeries] {
        match &self.kind {
            LogChartKind::Lines(series) => series,
            LogChartKind::Values(_) => &[],
        }
    }
}

/// A numeric point: the value and its `(low, high)` error, if it has one.
type Point = (u64, f64, Option<(f64, f64)>);

/// What one experiment logged for one key in one mode, before it is drawn.
struct Raw<'a> {
    experiment: usize,
    mode: Mode,
    ds_id: String,
    values: Vec<(u64, &'a LogValue)>,
}

/// The charts for `experiments` (already in their final order), sorted by metric, line charts
/// first and charts of single values after them, as FE places them.
pub(crate) fn build_charts(experiments: &[Summary], options: &LogPlotOptions) -> Vec<LogChart> {
    let mut by_metric: BTreeMap<String, Vec<Raw>> = BTreeMap::new();
    for (index, experiment) in experiments.iter().enumerate() {
        for (mode, keys) in &experiment.history {
            for (key, steps) in keys {
                let (base, ds_id) = key.split_once('|').unwrap_or((key, ""));
                // FE's parser leaves `None` out; ours keeps it as text.
                let values: Vec<(u64, &LogValue)> = steps
                    .iter()
                    .filter(|(_, v)| !matches!(v, LogValue::Text(t) if t == "None"))
                    .map(|(s, v)| (*s, v))
                    .collect();
                if values.is_empty() || !options.keeps(key, base) {
                    continue;
                }
                let raw = Raw { experiment: index, mode: *mode, ds_id: ds_id.to_string(), values };
                by_metric.entry(base.to_string()).or_default().push(raw);
            }
        }
    }
    let mut ds_ids: Vec<String> =
        by_metric.values().flatten().map(|r| r.ds_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    ds_ids.sort_by(|a, b| natural_order(a, b));
    let names: Vec<&str> = experiments.iter().map(|e| e.name.as_str()).collect();
    let palette = colors(if names.len() == 1 { 4 } else { names.len() });
    let look = |raw: &Raw| {
        let offset = if names.len() == 1 { mode_offset(raw.mode) } else { 0 };
        let ds = if raw.ds_id.is_empty() { String::new() } else { format!("{} ", raw.ds_id) };
        let label = if names.len() > 1 {
            format!("{} ({ds}{})", names[raw.experiment], raw.mode)
        } else {
            format!("{ds}{}", raw.mode)
        };
        let marker = ds_ids.iter().position(|d| *d == raw.ds_id).unwrap_or(0) % 9;
        (label, palette[(raw.experiment + offset) % palette.len()], marker)
    };
    let mut lines = Vec::new();
    let mut singles = Vec::new();
    for (metric, raws) in by_metric {
        let title = if options.pretty_names { prettify_metric_name(&metric) } else { metric.clone() };
        let numeric: Vec<Option<Vec<Point>>> = raws.iter().map(|r| numeric_points(&r.values)).collect();
        // FE draws a chart when a series has several steps, or one step with an error band;
        // a chart of single plain values becomes text.
        let drawable = numeric.iter().flatten().any(|p| p.len() > 1 || p.iter().any(|q| q.2.is_some()));
        if drawable {
            let series = raws
                .iter()
                .zip(numeric)
                .filter_map(|(raw, points)| {
                    let points = points.filter(|p| !p.is_empty())?;
                    let (label, color, ds_marker) = look(raw);
                    Some(make_series(
                        names[raw.experiment],
                        raw,
                        label,
                        color,
                        ds_marker,
                        &points,
                        options.smooth_factor,
                    ))
                })
                .collect();
            lines.push(LogChart { metric, title, kind: LogChartKind::Lines(series) });
        } else {
            // A value logged once is written whatever its type (an array, text); one that
            // changes but is not a number cannot be drawn at all.
            let texts: Vec<LogText> = raws
                .iter()
                .filter_map(|raw| {
                    let [(_, value)] = raw.values[..] else { return None };
                    let (label, color, _) = look(raw);
                    Some(LogText { label, color, text: single_text(value) })
                })
                .collect();
            if !texts.is_empty() {
                singles.push(LogChart { metric, title, kind: LogChartKind::Values(texts) });
            }
        }
    }
    lines.extend(singles);
    lines
}

fn make_series(
    experiment: &str,
    raw: &Raw,
    label: String,
    color: Rgb,
    ds_marker: usize,
    points: &[Point],
    sigma: f64,
) -> LogSeries {
    let values: Vec<f64> = points.iter().map(|p| p.1).collect();
    let band = points.iter().any(|p| p.2.is_some()).then(|| {
        let low: Vec<f64> = points.iter().map(|p| p.2.map_or(p.1, |b| b.0)).collect();
        let high: Vec<f64> = points.iter().map(|p| p.2.map_or(p.1, |b| b.1)).collect();
        gaussian_filter1d(&low, sigma).into_iter().zip(gaussian_filter1d(&high, sigma)).collect()
    });
    LogSeries {
        experiment: experiment.to_string(),
        mode: raw.mode,
        ds_id: (!raw.ds_id.is_empty()).then(|| raw.ds_id.clone()),
        label,
        color,
        ds_marker,
        steps: points.iter().map(|p| p.0).collect(),
        drawn: gaussian_filter1d(&values, sigma),
        values,
        band,
    }
}

/// The series as numbers, or `None` when a value cannot be one (FE then leaves the whole
/// series out). Non-finite values are dropped: a chart has no place for them.
fn numeric_points(values: &[(u64, &LogValue)]) -> Option<Vec<Point>> {
    let mut points = Vec::with_capacity(values.len());
    for (step, value) in values {
        let (y, band) = match value {
            LogValue::ValWithError(low, mid, high) => (*mid, Some((*low, *high))),
            LogValue::Array(a) if a.len() == 1 => (a.iter().next().copied()?, None),
            LogValue::Text(t) => (single_number(t)?, None),
            other => (other.as_f64()?, None),
        };
        let band_finite = match band {
            Some((low, high)) => low.is_finite() && high.is_finite(),
            None => true,
        };
        if y.is_finite() && band_finite {
            points.push((*step, y, band));
        }
    }
    Some(points)
}

/// FE reads a number out of text when the text holds exactly one (`r'(\d+\.\d+|\.?\d+)'`).
fn single_number(text: &str) -> Option<f64> {
    let mut numbers = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit() || c == '.') {
        let tail = &rest[start..];
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let len = if let Some(frac) = tail.strip_prefix('.') {
            match digits(frac) {
                0 => {
                    rest = frac;
                    continue;
                }
                n => n + 1,
            }
        } else {
            let int = digits(tail);
            match tail[int..].strip_prefix('.').map(digits) {
                Some(frac) if frac > 0 => int + 1 + frac,
                _ => int,
            }
        };
        numbers.push(&tail[..len]);
        rest = &tail[len..];
    }
    match numbers[..] {
        [one] => one.parse().ok(),
        _ => None,
    }
}

/// A single value as FE writes it on a chart: floats with 5 decimals, anything else as is.
fn single_text(value: &LogValue) -> String {
    match value {
        LogValue::F32(x) => format!("{:.5}", f64::from(*x)),
        LogValue::F64(x) => format!("{x:.5}"),
        other => other.to_string(),
    }
}

/// scipy's `gaussian_filter1d(values, sigma)` with its defaults (`mode='reflect'`,
/// `truncate=4.0`), which FE smooths lines with; σ = 0 or fewer than two values leave them as
/// they are.
pub(crate) fn gaussian_filter1d(values: &[f64], sigma: f64) -> Vec<f64> {
    let n = values.len();
    if sigma <= 0.0 || n < 2 {
        return values.to_vec();
    }
    let radius = (4.0 * sigma + 0.5) as usize;
    let weight = |k: usize| (-0.5 * (k as f64 / sigma).powi(2)).exp();
    let total: f64 = weight(0) + 2.0 * (1..=radius).map(weight).sum::<f64>();
    // Reflection repeats with period 2n, so the kernel folds onto 2n offsets when it is wider.
    let period = 2 * n;
    let mut folded = vec![0.0; period.min(2 * radius + 1)];
    let wide = 2 * radius + 1 > period;
    for k in 0..=2 * radius {
        let offset = k as i64 - radius as i64;
        let slot = if wide { offset.rem_euclid(period as i64) as usize } else { k };
        folded[slot] += weight(offset.unsigned_abs() as usize);
    }
    let start = if wide { 0 } else { -(radius as i64) };
    let reflect = |j: i64| {
        let m = j.rem_euclid(period as i64) as usize;
        if m < n {
            m
        } else {
            period - m - 1
        }
    };
    (0..n as i64)
        .map(|i| folded.iter().enumerate().map(|(s, w)| w * values[reflect(i + start + s as i64)]).sum::<f64>() / total)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-7, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn smoothing_matches_scipy() {
        // scipy's documented examples of gaussian_filter1d.
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        close(&gaussian_filter1d(&v, 1.0), &[1.42704095, 2.06782203, 3.0, 3.93217797, 4.57295905]);
        close(&gaussian_filter1d(&v, 4.0), &[2.91948343, 2.95023502, 3.0, 3.04976498, 3.08051657]);
        close(&gaussian_filter1d(&v, 0.0), &v);
        close(&gaussian_filter1d(&[7.0], 3.0), &[7.0]);
    }

    #[test]
    fn text_values_give_a_number_only_when_they_hold_one() {
        assert_eq!(single_number("0.75"), Some(0.75));
        assert_eq!(single_number("lr=.5"), Some(0.5));
        assert_eq!(single_number("12 of 15"), None);
        assert_eq!(single_number("None"), None);
        assert_eq!(single_number("v1."), Some(1.0));
    }

    #[test]
    fn single_values_become_text_and_epoch_is_left_out() {
        let mut s = Summary::new("run");
        s.record(Mode::Train, "epoch", 10, LogValue::Int(1));
        s.record(Mode::Train, "epoch", 20, LogValue::Int(2));
        s.record(Mode::Test, "accuracy", 20, LogValue::F64(0.875));
        s.record(Mode::Train, "ce", 10, LogValue::F32(2.0));
        s.record(Mode::Train, "ce", 20, LogValue::F32(1.0));
        s.record(Mode::Eval, "ce", 20, LogValue::Text("None".into()));
        let charts = build_charts(&[s], &LogPlotOptions::new());
        assert_eq!(charts.iter().map(|c| c.metric.as_str()).collect::<Vec<_>>(), vec!["ce", "accuracy"]);
        assert_eq!(charts[0].series().len(), 1, "eval's None is not a value");
        let LogChartKind::Values(texts) = &charts[1].kind else { panic!("{:?}", charts[1]) };
        assert_eq!(texts[0].text, "0.87500");
        assert_eq!(texts[0].label, "test");
    }
}
