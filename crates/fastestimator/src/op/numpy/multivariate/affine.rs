//! `Affine`: random rotation, scale, shear and translation.

use super::{impl_multivariate, impl_resampling, MultiVariate};
use crate::error::Result;
use crate::op::numpy::imgproc::{AffineMap, BorderMode, Geometry};
use crate::op::numpy::univariate::{check_range, uniform};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

/// A random affine transform about the image centre (FE's `Affine`): scale by `U(scale)`,
/// rotate by `U(rotate)` degrees (counter-clockwise for positive angles), shear by `U(shear)`
/// degrees along x and, independently, along y, then translate by `U(translate)` along each
/// axis, as a fraction of the size (`translate_percent`) or in pixels (`translate_px`).
///
/// FE's single-number forms: `rotate(n)` and `shear(n)` mean `[−n, n]`, `scale(n)` means
/// `[1, n]` and a translation `n` means `[0, n]`. Defaults are the identity, bilinear
/// interpolation and a constant border of 0 (`border_mode`, `value` and `mask_value` change it).
pub struct Affine {
    mv: MultiVariate,
    rotate: (f64, f64),
    scale: (f64, f64),
    shear: (f64, f64),
    translate: (f64, f64),
    translate_in_pixels: bool,
}
impl_multivariate!(Affine);
impl_resampling!(Affine);

impl Default for Affine {
    fn default() -> Self {
        Self::new()
    }
}

impl Affine {
    /// The identity; set the ranges with the builder methods.
    pub fn new() -> Self {
        let mut mv = MultiVariate::new("Affine", (true, true));
        mv.border_mode = BorderMode::Constant;
        Affine {
            mv,
            rotate: (0.0, 0.0),
            scale: (1.0, 1.0),
            shear: (0.0, 0.0),
            translate: (0.0, 0.0),
            translate_in_pixels: false,
        }
    }

    /// Rotation in `[−n, n]` degrees.
    pub fn rotate(self, n: f64) -> Self {
        self.rotate_range(-n.abs(), n.abs())
    }

    /// Rotation in `[lo, hi]` degrees.
    pub fn rotate_range(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.mv.io, "rotate", (lo, hi), -360.0, 360.0);
        self.rotate = (lo, hi);
        self
    }

    /// Scale in `[1, n]` (or `[n, 1]` for `n < 1`).
    pub fn scale(self, n: f64) -> Self {
        self.scale_range(n.min(1.0), n.max(1.0))
    }

    /// Scale in `[lo, hi]` (positive).
    pub fn scale_range(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.mv.io, "scale", (lo, hi), f64::MIN_POSITIVE, f64::MAX);
        self.scale = (lo, hi);
        self
    }

    /// Shear in `[−n, n]` degrees on each axis.
    pub fn shear(self, n: f64) -> Self {
        self.shear_range(-n.abs(), n.abs())
    }

    /// Shear in `[lo, hi]` degrees on each axis (within ±89).
    pub fn shear_range(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.mv.io, "shear", (lo, hi), -89.0, 89.0);
        self.shear = (lo, hi);
        self
    }

    /// Translation in `[0, n]` (or `[lo, hi]`) of the image size per axis.
    pub fn translate_percent(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.mv.io, "translate", (lo, hi), -1.0, 1.0);
        self.translate = (lo, hi);
        self.translate_in_pixels = false;
        self
    }

    /// Translation in `[lo, hi]` pixels per axis.
    pub fn translate_px(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.mv.io, "translate", (lo, hi), f64::MIN, f64::MAX);
        self.translate = (lo, hi);
        self.translate_in_pixels = true;
        self
    }
}

impl NumpyOp for Affine {
    fn name(&self) -> String {
        "Affine".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let scale = uniform(rng, self.scale);
        let angle = uniform(rng, self.rotate);
        let (sx, sy) = (uniform(rng, self.shear).to_radians().tan(), uniform(rng, self.shear).to_radians().tan());
        let (tx, ty) = (uniform(rng, self.translate), uniform(rng, self.translate));
        self.mv.run(data, |h, w| {
            let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
            let (tx, ty) = if self.translate_in_pixels { (tx, ty) } else { (tx * w as f64, ty * h as f64) };
            let m = AffineMap::translation(-cx, -cy)
                .then(&AffineMap::scaling(scale, scale))
                .then(&AffineMap::rotation(angle, 0.0, 0.0, 1.0))
                .then(&AffineMap([1.0, sx, 0.0, sy, 1.0, 0.0]))
                .then(&AffineMap::translation(cx + tx, cy + ty));
            Ok(Geometry::Affine { m, out_h: h, out_w: w })
        })
    }
}
