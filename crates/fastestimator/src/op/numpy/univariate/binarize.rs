//! `Binarize`: threshold values to 0/1.

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// `x >= threshold → 1, else 0`, in the input's dtype (multi-io).
///
/// ```
/// use fastestimator::op::numpy::univariate::Binarize;
/// use fastestimator::op::numpy::{NumpyOp, OpState};
/// use fastestimator::{Mode, Value};
/// let op = Binarize::new("x", "x", 0.5);
/// let out = op.forward(vec![Value::from(vec![0.2f32, 0.5, 0.9])], &mut OpState::new(Mode::Train, 1, "", 0, 0, 0)).unwrap();
/// assert_eq!(out[0], Value::from(vec![0.0f32, 1.0, 1.0]));
/// ```
pub struct Binarize {
    io: OpIo,
    threshold: f64,
}
impl_has_io!(Binarize);

impl Binarize {
    /// Binarize at `threshold`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, threshold: f64) -> Self {
        Binarize { io: OpIo::new(inputs, outputs), threshold }
    }
}

impl NumpyOp for Binarize {
    fn name(&self) -> String {
        "Binarize".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        let t = self.threshold;
        each("Binarize", &self.io, data, |v, key| {
            Ok(match v {
                Value::U8(a) => Value::U8(a.mapv(|x| u8::from(f64::from(x) >= t))),
                Value::I64(a) => Value::I64(a.mapv(|x| i64::from(x as f64 >= t))),
                Value::F32(a) => Value::F32(a.mapv(|x| if f64::from(x) >= t { 1.0 } else { 0.0 })),
                Value::F64(a) => Value::F64(a.mapv(|x| if x >= t { 1.0 } else { 0.0 })),
                Value::Bool(a) => Value::Bool(a.mapv(|x| f64::from(u8::from(x)) >= t)),
                other @ Value::Str(_) => {
                    return Err(FeError::unexpected_dtype("Binarize", key, "a numeric array", other.dtype()))
                }
            })
        })
    }
}
