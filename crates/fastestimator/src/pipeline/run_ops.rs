//! Running a list of NumpyOps over one sample or batch.

use std::sync::Arc;

use crate::error::Result;
use crate::op::numpy::{apply_op, Applied, NumpyOp, OpState};
use crate::util::Mode;
use crate::value::Sample;

/// Where in the pipeline an op list runs, for seeding and error messages.
pub(crate) struct OpContext<'a> {
    pub mode: Mode,
    pub epoch: usize,
    pub ds_id: &'a str,
    pub seed: u64,
    /// Sample position in the epoch (per-sample ops) or batch index (per-batch ops).
    pub position: u64,
    /// Index of the first op in the full op list (keeps op seeds distinct across the Batch op).
    pub first_op_index: u64,
    pub batched: bool,
}

impl<'a> OpContext<'a> {
    /// The context of the per-batch ops of step `step` (their positions are kept apart from
    /// sample positions by the top bit).
    pub(crate) fn for_batch(
        mode: Mode,
        epoch: usize,
        ds_id: &'a str,
        seed: u64,
        step: usize,
        first_op_index: u64,
    ) -> OpContext<'a> {
        OpContext { mode, epoch, ds_id, seed, position: step as u64 | (1 << 63), first_op_index, batched: true }
    }

    /// The state of the `i`-th op of the list.
    pub(crate) fn state(&self, i: usize) -> OpState<'_> {
        OpState::new(self.mode, self.epoch, self.ds_id, self.seed, self.position, self.first_op_index + i as u64)
    }
}

/// Where an epoch runs: enough to seed and label every op.
#[derive(Clone)]
pub(crate) struct EpochCtx {
    pub mode: Mode,
    pub epoch: usize,
    pub ds_id: String,
    pub seed: u64,
    /// This rank's share of each batch, in data-parallel training.
    pub shard: Option<super::shard::Shard>,
}

impl EpochCtx {
    /// This rank's rows of an assembled global batch (filtering and grouped epochs), or the
    /// batch itself without sharding; `None` when this rank gets no row of a short last batch.
    pub(crate) fn shard_batch(&self, batch: Sample) -> Option<Sample> {
        match self.shard {
            Some(shard) => shard.slice(batch, super::shard::Shard::pads(self.mode)),
            None => Some(batch),
        }
    }

    pub(crate) fn op_context(&self, position: u64, first_op_index: u64, batched: bool) -> OpContext<'_> {
        OpContext {
            mode: self.mode,
            epoch: self.epoch,
            ds_id: &self.ds_id,
            seed: self.seed,
            position,
            first_op_index,
            batched,
        }
    }
}

/// Apply `ops` in order to `data`. Stops at the first op that filters the data and reports it.
pub(crate) fn run_ops(ops: &[Arc<dyn NumpyOp>], data: &mut Sample, ctx: &OpContext) -> Result<Applied> {
    for (i, op) in ops.iter().enumerate() {
        let mut state = ctx.state(i);
        let applied = apply_op(op.as_ref(), data, &mut state, ctx.batched)?;
        if applied != Applied::Kept {
            return Ok(applied);
        }
    }
    Ok(Applied::Kept)
}
