//! `RandomBrightnessContrast`: random linear brightness and contrast change.

use super::{check_range, each_image, uniform};
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// `x·α + β·max` with `α = 1 + U(±contrast_limit)` and `β = U(±brightness_limit)`
/// (albumentations' `RandomBrightnessContrast`; limits 0.2). With `brightness_by_max = false`
/// the shift is relative to the image mean instead of the full scale.
pub struct RandomBrightnessContrast {
    io: OpIo,
    brightness_limit: (f64, f64),
    contrast_limit: (f64, f64),
    brightness_by_max: bool,
}
impl_has_io!(RandomBrightnessContrast);

impl RandomBrightnessContrast {
    /// Limits 0.2, brightness relative to full scale.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        RandomBrightnessContrast {
            io: OpIo::new(inputs, outputs),
            brightness_limit: (-0.2, 0.2),
            contrast_limit: (-0.2, 0.2),
            brightness_by_max: true,
        }
    }

    /// Brightness shift range `(-limit, limit)`.
    pub fn brightness_limit(mut self, limit: f64) -> Self {
        check_range(&mut self.io, "brightness_limit", (-limit.abs(), limit.abs()), -1.0, 1.0);
        self.brightness_limit = (-limit.abs(), limit.abs());
        self
    }

    /// Contrast change range `(-limit, limit)`.
    pub fn contrast_limit(mut self, limit: f64) -> Self {
        check_range(&mut self.io, "contrast_limit", (-limit.abs(), limit.abs()), -1.0, f64::MAX);
        self.contrast_limit = (-limit.abs(), limit.abs());
        self
    }

    /// Shift by a fraction of full scale (true) or of the image mean (false).
    pub fn brightness_by_max(mut self, on: bool) -> Self {
        self.brightness_by_max = on;
        self
    }
}

impl NumpyOp for RandomBrightnessContrast {
    fn name(&self) -> String {
        "RandomBrightnessContrast".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let alpha = (1.0 + uniform(rng, self.contrast_limit)) as f32;
        let beta = uniform(rng, self.brightness_limit) as f32;
        each_image("RandomBrightnessContrast", &self.io, data, &[], |fi, _| {
            let base = if self.brightness_by_max {
                fi.max
            } else {
                fi.img.data.iter().map(|&v| f64::from(v)).sum::<f64>() as f32 / fi.img.data.len() as f32
            };
            let shift = beta * base;
            fi.img.data.iter_mut().for_each(|v| *v = *v * alpha + shift);
            Ok(())
        })
    }
}
