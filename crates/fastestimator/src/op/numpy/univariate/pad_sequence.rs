//! `PadSequence`: pad or truncate 1-D sequences to a fixed length.

use ndarray::{concatenate, s, Array1, ArrayD, Axis};

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Pad sequences shorter than `max_len` with `value` (after them with `append`, the default;
/// before them otherwise) and truncate longer ones to their first `max_len` items (multi-io).
pub struct PadSequence {
    io: OpIo,
    max_len: usize,
    value: f64,
    append: bool,
}
impl_has_io!(PadSequence);

impl PadSequence {
    /// Pad with 0 at the end up to `max_len`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, max_len: usize) -> Self {
        PadSequence { io: OpIo::new(inputs, outputs), max_len, value: 0.0, append: true }
    }

    /// The padding value (cast to the sequence's dtype).
    pub fn value(mut self, value: f64) -> Self {
        self.value = value;
        self
    }

    /// Pad after the sequence (`true`, default) or before it.
    pub fn append(mut self, append: bool) -> Self {
        self.append = append;
        self
    }

    fn pad<T: Clone>(&self, a: ArrayD<T>, fill: T) -> ArrayD<T> {
        let n = a.len();
        let a = a.into_shape_with_order(n).expect("1-D");
        if n >= self.max_len {
            return a.slice(s![..self.max_len]).to_owned().into_dyn();
        }
        let pad = Array1::from_elem(self.max_len - n, fill);
        let parts = if self.append { [a.view(), pad.view()] } else { [pad.view(), a.view()] };
        concatenate(Axis(0), &parts).expect("1-D arrays").into_dyn()
    }
}

impl NumpyOp for PadSequence {
    fn name(&self) -> String {
        "PadSequence".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        let v = self.value;
        each("PadSequence", &self.io, data, |x, key| {
            if x.ndim() != 1 {
                return Err(FeError::unexpected_shape("PadSequence", key, "a 1-D sequence", x.shape()));
            }
            Ok(match x {
                Value::U8(a) => Value::U8(self.pad(a, v as u8)),
                Value::I64(a) => Value::I64(self.pad(a, v as i64)),
                Value::F32(a) => Value::F32(self.pad(a, v as f32)),
                Value::F64(a) => Value::F64(self.pad(a, v)),
                Value::Bool(a) => Value::Bool(self.pad(a, v != 0.0)),
                Value::Str(a) => Value::Str(self.pad(a, v.to_string())),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;

    #[test]
    fn pads_and_truncates() {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let op = PadSequence::new("x", "x", 4).value(-1.0);
        assert_eq!(
            op.forward(vec![Value::from(vec![1i64, 2])], &mut st).unwrap()[0],
            Value::from(vec![1i64, 2, -1, -1])
        );
        let before = PadSequence::new("x", "x", 4).append(false);
        assert_eq!(
            before.forward(vec![Value::from(vec![1i64])], &mut st).unwrap()[0],
            Value::from(vec![0i64, 0, 0, 1])
        );
        assert_eq!(
            op.forward(vec![Value::from(vec![1i64, 2, 3, 4, 5])], &mut st).unwrap()[0],
            Value::from(vec![1i64, 2, 3, 4])
        );
    }
}
