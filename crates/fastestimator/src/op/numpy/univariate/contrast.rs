//! `Contrast`: change contrast by a random factor.

use super::{check_range, check_rua_coef, each_image, rua_range, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::gray;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Blend with the image's mean grey level, `mean + f·(x − mean)` with `f = 1 + U(limit)` (PIL's
/// `ImageEnhance.Contrast`: 0 is flat grey, 1 the original). `limit` defaults to 0.54.
pub struct Contrast {
    io: OpIo,
    limit: (f64, f64),
}
impl_has_io!(Contrast);

impl Contrast {
    /// FE's default limit 0.54.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Contrast { io: OpIo::new(inputs, outputs), limit: (-0.54, 0.54) }
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

impl NumpyOp for Contrast {
    fn name(&self) -> String {
        "Contrast".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let f = (1.0 + uniform(state.rng(), self.limit)) as f32;
        each_image("Contrast", &self.io, data, &[1, 3], |fi, _| {
            let c = fi.img.c;
            let n = (fi.img.h * fi.img.w) as f64;
            let sum: f64 = if c == 3 {
                fi.img.data.chunks_exact(3).map(|p| f64::from(gray(p[0], p[1], p[2]))).sum()
            } else {
                fi.img.data.iter().map(|&v| f64::from(v)).sum()
            };
            let mut mean = (sum / n) as f32;
            if fi.is_u8() {
                mean = (mean + 0.5).floor();
            }
            fi.img.data.iter_mut().for_each(|v| *v = mean + f * (*v - mean));
            Ok(())
        })
    }

    fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
        check_rua_coef("Contrast", magnitude_coef)?;
        self.limit = rua_range(self.limit, magnitude_coef);
        Ok(())
    }
}
