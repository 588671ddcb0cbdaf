//! Cross-entropy losses with FE's semantics (probability inputs are clipped to `[1e-7, 1 - 1e-7]`).

use tch::{Kind, Reduction, Tensor};

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
pub fn sparse_categorical_crossentropy(
    y_pred: &Tensor,
    y_true: &Tensor,
    from_logits: bool,
    average_loss: bool,
) -> Tensor {
    let target = y_true.to_kind(Kind::Int64).reshape([-1]);
    let per_sample = if from_logits {
        y_pred.to_kind(Kind::Float).cross_entropy_loss::<Tensor>(&target, None, Reduction::None, -100, 0.0)
    } else {
        let log_p = y_pred.to_kind(Kind::Float).clamp(EPSILON, 1.0 - EPSILON).log();
        -log_p.gather(-1, &target.unsqueeze(-1), false).squeeze_dim(-1)
    };
    reduce(per_sample, average_loss)
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
