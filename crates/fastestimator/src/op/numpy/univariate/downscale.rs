//! `Downscale`: lose detail by shrinking and re-enlarging.

use super::{check_range, each, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::{map_image, resize, Interpolation};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Resize by `U(scale_min, scale_max)` and back to the original size (albumentations'
/// `Downscale`; scales 0.25, nearest-neighbour as FE's default).
pub struct Downscale {
    io: OpIo,
    scale: (f64, f64),
    interpolation: Interpolation,
}
impl_has_io!(Downscale);

impl Downscale {
    /// Scale 0.25, nearest neighbour.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Downscale { io: OpIo::new(inputs, outputs), scale: (0.25, 0.25), interpolation: Interpolation::Nearest }
    }

    /// The scale range within (0, 1).
    pub fn scale(mut self, min: f64, max: f64) -> Self {
        check_range(&mut self.io, "scale_min/scale_max", (min, max), f64::MIN_POSITIVE, 0.999_999);
        self.scale = (min, max);
        self
    }

    /// The interpolation for both resizes.
    pub fn interpolation(mut self, interpolation: Interpolation) -> Self {
        self.interpolation = interpolation;
        self
    }
}

impl NumpyOp for Downscale {
    fn name(&self) -> String {
        "Downscale".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let s = uniform(state.rng(), self.scale);
        each("Downscale", &self.io, data, |v, key| {
            Ok(map_image!(v, "Downscale", key, |img| {
                let (sh, sw) = (((img.h as f64 * s) as usize).max(1), ((img.w as f64 * s) as usize).max(1));
                let small = resize(&img, sh, sw, self.interpolation);
                Ok::<_, crate::FeError>(resize(&small, img.h, img.w, self.interpolation))
            }))
        })
    }
}
