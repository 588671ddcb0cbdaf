//! `RandomScale`: resize by a random factor.

use super::{impl_multivariate, impl_resampling, MultiVariate};
use crate::error::Result;
use crate::op::numpy::imgproc::{AffineMap, Geometry};
use crate::op::numpy::univariate::{check_range, uniform};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

/// Resize by `U(1 − scale_limit, 1 + scale_limit)` (albumentations' `RandomScale`, default 0.1);
/// the output is `int(h·s) × int(w·s)` (at least 1×1).
pub struct RandomScale {
    mv: MultiVariate,
    scale: (f64, f64),
}
impl_multivariate!(RandomScale);
impl_resampling!(RandomScale);

impl Default for RandomScale {
    fn default() -> Self {
        Self::new()
    }
}

impl RandomScale {
    /// Scales 0.9–1.1.
    pub fn new() -> Self {
        RandomScale { mv: MultiVariate::new("RandomScale", (true, true)), scale: (0.9, 1.1) }
    }

    /// Scales in `(1 − limit, 1 + limit)` (limit below 1).
    pub fn scale_limit(mut self, limit: f64) -> Self {
        let range = (1.0 - limit.abs(), 1.0 + limit.abs());
        check_range(&mut self.mv.io, "scale_limit", range, f64::MIN_POSITIVE, f64::MAX);
        self.scale = range;
        self
    }
}

impl NumpyOp for RandomScale {
    fn name(&self) -> String {
        "RandomScale".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let s = uniform(state.rng(), self.scale);
        self.mv.run(data, |h, w| {
            let (oh, ow) = (((h as f64 * s) as usize).max(1), ((w as f64 * s) as usize).max(1));
            Ok(Geometry::Affine { m: AffineMap::resize(h, w, oh, ow), out_h: oh, out_w: ow })
        })
    }
}
