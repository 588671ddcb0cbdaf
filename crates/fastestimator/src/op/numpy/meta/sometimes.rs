//! `Sometimes`: run an op with a probability.

use rand::Rng;

use super::{as_map, check_child, outputs_of, run_child};
use crate::error::{FeError, Result};
use crate::op::numpy::{Applied, NumpyOp, OpOutput, OpState};
use crate::op::{impl_has_io, OpIo};
use crate::value::Value;

/// Run `op` with probability `prob` (it runs when `prob > U(0, 1)`); otherwise its outputs are
/// passed through unchanged. Output keys that are not inputs of `op` become extra inputs, so they
/// must already exist. Cannot wrap `Batch`.
///
/// ```
/// use fastestimator::op::numpy::meta::Sometimes;
/// use fastestimator::op::numpy::multivariate::HorizontalFlip;
/// let flip = Sometimes::new(Box::new(HorizontalFlip::new().image_in("x")), 0.5).unwrap();
/// ```
pub struct Sometimes {
    io: OpIo,
    op: Box<dyn NumpyOp>,
    prob: f64,
}
impl_has_io!(Sometimes);

impl Sometimes {
    /// Wrap `op`; `prob` must lie in [0, 1].
    pub fn new(op: Box<dyn NumpyOp>, prob: f64) -> Result<Self> {
        check_child("Sometimes", op.as_ref())?;
        if !(0.0..=1.0).contains(&prob) {
            return Err(FeError::param("Sometimes", "prob", format!("{prob} is outside [0, 1]")));
        }
        let mut io = op.io().clone();
        for out in &op.io().outputs {
            if !io.inputs.contains(out) {
                io.inputs.push(out.clone());
            }
        }
        Ok(Sometimes { io, op, prob })
    }

    fn run(&self, data: Vec<Value>, state: &mut OpState, batched: bool) -> Result<OpOutput> {
        let mut map = as_map(&self.io.inputs, data);
        let u: f64 = state.rng().gen();
        if self.prob > u {
            if let Applied::Filtered { replacement } = run_child(self.op.as_ref(), &mut map, state, 0, batched)? {
                return Ok(OpOutput::Filtered { replacement });
            }
        }
        outputs_of(&self.io.outputs, &mut map, "Sometimes", state).map(OpOutput::Data)
    }
}

super::meta_numpy_op!(Sometimes, "Sometimes", child: op);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::numpy::{Batch, LambdaOp};
    use crate::op::HasIo;
    use crate::util::Mode;

    fn plus_one() -> Box<dyn NumpyOp> {
        Box::new(LambdaOp::new("x", "x", |v: Vec<Value>| Ok(vec![Value::F32(v[0].to_f32().unwrap() + 1.0)])))
    }

    #[test]
    fn probability_bounds_and_batch_are_construction_errors() {
        for p in [-0.1, 1.5, f64::NAN] {
            let err = Sometimes::new(plus_one(), p).err().unwrap().to_string();
            assert!(err.contains("Sometimes") && err.contains("prob"), "{err}");
        }
        assert!(Sometimes::new(Box::new(Batch::new(2).unwrap()), 0.5).is_err());
    }

    #[test]
    fn runs_about_prob_of_the_time_and_passes_through_otherwise() {
        let op = Sometimes::new(plus_one(), 0.3).unwrap();
        assert_eq!(op.name(), "Sometimes (LambdaOp)");
        let mut ran = 0;
        for i in 0..2000 {
            let mut st = OpState::new(Mode::Train, 1, "", 7, i, 0);
            let out = op.forward(vec![Value::from(0.0f32)], &mut st).unwrap();
            if out[0] == Value::from(1.0f32) {
                ran += 1;
            } else {
                assert_eq!(out[0], Value::from(0.0f32));
            }
        }
        assert!((500..700).contains(&ran), "{ran}");
        let never = Sometimes::new(plus_one(), 0.0).unwrap();
        let always = Sometimes::new(plus_one(), 1.0).unwrap();
        let mut st = OpState::new(Mode::Train, 1, "", 7, 0, 0);
        assert_eq!(never.forward(vec![Value::from(0.0f32)], &mut st).unwrap()[0], Value::from(0.0f32));
        assert_eq!(always.forward(vec![Value::from(0.0f32)], &mut st).unwrap()[0], Value::from(1.0f32));
    }

    #[test]
    fn outputs_that_are_not_inputs_become_inputs() {
        let op =
            Sometimes::new(Box::new(LambdaOp::new("x", "y", |v: Vec<Value>| Ok(vec![v[0].clone()]))), 0.5).unwrap();
        assert_eq!(op.io().inputs, vec!["x".to_string(), "y".to_string()]);
        assert_eq!(op.io().outputs, vec!["y".to_string()]);
    }
}
