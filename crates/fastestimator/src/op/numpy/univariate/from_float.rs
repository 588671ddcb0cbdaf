//! `FromFloat`: float images back to integers.

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::{DType, Value};

/// Multiply by `max_value` and cast to `dtype` (albumentations' `FromFloat`, multi-io).
///
/// FE's default dtype is `uint16`, which [`Value`] does not have; the default here is `u8`
/// (max 255). For `u8` the values are rounded and clipped to [0, 255]; `I64` needs an explicit
/// `max_value`; float dtypes are scaled only.
pub struct FromFloat {
    io: OpIo,
    max_value: Option<f64>,
    dtype: DType,
}
impl_has_io!(FromFloat);

impl FromFloat {
    /// To `u8` with max 255.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        FromFloat { io: OpIo::new(inputs, outputs), max_value: None, dtype: DType::U8 }
    }

    /// The value that 1.0 maps to (default: the dtype's maximum).
    pub fn max_value(mut self, max_value: f64) -> Self {
        if max_value.is_nan() || max_value <= 0.0 {
            self.io.reject("max_value", format!("{max_value} must be positive"));
        }
        self.max_value = Some(max_value);
        self
    }

    /// The output dtype (`U8`, `I64`, `F32` or `F64`).
    pub fn dtype(mut self, dtype: DType) -> Self {
        if matches!(dtype, DType::Bool | DType::Str) {
            self.io.reject("dtype", format!("cannot convert floats to {dtype}"));
        }
        self.dtype = dtype;
        self
    }
}

impl NumpyOp for FromFloat {
    fn name(&self) -> String {
        "FromFloat".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("FromFloat", &self.io, data, |v, key| {
            let x =
                v.to_f64().ok_or_else(|| FeError::unexpected_dtype("FromFloat", key, "a numeric array", v.dtype()))?;
            let max = match (self.max_value, self.dtype) {
                (Some(m), _) => m,
                (None, DType::U8) => 255.0,
                (None, DType::F32 | DType::F64) => 1.0,
                (None, d) => {
                    return Err(FeError::param("FromFloat", "max_value", format!("must be set to convert to {d}")))
                }
            };
            Ok(match self.dtype {
                DType::U8 => Value::U8(x.mapv(|v| (v * max).round().clamp(0.0, 255.0) as u8)),
                DType::I64 => Value::I64(x.mapv(|v| (v * max).round() as i64)),
                DType::F64 => Value::F64(x * max),
                _ => Value::F32(x.mapv(|v| (v * max) as f32)),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::numpy::univariate::ToFloat;
    use crate::util::Mode;

    #[test]
    fn to_float_and_back_round_trips_u8() {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let x = Value::from(vec![0u8, 1, 128, 255]);
        let f = ToFloat::new("x", "x").forward(vec![x.clone()], &mut st).unwrap();
        assert_eq!(f[0], Value::from(vec![0.0f32, 1.0 / 255.0, 128.0 / 255.0, 1.0]));
        assert_eq!(FromFloat::new("x", "x").forward(f, &mut st).unwrap()[0], x);
    }
}
