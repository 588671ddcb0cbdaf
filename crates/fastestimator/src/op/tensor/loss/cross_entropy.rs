//! `CrossEntropy`: categorical, sparse or binary, picked from the shapes as FE does.

use tch::Tensor;

use crate::backend::{binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy};
use crate::error::{FeError, Result};
use crate::op::tensor::{NetState, TensorOp};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::util::option_strings;

/// Which cross entropy to compute.
///
/// Parses from FE's strings `"categorical"`, `"sparse"`, `"binary"` (and prints as them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossEntropyForm {
    /// One-hot (or soft) targets, `[batch, classes]`.
    Categorical,
    /// Integer class targets, `[batch]` or `[batch, 1]`.
    Sparse,
    /// Binary targets with a single probability per output.
    Binary,
}

option_strings!(CrossEntropyForm, "CrossEntropy", "form", {
    CrossEntropyForm::Categorical => "categorical",
    CrossEntropyForm::Sparse => "sparse",
    CrossEntropyForm::Binary => "binary",
});

/// Cross entropy between inputs `[y_pred, y_true]`. With no explicit form: a prediction of shape
/// `[batch, C>1]` is categorical if `y_true` is also `[batch, C>1]`, sparse otherwise; any other
/// prediction is binary. Predictions are probabilities unless `from_logits`.
///
/// ```
/// use fastestimator::op::tensor::{CrossEntropy, NetState, TensorOp};
/// use fastestimator::util::Mode;
/// use tch::Tensor;
/// let mut ce = CrossEntropy::new(["y_pred", "y"], "ce");
/// let pred = Tensor::from_slice(&[0.1f32, 0.8, 0.1, 0.9, 0.05, 0.05, 0.1, 0.2, 0.7]).reshape([3, 3]);
/// let y = Tensor::from_slice(&[0i64, 1, 0]).reshape([3, 1]);
/// let mut st = NetState::new(Mode::Train, 1);
/// let out = ce.forward(vec![pred, y], &mut st).unwrap();
/// assert!((out[0].double_value(&[]) - 2.5336342).abs() < 1e-5);
/// ```
pub struct CrossEntropy {
    io: OpIo,
    from_logits: bool,
    average_loss: bool,
    form: Option<CrossEntropyForm>,
}
impl_has_io!(CrossEntropy);

impl CrossEntropy {
    /// Cross entropy of `[y_pred, y_true]` written to `outputs`; runs in every mode but infer.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        CrossEntropy {
            io: OpIo::new(inputs, outputs).with_default_mode("!infer"),
            from_logits: false,
            average_loss: true,
            form: None,
        }
    }

    /// Treat predictions as logits.
    pub fn from_logits(mut self, from_logits: bool) -> Self {
        self.from_logits = from_logits;
        self
    }

    /// Return the mean (true, default) or per-sample losses (false).
    pub fn average_loss(mut self, average: bool) -> Self {
        self.average_loss = average;
        self
    }

    /// Force a form instead of inferring it.
    pub fn form(mut self, form: CrossEntropyForm) -> Self {
        self.form = Some(form);
        self
    }

    fn infer_form(y_pred: &Tensor, y_true: &Tensor) -> CrossEntropyForm {
        let (p, t) = (y_pred.size(), y_true.size());
        if p.len() == 2 && p[1] > 1 {
            if t.len() == 2 && t[1] > 1 {
                CrossEntropyForm::Categorical
            } else {
                CrossEntropyForm::Sparse
            }
        } else {
            CrossEntropyForm::Binary
        }
    }

    fn check_shapes(&self, form: CrossEntropyForm, y_pred: &Tensor, y_true: &Tensor) -> Result<()> {
        let (p, t) = (y_pred.size(), y_true.size());
        let ok = match form {
            CrossEntropyForm::Categorical | CrossEntropyForm::Binary => p == t,
            CrossEntropyForm::Sparse => !p.is_empty() && t.first() == p.first() && t.iter().skip(1).all(|&d| d == 1),
        };
        if ok {
            return Ok(());
        }
        Err(FeError::ShapeMismatch {
            op: format!("CrossEntropy ({form:?})"),
            left_key: self.io.inputs[0].clone(),
            left_shape: p,
            right_key: self.io.inputs[1].clone(),
            right_shape: t,
        })
    }
}

impl TensorOp for CrossEntropy {
    fn name(&self) -> String {
        "CrossEntropy".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        let [y_pred, y_true] = <[Tensor; 2]>::try_from(data).map_err(|d| {
            FeError::param("CrossEntropy", "inputs", format!("expects [y_pred, y_true], got {} keys", d.len()))
        })?;
        let y_true = if y_true.device() != y_pred.device() { y_true.to_device(y_pred.device()) } else { y_true };
        let form = self.form.unwrap_or_else(|| Self::infer_form(&y_pred, &y_true));
        self.check_shapes(form, &y_pred, &y_true)?;
        let loss = match form {
            CrossEntropyForm::Categorical => {
                categorical_crossentropy(&y_pred, &y_true, self.from_logits, self.average_loss)
            }
            CrossEntropyForm::Sparse => {
                // The backend checks the labels first; its error is named after this op and key.
                sparse_categorical_crossentropy(&y_pred, &y_true, self.from_logits, self.average_loss).map_err(|e| {
                    match e {
                        FeError::LabelOutOfRange { value, classes, .. } => FeError::LabelOutOfRange {
                            op: "CrossEntropy".into(),
                            key: self.io.inputs[1].clone(),
                            value,
                            classes,
                        },
                        other => other,
                    }
                })?
            }
            CrossEntropyForm::Binary => binary_crossentropy(&y_pred, &y_true, self.from_logits, self.average_loss),
        };
        Ok(vec![loss])
    }
}

impl super::LossOp for CrossEntropy {
    fn average_loss_enabled(&self) -> bool {
        self.average_loss
    }

    fn set_average_loss(&mut self, average: bool) {
        self.average_loss = average;
    }
}
