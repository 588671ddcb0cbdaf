//! `Hadamard`: integer labels to Hadamard error-correcting codes.

use ndarray::{ArrayD, IxDyn};

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Integer label(s) → the label's row of a Hadamard matrix (±1, float32) along a new last axis
/// (multi-io). As in FE, the matrix's first column alternates (-1 on even rows) so that no two
/// codes share it. `code_length` defaults to the smallest power of two ≥ `n_classes`.
pub struct Hadamard {
    io: OpIo,
    codes: Vec<Vec<f32>>,
}
impl_has_io!(Hadamard);

/// The Sylvester Hadamard matrix of order `n` (a power of two), entries ±1.
pub fn hadamard(n: usize) -> Vec<Vec<f32>> {
    let mut h = vec![vec![1.0f32]];
    while h.len() < n {
        let m = h.len();
        let mut next = vec![vec![0.0; 2 * m]; 2 * m];
        for i in 0..m {
            for j in 0..m {
                next[i][j] = h[i][j];
                next[i][j + m] = h[i][j];
                next[i + m][j] = h[i][j];
                next[i + m][j + m] = -h[i][j];
            }
        }
        h = next;
    }
    h
}

/// FE's code book: the first `n_classes` rows of the Sylvester matrix of order `code_length`,
/// with `-1` in the first column of every even row.
pub fn hadamard_codes(n_classes: usize, code_length: usize) -> Vec<Vec<f32>> {
    let mut rows = hadamard(code_length);
    for (i, row) in rows.iter_mut().enumerate() {
        if i % 2 == 0 {
            row[0] = -1.0;
        }
    }
    rows.truncate(n_classes);
    rows
}

impl Hadamard {
    /// Codes for `n_classes` classes; `code_length` must be a power of two ≥ `n_classes`.
    pub fn new(
        inputs: impl Into<Keys>,
        outputs: impl Into<Keys>,
        n_classes: usize,
        code_length: Option<usize>,
    ) -> Result<Self> {
        let io = OpIo::new(inputs, outputs);
        if io.inputs.len() != io.outputs.len() {
            return Err(FeError::param(
                "Hadamard",
                "outputs",
                "Hadamard requires the same number of input and output keys",
            ));
        }
        if n_classes < 1 {
            return Err(FeError::param("Hadamard", "n_classes", "must be at least 1"));
        }
        let length = code_length.unwrap_or_else(|| n_classes.next_power_of_two());
        if !length.is_power_of_two() || length < n_classes {
            return Err(FeError::param(
                "Hadamard",
                "code_length",
                format!("{length} must be a positive power of 2 and at least n_classes ({n_classes})"),
            ));
        }
        Ok(Hadamard { io, codes: hadamard_codes(n_classes, length) })
    }
}

impl NumpyOp for Hadamard {
    fn name(&self) -> String {
        "Hadamard".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        let length = self.codes[0].len();
        each("Hadamard", &self.io, data, |v, key| {
            let labels: Vec<i64> = match &v {
                Value::I64(a) => a.iter().copied().collect(),
                Value::U8(a) => a.iter().map(|&x| i64::from(x)).collect(),
                other => {
                    return Err(FeError::unexpected_dtype(
                        "Hadamard",
                        key,
                        "integer labels (int64 or uint8)",
                        other.dtype(),
                    ))
                }
            };
            let mut out = Vec::with_capacity(labels.len() * length);
            for l in labels {
                let row = usize::try_from(l).ok().and_then(|l| self.codes.get(l)).ok_or_else(|| {
                    FeError::LabelOutOfRange {
                        op: "Hadamard".into(),
                        key: key.into(),
                        value: l,
                        classes: self.codes.len() as i64,
                    }
                })?;
                out.extend_from_slice(row);
            }
            let mut shape = v.shape().to_vec();
            shape.push(length);
            Ok(Value::F32(ArrayD::from_shape_vec(IxDyn(&shape), out).expect("sizes match")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;

    #[test]
    fn codes_are_distinct_and_of_the_right_length() {
        let op = Hadamard::new("y", "y", 10, None).unwrap();
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let out = op.forward(vec![Value::from(vec![0i64, 1, 9])], &mut st).unwrap();
        assert_eq!(out[0].shape(), &[3, 16]);
        let codes = hadamard_codes(10, 16);
        for i in 0..10 {
            for j in 0..i {
                assert_ne!(codes[i], codes[j]);
            }
        }
        assert_eq!(codes[0][0], -1.0);
        assert_eq!(codes[1][0], 1.0);
        assert!(Hadamard::new("y", "y", 10, Some(12)).is_err());
        assert!(Hadamard::new("y", "y", 10, Some(8)).is_err());
        assert!(op.forward(vec![Value::from(10i64)], &mut st).is_err());
    }
}
