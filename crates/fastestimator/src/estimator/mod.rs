//! The Estimator: plans a run, then drives the training loop and the traces (FE's `fe.Estimator`).

mod base;
mod plan;

pub use base::{Estimator, EstimatorBuilder};
