//! Running a list of NumpyOps over one sample or batch.

use std::sync::Arc;

use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::util::{closest_key, Mode};
use crate::value::Sample;

/// Where in the pipeline an op list runs, for seeding and error messages.
pub(crate) struct OpContext<'a> {
    pub mode: Mode,
    pub epoch: usize,
    pub ds_id: &'a str,
    pub seed: u64,
    /// Sample position in the epoch (per-sample ops) or batch index (per-batch ops).
    pub position: u64,
    /// Index of the first op in the full op list (keeps op seeds distinct across the Batch op).
    pub first_op_index: u64,
    pub batched: bool,
}

/// Apply `ops` in order to `data`.
pub(crate) fn run_ops(ops: &[Arc<dyn NumpyOp>], data: &mut Sample, ctx: &OpContext) -> Result<()> {
    for (i, op) in ops.iter().enumerate() {
        let io = op.io();
        let mut inputs = Vec::with_capacity(io.inputs.len());
        for key in &io.inputs {
            let value = data.get(key).ok_or_else(|| FeError::MissingKey {
                consumer: op.name(),
                key: key.clone(),
                mode: ctx.mode.to_string(),
                epoch: ctx.epoch,
                ds_id: ctx.ds_id.to_string(),
                closest: closest_key(key, data.keys().map(String::as_str)),
            })?;
            inputs.push(value.clone());
        }
        let mut state =
            OpState::new(ctx.mode, ctx.epoch, ctx.ds_id, ctx.seed, ctx.position, ctx.first_op_index + i as u64);
        let outputs = if ctx.batched { op.forward_batch(inputs, &mut state)? } else { op.forward(inputs, &mut state)? };
        if op.removes_inputs() {
            for key in &io.inputs {
                data.shift_remove(key);
            }
        }
        if outputs.len() != io.outputs.len() {
            return Err(FeError::Mismatch {
                context: op.name(),
                reason: format!(
                    "produced {} values for {} output keys {:?}",
                    outputs.len(),
                    io.outputs.len(),
                    io.outputs
                ),
            });
        }
        for (key, value) in io.outputs.iter().zip(outputs) {
            data.insert(key.clone(), value);
        }
    }
    Ok(())
}
