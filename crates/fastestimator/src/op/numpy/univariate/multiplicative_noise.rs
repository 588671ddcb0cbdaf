//! `MultiplicativeNoise`: multiply by random factors.

use super::{check_range, each_image, uniform};
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Multiply by factors from `U(multiplier)` (albumentations' `MultiplicativeNoise`; default
/// (0.9, 1.1)): one factor for the image, one per channel (`per_channel`), one per pixel
/// (`elementwise`), or one per pixel and channel (both).
pub struct MultiplicativeNoise {
    io: OpIo,
    multiplier: (f64, f64),
    per_channel: bool,
    elementwise: bool,
}
impl_has_io!(MultiplicativeNoise);

impl MultiplicativeNoise {
    /// Factors 0.9–1.1, one per image.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        MultiplicativeNoise {
            io: OpIo::new(inputs, outputs),
            multiplier: (0.9, 1.1),
            per_channel: false,
            elementwise: false,
        }
    }

    /// The factor range (non-negative).
    pub fn multiplier(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.io, "multiplier", (lo, hi), 0.0, f64::MAX);
        self.multiplier = (lo, hi);
        self
    }

    /// A factor per channel.
    pub fn per_channel(mut self, on: bool) -> Self {
        self.per_channel = on;
        self
    }

    /// A factor per pixel.
    pub fn elementwise(mut self, on: bool) -> Self {
        self.elementwise = on;
        self
    }
}

impl NumpyOp for MultiplicativeNoise {
    fn name(&self) -> String {
        "MultiplicativeNoise".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        each_image("MultiplicativeNoise", &self.io, data, &[], |fi, _| {
            let c = fi.img.c;
            let pixels = fi.img.h * fi.img.w;
            let n = match (self.elementwise, self.per_channel) {
                (false, false) => 1,
                (false, true) => c,
                (true, false) => pixels,
                (true, true) => pixels * c,
            };
            let factors: Vec<f32> = (0..n).map(|_| uniform(rng, self.multiplier) as f32).collect();
            for (i, v) in fi.img.data.iter_mut().enumerate() {
                let idx = match (self.elementwise, self.per_channel) {
                    (false, false) => 0,
                    (false, true) => i % c,
                    (true, false) => i / c,
                    (true, true) => i,
                };
                *v *= factors[idx];
            }
            Ok(())
        })
    }
}
