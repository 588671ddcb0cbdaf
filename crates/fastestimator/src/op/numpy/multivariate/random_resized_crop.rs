//! `RandomResizedCrop` and `RandomSizedCrop`: crop a random window and resize it.

use rand::Rng;

use super::crop::{first_shape, too_large};
use super::{impl_multivariate, impl_resampling, MultiVariate};
use crate::error::{FeError, Result};
use crate::op::numpy::imgproc::{AffineMap, Geometry};
use crate::op::numpy::univariate::{check_range, randint, uniform};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

/// Crop `(y0, x0, ch, cw)` out of the image and resize it to `out_h × out_w`, as one map.
fn crop_resize(y0: usize, x0: usize, ch: usize, cw: usize, out_h: usize, out_w: usize) -> Geometry {
    let m = AffineMap::translation(-(x0 as f64), -(y0 as f64)).then(&AffineMap::resize(ch, cw, out_h, out_w));
    Geometry::Affine { m, out_h, out_w }
}

fn check_size(op: &str, height: usize, width: usize) -> Result<()> {
    if height == 0 || width == 0 {
        return Err(FeError::param(op, "height/width", "the output must be at least 1×1"));
    }
    Ok(())
}

/// torchvision's `RandomResizedCrop` (through albumentations): a window with area fraction
/// `U(scale)` (default 0.08–1) and log-uniform aspect ratio from `ratio` (default 3/4–4/3), at
/// a random position (10 tries, then the largest central window within the ratio range),
/// resized to `height × width`.
pub struct RandomResizedCrop {
    mv: MultiVariate,
    height: usize,
    width: usize,
    scale: (f64, f64),
    ratio: (f64, f64),
}
impl_multivariate!(RandomResizedCrop);
impl_resampling!(RandomResizedCrop);

impl RandomResizedCrop {
    /// Output `height × width`.
    pub fn new(height: usize, width: usize) -> Result<Self> {
        check_size("RandomResizedCrop", height, width)?;
        Ok(RandomResizedCrop {
            mv: MultiVariate::new("RandomResizedCrop", (true, true)),
            height,
            width,
            scale: (0.08, 1.0),
            ratio: (0.75, 4.0 / 3.0),
        })
    }

    /// Area fraction range within (0, 1].
    pub fn scale(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.mv.io, "scale", (lo, hi), f64::MIN_POSITIVE, 1.0);
        self.scale = (lo, hi);
        self
    }

    /// Aspect-ratio (width / height) range, positive.
    pub fn ratio(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.mv.io, "ratio", (lo, hi), f64::MIN_POSITIVE, f64::MAX);
        self.ratio = (lo, hi);
        self
    }
}

impl NumpyOp for RandomResizedCrop {
    fn name(&self) -> String {
        "RandomResizedCrop".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        self.mv.run(data, |h, w| {
            let area = (h * w) as f64;
            for _ in 0..10 {
                let target = area * uniform(rng, self.scale);
                let r = uniform(rng, (self.ratio.0.ln(), self.ratio.1.ln())).exp();
                let cw = (target * r).sqrt().round() as usize;
                let ch = (target / r).sqrt().round() as usize;
                if 0 < cw && cw <= w && 0 < ch && ch <= h {
                    let y0 = rng.gen_range(0..=h - ch);
                    let x0 = rng.gen_range(0..=w - cw);
                    return Ok(crop_resize(y0, x0, ch, cw, self.height, self.width));
                }
            }
            let in_ratio = w as f64 / h as f64;
            let (cw, ch) = if in_ratio < self.ratio.0 {
                (w, ((w as f64 / self.ratio.0).round() as usize).clamp(1, h))
            } else if in_ratio > self.ratio.1 {
                (((h as f64 * self.ratio.1).round() as usize).clamp(1, w), h)
            } else {
                (w, h)
            };
            Ok(crop_resize((h - ch) / 2, (w - cw) / 2, ch, cw, self.height, self.width))
        })
    }
}

/// albumentations' `RandomSizedCrop`: a window of height `U{min_max_height}` and width
/// `height · w2h_ratio` at a random position, resized to `height × width`. A window larger than
/// the image is a run-time error.
pub struct RandomSizedCrop {
    mv: MultiVariate,
    min_max_height: (usize, usize),
    height: usize,
    width: usize,
    w2h_ratio: f64,
}
impl_multivariate!(RandomSizedCrop);
impl_resampling!(RandomSizedCrop);

impl RandomSizedCrop {
    /// Crop heights from `min_max_height`, output `height × width`.
    pub fn new(min_max_height: (usize, usize), height: usize, width: usize) -> Result<Self> {
        check_size("RandomSizedCrop", height, width)?;
        if min_max_height.0 == 0 || min_max_height.0 > min_max_height.1 {
            return Err(FeError::param(
                "RandomSizedCrop",
                "min_max_height",
                format!("{min_max_height:?} must satisfy 1 <= min <= max"),
            ));
        }
        Ok(RandomSizedCrop {
            mv: MultiVariate::new("RandomSizedCrop", (true, true)),
            min_max_height,
            height,
            width,
            w2h_ratio: 1.0,
        })
    }

    /// Crop width over crop height (positive, default 1).
    pub fn w2h_ratio(mut self, ratio: f64) -> Self {
        check_range(&mut self.mv.io, "w2h_ratio", (ratio, ratio), f64::MIN_POSITIVE, f64::MAX);
        self.w2h_ratio = ratio;
        self
    }
}

impl NumpyOp for RandomSizedCrop {
    fn name(&self) -> String {
        "RandomSizedCrop".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let ch = randint(rng, self.min_max_height.0 as i64, self.min_max_height.1 as i64) as usize;
        let cw = ((ch as f64 * self.w2h_ratio) as usize).max(1);
        let (hs, ws): (f64, f64) = (rng.gen(), rng.gen());
        let key = self.mv.io.inputs.first().cloned().unwrap_or_default();
        let shape = first_shape(&data);
        self.mv.run(data, |h, w| {
            if ch > h || cw > w {
                return Err(too_large("RandomSizedCrop", &key, (ch, cw), &shape));
            }
            let (y0, x0) = (((h - ch) as f64 * hs) as usize, ((w - cw) as f64 * ws) as usize);
            Ok(crop_resize(y0, x0, ch, cw, self.height, self.width))
        })
    }
}
