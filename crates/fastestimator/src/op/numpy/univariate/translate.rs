//! `TranslateX` and `TranslateY`: shift images by a random fraction of their size.

use super::{check_range, check_rua_coef, each, rua_range, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::{map_image, warp_affine, AffineMap, BorderMode, Interpolation};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

macro_rules! translate_op {
    ($name:ident, $label:literal, $horizontal:expr, $doc:literal) => {
        #[doc = $doc]
        ///
        /// The fraction is drawn from `shift_limit`, default 0.2, i.e. (-0.2, 0.2); uncovered
        /// pixels are 0. As in FE (PIL's affine transform), a positive fraction moves the content
        /// towards the origin. RUA builds it with 0.33 and scales the range by its level.
        pub struct $name {
            io: OpIo,
            shift_limit: (f64, f64),
        }
        impl_has_io!($name);

        impl $name {
            /// Fractions in (-0.2, 0.2).
            pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
                $name { io: OpIo::new(inputs, outputs), shift_limit: (-0.2, 0.2) }
            }

            /// Fractions in `(-limit, limit)`.
            pub fn shift_limit(self, limit: f64) -> Self {
                self.shift_limit_range(-limit.abs(), limit.abs())
            }

            /// Fractions in `[lo, hi]` (within [-1, 1]).
            pub fn shift_limit_range(mut self, lo: f64, hi: f64) -> Self {
                check_range(&mut self.io, "shift_limit", (lo, hi), -1.0, 1.0);
                self.shift_limit = (lo, hi);
                self
            }
        }

        impl NumpyOp for $name {
            fn name(&self) -> String {
                $label.into()
            }

            fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
                let f = uniform(state.rng(), self.shift_limit);
                each($label, &self.io, data, |v, key| {
                    Ok(map_image!(v, $label, key, |img| {
                        let m = if $horizontal {
                            AffineMap::translation(-f * img.w as f64, 0.0)
                        } else {
                            AffineMap::translation(0.0, -f * img.h as f64)
                        };
                        Ok::<_, crate::FeError>(warp_affine(
                            &img,
                            &m,
                            img.h,
                            img.w,
                            Interpolation::Linear,
                            BorderMode::Constant,
                            0.0,
                        ))
                    }))
                })
            }

            fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
                check_rua_coef($label, magnitude_coef)?;
                self.shift_limit = rua_range(self.shift_limit, magnitude_coef);
                Ok(())
            }
        }
    };
}

translate_op!(TranslateX, "TranslateX", true, "Shift images horizontally (FE's PIL-based `TranslateX`).");
translate_op!(TranslateY, "TranslateY", false, "Shift images vertically (FE's PIL-based `TranslateY`).");
