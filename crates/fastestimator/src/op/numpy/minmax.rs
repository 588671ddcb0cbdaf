//! `Minmax`: rescale values to `[new_min, new_max]`.

use ndarray::ArrayD;

use super::{check_pairs, NumpyOp, OpState};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// `(x - min) / max(max - min, epsilon) * (new_max - new_min) + new_min`, as float32 (multi-io).
///
/// ```
/// use fastestimator::op::numpy::{Minmax, NumpyOp, OpState};
/// use fastestimator::util::Mode;
/// use fastestimator::Value;
/// let op = Minmax::new("x", "x");
/// let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
/// let out = op.forward(vec![Value::from(vec![1.0f32, 2.0, 3.0, 5.0])], &mut st).unwrap();
/// assert_eq!(out[0], Value::from(vec![0.0f32, 0.25, 0.5, 1.0]));
/// ```
pub struct Minmax {
    io: OpIo,
    epsilon: f32,
    new_min: f32,
    new_max: f32,
}
impl_has_io!(Minmax);

impl Minmax {
    /// Rescale to [0, 1] with epsilon 1e-7 (FE's defaults).
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Minmax { io: OpIo::new(inputs, outputs), epsilon: 1e-7, new_min: 0.0, new_max: 1.0 }
    }

    /// Set the target range.
    pub fn range(mut self, new_min: f32, new_max: f32) -> Self {
        self.new_min = new_min;
        self.new_max = new_max;
        self
    }

    /// Set the epsilon that guards against a constant input.
    pub fn epsilon(mut self, epsilon: f32) -> Self {
        self.epsilon = epsilon;
        self
    }

    fn rescale(&self, x: ArrayD<f32>) -> ArrayD<f32> {
        let (lo, hi) = x.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let scale = (self.new_max - self.new_min) / (hi - lo).max(self.epsilon);
        x.mapv_into(|v| (v - lo) * scale + self.new_min)
    }
}

impl NumpyOp for Minmax {
    fn name(&self) -> String {
        "Minmax".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        check_pairs("Minmax", &self.io)?;
        data.into_iter()
            .zip(&self.io.inputs)
            .map(|(v, key)| {
                let x =
                    v.to_f32().ok_or_else(|| FeError::unexpected_dtype("Minmax", key, "a numeric array", v.dtype()))?;
                if x.is_empty() {
                    return Err(FeError::unexpected_shape("Minmax", key, "a non-empty array", x.shape()));
                }
                Ok(Value::F32(self.rescale(x)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;

    fn run(op: &Minmax, v: Vec<f32>) -> Value {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        op.forward(vec![Value::from(v)], &mut st).unwrap().remove(0)
    }

    #[test]
    fn fe_facts() {
        assert_eq!(run(&Minmax::new("x", "x"), vec![1.0, 2.0, 3.0, 5.0]), Value::from(vec![0.0f32, 0.25, 0.5, 1.0]));
        assert_eq!(
            run(&Minmax::new("x", "x").range(-10.0, 10.0), vec![1.0, 2.0, 3.0, 5.0]),
            Value::from(vec![-10.0f32, -5.0, 0.0, 10.0])
        );
        assert_eq!(run(&Minmax::new("x", "x"), vec![2.0, 2.0]), Value::from(vec![0.0f32, 0.0]));
    }
}
