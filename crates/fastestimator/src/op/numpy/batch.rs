//! `Batch`: the point in the op list where samples become batches.

use std::sync::Arc;

use super::{NumpyOp, OpState};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, OpIo};
use crate::value::{Sample, Value};

/// A user collate function: samples in, one batch out (or an error message).
pub type CollateFn = dyn Fn(Vec<Sample>) -> std::result::Result<Sample, String> + Send + Sync;

/// Marks the batching point: ops before it run per sample, ops after it per batch.
///
/// `batch_size` overrides the Pipeline's; `drop_last` drops a final short batch; `pad_value`
/// pads samples of different shapes up to the largest one in the batch; `collate_fn` replaces
/// the default collation altogether (it cannot be combined with `pad_value`, as in FE).
///
/// ```
/// use fastestimator::op::numpy::Batch;
/// use fastestimator::{Sample, Value};
/// // Collate by keeping only the first sample's "x" (a toy collate function).
/// let batch = Batch::new(4).unwrap().collate_fn(|samples: Vec<Sample>| {
///     let mut out = Sample::new();
///     out.insert("x".into(), samples[0]["x"].clone());
///     Ok(out)
/// });
/// ```
#[derive(Clone)]
pub struct Batch {
    io: OpIo,
    /// Samples per batch (`None`: use the Pipeline's batch_size).
    pub batch_size: Option<usize>,
    /// Drop the last incomplete batch.
    pub drop_last: bool,
    /// Pad ragged values with this value.
    pub pad_value: Option<f64>,
    collate_fn: Option<Arc<CollateFn>>,
}
impl_has_io!(Batch);

impl Batch {
    /// A batch of `batch_size` samples (must be at least 1).
    pub fn new(batch_size: usize) -> Result<Self> {
        if batch_size == 0 {
            return Err(FeError::param("Batch", "batch_size", "must be at least 1"));
        }
        Ok(Batch {
            io: OpIo::new((), ()),
            batch_size: Some(batch_size),
            drop_last: false,
            pad_value: None,
            collate_fn: None,
        })
    }

    /// A Batch op that takes its size from the Pipeline.
    pub fn pipeline_sized() -> Self {
        Batch { io: OpIo::new((), ()), batch_size: None, drop_last: false, pad_value: None, collate_fn: None }
    }

    /// Drop the last batch if it is short.
    pub fn drop_last(mut self, drop: bool) -> Self {
        self.drop_last = drop;
        self
    }

    /// Pad ragged samples with `value`.
    pub fn pad_value(mut self, value: f64) -> Self {
        if self.collate_fn.is_some() {
            self.io.reject("pad_value", "pad_value and collate_fn cannot both be given");
        }
        self.pad_value = Some(value);
        self
    }

    /// Collate with a user function instead of stacking (FE's `collate_fn`).
    pub fn collate_fn<F>(mut self, f: F) -> Self
    where
        F: Fn(Vec<Sample>) -> std::result::Result<Sample, String> + Send + Sync + 'static,
    {
        if self.pad_value.is_some() {
            self.io.reject("collate_fn", "pad_value and collate_fn cannot both be given");
        }
        self.collate_fn = Some(Arc::new(f));
        self
    }

    /// Collate samples into one batch: every key is stacked (or padded) along a new first axis,
    /// or the user's `collate_fn` is called.
    pub fn collate(&self, samples: Vec<Sample>) -> Result<Sample> {
        if let Some(f) = &self.collate_fn {
            return f(samples).map_err(|reason| FeError::User { context: "Batch collate_fn".into(), reason });
        }
        crate::value::collate_samples(samples, self.pad_value)
    }
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("batch_size", &self.batch_size)
            .field("drop_last", &self.drop_last)
            .field("pad_value", &self.pad_value)
            .field("collate_fn", &self.collate_fn.is_some())
            .finish()
    }
}

impl NumpyOp for Batch {
    fn name(&self) -> String {
        "Batch".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::HasIo;

    fn sample(x: i64) -> Sample {
        Sample::from([("x".to_string(), Value::from(x))])
    }

    #[test]
    fn default_collate_stacks_and_collate_fn_replaces_it() {
        let b = Batch::new(2).unwrap();
        assert_eq!(b.collate(vec![sample(1), sample(2)]).unwrap()["x"], Value::from(vec![1i64, 2]));
        let sum = Batch::new(2).unwrap().collate_fn(|s| {
            let total: i64 = s.iter().map(|s| s["x"].to_f64().unwrap().sum() as i64).sum();
            Ok(Sample::from([("sum".to_string(), Value::from(total))]))
        });
        assert_eq!(sum.collate(vec![sample(1), sample(2)]).unwrap()["sum"], Value::from(3i64));
    }

    #[test]
    fn pad_value_and_collate_fn_are_exclusive() {
        let b = Batch::new(2).unwrap().pad_value(0.0).collate_fn(|s| Ok(s.into_iter().next().unwrap()));
        let err = b.io().validate("Batch").unwrap_err().to_string();
        assert!(err.contains("Batch") && err.contains("collate_fn"), "{err}");
    }
}
