//! `Accuracy`: the fraction of correct predictions over an epoch.

use tch::{Kind, Tensor};

use crate::distributed::ProcessGroup;
use crate::error::{FeError, Result};
use crate::op::OpIo;
use crate::summary::LogValue;

use super::metric_trace::MetricTrace;
use super::metric_trait::{Metric, MetricBatch};

/// Accuracy of `pred_key` against `true_key` over an epoch (FE's `Accuracy`).
///
/// One-hot labels (last axis > 1) are argmaxed; multi-class predictions are argmaxed; single
/// column predictions are thresholded at 0.5 (after a sigmoid when `from_logits`). Runs in eval
/// and test by default. With several datasets it also writes `accuracy|ds_id`.
///
/// ```
/// use fastestimator::trace::metric::Accuracy;
/// let acc = Accuracy::new("y", "y_pred").from_logits(true).output_name("acc");
/// # let _ = acc;
/// ```
pub type Accuracy = MetricTrace<AccuracyMetric>;

/// The metric behind [`Accuracy`]: (correct, total) counts.
#[derive(Debug, Clone, Default)]
pub struct AccuracyMetric {
    from_logits: bool,
}

impl Accuracy {
    /// Accuracy written as `"accuracy"`.
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        MetricTrace::from_metric(
            AccuracyMetric::default(),
            OpIo::new([true_key, pred_key], "accuracy").with_default_mode("eval,test"),
        )
    }

    /// Predictions are logits (binary case: apply a sigmoid first).
    pub fn from_logits(self, from_logits: bool) -> Self {
        self.with_metric(|m| m.from_logits = from_logits)
    }
}

impl AccuracyMetric {
    /// (correct, total) of one batch.
    pub fn count(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<(i64, i64)> {
        self.count_keys(("y_true", y_true), ("y_pred", y_pred))
    }

    fn count_keys(
        &self,
        (true_key, y_true): (&str, &Tensor),
        (pred_key, y_pred): (&str, &Tensor),
    ) -> Result<(i64, i64)> {
        let y_true = y_true.to_device(tch::Device::Cpu);
        let y_pred = y_pred.detach().to_device(tch::Device::Cpu);
        let labels = if y_true.dim() > 1 && y_true.size().last().copied().unwrap_or(1) > 1 {
            y_true.argmax(-1, false)
        } else {
            y_true.to_kind(Kind::Int64).reshape([-1])
        };
        let preds = if y_pred.dim() > 1 && y_pred.size().last().copied().unwrap_or(1) > 1 {
            y_pred.argmax(-1, false)
        } else {
            let p = if self.from_logits { y_pred.sigmoid() } else { y_pred.to_kind(Kind::Float) };
            p.ge(0.5).to_kind(Kind::Int64).reshape([-1])
        };
        // the shapes compared are those of the labels and the predicted classes
        if labels.size() != preds.size() {
            return Err(FeError::ShapeMismatch {
                op: "Accuracy".into(),
                left_key: true_key.to_string(),
                left_shape: labels.size(),
                right_key: pred_key.to_string(),
                right_shape: preds.size(),
            });
        }
        let correct = labels.eq_tensor(&preds).sum(Kind::Int64).int64_value(&[]);
        Ok((correct, labels.numel() as i64))
    }
}

impl Metric for AccuracyMetric {
    type Batch = (i64, i64);
    /// (correct, total)
    type State = (i64, i64);

    fn name(&self) -> &str {
        "Accuracy"
    }

    fn read(&self, batch: &MetricBatch<'_>) -> Result<(i64, i64)> {
        self.count_keys((batch.key(0)?, batch.tensor(0)?), (batch.key(1)?, batch.tensor(1)?))
    }

    fn reduce(&self, state: &mut (i64, i64), group: &ProcessGroup) -> Result<()> {
        let mut counts = [state.0, state.1];
        group.sum_i64(&mut counts)?;
        *state = (counts[0], counts[1]);
        Ok(())
    }

    fn update(&self, state: &mut (i64, i64), &(correct, total): &(i64, i64)) -> Result<()> {
        state.0 += correct;
        state.1 += total;
        Ok(())
    }

    fn result(&self, &(correct, total): &(i64, i64), io: &OpIo) -> Result<Vec<(String, LogValue)>> {
        Ok(vec![(io.outputs[0].clone(), (correct as f64 / total.max(1) as f64).into())])
    }
}
