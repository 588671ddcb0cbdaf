//! Epochs over grouped datasets: every item is a group of samples that becomes one batch (FE: a
//! dataset item that is a list of dicts, as BatchDataset and InterleaveDataset serve).
//!
//! Step `s` of the epoch is item `s` (groups are not shuffled: the dataset draws its own order).
//! Each sample of the group runs through the per-sample ops chosen by the group's ds_id (the
//! member's name in a named InterleaveDataset, else the pipeline's ds_id); then the group is
//! collated by that ds_id's `Batch` op (its size is ignored: the group is the batch) and the
//! per-batch ops run. Sample `j` of the group at epoch position `p` is seeded by position
//! `p · 2^20 + j`, so results do not depend on the number of workers.
//!
//! A sample that an op drops (`RemoveIf`) leaves the group, so that batch is smaller, as in FE,
//! whose loader discards the filtered entries of a list item. A group that loses every sample,
//! or a batch that a per-batch op drops, is an error: a grouped epoch has a fixed number of
//! steps and nothing to refill them with.

use std::collections::HashMap;

use super::active_ops::ActiveOps;
use super::epoch_plan::EpochPlan;
use super::run_ops::{run_ops, EpochCtx, OpContext};
use crate::dataset::Dataset;
use crate::error::{FeError, Result};
use crate::op::numpy::{Applied, Batch};
use crate::value::Sample;

/// Seeds of the samples of one group are spaced this far apart.
const GROUP_STRIDE: u64 = 1 << 20;

/// The ops of each ds_id a group can carry: the pipeline's own and every named member's.
pub(super) struct GroupedOps {
    /// The pipeline's ds_id, used by groups that carry none.
    ds_id: String,
    by_ds_id: HashMap<String, ActiveOps>,
}

impl GroupedOps {
    /// Collect the ops for the pipeline's `ds_id` and the dataset's members. `active` gives the
    /// ops of one ds_id.
    pub(super) fn new(ds: &dyn Dataset, ds_id: &str, active: impl Fn(&str) -> Result<ActiveOps>) -> Result<GroupedOps> {
        let mut ids: Vec<String> = vec![ds_id.to_string()];
        ids.extend(ds.member_ds_ids().into_iter().flatten());
        let mut by_ds_id = HashMap::new();
        for id in ids {
            let ops = active(&id)?;
            by_ds_id.insert(id, ops);
        }
        Ok(GroupedOps { ds_id: ds_id.to_string(), by_ds_id })
    }

    /// The ops for a group's ds_id. A ds_id the dataset did not list in `member_ds_ids` is an
    /// error: its ops were never planned, and silently using others would be wrong.
    fn for_group(&self, ds_id: Option<&str>, index: usize, ctx: &EpochCtx) -> Result<(&str, &ActiveOps)> {
        let id = ds_id.unwrap_or(&self.ds_id);
        match self.by_ds_id.get_key_value(id) {
            Some((id, ops)) => Ok((id.as_str(), ops)),
            None => Err(FeError::Epoch {
                mode: ctx.mode.to_string(),
                epoch: ctx.epoch,
                ds_id: self.ds_id.clone(),
                reason: format!(
                    "item {index} of the grouped dataset carries ds_id {id:?}, which its member_ds_ids() does not list"
                ),
            }),
        }
    }
}

/// Build step `step` of a grouped epoch (see the module docs).
pub(super) fn build_group_step(
    ds: &dyn Dataset,
    ops: &GroupedOps,
    plan: &EpochPlan,
    step: usize,
    ctx: &EpochCtx,
) -> Result<Sample> {
    let (mode, epoch, seed) = (ctx.mode, ctx.epoch, ctx.seed);
    let epoch_ctx = ctx;
    let error = |ds_id: &str, reason: String| FeError::Epoch {
        mode: mode.to_string(),
        epoch,
        ds_id: ds_id.to_string(),
        reason,
    };
    let Some((position, index)) = plan.batch(step).next() else {
        return Err(error(&ctx.ds_id, format!("step {step} is past the end of the epoch")));
    };
    let group = ds.get_group(index, epoch)?;
    let (ds_id, active) = ops.for_group(group.ds_id.as_deref(), index, ctx)?;
    if group.samples.is_empty() {
        return Err(error(ds_id, format!("item {index} of the grouped dataset holds no samples")));
    }
    let mut samples = Vec::with_capacity(group.samples.len());
    for (j, mut sample) in group.samples.into_iter().enumerate() {
        let ctx = OpContext {
            mode,
            epoch,
            ds_id,
            seed,
            position: position as u64 * GROUP_STRIDE + j as u64,
            first_op_index: 0,
            batched: false,
        };
        if run_ops(&active.instance, &mut sample, &ctx)? == Applied::Kept {
            samples.push(sample);
        }
    }
    if samples.is_empty() {
        return Err(error(ds_id, format!("item {index} of the grouped dataset has no samples left after the ops")));
    }
    let mut batch = match &active.batch {
        Some(b) => b.collate(samples)?,
        None => {
            let plain = Batch::new(samples.len())?;
            match group.pad_value {
                Some(pad) => plain.pad_value(pad).collate(samples)?,
                None => plain.collate(samples)?,
            }
        }
    };
    let ctx = OpContext::for_batch(mode, epoch, ds_id, seed, step, active.first_batch_op_index);
    if run_ops(&active.batch_ops, &mut batch, &ctx)? != Applied::Kept {
        return Err(error(ds_id, "a per-batch op dropped a batch of a grouped dataset".into()));
    }
    epoch_ctx.shard_batch(batch).ok_or_else(|| {
        error(ds_id, format!("group {index} has fewer samples than there are ranks; every rank needs one"))
    })
}
