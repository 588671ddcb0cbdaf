//! `ScheduledOp`: a NumpyOp that changes with the epoch.

use std::sync::Arc;

use super::{NumpyOp, OpState, PipelineRole};
use crate::error::{FeError, Result};
use crate::op::{HasIo, OpIo};
use crate::schedule::{EpochScheduler, RepeatScheduler, Schedule};
use crate::value::Value;

/// An op chosen by epoch (FE's `EpochScheduler`/`RepeatScheduler` in a Pipeline's op list):
/// the Pipeline runs the op in effect for the epoch, or nothing where the schedule holds `None`.
///
/// ```
/// use fastestimator::op::numpy::{Minmax, NumpyOp, ScheduledOp};
/// let op = ScheduledOp::epochs(vec![(1, Some(Box::new(Minmax::new("x", "x")) as Box<dyn NumpyOp>)), (3, None)]).unwrap();
/// assert!(op.at(2).is_some() && op.at(3).is_none());
/// ```
pub struct ScheduledOp {
    io: OpIo,
    schedule: Schedule<Arc<dyn NumpyOp>>,
}

impl HasIo for ScheduledOp {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl ScheduledOp {
    fn make(schedule: Schedule<Arc<dyn NumpyOp>>) -> Result<Self> {
        let first = schedule
            .all()
            .first()
            .map(|o| o.io().clone())
            .ok_or_else(|| FeError::param("ScheduledOp", "schedule", "holds no op"))?;
        for op in schedule.all() {
            if op.as_batch().is_some()
                && schedule.all().len() > 1
                && schedule.all().iter().any(|o| o.as_batch().is_none())
            {
                return Err(FeError::param(
                    "ScheduledOp",
                    "schedule",
                    "cannot mix Batch ops and other ops in one schedule",
                ));
            }
        }
        Ok(ScheduledOp { io: first, schedule })
    }

    /// Ops switching at epochs: `(epoch, op or None)`.
    pub fn epochs(pairs: Vec<(usize, Option<Box<dyn NumpyOp>>)>) -> Result<Self> {
        let pairs = pairs.into_iter().map(|(e, o)| (e, o.map(Arc::<dyn NumpyOp>::from))).collect();
        Self::make(Schedule::Epoch(EpochScheduler::new(pairs)?))
    }

    /// Ops cycling with the epoch.
    pub fn repeat(list: Vec<Option<Box<dyn NumpyOp>>>) -> Result<Self> {
        let list = list.into_iter().map(|o| o.map(Arc::<dyn NumpyOp>::from)).collect();
        Self::make(Schedule::Repeat(RepeatScheduler::new(list)?))
    }

    /// The op in effect at `epoch`.
    pub fn at(&self, epoch: usize) -> Option<&Arc<dyn NumpyOp>> {
        self.schedule.at(epoch)
    }

    /// Every op of the schedule.
    pub fn all(&self) -> Vec<&Arc<dyn NumpyOp>> {
        self.schedule.all()
    }

    /// Epochs at which the op changes.
    pub fn change_epochs(&self, total_epochs: usize) -> Vec<usize> {
        self.schedule.change_epochs(total_epochs)
    }
}

impl NumpyOp for ScheduledOp {
    fn name(&self) -> String {
        format!("Scheduled({})", self.all().iter().map(|o| o.name()).collect::<Vec<_>>().join(", "))
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        match self.at(state.epoch) {
            Some(op) => op.forward(data, state),
            None => Ok(data),
        }
    }
}
