//! `Rotate` (univariate, RUA's): rotate images by a random angle.

use super::{check_rua_coef, each, rua_range, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::{map_image, warp_affine, AffineMap, BorderMode, Interpolation};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Rotate counter-clockwise about the centre by `U(limit)` degrees, keeping the size and filling
/// the corners with 0 (PIL's `Image.rotate`, nearest neighbour, as FE's RUA `Rotate`). `limit`
/// defaults to 30, i.e. (-30, 30); RUA builds it with 90. For images with masks, boxes or
/// keypoints use [`crate::op::numpy::multivariate::Rotate`].
pub struct Rotate {
    io: OpIo,
    limit: (f64, f64),
}
impl_has_io!(Rotate);

impl Rotate {
    /// Angles in (-30, 30).
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Rotate { io: OpIo::new(inputs, outputs), limit: (-30.0, 30.0) }
    }

    /// Angles in `(-limit, limit)` degrees.
    pub fn limit(self, limit: f64) -> Self {
        self.limit_range(-limit.abs(), limit.abs())
    }

    /// Angles in `[lo, hi]` degrees.
    pub fn limit_range(mut self, lo: f64, hi: f64) -> Self {
        super::check_range(&mut self.io, "limit", (lo, hi), -360.0, 360.0);
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
        each("Rotate", &self.io, data, |v, key| {
            Ok(map_image!(v, "Rotate", key, |img| {
                let m = AffineMap::rotation(angle, (img.w as f64 - 1.0) / 2.0, (img.h as f64 - 1.0) / 2.0, 1.0);
                Ok::<_, crate::FeError>(warp_affine(
                    &img,
                    &m,
                    img.h,
                    img.w,
                    Interpolation::Nearest,
                    BorderMode::Constant,
                    0.0,
                ))
            }))
        })
    }

    fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
        check_rua_coef("Rotate", magnitude_coef)?;
        self.limit = rua_range(self.limit, magnitude_coef);
        Ok(())
    }
}
