//! `ExpandDims`: insert an axis of length 1.

use super::{check_pairs, NumpyOp, OpState};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Insert an axis of length 1 at `axis` (default -1, i.e. HW → HW1), for every input (multi-io).
pub struct ExpandDims {
    io: OpIo,
    axis: isize,
}
impl_has_io!(ExpandDims);

impl ExpandDims {
    /// Expand along the last axis.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ExpandDims { io: OpIo::new(inputs, outputs), axis: -1 }
    }

    /// Choose the axis (numpy semantics: negative counts from the end).
    pub fn axis(mut self, axis: isize) -> Self {
        self.axis = axis;
        self
    }
}

impl NumpyOp for ExpandDims {
    fn name(&self) -> String {
        "ExpandDims".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        check_pairs("ExpandDims", &self.io)?;
        data.into_iter()
            .zip(&self.io.inputs)
            .map(|(v, key)| {
                let shape = v.shape().to_vec();
                v.expand_dims(self.axis).map_err(|_| {
                    let axis = self.axis;
                    let rank = if axis < 0 { -(axis + 1) } else { axis };
                    FeError::unexpected_shape("ExpandDims", key, format!("rank {rank} or more for axis {axis}"), &shape)
                })
            })
            .collect()
    }
}
