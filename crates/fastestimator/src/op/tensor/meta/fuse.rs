//! `Fuse`: run a list of ops as one.

use tch::Tensor;

use super::{as_map, outputs_of, run_on_map};
use crate::error::{FeError, Result};
use crate::op::tensor::{NetState, TensorOp};
use crate::op::OpIo;

/// Run `ops` in order as a single op (useful inside `Sometimes`/`OneOf`). They must share mode
/// and ds_id; the inputs are those no earlier op in the list produces, the outputs the union.
pub struct Fuse {
    io: OpIo,
    ops: Vec<Box<dyn TensorOp>>,
}

impl Fuse {
    /// Fuse `ops`.
    pub fn new(ops: Vec<Box<dyn TensorOp>>) -> Result<Self> {
        let first = ops.first().ok_or_else(|| FeError::param("Fuse", "ops", "needs at least one op"))?;
        for op in &ops {
            if op.io().mode != first.io().mode || op.io().ds_id != first.io().ds_id {
                return Err(FeError::param(
                    "Fuse",
                    "ops",
                    format!("{} has a different mode or ds_id from {}", op.name(), first.name()),
                ));
            }
        }
        let io = first.io().fused(ops.iter().map(|op| op.io()));
        Ok(Fuse { io, ops })
    }

    fn run(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        let mut map = as_map(&self.io.inputs, data);
        for op in self.ops.iter_mut() {
            run_on_map(op.as_mut(), &mut map, state)?;
        }
        outputs_of(&self.io.outputs, &map, "Fuse", state)
    }
}

super::meta_tensor_op!(Fuse, "Fuse", children: ops);
