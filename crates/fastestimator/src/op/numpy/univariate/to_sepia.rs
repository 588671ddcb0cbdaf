//! `ToSepia`: a sepia tone.

use super::each_image;
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

const SEPIA: [[f32; 3]; 3] = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]];

/// Apply albumentations' sepia matrix to RGB images (clipped to full scale).
pub struct ToSepia {
    io: OpIo,
}
impl_has_io!(ToSepia);

impl ToSepia {
    /// Sepia-tone `inputs` into `outputs`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ToSepia { io: OpIo::new(inputs, outputs) }
    }
}

impl NumpyOp for ToSepia {
    fn name(&self) -> String {
        "ToSepia".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each_image("ToSepia", &self.io, data, &[3], |fi, _| {
            for p in fi.img.data.chunks_exact_mut(3) {
                let (r, g, b) = (p[0], p[1], p[2]);
                for (o, row) in p.iter_mut().zip(SEPIA) {
                    *o = row[0] * r + row[1] * g + row[2] * b;
                }
            }
            Ok(())
        })
    }
}
