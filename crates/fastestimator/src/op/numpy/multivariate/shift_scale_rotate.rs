//! `ShiftScaleRotate`: random shift, scale and rotation in one affine map.

use super::{impl_multivariate, impl_resampling, MultiVariate};
use crate::error::Result;
use crate::op::numpy::imgproc::{AffineMap, Geometry};
use crate::op::numpy::univariate::{check_range, uniform};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

/// Rotate by `U(±rotate_limit)` degrees and scale by `U(1 ± scale_limit)` about the centre, then
/// shift by `U(±shift_limit)` of the width and height (albumentations' `ShiftScaleRotate`;
/// defaults 0.0625, 0.1, 45; bilinear, `BORDER_REFLECT_101`).
pub struct ShiftScaleRotate {
    mv: MultiVariate,
    shift: (f64, f64),
    scale: (f64, f64),
    rotate: (f64, f64),
}
impl_multivariate!(ShiftScaleRotate);
impl_resampling!(ShiftScaleRotate);

impl Default for ShiftScaleRotate {
    fn default() -> Self {
        Self::new()
    }
}

impl ShiftScaleRotate {
    /// albumentations' defaults.
    pub fn new() -> Self {
        ShiftScaleRotate {
            mv: MultiVariate::new("ShiftScaleRotate", (true, true)),
            shift: (-0.0625, 0.0625),
            scale: (0.9, 1.1),
            rotate: (-45.0, 45.0),
        }
    }

    /// Shifts in `(−limit, limit)` of the image size.
    pub fn shift_limit(mut self, limit: f64) -> Self {
        check_range(&mut self.mv.io, "shift_limit", (-limit.abs(), limit.abs()), -1.0, 1.0);
        self.shift = (-limit.abs(), limit.abs());
        self
    }

    /// Scales in `(1 − limit, 1 + limit)` (limit below 1).
    pub fn scale_limit(mut self, limit: f64) -> Self {
        check_range(
            &mut self.mv.io,
            "scale_limit",
            (1.0 - limit.abs(), 1.0 + limit.abs()),
            f64::MIN_POSITIVE,
            f64::MAX,
        );
        self.scale = (1.0 - limit.abs(), 1.0 + limit.abs());
        self
    }

    /// Angles in `(−limit, limit)` degrees.
    pub fn rotate_limit(mut self, limit: f64) -> Self {
        check_range(&mut self.mv.io, "rotate_limit", (-limit.abs(), limit.abs()), -360.0, 360.0);
        self.rotate = (-limit.abs(), limit.abs());
        self
    }
}

impl NumpyOp for ShiftScaleRotate {
    fn name(&self) -> String {
        "ShiftScaleRotate".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let angle = uniform(rng, self.rotate);
        let scale = uniform(rng, self.scale);
        let (dx, dy) = (uniform(rng, self.shift), uniform(rng, self.shift));
        self.mv.run(data, |h, w| {
            let m = AffineMap::rotation(angle, (w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0, scale)
                .then(&AffineMap::translation(dx * w as f64, dy * h as f64));
            Ok(Geometry::Affine { m, out_h: h, out_w: w })
        })
    }
}
