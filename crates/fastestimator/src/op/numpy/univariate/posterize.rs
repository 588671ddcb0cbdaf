//! `Posterize`: keep only the high bits of each pixel.

use super::{check_rua_coef, each_image, randint, rua_range};
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Keep `num_bits` high bits of every 8-bit level (albumentations' `Posterize`; FE's default 4).
/// A range draws the bit count per call. Float images are quantised to 8-bit levels first.
///
/// RUA level `c` (FE's rule): a single `n` becomes the range `(round(8 − c·n), 8)`; a range keeps
/// its middle and scales its half-width by `c`. RUA builds it with `n = 7`.
pub struct Posterize {
    io: OpIo,
    num_bits: (u8, u8),
    single: bool,
}
impl_has_io!(Posterize);

impl Posterize {
    /// Keep 4 bits.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Posterize { io: OpIo::new(inputs, outputs), num_bits: (4, 4), single: true }
    }

    /// Keep `n` bits (0–8).
    pub fn num_bits(mut self, n: u8) -> Self {
        if n > 8 {
            self.io.reject("num_bits", format!("{n} is outside [0, 8]"));
        }
        self.num_bits = (n, n);
        self.single = true;
        self
    }

    /// Draw the bit count from `lo..=hi` (within 0–8).
    pub fn num_bits_range(mut self, lo: u8, hi: u8) -> Self {
        if lo > hi || hi > 8 {
            self.io.reject("num_bits", format!("({lo}, {hi}) must satisfy 0 <= low <= high <= 8"));
        }
        self.num_bits = (lo, hi);
        self.single = false;
        self
    }
}

impl NumpyOp for Posterize {
    fn name(&self) -> String {
        "Posterize".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let bits = randint(state.rng(), i64::from(self.num_bits.0), i64::from(self.num_bits.1)) as u32;
        let mask: u8 = if bits == 0 { 0 } else { !((1u16 << (8 - bits)) - 1) as u8 };
        each_image("Posterize", &self.io, data, &[], |fi, _| {
            let (max, scale) = (fi.max, fi.max / 255.0);
            fi.img.data.iter_mut().for_each(|v| {
                let level = (*v * 255.0 / max).round().clamp(0.0, 255.0) as u8;
                *v = f32::from(level & mask) * scale;
            });
            Ok(())
        })
    }

    fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
        check_rua_coef("Posterize", magnitude_coef)?;
        self.num_bits = if self.single {
            ((8.0 - magnitude_coef * f64::from(self.num_bits.0)).round() as u8, 8)
        } else {
            let (lo, hi) = rua_range((f64::from(self.num_bits.0), f64::from(self.num_bits.1)), magnitude_coef);
            (lo.round() as u8, hi.round() as u8)
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
    fn keeps_high_bits_and_follows_the_rua_rule() {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let out = Posterize::new("x", "x").forward(vec![row(vec![0xFFu8, 0x1F])], &mut st).unwrap();
        assert_eq!(out[0], row(vec![0xF0u8, 0x10]));
        let mut rua = Posterize::new("x", "x").num_bits(7);
        rua.set_rua_level(0.6).unwrap();
        assert_eq!(rua.num_bits, (4, 8));
    }
}
