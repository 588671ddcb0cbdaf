//! `AUCScore`: the area under the ROC curve over an epoch (scikit-learn's `roc_auc_score`).

use ndarray::Array1;

use crate::distributed::ProcessGroup;
use crate::error::{FeError, Result};
use crate::op::OpIo;
use crate::summary::LogValue;
use crate::util::option_strings;

use super::kwarg::Deferred;
use super::metric_trace::MetricTrace;
use super::metric_trait::{Metric, MetricBatch};

/// How per-class (or per-label) AUCs are combined (scikit-learn's `average`); FE's `None` (one
/// AUC per class) is `Option::None` where an `Option<Average>` is taken.
///
/// Parses from FE's strings `"micro"`, `"macro"`, `"weighted"` and `"samples"`.
///
/// ```
/// use fastestimator::trace::metric::{AUCScore, Average};
/// let auc = AUCScore::new("y", "y_pred").average(Some("weighted".parse()?));
/// assert_eq!("samples".parse::<Average>()?, Average::Samples);
/// assert_eq!(Average::Micro.to_string(), "micro");
/// # let _ = auc;
/// # Ok::<(), fastestimator::FeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Average {
    /// One AUC over all (label, score) pairs of every class (`"micro"`).
    Micro,
    /// The unweighted mean of the per-class AUCs (`"macro"`, the default).
    #[default]
    Macro,
    /// The mean of the per-class AUCs weighted by each class's support (`"weighted"`).
    Weighted,
    /// The mean of the per-sample AUCs, for multi-label targets (`"samples"`).
    Samples,
}

option_strings!(Average, "AUCScore", "average", {
    Average::Micro => "micro",
    Average::Macro => "macro",
    Average::Weighted => "weighted",
    Average::Samples => "samples",
});

/// How a multi-class problem is reduced to binary ones (scikit-learn's `multi_class`).
///
/// Parses from FE's strings `"raise"`, `"ovr"` and `"ovo"`.
///
/// ```
/// use fastestimator::trace::metric::{AUCScore, MultiClass};
/// let auc = AUCScore::new("y", "y_pred").multi_class("ovr".parse()?);
/// assert_eq!(MultiClass::Ovo.to_string(), "ovo");
/// assert!("ova".parse::<MultiClass>().is_err());
/// # let _ = auc;
/// # Ok::<(), fastestimator::FeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MultiClass {
    /// A multi-class target is an error (`"raise"`, the default, as in scikit-learn).
    #[default]
    Raise,
    /// One class against the rest (`"ovr"`).
    Ovr,
    /// Every pair of classes (`"ovo"`).
    Ovo,
}

option_strings!(MultiClass, "AUCScore", "multi_class", {
    MultiClass::Raise => "raise",
    MultiClass::Ovr => "ovr",
    MultiClass::Ovo => "ovo",
});

/// Area under the ROC curve of the scores `pred_key` against `true_key` over an epoch (FE's
/// `AUCScore`), with the semantics of scikit-learn's `roc_auc_score`.
///
/// - **Binary**: labels with two values (as `[batch]` or `[batch, 1]`) and one score per sample;
///   the larger label is the positive class. `max_fpr` gives the standardized partial AUC.
/// - **Multi-class**: integer labels with more than two values and `[batch, classes]`
///   probabilities (rows summing to 1); `multi_class` must be [`MultiClass::Ovr`] or
///   [`MultiClass::Ovo`] (the default [`MultiClass::Raise`] is an error at the epoch's end, as in
///   scikit-learn); `average` is macro or weighted (micro and `None` with ovr too).
/// - **Multi-label**: `[batch, labels]` 0/1 indicators (one-hot labels land here) with one score
///   column per label; every `average` is available.
///
/// Runs in eval and test by default and writes `"auc"` (and `"auc|ds_id"` per dataset); a
/// scalar, or an array with `average(None)`. A class with no positive or no negative sample
/// makes its AUC undefined: NaN, as current scikit-learn gives (with a warning). `sample_weight`
/// is not supported. Invalid options are reported as [`FeError::InvalidParameter`] when the trace
/// is bound (or [validated](MetricTrace::validate)).
///
/// ```
/// use fastestimator::trace::metric::{AUCScore, Average, MultiClass};
/// let auc = AUCScore::new("y", "y_pred").multi_class(MultiClass::Ovo).average(Some(Average::Weighted));
/// // FE's strings parse
/// let same = AUCScore::new("y", "y_pred").multi_class("ovo".parse()?).average(Some("weighted".parse()?));
/// assert!(AUCScore::new("y", "y_pred").max_fpr(0.0).validate().is_err());
/// # let _ = (auc, same);
/// # Ok::<(), fastestimator::FeError>(())
/// ```
pub type AUCScore = MetricTrace<AUCScoreMetric>;

/// The metric behind [`AUCScore`].
#[derive(Debug, Clone)]
pub struct AUCScoreMetric {
    average: Option<Average>,
    multi_class: MultiClass,
    max_fpr: Option<f64>,
    labels: Option<Vec<i64>>,
}

/// The epoch state of [`AUCScore`]: the labels and scores, row-major with their widths.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    y_true: Vec<f64>,
    true_width: usize,
    y_score: Vec<f64>,
    score_width: usize,
}

impl AUCScore {
    /// Macro-averaged AUC written as `"auc"`, raising for multi-class targets.
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        MetricTrace::from_metric(
            AUCScoreMetric {
                average: Some(Average::Macro),
                multi_class: MultiClass::Raise,
                max_fpr: None,
                labels: None,
            },
            OpIo::new([true_key, pred_key], "auc").with_default_mode("eval,test"),
        )
    }

    /// How class AUCs are combined (default [`Average::Macro`]); `None` for one AUC per class.
    pub fn average(self, average: Option<Average>) -> Self {
        self.with_metric(|m| m.average = average)
    }

    /// How multi-class targets are handled (default [`MultiClass::Raise`]).
    pub fn multi_class(self, multi_class: MultiClass) -> Self {
        self.with_metric(|m| m.multi_class = multi_class)
    }

    /// Report the standardized partial AUC over false-positive rates in `[0, max_fpr]`
    /// (McClish correction), for binary and multi-label targets; `0 < max_fpr ≤ 1`.
    pub fn max_fpr(self, max_fpr: f64) -> Self {
        self.with_metric(|m| m.max_fpr = Some(max_fpr))
    }

    /// The classes of the score columns, in order, for multi-class targets (default: the labels
    /// seen in the epoch); they must be unique and sorted. Lets a class be absent from an epoch's
    /// labels.
    pub fn labels(self, labels: Vec<i64>) -> Self {
        self.with_metric(|m| m.labels = Some(labels))
    }
}

impl Metric for AUCScoreMetric {
    /// (labels, their width, scores, their width)
    type Batch = (Vec<f64>, usize, Vec<f64>, usize);
    type State = Scores;

    fn name(&self) -> &str {
        "AUCScore"
    }

    fn validate(&self, _io: &OpIo) -> Result<()> {
        let mut invalid = Deferred::default();
        if let Some(max_fpr) = self.max_fpr {
            if !(max_fpr > 0.0 && max_fpr <= 1.0) {
                invalid.record(FeError::param(
                    "AUCScore",
                    "max_fpr",
                    format!("expected a value in (0, 1], got {max_fpr}"),
                ));
            }
        }
        if let Some(labels) = &self.labels {
            if labels.windows(2).any(|w| w[0] >= w[1]) {
                invalid.record(FeError::param(
                    "AUCScore",
                    "labels",
                    format!("must be unique and ordered, got {labels:?}"),
                ));
            }
        }
        invalid.result()
    }

    fn read(&self, batch: &MetricBatch<'_>) -> Result<Self::Batch> {
        let (y_true, y_score) = (batch.array(0)?, batch.array(1)?);
        for (i, a) in [(0, &y_true), (1, &y_score)] {
            if a.ndim() > 2 {
                return Err(FeError::UnexpectedShape {
                    op: "AUCScore".into(),
                    key: batch.key(i)?.to_string(),
                    expected: "[batch] or [batch, columns]".into(),
                    got: a.shape().iter().map(|&d| d as i64).collect(),
                });
            }
        }
        let rows = |a: &ndarray::ArrayD<f64>| a.shape().first().copied().unwrap_or(1);
        let width = |a: &ndarray::ArrayD<f64>| if a.ndim() <= 1 { 1 } else { a.len() / rows(a).max(1) };
        if rows(&y_true) != rows(&y_score) {
            return Err(FeError::LengthMismatch {
                context: "AUCScore".into(),
                what: format!("score rows in {:?} (one per label row in {:?})", batch.key(1)?, batch.key(0)?),
                expected: rows(&y_true),
                got: rows(&y_score),
            });
        }
        Ok((y_true.iter().copied().collect(), width(&y_true), y_score.iter().copied().collect(), width(&y_score)))
    }

    fn reduce(&self, s: &mut Scores, group: &ProcessGroup) -> Result<()> {
        let mut widths = [s.true_width as f64, s.score_width as f64];
        group.max_f64(&mut widths)?;
        s.y_true = group.gather_f64(&s.y_true)?;
        s.y_score = group.gather_f64(&s.y_score)?;
        (s.true_width, s.score_width) = (widths[0] as usize, widths[1] as usize);
        Ok(())
    }

    fn update(&self, s: &mut Scores, (t, tw, p, sw): &Self::Batch) -> Result<()> {
        if !s.y_true.is_empty() {
            for (what, expected, got) in [("label", s.true_width, *tw), ("score", s.score_width, *sw)] {
                if expected != got {
                    return Err(FeError::LengthMismatch {
                        context: "AUCScore".into(),
                        what: format!("{what} columns in a batch (as in the epoch's earlier batches)"),
                        expected,
                        got,
                    });
                }
            }
        }
        s.true_width = *tw;
        s.score_width = *sw;
        s.y_true.extend_from_slice(t);
        s.y_score.extend_from_slice(p);
        Ok(())
    }

    fn result(&self, s: &Scores, io: &OpIo) -> Result<Vec<(String, LogValue)>> {
        let keys = Keys { true_key: &io.inputs[0], pred_key: &io.inputs[1] };
        let value = roc_auc_score(s, self.average, self.multi_class, self.max_fpr, self.labels.as_deref(), keys)?;
        Ok(vec![(io.outputs[0].clone(), value)])
    }
}

/// The keys of the labels and scores, for errors.
#[derive(Clone, Copy)]
struct Keys<'a> {
    true_key: &'a str,
    pred_key: &'a str,
}

impl Keys<'_> {
    fn invalid(&self, pred: bool, reason: impl Into<String>) -> FeError {
        let key = if pred { self.pred_key } else { self.true_key };
        FeError::InvalidValue { consumer: "AUCScore".into(), key: key.to_string(), reason: reason.into() }
    }

    fn count(&self, what: impl Into<String>, expected: usize, got: usize) -> FeError {
        FeError::LengthMismatch { context: "AUCScore".into(), what: what.into(), expected, got }
    }
}

fn column(values: &[f64], width: usize, c: usize) -> Vec<f64> {
    values.iter().skip(c).step_by(width).copied().collect()
}

fn sorted_unique(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// scikit-learn's `roc_auc_score` without sample weights.
fn roc_auc_score(
    s: &Scores,
    average: Option<Average>,
    multi_class: MultiClass,
    max_fpr: Option<f64>,
    labels: Option<&[i64]>,
    keys: Keys<'_>,
) -> Result<LogValue> {
    if s.y_true.is_empty() {
        return Err(keys.invalid(false, "no samples were seen in this epoch"));
    }
    if s.true_width > 1 {
        if s.y_true.iter().any(|&v| v != 0.0 && v != 1.0) {
            return Err(keys.invalid(false, "multi-column labels must be 0/1 indicators (multilabel-indicator)"));
        }
        if s.score_width != s.true_width {
            return Err(keys.count(
                format!("score columns in {:?} (one per label column in {:?})", keys.pred_key, keys.true_key),
                s.true_width,
                s.score_width,
            ));
        }
        let columns: Vec<(Vec<bool>, Vec<f64>)> = (0..s.true_width)
            .map(|c| {
                (
                    column(&s.y_true, s.true_width, c).iter().map(|&v| v == 1.0).collect(),
                    column(&s.y_score, s.score_width, c),
                )
            })
            .collect();
        return average_binary_score(&columns, &s.y_true, &s.y_score, s.true_width, average, max_fpr);
    }
    if s.y_true.iter().any(|v| v.fract() != 0.0) {
        return Err(keys.invalid(false, "labels must be integers (continuous targets are not supported)"));
    }
    let classes = sorted_unique(&s.y_true);
    let multiclass = classes.len() > 2 || s.score_width > 2;
    if !multiclass {
        if s.score_width != 1 {
            return Err(keys.count(
                format!("score columns in {:?} for binary labels (one score per sample)", keys.pred_key),
                1,
                s.score_width,
            ));
        }
        let positive = classes[classes.len() - 1];
        let y: Vec<bool> = s.y_true.iter().map(|&v| v == positive).collect();
        return Ok(LogValue::F64(binary_roc_auc(&y, &s.y_score, max_fpr)?));
    }
    if matches!(max_fpr, Some(m) if m != 1.0) {
        return Err(FeError::param(
            "AUCScore",
            "max_fpr",
            format!(
                "partial AUC computation is not available in the multi-class setting; max_fpr must be None, got {}",
                max_fpr.unwrap_or(1.0)
            ),
        ));
    }
    let ovo = match multi_class {
        MultiClass::Raise => {
            return Err(FeError::param(
                "AUCScore",
                "multi_class",
                "multi_class must be in ('ovo', 'ovr') for a multi-class target",
            ))
        }
        MultiClass::Ovo => true,
        MultiClass::Ovr => false,
    };
    let k = s.score_width;
    let n = s.y_true.len();
    let not_probability = |row: &[f64]| {
        let sum: f64 = row.iter().sum();
        (1.0 - sum).abs() > 1e-8 + 1e-5 * sum.abs()
    };
    if s.y_score.chunks(k).any(not_probability) {
        return Err(keys.invalid(
            true,
            "target scores need to be probabilities for multiclass roc_auc, i.e. they should sum up to 1.0 over classes",
        ));
    }
    match (average, ovo) {
        (Some(Average::Macro | Average::Weighted), _) | (Some(Average::Micro) | None, false) => {}
        (None, true) => {
            return Err(FeError::param("AUCScore", "average", "average=None is not implemented for multi_class='ovo'"))
        }
        (Some(a), _) => {
            return Err(FeError::param(
                "AUCScore",
                "average",
                format!("average '{a}' is not available for a multi-class target"),
            ))
        }
    }
    let classes: Vec<f64> = match labels {
        Some(l) => {
            let given: Vec<f64> = l.iter().map(|&x| x as f64).collect();
            if sorted_unique(&given) != given {
                return Err(FeError::param("AUCScore", "labels", "parameter 'labels' must be unique and ordered"));
            }
            if given.len() != k {
                return Err(keys.count(
                    format!("score columns in {:?} (one per given label)", keys.pred_key),
                    given.len(),
                    k,
                ));
            }
            if s.y_true.iter().any(|v| !given.contains(v)) {
                return Err(keys.invalid(false, "'y_true' contains labels not in parameter 'labels'"));
            }
            given
        }
        None => {
            if classes.len() != k {
                return Err(keys.count(
                    format!("score columns in {:?} (one per class in {:?})", keys.pred_key, keys.true_key),
                    classes.len(),
                    k,
                ));
            }
            classes
        }
    };
    let encoded: Vec<usize> = s.y_true.iter().map(|v| classes.iter().position(|c| c == v).unwrap_or(0)).collect();
    if ovo {
        let present: Vec<usize> = {
            let mut p = encoded.clone();
            p.sort_unstable();
            p.dedup();
            p
        };
        let (mut scores, mut weights) = (Vec::new(), Vec::new());
        for (i, &a) in present.iter().enumerate() {
            for &b in &present[i + 1..] {
                let idx: Vec<usize> = (0..n).filter(|&r| encoded[r] == a || encoded[r] == b).collect();
                let a_true: Vec<bool> = idx.iter().map(|&r| encoded[r] == a).collect();
                let b_true: Vec<bool> = a_true.iter().map(|t| !t).collect();
                let a_score: Vec<f64> = idx.iter().map(|&r| s.y_score[r * k + a]).collect();
                let b_score: Vec<f64> = idx.iter().map(|&r| s.y_score[r * k + b]).collect();
                let pair = (binary_roc_auc(&a_true, &a_score, None)? + binary_roc_auc(&b_true, &b_score, None)?) / 2.0;
                scores.push(pair);
                weights.push(idx.len() as f64 / n as f64);
            }
        }
        let weights = (average == Some(Average::Weighted)).then_some(weights);
        return Ok(LogValue::F64(weighted_mean(&scores, weights.as_deref())));
    }
    let indicators: Vec<f64> = encoded.iter().flat_map(|&e| (0..k).map(move |c| f64::from(u8::from(c == e)))).collect();
    let columns: Vec<(Vec<bool>, Vec<f64>)> =
        (0..k).map(|c| (encoded.iter().map(|&e| e == c).collect(), column(&s.y_score, k, c))).collect();
    average_binary_score(&columns, &indicators, &s.y_score, k, average, None)
}

/// `np.average(values, weights)`.
fn weighted_mean(values: &[f64], weights: Option<&[f64]>) -> f64 {
    match weights {
        None => values.iter().sum::<f64>() / values.len() as f64,
        Some(w) => values.iter().zip(w).map(|(v, w)| v * w).sum::<f64>() / w.iter().sum::<f64>(),
    }
}

/// scikit-learn's `_average_binary_score` over the columns of an indicator matrix.
fn average_binary_score(
    columns: &[(Vec<bool>, Vec<f64>)],
    y_true: &[f64],
    y_score: &[f64],
    width: usize,
    average: Option<Average>,
    max_fpr: Option<f64>,
) -> Result<LogValue> {
    match average {
        Some(Average::Micro) => {
            let y: Vec<bool> = y_true.iter().map(|&v| v == 1.0).collect();
            Ok(LogValue::F64(binary_roc_auc(&y, y_score, max_fpr)?))
        }
        Some(Average::Samples) => {
            let rows = y_true.len() / width;
            let mut scores = Vec::with_capacity(rows);
            for r in 0..rows {
                let y: Vec<bool> = y_true[r * width..(r + 1) * width].iter().map(|&v| v == 1.0).collect();
                scores.push(binary_roc_auc(&y, &y_score[r * width..(r + 1) * width], max_fpr)?);
            }
            Ok(LogValue::F64(weighted_mean(&scores, None)))
        }
        None | Some(Average::Macro | Average::Weighted) => {
            let scores = columns.iter().map(|(y, s)| binary_roc_auc(y, s, max_fpr)).collect::<Result<Vec<f64>>>()?;
            match average {
                None => Ok(LogValue::Array(Array1::from(scores).into_dyn())),
                Some(Average::Weighted) => {
                    let support: Vec<f64> =
                        columns.iter().map(|(y, _)| y.iter().filter(|&&t| t).count() as f64).collect();
                    if support.iter().sum::<f64>() == 0.0 {
                        return Ok(LogValue::F64(0.0));
                    }
                    Ok(LogValue::F64(weighted_mean(&scores, Some(&support))))
                }
                _ => Ok(LogValue::F64(weighted_mean(&scores, None))),
            }
        }
    }
}

/// ROC curve points (false-positive rate, true-positive rate), starting at (0, 0), one point per
/// distinct score from the highest down (scikit-learn's `roc_curve`, all points kept).
fn roc_curve(y: &[bool], scores: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut fps, mut tps) = (vec![0.0], vec![0.0]);
    let (mut fp, mut tp) = (0.0, 0.0);
    for (i, &idx) in order.iter().enumerate() {
        if y[idx] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_value = order.get(i + 1).is_none_or(|&next| scores[next] != scores[idx]);
        if last_of_value {
            fps.push(fp);
            tps.push(tp);
        }
    }
    let (fp_total, tp_total) = (fp, tp);
    (fps.iter().map(|f| f / fp_total).collect(), tps.iter().map(|t| t / tp_total).collect())
}

fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2).zip(y.windows(2)).map(|(x, y)| (x[1] - x[0]) * (y[0] + y[1]) / 2.0).sum()
}

/// scikit-learn's `_binary_roc_auc_score`, with the McClish-standardized partial AUC for
/// `max_fpr < 1`.
fn binary_roc_auc(y: &[bool], scores: &[f64], max_fpr: Option<f64>) -> Result<f64> {
    let positives = y.iter().filter(|&&t| t).count();
    if positives == 0 || positives == y.len() {
        // scikit-learn (≥ 1.6) warns and returns NaN: the ROC curve is undefined.
        return Ok(f64::NAN);
    }
    let (fpr, tpr) = roc_curve(y, scores);
    let max_fpr = match max_fpr {
        None => return Ok(trapezoid(&fpr, &tpr)),
        Some(1.0) => return Ok(trapezoid(&fpr, &tpr)),
        Some(m) => m,
    };
    let stop = fpr.partition_point(|&f| f <= max_fpr);
    let (x0, x1, y0, y1) = (fpr[stop - 1], fpr[stop], tpr[stop - 1], tpr[stop]);
    let y_at = y0 + (max_fpr - x0) * (y1 - y0) / (x1 - x0);
    let mut xs = fpr[..stop].to_vec();
    let mut ys = tpr[..stop].to_vec();
    xs.push(max_fpr);
    ys.push(y_at);
    let partial = trapezoid(&xs, &ys);
    let min_area = 0.5 * max_fpr * max_fpr;
    Ok(0.5 * (1.0 + (partial - min_area) / (max_fpr - min_area)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_auc_is_the_rank_statistic() {
        let y = [false, false, true, true];
        assert_eq!(binary_roc_auc(&y, &[0.1, 0.4, 0.35, 0.8], None).unwrap(), 0.75);
        // ties count one half
        assert_eq!(binary_roc_auc(&[false, true], &[0.5, 0.5], None).unwrap(), 0.5);
        assert!(binary_roc_auc(&[true, true], &[0.5, 0.7], None).unwrap().is_nan());
    }
}
