//! `Fuse`: run a list of ops as one.

use super::{as_map, check_child, outputs_of, run_child};
use crate::error::{FeError, Result};
use crate::op::numpy::{Applied, NumpyOp, OpOutput, OpState};
use crate::op::{impl_has_io, OpIo};
use crate::value::Value;

/// Run `ops` in order as a single op (useful inside `Sometimes`/`OneOf`). They must share mode
/// and ds_id. The inputs are those no earlier op in the list produces; the outputs are the union.
pub struct Fuse {
    io: OpIo,
    ops: Vec<Box<dyn NumpyOp>>,
}
impl_has_io!(Fuse);

impl Fuse {
    /// Fuse `ops` (at least one).
    pub fn new(ops: Vec<Box<dyn NumpyOp>>) -> Result<Self> {
        let first = ops.first().ok_or_else(|| FeError::param("Fuse", "ops", "needs at least one op"))?;
        for op in &ops {
            check_child("Fuse", op.as_ref())?;
            if op.io().mode != first.io().mode || op.io().ds_id != first.io().ds_id {
                return Err(FeError::param(
                    "Fuse",
                    "ops",
                    format!(
                        "{} has a different mode or ds_id from {}; fused ops must share them",
                        op.name(),
                        first.name()
                    ),
                ));
            }
        }
        let io = first.io().fused(ops.iter().map(|op| op.io()));
        Ok(Fuse { io, ops })
    }

    fn run(&self, data: Vec<Value>, state: &mut OpState, batched: bool) -> Result<OpOutput> {
        let mut map = as_map(&self.io.inputs, data);
        for (i, op) in self.ops.iter().enumerate() {
            if let Applied::Filtered { replacement } = run_child(op.as_ref(), &mut map, state, i as u64, batched)? {
                return Ok(OpOutput::Filtered { replacement });
            }
        }
        outputs_of(&self.io.outputs, &mut map, "Fuse", state).map(OpOutput::Data)
    }
}

super::meta_numpy_op!(Fuse, "Fuse", children: ops);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::numpy::LambdaOp;
    use crate::op::Configure;
    use crate::op::HasIo;
    use crate::util::Mode;

    #[test]
    fn chains_ops_and_derives_keys() {
        let fuse = Fuse::new(vec![
            Box::new(LambdaOp::new("x", "y", |v: Vec<Value>| Ok(vec![Value::F32(v[0].to_f32().unwrap() * 2.0)]))),
            Box::new(LambdaOp::new(["y", "z"], "w", |v: Vec<Value>| {
                Ok(vec![Value::F32(v[0].to_f32().unwrap() + v[1].to_f32().unwrap())])
            })),
        ])
        .unwrap();
        assert_eq!(fuse.io().inputs, vec!["x".to_string(), "z".to_string()]);
        assert_eq!(fuse.io().outputs, vec!["y".to_string(), "w".to_string()]);
        assert_eq!(fuse.name(), "Fuse (LambdaOp, LambdaOp)");
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let out = fuse.forward(vec![Value::from(3.0f32), Value::from(1.0f32)], &mut st).unwrap();
        assert_eq!(out, vec![Value::from(6.0f32), Value::from(7.0f32)]);
    }

    #[test]
    fn construction_errors() {
        assert!(Fuse::new(vec![]).is_err());
        let err =
            Fuse::new(vec![Box::new(LambdaOp::new("x", "x", Ok)), Box::new(LambdaOp::new("x", "x", Ok).mode("eval"))])
                .err()
                .unwrap()
                .to_string();
        assert!(err.contains("Fuse") && err.contains("mode"), "{err}");
    }
}
