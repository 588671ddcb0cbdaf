//! Checks and conversions shared by the loss functions of the backend.

use tch::{Kind, Tensor};

use crate::error::{FeError, Result};

/// The floating kind a loss is computed in: `Double` for double predictions, `Float` otherwise.
pub(crate) fn loss_kind(y_pred: &Tensor) -> Kind {
    if y_pred.kind() == Kind::Double {
        Kind::Double
    } else {
        Kind::Float
    }
}

/// `y_pred` and `y_true` in the loss kind, with `y_true` moved to the device of `y_pred`.
pub(crate) fn as_float_pair(y_pred: &Tensor, y_true: &Tensor) -> (Tensor, Tensor) {
    let kind = loss_kind(y_pred);
    let y_true =
        if y_true.device() != y_pred.device() { y_true.to_device(y_pred.device()) } else { y_true.shallow_clone() };
    (y_pred.to_kind(kind), y_true.to_kind(kind))
}

/// Fail with [`FeError::ShapeMismatch`] unless both tensors have the same shape.
pub(crate) fn check_same_shape(context: &str, y_pred: &Tensor, y_true: &Tensor) -> Result<()> {
    let (p, t) = (y_pred.size(), y_true.size());
    if p == t {
        return Ok(());
    }
    Err(FeError::ShapeMismatch {
        op: context.to_string(),
        left_key: "y_pred".into(),
        left_shape: p,
        right_key: "y_true".into(),
        right_shape: t,
    })
}

/// Fail with [`FeError::InvalidValue`] unless every element of `tensor` lies in `[0, 1]`.
pub(crate) fn check_probabilities(op: &str, key: &str, tensor: &Tensor) -> Result<()> {
    if tensor.numel() == 0 {
        return Ok(());
    }
    let t = tensor.detach().to_kind(Kind::Double);
    let (lo, hi) = (t.min().double_value(&[]), t.max().double_value(&[]));
    if lo >= 0.0 && hi <= 1.0 {
        return Ok(());
    }
    Err(FeError::InvalidValue {
        consumer: op.to_string(),
        key: key.to_string(),
        reason: format!(
            "probabilities must lie in [0, 1] but range over [{lo}, {hi}]; \
             set from_logits(true) for logits"
        ),
    })
}

/// Fail with [`FeError::InvalidParameter`] unless `value` is finite and strictly positive.
pub(crate) fn check_positive(component: &str, param: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(FeError::param(component, param, format!("must be a finite number greater than 0, got {value}")))
    }
}

/// Mean over every axis but the first: `[batch, ...]` becomes `[batch]`. A tensor of rank 0 or 1
/// already holds one value per sample and is returned as is.
pub(crate) fn per_sample_mean(elementwise: Tensor) -> Tensor {
    let dims: Vec<i64> = (1..elementwise.dim() as i64).collect();
    if dims.is_empty() {
        elementwise
    } else {
        let kind = elementwise.kind();
        elementwise.mean_dim(dims.as_slice(), false, kind)
    }
}
