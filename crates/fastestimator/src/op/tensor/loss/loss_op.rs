//! [`LossOp`]: what every loss op shares (FE's `LossOp` base), and the input checks they use.

use tch::{Kind, Tensor};

use crate::error::{FeError, Result};
use crate::op::tensor::TensorOp;
use crate::op::OpIo;

/// A loss op (FE's `LossOp`): it reads `[y_pred, y_true]` and writes either the batch mean of the
/// loss or one value per sample. [`super::SuperLoss`] wraps any `LossOp`.
pub trait LossOp: TensorOp {
    /// Whether the op writes the batch mean (true) or per-sample values (false).
    fn average_loss_enabled(&self) -> bool;

    /// Write the batch mean (true) or per-sample values (false).
    fn set_average_loss(&mut self, average: bool);
}

/// Split `[y_pred, y_true]`, moving `y_true` to the device of `y_pred`.
pub(crate) fn pred_and_true(op: &str, data: Vec<Tensor>) -> Result<(Tensor, Tensor)> {
    let [y_pred, y_true] = <[Tensor; 2]>::try_from(data)
        .map_err(|d| FeError::param(op, "inputs", format!("expects [y_pred, y_true], got {} keys", d.len())))?;
    let y_true = if y_true.device() != y_pred.device() { y_true.to_device(y_pred.device()) } else { y_true };
    Ok((y_pred, y_true))
}

/// Fail with [`FeError::ShapeMismatch`], naming both keys and both shapes, unless the prediction and
/// the target have the same shape.
pub(crate) fn check_same_shape(op: &str, io: &OpIo, y_pred: &Tensor, y_true: &Tensor) -> Result<()> {
    let (p, t) = (y_pred.size(), y_true.size());
    if p == t {
        return Ok(());
    }
    Err(FeError::ShapeMismatch {
        op: op.to_string(),
        left_key: io.inputs.first().cloned().unwrap_or_default(),
        left_shape: p,
        right_key: io.inputs.get(1).cloned().unwrap_or_default(),
        right_shape: t,
    })
}

/// A backend error reported as coming from `op`: parameter and mismatch errors name the op.
pub(crate) fn from_op(op: &str, error: FeError) -> FeError {
    match error {
        FeError::InvalidParameter { param, reason, .. } => {
            FeError::InvalidParameter { component: op.to_string(), param, reason }
        }
        FeError::ShapeMismatch { left_key, left_shape, right_key, right_shape, .. } => {
            FeError::ShapeMismatch { op: op.to_string(), left_key, left_shape, right_key, right_shape }
        }
        FeError::UnexpectedShape { key, expected, got, .. } => {
            FeError::UnexpectedShape { op: op.to_string(), key, expected, got }
        }
        other => other,
    }
}

/// The batch mean of a per-sample loss when `average`, the loss itself otherwise.
pub(crate) fn average_if(loss: Tensor, average: bool) -> Tensor {
    if average {
        let kind = if loss.kind() == Kind::Double { Kind::Double } else { Kind::Float };
        loss.mean(kind)
    } else {
        loss
    }
}

/// The constructor, `average_loss` builder, [`TensorOp`] and [`LossOp`] impls of a loss op with
/// inputs `[y_pred, y_true]` of the same shape whose per-sample loss is `backend(&y_pred,
/// &y_true)` (Hinge, MeanSquaredError). The struct (`io: OpIo, average_loss: bool`) and its docs
/// stay in the op's own file.
macro_rules! pairwise_loss_op {
    ($name:ident, $backend:path, $what:literal) => {
        $crate::op::impl_has_io!($name);

        impl $name {
            #[doc = concat!($what, " of `[y_pred, y_true]` written to `outputs`; runs in every mode but infer.")]
            pub fn new(inputs: impl Into<$crate::op::Keys>, outputs: impl Into<$crate::op::Keys>) -> Self {
                $name { io: $crate::op::OpIo::new(inputs, outputs).with_default_mode("!infer"), average_loss: true }
            }

            /// Return the mean (true, default) or per-sample losses (false).
            pub fn average_loss(mut self, average: bool) -> Self {
                self.average_loss = average;
                self
            }
        }

        impl $crate::op::tensor::TensorOp for $name {
            fn name(&self) -> String {
                stringify!($name).into()
            }

            fn forward(
                &mut self,
                data: Vec<tch::Tensor>,
                _state: &mut $crate::op::tensor::NetState,
            ) -> $crate::error::Result<Vec<tch::Tensor>> {
                let op = stringify!($name);
                let (y_pred, y_true) = $crate::op::tensor::loss::loss_op::pred_and_true(op, data)?;
                $crate::op::tensor::loss::loss_op::check_same_shape(op, &self.io, &y_pred, &y_true)?;
                let loss = $backend(&y_pred, &y_true)?;
                Ok(vec![$crate::op::tensor::loss::loss_op::average_if(loss, self.average_loss)])
            }
        }

        impl $crate::op::tensor::loss::loss_op::LossOp for $name {
            fn average_loss_enabled(&self) -> bool {
                self.average_loss
            }

            fn set_average_loss(&mut self, average: bool) {
                self.average_loss = average;
            }
        }
    };
}
pub(crate) use pairwise_loss_op;

#[cfg(test)]
pub(crate) mod test_util {
    use tch::Tensor;

    use crate::op::tensor::NetState;
    use crate::util::Mode;

    /// A train-mode state at epoch 1.
    pub(crate) fn train_state() -> NetState {
        NetState::new(Mode::Train, 1)
    }

    /// FE case 24's one-hot targets.
    pub(crate) fn onehot_true() -> Tensor {
        Tensor::from_slice(&[0i64, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0]).reshape([4, 4])
    }

    /// FE case 24's predictions.
    pub(crate) fn case24_pred() -> Tensor {
        Tensor::from_slice(&[0.1f32, 0.9, 0.05, 0.05, 0.1, 0.2, 0.0, 0.7, 0.0, 0.15, 0.8, 0.05, 1.0, 0.0, 0.0, 0.0])
            .reshape([4, 4])
    }

    /// All values of a tensor as `f64`.
    pub(crate) fn values(t: &Tensor) -> Vec<f64> {
        Vec::<f64>::try_from(t.to_kind(tch::Kind::Double).reshape([-1])).unwrap()
    }

    /// Assert elementwise closeness.
    pub(crate) fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < tol, "{got:?} vs {want:?}");
        }
    }
}
