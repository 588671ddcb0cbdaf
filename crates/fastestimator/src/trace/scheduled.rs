//! `ScheduledTrace`: a trace that changes with the epoch.

use crate::error::Result;
use crate::network::Network;
use crate::op::{HasIo, OpIo};
use crate::schedule::{EpochScheduler, RepeatScheduler, Schedule};
use crate::summary::System;
use crate::trace::{Data, Trace};
use crate::util::ModeSet;

/// A trace chosen by epoch (FE's scheduled traces). Epoch events go to the trace in effect;
/// `on_begin`/`on_end` go to every trace of the schedule; in epochs where the schedule holds
/// `None`, it runs in no mode.
pub struct ScheduledTrace {
    schedule: Schedule<Box<dyn Trace>>,
    epoch: usize,
    idle: OpIo,
}

impl ScheduledTrace {
    fn make(schedule: Schedule<Box<dyn Trace>>) -> Self {
        let mut idle = OpIo::new((), ());
        idle.mode = ModeSet::of(&[]);
        ScheduledTrace { schedule, epoch: 1, idle }
    }

    /// Traces switching at epochs.
    pub fn epochs(pairs: Vec<(usize, Option<Box<dyn Trace>>)>) -> Result<Self> {
        Ok(Self::make(Schedule::Epoch(EpochScheduler::new(pairs)?)))
    }

    /// Traces cycling with the epoch.
    pub fn repeat(list: Vec<Option<Box<dyn Trace>>>) -> Result<Self> {
        Ok(Self::make(Schedule::Repeat(RepeatScheduler::new(list)?)))
    }

    fn current(&mut self) -> Option<&mut Box<dyn Trace>> {
        self.schedule.at_mut(self.epoch)
    }
}

impl HasIo for ScheduledTrace {
    fn io(&self) -> &OpIo {
        self.schedule.at(self.epoch).map(|t| t.io()).unwrap_or(&self.idle)
    }
    fn io_mut(&mut self) -> &mut OpIo {
        let epoch = self.epoch;
        match self.schedule.at_mut(epoch) {
            Some(t) => t.io_mut(),
            None => &mut self.idle,
        }
    }
}

macro_rules! forward_event {
    ($($name:ident),*) => {$(
        fn $name(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
            match self.current() {
                Some(t) => t.$name(data, system),
                None => Ok(()),
            }
        }
    )*};
}

impl Trace for ScheduledTrace {
    fn name(&self) -> String {
        format!("Scheduled({})", self.schedule.all().iter().map(|t| t.name()).collect::<Vec<_>>().join(", "))
    }

    fn bind(&mut self, network: &Network) -> Result<()> {
        for t in self.schedule.all_mut() {
            t.bind(network)?;
        }
        Ok(())
    }

    fn monitor_names(&self) -> Vec<String> {
        self.schedule.all().iter().flat_map(|t| t.monitor_names()).collect()
    }

    fn set_epoch(&mut self, epoch: usize) {
        self.epoch = epoch;
        for t in self.schedule.all_mut() {
            t.set_epoch(epoch);
        }
    }

    fn change_epochs(&self, total_epochs: usize) -> Vec<usize> {
        self.schedule.change_epochs(total_epochs)
    }

    fn on_begin(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        for t in self.schedule.all_mut() {
            t.on_begin(data, system)?;
        }
        Ok(())
    }

    fn on_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        for t in self.schedule.all_mut() {
            t.on_end(data, system)?;
        }
        Ok(())
    }

    forward_event!(on_epoch_begin, on_batch_begin, on_batch_end, on_ds_begin, on_ds_end, on_epoch_end);

    fn state(&self) -> serde_json::Value {
        serde_json::Value::Array(self.schedule.all().iter().map(|t| t.state()).collect())
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<()> {
        if let serde_json::Value::Array(states) = state {
            for (t, s) in self.schedule.all_mut().into_iter().zip(states) {
                t.load_state(s)?;
            }
        }
        Ok(())
    }
}
