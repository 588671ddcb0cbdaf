//! [`Network`]: runs the TensorOps of one step on a batch.

use tch::{Device, Tensor};

use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::tensor::{NetState, NetworkRole, TensorOp};
use crate::util::{closest_key, Mode};
use crate::value::TensorMap;

use super::StepProfile;

/// The network: an ordered list of TensorOps around one or more models (FE's `fe.Network`).
///
/// ```no_run
/// use fastestimator as fe;
/// use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
/// let model = fe::build(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
/// let network = fe::Network::new(vec![
///     Box::new(ModelOp::new(&model, "x", "y_pred")),
///     Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
///     Box::new(UpdateOp::new(&model, "ce")),
/// ]).unwrap();
/// ```
pub struct Network {
    ops: Vec<Box<dyn TensorOp>>,
    models: Vec<Model>,
    device: Device,
    seed: u64,
    /// Ops from this index on are the UpdateOps that end the network (when there are several):
    /// they hand their gradients over, and the step applies them after the last op.
    first_deferred_update: usize,
    /// Where the training steps' time went (see [`Network::take_step_profile`]).
    profile: StepProfile,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("ops", &self.ops.iter().map(|o| o.name()).collect::<Vec<_>>())
            .field("device", &self.device)
            .finish()
    }
}

impl Network {
    /// Build a network; checks key names and that model names are unique (case-insensitively).
    pub fn new(ops: Vec<Box<dyn TensorOp>>) -> Result<Network> {
        let mut models: Vec<Model> = Vec::new();
        for op in &ops {
            op.io().validate(&op.name())?;
            for m in op.models() {
                if models.iter().any(|x| x.same_as(&m)) {
                    continue;
                }
                if let Some(clash) = models.iter().find(|x| x.name().eq_ignore_ascii_case(&m.name())) {
                    return Err(FeError::param(
                        "Network",
                        "ops",
                        format!("two different models share the name {:?}", clash.name()),
                    ));
                }
                models.push(m);
            }
        }
        let device = models.first().map(Model::device).unwrap_or(Device::Cpu);
        // Contiguous UpdateOps at the end are deferred: all compute their gradients before any
        // applies its step (GANs: both updates see the weights from before the step).
        let trailing = ops.iter().rev().take_while(|op| op.as_update().is_some()).count();
        let first_deferred_update = if trailing > 1 { ops.len() - trailing } else { ops.len() };
        let seed = crate::runtime::deterministic_seed().unwrap_or_else(rand::random);
        Ok(Network { ops, models, device, seed, first_deferred_update, profile: StepProfile::default() })
    }

    /// Epochs at which a scheduled op changes, for planning.
    pub fn change_epochs(&self, total_epochs: usize) -> Vec<usize> {
        let points: Vec<Vec<usize>> = self.ops.iter().map(|op| op.change_epochs(total_epochs)).collect();
        crate::schedule::get_signature_epochs(&points, total_epochs)
    }

    /// The names of the ops, in order.
    pub fn op_names(&self) -> Vec<String> {
        self.ops.iter().map(|op| op.name()).collect()
    }

    /// Each op's name with its keys and filters, in order.
    pub fn op_ios(&self) -> Vec<(String, crate::op::OpIo)> {
        self.ops.iter().map(|op| (op.name(), op.io().clone())).collect()
    }

    /// The models used by the ops, in order of first use.
    pub fn models(&self) -> &[Model] {
        &self.models
    }

    /// The device the network computes on.
    pub fn device(&self) -> Device {
        self.device
    }

    /// The loss keys of every UpdateOp (FE's `get_loss_keys`); these are monitored by default.
    pub fn loss_keys(&self) -> Vec<String> {
        crate::util::union_keys(self.ops.iter().map(|op| op.loss_keys()))
    }

    /// The loss keys of the UpdateOps that update `model`.
    pub fn loss_keys_for(&self, model: &Model) -> Vec<String> {
        self.ops
            .iter()
            .filter(|op| op.models().iter().any(|m| m.same_as(model)))
            .flat_map(|op| op.loss_keys())
            .collect()
    }

    /// Plan one mode/epoch/ds_id: check that every op's inputs exist, given the keys the pipeline
    /// provides, and return the keys available after the network. UpdateOps on models without an
    /// optimizer are reported here, before any batch is drawn.
    pub fn plan(&self, available: &[String], mode: Mode, epoch: usize, ds_id: &str) -> Result<Vec<String>> {
        let mut keys: Vec<String> = available.to_vec();
        for op in self.ops.iter().filter(|op| op.active_at(epoch) && op.io().applies(mode, ds_id)) {
            for input in &op.io().inputs {
                if !keys.contains(input) {
                    return Err(FeError::MissingKey {
                        consumer: op.name(),
                        key: input.clone(),
                        mode: mode.to_string(),
                        epoch,
                        ds_id: ds_id.to_string(),
                        closest: closest_key(input, keys.iter().map(String::as_str)),
                    });
                }
            }
            if !op.loss_keys().is_empty() {
                for m in op.models() {
                    if !m.has_optimizer() {
                        return Err(FeError::Model {
                            model: m.name(),
                            reason: format!("{} updates this model, but it was built without an optimizer", op.name()),
                        });
                    }
                }
            }
            for out in &op.io().outputs {
                if !keys.contains(out) {
                    keys.push(out.clone());
                }
            }
        }
        Ok(keys)
    }

    /// Run one step: move the batch to the device, run every op that applies, apply deferred
    /// updates, and leave the predictions in `batch` next to the inputs. The Network fills in
    /// `state.seed` and `state.req_grad`; `state.warmup` skips weight updates.
    pub fn run_step(&mut self, batch: &mut TensorMap, mut state: NetState) -> Result<()> {
        let start = std::time::Instant::now();
        let (mode, epoch) = (state.mode, state.epoch);
        let ds_id = state.ds_id.clone();
        if self.device != Device::Cpu {
            for t in batch.values_mut() {
                if t.device() != self.device {
                    *t = t.to_device_(self.device, t.kind(), true, false);
                }
            }
        }
        state.seed = self.seed;
        let active: Vec<usize> = (0..self.ops.len())
            .filter(|&i| self.ops[i].active_at(epoch) && self.ops[i].io().applies(mode, &ds_id))
            .collect();
        state.req_grad = mode == Mode::Train || active.iter().any(|&i| self.ops[i].needs_grad());
        for &i in &active {
            for key in self.ops[i].watch_keys() {
                if let Some(t) = batch.get_mut(&key) {
                    if t.is_floating_point() && !t.requires_grad() {
                        *t = t.detach().set_requires_grad(true);
                    }
                }
            }
        }
        for (position, &i) in active.iter().enumerate() {
            let op = &mut self.ops[i];
            let inputs = op
                .io()
                .inputs
                .iter()
                .map(|k| {
                    batch.get(k).map(Tensor::shallow_clone).ok_or_else(|| FeError::MissingKey {
                        consumer: op.name(),
                        key: k.clone(),
                        mode: mode.to_string(),
                        epoch,
                        ds_id: ds_id.clone(),
                        closest: closest_key(k, batch.keys().map(String::as_str)),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            state.op_index = position as u64;
            state.defer_updates = i >= self.first_deferred_update;
            let outputs = run_guarded(op.as_mut(), inputs, &mut state)?;
            if op.removes_inputs() {
                for k in &op.io().inputs {
                    batch.shift_remove(k);
                }
            }
            let keys = &op.io().outputs;
            if outputs.len() != keys.len() {
                return Err(FeError::LengthMismatch {
                    context: op.name(),
                    what: format!("tensors for the output keys {keys:?}"),
                    expected: keys.len(),
                    got: outputs.len(),
                });
            }
            for (k, t) in keys.iter().zip(outputs) {
                batch.insert(k.clone(), t);
            }
        }
        let updates_start = std::time::Instant::now();
        for update in std::mem::take(&mut state.deferred_updates) {
            crate::backend::catch_torch(|| update.apply()).map_err(|reason| FeError::TensorOp {
                op: format!("UpdateOp({})", update.model.name()),
                inputs: Vec::new(),
                mode: mode.to_string(),
                epoch,
                reason,
            })??;
        }
        if mode == Mode::Train && !state.warmup {
            let optimizer = state.optimizer_time + updates_start.elapsed();
            self.profile.optimizer += optimizer;
            self.profile.ops += start.elapsed().saturating_sub(optimizer);
            self.profile.steps += 1;
        }
        Ok(())
    }

    /// Where the time of the training steps run since the last call went (ops and optimizer
    /// steps; `traces` is left for the Estimator to fill), and start counting again.
    pub fn take_step_profile(&mut self) -> StepProfile {
        std::mem::take(&mut self.profile)
    }

    /// The seed of per-step randomness (batch augmentation, meta ops).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Set the seed of per-step randomness.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }
}

/// Run one op with libtorch failures turned into [`FeError::TensorOp`], naming the op, its
/// input keys and their shapes. This is the one place where every TensorOp is guarded.
fn run_guarded(op: &mut dyn TensorOp, inputs: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
    // Only the shapes are kept before the call (the tensors move into the op); the key names
    // are copied only when the op fails.
    let shapes: Vec<Vec<i64>> = inputs.iter().map(Tensor::size).collect();
    match crate::backend::catch_torch(|| op.forward(inputs, state)) {
        Ok(result) => result,
        Err(reason) => Err(FeError::TensorOp {
            op: op.name(),
            inputs: op.io().inputs.iter().cloned().zip(shapes).collect(),
            mode: state.mode.to_string(),
            epoch: state.epoch,
            reason,
        }),
    }
}
