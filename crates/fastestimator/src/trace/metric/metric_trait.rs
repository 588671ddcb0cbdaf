//! [`Metric`]: what makes one metric, apart from the trace machinery that drives it
//! ([`MetricTrace`](super::MetricTrace)).

use ndarray::ArrayD;
use tch::Tensor;

use crate::distributed::ProcessGroup;
use crate::error::{FeError, Result};
use crate::op::OpIo;
use crate::summary::{LogValue, System};
use crate::trace::Data;
use crate::util::missing_key;

use super::input::to_array;

/// One metric: how a batch is read, how it is accumulated into the epoch's state and what the
/// state gives at the epoch's end.
///
/// A metric holds its options only; [`MetricTrace`](super::MetricTrace) owns its keys
/// ([`OpIo`]), one state for the aggregate and one per dataset, and calls these methods in
/// order: [`Metric::validate`] when bound and at every epoch's start, [`Metric::begin_epoch`],
/// then per batch [`Metric::read`] once and [`Metric::update`] for each state, and at the
/// epoch's end [`Metric::result`] for each state.
///
/// ```
/// use fastestimator as fe;
/// use fe::op::OpIo;
/// use fe::summary::LogValue;
/// use fe::trace::metric::{Metric, MetricBatch, MetricTrace};
///
/// /// The number of samples seen.
/// struct Count;
/// impl Metric for Count {
///     type Batch = usize;
///     type State = usize;
///     fn name(&self) -> &str {
///         "Count"
///     }
///     fn read(&self, batch: &MetricBatch<'_>) -> fe::Result<usize> {
///         Ok(batch.tensor(0)?.size().first().copied().unwrap_or(1) as usize)
///     }
///     fn update(&self, state: &mut usize, batch: &usize) -> fe::Result<()> {
///         *state += batch;
///         Ok(())
///     }
///     fn result(&self, state: &usize, io: &OpIo) -> fe::Result<Vec<(String, LogValue)>> {
///         Ok(vec![(io.outputs[0].clone(), LogValue::F64(*state as f64))])
///     }
/// }
/// let trace = MetricTrace::from_metric(Count, OpIo::new(["y"], "count").with_default_mode("eval,test"));
/// # let _ = trace;
/// ```
pub trait Metric: Send + 'static {
    /// What one batch contributes, read once and applied to every state it counts for.
    type Batch;
    /// The state accumulated over an epoch (one for all datasets, one per ds_id).
    type State: Default + Send;

    /// The name of the trace (FE's class name), used in logs and errors.
    fn name(&self) -> &str;

    /// Check the options (and the keys in `io`); an invalid one is a
    /// [`FeError::InvalidParameter`] naming it. Called when the trace is bound to the network and
    /// at the start of every epoch.
    fn validate(&self, _io: &OpIo) -> Result<()> {
        Ok(())
    }

    /// Told at the start of every epoch, before any batch.
    fn begin_epoch(&mut self, _system: &System) {}

    /// Read one batch's contribution.
    fn read(&self, batch: &MetricBatch<'_>) -> Result<Self::Batch>;

    /// Per-instance values of the batch, written as per-instance logs (default: none).
    fn instance_logs(&self, _batch: &Self::Batch, _io: &OpIo) -> Vec<(String, Vec<f64>)> {
        Vec::new()
    }

    /// Add one batch's contribution to a state.
    fn update(&self, state: &mut Self::State, batch: &Self::Batch) -> Result<()>;

    /// In data-parallel training, combine every rank's state into the whole epoch's, on every
    /// rank, before [`Metric::result`]: sum counts with [`ProcessGroup::sum_i64`] /
    /// [`ProcessGroup::sum_f64`], concatenate per-sample values with
    /// [`ProcessGroup::gather_f64`]. Each rank's state holds only the samples it saw (eval and
    /// test are not padded), so the result equals the single-process one. Called only when the
    /// job runs on several processes. The default refuses, naming the metric, rather than
    /// report one rank's share as the epoch's value.
    fn reduce(&self, _state: &mut Self::State, group: &ProcessGroup) -> Result<()> {
        Err(FeError::DistributedSetting {
            setting: self.name().to_string(),
            reason: format!(
                "this metric does not say how to combine its state across the {} processes; implement Metric::reduce",
                group.world_size()
            ),
        })
    }

    /// The results of a state, as (output key, value) pairs (keys from `io.outputs`).
    fn result(&self, state: &Self::State, io: &OpIo) -> Result<Vec<(String, LogValue)>>;
}

/// What a [`Metric`] reads a batch from: the event's data, the trace's keys and the run's
/// position (for errors).
pub struct MetricBatch<'a> {
    trace: &'a str,
    io: &'a OpIo,
    data: &'a Data,
    system: &'a System,
}

impl<'a> MetricBatch<'a> {
    /// The batch `data` of trace `trace` with keys `io`, at the run position in `system`.
    pub fn new(trace: &'a str, io: &'a OpIo, data: &'a Data, system: &'a System) -> Self {
        MetricBatch { trace, io, data, system }
    }

    /// The trace's name.
    pub fn trace(&self) -> &str {
        self.trace
    }

    /// The event's data (batch, predictions, earlier traces' writes).
    pub fn data(&self) -> &'a Data {
        self.data
    }

    /// The run state (mode, epoch, ds_id).
    pub fn system(&self) -> &'a System {
        self.system
    }

    /// The `i`-th input key (0: the ground truth, 1: the prediction for FE's metrics).
    pub fn key(&self, i: usize) -> Result<&'a str> {
        self.io.inputs.get(i).map(String::as_str).ok_or_else(|| {
            FeError::param(
                self.trace,
                "inputs",
                format!("needs at least {} input keys, got {:?}", i + 1, self.io.inputs),
            )
        })
    }

    /// The tensor under the `i`-th input key, or [`FeError::MissingKey`].
    pub fn tensor(&self, i: usize) -> Result<&'a Tensor> {
        let key = self.key(i)?;
        self.data.tensor(key).ok_or_else(|| {
            let s = self.system;
            missing_key(self.trace, key, self.data.batch().keys().map(String::as_str), s.mode, s.epoch_idx, &s.ds_id)
        })
    }

    /// The value under the `i`-th input key, copied to the host as `f64`.
    pub fn array(&self, i: usize) -> Result<ArrayD<f64>> {
        to_array(self.tensor(i)?, self.trace, self.key(i)?)
    }
}
