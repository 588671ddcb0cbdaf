//! Meta TensorOps: ops that run other ops (FE's `fe.op.tensorop.meta`).

mod fuse;
mod one_of;
mod repeat;
mod sometimes;

pub use fuse::Fuse;
pub use one_of::OneOf;
pub use repeat::Repeat;
pub use sometimes::Sometimes;

use indexmap::IndexMap;
use tch::Tensor;

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};

/// Run `op` on a local key → tensor map, reading its inputs and writing its outputs.
pub(crate) fn run_on_map(
    op: &mut dyn TensorOp,
    map: &mut IndexMap<String, Tensor>,
    state: &mut NetState,
) -> Result<()> {
    let inputs = op
        .io()
        .inputs
        .iter()
        .map(|k| {
            map.get(k).map(Tensor::shallow_clone).ok_or_else(|| FeError::Mismatch {
                context: op.name(),
                reason: format!("key {k:?} is not available inside the meta op"),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let outputs = op.forward(inputs, state)?;
    if op.removes_inputs() {
        for k in &op.io().inputs {
            map.shift_remove(k);
        }
    }
    if outputs.len() != op.io().outputs.len() {
        return Err(FeError::Mismatch {
            context: op.name(),
            reason: format!("produced {} tensors for {} output keys", outputs.len(), op.io().outputs.len()),
        });
    }
    for (k, t) in op.io().outputs.iter().zip(outputs) {
        map.insert(k.clone(), t);
    }
    Ok(())
}

/// Inputs plus any output that is not an input: a skipped op passes those through unchanged.
pub(crate) fn passthrough_inputs(op: &dyn TensorOp) -> Vec<String> {
    let mut inputs = op.io().inputs.clone();
    for out in &op.io().outputs {
        if !inputs.contains(out) {
            inputs.push(out.clone());
        }
    }
    inputs
}

fn as_map(keys: &[String], data: Vec<Tensor>) -> IndexMap<String, Tensor> {
    keys.iter().cloned().zip(data).collect()
}

fn outputs_of(keys: &[String], map: &IndexMap<String, Tensor>, context: &str) -> Result<Vec<Tensor>> {
    keys.iter()
        .map(|k| {
            map.get(k).map(Tensor::shallow_clone).ok_or_else(|| FeError::Mismatch {
                context: context.into(),
                reason: format!("no value for output {k:?}"),
            })
        })
        .collect()
}
