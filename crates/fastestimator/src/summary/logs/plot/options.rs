//! [`LogPlotOptions`]: what [`plot_logs`](super::plot_logs) draws (FE's keyword arguments of
//! `visualize_logs` / `parse_log_files`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::error::{FeError, Result};

/// Options of [`plot_logs`](super::plot_logs) and [`visualize_logs`](super::visualize_logs),
/// set builder-style. The defaults are FE's: no smoothing, raw metric names, every metric but
/// `epoch`, no grouping.
///
/// ```
/// use fastestimator::summary::LogPlotOptions;
/// let options = LogPlotOptions::new()
///     .smooth_factor(1.0)
///     .pretty_names(true)
///     .ignore_metrics(["steps/sec"])
///     .group_by("_n");
/// assert_eq!(options.smooth(), 1.0);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogPlotOptions {
    pub(crate) smooth_factor: f64,
    pub(crate) pretty_names: bool,
    pub(crate) ignore_metrics: BTreeSet<String>,
    pub(crate) include_metrics: BTreeSet<String>,
    pub(crate) group_by: Option<String>,
    pub(crate) font: Option<PathBuf>,
}

impl LogPlotOptions {
    /// FE's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The σ (in points, not steps) of the Gaussian smoothing applied to every line and band
    /// (FE's `smooth_factor`, scipy's `gaussian_filter1d`); 0 draws the values as logged.
    /// A negative or non-finite value is rejected by [`plot_logs`](super::plot_logs).
    pub fn smooth_factor(mut self, sigma: f64) -> Self {
        self.smooth_factor = sigma;
        self
    }

    /// Whether chart titles use FE's `prettify_metric_name` (`max_accuracy` → `Max Accuracy`).
    pub fn pretty_names(mut self, pretty: bool) -> Self {
        self.pretty_names = pretty;
        self
    }

    /// Metrics left out (`epoch` always is). A name matches a key itself or, for a per-dataset
    /// key `acc|ds1`, the metric before the `|`.
    pub fn ignore_metrics<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.ignore_metrics.extend(names.into_iter().map(Into::into));
        self
    }

    /// Only these metrics (all when empty). A name matches a whole key, so `acc` keeps `acc`
    /// and `acc|ds1` must be named to keep the per-dataset key, as in FE.
    pub fn include_metrics<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.include_metrics.extend(names.into_iter().map(Into::into));
        self
    }

    /// Average repeated runs into one line with a ±std band: runs whose names give the same
    /// match of this regular expression (its first capture group, if any) form one experiment;
    /// `"_n"` groups `name_1`, `name_2`, ... as `name` (see
    /// [`group_summaries`](crate::summary::group_summaries)).
    pub fn group_by(mut self, pattern: impl Into<String>) -> Self {
        self.group_by = Some(pattern.into());
        self
    }

    /// The TrueType font for text in the PNG and SVG (default: the `FE_PLOT_FONT` environment
    /// variable, else DejaVu Sans from the system's usual font folders).
    pub fn font(mut self, path: impl Into<PathBuf>) -> Self {
        self.font = Some(path.into());
        self
    }

    /// The smoothing σ set.
    pub fn smooth(&self) -> f64 {
        self.smooth_factor
    }

    /// Check the values set.
    pub(crate) fn validate(&self) -> Result<()> {
        if !self.smooth_factor.is_finite() || self.smooth_factor < 0.0 {
            return Err(FeError::param(
                "plot_logs",
                "smooth_factor",
                format!("must be a finite number ≥ 0, got {}", self.smooth_factor),
            ));
        }
        Ok(())
    }

    /// Whether a metric key is drawn (FE: `epoch` and the ignored names are not; with an
    /// include list, only the keys it names are).
    pub(crate) fn keeps(&self, key: &str, base: &str) -> bool {
        if key == "epoch" || base == "epoch" || self.ignore_metrics.contains(key) || self.ignore_metrics.contains(base)
        {
            return false;
        }
        self.include_metrics.is_empty() || self.include_metrics.contains(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_and_include_follow_fe() {
        let o = LogPlotOptions::new().ignore_metrics(["ce"]);
        assert!(!o.keeps("epoch", "epoch"));
        assert!(!o.keeps("ce", "ce") && !o.keeps("ce|ds1", "ce"));
        assert!(o.keeps("acc", "acc"));
        let o = LogPlotOptions::new().include_metrics(["acc"]);
        assert!(o.keeps("acc", "acc") && !o.keeps("acc|ds1", "acc") && !o.keeps("ce", "ce"));
        assert!(LogPlotOptions::new().smooth_factor(-1.0).validate().is_err());
        assert!(LogPlotOptions::new().smooth_factor(f64::NAN).validate().is_err());
        assert!(LogPlotOptions::new().smooth_factor(2.5).validate().is_ok());
    }
}
