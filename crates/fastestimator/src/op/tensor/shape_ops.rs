//! Shape and arithmetic TensorOps: `Argmax`, `Average`, `Permute`, `Reshape`.

use tch::Tensor;

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};

fn pairs(name: &str, io: &OpIo) -> Result<()> {
    if io.inputs.len() != io.outputs.len() {
        return Err(FeError::param(
            name,
            "outputs",
            format!("{} inputs but {} outputs", io.inputs.len(), io.outputs.len()),
        ));
    }
    Ok(())
}

fn torch_err(op: &str, key: &str, e: tch::TchError) -> FeError {
    FeError::torch(format!("{op} on {key:?}"), e)
}

/// Index of the maximum along `axis` of each input (multi-io). FE's default axis is 0; for a
/// batch of class scores use `axis(-1)`.
pub struct Argmax {
    io: OpIo,
    axis: i64,
}
impl_has_io!(Argmax);

impl Argmax {
    /// Argmax along axis 0.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Argmax { io: OpIo::new(inputs, outputs), axis: 0 }
    }
    /// Choose the axis (negative counts from the end).
    pub fn axis(mut self, axis: i64) -> Self {
        self.axis = axis;
        self
    }
}

impl TensorOp for Argmax {
    fn name(&self) -> String {
        "Argmax".into()
    }
    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        pairs("Argmax", &self.io)?;
        data.iter()
            .zip(&self.io.inputs)
            .map(|(t, k)| t.f_argmax(self.axis, false).map_err(|e| torch_err("Argmax", k, e)))
            .collect()
    }
}

/// Elementwise mean of all input tensors, written to one output.
pub struct Average {
    io: OpIo,
}
impl_has_io!(Average);

impl Average {
    /// Average `inputs` into `output`.
    pub fn new(inputs: impl Into<Keys>, output: &str) -> Self {
        Average { io: OpIo::new(inputs, output) }
    }
}

impl TensorOp for Average {
    fn name(&self) -> String {
        "Average".into()
    }
    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        let first = data.first().ok_or_else(|| FeError::param("Average", "inputs", "needs at least one input"))?;
        for (t, k) in data.iter().zip(&self.io.inputs) {
            if t.size() != first.size() {
                return Err(FeError::ShapeMismatch {
                    op: "Average".into(),
                    left_key: self.io.inputs[0].clone(),
                    left_shape: first.size(),
                    right_key: k.clone(),
                    right_shape: t.size(),
                });
            }
        }
        let sum = data.iter().skip(1).fold(first.to_kind(tch::Kind::Float), |acc, t| acc + t);
        Ok(vec![sum / data.len() as f64])
    }
}

/// Reorder axes (FE's default `(0, 3, 1, 2)`: NHWC → NCHW), multi-io.
pub struct Permute {
    io: OpIo,
    permutation: Vec<i64>,
}
impl_has_io!(Permute);

impl Permute {
    /// NHWC → NCHW.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Permute { io: OpIo::new(inputs, outputs), permutation: vec![0, 3, 1, 2] }
    }
    /// Any permutation of the axes.
    pub fn permutation(mut self, permutation: &[i64]) -> Self {
        self.permutation = permutation.to_vec();
        self
    }
}

impl TensorOp for Permute {
    fn name(&self) -> String {
        "Permute".into()
    }
    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        pairs("Permute", &self.io)?;
        data.iter()
            .zip(&self.io.inputs)
            .map(|(t, k)| {
                if t.dim() != self.permutation.len() {
                    return Err(FeError::UnexpectedShape {
                        op: "Permute".into(),
                        key: k.clone(),
                        expected: format!("rank {} for the permutation {:?}", self.permutation.len(), self.permutation),
                        got: t.size(),
                    });
                }
                t.f_permute(self.permutation.as_slice()).map_err(|e| torch_err("Permute", k, e))
            })
            .collect()
    }
}

/// Reshape each input to `shape` (the full shape, batch axis included; one entry may be -1).
pub struct Reshape {
    io: OpIo,
    shape: Vec<i64>,
}
impl_has_io!(Reshape);

impl Reshape {
    /// Reshape to `shape`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, shape: &[i64]) -> Self {
        Reshape { io: OpIo::new(inputs, outputs), shape: shape.to_vec() }
    }
}

impl TensorOp for Reshape {
    fn name(&self) -> String {
        "Reshape".into()
    }
    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        pairs("Reshape", &self.io)?;
        data.iter()
            .zip(&self.io.inputs)
            .map(|(t, k)| {
                t.f_reshape(self.shape.as_slice()).map_err(|_| FeError::UnexpectedShape {
                    op: "Reshape".into(),
                    key: k.clone(),
                    expected: format!("reshapable to {:?}", self.shape),
                    got: t.size(),
                })
            })
            .collect()
    }
}
