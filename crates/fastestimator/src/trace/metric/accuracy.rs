//! `Accuracy`: the fraction of correct predictions over an epoch.

use tch::{Kind, Tensor};

use crate::error::{FeError, Result};
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};

use super::per_ds::PerDs;

/// Accuracy of `pred_key` against `true_key` over an epoch (FE's `Accuracy`).
///
/// One-hot labels (last axis > 1) are argmaxed; multi-class predictions are argmaxed; single
/// column predictions are thresholded at 0.5 (after a sigmoid when `from_logits`). Runs in eval
/// and test by default. With several datasets it also writes `accuracy|ds_id`.
pub struct Accuracy {
    io: OpIo,
    from_logits: bool,
    /// (correct, total), overall and per ds_id
    counts: PerDs<(i64, i64)>,
}
impl_has_io!(Accuracy);

impl Accuracy {
    /// Accuracy written as `"accuracy"`.
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        Accuracy {
            io: OpIo::new([true_key, pred_key], "accuracy").with_default_mode("eval,test"),
            from_logits: false,
            counts: PerDs::default(),
        }
    }

    /// Write the result under another name.
    pub fn output_name(mut self, name: &str) -> Self {
        self.io.outputs = vec![name.to_string()];
        self
    }

    /// Also write `name|ds_id` for every dataset (default true).
    pub fn per_ds(mut self, per_ds: bool) -> Self {
        self.counts.set_enabled(per_ds);
        self
    }

    /// Predictions are logits (binary case: apply a sigmoid first).
    pub fn from_logits(mut self, from_logits: bool) -> Self {
        self.from_logits = from_logits;
        self
    }

    /// (correct, total) of one batch.
    pub fn count(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<(i64, i64)> {
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
        if labels.size() != preds.size() {
            return Err(FeError::Mismatch {
                context: "Accuracy".into(),
                reason: format!(
                    "{:?} gives {:?} labels but {:?} gives {:?} predictions",
                    self.io.inputs[0],
                    labels.size(),
                    self.io.inputs[1],
                    preds.size()
                ),
            });
        }
        let correct = labels.eq_tensor(&preds).sum(Kind::Int64).int64_value(&[]);
        Ok((correct, labels.numel() as i64))
    }
}

impl Trace for Accuracy {
    fn name(&self) -> String {
        "Accuracy".into()
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.counts.clear();
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let get = |k: &str| {
            data.tensor(k).ok_or_else(|| FeError::Mismatch {
                context: "Accuracy".into(),
                reason: format!("key {k:?} is not in the batch"),
            })
        };
        let (correct, total) = self.count(get(&self.io.inputs[0])?, get(&self.io.inputs[1])?)?;
        self.counts.update(&system.ds_id, |slot| {
            slot.0 += correct;
            slot.1 += total;
            Ok(())
        })
    }

    fn on_epoch_end(&mut self, data: &mut Data, _system: &mut System) -> Result<()> {
        let name = self.io.outputs[0].clone();
        self.counts.write(data, &self.io.outputs, |&(correct, total)| {
            Ok(vec![(name.clone(), (correct as f64 / total.max(1) as f64).into())])
        })
    }
}
