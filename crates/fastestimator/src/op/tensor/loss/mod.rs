//! Loss ops (FE's `fe.op.tensorop.loss`). Each reads `[y_pred, y_true]` (L2Regularization: a
//! loss), runs in every mode but infer by default, and writes the batch mean or, with
//! `average_loss(false)`, one value per sample.

mod cross_entropy;
mod dice_loss;
mod focal_loss;
mod hinge;
mod l1_loss;
mod l2_regularization;
mod loss_op;
mod mean_squared_error;
mod super_loss;

pub use cross_entropy::{CrossEntropy, CrossEntropyForm};
pub use dice_loss::DiceLoss;
pub use focal_loss::FocalLoss;
pub use hinge::Hinge;
pub use l1_loss::{L1Loss, L1LossType, L1_Loss};
pub use l2_regularization::L2Regularization;
pub use loss_op::LossOp;
pub use mean_squared_error::MeanSquaredError;
pub use super_loss::{SuperLoss, SuperLossThreshold};

pub use crate::backend::LossReduction;
