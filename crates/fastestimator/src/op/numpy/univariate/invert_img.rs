//! `InvertImg`: invert pixel values.

use super::each_image;
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// `max − x`: 255 − x for `u8`, 1 − x for floats (albumentations' `InvertImg`).
pub struct InvertImg {
    io: OpIo,
}
impl_has_io!(InvertImg);

impl InvertImg {
    /// Invert `inputs` into `outputs`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        InvertImg { io: OpIo::new(inputs, outputs) }
    }
}

impl NumpyOp for InvertImg {
    fn name(&self) -> String {
        "InvertImg".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each_image("InvertImg", &self.io, data, &[], |fi, _| {
            let max = fi.max;
            fi.img.data.iter_mut().for_each(|v| *v = max - *v);
            Ok(())
        })
    }
}
