//! `ModelOp`: the forward pass of a model.

use tch::Tensor;

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::{impl_has_io, Keys, OpIo};
use crate::util::Mode;

/// Run `model` on the input key(s) and write its prediction (plus any `intermediate_layers`).
/// The model is in training mode (dropout, batch-norm updates) only in `train` mode and when
/// `trainable`; gradients are recorded in `train` mode, or when a gradient op needs them, unless
/// `gradients(false)`. Several input keys are passed to the model positionally.
pub struct ModelOp {
    io: OpIo,
    model: Model,
    trainable: bool,
    gradients: bool,
    layers: Vec<String>,
    n_outputs: usize,
}
impl_has_io!(ModelOp);

impl ModelOp {
    /// Run `model` on `inputs`, writing `outputs`.
    pub fn new(model: &Model, inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        let io = OpIo::new(inputs, outputs);
        let n_outputs = io.outputs.len();
        ModelOp { io, model: model.clone(), trainable: true, gradients: true, layers: Vec::new(), n_outputs }
    }

    /// Freeze the model's train-mode behaviour (FE's `trainable=False`).
    pub fn trainable(mut self, trainable: bool) -> Self {
        self.trainable = trainable;
        self
    }

    /// Record no gradients through this model (FE's `gradients=False`).
    pub fn gradients(mut self, gradients: bool) -> Self {
        self.gradients = gradients;
        self
    }

    /// Also output these named intermediate layers, under `keys` (one key per layer). An
    /// unknown layer, or a key count that differs from the layer count, is reported as
    /// [`FeError::InvalidParameter`] when the Network is built.
    pub fn intermediate_layers(mut self, layers: &[&str], keys: &[&str]) -> Self {
        let known = self.model.layer_names();
        if layers.len() != keys.len() {
            self.io.reject("intermediate_layers", "give one output key per layer");
        } else if let Some(bad) = layers.iter().find(|l| !known.iter().any(|k| k == *l)) {
            let reason = format!("model {} has no layer {bad:?}; it exposes {known:?}", self.model.name());
            self.io.reject("intermediate_layers", reason);
        } else {
            self.layers = layers.iter().map(|s| s.to_string()).collect();
            self.io.outputs.truncate(self.n_outputs);
            self.io.outputs.extend(keys.iter().map(|s| s.to_string()));
        }
        self
    }
}

impl TensorOp for ModelOp {
    fn name(&self) -> String {
        format!("ModelOp({})", self.model.name())
    }

    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        if data.is_empty() {
            return Err(FeError::param(self.name(), "inputs", "needs at least one input key"));
        }
        let training = state.mode == Mode::Train && self.trainable;
        let mixed = self.model.mixed_precision();
        let run = || tch::autocast(mixed, || self.model.forward_layers(&self.io.inputs, &data, training, &self.layers));
        let (y, extra) = if state.req_grad && self.gradients { run()? } else { tch::no_grad(run)? };
        let mut out = vec![y];
        out.extend(extra);
        Ok(out)
    }

    fn models(&self) -> Vec<Model> {
        vec![self.model.clone()]
    }
}
