//! Backend functions over `tch` tensors (FE's `fe.backend`). Ops and traces use these instead of
//! raw libtorch calls, so tensor details stay in one place.

mod convert;
mod dice_score;
mod elementwise_loss;
mod focal_loss;
mod l2_regularization;
mod lambertw;
mod loss;
mod loss_common;
mod model_io;

pub use convert::{tensor_to_value, to_number, to_tensor};
pub use dice_score::{dice_score, DiceScoreOptions};
pub use elementwise_loss::{hinge, huber, l1_loss, mean_squared_error, smooth_l1_loss};
pub use focal_loss::{focal_loss, FocalLossOptions, LossReduction};
pub use l2_regularization::l2_regularization;
pub use lambertw::lambertw;
pub use loss::{binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy};
pub(crate) use loss_common::check_probabilities;
pub use model_io::{load_model, save_model};

use tch::Tensor;

/// Argmax along `axis` (FE's default axis is 0; for a batch of logits use 1 or -1).
pub fn argmax(tensor: &Tensor, axis: i64) -> Tensor {
    tensor.argmax(axis, false)
}

/// Mean of all elements.
pub fn reduce_mean(tensor: &Tensor) -> Tensor {
    tensor.mean(tensor.kind())
}

/// Clip every element into `[min, max]`.
pub fn clip_by_value(tensor: &Tensor, min: f64, max: f64) -> Tensor {
    tensor.clamp(min, max)
}

/// Whether the tensor holds any NaN or infinite value.
pub fn check_nan(tensor: &Tensor) -> bool {
    !bool::try_from(tensor.isfinite().all()).unwrap_or(false)
}

/// The learning rate of a model's optimizer (`None` for a model without one).
pub fn get_lr(model: &crate::network::Model) -> Option<f64> {
    model.lr()
}

/// Set the learning rate of a model's optimizer.
pub fn set_lr(model: &crate::network::Model, lr: f64) -> crate::Result<()> {
    model.set_lr(lr)
}
