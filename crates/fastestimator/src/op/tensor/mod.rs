//! TensorOps: batched tensor computations in the Network (FE's `fe.op.tensorop`).

pub mod loss;
mod model_op;
mod update_op;

pub use loss::CrossEntropy;
pub use model_op::ModelOp;
pub use update_op::UpdateOp;

use tch::Tensor;

use crate::error::Result;
use crate::network::Model;
use crate::op::HasIo;
use crate::util::Mode;

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
}
