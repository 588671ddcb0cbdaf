//! The Pipeline: datasets → per-sample NumpyOps → `Batch` → per-batch ops, on worker threads with
//! a bounded prefetch queue (FE's `fe.Pipeline`).
//!
//! Work is split by batch: batch `b` of an epoch is built by worker `b % workers`, and the loader
//! reads the workers' queues round-robin, so batches arrive in order. Each sample's random stream
//! depends only on (seed, mode, ds_id, epoch, position in the epoch, op position), so results are
//! identical for any number of workers. When an op can drop samples (`RemoveIf`), the epoch runs
//! as an ordered sample stream instead (see `filtering.rs`), which keeps that guarantee. A
//! grouped dataset (BatchDataset, InterleaveDataset) gives one batch per item (see `grouped.rs`).

mod active_ops;
mod base;
mod benchmark;
mod epoch_plan;
mod epoch_source;
mod filtering;
mod grouped;
mod loader;
mod run_ops;
mod shard;
mod worker_pool;

pub use base::{Pipeline, PipelineBuilder};
pub use benchmark::{BenchmarkReport, OpTiming};
pub use loader::Loader;
pub use shard::Shard;
