//! `Color`: change colour saturation by a random factor.

use super::{check_range, check_rua_coef, each_image, rua_range, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::gray;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Blend an RGB image with its greyscale version, `gray + f·(x − gray)` with `f = 1 + U(limit)`
/// (PIL's `ImageEnhance.Color`: 0 is grey, 1 the original). Single-channel images are unchanged.
/// `limit` defaults to 0.54.
pub struct Color {
    io: OpIo,
    limit: (f64, f64),
}
impl_has_io!(Color);

impl Color {
    /// FE's default limit 0.54.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Color { io: OpIo::new(inputs, outputs), limit: (-0.54, 0.54) }
    }

    /// Symmetric range `(-limit, limit)` for the factor offset.
    pub fn limit(self, limit: f64) -> Self {
        self.limit_range(-limit.abs(), limit.abs())
    }

    /// An explicit range for the factor offset (within [-1, ∞)).
    pub fn limit_range(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.io, "limit", (lo, hi), -1.0, f64::MAX);
        self.limit = (lo, hi);
        self
    }
}

impl NumpyOp for Color {
    fn name(&self) -> String {
        "Color".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let f = (1.0 + uniform(state.rng(), self.limit)) as f32;
        each_image("Color", &self.io, data, &[1, 3], |fi, _| {
            if fi.img.c == 3 {
                let u8 = fi.is_u8();
                for px in fi.img.data.chunks_exact_mut(3) {
                    let mut g = gray(px[0], px[1], px[2]);
                    if u8 {
                        g = g.round();
                    }
                    px.iter_mut().for_each(|v| *v = g + f * (*v - g));
                }
            }
            Ok(())
        })
    }

    fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
        check_rua_coef("Color", magnitude_coef)?;
        self.limit = rua_range(self.limit, magnitude_coef);
        Ok(())
    }
}
