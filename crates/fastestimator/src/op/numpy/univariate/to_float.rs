//! `ToFloat`: integer images to float32 in [0, 1].

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Divide by `max_value` and cast to float32 (albumentations' `ToFloat`, multi-io). Without
/// `max_value`, the dtype's maximum is used: 255 for `u8`, 1 for floats (unchanged but cast);
/// `i64` input needs an explicit `max_value`.
pub struct ToFloat {
    io: OpIo,
    max_value: Option<f32>,
}
impl_has_io!(ToFloat);

impl ToFloat {
    /// Scale by the dtype's maximum.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ToFloat { io: OpIo::new(inputs, outputs), max_value: None }
    }

    /// Scale by `max_value` (must be positive).
    pub fn max_value(mut self, max_value: f32) -> Self {
        if max_value.is_nan() || max_value <= 0.0 {
            self.io.reject("max_value", format!("{max_value} must be positive"));
        }
        self.max_value = Some(max_value);
        self
    }
}

impl NumpyOp for ToFloat {
    fn name(&self) -> String {
        "ToFloat".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("ToFloat", &self.io, data, |v, key| {
            let max = match (self.max_value, &v) {
                (Some(m), _) => m,
                (None, Value::U8(_)) => 255.0,
                (None, Value::F32(_) | Value::F64(_) | Value::Bool(_)) => 1.0,
                (None, other) => {
                    return Err(FeError::unexpected_dtype(
                        "ToFloat",
                        key,
                        "uint8, float or bool (set max_value to convert others)",
                        other.dtype(),
                    ));
                }
            };
            let x =
                v.to_f32().ok_or_else(|| FeError::unexpected_dtype("ToFloat", key, "a numeric array", v.dtype()))?;
            Ok(Value::F32(x / max))
        })
    }
}
