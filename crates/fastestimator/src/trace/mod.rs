//! Traces: metrics and callbacks in one concept (FE's `fe.trace`).
//!
//! The Estimator calls each trace's events in a fixed order (`on_begin`, then per epoch
//! `on_epoch_begin`, per batch `on_batch_begin`/`on_batch_end`, then `on_epoch_end`, and finally
//! `on_end`). Traces read the batch and predictions from [`Data`], write results for the Logger
//! (`write_with_log`) or for later traces only (`write_without_log`), and may stop training
//! through [`System::stop_training`].

pub mod adapt;
mod data;
mod essential;
pub mod io;
mod logger;
pub mod metric;
pub mod report;
mod scheduled;
mod sort;
pub mod xai;

pub use data::Data;
pub use essential::{EvalEssential, TestEssential, TrainEssential};
pub use logger::{format_log_line, Logger};
pub use scheduled::ScheduledTrace;
pub use sort::sort_traces;

use std::any::Any;

use crate::error::{FeError, Result};
use crate::network::Network;
use crate::op::HasIo;
use crate::summary::{LogValue, System};

/// A metric or callback (FE's `Trace`). Every event has a default that does nothing.
pub trait Trace: HasIo + Send + AsAny {
    /// The trace's name, as shown in logs and errors.
    fn name(&self) -> String;

    /// Called once by the Estimator before planning, to resolve defaults that depend on the
    /// network (a model's loss key) and to check resources (a writable folder).
    fn bind(&mut self, _network: &Network) -> Result<()> {
        Ok(())
    }

    /// Keys this trace wants the essential traces to monitor (FE's `fe_monitor_names`).
    fn monitor_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether this trace exists to write files or draw pictures (savers, loggers to disk,
    /// reports). In a job on several processes such traces run on global rank 0 only, so each
    /// file is written once. A trace that computes values other traces read, or that makes a
    /// control decision, must return `false` (the default) so that every rank runs it.
    fn writes_files(&self) -> bool {
        false
    }

    /// Whether this is one of the essential traces, which sort first.
    fn is_essential(&self) -> bool {
        false
    }

    /// Once, before training or testing.
    fn on_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        Ok(())
    }
    /// At the start of every epoch of a mode this trace runs in.
    fn on_epoch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        Ok(())
    }
    /// Before the network runs on a batch; `data` holds the pipeline's batch.
    fn on_batch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        Ok(())
    }
    /// After the network; `data` holds the batch, the predictions and earlier traces' writes.
    fn on_batch_end(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        Ok(())
    }
    /// Before the batches of one dataset (ds_id) of a multi-dataset epoch.
    fn on_ds_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        Ok(())
    }
    /// After the batches of one dataset; what is written here joins the epoch-end data.
    fn on_ds_end(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        Ok(())
    }
    /// At the end of every epoch; write the epoch's results here with `write_with_log`.
    fn on_epoch_end(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        Ok(())
    }
    /// Once, after training or testing.
    fn on_end(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        Ok(())
    }

    /// The trace's state (best values, wait counters, accumulated counts...), for checkpoints.
    /// Traces without state between epochs keep the default, `Null`.
    fn state(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// Restore a state written by [`Trace::state`].
    fn load_state(&mut self, _state: &serde_json::Value) -> Result<()> {
        Ok(())
    }

    /// Told the epoch before each epoch's planning and events (a [`ScheduledTrace`] picks its
    /// trace here).
    fn set_epoch(&mut self, _epoch: usize) {}

    /// Epochs at which the trace changes (scheduled traces), for planning.
    fn change_epochs(&self, _total_epochs: usize) -> Vec<usize> {
        vec![1]
    }
}

/// A view of a value as [`Any`], implemented for every `'static` type. It is the supertrait
/// that lets a trace be found by its type (`is`, `downcast_ref` and `downcast_mut` on
/// `dyn Trace`); implementors of [`Trace`] never write it.
pub trait AsAny: Any {
    /// This value as `&dyn Any`.
    fn as_any(&self) -> &dyn Any;
    /// This value as `&mut dyn Any`.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Find a trace by its type, as `std::any::Any` does: the Estimator finds the
/// [`io::RestoreWizard`] among the user's traces with `downcast_ref::<RestoreWizard>()`.
impl dyn Trace {
    /// Whether this trace is a `T`.
    pub fn is<T: Trace>(&self) -> bool {
        AsAny::as_any(self).is::<T>()
    }
    /// This trace as a `T`, if it is one.
    pub fn downcast_ref<T: Trace>(&self) -> Option<&T> {
        AsAny::as_any(self).downcast_ref::<T>()
    }
    /// This trace as a mutable `T`, if it is one.
    pub fn downcast_mut<T: Trace>(&mut self) -> Option<&mut T> {
        AsAny::as_any_mut(self).downcast_mut::<T>()
    }
}

/// Turn a trace's state into JSON (helper for `Trace::state`).
pub(crate) fn to_state<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Read a trace's state back (helper for `Trace::load_state`); `trace` names it in errors.
pub(crate) fn from_state<T: serde::de::DeserializeOwned>(trace: &str, state: &serde_json::Value) -> Result<T> {
    serde_json::from_value(state.clone())
        .map_err(|e| FeError::State { owner: trace.to_string(), reason: e.to_string() })
}

/// The number `trace` monitors: the value of `metric` that an earlier trace wrote with
/// `write_with_log` this epoch. When nothing wrote it (or it is not a number), a
/// [`FeError::MissingMetric`] names the trace, the metric, the mode and epoch from `system`, and
/// the metrics that were written.
pub(crate) fn monitored_value(trace: &str, metric: &str, data: &Data, system: &System) -> Result<f64> {
    data.log(metric).and_then(LogValue::as_f64).ok_or_else(|| FeError::MissingMetric {
        trace: trace.to_string(),
        metric: metric.to_string(),
        mode: system.mode.to_string(),
        epoch: system.epoch_idx,
        written: data.read_logs().keys().cloned().collect(),
    })
}
