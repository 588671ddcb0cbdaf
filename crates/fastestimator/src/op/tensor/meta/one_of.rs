//! `OneOf`: run one op out of several.

use rand::Rng;
use tch::Tensor;

use super::{as_map, outputs_of, run_on_map};
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::tensor::{NetState, TensorOp};
use crate::op::{HasIo, OpIo};

/// Run one of `ops`, chosen uniformly or with `probs` (which must sum to 1). All ops must share
/// inputs, outputs, mode and ds_id.
pub struct OneOf {
    io: OpIo,
    ops: Vec<Box<dyn TensorOp>>,
    cumulative: Vec<f64>,
}

impl HasIo for OneOf {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
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
}

impl TensorOp for OneOf {
    fn name(&self) -> String {
        format!("OneOf({})", self.ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(", "))
    }

    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        let u: f64 = state.rng().gen();
        let pick = self.cumulative.iter().position(|&c| u < c).unwrap_or(self.ops.len() - 1);
        let mut map = as_map(&self.io.inputs, data);
        run_on_map(self.ops[pick].as_mut(), &mut map, state)?;
        outputs_of(&self.io.outputs, &map, "OneOf", state)
    }

    fn models(&self) -> Vec<Model> {
        self.ops.iter().flat_map(|o| o.models()).collect()
    }
}
