//! NumpyOps: per-sample (and per-batch) transforms on ndarray [`Value`]s, run by the Pipeline's
//! worker threads (FE's `fe.op.numpyop`).
//!
//! - this module: the [`NumpyOp`] trait, [`OpState`] (mode, epoch, ds_id and the per-sample random
//!   stream) and FE's base ops: [`Batch`], [`Delete`], [`LambdaOp`], [`RemoveIf`];
//! - [`univariate`]: ops that transform each input on its own (data and label ops, image-only
//!   augmentation, [`univariate::RUA`]);
//! - [`multivariate`]: one random spatial transform applied consistently to an image, its masks,
//!   bounding boxes and keypoints;
//! - [`meta`]: ops that run other ops (`Sometimes`, `OneOf`, `Repeat`, `Fuse`).
//!
//! Every random op draws from [`OpState::rng`], which is seeded from (run seed, mode, ds_id,
//! epoch, sample position, op position), so augmentation is identical for any number of workers.

mod batch;
mod delete;
mod expand_dims;
pub(crate) mod imgproc;
mod lambda;
pub mod meta;
mod minmax;
pub mod multivariate;
mod normalize;
mod onehot;
mod remove_if;
mod scheduled;
pub mod univariate;

pub use batch::{Batch, CollateFn};
pub use delete::Delete;
pub use expand_dims::ExpandDims;
pub use lambda::LambdaOp;
pub use minmax::Minmax;
pub use normalize::Normalize;
pub use onehot::Onehot;
pub use remove_if::RemoveIf;
pub use scheduled::ScheduledOp;

use crate::error::{FeError, Result};
use crate::op::HasIo;
use crate::util::{closest_key, derive_seed, seeded_rng, FeRng, Mode};
use crate::value::{Sample, Value};

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

    /// The state for the `index`-th child of a meta op (or the `index`-th repetition): same mode,
    /// epoch, ds_id and sample, its own random stream, independent of the parent's.
    pub fn child(&self, index: u64) -> OpState<'a> {
        let [seed, epoch, position, op] = self.seed_parts;
        let op = derive_seed(op, &[index, 0x0063_6869_6c64]);
        OpState {
            mode: self.mode,
            epoch: self.epoch,
            ds_id: self.ds_id,
            seed_parts: [seed, epoch, position, op],
            rng: None,
        }
    }
}

/// What an op that may drop data returns (see [`NumpyOp::forward_or_filter`]).
#[derive(Debug, Clone, PartialEq)]
pub enum OpOutput {
    /// The output values, one per output key.
    Data(Vec<Value>),
    /// FE's `FilteredData`: drop this sample (or batch). With `replacement`, the epoch keeps its
    /// length by drawing other samples; without, the epoch gets shorter.
    Filtered {
        /// Whether a replacement sample is drawn.
        replacement: bool,
    },
}

/// A per-sample data transform (FE's `NumpyOp`).
///
/// `forward` receives the values of the op's input keys, in order, and returns one value per
/// output key. Ops after the `Batch` op receive batched values through `forward_batch`, whose
/// default applies `forward` to each element and stacks the results.
pub trait NumpyOp: HasIo + Send + Sync + std::any::Any {
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

    /// Like [`NumpyOp::forward`], but the op may drop the sample ([`OpOutput::Filtered`]). The
    /// pipeline always calls this; the default wraps `forward`. Ops that override it must also
    /// return `true` from [`NumpyOp::may_filter`].
    fn forward_or_filter(&self, data: Vec<Value>, state: &mut OpState) -> Result<OpOutput> {
        self.forward(data, state).map(OpOutput::Data)
    }

    /// Like [`NumpyOp::forward_batch`], but the op may drop the whole batch. The default wraps
    /// `forward_batch`.
    fn forward_batch_or_filter(&self, data: Vec<Value>, state: &mut OpState) -> Result<OpOutput> {
        self.forward_batch(data, state).map(OpOutput::Data)
    }

    /// Whether the op can drop samples or batches (`RemoveIf`, or a meta op containing one). The
    /// pipeline uses an order-preserving sample stream only when some op can. Default `false`.
    fn may_filter(&self) -> bool {
        false
    }

    /// Set the augmentation strength for [`univariate::RUA`] (`magnitude_coef` in [0, 1]). Ops
    /// without a notion of strength return an error, which RUA reports at construction; meta ops
    /// forward the call to their children.
    fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
        let _ = magnitude_coef;
        Err(FeError::param(
            "RUA",
            "choices",
            format!("RUA augmentations need set_rua_level, which {} does not have", self.name()),
        ))
    }

    /// Whether running the op removes its input keys (the `Delete` op).
    fn removes_inputs(&self) -> bool {
        false
    }
}

/// The two ops the Pipeline treats specially, found by their type: the [`Batch`] op marks the
/// batching point, and a [`ScheduledOp`] holds a different op for each epoch.
pub(crate) trait PipelineRole {
    /// The op as a [`Batch`], when it is one.
    fn as_batch(&self) -> Option<&Batch>;
    /// The op as a [`ScheduledOp`], when it is one.
    fn as_scheduled(&self) -> Option<&ScheduledOp>;
}

impl PipelineRole for dyn NumpyOp {
    fn as_batch(&self) -> Option<&Batch> {
        (self as &dyn std::any::Any).downcast_ref()
    }

    fn as_scheduled(&self) -> Option<&ScheduledOp> {
        (self as &dyn std::any::Any).downcast_ref()
    }
}

/// What [`apply_op`] did with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// The op ran and wrote its outputs.
    Kept,
    /// The op dropped the sample or batch.
    Filtered {
        /// Whether a replacement should be drawn.
        replacement: bool,
    },
}

/// Run one op on a key → value map: read its inputs, run it (per sample, or per batch when
/// `batched`), remove its inputs if it deletes them, and write its outputs. Inputs that the op
/// overwrites are moved out rather than copied.
pub(crate) fn apply_op(op: &dyn NumpyOp, data: &mut Sample, state: &mut OpState, batched: bool) -> Result<Applied> {
    let io = op.io();
    let mut inputs = Vec::with_capacity(io.inputs.len());
    for (i, key) in io.inputs.iter().enumerate() {
        let Some(value) = data.get_mut(key) else {
            return Err(FeError::MissingKey {
                consumer: op.name(),
                key: key.clone(),
                mode: state.mode.to_string(),
                epoch: state.epoch,
                ds_id: state.ds_id.to_string(),
                closest: closest_key(key, data.keys().map(String::as_str)),
            });
        };
        let overwritten =
            io.outputs.contains(key) && !io.inputs[i + 1..].contains(key) && !io.inputs[..i].contains(key);
        if overwritten && !op.removes_inputs() {
            inputs.push(std::mem::replace(value, Value::Bool(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), false))));
        } else {
            inputs.push(value.clone());
        }
    }
    let output =
        if batched { op.forward_batch_or_filter(inputs, state)? } else { op.forward_or_filter(inputs, state)? };
    let outputs = match output {
        OpOutput::Data(values) => values,
        OpOutput::Filtered { replacement } => return Ok(Applied::Filtered { replacement }),
    };
    if op.removes_inputs() {
        for key in &io.inputs {
            data.shift_remove(key);
        }
    }
    if outputs.len() != io.outputs.len() {
        return Err(FeError::LengthMismatch {
            context: op.name(),
            what: format!("values for the output keys {:?}", io.outputs),
            expected: io.outputs.len(),
            got: outputs.len(),
        });
    }
    for (key, value) in io.outputs.iter().zip(outputs) {
        data.insert(key.clone(), value);
    }
    Ok(Applied::Kept)
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
