//! TensorOps: batched tensor computations in the Network (FE's `fe.op.tensorop`).

mod augmentation;
mod gather;
mod gradient;
mod lambda;
pub mod loss;
pub mod meta;
mod model_op;
mod normalize;
mod resize3d;
mod scheduled;
mod shape_ops;
mod un_hadamard;
mod update_op;

pub use augmentation::{CutMixBatch, MixUpBatch};
pub use gather::Gather;
pub use gradient::{GradientOp, Watch, FGSM};
pub use lambda::{Delete, LambdaOp};
pub use loss::{
    CrossEntropy, DiceLoss, FocalLoss, Hinge, L1Loss, L1LossType, L1_Loss, L2Regularization, LossOp, MeanSquaredError,
    SuperLoss, SuperLossThreshold,
};
pub use meta::{Fuse, OneOf, Repeat, Sometimes};
pub use model_op::ModelOp;
pub use normalize::Normalize;
pub use resize3d::{Resize3D, ResizeMode};
pub use scheduled::ScheduledTensorOp;
pub use shape_ops::{Argmax, Average, Permute, Reshape};
pub use un_hadamard::{hadamard, UnHadamard};
pub use update_op::UpdateOp;

use tch::Tensor;

use crate::error::Result;
use crate::model::Model;
use crate::op::HasIo;
use crate::util::{seeded_rng, FeRng, Mode};

/// What a TensorOp knows about the step it runs in.
#[derive(Debug, Clone)]
pub struct NetState {
    /// The mode being run.
    pub mode: Mode,
    /// The 1-based epoch.
    pub epoch: usize,
    /// The dataset id ("" for a single dataset).
    pub ds_id: String,
    /// Whether this is the warmup step (no weight may change).
    pub warmup: bool,
    /// Whether gradients are recorded: in train mode, or when a gradient op runs in this mode.
    pub req_grad: bool,
    /// The global step in train mode, the batch index otherwise (seeds per-step randomness).
    pub step: u64,
    /// The run seed.
    pub seed: u64,
    /// Position of the running op among the step's active ops.
    pub op_index: u64,
}

impl NetState {
    /// A state for `mode` at `epoch`, step 1, not warmup, seed 0; gradients recorded in train.
    pub fn new(mode: Mode, epoch: usize) -> Self {
        NetState {
            mode,
            epoch,
            ds_id: String::new(),
            warmup: false,
            req_grad: mode == Mode::Train,
            step: 1,
            seed: 0,
            op_index: 0,
        }
    }

    /// A random stream for the running op in this step: the same for the same seed, mode,
    /// epoch, step and op position, whatever else runs.
    pub fn rng(&self) -> FeRng {
        seeded_rng(self.seed, &[self.mode as u64, self.epoch as u64, self.step, self.op_index])
    }
}

/// A computation on batched tensors (FE's `TensorOp`).
pub trait TensorOp: HasIo + Send {
    /// The op's name, as shown in errors.
    fn name(&self) -> String;

    /// Compute the output tensors from the input tensors (in key order).
    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>>;

    /// The models this op runs or updates.
    fn models(&self) -> Vec<Model> {
        Vec::new()
    }

    /// The loss keys this op optimises (UpdateOp).
    fn loss_keys(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether running the op removes its input keys (Delete).
    fn removes_inputs(&self) -> bool {
        false
    }

    /// Input keys whose tensors must record gradients before the step starts (Watch, FGSM,
    /// GradientOp).
    fn watch_keys(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether this op needs gradients even outside train mode (gradient ops).
    fn needs_grad(&self) -> bool {
        false
    }

    /// Epochs at which the op changes (a [`ScheduledTensorOp`]), for planning.
    fn change_epochs(&self, _total_epochs: usize) -> Vec<usize> {
        vec![1]
    }

    /// Whether the op does anything at `epoch` (a [`ScheduledTensorOp`] may hold `None`).
    fn active_at(&self, _epoch: usize) -> bool {
        true
    }

    /// Whether this is an UpdateOp (trailing UpdateOps are deferred).
    fn is_update(&self) -> bool {
        false
    }

    /// Defer the weight update to the end of the step (set by the Network).
    fn set_deferred(&mut self, _deferred: bool) {}

    /// Apply a deferred update, after every op of the step has run.
    fn apply_deferred(&mut self) -> Result<()> {
        Ok(())
    }
}
