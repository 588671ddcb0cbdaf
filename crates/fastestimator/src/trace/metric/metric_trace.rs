//! [`MetricTrace`]: the one [`Trace`] behind every metric.

use crate::error::Result;
use crate::network::Network;
use crate::op::{HasIo, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};

use super::metric_trait::{Metric, MetricBatch};
use super::per_ds::PerDs;

/// Runs a [`Metric`] as a trace: it owns the keys ([`OpIo`], running in eval and test unless
/// told otherwise), one state for the aggregate and one per ds_id (FE's `per_ds`), and the
/// epoch's cycle: clear at its start, update per batch, write with log at its end (the aggregate
/// under the output name(s) and, when the run has ds_ids, `name|ds_id` for each).
///
/// FE's metric traces are instances, e.g. [`Accuracy`](super::Accuracy) is
/// `MetricTrace<AccuracyMetric>`; their constructors and option setters are defined on them.
///
/// ```
/// use fastestimator::trace::metric::Accuracy;
/// use fastestimator::trace::Trace;
/// let acc = Accuracy::new("y", "y_pred").output_name("acc").per_ds(false);
/// let trace: Box<dyn Trace> = Box::new(acc);
/// assert_eq!(trace.name(), "Accuracy");
/// ```
pub struct MetricTrace<M: Metric> {
    io: OpIo,
    metric: M,
    state: PerDs<M::State>,
}

impl<M: Metric> HasIo for MetricTrace<M> {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl<M: Metric> MetricTrace<M> {
    /// Run `metric` with the keys and modes of `io`, writing per-dataset results.
    pub fn from_metric(metric: M, io: OpIo) -> Self {
        MetricTrace { io, metric, state: PerDs::default() }
    }

    /// Write the result under another name.
    pub fn output_name(mut self, name: &str) -> Self {
        self.io.outputs = vec![name.to_string()];
        self
    }

    /// Also write `name|ds_id` for every dataset (default true).
    pub fn per_ds(mut self, per_ds: bool) -> Self {
        self.state.set_enabled(per_ds);
        self
    }

    /// The metric and its options.
    pub fn metric(&self) -> &M {
        &self.metric
    }

    /// Check the metric's options now (they are checked when the trace is bound, and at every
    /// epoch's start): an invalid one is a [`FeError::InvalidParameter`](crate::FeError)
    /// naming it.
    pub fn validate(&self) -> Result<()> {
        self.metric.validate(&self.io)
    }

    /// Change the metric's options (for the setters of each metric trace).
    pub(crate) fn with_metric(mut self, f: impl FnOnce(&mut M)) -> Self {
        f(&mut self.metric);
        self
    }
}

impl<M: Metric> Trace for MetricTrace<M> {
    fn name(&self) -> String {
        self.metric.name().to_string()
    }

    fn bind(&mut self, _network: &Network) -> Result<()> {
        self.validate()
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        self.validate()?;
        self.state.clear();
        self.metric.begin_epoch(system);
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let batch = self.metric.read(&MetricBatch::new(self.metric.name(), &self.io, data, system))?;
        let metric = &self.metric;
        self.state.update(&system.ds_id, |state| metric.update(state, &batch))?;
        for (key, values) in metric.instance_logs(&batch, &self.io) {
            data.write_per_instance_log(key, values);
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, _system: &mut System) -> Result<()> {
        if let Some(group) = crate::distributed::current() {
            let metric = &self.metric;
            self.state.for_each_mut(|state| metric.reduce(state, &group))?;
        }
        let (metric, io) = (&self.metric, &self.io);
        self.state.write(data, &io.outputs, |state| metric.result(state, io))
    }
}
