//! `ModelOp`: the forward pass of a model.

use tch::Tensor;

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::network::Model;
use crate::op::{impl_has_io, Keys, OpIo};
use crate::util::Mode;

/// Run `model` on the input key and write its prediction. The model is in training mode (dropout,
/// batch-norm updates) only in `train` mode and when `trainable`; gradients are recorded only in
/// `train` mode.
pub struct ModelOp {
    io: OpIo,
    model: Model,
    trainable: bool,
}
impl_has_io!(ModelOp);

impl ModelOp {
    /// Run `model` on `inputs`, writing `outputs`.
    pub fn new(model: &Model, inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ModelOp {
            io: OpIo::new(inputs, outputs),
            model: model.clone(),
            trainable: true,
        }
    }

    /// Freeze the model's train-mode behaviour (FE's `trainable=False`).
    pub fn trainable(mut self, trainable: bool) -> Self {
        self.trainable = trainable;
        self
    }
}

impl TensorOp for ModelOp {
    fn name(&self) -> String {
        format!("ModelOp({})", self.model.name())
    }

    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        let [x] = <[Tensor; 1]>::try_from(data).map_err(|d| {
            FeError::param(
                self.name(),
                "inputs",
                format!("expects one input key, got {}", d.len()),
            )
        })?;
        let key = &self.io.inputs[0];
        let training = state.mode == Mode::Train && self.trainable;
        let y = if state.mode == Mode::Train {
            self.model.forward(key, &x, training)?
        } else {
            tch::no_grad(|| self.model.forward(key, &x, false))?
        };
        Ok(vec![y])
    }

    fn models(&self) -> Vec<Model> {
        vec![self.model.clone()]
    }
}
