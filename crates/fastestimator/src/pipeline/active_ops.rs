//! [`ActiveOps`]: the NumpyOps that apply to one (mode, epoch, ds_id), split around the Batch op.
//! The Pipeline resolves them; the plain, filtering and grouped epoch runners read them.

use std::sync::Arc;

use crate::op::numpy::{Batch, NumpyOp};

/// The ops active for one (mode, ds_id): those before the Batch op, the Batch op, those after.
pub(super) struct ActiveOps {
    pub(super) instance: Vec<Arc<dyn NumpyOp>>,
    pub(super) batch: Option<Batch>,
    pub(super) batch_ops: Vec<Arc<dyn NumpyOp>>,
    pub(super) first_batch_op_index: u64,
    /// The batch size given explicitly (by the Batch op or the Pipeline's `batch_size`), not
    /// the fallback of 1.
    pub(super) given_batch_size: Option<usize>,
}

impl ActiveOps {
    /// (batch size, drop_last); an unbatched pipeline steps one sample at a time.
    pub(super) fn batching(&self) -> (usize, bool) {
        self.batch.as_ref().map_or((1, false), |b| (b.batch_size.unwrap_or(1), b.drop_last))
    }

    /// Whether any op can drop samples or batches (then epochs run as an ordered sample stream).
    pub(super) fn may_filter(&self) -> bool {
        self.instance.iter().chain(&self.batch_ops).any(|op| op.may_filter())
    }
}
