//! `LambdaOp`: a user function as an op.

use super::{NumpyOp, OpState};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

type LambdaFn = dyn Fn(Vec<Value>) -> std::result::Result<Vec<Value>, String> + Send + Sync;

/// Run `fn(inputs) -> outputs` on each sample. The function returns one value per output key,
/// or an error message, which is reported with the op's keys.
///
/// ```
/// use fastestimator::op::numpy::LambdaOp;
/// use fastestimator::Value;
/// let plus_one = LambdaOp::new("x", "y", |v: Vec<Value>| {
///     let x = v[0].to_f32().ok_or("x must be numeric")?;
///     Ok(vec![Value::F32(x + 1.0)])
/// });
/// ```
pub struct LambdaOp {
    io: OpIo,
    func: Box<LambdaFn>,
}
impl_has_io!(LambdaOp);

impl LambdaOp {
    /// Wrap `func`.
    pub fn new<F>(inputs: impl Into<Keys>, outputs: impl Into<Keys>, func: F) -> Self
    where
        F: Fn(Vec<Value>) -> std::result::Result<Vec<Value>, String> + Send + Sync + 'static,
    {
        LambdaOp {
            io: OpIo::new(inputs, outputs),
            func: Box::new(func),
        }
    }
}

impl NumpyOp for LambdaOp {
    fn name(&self) -> String {
        "LambdaOp".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        let context = || format!("LambdaOp({:?} -> {:?})", self.io.inputs, self.io.outputs);
        let out = (self.func)(data).map_err(|reason| FeError::User {
            context: context(),
            reason,
        })?;
        if out.len() != self.io.outputs.len() {
            return Err(FeError::User {
                context: context(),
                reason: format!(
                    "returned {} values for {} output keys",
                    out.len(),
                    self.io.outputs.len()
                ),
            });
        }
        Ok(out)
    }

    fn forward_batch(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        // A lambda after the Batch op sees the whole batch, as in FE.
        self.forward(data, state)
    }
}
