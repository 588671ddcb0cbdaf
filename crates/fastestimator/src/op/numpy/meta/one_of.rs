//! `OneOf`: run one op out of several.

use rand::Rng;

use super::{as_map, check_child, outputs_of, run_child};
use crate::error::{FeError, Result};
use crate::op::numpy::{Applied, NumpyOp, OpOutput, OpState};
use crate::op::{impl_has_io, OpIo};
use crate::value::Value;

/// Run one of `ops`, chosen uniformly or with `probs` (one per op, summing to 1 within 1e-8).
/// All ops must share inputs, outputs, mode and ds_id; the list must not be empty.
///
/// ```
/// use fastestimator::op::numpy::meta::OneOf;
/// use fastestimator::op::numpy::univariate::{Brightness, Contrast};
/// let op = OneOf::new(vec![Box::new(Brightness::new("x", "x")), Box::new(Contrast::new("x", "x"))], Some(vec![0.7, 0.3])).unwrap();
/// ```
pub struct OneOf {
    io: OpIo,
    ops: Vec<Box<dyn NumpyOp>>,
    cumulative: Vec<f64>,
}
impl_has_io!(OneOf);

impl OneOf {
    /// Choose among `ops` with `probs` (`None`: uniform).
    pub fn new(ops: Vec<Box<dyn NumpyOp>>, probs: Option<Vec<f64>>) -> Result<Self> {
        let first = ops.first().ok_or_else(|| FeError::param("OneOf", "numpy_ops", "needs at least one op"))?;
        let io = first.io().clone();
        for op in &ops {
            check_child("OneOf", op.as_ref())?;
            let o = op.io();
            let (what, same) = [
                ("inputs", o.inputs == io.inputs),
                ("outputs", o.outputs == io.outputs),
                ("mode", o.mode == io.mode),
                ("ds_id", o.ds_id == io.ds_id),
            ]
            .into_iter()
            .find(|(_, same)| !same)
            .unwrap_or(("", true));
            if !same {
                return Err(FeError::param(
                    "OneOf",
                    "numpy_ops",
                    format!(
                        "{} and {} have different {what}; all ops within OneOf must share them",
                        first.name(),
                        op.name()
                    ),
                ));
            }
        }
        let probs = probs.unwrap_or_else(|| vec![1.0 / ops.len() as f64; ops.len()]);
        if probs.len() != ops.len() {
            return Err(FeError::param(
                "OneOf",
                "probs",
                format!("{} probabilities for {} ops", probs.len(), ops.len()),
            ));
        }
        if probs.iter().any(|p| !(0.0..=1.0).contains(p)) || (probs.iter().sum::<f64>() - 1.0).abs() > 1e-8 {
            return Err(FeError::param(
                "OneOf",
                "probs",
                format!("{probs:?} must be probabilities in [0, 1] summing to 1"),
            ));
        }
        let cumulative = probs
            .iter()
            .scan(0.0, |acc, p| {
                *acc += p;
                Some(*acc)
            })
            .collect();
        Ok(OneOf { io, ops, cumulative })
    }

    fn run(&self, data: Vec<Value>, state: &mut OpState, batched: bool) -> Result<OpOutput> {
        let u: f64 = state.rng().gen();
        let pick = self.cumulative.iter().position(|&c| u < c).unwrap_or(self.ops.len() - 1);
        let mut map = as_map(&self.io.inputs, data);
        if let Applied::Filtered { replacement } =
            run_child(self.ops[pick].as_ref(), &mut map, state, pick as u64, batched)?
        {
            return Ok(OpOutput::Filtered { replacement });
        }
        outputs_of(&self.io.outputs, &mut map, "OneOf", state).map(OpOutput::Data)
    }
}

super::meta_numpy_op!(OneOf, "OneOf", children: ops);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::numpy::LambdaOp;
    use crate::op::Configure;
    use crate::util::Mode;

    fn constant(c: f32) -> Box<dyn NumpyOp> {
        Box::new(LambdaOp::new("x", "x", move |_| Ok(vec![Value::from(c)])))
    }

    #[test]
    fn construction_errors() {
        assert!(OneOf::new(vec![], None).err().unwrap().to_string().contains("OneOf"));
        let other_keys: Box<dyn NumpyOp> = Box::new(LambdaOp::new("y", "y", Ok));
        let err = OneOf::new(vec![constant(1.0), other_keys], None).err().unwrap().to_string();
        assert!(err.contains("inputs"), "{err}");
        let other_mode: Box<dyn NumpyOp> = Box::new(LambdaOp::new("x", "x", Ok).mode("train"));
        assert!(OneOf::new(vec![constant(1.0), other_mode], None).err().unwrap().to_string().contains("mode"));
        for probs in [vec![0.5], vec![0.6, 0.6], vec![-0.5, 1.5]] {
            let err = OneOf::new(vec![constant(1.0), constant(2.0)], Some(probs)).err().unwrap().to_string();
            assert!(err.contains("probs"), "{err}");
        }
    }

    #[test]
    fn picks_with_the_given_probabilities() {
        let op = OneOf::new(vec![constant(1.0), constant(2.0)], Some(vec![0.8, 0.2])).unwrap();
        assert_eq!(op.name(), "OneOf (LambdaOp, LambdaOp)");
        let ones = (0..2000)
            .filter(|&i| {
                let mut st = OpState::new(Mode::Train, 1, "", 3, i, 0);
                op.forward(vec![Value::from(0.0f32)], &mut st).unwrap()[0] == Value::from(1.0f32)
            })
            .count();
        assert!((1500..1700).contains(&ones), "{ones}");
    }
}
