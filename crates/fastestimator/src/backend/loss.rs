//! Cross-entropy losses with FE's semantics (probability inputs are clipped to `[1e-7, 1 - 1e-7]`).

use tch::{Kind, Reduction, Tensor};

use super::catch_torch;
use crate::error::{FeError, Result};

const EPSILON: f64 = 1e-7;

fn reduce(per_sample: Tensor, average_loss: bool) -> Tensor {
    if average_loss {
        per_sample.mean(Kind::Float)
    } else {
        per_sample
    }
}

/// Categorical cross entropy; `y_true` is one-hot (or soft) with the same shape as `y_pred`.
pub fn categorical_crossentropy(y_pred: &Tensor, y_true: &Tensor, from_logits: bool, average_loss: bool) -> Tensor {
    let y_true = y_true.to_kind(Kind::Float);
    let log_p = if from_logits {
        y_pred.log_softmax(-1, Kind::Float)
    } else {
        y_pred.to_kind(Kind::Float).clamp(EPSILON, 1.0 - EPSILON).log()
    };
    reduce(-(y_true * log_p).sum_dim_intlist(-1, false, Kind::Float), average_loss)
}

/// Sparse categorical cross entropy; `y_true` holds class indices, shape `[batch]` or `[batch, 1]`.
///
/// Every label must lie in `[0, classes)`, where `classes` is the size of `y_pred`'s last axis:
/// the labels are checked before any indexing, and one out of range is
/// [`FeError::LabelOutOfRange`] (on CUDA it would otherwise be a device-side assert that ruins the
/// whole context). A shape libtorch cannot take is [`FeError::Torch`].
///
/// ```
/// # use fastestimator as fe;
/// use tch::Tensor;
/// let probs = Tensor::from_slice(&[0.9f32, 0.1, 0.2, 0.8]).reshape([2, 2]);
/// let loss = fe::backend::sparse_categorical_crossentropy(&probs, &Tensor::from_slice(&[0i64, 1]), false, true)?;
/// assert!((loss.double_value(&[]) - 0.1643).abs() < 1e-4);
/// let bad = fe::backend::sparse_categorical_crossentropy(&probs, &Tensor::from_slice(&[0i64, 2]), false, true);
/// assert!(matches!(bad, Err(fe::FeError::LabelOutOfRange { value: 2, classes: 2, .. })));
/// # Ok::<(), fe::FeError>(())
/// ```
pub fn sparse_categorical_crossentropy(
    y_pred: &Tensor,
    y_true: &Tensor,
    from_logits: bool,
    average_loss: bool,
) -> Result<Tensor> {
    const NAME: &str = "sparse_categorical_crossentropy";
    let classes = y_pred.size().last().copied().unwrap_or(0);
    check_label_range(NAME, "y_true", y_true, classes)?;
    catch_torch(|| {
        let target = y_true.to_kind(Kind::Int64).reshape([-1]);
        let per_sample = if from_logits {
            y_pred.to_kind(Kind::Float).cross_entropy_loss::<Tensor>(&target, None, Reduction::None, -100, 0.0)
        } else {
            let log_p = y_pred.to_kind(Kind::Float).clamp(EPSILON, 1.0 - EPSILON).log();
            -log_p.gather(-1, &target.unsqueeze(-1), false).squeeze_dim(-1)
        };
        reduce(per_sample, average_loss)
    })
    .map_err(|reason| FeError::Torch { context: NAME.into(), reason })
}

/// Fail with [`FeError::LabelOutOfRange`] unless every class index in `labels` lies in
/// `[0, classes)`. Runs before any gather: on CUDA an out-of-range index is a device-side assert
/// that poisons the whole context, so it must never reach the kernel.
fn check_label_range(op: &str, key: &str, labels: &Tensor, classes: i64) -> Result<()> {
    if labels.numel() == 0 {
        return Ok(());
    }
    let labels = labels.to_kind(Kind::Int64);
    let low = labels.min().int64_value(&[]);
    let high = labels.max().int64_value(&[]);
    let bad = if low < 0 { low } else { high };
    if low < 0 || high >= classes {
        return Err(FeError::LabelOutOfRange { op: op.to_string(), key: key.to_string(), value: bad, classes });
    }
    Ok(())
}

/// Binary cross entropy, elementwise then averaged over the last axis per sample.
pub fn binary_crossentropy(y_pred: &Tensor, y_true: &Tensor, from_logits: bool, average_loss: bool) -> Tensor {
    let y_true = y_true.to_kind(Kind::Float);
    let y_pred = y_pred.to_kind(Kind::Float);
    let elementwise = if from_logits {
        y_pred.binary_cross_entropy_with_logits::<Tensor>(&y_true, None, None, Reduction::None)
    } else {
        let p = y_pred.clamp(EPSILON, 1.0 - EPSILON);
        let log_p = (&p + EPSILON).log();
        let log_not_p = ((p.neg() + 1.0) + EPSILON).log();
        -(&y_true * log_p + (y_true.neg() + 1.0) * log_not_p)
    };
    let per_sample = if elementwise.dim() > 1 { elementwise.mean_dim(-1, false, Kind::Float) } else { elementwise };
    reduce(per_sample, average_loss)
}
