//! Distributed training's process layout (FE's multi-GPU, on torchrun's contract).
//!
//! A distributed job is N copies of the same program. A launcher (`torchrun --no-python
//! --nproc-per-node N ./job`, `fastestimator launch`, SLURM, Kubernetes) starts them and tells each
//! its place through environment variables: `RANK`, `LOCAL_RANK`, `WORLD_SIZE`,
//! `LOCAL_WORLD_SIZE`, `GROUP_RANK` (the node), `MASTER_ADDR` and `MASTER_PORT`.
//! [`DistributedEnv::from_env`] reads them; [`Launcher`] is this crate's own launcher, with
//! torchrun's contract, so a job runs the same under either.
//!
//! With `WORLD_SIZE` above 1 the Estimator joins the job through [`init`]: a [`ProcessGroup`] on
//! PyTorch's own c10d engine (a `TCPStore` rendezvous and Gloo collectives, reached through a
//! small C++ shim compiled by the build script). Then each rank reads its shard of every epoch,
//! gradients are averaged across ranks, metrics reduce their accumulators, and only rank 0 prints
//! and writes files.
//!
//! ```
//! use fastestimator as fe;
//! let env = fe::distributed::DistributedEnv::from_env()?;
//! // A program started on its own is rank 0 of 1.
//! assert_eq!((env.rank, env.world_size), (0, 1));
//! assert!(env.is_main_process());
//! # Ok::<(), fe::FeError>(())
//! ```

mod env;
mod ffi;
mod global;
mod gradient_sync;
mod launcher;
mod process_group;

pub use env::DistributedEnv;
pub use global::{current, init, is_main_process, rank, world_size};
pub use gradient_sync::{overlap_totals, GradientSync, OverlapTotals};
pub use launcher::{Launcher, NprocPerNode};
pub use process_group::{CommBackend, ProcessGroup, DEFAULT_TIMEOUT};
