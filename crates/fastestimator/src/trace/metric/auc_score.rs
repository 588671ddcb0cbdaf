//! `AUCScore`: the area under the ROC curve over an epoch (scikit-learn's `roc_auc_score`).

use ndarray::Array1;

use crate::error::{FeError, Result};
use crate::op::{impl_has_io, OpIo};
use crate::summary::{LogValue, System};
use crate::trace::{Data, Trace};

use super::input::read_array;
use super::per_ds::PerDs;

/// How per-class (or per-label) AUCs are combined (scikit-learn's `average`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Average {
    Micro,
    Macro,
    Weighted,
    Samples,
}

/// How a multi-class problem is reduced to binary ones (scikit-learn's `multi_class`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MultiClass {
    Raise,
    Ovr,
    Ovo,
}

/// Area under the ROC curve of the scores `pred_key` against `true_key` over an epoch (FE's
/// `AUCScore`), with the semantics of scikit-learn's `roc_auc_score`.
///
/// - **Binary**: labels with two values (as `[batch]` or `[batch, 1]`) and one score per sample;
///   the larger label is the positive class. `max_fpr` gives the standardized partial AUC.
/// - **Multi-class**: integer labels with more than two values and `[batch, classes]`
///   probabilities (rows summing to 1); `multi_class` must be `"ovr"` or `"ovo"` (the default
///   `"raise"` is an error at the epoch's end, as in scikit-learn); `average` is `"macro"` or
///   `"weighted"` (`"micro"` and `None` with `"ovr"` too).
/// - **Multi-label**: `[batch, labels]` 0/1 indicators (one-hot labels land here) with one score
///   column per label; every `average` is available.
///
/// Runs in eval and test by default and writes `"auc"` (and `"auc|ds_id"` per dataset); a
/// scalar, or an array with `average(None)`. A class with no positive or no negative sample
/// makes its AUC undefined: NaN, as current scikit-learn gives (with a warning). `sample_weight`
/// is not supported.
///
/// ```
/// use fastestimator::trace::metric::AUCScore;
/// let auc = AUCScore::new("y", "y_pred").multi_class("ovo").unwrap().average(Some("weighted")).unwrap();
/// assert!(AUCScore::new("y", "y_pred").max_fpr(0.0).is_err());
/// # let _ = auc;
/// ```
pub struct AUCScore {
    io: OpIo,
    average: Option<Average>,
    multi_class: MultiClass,
    max_fpr: Option<f64>,
    labels: Option<Vec<i64>>,
    state: PerDs<Scores>,
}
impl_has_io!(AUCScore);

/// The epoch's labels and scores, row-major with their widths.
#[derive(Debug, Clone, Default)]
struct Scores {
    y_true: Vec<f64>,
    true_width: usize,
    y_score: Vec<f64>,
    score_width: usize,
}

impl AUCScore {
    /// Macro-averaged AUC written as `"auc"`, raising for multi-class targets.
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        AUCScore {
            io: OpIo::new([true_key, pred_key], "auc").with_default_mode("eval,test"),
            average: Some(Average::Macro),
            multi_class: MultiClass::Raise,
            max_fpr: None,
            labels: None,
            state: PerDs::default(),
        }
    }

    /// Write the result under another name.
    pub fn output_name(mut self, name: &str) -> Self {
        self.io.outputs = vec![name.to_string()];
        self
    }

    /// Also write `name|ds_id` for every dataset (default true).
    pub fn per_ds(mut self, per_ds: bool) -> Self {
        self.state.set_enabled(per_ds);
        self
    }

    /// `"micro"`, `"macro"` (default), `"weighted"`, `"samples"`, or `None` for one AUC per class.
    pub fn average(mut self, average: Option<&str>) -> Result<Self> {
        self.average = match average {
            None => None,
            Some("micro") => Some(Average::Micro),
            Some("macro") => Some(Average::Macro),
            Some("weighted") => Some(Average::Weighted),
            Some("samples") => Some(Average::Samples),
            Some(other) => {
                return Err(FeError::param(
                    "AUCScore",
                    "average",
                    format!("expected None or one of 'micro', 'macro', 'samples', 'weighted', got {other:?}"),
                ))
            }
        };
        Ok(self)
    }

    /// `"raise"` (default), `"ovr"` (one-vs-rest) or `"ovo"` (one-vs-one) for multi-class targets.
    pub fn multi_class(mut self, multi_class: &str) -> Result<Self> {
        self.multi_class = match multi_class {
            "raise" => MultiClass::Raise,
            "ovr" => MultiClass::Ovr,
            "ovo" => MultiClass::Ovo,
            other => {
                return Err(FeError::param(
                    "AUCScore",
                    "multi_class",
                    format!("expected one of 'raise', 'ovr', 'ovo', got {other:?}"),
                ))
            }
        };
        Ok(self)
    }

    /// Report the standardized partial AUC over false-positive rates in `[0, max_fpr]`
    /// (McClish correction), for binary and multi-label targets; `0 < max_fpr ≤ 1`.
    pub fn max_fpr(mut self, max_fpr: f64) -> Result<Self> {
        if !(max_fpr > 0.0 && max_fpr <= 1.0) {
            return Err(FeError::param("AUCScore", "max_fpr", format!("expected a value in (0, 1], got {max_fpr}")));
        }
        self.max_fpr = Some(max_fpr);
        Ok(self)
    }

    /// The classes of the score columns, in order, for multi-class targets (default: the labels
    /// seen in the epoch). Lets a class be absent from an epoch's labels.
    pub fn labels(mut self, labels: Vec<i64>) -> Self {
        self.labels = Some(labels);
        self
    }

    fn result(&self, s: &Scores) -> Result<LogValue> {
        roc_auc_score(s, self.average, self.multi_class, self.max_fpr, self.labels.as_deref())
    }
}

impl Trace for AUCScore {
    fn name(&self) -> String {
        "AUCScore".into()
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.state.clear();
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let y_true = read_array(data, &self.io.inputs[0], "AUCScore")?;
        let y_score = read_array(data, &self.io.inputs[1], "AUCScore")?;
        let rows = |a: &ndarray::ArrayD<f64>| a.shape().first().copied().unwrap_or(1);
        let width = |a: &ndarray::ArrayD<f64>| if a.ndim() <= 1 { 1 } else { a.len() / rows(a).max(1) };
        let (tw, sw) = (width(&y_true), width(&y_score));
        if rows(&y_true) != rows(&y_score) || y_true.ndim() > 2 || y_score.ndim() > 2 {
            return Err(err(format!(
                "labels of shape {:?} and scores of shape {:?} do not describe the same samples",
                y_true.shape(),
                y_score.shape()
            )));
        }
        let (t, p): (Vec<f64>, Vec<f64>) = (y_true.iter().copied().collect(), y_score.iter().copied().collect());
        self.state.update(&system.ds_id, |s| {
            if !s.y_true.is_empty() && (s.true_width != tw || s.score_width != sw) {
                return Err(err("the number of label or score columns changed within an epoch".into()));
            }
            s.true_width = tw;
            s.score_width = sw;
            s.y_true.extend_from_slice(&t);
            s.y_score.extend_from_slice(&p);
            Ok(())
        })
    }

    fn on_epoch_end(&mut self, data: &mut Data, _system: &mut System) -> Result<()> {
        let this = &*self;
        let name = this.io.outputs[0].clone();
        this.state.write(data, &this.io.outputs, |s| Ok(vec![(name.clone(), this.result(s)?)]))
    }
}

fn err(reason: String) -> FeError {
    FeError::Mismatch { context: "AUCScore".into(), reason }
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
) -> Result<LogValue> {
    if s.y_true.is_empty() {
        return Err(err("no samples were seen in this epoch".into()));
    }
    if s.true_width > 1 {
        if s.y_true.iter().any(|&v| v != 0.0 && v != 1.0) {
            return Err(err("multi-column labels must be 0/1 indicators (multilabel-indicator)".into()));
        }
        if s.score_width != s.true_width {
            return Err(err(format!("{} label columns but {} score columns", s.true_width, s.score_width)));
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
        return Err(err("labels must be integers (continuous targets are not supported)".into()));
    }
    let classes = sorted_unique(&s.y_true);
    let multiclass = classes.len() > 2 || s.score_width > 2;
    if !multiclass {
        if s.score_width != 1 {
            return Err(err(format!("binary labels need one score per sample, got {} score columns", s.score_width)));
        }
        let positive = classes[classes.len() - 1];
        let y: Vec<bool> = s.y_true.iter().map(|&v| v == positive).collect();
        return Ok(LogValue::F64(binary_roc_auc(&y, &s.y_score, max_fpr)?));
    }
    if matches!(max_fpr, Some(m) if m != 1.0) {
        return Err(err(format!(
            "partial AUC computation is not available in the multi-class setting; max_fpr must be None, got {}",
            max_fpr.unwrap_or(1.0)
        )));
    }
    let ovo = match multi_class {
        MultiClass::Raise => return Err(err("multi_class must be in ('ovo', 'ovr') for a multi-class target".into())),
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
        return Err(err(
            "target scores need to be probabilities for multiclass roc_auc, i.e. they should sum up to 1.0 over classes"
                .into(),
        ));
    }
    match (average, ovo) {
        (Some(Average::Macro | Average::Weighted), _) | (Some(Average::Micro) | None, false) => {}
        (None, true) => return Err(err("average=None is not implemented for multi_class='ovo'".into())),
        (Some(a), _) => return Err(err(format!("average {a:?} is not available for a multi-class target"))),
    }
    let classes: Vec<f64> = match labels {
        Some(l) => {
            let given: Vec<f64> = l.iter().map(|&x| x as f64).collect();
            if sorted_unique(&given) != given {
                return Err(err("parameter 'labels' must be unique and ordered".into()));
            }
            if given.len() != k {
                return Err(err(format!(
                    "number of given labels, {}, not equal to the number of columns in 'y_score', {k}",
                    given.len()
                )));
            }
            if s.y_true.iter().any(|v| !given.contains(v)) {
                return Err(err("'y_true' contains labels not in parameter 'labels'".into()));
            }
            given
        }
        None => {
            if classes.len() != k {
                return Err(err(format!(
                    "number of classes in y_true ({}) not equal to the number of columns in 'y_score' ({k})",
                    classes.len()
                )));
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
