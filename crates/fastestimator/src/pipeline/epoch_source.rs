//! [`EpochSource`]: one epoch of one dataset, with its kind chosen once.
//!
//! The Pipeline decides here, and only here, how an epoch runs:
//! - **plain**: batch `b` holds stream positions `b·bs .. (b+1)·bs`, so the workers build whole
//!   batches independently;
//! - **filtering**: an op can drop samples, so batches are formed in order from a sample stream
//!   (see `filtering.rs`);
//! - **grouped**: every dataset item is one batch (see `grouped.rs`).
//!
//! All three run on the same [`WorkerPool`]; [`Loader`] is a thin iterator over it.

use std::sync::Arc;

use super::active_ops::ActiveOps;
use super::epoch_plan::EpochPlan;
use super::filtering;
use super::grouped::{build_group_step, GroupedOps};
use super::loader::Loader;
use super::run_ops::{run_ops, EpochCtx, OpContext};
use super::worker_pool::WorkerPool;
use crate::dataset::Dataset;
use crate::error::{FeError, Result};
use crate::op::numpy::Applied;
use crate::value::Sample;

/// How the batches of an epoch are made.
pub(super) enum EpochKind {
    /// Every batch can be built on its own from its step number.
    Indexed(StepBatches),
    /// Ops may drop samples: batches are assembled in order from a sample stream.
    Filtering(Arc<ActiveOps>),
}

/// Epochs whose batch `step` depends on nothing but `step`.
pub(super) enum StepBatches {
    /// Batch `b` holds stream positions `b·bs .. (b+1)·bs`.
    Plain(Box<ActiveOps>),
    /// Batch `b` is dataset item `b`.
    Grouped(GroupedOps),
}

/// What an epoch reads: the dataset (with grouped members already sized), its batch layout,
/// and where it runs.
pub(super) struct EpochData {
    pub(super) ds: Arc<dyn Dataset>,
    pub(super) plan: EpochPlan,
    pub(super) ctx: EpochCtx,
}

impl EpochData {
    /// Batch `step` of an indexed epoch.
    fn batch(&self, batches: &StepBatches, step: usize) -> Result<Sample> {
        match batches {
            StepBatches::Plain(ops) => build_step(&*self.ds, ops, &self.plan, step, &self.ctx),
            StepBatches::Grouped(ops) => build_group_step(&*self.ds, ops, &self.plan, step, &self.ctx),
        }
    }
}

/// One epoch of one dataset, and how its batches are made.
pub(super) struct EpochSource {
    pub(super) data: EpochData,
    pub(super) kind: EpochKind,
}

impl EpochSource {
    /// The number of batches in the epoch (an upper bound when samples are filtered without
    /// replacement: the epoch may end earlier).
    pub(super) fn steps(&self) -> usize {
        self.data.plan.steps()
    }

    /// The first `num_steps` batches, computed in the calling thread.
    pub(super) fn results(&self, num_steps: usize) -> Result<Vec<Sample>> {
        let d = &self.data;
        match &self.kind {
            EpochKind::Indexed(batches) => (0..num_steps.min(self.steps())).map(|s| d.batch(batches, s)).collect(),
            EpochKind::Filtering(ops) => {
                filtering::results(&*d.ds, Arc::clone(ops), d.plan.clone(), d.ctx.clone(), num_steps)
            }
        }
    }

    /// A loader over the epoch: `workers` threads (one when the dataset must be read in order)
    /// each keep up to `prefetch` batches queued; `convert` runs on each batch in the workers.
    pub(super) fn loader<T, C>(self, workers: usize, prefetch: usize, convert: C) -> Result<Loader<T>>
    where
        T: Send + 'static,
        C: Fn(Sample) -> Result<T> + Send + Sync + 'static,
    {
        let steps = self.steps();
        let workers = if self.data.ds.sequential() { 1 } else { workers };
        let pool = match self.kind {
            EpochKind::Filtering(ops) => {
                let EpochData { ds, plan, ctx } = self.data;
                filtering::spawn(ds, ops, plan, ctx, workers, prefetch, convert)?
            }
            EpochKind::Indexed(batches) => {
                let (shared, convert) = (Arc::new((self.data, batches)), Arc::new(convert));
                WorkerPool::spawn("fe-pipeline", Some(steps), workers, prefetch, |_| {
                    let (shared, convert) = (Arc::clone(&shared), Arc::clone(&convert));
                    move |step| convert(shared.0.batch(&shared.1, step)?).map(Some)
                })?
            }
        };
        Ok(Loader::new(steps, pool))
    }
}

/// Build batch `step` of a plain epoch: fetch, per-sample ops, collate, per-batch ops.
fn build_step(ds: &dyn Dataset, ops: &ActiveOps, plan: &EpochPlan, step: usize, ctx: &EpochCtx) -> Result<Sample> {
    let mut samples = Vec::new();
    for (position, index) in plan.batch(step) {
        let mut sample = ds.get_at(index, ctx.epoch)?;
        check_kept(run_ops(&ops.instance, &mut sample, &ctx.op_context(position as u64, 0, false))?)?;
        samples.push(sample);
    }
    match &ops.batch {
        None => Ok(samples.pop().unwrap_or_default()),
        Some(batch_op) => {
            let mut batch = batch_op.collate(samples)?;
            let op_ctx =
                OpContext::for_batch(ctx.mode, ctx.epoch, &ctx.ds_id, ctx.seed, step, ops.first_batch_op_index);
            check_kept(run_ops(&ops.batch_ops, &mut batch, &op_ctx)?)?;
            Ok(batch)
        }
    }
}

/// In a plain epoch no op may drop data: one that does without declaring `may_filter` is
/// reported rather than silently ignored.
fn check_kept(applied: Applied) -> Result<()> {
    match applied {
        Applied::Kept => Ok(()),
        Applied::Filtered { .. } => Err(FeError::Worker(
            "an op dropped a sample but its may_filter() returns false; override may_filter to return true".into(),
        )),
    }
}
