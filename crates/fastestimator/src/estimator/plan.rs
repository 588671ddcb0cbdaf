//! Planning before compute: every key that an op or trace needs must be produced upstream, for
//! every signature epoch, before the first batch; then the optional warmup steps.

use super::Estimator;
use crate::error::Result;
use crate::network::Network;
use crate::op::tensor::NetState;
use crate::pipeline::Pipeline;
use crate::trace::{sort_traces, Trace};
use crate::util::{missing_key, Mode};

impl Estimator {
    /// Plan (and with `warmup`, run one weight-free step) for every signature epoch — each
    /// distinct configuration of scheduled datasets, batch sizes, ops and traces — × mode × ds_id.
    pub(super) fn plan(&mut self, traces: &mut [Box<dyn Trace>], modes: &[Mode], warmup: bool) -> Result<()> {
        let first = self.epoch_idx.max(1);
        let epochs: Vec<usize> = if modes == [Mode::Test] {
            vec![first]
        } else {
            let mut points = vec![self.pipeline.change_epochs(self.epochs), self.network.change_epochs(self.epochs)];
            points.extend(traces.iter().map(|t| t.change_epochs(self.epochs)));
            crate::schedule::get_signature_epochs(&points, self.epochs).into_iter().filter(|&e| e >= first).collect()
        };
        // Every key of every signature epoch is checked before any batch reaches the network.
        for &epoch in &epochs {
            self.plan_epoch(traces, modes, false, epoch)?;
        }
        if warmup {
            for &epoch in &epochs {
                self.plan_epoch(traces, modes, true, epoch)?;
            }
        }
        Ok(())
    }

    /// Check the keys of one signature epoch, or (`warmup`) run its weight-free warmup steps.
    fn plan_epoch(&mut self, traces: &mut [Box<dyn Trace>], modes: &[Mode], warmup: bool, epoch: usize) -> Result<()> {
        for t in traces.iter_mut() {
            t.set_epoch(epoch);
        }
        let mut all_keys: Vec<String> = Vec::new();
        for &mode in modes {
            for ds_id in self.pipeline.get_ds_ids_at(mode, epoch) {
                if !warmup {
                    all_keys.extend(plan_mode(&self.pipeline, &self.network, traces, mode, epoch, &ds_id)?);
                } else {
                    let mut loader =
                        self.pipeline.tensor_loader_for(mode, epoch, &ds_id, Some(1), self.network.device())?;
                    if let Some(batch) = loader.next() {
                        let mut batch = batch?;
                        let mut state = NetState::new(mode, epoch);
                        state.ds_id = ds_id.clone();
                        state.warmup = true;
                        self.network.run_step(&mut batch, state)?;
                    }
                }
            }
        }
        if let Some(missing) = self.user_monitor_names.iter().find(|n| !warmup && !all_keys.contains(n)) {
            let mode = modes.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("/");
            return Err(missing_key("monitor_names", missing, all_keys.iter().map(String::as_str), mode, epoch, ""));
        }
        Ok(())
    }
}

/// Check one (mode, epoch, ds_id): pipeline keys → network → traces. Returns every key
/// available once the traces have run.
pub(crate) fn plan_mode(
    pipeline: &Pipeline,
    network: &Network,
    traces: &[Box<dyn Trace>],
    mode: Mode,
    epoch: usize,
    ds_id: &str,
) -> Result<Vec<String>> {
    let pipeline_keys = pipeline.output_keys(mode, epoch, ds_id)?;
    let mut keys = network.plan(&pipeline_keys, mode, epoch, ds_id)?;
    let active: Vec<usize> = (0..traces.len()).filter(|&i| traces[i].io().applies(mode, ds_id)).collect();
    let order = sort_active(traces, &active)?;
    for &i in &order {
        let t = &traces[i];
        for input in t.io().inputs.iter().filter(|k| *k != "*") {
            if !keys.contains(input) {
                return Err(missing_key(t.name(), input, keys.iter().map(String::as_str), mode, epoch, ds_id));
            }
        }
        keys.extend(t.io().outputs.iter().cloned());
    }
    Ok(keys)
}

/// Sort the traces active in a mode. The sort is weak (an input no trace produces is assumed
/// available) so that the caller can report a missing key with its mode, epoch and closest name;
/// a dependency cycle is an error here.
pub(crate) fn sort_active(traces: &[Box<dyn Trace>], active: &[usize]) -> Result<Vec<usize>> {
    let view: Vec<&dyn Trace> = active.iter().map(|&i| traces[i].as_ref()).collect();
    Ok(sort_traces(&view, None)?.into_iter().map(|j| active[j]).collect())
}
