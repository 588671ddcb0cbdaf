//! `Crop`, `CenterCrop` and `RandomCrop`: cut out a window (exact for every dtype).

use rand::Rng;

use super::{impl_multivariate, MultiVariate};
use crate::error::{FeError, Result};
use crate::op::numpy::imgproc::{AffineMap, Geometry};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

/// The crop of the `ch × cw` window at `(y0, x0)`.
pub(crate) fn crop_geometry(y0: usize, x0: usize, ch: usize, cw: usize) -> Geometry {
    Geometry::Affine { m: AffineMap::translation(-(x0 as f64), -(y0 as f64)), out_h: ch, out_w: cw }
}

/// The run-time error for a crop larger than the image: `key` and `shape` are the first input's.
pub(crate) fn too_large(op: &str, key: &str, (ch, cw): (usize, usize), shape: &[usize]) -> FeError {
    FeError::unexpected_shape(op, key, format!("an image of at least {ch}×{cw} (height×width) for the crop"), shape)
}

fn first_key(mv: &MultiVariate) -> String {
    mv.io.inputs.first().cloned().unwrap_or_default()
}

/// The shape of the first input (the value [`first_key`] names), for errors.
pub(crate) fn first_shape(data: &[Value]) -> Vec<usize> {
    data.first().map(|v| v.shape().to_vec()).unwrap_or_default()
}

/// Crop the fixed window `x_min..x_max`, `y_min..y_max` (albumentations' `Crop`; defaults 0, 0,
/// 1024, 1024). A window reaching beyond the image is a run-time error.
pub struct Crop {
    mv: MultiVariate,
    window: (usize, usize, usize, usize),
}
impl_multivariate!(Crop);

impl Crop {
    /// Crop `[x_min, x_max) × [y_min, y_max)`; the window must not be empty.
    pub fn new(x_min: usize, y_min: usize, x_max: usize, y_max: usize) -> Result<Self> {
        if x_max <= x_min || y_max <= y_min {
            return Err(FeError::param(
                "Crop",
                "x_max/y_max",
                format!("the window ({x_min}, {y_min}, {x_max}, {y_max}) is empty; x_max > x_min and y_max > y_min are needed"),
            ));
        }
        Ok(Crop { mv: MultiVariate::new("Crop", (true, true)), window: (x_min, y_min, x_max, y_max) })
    }
}

impl NumpyOp for Crop {
    fn name(&self) -> String {
        "Crop".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        let (x0, y0, x1, y1) = self.window;
        let (key, shape) = (first_key(&self.mv), first_shape(&data));
        self.mv.run(data, |h, w| {
            if x1 > w || y1 > h {
                return Err(FeError::unexpected_shape(
                    "Crop",
                    &key,
                    format!("an image of at least {y1}×{x1} (height×width) for the window x_max={x1}, y_max={y1}"),
                    &shape,
                ));
            }
            Ok(crop_geometry(y0, x0, y1 - y0, x1 - x0))
        })
    }
}

macro_rules! sized_crop {
    ($name:ident, $label:literal, $doc:literal) => {
        #[doc = $doc]
        pub struct $name {
            mv: MultiVariate,
            height: usize,
            width: usize,
        }
        impl_multivariate!($name);

        impl $name {
            /// Crop `height × width` pixels (both at least 1).
            pub fn new(height: usize, width: usize) -> Result<Self> {
                if height == 0 || width == 0 {
                    return Err(FeError::param($label, "height/width", "the crop must be at least 1×1"));
                }
                Ok($name { mv: MultiVariate::new($label, (true, true)), height, width })
            }
        }
    };
}

sized_crop!(CenterCrop, "CenterCrop", "Crop the central `height × width` window (albumentations' `CenterCrop`).");
sized_crop!(
    RandomCrop,
    "RandomCrop",
    "Crop a `height × width` window at a random position (albumentations' `RandomCrop`)."
);

impl NumpyOp for CenterCrop {
    fn name(&self) -> String {
        "CenterCrop".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        let (ch, cw) = (self.height, self.width);
        let (key, shape) = (first_key(&self.mv), first_shape(&data));
        self.mv.run(data, |h, w| {
            if ch > h || cw > w {
                return Err(too_large("CenterCrop", &key, (ch, cw), &shape));
            }
            Ok(crop_geometry((h - ch) / 2, (w - cw) / 2, ch, cw))
        })
    }
}

impl NumpyOp for RandomCrop {
    fn name(&self) -> String {
        "RandomCrop".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let (hs, ws): (f64, f64) = (rng.gen(), rng.gen());
        let (ch, cw) = (self.height, self.width);
        let (key, shape) = (first_key(&self.mv), first_shape(&data));
        self.mv.run(data, |h, w| {
            if ch > h || cw > w {
                return Err(too_large("RandomCrop", &key, (ch, cw), &shape));
            }
            Ok(crop_geometry(((h - ch) as f64 * hs) as usize, ((w - cw) as f64 * ws) as usize, ch, cw))
        })
    }
}
