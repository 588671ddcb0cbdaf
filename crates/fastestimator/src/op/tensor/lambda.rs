//! `LambdaOp` and `Delete` for tensors.

use tch::Tensor;

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};

type TensorFn = dyn FnMut(Vec<Tensor>) -> std::result::Result<Vec<Tensor>, String> + Send;

/// Run a user function on batched tensors: `fn(inputs) -> outputs`, one tensor per output key.
///
/// ```
/// use fastestimator::op::tensor::LambdaOp;
/// let double = LambdaOp::new("x", "x2", |v: Vec<tch::Tensor>| Ok(vec![&v[0] * 2.0]));
/// ```
pub struct LambdaOp {
    io: OpIo,
    func: Box<TensorFn>,
}
impl_has_io!(LambdaOp);

impl LambdaOp {
    /// Wrap `func`.
    pub fn new<F>(inputs: impl Into<Keys>, outputs: impl Into<Keys>, func: F) -> Self
    where
        F: FnMut(Vec<Tensor>) -> std::result::Result<Vec<Tensor>, String> + Send + 'static,
    {
        LambdaOp { io: OpIo::new(inputs, outputs), func: Box::new(func) }
    }
}

impl TensorOp for LambdaOp {
    fn name(&self) -> String {
        "LambdaOp".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        let context = format!("LambdaOp({:?} -> {:?})", self.io.inputs, self.io.outputs);
        (self.func)(data).map_err(|reason| FeError::User { context, reason })
    }
}

/// Remove keys from the batch.
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

impl TensorOp for Delete {
    fn name(&self) -> String {
        "Delete".into()
    }

    fn forward(&mut self, _data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        Ok(Vec::new())
    }

    fn removes_inputs(&self) -> bool {
        true
    }
}
