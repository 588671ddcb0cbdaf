//! The Estimator in a job on several processes (see [`crate::distributed`]): joining the job at
//! build time, and the points of a run where the ranks must agree.
//!
//! - **Build:** rank 0's pipeline and network seeds are broadcast (every rank computes the same
//!   epoch order), the pipeline reads this rank's shard, every model takes rank 0's weights and
//!   buffers. Ranks other than 0 print nothing and record no history; the traces that only write
//!   files ([`Trace::writes_files`]) stay in their trace list (so checkpoints match on every
//!   rank) but never run there.
//! - **Each training step:** the logged losses are averaged over the ranks (so the log shows the
//!   global batch's loss and TerminateOnNaN sees the same value everywhere), and a stop asked
//!   for by a trace on any rank stops every rank.
//! - **Each epoch:** after training, models take rank 0's buffers (BatchNorm statistics) before
//!   eval and saving; metrics reduce their accumulators in their own `on_epoch_end`.

use tch::{Kind, Tensor};

use super::base::HistoryTarget;
use super::Estimator;
use crate::distributed::ProcessGroup;
use crate::error::{FeError, Result};
use crate::pipeline::Shard;
use crate::summary::System;
use crate::trace::{Data, Trace};

impl Estimator {
    /// Join the job this process was launched into, if any (see the module docs).
    pub(super) fn join_job(&mut self) -> Result<()> {
        let Some(group) = crate::distributed::init()? else { return Ok(()) };
        let seeds =
            Tensor::from_slice(&[self.pipeline.seed() as i64, self.network.seed() as i64]).to_device(group.device());
        group.broadcast(std::slice::from_ref(&seeds), 0)?;
        let seeds: Vec<i64> =
            Vec::try_from(&seeds.to_device(tch::Device::Cpu)).map_err(|e| FeError::torch("broadcast seeds", e))?;
        self.pipeline.set_seed(seeds[0] as u64);
        self.network.set_seed(seeds[1] as u64);
        self.pipeline.set_shard(Some(Shard { rank: group.rank(), world: group.world_size() }))?;
        self.sync_models(&group)?;
        if group.rank() != 0 {
            crate::output::set_sink(crate::output::silent);
            self.history = HistoryTarget::Off;
        }
        Ok(())
    }

    /// In a job on several processes, every model takes rank 0's weights and buffers.
    pub(super) fn sync_with_rank0(&self) -> Result<()> {
        match crate::distributed::current() {
            Some(group) => self.sync_models(&group),
            None => Ok(()),
        }
    }

    /// Every model takes rank 0's weights and buffers.
    pub(super) fn sync_models(&self, group: &ProcessGroup) -> Result<()> {
        self.network.models().iter().try_for_each(|m| m.broadcast_variables(group, 0))
    }

    /// Average the monitored scalar losses of a training step over the ranks, in place.
    pub(super) fn average_step_losses(&self, data: &mut Data, group: &ProcessGroup) -> Result<()> {
        let batch = data.batch_mut();
        let keys: Vec<&String> =
            self.monitor_names.iter().filter(|k| batch.get(*k).is_some_and(|t| t.numel() == 1)).collect();
        if keys.is_empty() {
            return Ok(());
        }
        let values: Vec<Tensor> = keys.iter().map(|k| batch[*k].detach().to_kind(Kind::Double).reshape([1])).collect();
        let stacked = Tensor::cat(&values, 0).to_device(group.device());
        group.all_reduce_sum(std::slice::from_ref(&stacked))?;
        let mean = stacked / group.world_size() as f64;
        for (i, key) in keys.into_iter().enumerate() {
            let old = &batch[key];
            let value = mean.get(i as i64).to_kind(old.kind()).to_device(old.device()).reshape(old.size().as_slice());
            batch.insert(key.clone(), value);
        }
        Ok(())
    }
}

/// Whether a trace runs on this process: traces that only write files run on rank 0 alone.
pub(super) fn runs_here(trace: &dyn Trace) -> bool {
    !trace.writes_files() || crate::distributed::is_main_process()
}

/// Stop every rank when any rank's traces asked to stop.
pub(super) fn agree_to_stop(system: &mut System, group: &ProcessGroup) -> Result<()> {
    let mut stop = [f64::from(u8::from(system.stop_training))];
    group.max_f64(&mut stop)?;
    system.stop_training = stop[0] > 0.0;
    Ok(())
}
