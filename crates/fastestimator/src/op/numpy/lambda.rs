//! `LambdaOp`: a user function as an op.

use super::{NumpyOp, OpState};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::util::FeRng;
use crate::value::Value;

type LambdaFn = dyn Fn(Vec<Value>, &mut FeRng) -> std::result::Result<Vec<Value>, String> + Send + Sync;

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
        LambdaOp { io: OpIo::new(inputs, outputs), func: Box::new(move |v, _| func(v)) }
    }

    /// Wrap a function that also draws from the sample's random stream (deterministic for a
    /// seed, whatever the worker count). Use `()` as inputs for a generator of new values.
    ///
    /// ```
    /// use fastestimator::op::numpy::LambdaOp;
    /// use fastestimator::Value;
    /// use rand::Rng;
    /// let noise = LambdaOp::random((), "z", |_, rng| Ok(vec![Value::from((0..4).map(|_| rng.gen::<f32>()).collect::<Vec<_>>())]));
    /// ```
    pub fn random<F>(inputs: impl Into<Keys>, outputs: impl Into<Keys>, func: F) -> Self
    where
        F: Fn(Vec<Value>, &mut FeRng) -> std::result::Result<Vec<Value>, String> + Send + Sync + 'static,
    {
        LambdaOp { io: OpIo::new(inputs, outputs), func: Box::new(func) }
    }
}

impl NumpyOp for LambdaOp {
    fn name(&self) -> String {
        "LambdaOp".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let context = || format!("LambdaOp({:?} -> {:?})", self.io.inputs, self.io.outputs);
        let out = (self.func)(data, state.rng()).map_err(|reason| FeError::User { context: context(), reason })?;
        if out.len() != self.io.outputs.len() {
            return Err(FeError::LengthMismatch {
                context: context(),
                what: "values returned (one per output key)".into(),
                expected: self.io.outputs.len(),
                got: out.len(),
            });
        }
        Ok(out)
    }

    fn forward_batch(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        // A lambda after the Batch op sees the whole batch, as in FE.
        self.forward(data, state)
    }
}
