//! Axes of the search plots: value → pixel maps (linear, logarithmic for positive values that
//! span two decades or more, or evenly spaced categories), their ticks, and the Viridis colour
//! scale of heatmaps and parallel coordinates.

use super::data::{format_number, Column};
use crate::summary::logs::plot::Rgb;

/// How a column's values map onto an axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    categories: Option<Vec<String>>,
    /// Ticks at these values instead of round numbers (a parameter's few distinct values).
    marks: Option<Vec<f64>>,
}

impl Scale {
    /// The scale of a parameter: as [`Scale::of`], with a tick at each value when there are at
    /// most 8 distinct values (a grid's values).
    pub fn of_param(column: &Column, pad: f64) -> Scale {
        let mut scale = Scale::of(column, pad);
        if scale.categories.is_none() {
            let mut distinct: Vec<f64> = column.values.iter().copied().filter(|v| v.is_finite()).collect();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            if distinct.len() <= 8 {
                scale.marks = Some(distinct);
            }
        }
        scale
    }

    /// The scale of `column`, its range padded by `pad` of its span (numbers only).
    pub fn of(column: &Column, pad: f64) -> Scale {
        if let Some(categories) = &column.categories {
            let n = categories.len().max(1) as f64;
            return Scale { lo: -0.5, hi: n - 0.5, log: false, categories: Some(categories.clone()), marks: None };
        }
        let (lo, hi) = column.range();
        if !lo.is_finite() {
            return Scale { lo: 0.0, hi: 1.0, log: false, categories: None, marks: None };
        }
        let log = lo > 0.0 && hi / lo >= 100.0;
        let (lo, hi) = if log { (lo.log10(), hi.log10()) } else { (lo, hi) };
        let span = if hi > lo {
            hi - lo
        } else if lo == 0.0 {
            2.0
        } else {
            lo.abs() * 0.1
        };
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - span / 2.0, hi + span / 2.0) };
        Scale { lo: lo - pad * span, hi: hi + pad * span, log, categories: None, marks: None }
    }

    /// Where `v` lies, from 0 (low end) to 1 (high end).
    pub fn fraction(&self, v: f64) -> f64 {
        let v = if self.log { v.log10() } else { v };
        (v - self.lo) / (self.hi - self.lo)
    }

    /// The ticks: `(fraction, label)`.
    pub fn ticks(&self) -> Vec<(f64, String)> {
        if let Some(categories) = &self.categories {
            return categories.iter().enumerate().map(|(i, c)| (self.fraction(i as f64), c.clone())).collect();
        }
        if let Some(marks) = &self.marks {
            return marks.iter().map(|&v| (self.fraction(v), format_number(v))).collect();
        }
        if self.log {
            let (first, last) = (self.lo.ceil() as i32, self.hi.floor() as i32);
            return (first..=last)
                .map(|e| ((f64::from(e) - self.lo) / (self.hi - self.lo), format!("1e{e}")))
                .collect();
        }
        let raw = (self.hi - self.lo) / 5.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(raw);
        let mut ticks = Vec::new();
        let mut t = (self.lo / step).ceil() * step;
        while t <= self.hi + step * 1e-9 && ticks.len() < 20 {
            let clean = if t.abs() < step * 1e-9 { 0.0 } else { t };
            ticks.push((self.fraction(clean), format_number(clean)));
            t += step;
        }
        ticks
    }
}

/// Viridis at `t` in [0, 1] (matplotlib's anchors, linearly interpolated).
pub(crate) fn viridis(t: f64) -> Rgb {
    const ANCHORS: [Rgb; 9] = [
        [68, 1, 84],
        [71, 44, 122],
        [59, 81, 139],
        [44, 113, 142],
        [33, 144, 141],
        [39, 173, 129],
        [92, 200, 99],
        [170, 220, 50],
        [253, 231, 37],
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (ANCHORS.len() - 1) as f64;
    let i = (x.floor() as usize).min(ANCHORS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    [0, 1, 2].map(|c| (f64::from(a[c]) + f * (f64::from(b[c]) - f64::from(a[c]))).round() as u8)
}

/// A colour scale over a result column: Viridis, reversed when smaller is better (as FE's
/// heatmap), so the best values are always yellow.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColorScale {
    pub lo: f64,
    pub hi: f64,
    pub reversed: bool,
}

impl ColorScale {
    pub fn of(column: &Column, reversed: bool) -> ColorScale {
        let (lo, hi) = column.range();
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        ColorScale { lo, hi, reversed }
    }

    /// The position of `v` on the bar, 0 (bottom) to 1 (top).
    pub fn fraction(&self, v: f64) -> f64 {
        if self.hi > self.lo {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            0.5
        }
    }

    /// The colour of `v` (grey for NaN).
    pub fn color(&self, v: f64) -> Rgb {
        if !v.is_finite() {
            return [200, 200, 200];
        }
        let t = self.fraction(v);
        viridis(if self.reversed { 1.0 - t } else { t })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_and_ticks() {
        let col = |values: Vec<f64>| Column { name: "x".into(), values, categories: None };
        let linear = Scale::of(&col(vec![0.0, 10.0]), 0.0);
        assert_eq!(linear.fraction(5.0), 0.5);
        let labels: Vec<String> = linear.ticks().into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["0", "2", "4", "6", "8", "10"]);
        let log = Scale::of(&col(vec![1e-4, 1e-1]), 0.0);
        assert!((log.fraction(1e-2) - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(log.ticks().len(), 4);
        let cat = Scale::of(
            &Column { name: "o".into(), values: vec![0.0, 1.0], categories: Some(vec!["b".into(), "a".into()]) },
            0.0,
        );
        assert_eq!(cat.ticks()[1], (0.75, "a".to_string()));
        assert_eq!(viridis(0.0), [68, 1, 84]);
        assert_eq!(viridis(1.0), [253, 231, 37]);
    }
}
