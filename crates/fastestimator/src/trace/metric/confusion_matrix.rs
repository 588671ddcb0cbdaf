//! `ConfusionMatrix`: counts of (true class, predicted class) over an epoch.

use crate::error::{FeError, Result};
use crate::op::{impl_has_io, OpIo};
use crate::summary::{LogValue, System};
use crate::trace::{Data, Trace};

use super::classification::LabelCounts;
use super::input::batch_labels;
use super::kwarg::{bad_value, forbidden, unsupported, KwargValue};
use super::per_ds::PerDs;

/// How scikit-learn's `confusion_matrix(normalize=...)` divides the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Normalize {
    /// Counts as they are (the default).
    None,
    /// Each row sums to 1 (`"true"`).
    True,
    /// Each column sums to 1 (`"pred"`).
    Pred,
    /// The whole matrix sums to 1 (`"all"`).
    All,
}

/// The confusion matrix of `pred_key` against `true_key` over an epoch (FE's `ConfusionMatrix`):
/// rows are true classes, columns predicted ones, for classes `0..num_classes`.
///
/// Labels follow FE's rules (one-hot and multi-class scores argmaxed, a single column rounded);
/// samples whose label falls outside `0..num_classes` are left out, as scikit-learn does. The
/// result is written as an array under `"confusion_matrix"` (and `"confusion_matrix|ds_id"`).
///
/// ```
/// use fastestimator::trace::metric::ConfusionMatrix;
/// let cm = ConfusionMatrix::new("y", "y_pred", 10).unwrap().kwarg("normalize", "true").unwrap();
/// assert!(ConfusionMatrix::new("y", "y_pred", 10).unwrap().kwarg("labels", vec![0i64, 1]).is_err());
/// # let _ = cm;
/// ```
pub struct ConfusionMatrix {
    io: OpIo,
    num_classes: usize,
    normalize: Normalize,
    state: PerDs<LabelCounts>,
}
impl_has_io!(ConfusionMatrix);

impl ConfusionMatrix {
    /// A `num_classes × num_classes` confusion matrix written as `"confusion_matrix"`.
    pub fn new(true_key: &str, pred_key: &str, num_classes: usize) -> Result<Self> {
        if num_classes == 0 {
            return Err(FeError::param("ConfusionMatrix", "num_classes", "must be at least 1"));
        }
        Ok(ConfusionMatrix {
            io: OpIo::new([true_key, pred_key], "confusion_matrix").with_default_mode("eval,test"),
            num_classes,
            normalize: Normalize::None,
            state: PerDs::default(),
        })
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

    /// An extra keyword argument for `confusion_matrix`, as FE forwards `**kwargs`: `normalize`
    /// (`"true"`, `"pred"` or `"all"`). `y_true`, `y_pred` and `labels` are set by the trace, so
    /// passing them is an error, as in FE; `sample_weight` is not supported.
    pub fn kwarg(mut self, name: &str, value: impl Into<KwargValue>) -> Result<Self> {
        const FORBIDDEN: [&str; 3] = ["y_true", "y_pred", "labels"];
        if FORBIDDEN.contains(&name) {
            return Err(forbidden("ConfusionMatrix", name, &FORBIDDEN));
        }
        if name != "normalize" {
            return Err(unsupported("ConfusionMatrix", name, &["normalize"]));
        }
        self.normalize = match value.into() {
            KwargValue::Text(s) if s == "true" => Normalize::True,
            KwargValue::Text(s) if s == "pred" => Normalize::Pred,
            KwargValue::Text(s) if s == "all" => Normalize::All,
            KwargValue::Text(s) if s == "none" || s == "None" => Normalize::None,
            other => return Err(bad_value("ConfusionMatrix", name, &other, "\"true\", \"pred\" or \"all\"")),
        };
        Ok(self)
    }

    fn matrix(&self, counts: &LabelCounts) -> LogValue {
        let labels: Vec<i64> = (0..self.num_classes as i64).collect();
        let mut m = counts.matrix(&labels);
        let zero_to_nan_free = |x: f64| if x.is_finite() { x } else { 0.0 };
        match self.normalize {
            Normalize::None => {}
            Normalize::True => {
                let sums = m.sum_axis(ndarray::Axis(1)).insert_axis(ndarray::Axis(1));
                m = (&m / &sums).mapv(zero_to_nan_free);
            }
            Normalize::Pred => {
                let sums = m.sum_axis(ndarray::Axis(0)).insert_axis(ndarray::Axis(0));
                m = (&m / &sums).mapv(zero_to_nan_free);
            }
            Normalize::All => {
                let total = m.sum();
                m = m.mapv(|x| zero_to_nan_free(x / total));
            }
        }
        LogValue::Array(m.into_dyn())
    }
}

impl Trace for ConfusionMatrix {
    fn name(&self) -> String {
        "ConfusionMatrix".into()
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.state.clear();
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let (y_true, y_pred, binary) = batch_labels(data, &self.io.inputs[0], &self.io.inputs[1], "ConfusionMatrix")?;
        self.state.update(&system.ds_id, |counts| {
            counts.add(&y_true, &y_pred, binary);
            Ok(())
        })
    }

    fn on_epoch_end(&mut self, data: &mut Data, _system: &mut System) -> Result<()> {
        let name = self.io.outputs[0].clone();
        let this = &*self;
        this.state.write(data, &this.io.outputs, |counts| Ok(vec![(name.clone(), this.matrix(counts))]))
    }
}
