//! `Sharpness`: sharpen or blur by a random factor.

use super::{check_range, check_rua_coef, each_image, rua_range, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::pil_smooth;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Blend with a smoothed copy, `smooth + f·(x − smooth)` with `f = 1 + U(limit)` (PIL's
/// `ImageEnhance.Sharpness`: 0 blurs, 1 is the original, 2 sharpens). `limit` defaults to 0.54.
pub struct Sharpness {
    io: OpIo,
    limit: (f64, f64),
}
impl_has_io!(Sharpness);

impl Sharpness {
    /// FE's default limit 0.54.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Sharpness { io: OpIo::new(inputs, outputs), limit: (-0.54, 0.54) }
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

impl NumpyOp for Sharpness {
    fn name(&self) -> String {
        "Sharpness".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let f = (1.0 + uniform(state.rng(), self.limit)) as f32;
        each_image("Sharpness", &self.io, data, &[], |fi, _| {
            let smooth = pil_smooth(&fi.img);
            let u8 = fi.is_u8();
            for (v, s) in fi.img.data.iter_mut().zip(smooth.data) {
                let s = if u8 { s.round() } else { s };
                *v = s + f * (*v - s);
            }
            Ok(())
        })
    }

    fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
        check_rua_coef("Sharpness", magnitude_coef)?;
        self.limit = rua_range(self.limit, magnitude_coef);
        Ok(())
    }
}
