//! `ShearX` and `ShearY`: shear images by a random coefficient.

use super::{check_range, check_rua_coef, each, rua_range, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::{map_image, resize, warp_affine, AffineMap, BorderMode, Image, Interpolation, Pixel};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// FE's PIL shear: widen (or heighten) the canvas by `|s|·size`, shear so nothing is cut off,
/// then resize back to the original size. Bilinear where FE uses bicubic.
fn shear<T: Pixel>(img: &Image<T>, s: f64, horizontal: bool) -> Image<T> {
    let (h, w) = (img.h, img.w);
    let along = if horizontal { w } else { h };
    let shift = (s.abs() * along as f64).round() as usize;
    let offset = if s > 0.0 { shift as f64 } else { 0.0 };
    // PIL maps output (x, y) to input (x + s·y − offset, y) in pixel-corner coordinates; in
    // pixel-centre coordinates that is x_in = x_out + s·(y + 0.5) − offset.
    let inverse = if horizontal {
        AffineMap([1.0, s, 0.5 * s - offset, 0.0, 1.0, 0.0])
    } else {
        AffineMap([1.0, 0.0, 0.0, s, 1.0, 0.5 * s - offset])
    };
    let m = inverse.inverse().unwrap_or(AffineMap::IDENTITY);
    let (bh, bw) = if horizontal { (h, w + shift) } else { (h + shift, w) };
    let big = warp_affine(img, &m, bh, bw, Interpolation::Linear, BorderMode::Constant, 0.0);
    resize(&big, h, w, Interpolation::Linear)
}

macro_rules! shear_op {
    ($name:ident, $label:literal, $horizontal:expr, $doc:literal) => {
        #[doc = $doc]
        ///
        /// The coefficient is drawn from `shear_coef`, default 0.3, i.e. (-0.3, 0.3); RUA builds
        /// it with 0.5 and scales the range by its level.
        pub struct $name {
            io: OpIo,
            shear_coef: (f64, f64),
        }
        impl_has_io!($name);

        impl $name {
            /// Coefficients in (-0.3, 0.3).
            pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
                $name { io: OpIo::new(inputs, outputs), shear_coef: (-0.3, 0.3) }
            }

            /// Coefficients in `(-coef, coef)`.
            pub fn shear_coef(self, coef: f64) -> Self {
                self.shear_coef_range(-coef.abs(), coef.abs())
            }

            /// Coefficients in `[lo, hi]` (within [-10, 10]).
            pub fn shear_coef_range(mut self, lo: f64, hi: f64) -> Self {
                check_range(&mut self.io, "shear_coef", (lo, hi), -10.0, 10.0);
                self.shear_coef = (lo, hi);
                self
            }
        }

        impl NumpyOp for $name {
            fn name(&self) -> String {
                $label.into()
            }

            fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
                let s = uniform(state.rng(), self.shear_coef);
                each($label, &self.io, data, |v, key| {
                    Ok(map_image!(v, $label, key, |img| Ok::<_, crate::FeError>(shear(&img, s, $horizontal))))
                })
            }

            fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
                check_rua_coef($label, magnitude_coef)?;
                self.shear_coef = rua_range(self.shear_coef, magnitude_coef);
                Ok(())
            }
        }
    };
}

shear_op!(ShearX, "ShearX", true, "Shear images horizontally (FE's PIL-based `ShearX`), keeping their size.");
shear_op!(ShearY, "ShearY", false, "Shear images vertically (FE's PIL-based `ShearY`), keeping their size.");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_shear_is_identity_and_shapes_are_kept() {
        let img = Image { h: 6, w: 5, c: 3, data: (0..90).map(|v| v as u8).collect(), rank2: false };
        assert_eq!(shear(&img, 0.0, true), img);
        let out = shear(&img, 0.4, false);
        assert_eq!((out.h, out.w, out.c), (6, 5, 3));
    }
}
