//! `RandomRotate90`: rotate by a random multiple of 90 degrees.

use rand::Rng;

use super::{impl_multivariate, MultiVariate};
use crate::error::Result;
use crate::op::numpy::imgproc::{AffineMap, Geometry};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

/// Rotate counter-clockwise by `k·90°`, `k` uniform in 0–3 (albumentations' `RandomRotate90`,
/// numpy's `rot90`). Odd `k` swaps height and width. Exact for every dtype.
pub struct RandomRotate90 {
    mv: MultiVariate,
}
impl_multivariate!(RandomRotate90);

impl Default for RandomRotate90 {
    fn default() -> Self {
        Self::new()
    }
}

impl RandomRotate90 {
    /// Set the targets with `image_in`, `mask_in`, ... .
    pub fn new() -> Self {
        RandomRotate90 { mv: MultiVariate::new("RandomRotate90", (true, true)) }
    }
}

/// `k` quarter turns counter-clockwise of an `h × w` image: the map and the output size.
pub(crate) fn quarter_turns(k: usize, h: usize, w: usize) -> Geometry {
    let (mut m, mut hh, mut ww) = (AffineMap::IDENTITY, h, w);
    for _ in 0..k % 4 {
        // One turn of an hh × ww image: x' = y, y' = ww - 1 - x.
        m = m.then(&AffineMap([0.0, 1.0, 0.0, -1.0, 0.0, ww as f64 - 1.0]));
        std::mem::swap(&mut hh, &mut ww);
    }
    Geometry::Affine { m, out_h: hh, out_w: ww }
}

impl NumpyOp for RandomRotate90 {
    fn name(&self) -> String {
        "RandomRotate90".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let k = state.rng().gen_range(0..4usize);
        self.mv.run(data, |h, w| Ok(quarter_turns(k, h, w)))
    }
}
