//! The Network: trainable models plus the TensorOps around them (FE's `fe.Network`, `fe.build`).

mod base;
mod build;
mod model;
mod optimizer;

pub use base::{Network, TensorMap};
pub use build::{build, build_named};
pub use model::{FeModel, Model};
pub use optimizer::{OptimizerArg, OptimizerSpec};
