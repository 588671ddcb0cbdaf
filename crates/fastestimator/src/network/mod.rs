//! The Network: trainable models plus the TensorOps around them (FE's `fe.Network`, `fe.build`).

mod build;
mod model;
mod network;
mod optimizer;

pub use build::{build, build_named};
pub use model::{FeModel, Model};
pub use network::{Network, TensorMap};
pub use optimizer::{OptimizerArg, OptimizerSpec};
