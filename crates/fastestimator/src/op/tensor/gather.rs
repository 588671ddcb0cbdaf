//! `Gather`: pick one entry per batch element.

use tch::{Kind, Tensor};

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};

/// For each input tensor `t` of shape `[batch, n, ...]` and the indices `i` of shape `[batch]`
/// (or `[batch, 1]`), output `t[b, i[b], ...]` for every `b` (FE's `gather_from_batch`). The
/// last input key holds the indices.
pub struct Gather {
    io: OpIo,
    n_tensors: usize,
}
impl_has_io!(Gather);

impl Gather {
    /// Gather from `inputs` (paired with `outputs`) at the indices under `indices`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, indices: &str) -> Self {
        let mut io = OpIo::new(inputs, outputs);
        let n_tensors = io.inputs.len();
        io.inputs.push(indices.to_string());
        Gather { io, n_tensors }
    }
}

impl TensorOp for Gather {
    fn name(&self) -> String {
        "Gather".into()
    }

    fn forward(&mut self, mut data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        if self.n_tensors != self.io.outputs.len() {
            return Err(FeError::param("Gather", "outputs", "give one output key per gathered input"));
        }
        let indices = data
            .pop()
            .ok_or_else(|| FeError::param("Gather", "indices", "missing"))?
            .to_kind(Kind::Int64)
            .reshape([-1]);
        data.iter()
            .zip(&self.io.inputs)
            .map(|(t, k)| {
                if t.dim() < 2 || t.size()[0] != indices.size()[0] {
                    return Err(FeError::ShapeMismatch {
                        op: "Gather (one index per row, rank 2 or more)".into(),
                        left_key: k.clone(),
                        left_shape: t.size(),
                        right_key: self.io.inputs[self.n_tensors].clone(),
                        right_shape: indices.size(),
                    });
                }
                let mut idx_shape = vec![t.size()[0], 1];
                idx_shape.extend(std::iter::repeat_n(1, t.dim() - 2));
                let mut expand = t.size();
                expand[1] = 1;
                let idx = indices.reshape(idx_shape.as_slice()).expand(expand.as_slice(), false).to_device(t.device());
                t.f_gather(1, &idx, false)
                    .map(|g| g.squeeze_dim(1))
                    .map_err(|e| FeError::torch(format!("Gather on {k:?}"), e))
            })
            .collect()
    }
}
