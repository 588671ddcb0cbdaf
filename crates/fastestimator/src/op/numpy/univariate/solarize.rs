//! `Solarize`: invert pixels above a threshold.

use super::{check_range, check_rua_coef, each_image, uniform};
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Invert every pixel at or above `threshold` (albumentations' `Solarize`; FE's default 128). The
/// threshold is on the 0–255 scale for every dtype (float images are compared at `t / 255`); a
/// range draws it per call.
///
/// RUA level `c` (FE's RUA rule): a single threshold `t` becomes the range `[256 − c·t, 256]`;
/// RUA builds it with `t = 256`, so stronger levels invert more pixels.
pub struct Solarize {
    io: OpIo,
    threshold: (f64, f64),
    single: bool,
}
impl_has_io!(Solarize);

impl Solarize {
    /// Threshold 128.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Solarize { io: OpIo::new(inputs, outputs), threshold: (128.0, 128.0), single: true }
    }

    /// A fixed threshold (0–256).
    pub fn threshold(mut self, t: f64) -> Self {
        check_range(&mut self.io, "threshold", (t, t), 0.0, 256.0);
        self.threshold = (t, t);
        self.single = true;
        self
    }

    /// Draw the threshold from `[lo, hi]` (within 0–256).
    pub fn threshold_range(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.io, "threshold", (lo, hi), 0.0, 256.0);
        self.threshold = (lo, hi);
        self.single = false;
        self
    }
}

impl NumpyOp for Solarize {
    fn name(&self) -> String {
        "Solarize".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let t = uniform(state.rng(), self.threshold).round() as f32;
        each_image("Solarize", &self.io, data, &[], |fi, _| {
            let (max, t) = (fi.max, t * fi.max / 255.0);
            fi.img.data.iter_mut().for_each(|v| {
                if *v >= t {
                    *v = max - *v;
                }
            });
            Ok(())
        })
    }

    fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
        check_rua_coef("Solarize", magnitude_coef)?;
        self.threshold = if self.single {
            (256.0 - magnitude_coef * self.threshold.0, 256.0)
        } else {
            let (lo, hi) = self.threshold;
            (lo, lo + magnitude_coef * (hi - lo))
        };
        self.single = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;

    fn row(v: Vec<u8>) -> Value {
        Value::U8(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[1, v.len()]), v).unwrap())
    }

    #[test]
    fn inverts_above_the_threshold() {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let out = Solarize::new("x", "x").forward(vec![row(vec![10u8, 128, 250])], &mut st).unwrap();
        assert_eq!(out[0], row(vec![10u8, 127, 5]));
        let none = Solarize::new("x", "x").threshold(256.0);
        assert_eq!(none.forward(vec![row(vec![255u8])], &mut st).unwrap()[0], row(vec![255u8]));
    }
}
