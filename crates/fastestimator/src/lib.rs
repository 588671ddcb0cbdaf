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
pub mod cli;
pub mod dataset;
pub mod distributed;
mod error;
pub mod estimator;
pub mod model;
pub mod network;
pub mod op;
pub mod output;
pub mod pipeline;
pub mod runtime;
pub mod schedule;
pub mod search;
pub mod summary;
pub mod trace;
pub mod util;
mod value;
pub mod xai;

pub use error::{FeError, MissingFile, Result};
pub use estimator::Estimator;
pub use network::{build, build_named, Model, Network};
pub use pipeline::Pipeline;
pub use runtime::{deterministic_seed, enable_deterministic, set_num_threads};
pub use summary::Summary;
pub use util::Mode;
pub use value::{collate_samples, DType, Sample, TensorMap, Value};
