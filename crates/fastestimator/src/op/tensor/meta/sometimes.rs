//! `Sometimes`: run an op with a probability.

use rand::Rng;
use tch::Tensor;

use super::{as_map, outputs_of, passthrough_inputs, run_on_map};
use crate::error::{FeError, Result};
use crate::op::tensor::{NetState, TensorOp};
use crate::op::OpIo;

/// Run `op` with probability `prob` (`prob > U(0,1)`), else pass its outputs through. Outputs
/// that are not inputs become extra inputs, so they must already exist.
pub struct Sometimes {
    io: OpIo,
    op: Box<dyn TensorOp>,
    prob: f64,
}

impl Sometimes {
    /// Wrap `op`, running it with probability `prob` in [0, 1].
    pub fn new(op: Box<dyn TensorOp>, prob: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&prob) {
            return Err(FeError::param(
                format!("Sometimes({})", op.name()),
                "prob",
                format!("{prob} is outside [0, 1]"),
            ));
        }
        let mut io = op.io().clone();
        io.inputs = passthrough_inputs(op.as_ref());
        Ok(Sometimes { io, op, prob })
    }

    fn run(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        let mut map = as_map(&self.io.inputs, data);
        if self.prob > state.rng().gen::<f64>() {
            run_on_map(self.op.as_mut(), &mut map, state)?;
        }
        outputs_of(&self.io.outputs, &map, "Sometimes", state)
    }
}

super::meta_tensor_op!(Sometimes, "Sometimes", child: op);
