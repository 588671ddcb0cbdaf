//! `UpdateOp`: backpropagate a loss into a model and step its optimizer.

use tch::Tensor;

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::network::Model;
use crate::op::{impl_has_io, OpIo};

/// Update `model` from the loss under `loss_name` (mean-reduced). Runs in `train` mode by
/// default and never during warmup.
pub struct UpdateOp {
    io: OpIo,
    model: Model,
}
impl_has_io!(UpdateOp);

impl UpdateOp {
    /// Update `model` with the loss stored under `loss_name`.
    pub fn new(model: &Model, loss_name: &str) -> Self {
        UpdateOp {
            io: OpIo::new(loss_name, ()).with_default_mode("train"),
            model: model.clone(),
        }
    }
}

impl TensorOp for UpdateOp {
    fn name(&self) -> String {
        format!("UpdateOp({})", self.model.name())
    }

    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        if state.warmup {
            return Ok(Vec::new());
        }
        let loss = data
            .first()
            .ok_or_else(|| FeError::param(self.name(), "loss_name", "no loss key given"))?;
        if !loss.requires_grad() {
            return Err(FeError::Model {
                model: self.model.name(),
                reason: format!("loss {:?} does not depend on any trainable weight (computed without gradients?)", self.io.inputs[0]),
            });
        }
        self.model.update(loss)?;
        Ok(Vec::new())
    }

    fn models(&self) -> Vec<Model> {
        vec![self.model.clone()]
    }

    fn loss_keys(&self) -> Vec<String> {
        self.io.inputs.clone()
    }
}
