//! `Repeat`: run an op several times, or while a condition holds.

use super::{as_map, check_child, outputs_of, run_child};
use crate::error::{FeError, Result};
use crate::op::numpy::{Applied, NumpyOp, OpOutput, OpState};
use crate::op::{impl_has_io, Keys, OpIo, RepeatTimes};
use crate::util::missing_key;
use crate::value::Value;

type Condition = dyn Fn(&[Value]) -> bool + Send + Sync;

type Times = RepeatTimes<Condition>;

/// Run `op` several times, feeding its outputs back in (FE's `Repeat`): either a fixed number of
/// times (at least 1), or while `condition(values of keys)` holds, checked after each run (so
/// the op runs at least once), at most `max_iter` times.
///
/// FE's fact: `LambdaOp(x -> (x+1, x*x))` from x = 1 gives (2, 1) once and (6, 25) five times.
///
/// ```
/// use fastestimator::op::numpy::meta::Repeat;
/// use fastestimator::op::numpy::LambdaOp;
/// use fastestimator::Value;
/// let step = || LambdaOp::new("x", "x", |v: Vec<Value>| Ok(vec![Value::F32(v[0].to_f32().unwrap() * 2.0)]));
/// let five_times = Repeat::new(Box::new(step()), 5).unwrap();
/// // Double until x exceeds 100, at most 20 times.
/// let until = Repeat::while_true(Box::new(step()), "x", |v: &[Value]| v[0].to_f32().unwrap().sum() <= 100.0).unwrap().max_iter(20);
/// ```
pub struct Repeat {
    io: OpIo,
    op: Box<dyn NumpyOp>,
    times: Times,
}
impl_has_io!(Repeat);

impl Repeat {
    /// Run `op` `repeat` times (at least 1).
    pub fn new(op: Box<dyn NumpyOp>, repeat: usize) -> Result<Self> {
        check_child("Repeat", op.as_ref())?;
        if repeat == 0 {
            return Err(FeError::param("Repeat", "repeat", "must be at least 1"));
        }
        Ok(Repeat { io: op.io().clone(), op, times: Times::Count(repeat) })
    }

    /// Run `op` while `condition` (given the values of `keys`) holds, checked after each run.
    /// The keys must be inputs or outputs of `op` (or exist in the data).
    pub fn while_true<F>(op: Box<dyn NumpyOp>, keys: impl Into<Keys>, condition: F) -> Result<Self>
    where
        F: Fn(&[Value]) -> bool + Send + Sync + 'static,
    {
        check_child("Repeat", op.as_ref())?;
        let keys = keys.into().0;
        if keys.is_empty() {
            return Err(FeError::param("Repeat", "repeat", "the condition needs at least one key"));
        }
        let mut io = op.io().clone();
        for k in &keys {
            if !io.inputs.contains(k) && !io.outputs.contains(k) {
                io.inputs.push(k.clone());
            }
        }
        Ok(Repeat { io, op, times: Times::While { condition: Box::new(condition), keys, max_iter: None } })
    }

    /// Bound the number of runs of a conditional repeat (at least 1). FE only allows this with a
    /// condition; on a fixed count it is a parameter error reported at `Pipeline::build`.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        match &mut self.times {
            Times::While { max_iter: m, .. } if max_iter >= 1 => *m = Some(max_iter),
            Times::While { .. } => self.io.reject("max_iter", "must be at least 1"),
            Times::Count(_) => self.io.reject("max_iter", "is only allowed when repeat is a condition"),
        }
        self
    }

    fn run(&self, data: Vec<Value>, state: &mut OpState, batched: bool) -> Result<OpOutput> {
        let mut map = as_map(&self.io.inputs, data);
        let mut i = 0u64;
        loop {
            if let Applied::Filtered { replacement } = run_child(self.op.as_ref(), &mut map, state, i, batched)? {
                return Ok(OpOutput::Filtered { replacement });
            }
            i += 1;
            let more = match &self.times {
                Times::Count(n) => i < *n as u64,
                Times::While { condition, keys, max_iter } => {
                    let values = keys
                        .iter()
                        .map(|k| {
                            map.get(k).cloned().ok_or_else(|| {
                                missing_key(
                                    "Repeat (its condition)",
                                    k,
                                    map.keys().map(String::as_str),
                                    state.mode,
                                    state.epoch,
                                    state.ds_id,
                                )
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    condition(&values) && max_iter.is_none_or(|m| i < m as u64)
                }
            };
            if !more {
                break;
            }
        }
        outputs_of(&self.io.outputs, &mut map, "Repeat", state).map(OpOutput::Data)
    }
}

super::meta_numpy_op!(Repeat, "Repeat", child: op);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::numpy::LambdaOp;
    use crate::op::HasIo;
    use crate::util::Mode;

    fn step() -> Box<dyn NumpyOp> {
        Box::new(LambdaOp::new("x", ["x", "y"], |v: Vec<Value>| {
            let x = v[0].to_f64().unwrap();
            Ok(vec![Value::F64(&x + 1.0), Value::F64(&x * &x)])
        }))
    }

    fn run(op: &Repeat) -> Vec<Value> {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        op.forward(vec![Value::from(1.0f64)], &mut st).unwrap()
    }

    #[test]
    fn fe_facts() {
        assert_eq!(run(&Repeat::new(step(), 1).unwrap()), vec![Value::from(2.0f64), Value::from(1.0f64)]);
        assert_eq!(run(&Repeat::new(step(), 5).unwrap()), vec![Value::from(6.0f64), Value::from(25.0f64)]);
    }

    #[test]
    fn conditional_repeat_runs_at_least_once_and_respects_max_iter() {
        let small = |v: &[Value]| v[0].to_f64().unwrap().sum() < 4.0;
        let op = Repeat::while_true(step(), "x", small).unwrap();
        assert_eq!(run(&op)[0], Value::from(4.0f64));
        let once = Repeat::while_true(step(), "x", |_: &[Value]| false).unwrap();
        assert_eq!(run(&once)[0], Value::from(2.0f64));
        let bounded = Repeat::while_true(step(), "x", |_: &[Value]| true).unwrap().max_iter(10);
        assert_eq!(run(&bounded)[0], Value::from(11.0f64));
    }

    #[test]
    fn construction_errors() {
        assert!(Repeat::new(step(), 0).err().unwrap().to_string().contains("repeat"));
        let op = Repeat::new(step(), 2).unwrap().max_iter(3);
        let err = op.io().validate(&op.name()).unwrap_err().to_string();
        assert!(err.contains("Repeat") && err.contains("max_iter"), "{err}");
    }
}
