//! `ToGray`: RGB to grey, keeping three channels.

use super::each_image;
use crate::error::Result;
use crate::op::numpy::imgproc::gray;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Replace each RGB pixel by its luma (0.299 R + 0.587 G + 0.114 B) in all three channels
/// (albumentations' `ToGray`). Single-channel images are already grey and pass unchanged.
pub struct ToGray {
    io: OpIo,
}
impl_has_io!(ToGray);

impl ToGray {
    /// Grey `inputs` into `outputs`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ToGray { io: OpIo::new(inputs, outputs) }
    }
}

impl NumpyOp for ToGray {
    fn name(&self) -> String {
        "ToGray".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each_image("ToGray", &self.io, data, &[1, 3], |fi, _| {
            if fi.img.c == 3 {
                for p in fi.img.data.chunks_exact_mut(3) {
                    let g = gray(p[0], p[1], p[2]);
                    p.fill(g);
                }
            }
            Ok(())
        })
    }
}
