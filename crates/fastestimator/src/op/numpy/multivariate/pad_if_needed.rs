//! `PadIfNeeded`: pad images up to a minimum size.

use super::{impl_multivariate, impl_resampling, MultiVariate};
use crate::error::{FeError, Result};
use crate::op::numpy::imgproc::{AffineMap, Geometry};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

/// Pad, centred, to at least `min_height × min_width` (albumentations' `PadIfNeeded`; defaults
/// 1024 × 1024 and `BORDER_REFLECT_101`; `border_mode(Constant)` with `value`/`mask_value` pads
/// with constants). Larger images pass unchanged. Exact for every dtype.
pub struct PadIfNeeded {
    mv: MultiVariate,
    min_height: usize,
    min_width: usize,
}
impl_multivariate!(PadIfNeeded);
impl_resampling!(PadIfNeeded);

impl PadIfNeeded {
    /// Pad to at least `min_height × min_width` (both at least 1).
    pub fn new(min_height: usize, min_width: usize) -> Result<Self> {
        if min_height == 0 || min_width == 0 {
            return Err(FeError::param("PadIfNeeded", "min_height/min_width", "must be at least 1"));
        }
        Ok(PadIfNeeded { mv: MultiVariate::new("PadIfNeeded", (true, true)), min_height, min_width })
    }
}

impl NumpyOp for PadIfNeeded {
    fn name(&self) -> String {
        "PadIfNeeded".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        self.mv.run(data, |h, w| {
            let (oh, ow) = (h.max(self.min_height), w.max(self.min_width));
            let (top, left) = ((oh - h) / 2, (ow - w) / 2);
            Ok(Geometry::Affine { m: AffineMap::translation(left as f64, top as f64), out_h: oh, out_w: ow })
        })
    }
}
