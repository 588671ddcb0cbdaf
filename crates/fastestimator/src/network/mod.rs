//! The Network: trainable models plus the TensorOps around them (FE's `fe.Network`, `fe.build`).

mod base;
mod step_profile;

pub use base::Network;
pub use step_profile::StepProfile;
// The model layer and the batch type sit below the Network; their old paths stay valid.
pub use crate::model::{
    build, build_named, build_with, default_device, BuildOptions, FeModel, LossScaler, MemoryFormat, Model,
};
pub use crate::model::{OptimizerArg, OptimizerSpec};
pub use crate::value::TensorMap;
