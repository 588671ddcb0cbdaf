//! `Fuse`: run a list of ops as one.

use tch::Tensor;

use super::{as_map, outputs_of, run_on_map};
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::tensor::{NetState, TensorOp};
use crate::op::{HasIo, OpIo};

/// Run `ops` in order as a single op (useful inside `Sometimes`/`OneOf`). They must share mode
/// and ds_id; the inputs are those no earlier op in the list produces, the outputs the union.
pub struct Fuse {
    io: OpIo,
    ops: Vec<Box<dyn TensorOp>>,
}

impl HasIo for Fuse {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl Fuse {
    /// Fuse `ops`.
    pub fn new(ops: Vec<Box<dyn TensorOp>>) -> Result<Self> {
        let first = ops.first().ok_or_else(|| FeError::param("Fuse", "ops", "needs at least one op"))?;
        let mut io = first.io().clone();
        io.inputs.clear();
        io.outputs.clear();
        for op in &ops {
            if op.io().mode != io.mode || op.io().ds_id != io.ds_id {
                return Err(FeError::param(
                    "Fuse",
                    "ops",
                    format!("{} has a different mode or ds_id from {}", op.name(), first.name()),
                ));
            }
            for k in &op.io().inputs {
                if !io.outputs.contains(k) && !io.inputs.contains(k) {
                    io.inputs.push(k.clone());
                }
            }
            for k in &op.io().outputs {
                if !io.outputs.contains(k) {
                    io.outputs.push(k.clone());
                }
            }
        }
        Ok(Fuse { io, ops })
    }
}

impl TensorOp for Fuse {
    fn name(&self) -> String {
        format!("Fuse({})", self.ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(", "))
    }

    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        let mut map = as_map(&self.io.inputs, data);
        for op in self.ops.iter_mut() {
            run_on_map(op.as_mut(), &mut map, state)?;
        }
        outputs_of(&self.io.outputs, &map, "Fuse", state)
    }

    fn models(&self) -> Vec<Model> {
        self.ops.iter().flat_map(|o| o.models()).collect()
    }
}
