//! What Precision, Recall, F1Score, MCC and ConfusionMatrix share: the epoch's (true, predicted)
//! label counts, and scikit-learn's precision/recall/F1 over them.

use std::collections::{BTreeMap, BTreeSet};

use ndarray::{Array1, Array2};

use super::input::{pred_labels, true_labels};
use super::kwarg::{bad_value, forbidden, unsupported, KwargValue};
use super::metric_trait::{Metric, MetricBatch};
use crate::distributed::ProcessGroup;
use crate::error::{FeError, Result};
use crate::op::OpIo;
use crate::summary::LogValue;

/// FE's label rules for classification metrics: `(y_true, y_pred, binary)` for one batch, from
/// the ground truth (input 0) and the predictions (input 1).
fn batch_labels(batch: &MetricBatch<'_>) -> Result<(Vec<i64>, Vec<i64>, bool)> {
    let y_true = true_labels(&batch.array(0)?);
    let (y_pred, binary) = pred_labels(&batch.array(1)?);
    if y_true.len() != y_pred.len() {
        return Err(FeError::LengthMismatch {
            context: batch.trace().to_string(),
            what: format!("predictions from {:?} (one per label in {:?})", batch.key(1)?, batch.key(0)?),
            expected: y_true.len(),
            got: y_pred.len(),
        });
    }
    Ok((y_true, y_pred, binary))
}

/// A metric computed from the epoch's [`LabelCounts`] under FE's label rules (one-hot and
/// multi-class scores argmaxed, a single column rounded): every such type is a [`Metric`] that
/// writes its one value under the first output name. `MCC`, `ConfusionMatrix`, `Precision`,
/// `Recall` and `F1Score` are.
pub trait LabelMetric: Send + 'static {
    /// The name of the trace (FE's class name).
    const NAME: &'static str;

    /// Check the options, as [`Metric::validate`] (default: nothing to check).
    fn check(&self, _io: &OpIo) -> Result<()> {
        Ok(())
    }

    /// The value of the epoch's counts.
    fn score(&self, counts: &LabelCounts, io: &OpIo) -> Result<LogValue>;
}

impl<T: LabelMetric> Metric for T {
    /// (true labels, predicted labels, whether the predictions are a single column)
    type Batch = (Vec<i64>, Vec<i64>, bool);
    type State = LabelCounts;

    fn name(&self) -> &str {
        T::NAME
    }

    fn validate(&self, io: &OpIo) -> Result<()> {
        self.check(io)
    }

    fn read(&self, batch: &MetricBatch<'_>) -> Result<Self::Batch> {
        batch_labels(batch)
    }

    fn reduce(&self, counts: &mut LabelCounts, group: &ProcessGroup) -> Result<()> {
        counts.reduce(group)
    }

    fn update(&self, counts: &mut LabelCounts, (y_true, y_pred, binary): &Self::Batch) -> Result<()> {
        counts.add(y_true, y_pred, *binary);
        Ok(())
    }

    fn result(&self, counts: &LabelCounts, io: &OpIo) -> Result<Vec<(String, LogValue)>> {
        Ok(vec![(io.outputs[0].clone(), self.score(counts, io)?)])
    }
}

/// The epoch state of the classification metrics: how often each (true label, predicted label)
/// pair occurred, and whether the last batch was binary (a single prediction column), which is
/// what FE looks at.
#[derive(Debug, Clone, Default)]
pub struct LabelCounts {
    counts: BTreeMap<(i64, i64), u64>,
    binary: bool,
}

impl LabelCounts {
    /// Every rank's pair counts, summed (the pairs travel as `[true, pred, count]` triples).
    pub(crate) fn reduce(&mut self, group: &ProcessGroup) -> Result<()> {
        let mine: Vec<f64> = self.counts.iter().flat_map(|(&(t, p), &n)| [t as f64, p as f64, n as f64]).collect();
        let all = group.gather_f64(&mine)?;
        let mut binary = [f64::from(u8::from(self.binary))];
        group.max_f64(&mut binary)?;
        self.counts.clear();
        for triple in all.chunks_exact(3) {
            *self.counts.entry((triple[0] as i64, triple[1] as i64)).or_insert(0) += triple[2] as u64;
        }
        self.binary = binary[0] > 0.0;
        Ok(())
    }

    /// Add one batch of labels.
    pub(crate) fn add(&mut self, y_true: &[i64], y_pred: &[i64], binary: bool) {
        for (&t, &p) in y_true.iter().zip(y_pred) {
            *self.counts.entry((t, p)).or_insert(0) += 1;
        }
        self.binary = binary;
    }

    /// Whether the predictions were a single column (FE's `binary_classification`).
    pub(crate) fn binary(&self) -> bool {
        self.binary
    }

    /// Every label seen in either the truth or the predictions, sorted (sklearn's `unique_labels`).
    pub(crate) fn labels(&self) -> Vec<i64> {
        let set: BTreeSet<i64> = self.counts.keys().flat_map(|&(t, p)| [t, p]).collect();
        set.into_iter().collect()
    }

    /// The confusion matrix over `labels` (rows true, columns predicted); pairs with a label
    /// outside `labels` are left out, as scikit-learn does.
    pub(crate) fn matrix(&self, labels: &[i64]) -> Array2<f64> {
        let index: BTreeMap<i64, usize> = labels.iter().enumerate().map(|(i, &l)| (l, i)).collect();
        let mut m = Array2::zeros((labels.len(), labels.len()));
        for (&(t, p), &n) in &self.counts {
            if let (Some(&i), Some(&j)) = (index.get(&t), index.get(&p)) {
                m[[i, j]] += n as f64;
            }
        }
        m
    }

    /// (true positives, false positives, false negatives) of class `label`.
    fn class_counts(&self, label: i64) -> (f64, f64, f64) {
        let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
        for (&(t, p), &n) in &self.counts {
            let n = n as f64;
            match (t == label, p == label) {
                (true, true) => tp += n,
                (false, true) => fp += n,
                (true, false) => fn_ += n,
                _ => {}
            }
        }
        (tp, fp, fn_)
    }
}

/// Which of scikit-learn's three scores a [`PrfMetric`](super::PrfMetric) computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrfScore {
    /// `tp / (tp + fp)` (`precision_score`).
    Precision,
    /// `tp / (tp + fn)` (`recall_score`).
    Recall,
    /// `2·tp / (2·tp + fp + fn)` (`f1_score`).
    F1,
}

impl PrfScore {
    /// FE's trace name: `"Precision"`, `"Recall"` or `"F1Score"`.
    pub const fn trace_name(self) -> &'static str {
        match self {
            PrfScore::Precision => "Precision",
            PrfScore::Recall => "Recall",
            PrfScore::F1 => "F1Score",
        }
    }

    /// FE's default output key: `"precision"`, `"recall"` or `"f1_score"`.
    pub const fn key(self) -> &'static str {
        match self {
            PrfScore::Precision => "precision",
            PrfScore::Recall => "recall",
            PrfScore::F1 => "f1_score",
        }
    }
}

/// The keyword arguments of `precision_score`/`recall_score`/`f1_score` that the traces accept.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrfOptions {
    /// The positive class in the binary case (default 1).
    pub(crate) pos_label: i64,
    /// The score when its denominator is 0 (default `"warn"`, which gives 0).
    pub(crate) zero_division: f64,
    /// The classes to report, in order, in the multi-class case (default: every label seen).
    pub(crate) labels: Option<Vec<i64>>,
}

impl Default for PrfOptions {
    fn default() -> Self {
        PrfOptions { pos_label: 1, zero_division: 0.0, labels: None }
    }
}

const PRF_FORBIDDEN: [&str; 3] = ["y_true", "y_pred", "average"];
const PRF_SUPPORTED: [&str; 3] = ["labels", "pos_label", "zero_division"];

impl PrfOptions {
    /// Apply one keyword argument as FE forwards it to scikit-learn.
    pub(crate) fn set(&mut self, owner: &str, name: &str, value: KwargValue) -> Result<()> {
        match name {
            _ if PRF_FORBIDDEN.contains(&name) => Err(forbidden(owner, name, &PRF_FORBIDDEN)),
            "pos_label" => match value {
                KwargValue::Int(x) => {
                    self.pos_label = x;
                    Ok(())
                }
                other => Err(bad_value(owner, name, &other, "an integer class label")),
            },
            "zero_division" => {
                self.zero_division = zero_division(owner, &value)?;
                Ok(())
            }
            "labels" => match value {
                KwargValue::Ints(v) => {
                    self.labels = Some(v);
                    Ok(())
                }
                other => Err(bad_value(owner, name, &other, "a list of integer class labels")),
            },
            _ => Err(unsupported(owner, name, &PRF_SUPPORTED)),
        }
    }
}

/// scikit-learn's `zero_division`: `"warn"` (0), 0, 1 or NaN.
pub(crate) fn zero_division(owner: &str, value: &KwargValue) -> Result<f64> {
    match value {
        KwargValue::Text(s) if s == "warn" => Ok(0.0),
        KwargValue::Text(s) if s == "nan" => Ok(f64::NAN),
        v => match v.as_f64() {
            Some(x) if x == 0.0 || x == 1.0 || x.is_nan() => Ok(x),
            _ => Err(bad_value(owner, "zero_division", v, "\"warn\", 0, 1 or NaN")),
        },
    }
}

fn ratio(num: f64, den: f64, zero_division: f64) -> f64 {
    if den == 0.0 {
        zero_division
    } else {
        num / den
    }
}

fn score_of(score: PrfScore, (tp, fp, fn_): (f64, f64, f64), zero_division: f64) -> f64 {
    match score {
        PrfScore::Precision => ratio(tp, tp + fp, zero_division),
        PrfScore::Recall => ratio(tp, tp + fn_, zero_division),
        PrfScore::F1 => ratio(2.0 * tp, 2.0 * tp + fp + fn_, zero_division),
    }
}

/// FE's choice: `average='binary'` (a scalar for `pos_label`) when the predictions were a single
/// column, else `average=None` (one score per class, as an array). `owner` and `true_key` name
/// the trace and its labels in errors.
pub(crate) fn prf(
    score: PrfScore,
    counts: &LabelCounts,
    options: &PrfOptions,
    owner: &str,
    true_key: &str,
) -> Result<LogValue> {
    if counts.binary() {
        let present = counts.labels();
        if present.len() > 2 {
            return Err(FeError::InvalidValue {
                consumer: owner.to_string(),
                key: true_key.to_string(),
                reason: format!(
                    "target is multiclass (labels {present:?}) but the predictions are a single column, so \
                     average='binary' is used"
                ),
            });
        }
        if present.len() == 2 && !present.contains(&options.pos_label) {
            return Err(FeError::param(
                owner,
                "pos_label",
                format!("pos_label={} is not a valid label; it should be one of {present:?}", options.pos_label),
            ));
        }
        let value = score_of(score, counts.class_counts(options.pos_label), options.zero_division);
        return Ok(LogValue::F64(value));
    }
    let labels = options.labels.clone().unwrap_or_else(|| counts.labels());
    let values: Array1<f64> =
        labels.iter().map(|&l| score_of(score, counts.class_counts(l), options.zero_division)).collect();
    Ok(LogValue::Array(values.into_dyn()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(t: &[i64], p: &[i64], binary: bool) -> LabelCounts {
        let mut c = LabelCounts::default();
        c.add(t, p, binary);
        c
    }

    #[test]
    fn binary_scores_by_hand() {
        // tp=2 (idx 1, 4), fp=1 (idx 2), fn=1 (idx 3), tn=1
        let c = counts(&[0, 1, 0, 1, 1], &[0, 1, 1, 0, 1], true);
        let o = PrfOptions::default();
        assert_eq!(prf(PrfScore::Precision, &c, &o, "t", "y").unwrap(), LogValue::F64(2.0 / 3.0));
        assert_eq!(prf(PrfScore::Recall, &c, &o, "t", "y").unwrap(), LogValue::F64(2.0 / 3.0));
        assert_eq!(prf(PrfScore::F1, &c, &o, "t", "y").unwrap(), LogValue::F64(4.0 / 6.0));
        let o0 = PrfOptions { pos_label: 0, ..PrfOptions::default() };
        // class 0: tp=1, fp=1, fn=1
        assert_eq!(prf(PrfScore::Precision, &c, &o0, "t", "y").unwrap(), LogValue::F64(0.5));
    }

    #[test]
    fn zero_division_and_errors() {
        let c = counts(&[0, 0], &[0, 0], true);
        let mut o = PrfOptions::default();
        assert_eq!(prf(PrfScore::Precision, &c, &o, "t", "y").unwrap(), LogValue::F64(0.0));
        o.set("t", "zero_division", KwargValue::Float(1.0)).unwrap();
        assert_eq!(prf(PrfScore::Precision, &c, &o, "t", "y").unwrap(), LogValue::F64(1.0));
        let param = |r: Result<()>| match r {
            Err(FeError::InvalidParameter { param, .. }) => param,
            other => panic!("{other:?}"),
        };
        assert_eq!(param(o.set("t", "zero_division", KwargValue::Float(0.3))), "zero_division");
        assert_eq!(param(o.set("t", "average", KwargValue::Text("macro".into()))), "average");
        assert_eq!(param(o.set("t", "sample_weight", KwargValue::Floats(vec![1.0]))), "sample_weight");
        let multi = counts(&[0, 1, 2], &[0, 1, 2], true);
        let err = prf(PrfScore::Precision, &multi, &PrfOptions::default(), "t", "y").unwrap_err();
        assert!(matches!(&err, FeError::InvalidValue { key, .. } if key == "y"), "{err}");
        let wrong_pos = counts(&[2, 3], &[2, 3], true);
        let err = prf(PrfScore::Precision, &wrong_pos, &PrfOptions::default(), "t", "y").unwrap_err();
        assert!(matches!(&err, FeError::InvalidParameter { param, .. } if param == "pos_label"), "{err}");
    }

    #[test]
    fn multiclass_uses_labels_option() {
        let c = counts(&[0, 0, 1, 2], &[0, 1, 1, 2], false);
        let o = PrfOptions { labels: Some(vec![2, 0, 5]), ..PrfOptions::default() };
        let LogValue::Array(a) = prf(PrfScore::Recall, &c, &o, "t", "y").unwrap() else { panic!() };
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), vec![1.0, 0.5, 0.0]);
        assert_eq!(c.matrix(&[0, 1, 2]).into_raw_vec_and_offset().0, vec![1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    }
}
