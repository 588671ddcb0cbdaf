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

pub use crate::op::numpy::univariate::hadamard;
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
pub use un_hadamard::UnHadamard;
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
    /// Whether an UpdateOp should hand its gradients over instead of applying them: the Network
    /// sets it for the UpdateOps that end it, so all of them see the weights from before the
    /// step (GANs).
    pub defer_updates: bool,
    /// The updates handed over while `defer_updates` was set, for the Network to apply after
    /// the last op of the step.
    pub deferred_updates: Vec<GradientUpdate>,
    /// Time spent stepping optimizers in this step (UpdateOp adds to it), for the step profile.
    pub optimizer_time: std::time::Duration,
}

/// Gradients for a model's trainable variables, to be applied by its optimizer: what a
/// deferred [`UpdateOp`] hands to the Network.
pub struct GradientUpdate {
    /// The model to update.
    pub model: Model,
    /// One gradient per trainable variable, in order (undefined: no gradient).
    pub gradients: Vec<Tensor>,
}

impl GradientUpdate {
    /// Step the model's optimizer with the gradients.
    pub fn apply(&self) -> Result<()> {
        self.model.apply_gradients(&self.gradients)
    }
}

impl Clone for GradientUpdate {
    fn clone(&self) -> Self {
        GradientUpdate {
            model: self.model.clone(),
            gradients: self.gradients.iter().map(Tensor::shallow_clone).collect(),
        }
    }
}

impl std::fmt::Debug for GradientUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GradientUpdate")
            .field("model", &self.model.name())
            .field("gradients", &self.gradients.len())
            .finish()
    }
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
            defer_updates: false,
            deferred_updates: Vec::new(),
            optimizer_time: std::time::Duration::ZERO,
        }
    }

    /// A random stream for the running op in this step: the same for the same seed, mode,
    /// epoch, step and op position, whatever else runs.
    pub fn rng(&self) -> FeRng {
        seeded_rng(self.seed, &[self.mode as u64, self.epoch as u64, self.step, self.op_index])
    }
}

/// A computation on batched tensors (FE's `TensorOp`).
pub trait TensorOp: HasIo + Send + std::any::Any {
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
}

/// The op the Network treats specially, found by its type: an [`UpdateOp`] steps a model's
/// optimizer, and the UpdateOps that end the Network run with [`NetState::defer_updates`] set
/// and hand their [`GradientUpdate`]s over.
pub(crate) trait NetworkRole {
    /// The op as an [`UpdateOp`], when it is one.
    fn as_update(&self) -> Option<&UpdateOp>;

    /// Whether the op does anything at `epoch`: a [`ScheduledTensorOp`] may hold `None` there;
    /// every other op always runs.
    fn active_at(&self, epoch: usize) -> bool;
}

impl NetworkRole for dyn TensorOp {
    fn as_update(&self) -> Option<&UpdateOp> {
        (self as &dyn std::any::Any).downcast_ref()
    }

    fn active_at(&self, epoch: usize) -> bool {
        (self as &dyn std::any::Any).downcast_ref::<ScheduledTensorOp>().is_none_or(|s| s.is_active_at(epoch))
    }
}
