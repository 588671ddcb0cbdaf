//! `ToArray`: convert values to a given dtype.

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::{DType, Value};

/// Convert each input to `dtype` (FE's `ToArray`; values already are arrays, so without a dtype
/// this passes them through). Text is parsed as numbers when a numeric dtype is asked for;
/// numbers become their decimal text for `DType::Str`. Float → integer conversion truncates, as
/// numpy's `astype`.
pub struct ToArray {
    io: OpIo,
    dtype: Option<DType>,
}
impl_has_io!(ToArray);

impl ToArray {
    /// Keep the dtype.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ToArray { io: OpIo::new(inputs, outputs), dtype: None }
    }

    /// Convert to `dtype`.
    pub fn dtype(mut self, dtype: DType) -> Self {
        self.dtype = Some(dtype);
        self
    }
}

/// Cast a value to `dtype`; `op` and `key` name it in errors.
pub(crate) fn cast(v: Value, dtype: DType, op: &str, key: &str) -> Result<Value> {
    if v.dtype() == dtype {
        return Ok(v);
    }
    if let Value::Str(a) = &v {
        let mut parsed = Vec::with_capacity(a.len());
        for s in a.iter() {
            parsed.push(
                s.trim()
                    .parse::<f64>()
                    .map_err(|_| FeError::invalid_value(op, key, format!("{s:?} is not a number")))?,
            );
        }
        let f = ndarray::ArrayD::from_shape_vec(a.raw_dim(), parsed).expect("same size");
        return cast(Value::F64(f), dtype, op, key);
    }
    let f = v.to_f64().expect("numeric");
    Ok(match dtype {
        DType::U8 => Value::U8(f.mapv(|x| x as u8)),
        DType::I64 => Value::I64(f.mapv(|x| x as i64)),
        DType::F32 => Value::F32(f.mapv(|x| x as f32)),
        DType::F64 => Value::F64(f),
        DType::Bool => Value::Bool(f.mapv(|x| x != 0.0)),
        DType::Str => Value::Str(match v {
            Value::I64(a) => a.mapv(|x| x.to_string()),
            Value::U8(a) => a.mapv(|x| x.to_string()),
            Value::Bool(a) => a.mapv(|x| if x { "True".into() } else { "False".into() }),
            _ => f.mapv(|x| x.to_string()),
        }),
    })
}

impl NumpyOp for ToArray {
    fn name(&self) -> String {
        "ToArray".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("ToArray", &self.io, data, |v, key| match self.dtype {
            None => Ok(v),
            Some(d) => cast(v, d, "ToArray", key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;

    #[test]
    fn casts_and_parses() {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let op = ToArray::new("x", "x").dtype(DType::I64);
        assert_eq!(op.forward(vec![Value::from(vec![1.7f32, -2.2])], &mut st).unwrap()[0], Value::from(vec![1i64, -2]));
        assert_eq!(op.forward(vec![Value::from("42")], &mut st).unwrap()[0], Value::from(42i64));
        assert!(op.forward(vec![Value::from("forty")], &mut st).is_err());
        let same = ToArray::new("x", "x");
        assert_eq!(same.forward(vec![Value::from(3u8)], &mut st).unwrap()[0], Value::from(3u8));
    }
}
