//! `GaussianNoise`: add Gaussian noise.

use rand_distr::{Distribution, Normal};

use super::{check_range, each_image, uniform};
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Add per-pixel noise `N(mean, sqrt(var))` with `var ~ U(var_limit)` (albumentations'
/// `GaussNoise`; defaults (10, 50) and 0). Variance and mean are on the 8-bit scale; for float
/// images the noise is scaled by 1/255 so the same settings mean the same visual strength.
pub struct GaussianNoise {
    io: OpIo,
    var_limit: (f64, f64),
    mean: f64,
}
impl_has_io!(GaussianNoise);

impl GaussianNoise {
    /// Variance 10–50, mean 0.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        GaussianNoise { io: OpIo::new(inputs, outputs), var_limit: (10.0, 50.0), mean: 0.0 }
    }

    /// The variance range (non-negative).
    pub fn var_limit(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.io, "var_limit", (lo, hi), 0.0, f64::MAX);
        self.var_limit = (lo, hi);
        self
    }

    /// The noise mean.
    pub fn mean(mut self, mean: f64) -> Self {
        self.mean = mean;
        self
    }
}

impl NumpyOp for GaussianNoise {
    fn name(&self) -> String {
        "GaussianNoise".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let sigma = uniform(rng, self.var_limit).sqrt();
        let normal = Normal::new(self.mean, sigma.max(0.0)).expect("finite, non-negative sigma");
        each_image("GaussianNoise", &self.io, data, &[], |fi, _| {
            let scale = fi.max / 255.0;
            fi.img.data.iter_mut().for_each(|v| *v += normal.sample(rng) as f32 * scale);
            Ok(())
        })
    }
}
