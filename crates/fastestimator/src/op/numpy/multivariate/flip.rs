//! `HorizontalFlip`, `VerticalFlip`, `Flip` and `Transpose`: exact pixel permutations.

use rand::Rng;

use super::{impl_multivariate, MultiVariate};
use crate::error::Result;
use crate::op::numpy::imgproc::{AffineMap, Geometry};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

fn hflip(w: usize) -> AffineMap {
    AffineMap([-1.0, 0.0, w as f64 - 1.0, 0.0, 1.0, 0.0])
}

fn vflip(h: usize) -> AffineMap {
    AffineMap([1.0, 0.0, 0.0, 0.0, -1.0, h as f64 - 1.0])
}

macro_rules! flip_op {
    ($name:ident, $label:literal, $doc:literal, |$h:ident, $w:ident, $rng:ident| $plan:expr) => {
        #[doc = $doc]
        pub struct $name {
            mv: MultiVariate,
        }
        impl_multivariate!($name);

        impl $name {
            /// Set the targets with `image_in`, `mask_in`, ... .
            pub fn new() -> Self {
                $name { mv: MultiVariate::new($label, (true, true)) }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl NumpyOp for $name {
            fn name(&self) -> String {
                $label.into()
            }

            fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
                let $rng = state.rng();
                let _ = &$rng;
                self.mv.run(data, |$h, $w| Ok($plan))
            }
        }
    };
}

flip_op!(
    HorizontalFlip,
    "HorizontalFlip",
    "Mirror left–right, always (wrap it in `Sometimes` for a random flip, as FE's recipes do).",
    |h, w, rng| Geometry::Affine { m: hflip(w), out_h: h, out_w: w }
);

flip_op!(VerticalFlip, "VerticalFlip", "Mirror top–bottom, always.", |h, w, rng| Geometry::Affine {
    m: vflip(h),
    out_h: h,
    out_w: w
});

flip_op!(
    Flip,
    "Flip",
    "Mirror vertically, horizontally or both, chosen at random (albumentations' `Flip`).",
    |h, w, rng| {
        let m = match rng.gen_range(-1i32..=1) {
            0 => vflip(h),
            1 => hflip(w),
            _ => hflip(w).then(&vflip(h)),
        };
        Geometry::Affine { m, out_h: h, out_w: w }
    }
);

flip_op!(Transpose, "Transpose", "Swap rows and columns (an `H×W` image becomes `W×H`).", |h, w, rng| {
    Geometry::Affine { m: AffineMap([0.0, 1.0, 0.0, 1.0, 0.0, 0.0]), out_h: w, out_w: h }
});
