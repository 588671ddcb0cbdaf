//! `UpdateOp`: backpropagate a loss into a model and step its optimizer.

use tch::Tensor;

use super::{GradientUpdate, NetState, TensorOp};
use crate::backend::check_nan;
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::{impl_has_io, OpIo};

/// Update `model` from the loss under `loss_name` (mean-reduced). Runs in `train` mode by
/// default and never during warmup.
///
/// - `merge_grad(n)`: accumulate gradients over `n` steps and apply their mean every `n`-th step.
/// - `gradients(key)`: apply precomputed gradients (a [`super::GradientOp`] on the model's
///   variables writes them as one flat tensor) instead of differentiating a loss.
/// - Deferral: when several UpdateOps end the network, each computes its model's gradients and
///   hands them to the Network as a [`GradientUpdate`] (see [`NetState::defer_updates`]); the
///   Network applies all of them after the last op, so a GAN's generator and discriminator both
///   see the weights from before the step.
/// - A non-finite loss stops training with [`FeError::NonFinite`] (epoch and step) unless
///   `allow_nan(true)`.
pub struct UpdateOp {
    io: OpIo,
    model: Model,
    merge_grad: usize,
    gradients_key: Option<String>,
    allow_nan: bool,
    accumulated: Option<Vec<Tensor>>,
    accumulated_steps: usize,
}
impl_has_io!(UpdateOp);

impl UpdateOp {
    /// Update `model` with the loss stored under `loss_name`.
    pub fn new(model: &Model, loss_name: &str) -> Self {
        UpdateOp {
            io: OpIo::new(loss_name, ()).with_default_mode("train"),
            model: model.clone(),
            merge_grad: 1,
            gradients_key: None,
            allow_nan: false,
            accumulated: None,
            accumulated_steps: 0,
        }
    }

    /// Accumulate gradients over `n` steps before each update. `n` must be at least 1; 0 is
    /// reported as [`FeError::InvalidParameter`] when the Network is built.
    pub fn merge_grad(mut self, n: usize) -> Self {
        if n == 0 {
            self.io.reject("merge_grad", "must be at least 1");
        } else {
            self.merge_grad = n;
        }
        self
    }

    /// Apply the precomputed gradients stored under `key` instead of differentiating the loss.
    pub fn gradients(mut self, key: &str) -> Self {
        self.io.inputs = vec![key.to_string()];
        self.gradients_key = Some(key.to_string());
        self
    }

    /// Keep training through a NaN or infinite loss (the step is still taken).
    pub fn allow_nan(mut self, allow: bool) -> Self {
        self.allow_nan = allow;
        self
    }

    /// Split a flat gradient tensor into one tensor per trainable variable.
    fn unflatten(&self, flat: &Tensor) -> Result<Vec<Tensor>> {
        let params = self.model.trainable_variables();
        let total: i64 = params.iter().map(|p| p.numel() as i64).sum();
        if flat.numel() as i64 != total {
            return Err(FeError::LengthMismatch {
                context: self.name(),
                what: format!(
                    "gradient values in {:?} (one per trainable value of model {})",
                    self.io.inputs[0],
                    self.model.name()
                ),
                expected: total as usize,
                got: flat.numel(),
            });
        }
        let flat = flat.reshape([-1]);
        let mut offset = 0;
        Ok(params
            .iter()
            .map(|p| {
                let n = p.numel() as i64;
                let g = flat.narrow(0, offset, n).reshape(p.size());
                offset += n;
                g
            })
            .collect())
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
        let input = data.first().ok_or_else(|| FeError::param(self.name(), "loss_name", "no loss key given"))?;
        let grads = if self.gradients_key.is_some() {
            self.unflatten(input)?
        } else {
            if !self.allow_nan && check_nan(input) {
                let value = input.mean(tch::Kind::Double).double_value(&[]);
                return Err(FeError::NonFinite {
                    key: self.io.inputs[0].clone(),
                    value,
                    epoch: state.epoch,
                    step: state.step,
                });
            }
            if !input.requires_grad() {
                return Err(FeError::Model {
                    model: self.model.name(),
                    reason: format!(
                        "loss {:?} does not depend on any trainable weight (computed without gradients?)",
                        self.io.inputs[0]
                    ),
                });
            }
            if self.model.mixed_precision() {
                match self.model.compute_scaled_gradients(input, state.defer_updates)? {
                    Some(grads) => grads,
                    None => {
                        crate::output::log(&format!(
                            "FastEstimator-UpdateOp: gradients of {} overflowed at step {}; skipped the update (loss scale now {})",
                            self.model.name(),
                            state.step,
                            self.model.loss_scale().unwrap_or(1.0)
                        ));
                        return Ok(Vec::new());
                    }
                }
            } else {
                self.model.compute_gradients(input, state.defer_updates)?
            }
        };
        // Data-parallel training: every rank steps with the mean of all ranks' gradients
        // (`Model::compute_gradients` averages during backward; given gradients are averaged here).
        if let (Some(group), true) = (crate::distributed::current(), self.gradients_key.is_some()) {
            group.average_gradients(&grads)?;
        }
        let grads = if self.merge_grad > 1 {
            let acc = match self.accumulated.take() {
                None => grads,
                Some(acc) => {
                    acc.iter().zip(&grads).map(|(a, g)| if g.defined() { a + g } else { a.shallow_clone() }).collect()
                }
            };
            self.accumulated_steps += 1;
            if self.accumulated_steps < self.merge_grad {
                self.accumulated = Some(acc);
                return Ok(Vec::new());
            }
            self.accumulated_steps = 0;
            let n = self.merge_grad as f64;
            acc.into_iter().map(|g| g / n).collect()
        } else {
            grads
        };
        if state.defer_updates {
            state.deferred_updates.push(GradientUpdate { model: self.model.clone(), gradients: grads });
        } else {
            let start = std::time::Instant::now();
            self.model.apply_gradients(&grads)?;
            state.optimizer_time += start.elapsed();
        }
        Ok(Vec::new())
    }

    fn models(&self) -> Vec<Model> {
        vec![self.model.clone()]
    }

    fn loss_keys(&self) -> Vec<String> {
        if self.gradients_key.is_some() {
            Vec::new()
        } else {
            self.io.inputs.clone()
        }
    }
}
