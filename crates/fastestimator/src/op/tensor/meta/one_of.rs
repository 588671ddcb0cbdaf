//! `OneOf`: run one op out of several.

use rand::Rng;
use tch::Tensor;

use super::{as_map, outputs_of, run_on_map};
use crate::error::{FeError, Result};
use crate::op::tensor::{NetState, TensorOp};
use crate::op::OpIo;

/// Run one of `ops`, chosen uniformly or with `probs` (which must sum to 1). All ops must share
/// inputs, outputs, mode and ds_id.
pub struct OneOf {
    io: OpIo,
    ops: Vec<Box<dyn TensorOp>>,
    cumulative: Vec<f64>,
}

impl OneOf {
    /// Choose among `ops` with `probs` (`None`: uniform).
    pub fn new(ops: Vec<Box<dyn TensorOp>>, probs: Option<Vec<f64>>) -> Result<Self> {
        let first = ops.first().ok_or_else(|| FeError::param("OneOf", "ops", "needs at least one op"))?;
        let io = first.io().clone();
        for op in &ops {
            let o = op.io();
            if o.inputs != io.inputs || o.outputs != io.outputs || o.mode != io.mode || o.ds_id != io.ds_id {
                return Err(FeError::param(
                    "OneOf",
                    "ops",
                    format!(
                        "{} and {} differ in inputs, outputs, mode or ds_id; OneOf needs them identical",
                        first.name(),
                        op.name()
                    ),
                ));
            }
        }
        let probs = probs.unwrap_or_else(|| vec![1.0 / ops.len() as f64; ops.len()]);
        if probs.len() != ops.len() || probs.iter().any(|p| *p < 0.0) || (probs.iter().sum::<f64>() - 1.0).abs() > 1e-8
        {
            return Err(FeError::param(
                "OneOf",
                "probs",
                format!("{probs:?} must give one non-negative probability per op, summing to 1"),
            ));
        }
        let cumulative = probs.iter().scan(0.0, |acc, p| {
            *acc += p;
            Some(*acc)
        });
        Ok(OneOf { io, cumulative: cumulative.collect(), ops })
    }

    fn run(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        let u: f64 = state.rng().gen();
        let pick = self.cumulative.iter().position(|&c| u < c).unwrap_or(self.ops.len() - 1);
        let mut map = as_map(&self.io.inputs, data);
        run_on_map(self.ops[pick].as_mut(), &mut map, state)?;
        outputs_of(&self.io.outputs, &map, "OneOf", state)
    }
}

super::meta_tensor_op!(OneOf, "OneOf", children: ops);
