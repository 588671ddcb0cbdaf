//! `Delete`: remove keys from the sample.

use super::{NumpyOp, OpState};
use crate::error::Result;
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Remove the given keys from each sample (or batch).
pub struct Delete {
    io: OpIo,
}
impl_has_io!(Delete);

impl Delete {
    /// Delete `keys`.
    pub fn new(keys: impl Into<Keys>) -> Self {
        Delete { io: OpIo::new(keys, ()) }
    }
}

impl NumpyOp for Delete {
    fn name(&self) -> String {
        "Delete".into()
    }

    fn forward(&self, _data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        Ok(Vec::new())
    }

    fn forward_batch(&self, _data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        Ok(Vec::new())
    }

    fn removes_inputs(&self) -> bool {
        true
    }
}
