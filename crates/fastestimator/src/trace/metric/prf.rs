//! [`PrfMetric`]: the one metric behind `Precision`, `Recall` and `F1Score`, which differ only in
//! the score computed from the epoch's label counts.

use std::marker::PhantomData;

use crate::error::Result;
use crate::op::OpIo;
use crate::summary::LogValue;

use super::classification::{prf, LabelCounts, LabelMetric, PrfOptions, PrfScore};
use super::kwarg::{Deferred, KwargValue};
use super::metric_trace::MetricTrace;

/// Which score a [`PrfMetric`] computes (which also gives its trace name and output key).
pub trait PrfKind: Send + 'static {
    /// The score computed.
    const SCORE: PrfScore;
}

/// Precision, recall or F1 (scikit-learn's `precision_score`, `recall_score`, `f1_score`) over
/// the epoch's label counts, as FE computes them: `average='binary'` for a single prediction
/// column, else one value per class. The kind `K` chooses the score; see
/// [`Precision`](super::Precision), [`Recall`](super::Recall) and [`F1Score`](super::F1Score).
#[derive(Debug, Clone)]
pub struct PrfMetric<K> {
    options: PrfOptions,
    invalid: Deferred,
    kind: PhantomData<K>,
}

impl<K> Default for PrfMetric<K> {
    fn default() -> Self {
        PrfMetric { options: PrfOptions::default(), invalid: Deferred::default(), kind: PhantomData }
    }
}

impl<K: PrfKind> MetricTrace<PrfMetric<K>> {
    /// The score written under its FE name (`"precision"`, `"recall"`, `"f1_score"`).
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        MetricTrace::from_metric(
            PrfMetric::default(),
            OpIo::new([true_key, pred_key], K::SCORE.key()).with_default_mode("eval,test"),
        )
    }

    /// The positive class in the binary case (scikit-learn's `pos_label`, default 1).
    pub fn pos_label(self, label: i64) -> Self {
        self.with_metric(|m| m.options.pos_label = label)
    }

    /// The classes reported, in this order, in the multi-class case (scikit-learn's `labels`).
    pub fn labels(self, labels: Vec<i64>) -> Self {
        self.with_metric(|m| m.options.labels = Some(labels))
    }

    /// An extra keyword argument, as FE forwards `**kwargs` to the scikit-learn function:
    /// `pos_label`, `zero_division` (`"warn"`, 0, 1 or NaN) or `labels`. `y_true`, `y_pred` and
    /// `average` are set by the trace, so passing them is an error, as in FE; an invalid one is
    /// reported as [`FeError::InvalidParameter`](crate::FeError) when the trace is bound (or
    /// [validated](MetricTrace::validate)).
    pub fn kwarg(self, name: &str, value: impl Into<KwargValue>) -> Self {
        let value = value.into();
        self.with_metric(|m| {
            let result = m.options.set(K::SCORE.trace_name(), name, value);
            m.invalid.check(result);
        })
    }
}

impl<K: PrfKind> LabelMetric for PrfMetric<K> {
    const NAME: &'static str = K::SCORE.trace_name();

    fn check(&self, _io: &OpIo) -> Result<()> {
        self.invalid.result()
    }

    fn score(&self, counts: &LabelCounts, io: &OpIo) -> Result<LogValue> {
        prf(K::SCORE, counts, &self.options, K::SCORE.trace_name(), &io.inputs[0])
    }
}
