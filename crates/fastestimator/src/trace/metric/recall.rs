//! `Recall`: the fraction of positives that are found over an epoch (scikit-learn's `recall_score`).

use crate::error::Result;
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};

use super::classification::{prf, LabelCounts, PrfOptions, PrfScore};
use super::input::batch_labels;
use super::kwarg::KwargValue;
use super::per_ds::PerDs;

/// Recall of `pred_key` against `true_key` over an epoch (FE's `Recall`), computed as
/// scikit-learn's `recall_score`.
///
/// One-hot labels are argmaxed; multi-class predictions are argmaxed and single-column ones
/// rounded. With a single prediction column the result is one number for `pos_label` 1
/// (`average='binary'`); otherwise it is one value per class, as an array (`average=None`).
/// Runs in eval and test by default and writes `"recall"`, plus `"recall|ds_id"` per
/// dataset when the run has several.
///
/// ```
/// use fastestimator::trace::metric::Recall;
/// let m = Recall::new("y", "y_pred").output_name("recall_score").per_ds(false);
/// assert!(Recall::new("y", "y_pred").kwarg("average", "macro").is_err());
/// # let _ = m;
/// ```
pub struct Recall {
    io: OpIo,
    options: PrfOptions,
    state: PerDs<LabelCounts>,
}
impl_has_io!(Recall);

impl Recall {
    /// Recall written as `"recall"`.
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        Recall {
            io: OpIo::new([true_key, pred_key], "recall").with_default_mode("eval,test"),
            options: PrfOptions::default(),
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

    /// The positive class in the binary case (scikit-learn's `pos_label`, default 1).
    pub fn pos_label(mut self, label: i64) -> Self {
        self.options.pos_label = label;
        self
    }

    /// The classes reported, in this order, in the multi-class case (scikit-learn's `labels`).
    pub fn labels(mut self, labels: Vec<i64>) -> Self {
        self.options.labels = Some(labels);
        self
    }

    /// An extra keyword argument, as FE forwards `**kwargs` to `recall_score`: `pos_label`,
    /// `zero_division` (`"warn"`, 0, 1 or NaN) or `labels`. `y_true`, `y_pred` and `average` are
    /// set by the trace, so passing them is an error, as in FE.
    pub fn kwarg(mut self, name: &str, value: impl Into<KwargValue>) -> Result<Self> {
        self.options.set("Recall", name, value.into())?;
        Ok(self)
    }
}

impl Trace for Recall {
    fn name(&self) -> String {
        "Recall".into()
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.state.clear();
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let (y_true, y_pred, binary) = batch_labels(data, &self.io.inputs[0], &self.io.inputs[1], "Recall")?;
        self.state.update(&system.ds_id, |counts| {
            counts.add(&y_true, &y_pred, binary);
            Ok(())
        })
    }

    fn on_epoch_end(&mut self, data: &mut Data, _system: &mut System) -> Result<()> {
        let name = self.io.outputs[0].clone();
        let options = &self.options;
        self.state.write(data, &self.io.outputs, |counts| {
            Ok(vec![(name.clone(), prf(PrfScore::Recall, counts, options, "Recall")?)])
        })
    }
}
