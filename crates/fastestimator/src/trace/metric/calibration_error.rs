//! `CalibrationError`: how far predicted probabilities are from observed frequencies (the
//! squared-error estimator of Kumar et al., 2019, as the `uncertainty-calibration` library
//! computes it).

use rand::Rng;

use crate::distributed::ProcessGroup;
use crate::error::{FeError, Result};
use crate::op::OpIo;
use crate::summary::{LogValue, System};
use crate::util::{option_strings, seeded_rng};

use super::input::true_labels;
use super::metric_trace::MetricTrace;
use super::metric_trait::{Metric, MetricBatch};

/// Number of bins of the continuous (scaling) estimator, as the library uses.
const NUM_BINS: usize = 15;
/// Number of bootstrap resamples, as the library uses for uncertainties.
const BOOTSTRAP_SAMPLES: usize = 100;

/// Which calibration error [`CalibrationError`] measures.
///
/// Parses from FE's strings `"marginal"` and `"top-label"`.
///
/// ```
/// use fastestimator::trace::metric::{CalibrationError, CalibrationMethod};
/// let ce = CalibrationError::new("y", "y_pred").method("top-label".parse()?);
/// assert_eq!(CalibrationMethod::TopLabel.to_string(), "top-label");
/// assert!("ece".parse::<CalibrationMethod>().is_err());
/// # let _ = ce;
/// # Ok::<(), fastestimator::FeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CalibrationMethod {
    /// The error of every class's probability, averaged over classes (`"marginal"`, default).
    #[default]
    Marginal,
    /// The error of the most confident prediction only (`"top-label"`).
    TopLabel,
}

option_strings!(CalibrationMethod, "CalibrationError", "method", {
    CalibrationMethod::Marginal => "marginal",
    CalibrationMethod::TopLabel => "top-label",
});

/// The L2 calibration error of the probabilities `pred_key` against the labels `true_key` over an
/// epoch (FE's `CalibrationError`), following Kumar et al., "Verified Uncertainty Calibration"
/// (2019) as the `uncertainty-calibration` library (`calibration.get_calibration_error`) does.
///
/// Labels may be class indices or one-hot rows. Predictions are `[batch, classes]` probabilities,
/// or a single column (or flat vector) of probabilities of class 1 for a binary task. When the
/// predictions take few distinct values (fewer than a quarter of the samples, per class) they are
/// binned by value, else into 15 bins of equal counts; the squared error is debiased. The result
/// is rounded to 4 decimals and written as `"calibration_error"`.
///
/// With a `confidence_interval` the value is written as `(low, mid, high)`
/// ([`LogValue::ValWithError`]): `mid` is the estimate above; `low` and `high` come from 100
/// bootstrap resamples exactly as FE computes them, passing `alpha = 1 − ci/100` to the library's
/// `bootstrap_uncertainty`, which reads `alpha` as a percentage. The band is therefore the
/// `alpha/2`-percent and `(100 − alpha/2)`-percent bootstrap quantiles (0.025% and 99.975% for
/// ci = 95), wider than the nominal interval, as FE reports it. Resampling is seeded (see
/// [`CalibrationError::seed`]).
///
/// This follows the released library (`uncertainty-calibration` 0.1.4, which FE installs).
///
/// ```
/// use fastestimator::trace::metric::CalibrationError;
/// use fastestimator::trace::metric::CalibrationMethod;
/// let ce = CalibrationError::new("y", "y_pred").method(CalibrationMethod::TopLabel).confidence_interval(95.0);
/// // an invalid interval is reported when the trace is bound (or validated)
/// assert!(CalibrationError::new("y", "y_pred").confidence_interval(100.0).validate().is_err());
/// # let _ = ce;
/// ```
pub type CalibrationError = MetricTrace<CalibrationErrorMetric>;

/// The metric behind [`CalibrationError`].
#[derive(Debug, Clone)]
pub struct CalibrationErrorMetric {
    method: CalibrationMethod,
    /// The confidence interval in percent, as given.
    ci: Option<f64>,
    seed: Option<u64>,
    epoch: usize,
}

/// The epoch state of [`CalibrationError`]: the labels and probability rows.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    labels: Vec<i64>,
    /// Row-major `[n, width]` probabilities.
    probs: Vec<f64>,
    width: usize,
}

impl CalibrationError {
    /// The marginal calibration error written as `"calibration_error"`, without an interval.
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        MetricTrace::from_metric(
            CalibrationErrorMetric { method: CalibrationMethod::Marginal, ci: None, seed: None, epoch: 0 },
            OpIo::new([true_key, pred_key], "calibration_error").with_default_mode("eval,test"),
        )
    }

    /// [`CalibrationMethod::Marginal`] (default) or [`CalibrationMethod::TopLabel`].
    pub fn method(self, method: CalibrationMethod) -> Self {
        self.with_metric(|m| m.method = method)
    }

    /// Also report a bootstrap confidence interval; `ci` is a percentage in (0, 100).
    pub fn confidence_interval(self, ci: f64) -> Self {
        self.with_metric(|m| m.ci = Some(ci))
    }

    /// Seed of the bootstrap resampling (default: the seed of `fe::enable_deterministic`, else 0),
    /// mixed with the epoch number.
    pub fn seed(self, seed: u64) -> Self {
        self.with_metric(|m| m.seed = Some(seed))
    }
}

impl Metric for CalibrationErrorMetric {
    /// (labels, probabilities, width)
    type Batch = (Vec<i64>, Vec<f64>, usize);
    type State = Samples;

    fn name(&self) -> &str {
        "CalibrationError"
    }

    fn validate(&self, _io: &OpIo) -> Result<()> {
        match self.ci {
            Some(ci) if !(ci > 0.0 && ci < 100.0) => Err(FeError::param(
                "CalibrationError",
                "confidence_interval",
                format!("must be between 0 and 100, but got {ci}"),
            )),
            _ => Ok(()),
        }
    }

    fn begin_epoch(&mut self, system: &System) {
        self.epoch = system.epoch_idx;
    }

    fn read(&self, batch: &MetricBatch<'_>) -> Result<Self::Batch> {
        let labels = true_labels(&batch.array(0)?);
        let pred = batch.array(1)?;
        if pred.ndim() > 2 {
            return Err(FeError::UnexpectedShape {
                op: "CalibrationError".into(),
                key: batch.key(1)?.to_string(),
                expected: "[batch] or [batch, classes]".into(),
                got: pred.shape().iter().map(|&d| d as i64).collect(),
            });
        }
        let rows = pred.shape().first().copied().unwrap_or(0);
        if rows != labels.len() {
            return Err(FeError::LengthMismatch {
                context: "CalibrationError".into(),
                what: format!("prediction rows in {:?} (one per label in {:?})", batch.key(1)?, batch.key(0)?),
                expected: labels.len(),
                got: rows,
            });
        }
        let width = if pred.ndim() <= 1 { 1 } else { pred.len() / rows.max(1) };
        Ok((labels, pred.iter().copied().collect(), width))
    }

    fn reduce(&self, s: &mut Samples, group: &ProcessGroup) -> Result<()> {
        let mut width = [s.width as f64];
        group.max_f64(&mut width)?;
        let labels: Vec<f64> = s.labels.iter().map(|&l| l as f64).collect();
        s.labels = group.gather_f64(&labels)?.into_iter().map(|l| l as i64).collect();
        s.probs = group.gather_f64(&s.probs)?;
        s.width = width[0] as usize;
        Ok(())
    }

    fn update(&self, s: &mut Samples, (labels, values, width): &Self::Batch) -> Result<()> {
        if !s.labels.is_empty() && s.width != *width {
            return Err(FeError::LengthMismatch {
                context: "CalibrationError".into(),
                what: "prediction columns in a batch (as in the epoch's earlier batches)".into(),
                expected: s.width,
                got: *width,
            });
        }
        s.width = *width;
        s.labels.extend_from_slice(labels);
        s.probs.extend_from_slice(values);
        Ok(())
    }

    fn result(&self, samples: &Samples, io: &OpIo) -> Result<Vec<(String, LogValue)>> {
        let probs = Probs::new(samples, &io.inputs[0], &io.inputs[1])?;
        let mid = round4(calibration_error(&probs, &samples.labels, self.method, true));
        let value = match self.ci {
            None => LogValue::F64(mid),
            Some(ci) => {
                // `1 − ci/100`, as FE hands it to the library.
                let alpha = 1.0 - ci / 100.0;
                let seed = self.seed.or_else(crate::runtime::deterministic_seed).unwrap_or(0);
                let mut rng = seeded_rng(seed, &[self.epoch as u64, samples.labels.len() as u64]);
                let (low, _, high) = bootstrap_uncertainty(&probs, &samples.labels, self.method, alpha, &mut rng);
                LogValue::ValWithError(round4(low), mid, round4(high))
            }
        };
        Ok(vec![(io.outputs[0].clone(), value)])
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round_ties_even() / 1e4
}

/// Probabilities as the library sees them: 1-D for a binary task, else `[n, k]`.
#[derive(Debug, Clone)]
enum Probs {
    Binary(Vec<f64>),
    Multi { k: usize, rows: Vec<f64> },
}

impl Probs {
    /// The epoch's probabilities, checked with its labels (`true_key`, `pred_key` name them).
    fn new(samples: &Samples, true_key: &str, pred_key: &str) -> Result<Self> {
        let invalid = |key: &str, reason: String| FeError::InvalidValue {
            consumer: "CalibrationError".into(),
            key: key.to_string(),
            reason,
        };
        if samples.labels.is_empty() {
            return Err(invalid(true_key, "no samples were seen in this epoch".into()));
        }
        if samples.probs.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(invalid(pred_key, "predictions must be probabilities in [0, 1]".into()));
        }
        let labels = &samples.labels;
        if samples.width == 1 {
            if let Some(bad) = labels.iter().find(|&&l| l != 0 && l != 1) {
                return Err(invalid(
                    true_key,
                    format!("with a single prediction column each label should be 0 or 1, got {bad}"),
                ));
            }
        } else if let Some(bad) = labels.iter().find(|&&l| l < 0 || l >= samples.width as i64) {
            return Err(invalid(
                true_key,
                format!("labels should be between 0 and {}, got {bad}", samples.width.saturating_sub(1)),
            ));
        }
        Ok(if samples.width == 1 {
            Probs::Binary(samples.probs.clone())
        } else {
            Probs::Multi { k: samples.width, rows: samples.probs.clone() }
        })
    }

    fn len(&self) -> usize {
        match self {
            Probs::Binary(p) => p.len(),
            Probs::Multi { k, rows } => rows.len() / k,
        }
    }

    fn column(&self, c: usize) -> Vec<f64> {
        match self {
            Probs::Binary(p) => p.clone(),
            Probs::Multi { k, rows } => rows.iter().skip(c).step_by(*k).copied().collect(),
        }
    }

    fn width(&self) -> usize {
        match self {
            Probs::Binary(_) => 1,
            Probs::Multi { k, .. } => *k,
        }
    }

    /// The rows at `indices` (a bootstrap resample).
    fn resample(&self, indices: &[usize]) -> Probs {
        match self {
            Probs::Binary(p) => Probs::Binary(indices.iter().map(|&i| p[i]).collect()),
            Probs::Multi { k, rows } => Probs::Multi {
                k: *k,
                rows: indices.iter().flat_map(|&i| rows[i * k..(i + 1) * k].iter().copied()).collect(),
            },
        }
    }
}

/// The library's `is_discrete`: every column has fewer distinct values than a quarter of the
/// samples.
fn is_discrete(probs: &Probs) -> bool {
    let n = probs.len() as f64;
    (0..probs.width()).all(|c| {
        let mut v = probs.column(c);
        v.sort_by(f64::total_cmp);
        v.dedup();
        (v.len() as f64) < n / 4.0
    })
}

/// The library's `get_calibration_error(probs, labels, p=2, debias, mode)`, for labels checked
/// by [`Probs::new`] (a resample keeps them valid).
fn calibration_error(probs: &Probs, labels: &[i64], method: CalibrationMethod, debias: bool) -> f64 {
    let discrete = is_discrete(probs);
    let ce_1d = |p: &[f64], l: &[f64]| {
        let bins = if discrete { discrete_bins(p) } else { equal_bins(p, NUM_BINS) };
        let binned = bin(p, l, &bins);
        if debias {
            unbiased_square_ce(&binned).max(0.0).sqrt()
        } else {
            plugin_ce(&binned)
        }
    };
    match probs {
        Probs::Binary(p) => {
            let l: Vec<f64> = labels.iter().map(|&l| l as f64).collect();
            ce_1d(p, &l)
        }
        Probs::Multi { k, rows } => match method {
            CalibrationMethod::Marginal => {
                let total: f64 = (0..*k)
                    .map(|c| {
                        let l: Vec<f64> = labels.iter().map(|&y| f64::from(u8::from(y == c as i64))).collect();
                        ce_1d(&probs.column(c), &l).powi(2)
                    })
                    .sum();
                (total / *k as f64).sqrt()
            }
            CalibrationMethod::TopLabel => {
                let (mut conf, mut correct) = (Vec::new(), Vec::new());
                for (row, &y) in rows.chunks(*k).zip(labels) {
                    let mut best = 0;
                    for (i, &v) in row.iter().enumerate() {
                        if v > row[best] {
                            best = i;
                        }
                    }
                    conf.push(row[best]);
                    correct.push(f64::from(u8::from(best as i64 == y)));
                }
                ce_1d(&conf, &correct)
            }
        },
    }
}

/// The library's `get_equal_bins`: upper bin edges splitting the sorted values into `num_bins`
/// parts (at most one per value) of nearly equal counts as `np.array_split` does (the first
/// `n % parts` parts one larger), ending with 1.0.
fn equal_bins(probs: &[f64], num_bins: usize) -> Vec<f64> {
    let mut sorted = probs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let parts = num_bins.min(sorted.len()).max(1);
    let (size, extra) = (sorted.len() / parts, sorted.len() % parts);
    let mut chunks: Vec<&[f64]> = Vec::with_capacity(parts);
    let mut start = 0;
    for i in 0..parts {
        let len = size + usize::from(i < extra);
        chunks.push(&sorted[start..start + len]);
        start += len;
    }
    let mut bins: Vec<f64> = chunks.windows(2).map(|w| (w[0][w[0].len() - 1] + w[1][0]) / 2.0).collect();
    bins.push(1.0);
    bins.sort_by(f64::total_cmp);
    bins.dedup();
    bins
}

/// The library's `get_discrete_bins`: midpoints between consecutive distinct values, then 1.0.
fn discrete_bins(probs: &[f64]) -> Vec<f64> {
    let mut v = probs.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    let mut bins: Vec<f64> = v.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    bins.push(1.0);
    bins
}

/// Per bin, the (probability, label) pairs whose probability is at most its upper edge and above
/// the previous one (numpy `searchsorted`, side left).
fn bin(probs: &[f64], labels: &[f64], bins: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut out = vec![Vec::new(); bins.len()];
    for (&p, &l) in probs.iter().zip(labels) {
        let idx = bins.partition_point(|&b| b < p).min(bins.len() - 1);
        out[idx].push((p, l));
    }
    out
}

fn means(data: &[(f64, f64)]) -> (f64, f64) {
    let n = data.len() as f64;
    (data.iter().map(|d| d.0).sum::<f64>() / n, data.iter().map(|d| d.1).sum::<f64>() / n)
}

/// The library's `plugin_ce` with power 2.
fn plugin_ce(binned: &[Vec<(f64, f64)>]) -> f64 {
    let total: usize = binned.iter().map(Vec::len).sum();
    let sum: f64 = binned
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| {
            let (mp, ml) = means(b);
            b.len() as f64 / total as f64 * (mp - ml).powi(2)
        })
        .sum();
    sum.sqrt()
}

/// The library's `unbiased_square_ce`: the squared error minus each bin's label variance.
fn unbiased_square_ce(binned: &[Vec<(f64, f64)>]) -> f64 {
    let total: usize = binned.iter().map(Vec::len).sum();
    binned
        .iter()
        .map(|b| {
            if b.len() < 2 {
                return 0.0;
            }
            let (mp, ml) = means(b);
            let err = (mp - ml).powi(2) - ml * (1.0 - ml) / (b.len() as f64 - 1.0);
            b.len() as f64 / total as f64 * err
        })
        .sum()
}

/// numpy's `percentile` with linear interpolation, on sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The library's `get_calibration_error_uncertainties` → `bootstrap_uncertainty` with the
/// plug-in (not debiased) estimator and 100 resamples.
fn bootstrap_uncertainty(
    probs: &Probs,
    labels: &[i64],
    method: CalibrationMethod,
    alpha: f64,
    rng: &mut impl Rng,
) -> (f64, f64, f64) {
    let plugin = calibration_error(probs, labels, method, false);
    let n = labels.len();
    let mut estimates = Vec::with_capacity(BOOTSTRAP_SAMPLES);
    for _ in 0..BOOTSTRAP_SAMPLES {
        let idx: Vec<usize> = (0..n).map(|_| rng.gen_range(0..n)).collect();
        let l: Vec<i64> = idx.iter().map(|&i| labels[i]).collect();
        estimates.push(calibration_error(&probs.resample(&idx), &l, method, false));
    }
    estimates.sort_by(f64::total_cmp);
    let base = 2.0 * plugin;
    (
        base - percentile(&estimates, 100.0 - alpha / 2.0),
        base - percentile(&estimates, 50.0),
        base - percentile(&estimates, alpha / 2.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(labels: &[i64], probs: &[f64], width: usize) -> Samples {
        Samples { labels: labels.to_vec(), probs: probs.to_vec(), width }
    }

    #[test]
    fn bins_follow_the_library() {
        // 30 values in 15 equal-count bins of 2: edges are midpoints between pairs.
        let p: Vec<f64> = (0..30).map(|i| i as f64 / 30.0).collect();
        let bins = equal_bins(&p, 15);
        assert_eq!(bins.len(), 15);
        assert!((bins[0] - 1.5 / 30.0).abs() < 1e-15);
        assert_eq!(bins[14], 1.0);
        // 40 values: np.array_split gives 10 parts of 3, then 5 of 2
        let p: Vec<f64> = (0..40).map(|i| i as f64 / 40.0).collect();
        let bins = equal_bins(&p, 15);
        assert_eq!(bins.len(), 15);
        assert!((bins[9] - 29.5 / 40.0).abs() < 1e-15 && (bins[10] - 31.5 / 40.0).abs() < 1e-15);
        // fewer values than bins: one bin per value
        assert_eq!(equal_bins(&[0.1, 0.3], 15), vec![0.2, 1.0]);
        assert_eq!(discrete_bins(&[0.2, 0.8, 0.2, 1.0]), vec![0.5, 0.9, 1.0]);
        let b = bin(&[0.2, 0.5, 0.6, 1.0], &[0.0, 1.0, 1.0, 1.0], &[0.5, 0.9, 1.0]);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 1, 1]);
    }

    #[test]
    fn discrete_binary_error_by_hand() {
        // 12 samples, 2 distinct values (2 < 12/4): binned by value.
        // probs 0.2 (6 samples, 3 positive) and 0.8 (6 samples, 3 positive).
        let probs = [0.2; 6].iter().chain([0.8; 6].iter()).copied().collect::<Vec<_>>();
        let labels = [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1];
        let s = samples(&labels, &probs, 1);
        let p = Probs::new(&s, "y", "p").unwrap();
        assert!(is_discrete(&p));
        // plug-in: each bin has |mean p − mean label| = 0.3 -> sqrt(0.09) = 0.3
        let plugin = calibration_error(&p, &labels, CalibrationMethod::Marginal, false);
        assert!((plugin - 0.3).abs() < 1e-12);
        // debiased: 0.09 − 0.5·0.5/5 = 0.04 per bin -> sqrt(0.04) = 0.2
        let debiased = calibration_error(&p, &labels, CalibrationMethod::Marginal, true);
        assert!((debiased - 0.2).abs() < 1e-12);
    }

    #[test]
    fn top_label_and_marginal_agree_for_two_classes_when_symmetric() {
        // Two-class rows [1−q, q]: marginal averages two identical column errors.
        let q = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8];
        let rows: Vec<f64> = q.iter().flat_map(|&x| [1.0 - x, x]).collect();
        let labels = [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1];
        let p = Probs::new(&samples(&labels, &rows, 2), "y", "p").unwrap();
        let marginal = calibration_error(&p, &labels, CalibrationMethod::Marginal, true);
        assert!((marginal - 0.2).abs() < 1e-12);
        let top = calibration_error(&p, &labels, CalibrationMethod::TopLabel, false);
        assert!((top - 0.3).abs() < 1e-12);
    }

    #[test]
    fn percentile_is_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 50.0), 2.5);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert!((percentile(&v, 99.975) - 3.99925).abs() < 1e-12);
    }
}
