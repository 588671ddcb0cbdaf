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
use crate::util::missing_key;

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
            map.get(k).map(Tensor::shallow_clone).ok_or_else(|| {
                missing_key(op.name(), k, map.keys().map(String::as_str), state.mode, state.epoch, &state.ds_id)
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
        return Err(FeError::LengthMismatch {
            context: op.name(),
            what: format!("tensors for the output keys {:?}", op.io().outputs),
            expected: op.io().outputs.len(),
            got: outputs.len(),
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

fn outputs_of(keys: &[String], map: &IndexMap<String, Tensor>, context: &str, state: &NetState) -> Result<Vec<Tensor>> {
    keys.iter()
        .map(|k| {
            map.get(k).map(Tensor::shallow_clone).ok_or_else(|| {
                missing_key(context, k, map.keys().map(String::as_str), state.mode, state.epoch, &state.ds_id)
            })
        })
        .collect()
}
