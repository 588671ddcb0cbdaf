//! `GridDistortion`: stretch and squeeze grid cells randomly.

use super::{impl_multivariate, impl_resampling, MultiVariate};
use crate::error::Result;
use crate::op::numpy::imgproc::Geometry;
use crate::op::numpy::univariate::{check_range, uniform};
use crate::op::numpy::{NumpyOp, OpState};
use crate::util::FeRng;
use crate::value::Value;

/// albumentations' `GridDistortion` (defaults 5 steps, distort_limit 0.3, bilinear,
/// `BORDER_REFLECT_101`): the image is cut into `num_steps` strips per axis whose widths are
/// scaled by `1 + U(±distort_limit)`, and each strip is mapped linearly. Images and masks only.
pub struct GridDistortion {
    mv: MultiVariate,
    num_steps: usize,
    distort_limit: (f64, f64),
}
impl_multivariate!(GridDistortion);
impl_resampling!(GridDistortion);

impl Default for GridDistortion {
    fn default() -> Self {
        Self::new()
    }
}

/// Source coordinates along one axis of length `n` (albumentations' piecewise-linear map).
fn axis_map(rng: &mut FeRng, n: usize, steps: usize, limit: (f64, f64)) -> Vec<f32> {
    let factors: Vec<f64> = (0..=steps).map(|_| 1.0 + uniform(rng, limit)).collect();
    let step = (n / steps).max(1);
    let mut out = vec![0.0f32; n];
    let mut prev = 0.0f64;
    let mut start = 0;
    while start < n {
        let end = (start + step).min(n);
        let cur = if start + step > n { n as f64 } else { prev + step as f64 * factors[(start / step).min(steps)] };
        let len = end - start;
        for (k, o) in out[start..end].iter_mut().enumerate() {
            let t = if len > 1 { k as f64 / (len - 1) as f64 } else { 0.0 };
            *o = (prev + (cur - prev) * t) as f32;
        }
        prev = cur;
        start = end;
    }
    out
}

impl GridDistortion {
    /// albumentations' defaults.
    pub fn new() -> Self {
        GridDistortion {
            mv: MultiVariate::new("GridDistortion", (false, false)),
            num_steps: 5,
            distort_limit: (-0.3, 0.3),
        }
    }

    /// Strips per axis (at least 1).
    pub fn num_steps(mut self, n: usize) -> Self {
        if n == 0 {
            self.mv.io.reject("num_steps", "must be at least 1");
        }
        self.num_steps = n.max(1);
        self
    }

    /// Strip scale offsets in `(−limit, limit)` (limit below 1).
    pub fn distort_limit(mut self, limit: f64) -> Self {
        check_range(&mut self.mv.io, "distort_limit", (-limit.abs(), limit.abs()), -0.999, 0.999);
        self.distort_limit = (-limit.abs(), limit.abs());
        self
    }
}

impl NumpyOp for GridDistortion {
    fn name(&self) -> String {
        "GridDistortion".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        self.mv.run(data, |h, w| {
            let xs = axis_map(rng, w, self.num_steps, self.distort_limit);
            let ys = axis_map(rng, h, self.num_steps, self.distort_limit);
            let map_x = (0..h).flat_map(|_| xs.iter().copied()).collect();
            let map_y = ys.iter().flat_map(|&y| std::iter::repeat_n(y, w)).collect();
            Ok(Geometry::Dense { map_x, map_y, out_h: h, out_w: w })
        })
    }
}
