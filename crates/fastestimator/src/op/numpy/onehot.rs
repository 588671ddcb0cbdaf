//! `Onehot`: integer labels to one-hot vectors, with label smoothing.

use ndarray::{ArrayD, Axis, IxDyn};

use super::{check_pairs, NumpyOp, OpState};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Integer label(s) → one-hot along a new last axis, as float32; with smoothing `s`,
/// `onehot * (1 - s) + s / num_classes` (multi-io). A single label, scalar or `[1]` (as CIFAR
/// loaders store it), gives `[num_classes]`, as in FE.
///
/// ```
/// use fastestimator::op::numpy::{NumpyOp, Onehot, OpState};
/// use fastestimator::util::Mode;
/// use fastestimator::Value;
/// let op = Onehot::new("y", "y", 4).unwrap().label_smoothing(0.1);
/// let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
/// let out = op.forward(vec![Value::from(2i64)], &mut st).unwrap();
/// assert_eq!(out[0], Value::from(vec![0.025f32, 0.025, 0.925, 0.025]));
/// ```
pub struct Onehot {
    io: OpIo,
    num_classes: usize,
    label_smoothing: f32,
}
impl_has_io!(Onehot);

impl Onehot {
    /// One-hot with `num_classes` classes (must be at least 1).
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, num_classes: usize) -> Result<Self> {
        if num_classes == 0 {
            return Err(FeError::param("Onehot", "num_classes", "must be at least 1"));
        }
        Ok(Onehot { io: OpIo::new(inputs, outputs), num_classes, label_smoothing: 0.0 })
    }

    /// Label smoothing factor in [0, 1].
    pub fn label_smoothing(mut self, s: f32) -> Self {
        self.label_smoothing = s;
        self
    }

    fn encode(&self, key: &str, labels: &ArrayD<i64>) -> Result<ArrayD<f32>> {
        if !(0.0..=1.0).contains(&self.label_smoothing) {
            return Err(FeError::param(
                "Onehot",
                "label_smoothing",
                format!("{} is outside [0, 1]", self.label_smoothing),
            ));
        }
        // FE takes one label per sample: a label stored as `[1]` (CIFAR's `(n, 1)` columns) gives
        // `[num_classes]`, as a scalar does. Larger arrays get a new last axis.
        let mut shape = if labels.len() == 1 { Vec::new() } else { labels.shape().to_vec() };
        shape.push(self.num_classes);
        // Computed in f64 so that e.g. 1 - 0.1 + 0.025 rounds to exactly 0.925f32.
        let smoothing = f64::from(self.label_smoothing);
        let off_f64 = smoothing / self.num_classes as f64;
        let (off, on) = (off_f64 as f32, (1.0 - smoothing + off_f64) as f32);
        let mut out = ArrayD::from_elem(IxDyn(&shape), off);
        let flat_len = labels.len();
        let mut rows = out.view_mut().into_shape_with_order((flat_len, self.num_classes)).expect("contiguous");
        for (mut row, &label) in rows.axis_iter_mut(Axis(0)).zip(labels.iter()) {
            if label < 0 || label as usize >= self.num_classes {
                return Err(FeError::LabelOutOfRange {
                    op: "Onehot".into(),
                    key: key.into(),
                    value: label,
                    classes: self.num_classes as i64,
                });
            }
            row[label as usize] = on;
        }
        Ok(out)
    }
}

impl NumpyOp for Onehot {
    fn name(&self) -> String {
        "Onehot".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        check_pairs("Onehot", &self.io)?;
        data.into_iter()
            .zip(&self.io.inputs)
            .map(|(v, key)| {
                let labels = match v {
                    Value::I64(a) => a,
                    Value::U8(a) => a.mapv(i64::from),
                    other => {
                        return Err(FeError::unexpected_dtype(
                            "Onehot",
                            key,
                            "integer labels (int64 or uint8)",
                            other.dtype(),
                        ))
                    }
                };
                Ok(Value::F32(self.encode(key, &labels)?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;
    use ndarray::array;

    fn run(op: &Onehot, v: Value) -> Result<Value> {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        op.forward(vec![v], &mut st).map(|mut o| o.remove(0))
    }

    #[test]
    fn fe_facts() {
        let op = Onehot::new("y", "y", 4).unwrap();
        assert_eq!(run(&op, Value::from(2i64)).unwrap(), Value::from(vec![0.0f32, 0.0, 1.0, 0.0]));
        let two_d = run(&op, Value::I64(array![[0i64, 1], [2, 3]].into_dyn())).unwrap();
        assert_eq!(two_d.shape(), &[2, 2, 4]);
        // FE's `(n, 1)` label columns: one label per sample, one row out.
        let column = run(&op, Value::I64(array![3i64].into_dyn())).unwrap();
        assert_eq!(column, Value::from(vec![0.0f32, 0.0, 0.0, 1.0]));
        let err = run(&op, Value::from(4i64)).unwrap_err();
        assert!(matches!(err, FeError::LabelOutOfRange { value: 4, classes: 4, .. }), "{err}");
        let err = run(&op, Value::from(1.5f32)).unwrap_err();
        assert!(matches!(err, FeError::UnexpectedDType { ref got, .. } if got == "float32"), "{err}");
    }
}
