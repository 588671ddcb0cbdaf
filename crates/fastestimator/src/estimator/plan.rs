//! Planning before compute: every key that an op or trace needs must be produced upstream.

use crate::error::{FeError, Result};
use crate::network::Network;
use crate::pipeline::Pipeline;
use crate::trace::{sort_traces, Trace};
use crate::util::{closest_key, Mode};

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
                return Err(FeError::MissingKey {
                    consumer: t.name(),
                    key: input.clone(),
                    mode: mode.to_string(),
                    epoch,
                    ds_id: ds_id.to_string(),
                    closest: closest_key(input, keys.iter().map(String::as_str)),
                });
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
