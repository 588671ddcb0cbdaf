//! `Repeat`: run an op several times, or while a condition holds.

use tch::Tensor;

use super::{as_map, outputs_of, passthrough_inputs, run_on_map};
use crate::error::{FeError, Result};
use crate::op::tensor::{NetState, TensorOp};
use crate::op::{OpIo, RepeatTimes};

type Condition = dyn FnMut(&[Tensor]) -> bool + Send;

type Times = RepeatTimes<Condition>;

/// Run `op` `n` times (n ≥ 1), feeding its outputs back as inputs, or run it while a condition
/// on some keys holds (checked after each run, so at least once), at most `max_iter` times.
pub struct Repeat {
    io: OpIo,
    op: Box<dyn TensorOp>,
    times: Times,
}

impl Repeat {
    /// Run `op` exactly `n` times.
    pub fn times(op: Box<dyn TensorOp>, n: usize) -> Result<Self> {
        if n == 0 {
            return Err(FeError::param(format!("Repeat({})", op.name()), "repeat", "must be at least 1"));
        }
        let mut io = op.io().clone();
        io.inputs = passthrough_inputs(op.as_ref());
        Ok(Repeat { io, op, times: Times::Count(n) })
    }

    /// Run `op` while `condition(values of keys)` is true, at most `max_iter` times.
    pub fn while_<F>(op: Box<dyn TensorOp>, keys: &[&str], condition: F, max_iter: Option<usize>) -> Result<Self>
    where
        F: FnMut(&[Tensor]) -> bool + Send + 'static,
    {
        if max_iter == Some(0) {
            return Err(FeError::param(format!("Repeat({})", op.name()), "max_iter", "must be at least 1"));
        }
        let mut io = op.io().clone();
        io.inputs = passthrough_inputs(op.as_ref());
        for k in keys {
            if !io.inputs.iter().any(|i| i == k) {
                io.inputs.push(k.to_string());
            }
        }
        let keys = keys.iter().map(|s| s.to_string()).collect();
        Ok(Repeat { io, op, times: Times::While { condition: Box::new(condition), keys, max_iter } })
    }

    fn run(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        let mut map = as_map(&self.io.inputs, data);
        match &mut self.times {
            Times::Count(n) => {
                for _ in 0..*n {
                    run_on_map(self.op.as_mut(), &mut map, state)?;
                }
            }
            Times::While { condition, keys, max_iter } => {
                let mut runs = 0;
                loop {
                    run_on_map(self.op.as_mut(), &mut map, state)?;
                    runs += 1;
                    if max_iter.is_some_and(|m| runs >= m) {
                        break;
                    }
                    let values = outputs_of(keys, &map, "Repeat", state)?;
                    if !condition(&values) {
                        break;
                    }
                }
            }
        }
        outputs_of(&self.io.outputs, &map, "Repeat", state)
    }
}

super::meta_tensor_op!(Repeat, "Repeat", child: op);
