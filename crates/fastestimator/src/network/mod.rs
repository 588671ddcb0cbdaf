//! The Network: trainable models plus the TensorOps around them (FE's `fe.Network`, `fe.build`).

mod base;
mod build;
pub(crate) use build::reset_build_count;
mod loss_scaler;
mod model;
mod optimizer;

pub use base::{Network, TensorMap};
pub use build::{build, build_named, build_with, default_device, BuildOptions};
pub use loss_scaler::LossScaler;
pub use model::{FeModel, Model};
pub use optimizer::{OptimizerArg, OptimizerSpec};
