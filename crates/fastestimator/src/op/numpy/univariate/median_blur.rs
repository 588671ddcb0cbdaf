//! `MedianBlur`: median filter with a random odd window.

use super::{each_image, randint};
use crate::error::Result;
use crate::op::numpy::imgproc::median;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Median filter over an odd window from `3..=blur_limit` (albumentations' `MedianBlur`,
/// default 5).
pub struct MedianBlur {
    io: OpIo,
    blur_limit: usize,
}
impl_has_io!(MedianBlur);

impl MedianBlur {
    /// Windows 3 or 5.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        MedianBlur { io: OpIo::new(inputs, outputs), blur_limit: 5 }
    }

    /// Odd windows up to `limit` (at least 3).
    pub fn blur_limit(mut self, limit: usize) -> Self {
        if limit < 3 {
            self.io.reject("blur_limit", format!("{limit} must be at least 3"));
        }
        self.blur_limit = limit;
        self
    }
}

impl NumpyOp for MedianBlur {
    fn name(&self) -> String {
        "MedianBlur".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let k = 2 * randint(state.rng(), 1, ((self.blur_limit - 1) / 2) as i64) as usize + 1;
        each_image("MedianBlur", &self.io, data, &[], |fi, _| {
            fi.img = median(&fi.img, k);
            Ok(())
        })
    }
}
