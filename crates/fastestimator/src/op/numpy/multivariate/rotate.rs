//! `Rotate` (multivariate): rotate by a random angle.

use super::{impl_multivariate, impl_resampling, MultiVariate};
use crate::error::Result;
use crate::op::numpy::imgproc::{AffineMap, Geometry};
use crate::op::numpy::univariate::{check_range, uniform};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

/// Rotate about the centre by `U(−limit, limit)` degrees, counter-clockwise for positive angles,
/// keeping the size (albumentations' `Rotate`; limit 90, bilinear, `BORDER_REFLECT_101`).
pub struct Rotate {
    mv: MultiVariate,
    limit: (f64, f64),
}
impl_multivariate!(Rotate);
impl_resampling!(Rotate);

impl Default for Rotate {
    fn default() -> Self {
        Self::new()
    }
}

impl Rotate {
    /// Angles in (−90, 90).
    pub fn new() -> Self {
        Rotate { mv: MultiVariate::new("Rotate", (true, true)), limit: (-90.0, 90.0) }
    }

    /// Angles in `(−limit, limit)`.
    pub fn limit(self, limit: f64) -> Self {
        self.limit_range(-limit.abs(), limit.abs())
    }

    /// Angles in `[lo, hi]`.
    pub fn limit_range(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.mv.io, "limit", (lo, hi), -360.0, 360.0);
        self.limit = (lo, hi);
        self
    }
}

impl NumpyOp for Rotate {
    fn name(&self) -> String {
        "Rotate".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let angle = uniform(state.rng(), self.limit);
        self.mv.run(data, |h, w| {
            let m = AffineMap::rotation(angle, (w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0, 1.0);
            Ok(Geometry::Affine { m, out_h: h, out_w: w })
        })
    }
}
