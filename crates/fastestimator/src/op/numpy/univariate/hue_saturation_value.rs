//! `HueSaturationValue`: random shifts in HSV space.

use super::{each_image, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::{hsv_to_rgb, rgb_to_hsv};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Shift hue, saturation and value by `U(±limit)` each (albumentations' `HueSaturationValue`;
/// limits 20, 30, 20). As in albumentations on `u8` images, the hue shift is in OpenCV units
/// (2° each) and saturation and value shifts are on the 0–255 scale; the same numbers are used
/// for float images. Single-channel images only get the value shift.
pub struct HueSaturationValue {
    io: OpIo,
    hue: f64,
    sat: f64,
    val: f64,
}
impl_has_io!(HueSaturationValue);

impl HueSaturationValue {
    /// Limits 20, 30, 20.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        HueSaturationValue { io: OpIo::new(inputs, outputs), hue: 20.0, sat: 30.0, val: 20.0 }
    }

    /// Hue shift limit (OpenCV units of 2°).
    pub fn hue_shift_limit(mut self, limit: f64) -> Self {
        self.hue = limit.abs();
        self
    }

    /// Saturation shift limit (0–255 scale).
    pub fn sat_shift_limit(mut self, limit: f64) -> Self {
        self.sat = limit.abs();
        self
    }

    /// Value shift limit (0–255 scale).
    pub fn val_shift_limit(mut self, limit: f64) -> Self {
        self.val = limit.abs();
        self
    }
}

impl NumpyOp for HueSaturationValue {
    fn name(&self) -> String {
        "HueSaturationValue".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let dh = (2.0 * uniform(rng, (-self.hue, self.hue))) as f32;
        let ds = (uniform(rng, (-self.sat, self.sat)) / 255.0) as f32;
        let dv = (uniform(rng, (-self.val, self.val)) / 255.0) as f32;
        each_image("HueSaturationValue", &self.io, data, &[1, 3], |fi, _| {
            let max = fi.max;
            if fi.img.c == 1 {
                fi.img.data.iter_mut().for_each(|v| *v += dv * max);
                return Ok(());
            }
            for p in fi.img.data.chunks_exact_mut(3) {
                let (h, s, v) = rgb_to_hsv(p[0], p[1], p[2]);
                let (s, v) = ((s + ds).clamp(0.0, 1.0), (v + dv * max).clamp(0.0, max));
                let (r, g, b) = hsv_to_rgb(h + dh, s, v);
                p.copy_from_slice(&[r, g, b]);
            }
            Ok(())
        })
    }
}
