//! The Estimator: plans a run, then drives the training loop and the traces (FE's `fe.Estimator`).

mod estimator;
mod plan;

pub use estimator::{Estimator, EstimatorBuilder};
