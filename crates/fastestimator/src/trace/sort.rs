//! FE's trace ordering: essential and input-free traces first, then by dependency, `"*"` traces last.

use super::Trace;
use crate::error::{FeError, Result};

/// Order `traces` (returns indices into it). `available` holds the keys the pipeline and network
/// produce; with `None` ("weak sort"), any input no trace produces is assumed available.
///
/// Traces are placed once their inputs are available; independent traces keep their order.
/// An input nobody produces, or a dependency cycle, is an error naming the traces and keys.
pub fn sort_traces(traces: &[&dyn Trace], available: Option<&[String]>) -> Result<Vec<usize>> {
    let produced_by_traces: Vec<&String> = traces.iter().flat_map(|t| t.io().outputs.iter()).collect();
    let mut known: Vec<String> = available.map(<[String]>::to_vec).unwrap_or_default();
    let is_known = |key: &String, known: &[String]| {
        known.contains(key) || (available.is_none() && !produced_by_traces.contains(&key))
    };
    let mut order = Vec::with_capacity(traces.len());
    let mut star_with_outputs = Vec::new();
    let mut star_without_outputs = Vec::new();
    let mut pending = Vec::new();
    for (i, t) in traces.iter().enumerate() {
        let inputs = &t.io().inputs;
        if inputs.iter().any(|k| k == "*") {
            if t.io().outputs.is_empty() {
                star_without_outputs.push(i);
            } else {
                star_with_outputs.push(i);
            }
        } else if t.is_essential() || inputs.is_empty() {
            order.push(i);
            known.extend(t.io().outputs.iter().cloned());
        } else {
            pending.push(i);
        }
    }
    while !pending.is_empty() {
        let before = pending.len();
        let mut still = Vec::new();
        for i in pending {
            if traces[i].io().inputs.iter().all(|k| is_known(k, &known)) {
                order.push(i);
                known.extend(traces[i].io().outputs.iter().cloned());
            } else {
                still.push(i);
            }
        }
        if still.len() == before {
            let unsatisfiable: Vec<String> = still
                .iter()
                .flat_map(|&i| {
                    traces[i]
                        .io()
                        .inputs
                        .iter()
                        .filter(|k| !is_known(k, &known) && !produced_by_traces.contains(k))
                        .map(move |k| format!("{} needs {k:?}", traces[i].name()))
                })
                .collect();
            let reason = if unsatisfiable.is_empty() {
                let names: Vec<String> = still.iter().map(|&i| traces[i].name()).collect();
                format!("dependency cycle detected amongst traces: {}", names.join(", "))
            } else {
                format!("unsatisfiable trace inputs: {}", unsatisfiable.join("; "))
            };
            return Err(FeError::param("Estimator", "traces", reason));
        }
        pending = still;
    }
    order.extend(star_with_outputs);
    order.extend(star_without_outputs);
    Ok(order)
}
