//! [`Model`]: a shared handle to a trainable module, its variables and its optimizer.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tch::{nn, Device, Tensor};

use super::loss_scaler::LossScaler;
use super::optimizer::{Optimizer, OptimizerSpec};
use crate::backend::catch_torch;
use crate::error::{FeError, Result};

/// A module that fe::build can wrap: any `tch::nn::ModuleT` that can say which input shape it
/// expects (per sample, without the batch axis), so a mismatch is reported clearly.
///
/// ```
/// use fastestimator::network::FeModel;
/// use tch::nn;
/// #[derive(Debug)]
/// struct Linear(nn::Linear);
/// impl nn::ModuleT for Linear {
///     fn forward_t(&self, xs: &tch::Tensor, _train: bool) -> tch::Tensor { xs.flatten(1, -1).apply(&self.0) }
/// }
/// impl FeModel for Linear {
///     fn input_shape(&self) -> Option<Vec<i64>> { Some(vec![1, 28, 28]) }
/// }
/// ```
pub trait FeModel: nn::ModuleT + Send {
    /// The expected per-sample input shape, if the model knows it.
    fn input_shape(&self) -> Option<Vec<i64>> {
        None
    }

    /// Run on several inputs (multi-input models override this; the default takes exactly one).
    fn forward_inputs(&self, xs: &[Tensor], train: bool) -> std::result::Result<Tensor, String> {
        match xs {
            [x] => Ok(self.forward_t(x, train)),
            _ => Err(format!("this model takes one input, got {}", xs.len())),
        }
    }

    /// Names of the intermediate outputs the model can expose (for `ModelOp::intermediate_layers`).
    fn layer_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Run and also return the named intermediate outputs, in the order asked.
    fn forward_with_layers(
        &self,
        xs: &[Tensor],
        train: bool,
        layers: &[String],
    ) -> std::result::Result<(Tensor, Vec<Tensor>), String> {
        if layers.is_empty() {
            return Ok((self.forward_inputs(xs, train)?, Vec::new()));
        }
        Err(format!("this model exposes no intermediate layers (asked for {layers:?})"))
    }
}

impl FeModel for nn::SequentialT {}
impl FeModel for nn::Sequential {}
impl FeModel for nn::Linear {}

/// Scheduled optimizers: which one per epoch (indices into the list), the parked ones, and the
/// index of the one in use.
type OptimizerSchedule = (crate::schedule::Schedule<usize>, Vec<Option<Optimizer>>, Option<usize>);

pub(crate) struct ModelInner {
    pub(crate) vs: nn::VarStore,
    module: Box<dyn FeModel>,
    pub(crate) optimizer: Option<Optimizer>,
    /// Scheduled optimizers: the schedule (of indices into `parked`) and the inactive ones.
    optimizer_schedule: Option<OptimizerSchedule>,
    pub(crate) spec: Option<OptimizerSpec>,
    scaler: Option<LossScaler>,
    /// The gradients of the last optimizer step, kept while `Some` ([`Model::keep_last_gradients`]).
    last_gradients: Option<Vec<Tensor>>,
    /// In data-parallel training: the hooks that average this model's gradients across the
    /// ranks during backward (made on the first synchronised backward pass).
    grad_sync: Option<Arc<crate::distributed::GradientSync>>,
}

/// A cheap, clonable handle to one model: its variables, its module, its optimizer and its name.
/// ModelOp, UpdateOp and traces that save or schedule a model all hold the same handle.
#[derive(Clone)]
pub struct Model {
    name: Arc<str>,
    inner: Arc<Mutex<ModelInner>>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("name", &self.name).finish()
    }
}

impl Model {
    pub(crate) fn new(
        name: String,
        vs: nn::VarStore,
        module: Box<dyn FeModel>,
        spec: Option<OptimizerSpec>,
        mixed_precision: bool,
    ) -> Result<Self> {
        let optimizer = spec.as_ref().map(|s| s.instantiate(&vs)).transpose()?;
        let optimizer_schedule = None;
        let scaler = mixed_precision.then(LossScaler::default);
        let inner = ModelInner {
            vs,
            module,
            optimizer,
            optimizer_schedule,
            spec,
            scaler,
            last_gradients: None,
            grad_sync: None,
        };
        Ok(Model { name: name.into(), inner: Arc::new(Mutex::new(inner)) })
    }

    /// Give the model a scheduled set of optimizers (from `fe::build` with
    /// `OptimizerArg::Scheduled`); each is created now and keeps its own state.
    pub(crate) fn set_optimizer_schedule(&self, specs: crate::schedule::Schedule<OptimizerSpec>) -> Result<()> {
        use crate::schedule::Schedule;
        let mut inner = self.lock();
        let all: Vec<OptimizerSpec> = specs.all().into_iter().cloned().collect();
        let parked = all.iter().map(|s| s.instantiate(&inner.vs).map(Some)).collect::<Result<Vec<_>>>()?;
        let mut n = 0;
        let indices = match specs {
            Schedule::Fixed(_) => Schedule::Fixed(0),
            Schedule::Epoch(e) => Schedule::Epoch(crate::schedule::EpochScheduler::new(
                e.into_pairs()
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            k,
                            v.map(|_| {
                                n += 1;
                                n - 1
                            }),
                        )
                    })
                    .collect(),
            )?),
            Schedule::Repeat(r) => Schedule::Repeat(crate::schedule::RepeatScheduler::new(
                r.into_list()
                    .into_iter()
                    .map(|v| {
                        v.map(|_| {
                            n += 1;
                            n - 1
                        })
                    })
                    .collect(),
            )?),
        };
        inner.optimizer = None;
        inner.spec = None;
        inner.optimizer_schedule = Some((indices, parked, None));
        drop(inner);
        self.set_epoch(1);
        Ok(())
    }

    /// Switch to the optimizer scheduled for `epoch` (no-op without a schedule).
    pub fn set_epoch(&self, epoch: usize) {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let Some((schedule, parked, current)) = inner.optimizer_schedule.as_mut() else { return };
        let want = schedule.at(epoch).copied();
        if want == *current {
            return;
        }
        if let (Some(c), Some(opt)) = (*current, inner.optimizer.take()) {
            parked[c] = Some(opt);
        }
        inner.optimizer = want.and_then(|w| parked[w].take());
        inner.spec = inner.optimizer.as_ref().map(|o| o.spec().clone());
        *current = want;
    }

    /// Whether the model runs under float16 autocast with dynamic loss scaling.
    pub fn mixed_precision(&self) -> bool {
        self.lock().scaler.is_some()
    }

    /// The current loss scale (mixed precision only).
    pub fn loss_scale(&self) -> Option<f64> {
        self.lock().scaler.as_ref().map(LossScaler::scale)
    }

    /// Gradients of `loss` for a mixed-precision model: computed from the scaled loss and
    /// unscaled; `None` when they overflowed (the step must be skipped; the scale was halved).
    pub fn compute_scaled_gradients(&self, loss: &Tensor, keep_graph: bool) -> Result<Option<Vec<Tensor>>> {
        let scale = self.loss_scale().unwrap_or(1.0);
        let grads = self.compute_gradients(&(loss.to_kind(tch::Kind::Float) * scale), keep_graph)?;
        let mut inner = self.lock();
        Ok(match inner.scaler.as_mut() {
            Some(scaler) => scaler.unscale(grads),
            None => Some(grads.into_iter().map(|g| if g.defined() { g / scale } else { g }).collect()),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ModelInner> {
        // A poisoned lock only means a panic elsewhere; the model data is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The model's name (`model`, `model1`, ... unless given).
    pub fn name(&self) -> String {
        self.name.to_string()
    }

    /// Whether the two handles point at the same model.
    pub fn same_as(&self, other: &Model) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The device the model's variables live on.
    pub fn device(&self) -> Device {
        self.lock().vs.device()
    }

    /// Whether the model has an optimizer (and so can be updated).
    pub fn has_optimizer(&self) -> bool {
        self.lock().optimizer.is_some()
    }

    /// The optimizer's configuration, if any.
    pub fn optimizer_spec(&self) -> Option<OptimizerSpec> {
        self.lock().spec.clone()
    }

    /// The current learning rate, if the model has an optimizer.
    pub fn lr(&self) -> Option<f64> {
        self.lock().optimizer.as_ref().map(Optimizer::lr)
    }

    /// Change the learning rate.
    pub fn set_lr(&self, lr: f64) -> Result<()> {
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(FeError::param(self.name(), "lr", format!("{lr} is not a valid learning rate")));
        }
        let mut inner = self.lock();
        let opt =
            inner.optimizer.as_mut().ok_or_else(|| FeError::param(self.name(), "lr", "the model has no optimizer"))?;
        opt.set_lr(lr);
        Ok(())
    }

    /// The per-sample input shape the model declares, if any.
    pub fn input_shape(&self) -> Option<Vec<i64>> {
        self.lock().module.input_shape()
    }

    /// Number of trainable parameters.
    pub fn num_parameters(&self) -> i64 {
        self.lock().vs.trainable_variables().iter().map(|t| t.numel() as i64).sum()
    }

    /// Run the model. `key` names the input in errors. libtorch failures (for example a shape the
    /// layers cannot take) are returned as [`FeError::Model`] instead of panicking.
    pub fn forward(&self, key: &str, x: &Tensor, train: bool) -> Result<Tensor> {
        Ok(self.forward_layers(&[key.to_string()], std::slice::from_ref(x), train, &[])?.0)
    }

    /// Run the model on one or more inputs and return its output plus the requested
    /// intermediate layers. `keys` name the inputs in errors. The output is in PyTorch's default
    /// (contiguous) layout; intermediate layers keep the layout the model computed them in,
    /// channels-last for a CPU model's convolutions ([`super::MemoryFormat`]), so take `reshape`
    /// rather than `view` of them.
    pub fn forward_layers(
        &self,
        keys: &[String],
        xs: &[Tensor],
        train: bool,
        layers: &[String],
    ) -> Result<(Tensor, Vec<Tensor>)> {
        let inner = self.lock();
        if let (Some(expected), [x]) = (inner.module.input_shape(), xs) {
            let got = x.size();
            if got.len() != expected.len() + 1 || got[1..] != expected[..] {
                return Err(FeError::UnexpectedShape {
                    op: format!("model {}", self.name()),
                    key: keys.first().map_or("x", String::as_str).to_string(),
                    expected: format!(
                        "[batch, {}]",
                        expected.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
                    ),
                    got,
                });
            }
        }
        let device = inner.vs.device();
        let xs: Vec<Tensor> =
            xs.iter().map(|x| if x.device() != device { x.to_device(device) } else { x.shallow_clone() }).collect();
        let shapes: Vec<Vec<i64>> = xs.iter().map(Tensor::size).collect();
        match catch_torch(|| inner.module.forward_with_layers(&xs, train, layers)) {
            // The output is in PyTorch's default layout whatever the layout of the weights (see
            // `MemoryFormat`); a no-op for NCHW outputs and for anything not 4-D. Intermediate
            // layers are handed out as they are: gradients are taken with respect to them.
            Ok(Ok((out, layers))) => Ok((out.contiguous(), layers)),
            Ok(Err(reason)) | Err(reason) => Err(FeError::Model {
                model: self.name(),
                reason: format!(
                    "forward on input {} {} failed: {reason}",
                    keys.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", "),
                    shapes.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
                ),
            }),
        }
    }

    /// Names of the intermediate layers the model exposes.
    pub fn layer_names(&self) -> Vec<String> {
        self.lock().module.layer_names()
    }

    /// Backpropagate `loss` (averaged if not scalar) into this model only, and take one
    /// optimizer step.
    pub fn update(&self, loss: &Tensor) -> Result<()> {
        let grads = self.compute_gradients(loss, false)?;
        self.apply_gradients(&grads)
    }

    /// Gradients of `loss` (averaged if not scalar) with respect to this model's trainable
    /// variables, in the optimizer's order, without touching any `.grad` and without stepping.
    /// `keep_graph` leaves the graph usable for further gradients (deferred updates, GANs).
    ///
    /// In a job on several processes (see [`crate::distributed`]) the gradients come back
    /// averaged over the ranks: buckets of them are all-reduced while backward still runs.
    pub fn compute_gradients(&self, loss: &Tensor, keep_graph: bool) -> Result<Vec<Tensor>> {
        let params = self.trainable_variables();
        let loss = if loss.dim() == 0 { loss.shallow_clone() } else { loss.mean(loss.kind()) };
        let name = self.name();
        let sync = self.gradient_sync(&params)?;
        if let Some(sync) = &sync {
            sync.arm()?;
        }
        let grads = Tensor::f_run_backward(&[loss], &params, keep_graph, false).map_err(|e| FeError::Model {
            model: name,
            reason: format!("backward failed: {}", crate::error::torch_message(&e)),
        })?;
        if let Some(sync) = &sync {
            tch::no_grad(|| sync.finish(&grads))?;
        }
        Ok(grads)
    }

    /// The model's gradient hooks in a job on several processes (made once), or `None`.
    fn gradient_sync(&self, params: &[Tensor]) -> Result<Option<Arc<crate::distributed::GradientSync>>> {
        let Some(group) = crate::distributed::current() else { return Ok(None) };
        let mut inner = self.lock();
        if inner.grad_sync.is_none() {
            inner.grad_sync = Some(Arc::new(crate::distributed::GradientSync::new(group, params)?));
        }
        Ok(inner.grad_sync.clone())
    }

    /// Take one optimizer step with `grads` (one per trainable variable, as from
    /// [`Model::compute_gradients`]).
    pub fn apply_gradients(&self, grads: &[Tensor]) -> Result<()> {
        let mut inner = self.lock();
        let name = self.name();
        let opt = inner.optimizer.as_mut().ok_or_else(|| FeError::Model {
            model: name.clone(),
            reason: "the model has no optimizer; give fe::build an optimizer to train it".into(),
        })?;
        if grads.len() != opt.params().len() {
            return Err(FeError::LengthMismatch {
                context: format!("model {name}: optimizer step"),
                what: "gradients (one per trainable variable)".into(),
                expected: opt.params().len(),
                got: grads.len(),
            });
        }
        // Checked before anything is updated, so a bad gradient leaves the model as it was.
        let misfit = opt.params().iter().zip(grads).enumerate().find_map(|(i, (p, g))| {
            let fits = !g.defined() || (g.size() == p.size() && g.kind() == p.kind() && g.device() == p.device());
            (!fits).then(|| (i, (g.size(), g.kind(), g.device()), (p.size(), p.kind(), p.device())))
        });
        if let Some((i, got, want)) = misfit {
            drop(inner);
            let variable =
                self.named_trainable_variables().into_iter().nth(i).map_or_else(|| format!("#{i}"), |(n, _)| n);
            let op = format!("model {name}: optimizer step");
            return Err(if got.0 != want.0 {
                FeError::ShapeMismatch {
                    op,
                    left_key: format!("gradient for {variable}"),
                    left_shape: got.0,
                    right_key: variable,
                    right_shape: want.0,
                }
            } else if got.1 != want.1 {
                FeError::UnexpectedDType {
                    op,
                    key: format!("gradient for {variable}"),
                    expected: format!("{:?}, the dtype of the variable", want.1),
                    got: format!("{:?}", got.1),
                }
            } else {
                FeError::Model {
                    model: name,
                    reason: format!(
                        "optimizer step: the gradient for {variable} is on {:?}, the variable on {:?}",
                        got.2, want.2
                    ),
                }
            });
        }
        opt.step_with(grads)
            .map_err(|reason| FeError::Model { model: name, reason: format!("optimizer step: {reason}") })?;
        if let Some(kept) = inner.last_gradients.as_mut() {
            *kept = grads.iter().map(Tensor::shallow_clone).collect();
        }
        Ok(())
    }

    /// From now on keep the gradients of each optimizer step for [`Model::last_gradients`]
    /// (`true`), or stop keeping them and drop those kept (`false`). Kept gradients hold up to one
    /// extra copy of the trainable variables in memory between steps.
    pub fn keep_last_gradients(&self, keep: bool) {
        let mut inner = self.lock();
        if keep != inner.last_gradients.is_some() {
            inner.last_gradients = keep.then(Vec::new);
        }
    }

    /// The gradients the last optimizer step applied, one per trainable variable in the order of
    /// [`Model::named_trainable_variables`] (undefined where a variable got none); empty unless
    /// kept ([`Model::keep_last_gradients`]) and a step was taken since.
    pub fn last_gradients(&self) -> Vec<Tensor> {
        self.lock().last_gradients.as_ref().map(|g| g.iter().map(Tensor::shallow_clone).collect()).unwrap_or_default()
    }

    /// Shallow handles to the trainable variables (gradients flow through them).
    pub fn trainable_variables(&self) -> Vec<Tensor> {
        self.lock().vs.trainable_variables()
    }

    /// The trainable variables with their names (`conv1.weight`, ...), as shallow handles in
    /// the order of [`Model::trainable_variables`] (the order of gradients); a variable whose
    /// name cannot be told (one without storage) is called `param<i>`.
    pub fn named_trainable_variables(&self) -> Vec<(String, Tensor)> {
        let inner = self.lock();
        let names: std::collections::HashMap<usize, String> = inner
            .vs
            .variables()
            .into_iter()
            .filter(|(_, t)| !t.data_ptr().is_null())
            .map(|(name, t)| (t.data_ptr() as usize, name))
            .collect();
        let trainable = inner.vs.trainable_variables().into_iter().enumerate();
        trainable
            .map(|(i, t)| {
                let name = (!t.data_ptr().is_null()).then(|| names.get(&(t.data_ptr() as usize))).flatten();
                (name.cloned().unwrap_or_else(|| format!("param{i}")), t)
            })
            .collect()
    }

    /// The optimizer's state as named tensors (empty without an optimizer).
    pub fn optimizer_state(&self) -> Vec<(String, Tensor)> {
        self.lock().optimizer.as_ref().map(|o| o.state_tensors()).unwrap_or_default()
    }

    /// Restore optimizer state from [`Model::optimizer_state`].
    pub fn load_optimizer_state(&self, state: &[(String, Tensor)]) -> Result<()> {
        let mut inner = self.lock();
        let name = self.name();
        let opt = inner
            .optimizer
            .as_mut()
            .ok_or_else(|| FeError::Model { model: name, reason: "the model has no optimizer to restore".into() })?;
        opt.load_state_tensors(state)?;
        Ok(())
    }

    /// Write the optimizer state to `path` as safetensors, atomically.
    pub fn save_optimizer(&self, path: &Path) -> Result<()> {
        let state = self.optimizer_state();
        if state.is_empty() {
            return Err(FeError::Model { model: self.name(), reason: "has no optimizer state to save".into() });
        }
        write_atomically(path, |tmp| write_contiguous(&state, tmp))
    }

    /// Read optimizer state written by [`Model::save_optimizer`].
    pub fn load_optimizer(&self, path: &Path) -> Result<()> {
        let state =
            Tensor::read_safetensors(path).map_err(|e| FeError::torch(format!("reading {}", path.display()), e))?;
        self.load_optimizer_state(&state)
    }

    /// Optimizer steps taken so far.
    pub fn optimizer_steps(&self) -> i64 {
        self.lock().optimizer.as_ref().map_or(0, |o| o.steps())
    }

    /// Write the weights to `path` as safetensors, atomically (temporary file, then rename).
    pub fn save_weights(&self, path: &Path) -> Result<()> {
        let vars: Vec<(String, Tensor)> = self.lock().vs.variables().into_iter().collect();
        write_atomically(path, |tmp| write_contiguous(&vars, tmp))
    }

    /// Load weights written by [`Model::save_weights`] (or any safetensors file with the
    /// model's variable names). The whole file is checked before anything changes: every
    /// variable must be present with the same shape, and no extra tensor may be there, else the
    /// error ([`FeError::WeightsMismatch`]) lists the missing, extra and misshaped tensors and the
    /// model is left exactly as it was. A floating-point tensor of another precision (float64
    /// weights for a float32 model, say) is converted to the variable's dtype, as PyTorch's
    /// `load_state_dict` does; a floating tensor for an integer variable, or the reverse, is
    /// refused as a dtype mismatch.
    pub fn load_weights(&self, path: &Path) -> Result<()> {
        let file =
            Tensor::read_safetensors(path).map_err(|e| FeError::torch(format!("reading {}", path.display()), e))?;
        let inner = self.lock();
        let mut vars: Vec<(String, Tensor)> = inner.vs.variables().into_iter().collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let mut missing = Vec::new();
        let mut misshaped = Vec::new();
        let mut pairs = Vec::with_capacity(vars.len());
        for (name, var) in &vars {
            let Some((_, src)) = file.iter().find(|(n, _)| n == name) else {
                missing.push(name.clone());
                continue;
            };
            let (want, got) = (var.size(), src.size());
            let kinds_fit = var.kind() == src.kind() || (var.is_floating_point() && src.is_floating_point());
            if want != got || !kinds_fit {
                misshaped.push((
                    name.clone(),
                    format!("{:?} {want:?}", var.kind()),
                    format!("{:?} {got:?}", src.kind()),
                ));
                continue;
            }
            pairs.push((var, src));
        }
        let mut unexpected: Vec<String> =
            file.iter().filter(|(n, _)| !vars.iter().any(|(v, _)| v == n)).map(|(n, _)| n.clone()).collect();
        unexpected.sort();
        if !(missing.is_empty() && unexpected.is_empty() && misshaped.is_empty()) {
            return Err(FeError::WeightsMismatch {
                model: self.name(),
                path: path.to_path_buf(),
                missing,
                unexpected,
                misshaped,
            });
        }
        // Names, shapes and dtypes all fit: the copies below cannot fail halfway.
        let copied = catch_torch(|| {
            tch::no_grad(|| {
                for (var, src) in pairs {
                    let mut var = var.shallow_clone();
                    var.copy_(&src.to_device(var.device()).to_kind(var.kind()));
                }
            })
        });
        copied.map_err(|reason| FeError::Model { model: self.name(), reason: format!("loading weights: {reason}") })
    }

    /// A copy of everything a load can change: the variables and the optimizer state. A load
    /// that spans several files (weights, optimizer, a whole checkpoint) takes one first and
    /// puts it back with [`Model::restore_snapshot`] when a later part fails.
    pub(crate) fn snapshot(&self) -> ModelSnapshot {
        // Kept on the CPU, so a restore does not double the model's footprint on its device.
        let to_cpu = |named: Vec<(String, Tensor)>| {
            named.into_iter().map(|(name, t)| (name, t.to_device(tch::Device::Cpu))).collect()
        };
        ModelSnapshot { variables: to_cpu(self.variables()), optimizer: to_cpu(self.optimizer_state()) }
    }

    /// Put back what [`Model::snapshot`] copied.
    pub(crate) fn restore_snapshot(&self, snapshot: &ModelSnapshot) -> Result<()> {
        self.restore_variables(&snapshot.variables)?;
        if !snapshot.optimizer.is_empty() {
            self.load_optimizer_state(&snapshot.optimizer)?;
        }
        Ok(())
    }

    /// Put back variables taken with [`Model::variables`] (a failed multi-file load undoes
    /// its first part with this).
    pub(crate) fn restore_variables(&self, vars: &[(String, Tensor)]) -> Result<()> {
        let inner = self.lock();
        let current = inner.vs.variables();
        catch_torch(|| {
            tch::no_grad(|| {
                for (name, saved) in vars {
                    if let Some(var) = current.get(name) {
                        var.shallow_clone().copy_(saved);
                    }
                }
            })
        })
        .map_err(|reason| FeError::Model { model: self.name(), reason: format!("restoring weights: {reason}") })
    }

    /// Overwrite every variable (weights and buffers such as BatchNorm statistics) with rank
    /// `root`'s, in name order: data-parallel training starts every rank from the same model,
    /// and keeps BatchNorm statistics consistent before evaluation and saving.
    pub fn broadcast_variables(&self, group: &crate::distributed::ProcessGroup, root: usize) -> Result<()> {
        let inner = self.lock();
        let mut vars: Vec<(String, Tensor)> = inner.vs.variables().into_iter().collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let tensors: Vec<Tensor> = vars.into_iter().map(|(_, t)| t).collect();
        tch::no_grad(|| group.broadcast(&tensors, root))
    }

    /// A copy of every named variable (for comparisons and tests), in PyTorch's default layout
    /// whatever the layout in the model ([`super::MemoryFormat`]), so it can be written with
    /// `Tensor::write_safetensors` or viewed.
    pub fn variables(&self) -> Vec<(String, Tensor)> {
        let inner = self.lock();
        let copy = |v: Tensor| if v.is_contiguous() { v.detach().copy() } else { v.detach().contiguous() };
        let mut vars: Vec<(String, Tensor)> = inner.vs.variables().into_iter().map(|(k, v)| (k, copy(v))).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }
}

/// What [`Model::snapshot`] copies: variables and optimizer state, as named tensors.
pub(crate) struct ModelSnapshot {
    variables: Vec<(String, Tensor)>,
    optimizer: Vec<(String, Tensor)>,
}

/// Write named tensors as safetensors, each in PyTorch's default layout: a channels-last
/// weight ([`super::MemoryFormat`]) is saved as the NCHW tensor it stands for, so the file is
/// the same whatever the layout in memory.
fn write_contiguous(tensors: &[(String, Tensor)], path: &Path) -> std::result::Result<(), tch::TchError> {
    let contiguous: Vec<(&str, Tensor)> = tensors.iter().map(|(k, t)| (k.as_str(), t.contiguous())).collect();
    Tensor::write_safetensors(&contiguous, path)
}

/// Write a file through `write(tmp_path)` into a temporary file beside `path`, fsync it, then
/// rename it into place, so readers see the old file or the new one, never a torn one.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> std::result::Result<(), tch::TchError>,
) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| FeError::io("cannot create directory", dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".fe-")
        .suffix(".safetensors")
        .tempfile_in(dir)
        .map_err(|e| FeError::io("cannot write", dir, e))?;
    write(tmp.path()).map_err(|e| FeError::torch(format!("writing {}", path.display()), e))?;
    tmp.as_file().sync_all().map_err(|e| FeError::io("cannot sync", tmp.path(), e))?;
    tmp.persist(path).map_err(|e| FeError::io("cannot rename into", path, e.error))?;
    Ok(())
}
