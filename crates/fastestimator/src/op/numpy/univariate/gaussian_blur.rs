//! `GaussianBlur`: Gaussian blur with a random odd kernel size.

use super::{each_image, randint, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::{gaussian_kernel, separable};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Gaussian blur (albumentations' `GaussianBlur`): an odd kernel size from `3..=blur_limit`
/// (default 3) and sigma from `sigma_limit` (default 0: derived from the size, as OpenCV).
pub struct GaussianBlur {
    io: OpIo,
    blur_limit: (usize, usize),
    sigma_limit: (f64, f64),
}
impl_has_io!(GaussianBlur);

impl GaussianBlur {
    /// Kernel size 3, sigma from the size.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        GaussianBlur { io: OpIo::new(inputs, outputs), blur_limit: (3, 3), sigma_limit: (0.0, 0.0) }
    }

    /// Odd kernel sizes up to `limit` (at least 3).
    pub fn blur_limit(mut self, limit: usize) -> Self {
        if limit < 3 {
            self.io.reject("blur_limit", format!("{limit} must be at least 3"));
        }
        self.blur_limit = (3, limit);
        self
    }

    /// Sigma range (0 means "from the kernel size").
    pub fn sigma_limit(mut self, lo: f64, hi: f64) -> Self {
        super::check_range(&mut self.io, "sigma_limit", (lo, hi), 0.0, f64::MAX);
        self.sigma_limit = (lo, hi);
        self
    }
}

impl NumpyOp for GaussianBlur {
    fn name(&self) -> String {
        "GaussianBlur".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let (lo, hi) = ((self.blur_limit.0 / 2) as i64, (self.blur_limit.1.saturating_sub(1) / 2) as i64);
        let k = 2 * randint(rng, lo, hi) as usize + 1;
        let sigma = uniform(rng, self.sigma_limit);
        let kernel = gaussian_kernel(k, sigma);
        each_image("GaussianBlur", &self.io, data, &[], |fi, _| {
            fi.img = separable(&fi.img, &kernel, &kernel);
            Ok(())
        })
    }
}
