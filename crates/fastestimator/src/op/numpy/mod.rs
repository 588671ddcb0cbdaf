//! NumpyOps: per-sample (and per-batch) transforms on ndarray [`Value`]s, run by the Pipeline's
//! worker threads (FE's `fe.op.numpyop`).

mod batch;
mod delete;
mod expand_dims;
mod lambda;
mod minmax;
mod normalize;
mod onehot;
mod scheduled;

pub use batch::Batch;
pub use delete::Delete;
pub use expand_dims::ExpandDims;
pub use lambda::LambdaOp;
pub use minmax::Minmax;
pub use normalize::Normalize;
pub use onehot::Onehot;
pub use scheduled::ScheduledOp;

use crate::error::{FeError, Result};
use crate::op::HasIo;
use crate::util::{seeded_rng, FeRng, Mode};
use crate::value::Value;

/// What a NumpyOp knows about the sample it transforms, plus its own random stream.
///
/// The stream is seeded from (run seed, epoch, sample position in the epoch, op position), so an
/// augmentation gives the same result whichever worker thread runs it.
pub struct OpState<'a> {
    /// The mode being run.
    pub mode: Mode,
    /// The 1-based epoch.
    pub epoch: usize,
    /// The dataset id ("" for a single dataset).
    pub ds_id: &'a str,
    seed_parts: [u64; 4],
    rng: Option<FeRng>,
}

impl<'a> OpState<'a> {
    /// A state for one op on one sample. `position` is the sample's position in the epoch and
    /// `op_index` the op's position in the pipeline.
    pub fn new(mode: Mode, epoch: usize, ds_id: &'a str, seed: u64, position: u64, op_index: u64) -> Self {
        OpState { mode, epoch, ds_id, seed_parts: [seed, epoch as u64, position, op_index], rng: None }
    }

    /// This op's random stream for this sample (created on first use).
    pub fn rng(&mut self) -> &mut FeRng {
        let [seed, epoch, position, op] = self.seed_parts;
        self.rng.get_or_insert_with(|| seeded_rng(seed, &[epoch, position, op]))
    }
}

/// A per-sample data transform (FE's `NumpyOp`).
///
/// `forward` receives the values of the op's input keys, in order, and returns one value per
/// output key. Ops after the `Batch` op receive batched values through `forward_batch`, whose
/// default applies `forward` to each element and stacks the results.
pub trait NumpyOp: HasIo + Send + Sync {
    /// The op's name, as shown in logs and errors.
    fn name(&self) -> String;

    /// Transform one sample's input values into its output values.
    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>>;

    /// Transform a batch. The default splits along the first axis, calls `forward` per element
    /// and stacks the outputs.
    fn forward_batch(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let n = data.first().map(|v| v.shape().first().copied().unwrap_or(0)).unwrap_or(0);
        let mut per_output: Vec<Vec<Value>> = vec![Vec::with_capacity(n); self.io().outputs.len()];
        for i in 0..n {
            let item: Vec<Value> = data.iter().map(|v| v.index_first(i)).collect();
            for (slot, v) in per_output.iter_mut().zip(self.forward(item, state)?) {
                slot.push(v);
            }
        }
        per_output.iter().zip(&self.io().outputs).map(|(vals, key)| Value::stack(key, vals)).collect()
    }

    /// The `Batch` op marks the batching point; every other op returns `None`.
    fn as_batch(&self) -> Option<&Batch> {
        None
    }

    /// A [`ScheduledOp`] returns itself, so the Pipeline can pick the op of each epoch.
    fn as_scheduled(&self) -> Option<&ScheduledOp> {
        None
    }

    /// Whether running the op removes its input keys (the `Delete` op).
    fn removes_inputs(&self) -> bool {
        false
    }
}

/// The error for a value that an op cannot handle.
pub(crate) fn bad_value(op: &str, key: &str, reason: impl Into<String>) -> FeError {
    FeError::Shape { op: op.into(), key: key.into(), reason: reason.into() }
}

/// Check that an op got as many values as it has outputs (for ops that map input i to output i).
pub(crate) fn check_pairs(op: &str, io: &crate::op::OpIo) -> Result<()> {
    if io.inputs.len() != io.outputs.len() {
        return Err(FeError::param(
            op,
            "outputs",
            format!("{} inputs but {} outputs; they must pair up", io.inputs.len(), io.outputs.len()),
        ));
    }
    Ok(())
}
