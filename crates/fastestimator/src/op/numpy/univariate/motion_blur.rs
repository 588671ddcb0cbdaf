//! `MotionBlur`: blur along a random line.

use rand::Rng;

use super::{each_image, randint};
use crate::error::Result;
use crate::op::numpy::imgproc::convolve;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Convolve with a normalised line through the centre of an odd `k × k` kernel, `k` from
/// `3..=blur_limit` (default 7) and a random direction (albumentations' `MotionBlur`).
pub struct MotionBlur {
    io: OpIo,
    blur_limit: usize,
}
impl_has_io!(MotionBlur);

impl MotionBlur {
    /// Kernels 3 to 7.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        MotionBlur { io: OpIo::new(inputs, outputs), blur_limit: 7 }
    }

    /// Odd kernels up to `limit` (at least 3).
    pub fn blur_limit(mut self, limit: usize) -> Self {
        if limit < 3 {
            self.io.reject("blur_limit", format!("{limit} must be at least 3"));
        }
        self.blur_limit = limit;
        self
    }
}

/// A `k × k` line kernel at `angle` radians, normalised to sum 1.
fn line_kernel(k: usize, angle: f64) -> Vec<f32> {
    let mut kernel = vec![0.0f32; k * k];
    let c = (k / 2) as f64;
    let steps = 4 * k;
    for s in 0..=steps {
        let t = s as f64 / steps as f64 * 2.0 - 1.0;
        let (x, y) = ((c + t * c * angle.cos()).round() as usize, (c + t * c * angle.sin()).round() as usize);
        kernel[y.min(k - 1) * k + x.min(k - 1)] = 1.0;
    }
    let sum: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|v| *v /= sum);
    kernel
}

impl NumpyOp for MotionBlur {
    fn name(&self) -> String {
        "MotionBlur".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let k = 2 * randint(rng, 1, ((self.blur_limit - 1) / 2) as i64) as usize + 1;
        let kernel = line_kernel(k, rng.gen_range(0.0..std::f64::consts::PI));
        each_image("MotionBlur", &self.io, data, &[], |fi, _| {
            fi.img = convolve(&fi.img, &kernel, k);
            Ok(())
        })
    }
}
