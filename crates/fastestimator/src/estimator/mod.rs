//! The Estimator: plans a run, then drives the training loop and the traces (FE's `fe.Estimator`).
//!
//! `base.rs` holds the [`Estimator`], its builder, and `fit`/`test` as short sequences of
//! phases; each phase lives in its own file: `traces.rs` (assemble the trace list), `plan.rs`
//! (check keys, warm up), `epochs.rs` (the epoch and step loops) and `checkpoint.rs` (restore
//! from and save to a RestoreWizard), and `history.rs` (record the run into the experiment history).

mod base;
mod checkpoint;
mod describe;
mod distributed;
mod epochs;
mod history;
mod plan;
mod progress;
mod traces;

pub use base::{Estimator, EstimatorBuilder};
