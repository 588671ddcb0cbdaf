//! Gradient ops: `Watch`, `GradientOp`, `FGSM`.

use tch::{Kind, Tensor};

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::{impl_has_io, Keys, OpIo};

/// Make input tensors record gradients, so later ops can differentiate with respect to them,
/// in any mode (FE's `Watch`).
pub struct Watch {
    io: OpIo,
}
impl_has_io!(Watch);

impl Watch {
    /// Watch `inputs`.
    pub fn new(inputs: impl Into<Keys>) -> Self {
        Watch { io: OpIo::new(inputs, ()) }
    }
}

impl TensorOp for Watch {
    fn name(&self) -> String {
        "Watch".into()
    }
    fn forward(&mut self, _data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        Ok(Vec::new())
    }
    fn watch_keys(&self) -> Vec<String> {
        self.io.inputs.clone()
    }
    fn needs_grad(&self) -> bool {
        true
    }
}

fn grads_of(final_: &Tensor, sources: &[Tensor], context: &str, final_key: &str) -> Result<Vec<Tensor>> {
    let target = if final_.dim() == 0 { final_.shallow_clone() } else { final_.sum(Kind::Float) };
    if !target.requires_grad() {
        return Err(FeError::NoGradient {
            op: context.into(),
            key: final_key.into(),
            reason: "does not depend on anything that records gradients".into(),
        });
    }
    Tensor::f_run_backward(&[target], sources, true, false).map_err(|e| FeError::torch(context.to_string(), e))
}

/// Gradients of `finals` (summed if not scalar) with respect to input tensors (one output per
/// input key), or with respect to a model's trainable variables (one output: all gradients
/// flattened and concatenated, the form `UpdateOp::gradients` applies). The graph is kept.
pub struct GradientOp {
    io: OpIo,
    model: Option<Model>,
}
impl_has_io!(GradientOp);

impl GradientOp {
    /// Gradients of `finals` with respect to the tensors under `inputs`.
    pub fn new(finals: &str, inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        let inputs = inputs.into();
        let mut all = vec![finals.to_string()];
        all.extend(inputs.0);
        GradientOp { io: OpIo::new(all, outputs), model: None }
    }

    /// Gradients of `finals` with respect to `model`'s trainable variables, written flat to `output`.
    pub fn for_model(finals: &str, model: &Model, output: &str) -> Self {
        GradientOp { io: OpIo::new(finals, output), model: Some(model.clone()) }
    }
}

impl TensorOp for GradientOp {
    fn name(&self) -> String {
        "GradientOp".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        let (final_, sources) = data.split_first().ok_or_else(|| FeError::param("GradientOp", "finals", "missing"))?;
        match &self.model {
            Some(m) => {
                let grads = grads_of(final_, &m.trainable_variables(), "GradientOp", &self.io.inputs[0])?;
                let flat: Vec<Tensor> = grads.iter().map(|g| g.reshape([-1])).collect();
                Ok(vec![Tensor::cat(&flat, 0)])
            }
            None => {
                if sources.len() != self.io.outputs.len() {
                    return Err(FeError::param("GradientOp", "outputs", "give one output key per input key"));
                }
                grads_of(final_, sources, "GradientOp", &self.io.inputs[0])
            }
        }
    }

    fn models(&self) -> Vec<Model> {
        self.model.iter().cloned().collect()
    }
    fn watch_keys(&self) -> Vec<String> {
        self.io.inputs.iter().skip(1).cloned().collect()
    }
    fn needs_grad(&self) -> bool {
        true
    }
}

/// Fast Gradient Sign Method: `x + epsilon · sign(∂loss/∂x)`, optionally clipped (FE's `FGSM`).
/// The data key is watched automatically, so the loss must be computed from it before this op.
pub struct FGSM {
    io: OpIo,
    epsilon: f64,
    clip: (Option<f64>, Option<f64>),
}
impl_has_io!(FGSM);

impl FGSM {
    /// Adversarial version of `data` against `loss`, written to `output`; epsilon 0.01.
    pub fn new(data: &str, loss: &str, output: &str) -> Self {
        FGSM { io: OpIo::new([data, loss], output), epsilon: 0.01, clip: (None, None) }
    }
    /// Step size.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }
    /// Clip the result into `[low, high]`.
    pub fn clip(mut self, low: Option<f64>, high: Option<f64>) -> Self {
        self.clip = (low, high);
        self
    }
}

impl TensorOp for FGSM {
    fn name(&self) -> String {
        "FGSM".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        let [x, loss] =
            <[Tensor; 2]>::try_from(data).map_err(|_| FeError::param("FGSM", "inputs", "expects [data, loss]"))?;
        if !x.requires_grad() {
            return Err(FeError::NoGradient {
                op: "FGSM".into(),
                key: self.io.inputs[0].clone(),
                reason: "does not record gradients; it must come from the batch, not be computed without gradients"
                    .into(),
            });
        }
        let g = grads_of(&loss, std::slice::from_ref(&x), "FGSM", &self.io.inputs[1])?.remove(0);
        let mut adv = (x.detach() + g.sign() * self.epsilon).detach();
        if let Some(lo) = self.clip.0 {
            adv = adv.clamp_min(lo);
        }
        if let Some(hi) = self.clip.1 {
            adv = adv.clamp_max(hi);
        }
        Ok(vec![adv])
    }

    fn watch_keys(&self) -> Vec<String> {
        vec![self.io.inputs[0].clone()]
    }
    fn needs_grad(&self) -> bool {
        true
    }
}
