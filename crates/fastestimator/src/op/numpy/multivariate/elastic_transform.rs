//! `ElasticTransform`: random elastic deformation.

use rand::Rng;

use super::{impl_multivariate, impl_resampling, MultiVariate};
use crate::error::Result;
use crate::op::numpy::imgproc::{gaussian_kernel, separable, AffineMap, Geometry, Image};
use crate::op::numpy::univariate::check_range;
use crate::op::numpy::{NumpyOp, OpState};
use crate::util::FeRng;
use crate::value::Value;

/// Elastic deformation (albumentations' `ElasticTransform`; defaults alpha 34, sigma 4,
/// alpha_affine 50, bilinear, `BORDER_REFLECT_101`): first a random affine map that moves three
/// points around the centre by up to `alpha_affine` pixels, then a displacement field of uniform
/// noise in [−1, 1] smoothed with a Gaussian of `sigma` and scaled by `alpha`. Images and masks
/// only: boxes and keypoints cannot follow a dense field and are refused at construction.
pub struct ElasticTransform {
    mv: MultiVariate,
    alpha: f64,
    sigma: f64,
    alpha_affine: f64,
}
impl_multivariate!(ElasticTransform);
impl_resampling!(ElasticTransform);

impl Default for ElasticTransform {
    fn default() -> Self {
        Self::new()
    }
}

/// A displacement field of `U(−1, 1)` noise, Gaussian-smoothed (truncated at 4 sigma) and scaled.
pub(crate) fn displacement(rng: &mut FeRng, h: usize, w: usize, sigma: f64, alpha: f64) -> Vec<f32> {
    let noise: Vec<f32> = (0..h * w).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    let field = Image { h, w, c: 1, data: noise, rank2: true };
    let smooth = if sigma > 0.0 {
        let k = 2 * (4.0 * sigma).ceil() as usize + 1;
        let kernel = gaussian_kernel(k, sigma);
        separable(&field, &kernel, &kernel)
    } else {
        field
    };
    smooth.data.into_iter().map(|v| v * alpha as f32).collect()
}

impl ElasticTransform {
    /// albumentations' defaults.
    pub fn new() -> Self {
        ElasticTransform {
            mv: MultiVariate::new("ElasticTransform", (false, false)),
            alpha: 34.0,
            sigma: 4.0,
            alpha_affine: 50.0,
        }
    }

    /// Displacement scale (non-negative).
    pub fn alpha(mut self, alpha: f64) -> Self {
        check_range(&mut self.mv.io, "alpha", (alpha, alpha), 0.0, f64::MAX);
        self.alpha = alpha;
        self
    }

    /// Smoothness of the displacement field (non-negative).
    pub fn sigma(mut self, sigma: f64) -> Self {
        check_range(&mut self.mv.io, "sigma", (sigma, sigma), 0.0, f64::MAX);
        self.sigma = sigma;
        self
    }

    /// Range of the random affine part in pixels (non-negative).
    pub fn alpha_affine(mut self, alpha_affine: f64) -> Self {
        check_range(&mut self.mv.io, "alpha_affine", (alpha_affine, alpha_affine), 0.0, f64::MAX);
        self.alpha_affine = alpha_affine;
        self
    }
}

impl NumpyOp for ElasticTransform {
    fn name(&self) -> String {
        "ElasticTransform".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        self.mv.run(data, |h, w| {
            let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
            let s = (h.min(w) / 3) as f64;
            let src = [(cx + s, cy + s), (cx + s, cy - s), (cx - s, cy - s)];
            let aa = self.alpha_affine;
            let dst = src.map(|(x, y)| {
                let mut jitter = || if aa > 0.0 { rng.gen_range(-aa..aa) } else { 0.0 };
                (x + jitter(), y + jitter())
            });
            let inv = AffineMap::from_points(src, dst).and_then(|m| m.inverse()).unwrap_or(AffineMap::IDENTITY);
            let dx = displacement(rng, h, w, self.sigma, self.alpha);
            let dy = displacement(rng, h, w, self.sigma, self.alpha);
            let (mut map_x, mut map_y) = (Vec::with_capacity(h * w), Vec::with_capacity(h * w));
            for y in 0..h {
                for x in 0..w {
                    let i = y * w + x;
                    let (sx, sy) = inv.apply(x as f64 + f64::from(dx[i]), y as f64 + f64::from(dy[i]));
                    map_x.push(sx as f32);
                    map_y.push(sy as f32);
                }
            }
            Ok(Geometry::Dense { map_x, map_y, out_h: h, out_w: w })
        })
    }
}
