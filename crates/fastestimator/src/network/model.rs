//! [`Model`]: a shared handle to a trainable module, its variables and its optimizer.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tch::{nn, Device, Tensor};

use super::optimizer::{Optimizer, OptimizerSpec};
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
}

impl FeModel for nn::SequentialT {}
impl FeModel for nn::Sequential {}
impl FeModel for nn::Linear {}

pub(crate) struct ModelInner {
    pub(crate) vs: nn::VarStore,
    module: Box<dyn FeModel>,
    pub(crate) optimizer: Option<Optimizer>,
    pub(crate) spec: Option<OptimizerSpec>,
    lr: Option<f64>,
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
    ) -> Result<Self> {
        let optimizer = spec.as_ref().map(|s| s.instantiate(&vs)).transpose()?;
        let lr = spec.as_ref().map(OptimizerSpec::learning_rate);
        Ok(Model {
            name: name.into(),
            inner: Arc::new(Mutex::new(ModelInner {
                vs,
                module,
                optimizer,
                spec,
                lr,
            })),
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
        self.lock().lr
    }

    /// Change the learning rate.
    pub fn set_lr(&self, lr: f64) -> Result<()> {
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(FeError::param(
                self.name(),
                "lr",
                format!("{lr} is not a valid learning rate"),
            ));
        }
        let mut inner = self.lock();
        let opt = inner
            .optimizer
            .as_mut()
            .ok_or_else(|| FeError::param(self.name(), "lr", "the model has no optimizer"))?;
        opt.set_lr(lr);
        inner.lr = Some(lr);
        Ok(())
    }

    /// The per-sample input shape the model declares, if any.
    pub fn input_shape(&self) -> Option<Vec<i64>> {
        self.lock().module.input_shape()
    }

    /// Number of trainable parameters.
    pub fn num_parameters(&self) -> i64 {
        self.lock()
            .vs
            .trainable_variables()
            .iter()
            .map(|t| t.numel() as i64)
            .sum()
    }

    /// Run the model. `key` names the input in errors. libtorch failures (for example a shape the
    /// layers cannot take) are returned as [`FeError::Model`] instead of panicking.
    pub fn forward(&self, key: &str, x: &Tensor, train: bool) -> Result<Tensor> {
        let inner = self.lock();
        if let Some(expected) = inner.module.input_shape() {
            let got = x.size();
            if got.len() != expected.len() + 1 || got[1..] != expected[..] {
                return Err(FeError::Model {
                    model: self.name(),
                    reason: format!(
                        "input {key:?} has shape {got:?}, but the model expects [batch, {}]",
                        expected
                            .iter()
                            .map(|d| d.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        let x = if x.device() != inner.vs.device() {
            x.to_device(inner.vs.device())
        } else {
            x.shallow_clone()
        };
        catch_torch(|| inner.module.forward_t(&x, train)).map_err(|reason| FeError::Model {
            model: self.name(),
            reason: format!("forward on input {key:?} {:?} failed: {reason}", x.size()),
        })
    }

    /// Backpropagate `loss` (averaged if not scalar) and take one optimizer step.
    pub fn update(&self, loss: &Tensor) -> Result<()> {
        let mut inner = self.lock();
        let name = self.name();
        let opt = inner.optimizer.as_mut().ok_or_else(|| FeError::Model {
            model: name.clone(),
            reason: "the model has no optimizer; give fe::build an optimizer to train it".into(),
        })?;
        let loss = if loss.dim() == 0 {
            loss.shallow_clone()
        } else {
            loss.mean(loss.kind())
        };
        opt.zero_grad();
        catch_torch(|| loss.backward()).map_err(|reason| FeError::Model {
            model: name,
            reason: format!("backward failed: {reason}"),
        })?;
        opt.step();
        Ok(())
    }

    /// Write the weights to `path` as safetensors, atomically (temporary file, then rename).
    pub fn save_weights(&self, path: &Path) -> Result<()> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| FeError::io("cannot create directory", dir, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".fe-")
            .suffix(".safetensors")
            .tempfile_in(dir)
            .map_err(|e| FeError::io("cannot write", dir, e))?;
        self.lock()
            .vs
            .save(tmp.path())
            .map_err(|e| FeError::torch(format!("saving {}", path.display()), e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| FeError::io("cannot sync", tmp.path(), e))?;
        tmp.persist(path)
            .map_err(|e| FeError::io("cannot rename into", path, e.error))?;
        Ok(())
    }

    /// Load weights written by [`Model::save_weights`].
    pub fn load_weights(&self, path: &Path) -> Result<()> {
        self.lock()
            .vs
            .load(path)
            .map_err(|e| FeError::torch(format!("loading {}", path.display()), e))
    }

    /// A copy of every named variable (for comparisons and tests).
    pub fn variables(&self) -> Vec<(String, Tensor)> {
        let inner = self.lock();
        let mut vars: Vec<(String, Tensor)> = inner
            .vs
            .variables()
            .into_iter()
            .map(|(k, v)| (k, v.detach().copy()))
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }
}

thread_local! {
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run a libtorch call, turning its panic (tch's way of reporting C++ errors) into a message.
/// The panic is not printed: a process-wide hook, installed once, stays silent while this
/// thread is inside `catch_torch` and defers to the previous hook otherwise.
pub(crate) fn catch_torch<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    QUIET_PANICS.with(|q| q.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(false));
    result.map_err(|payload| {
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "libtorch raised an error".into());
        msg.lines().next().unwrap_or_default().to_string()
    })
}
