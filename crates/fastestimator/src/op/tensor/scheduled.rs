//! `ScheduledTensorOp`: a TensorOp that changes with the epoch.

use tch::Tensor;

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::{HasIo, OpIo};
use crate::schedule::{EpochScheduler, RepeatScheduler, Schedule};

/// A TensorOp chosen by epoch (FE's scheduled network ops, e.g. a different loss from some
/// epoch on). All ops of the schedule must read and write the same keys, so the network's plan
/// holds at every epoch; where the schedule holds `None`, the op is skipped.
pub struct ScheduledTensorOp {
    io: OpIo,
    schedule: Schedule<Box<dyn TensorOp>>,
}

impl HasIo for ScheduledTensorOp {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl ScheduledTensorOp {
    /// Whether the schedule holds an op at `epoch` (it may hold `None`).
    pub(crate) fn is_active_at(&self, epoch: usize) -> bool {
        self.schedule.at(epoch).is_some()
    }

    fn make(schedule: Schedule<Box<dyn TensorOp>>) -> Result<Self> {
        let all = schedule.all();
        let first = all.first().ok_or_else(|| FeError::param("ScheduledTensorOp", "schedule", "holds no op"))?;
        let io = first.io().clone();
        if let Some(other) = all.iter().find(|o| o.io().inputs != io.inputs || o.io().outputs != io.outputs) {
            return Err(FeError::param(
                "ScheduledTensorOp",
                "schedule",
                format!("{} and {} read or write different keys", first.name(), other.name()),
            ));
        }
        Ok(ScheduledTensorOp { io, schedule })
    }

    /// Ops switching at epochs.
    pub fn epochs(pairs: Vec<(usize, Option<Box<dyn TensorOp>>)>) -> Result<Self> {
        Self::make(Schedule::Epoch(EpochScheduler::new(pairs)?))
    }

    /// Ops cycling with the epoch.
    pub fn repeat(list: Vec<Option<Box<dyn TensorOp>>>) -> Result<Self> {
        Self::make(Schedule::Repeat(RepeatScheduler::new(list)?))
    }
}

impl TensorOp for ScheduledTensorOp {
    fn name(&self) -> String {
        format!("Scheduled({})", self.schedule.all().iter().map(|o| o.name()).collect::<Vec<_>>().join(", "))
    }

    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        match self.schedule.at_mut(state.epoch) {
            Some(op) => op.forward(data, state),
            None => Ok(data),
        }
    }

    fn models(&self) -> Vec<Model> {
        self.schedule.all().iter().flat_map(|o| o.models()).collect()
    }

    fn loss_keys(&self) -> Vec<String> {
        self.schedule.all().iter().flat_map(|o| o.loss_keys()).collect()
    }

    fn change_epochs(&self, total_epochs: usize) -> Vec<usize> {
        self.schedule.change_epochs(total_epochs)
    }

    fn needs_grad(&self) -> bool {
        self.schedule.all().iter().any(|o| o.needs_grad())
    }

    fn watch_keys(&self) -> Vec<String> {
        self.schedule.all().iter().flat_map(|o| o.watch_keys()).collect()
    }
}
