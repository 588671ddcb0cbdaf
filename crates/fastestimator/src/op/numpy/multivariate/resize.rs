//! `Resize`, `LongestMaxSize` and `SmallestMaxSize`.

use super::{impl_multivariate, impl_resampling, MultiVariate};
use crate::error::{FeError, Result};
use crate::op::numpy::imgproc::{AffineMap, Geometry};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

fn resize_to(h: usize, w: usize, out_h: usize, out_w: usize) -> Geometry {
    Geometry::Affine { m: AffineMap::resize(h, w, out_h, out_w), out_h, out_w }
}

/// Resize to `height × width` (albumentations' `Resize`, bilinear by default; pixel centres
/// aligned as OpenCV's `resize`).
pub struct Resize {
    mv: MultiVariate,
    height: usize,
    width: usize,
}
impl_multivariate!(Resize);
impl_resampling!(Resize);

impl Resize {
    /// Resize to `height × width` (both at least 1).
    pub fn new(height: usize, width: usize) -> Result<Self> {
        if height == 0 || width == 0 {
            return Err(FeError::param("Resize", "height/width", "must be at least 1"));
        }
        Ok(Resize { mv: MultiVariate::new("Resize", (true, true)), height, width })
    }
}

impl NumpyOp for Resize {
    fn name(&self) -> String {
        "Resize".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        self.mv.run(data, |h, w| Ok(resize_to(h, w, self.height, self.width)))
    }
}

macro_rules! max_size_op {
    ($name:ident, $label:literal, $pick:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name {
            mv: MultiVariate,
            max_size: usize,
        }
        impl_multivariate!($name);
        impl_resampling!($name);

        impl $name {
            /// Scale so that the chosen side is `max_size` (default 1024), keeping the aspect
            /// ratio.
            pub fn new(max_size: usize) -> Result<Self> {
                if max_size == 0 {
                    return Err(FeError::param($label, "max_size", "must be at least 1"));
                }
                Ok($name { mv: MultiVariate::new($label, (true, true)), max_size })
            }
        }

        impl NumpyOp for $name {
            fn name(&self) -> String {
                $label.into()
            }

            fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
                self.mv.run(data, |h, w| {
                    let scale = self.max_size as f64 / h.$pick(w) as f64;
                    let (oh, ow) =
                        (((h as f64 * scale).round() as usize).max(1), ((w as f64 * scale).round() as usize).max(1));
                    Ok(resize_to(h, w, oh, ow))
                })
            }
        }
    };
}

max_size_op!(
    LongestMaxSize,
    "LongestMaxSize",
    max,
    "Rescale so the longest side equals `max_size` (albumentations' `LongestMaxSize`)."
);
max_size_op!(
    SmallestMaxSize,
    "SmallestMaxSize",
    min,
    "Rescale so the shortest side equals `max_size` (albumentations' `SmallestMaxSize`)."
);
