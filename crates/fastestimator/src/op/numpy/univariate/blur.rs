//! `Blur`: box blur with a random kernel size.

use super::{each_image, randint};
use crate::error::Result;
use crate::op::numpy::imgproc::separable;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Average over a `k × k` window, `k` drawn from `3..=blur_limit` (albumentations' `Blur`,
/// default 7). FE's `advanced` variant (random Gaussian/ motion kernels) is not provided; use
/// [`super::GaussianBlur`] or [`super::MotionBlur`].
pub struct Blur {
    io: OpIo,
    blur_limit: (usize, usize),
}
impl_has_io!(Blur);

impl Blur {
    /// Kernel sizes 3 to 7.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Blur { io: OpIo::new(inputs, outputs), blur_limit: (3, 7) }
    }

    /// Kernel sizes `3..=limit` (at least 3).
    pub fn blur_limit(mut self, limit: usize) -> Self {
        if limit < 3 {
            self.io.reject("blur_limit", format!("{limit} must be at least 3"));
        }
        self.blur_limit = (3, limit);
        self
    }
}

impl NumpyOp for Blur {
    fn name(&self) -> String {
        "Blur".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let k = randint(state.rng(), self.blur_limit.0 as i64, self.blur_limit.1 as i64) as usize;
        let kernel = vec![1.0 / k as f32; k];
        each_image("Blur", &self.io, data, &[], |fi, _| {
            fi.img = separable(&fi.img, &kernel, &kernel);
            Ok(())
        })
    }
}
