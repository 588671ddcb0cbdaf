//! `RGBShift`: shift each colour channel.

use super::{each_image, uniform};
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Add `U(±r_shift_limit)`, `U(±g_shift_limit)`, `U(±b_shift_limit)` to the R, G and B channels
/// (albumentations' `RGBShift`; limits 20 on the 0–255 scale, scaled by 1/255 for float images).
pub struct RGBShift {
    io: OpIo,
    limits: [f64; 3],
}
impl_has_io!(RGBShift);

impl RGBShift {
    /// Limits of 20 per channel.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        RGBShift { io: OpIo::new(inputs, outputs), limits: [20.0; 3] }
    }

    /// Per-channel limits (0–255 scale).
    pub fn shift_limits(mut self, r: f64, g: f64, b: f64) -> Self {
        self.limits = [r.abs(), g.abs(), b.abs()];
        self
    }
}

impl NumpyOp for RGBShift {
    fn name(&self) -> String {
        "RGBShift".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let shifts = self.limits.map(|l| uniform(rng, (-l, l)) as f32);
        each_image("RGBShift", &self.io, data, &[3], |fi, _| {
            let scale = fi.max / 255.0;
            for p in fi.img.data.chunks_exact_mut(3) {
                for (v, s) in p.iter_mut().zip(shifts) {
                    *v += s * scale;
                }
            }
            Ok(())
        })
    }
}
