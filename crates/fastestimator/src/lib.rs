//! # fastestimator-rs
//!
//! FastEstimator, the high-level deep-learning training framework, in Rust. A job is three
//! objects, as in FE:
//!
//! - a [`Pipeline`]: datasets → per-sample [`op::numpy`] ops → `Batch` → tensors, on worker threads;
//! - a [`Network`]: models built with [`build`] plus [`op::tensor`] ops (`ModelOp`, losses, `UpdateOp`);
//! - an [`Estimator`]: the training loop, with [`trace`]s for metrics and callbacks.
//!
//! ```no_run
//! use fastestimator as fe;
//! use fe::op::numpy::{ExpandDims, Minmax};
//! use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
//! use fe::trace::metric::Accuracy;
//!
//! let (train, eval, _test) = fe::dataset::data::synthetic_digits::load_data(&Default::default()).unwrap();
//! let pipeline = fe::Pipeline::builder()
//!     .train_data(train)
//!     .eval_data(eval)
//!     .batch_size(32)
//!     .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))])
//!     .build()
//!     .unwrap();
//! let model = fe::build(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
//! let network = fe::Network::new(vec![
//!     Box::new(ModelOp::new(&model, "x", "y_pred")),
//!     Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
//!     Box::new(UpdateOp::new(&model, "ce")),
//! ])
//! .unwrap();
//! let mut estimator = fe::Estimator::builder(pipeline, network, 2)
//!     .traces(vec![Box::new(Accuracy::new("y", "y_pred"))])
//!     .build()
//!     .unwrap();
//! estimator.fit().unwrap();
//! ```

pub mod architecture;
pub mod backend;
pub mod dataset;
mod error;
pub mod estimator;
pub mod network;
pub mod op;
pub mod pipeline;
pub mod schedule;
pub mod summary;
pub mod trace;
pub mod util;
mod value;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use error::{FeError, Result};
pub use estimator::Estimator;
pub use network::{build, build_named, Model, Network};
pub use pipeline::Pipeline;
pub use summary::Summary;
pub use util::Mode;
pub use value::{DType, Sample, Value};

static SEED_SET: AtomicBool = AtomicBool::new(false);
static SEED: AtomicU64 = AtomicU64::new(0);
static THREADS_SET: AtomicBool = AtomicBool::new(false);

/// Serialises use of libtorch's global generator where we seed it (model construction, the
/// per-epoch reseed), so models built on different threads still get their seeded weights.
pub(crate) fn torch_rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Make every run reproducible (FE's `fe.enable_deterministic(seed)`): seeds libtorch, and
/// becomes the default seed of pipelines, dataset splits and model initialisation. The same seed
/// gives the same numbers whatever the number of pipeline workers.
///
/// It also starts a new recipe: automatic model names begin again at `model`, and since initial
/// weights derive from the seed and the model's name, the same recipe gives the same weights
/// even when another job ran earlier in the same process (a test binary, a search, a notebook).
pub fn enable_deterministic(seed: u64) {
    network::reset_build_count();
    SEED.store(seed, Ordering::SeqCst);
    SEED_SET.store(true, Ordering::SeqCst);
    tch::manual_seed(seed as i64);
}

/// The seed set by [`enable_deterministic`], if any.
pub fn deterministic_seed() -> Option<u64> {
    SEED_SET.load(Ordering::SeqCst).then(|| SEED.load(Ordering::SeqCst))
}

/// Set libtorch's intra-op thread count explicitly (call before `Estimator::build` to override
/// the default, which is one thread per core).
pub fn set_num_threads(n: usize) {
    tch::set_num_threads(n.max(1) as i32);
    THREADS_SET.store(true, Ordering::SeqCst);
}

/// Give libtorch one thread per core unless the user chose a number. Pipeline workers default to
/// half the cores, and mostly sleep on their bounded queues once ahead.
pub(crate) fn configure_threads() {
    if !THREADS_SET.swap(true, Ordering::SeqCst) {
        tch::set_num_threads(num_cpus::get().max(1) as i32);
    }
}
