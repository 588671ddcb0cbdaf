//! `fe::build`: create a model with its optimizer and an automatic name.

use tch::{nn, Device};

use super::handle::{FeModel, Model};
use super::memory_format::{to_channels_last, MemoryFormat};
use super::optimizer::OptimizerArg;
use crate::error::{FeError, Result};

/// Build a model and its optimizer (FE's `fe.build(model_fn, optimizer_fn)`).
///
/// `model_fn` receives the root path of a fresh `VarStore` on the default device (CUDA when
/// available, else CPU) and returns the module. `optimizer` is an FE name (`"adam"`, `"sgd"`,
/// `"rmsprop"`, `"adamw"`, `"adagrad"`), a configured [`super::OptimizerSpec`], or
/// [`OptimizerArg::None`]. Models are named `model`, `model1`, `model2`, ... in build order;
/// [`crate::runtime::enable_deterministic`] starts the count again, so a seeded recipe gets the same
/// names and the same initial weights whatever ran before it in the process.
///
/// ```no_run
/// use fastestimator as fe;
/// use fe::architecture::LeNet;
/// let model = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
/// assert!(model.name().starts_with("model"));
/// ```
pub fn build<M, F>(model_fn: F, optimizer: impl Into<OptimizerArg>) -> Result<Model>
where
    M: FeModel + 'static,
    F: FnOnce(&nn::Path) -> M,
{
    build_with(model_fn, optimizer, BuildOptions::default())
}

/// Options of [`build_with`].
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The model's name (default: `model`, `model1`, ...).
    pub model_name: Option<String>,
    /// Run the model under float16 autocast with dynamic loss scaling. This needs CUDA: tch 0.24
    /// exposes libtorch's autocast for CUDA only (float16), so on a CPU-only machine the build
    /// is refused with a clear error instead of silently training in float32.
    pub mixed_precision: bool,
    /// The memory layout of the model's 4-D weights. The default, [`MemoryFormat::Auto`], is
    /// channels-last on the CPU, where libtorch's oneDNN convolutions run faster in it, and
    /// PyTorch's NCHW on CUDA. Shapes, names and saved files are the same either way.
    pub memory_format: MemoryFormat,
}

/// [`build`] with an explicit model name.
pub fn build_named<M, F>(model_fn: F, optimizer: impl Into<OptimizerArg>, name: &str) -> Result<Model>
where
    M: FeModel + 'static,
    F: FnOnce(&nn::Path) -> M,
{
    build_with(model_fn, optimizer, BuildOptions { model_name: Some(name.to_string()), ..Default::default() })
}

/// [`build`] with [`BuildOptions`] (name, mixed precision, memory layout).
pub fn build_with<M, F>(model_fn: F, optimizer: impl Into<OptimizerArg>, options: BuildOptions) -> Result<Model>
where
    M: FeModel + 'static,
    F: FnOnce(&nn::Path) -> M,
{
    let name = match options.model_name {
        Some(n) => n,
        None => {
            let n = crate::runtime::next_model_index();
            if n == 0 {
                "model".to_string()
            } else {
                format!("model{n}")
            }
        }
    };
    crate::util::check_key(&name)?;
    let device = default_device();
    if options.mixed_precision && !device.is_cuda() {
        return Err(FeError::param(
            format!("fe::build({name})"),
            "mixed_precision",
            "needs a CUDA device: tch 0.24 runs libtorch autocast (float16) on CUDA only, and no CUDA device is available",
        ));
    }
    let schedule = optimizer.into().resolve()?;
    let spec = match &schedule {
        crate::schedule::Schedule::Fixed(s) => Some(s.clone()),
        _ => None,
    };
    let _rng = crate::runtime::torch_rng_lock();
    if let Some(seed) = crate::runtime::deterministic_seed() {
        let name_hash = name.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        tch::manual_seed(crate::util::derive_seed(seed, &[name_hash]) as i64);
    }
    let vs = nn::VarStore::new(device);
    // A model constructor that rejects its arguments by panicking (LeNet on a too-small input,
    // a libtorch error while creating a layer) becomes an error naming the model.
    let module = crate::backend::catch_torch(|| model_fn(&vs.root()))
        .map_err(|reason| FeError::Model { model: name.clone(), reason: format!("cannot be built: {reason}") })?;
    if options.memory_format.channels_last_on(device) {
        to_channels_last(&vs);
    }
    let model = Model::new(name, vs, Box::new(module), spec, options.mixed_precision)?;
    if !matches!(schedule, crate::schedule::Schedule::Fixed(_)) {
        model.set_optimizer_schedule(schedule)?;
    }
    Ok(model)
}

/// CUDA when available (after [`crate::backend::load_cuda`]), else CPU. Set `FE_DEVICE=cpu`
/// to force the CPU. In a job launched on several processes, each process takes the GPU of its
/// `LOCAL_RANK` (`cuda:LOCAL_RANK`), as FE and DDP do.
pub fn default_device() -> Device {
    if crate::backend::load_cuda() {
        let local_rank = crate::distributed::DistributedEnv::from_env().map_or(0, |env| env.local_rank);
        Device::Cuda(local_rank)
    } else {
        Device::Cpu
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architecture::LeNet;

    #[test]
    fn a_constructor_that_panics_gives_an_error() {
        let err = build_named(|p| LeNet::new(p, [1, 10, 10], 10), "adam", "small_lenet").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, FeError::Model { .. }), "{msg}");
        assert!(msg.contains("small_lenet") && msg.contains("LeNet needs H, W >= 18"), "{msg}");
    }
}
