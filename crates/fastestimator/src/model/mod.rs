//! Trainable models: the [`Model`] handle, [`FeModel`], [`build`] with its automatic names, the
//! optimizers (with their state), the mixed-precision loss scaler, saving and loading. This layer
//! sits below the ops: `ModelOp` and `UpdateOp` run a `Model`, and the [`crate::network::Network`]
//! above them orders the ops.

mod build;
mod fused_optim;
mod handle;
mod io;
mod l2_regularization;
mod loss_scaler;
mod memory_format;
mod optimizer;

pub use build::{build, build_named, build_with, default_device, BuildOptions};
pub use handle::{FeModel, Model};
pub use io::{get_lr, load_model, optimizer_path, save_model, set_lr, update_model};
pub use l2_regularization::l2_regularization;
pub use loss_scaler::LossScaler;
pub use memory_format::{to_channels_last, MemoryFormat};
pub use optimizer::{OptimizerArg, OptimizerSpec};
