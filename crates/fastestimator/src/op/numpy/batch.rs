//! `Batch`: the point in the op list where samples become batches.

use super::{NumpyOp, OpState};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, OpIo};
use crate::value::{Sample, Value};

/// Marks the batching point: ops before it run per sample, ops after it per batch.
///
/// `batch_size` overrides the Pipeline's; `drop_last` drops a final short batch; `pad_value`
/// pads samples of different shapes up to the largest one in the batch.
#[derive(Clone)]
pub struct Batch {
    io: OpIo,
    /// Samples per batch (`None`: use the Pipeline's batch_size).
    pub batch_size: Option<usize>,
    /// Drop the last incomplete batch.
    pub drop_last: bool,
    /// Pad ragged values with this value.
    pub pad_value: Option<f64>,
}
impl_has_io!(Batch);

impl Batch {
    /// A batch of `batch_size` samples (must be at least 1).
    pub fn new(batch_size: usize) -> Result<Self> {
        if batch_size == 0 {
            return Err(FeError::param("Batch", "batch_size", "must be at least 1"));
        }
        Ok(Batch { io: OpIo::new((), ()), batch_size: Some(batch_size), drop_last: false, pad_value: None })
    }

    /// A Batch op that takes its size from the Pipeline.
    pub fn pipeline_sized() -> Self {
        Batch { io: OpIo::new((), ()), batch_size: None, drop_last: false, pad_value: None }
    }

    /// Drop the last batch if it is short.
    pub fn drop_last(mut self, drop: bool) -> Self {
        self.drop_last = drop;
        self
    }

    /// Pad ragged samples with `value`.
    pub fn pad_value(mut self, value: f64) -> Self {
        self.pad_value = Some(value);
        self
    }

    /// Collate samples into one batch: every key is stacked (or padded) along a new first axis.
    pub fn collate(&self, mut samples: Vec<Sample>) -> Result<Sample> {
        let Some(first) = samples.first() else {
            return Ok(Sample::new());
        };
        let keys: Vec<String> = first.keys().cloned().collect();
        let mut out = Sample::with_capacity(keys.len());
        for key in keys {
            let mut column = Vec::with_capacity(samples.len());
            for s in samples.iter_mut() {
                let v = s.swap_remove(&key).ok_or_else(|| FeError::Mismatch {
                    context: "Batch".into(),
                    reason: format!("key {key:?} is in some samples of the batch but not in others"),
                })?;
                column.push(v);
            }
            let value = Value::collate(&key, &column, self.pad_value)?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

impl NumpyOp for Batch {
    fn name(&self) -> String {
        "Batch".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        Ok(data)
    }

    fn as_batch(&self) -> Option<&Batch> {
        Some(self)
    }
}
