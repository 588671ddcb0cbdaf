//! Backend functions over `tch` tensors (FE's `fe.backend`). Ops and traces use these instead of
//! raw libtorch calls, so tensor details stay in one place.

mod activation;
mod convert;
mod cuda;
mod dice_score;
mod elementwise_loss;
mod focal_loss;
mod guard;
mod lambertw;
mod loss;
mod loss_common;

pub use activation::{f_leaky_relu, leaky_relu};
pub use convert::{tensor_to_value, to_number, to_tensor};
pub use cuda::load_cuda;
pub use dice_score::{dice_score, DiceScoreOptions};
pub use elementwise_loss::{hinge, huber, l1_loss, mean_squared_error, smooth_l1_loss};
pub use focal_loss::{focal_loss, FocalLossOptions, LossReduction};
pub(crate) use guard::catch_torch;
pub use lambertw::lambertw;
pub use loss::{binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy};
pub(crate) use loss_common::check_probabilities;
// FE's model-facing backend functions live with the model; they keep their `fe::backend` paths.
pub use crate::model::{get_lr, l2_regularization, load_model, optimizer_path, save_model, set_lr, update_model};

use tch::Tensor;

/// Argmax along `axis` (FE's default axis is 0; for a batch of logits use 1 or -1).
pub fn argmax(tensor: &Tensor, axis: i64) -> Tensor {
    tensor.argmax(axis, false)
}

/// Mean over `axes` (all axes when empty), keeping them as size 1 with `keepdims`.
pub fn reduce_mean(tensor: &Tensor, axes: &[i64], keepdims: bool) -> Tensor {
    let t = if tensor.is_floating_point() { tensor.shallow_clone() } else { tensor.to_kind(tch::Kind::Float) };
    if axes.is_empty() {
        t.mean(t.kind())
    } else {
        t.mean_dim(axes, keepdims, t.kind())
    }
}

/// Sum over `axes` (all axes when empty).
pub fn reduce_sum(tensor: &Tensor, axes: &[i64], keepdims: bool) -> Tensor {
    if axes.is_empty() {
        tensor.sum(tensor.kind())
    } else {
        tensor.sum_dim_intlist(axes, keepdims, tensor.kind())
    }
}

/// Maximum over `axes` (all axes when empty).
pub fn reduce_max(tensor: &Tensor, axes: &[i64], keepdims: bool) -> Tensor {
    if axes.is_empty() {
        tensor.max()
    } else {
        tensor.amax(axes, keepdims)
    }
}

/// Minimum over `axes` (all axes when empty).
pub fn reduce_min(tensor: &Tensor, axes: &[i64], keepdims: bool) -> Tensor {
    if axes.is_empty() {
        tensor.min()
    } else {
        tensor.amin(axes, keepdims)
    }
}

/// Population standard deviation over `axes` (all axes when empty), as numpy's default.
pub fn reduce_std(tensor: &Tensor, axes: &[i64], keepdims: bool) -> Tensor {
    let t = tensor.to_kind(tch::Kind::Float);
    if axes.is_empty() {
        t.std(false)
    } else {
        t.std_dim(axes, false, keepdims)
    }
}

/// Gradients of `target` (summed if not scalar) with respect to `sources`; the graph is kept
/// for further gradients (FE's `get_gradient`).
pub fn get_gradient(target: &Tensor, sources: &[Tensor]) -> crate::Result<Vec<Tensor>> {
    let target = if target.dim() == 0 { target.shallow_clone() } else { target.sum(tch::Kind::Float) };
    Tensor::f_run_backward(&[target], sources, true, false).map_err(|e| crate::FeError::torch("get_gradient", e))
}

/// A leaf copy of `tensor` that records gradients (FE's `watch`).
pub fn watch(tensor: &Tensor) -> Tensor {
    tensor.detach().set_requires_grad(true)
}

/// Clip every element into `[min, max]`.
pub fn clip_by_value(tensor: &Tensor, min: f64, max: f64) -> Tensor {
    tensor.clamp(min, max)
}

/// Whether the tensor holds any NaN or infinite value.
pub fn check_nan(tensor: &Tensor) -> bool {
    !bool::try_from(tensor.isfinite().all()).unwrap_or(false)
}
