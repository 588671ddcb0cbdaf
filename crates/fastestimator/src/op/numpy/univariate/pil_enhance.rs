//! The shared shape of FE's PIL `ImageEnhance` ops (Brightness, Color, Contrast, Sharpness).
//!
//! Each draws a factor `f = 1 + U(limit)` per sample (limit default ±0.54, at least −1; RUA
//! scales the range) and blends every image with a reference (black, grey, mean grey, a smoothed
//! copy). Only the blend differs, so [`pil_enhance_op!`] writes the rest.

/// The constructor, `limit` / `limit_range` builders and the [`NumpyOp`] impl of an enhance op
/// with fields `io: OpIo, limit: (f64, f64)`. `$channels` are the accepted channel counts (empty:
/// any); `$blend` is `|image: &mut FloatImage, f: f32| -> Result<()>`.
///
/// [`NumpyOp`]: crate::op::numpy::NumpyOp
macro_rules! pil_enhance_op {
    ($name:ident, $channels:expr, $blend:expr) => {
        $crate::op::impl_has_io!($name);

        impl $name {
            /// FE's default limit 0.54.
            pub fn new(inputs: impl Into<$crate::op::Keys>, outputs: impl Into<$crate::op::Keys>) -> Self {
                $name { io: $crate::op::OpIo::new(inputs, outputs), limit: (-0.54, 0.54) }
            }

            /// Symmetric range `(-limit, limit)` for the factor offset.
            pub fn limit(self, limit: f64) -> Self {
                self.limit_range(-limit.abs(), limit.abs())
            }

            /// An explicit range for the factor offset (within [-1, ∞)).
            pub fn limit_range(mut self, lo: f64, hi: f64) -> Self {
                super::check_range(&mut self.io, "limit", (lo, hi), -1.0, f64::MAX);
                self.limit = (lo, hi);
                self
            }
        }

        impl $crate::op::numpy::NumpyOp for $name {
            fn name(&self) -> String {
                stringify!($name).into()
            }

            fn forward(
                &self,
                data: Vec<$crate::value::Value>,
                state: &mut $crate::op::numpy::OpState,
            ) -> $crate::error::Result<Vec<$crate::value::Value>> {
                let f = (1.0 + super::uniform(state.rng(), self.limit)) as f32;
                let blend = $blend;
                super::each_image(stringify!($name), &self.io, data, $channels, |fi, _| blend(fi, f))
            }

            fn set_rua_level(&mut self, magnitude_coef: f64) -> $crate::error::Result<()> {
                super::check_rua_coef(stringify!($name), magnitude_coef)?;
                self.limit = super::rua_range(self.limit, magnitude_coef);
                Ok(())
            }
        }
    };
}
pub(super) use pil_enhance_op;
