//! `Brightness`: scale pixel values by a random factor.

use super::{check_range, check_rua_coef, each_image, rua_range, uniform};
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Multiply by `1 + U(limit)` (PIL's `ImageEnhance.Brightness`: factor 0 is black, 1 the
/// original). `limit` defaults to 0.54, i.e. the range (-0.54, 0.54).
pub struct Brightness {
    io: OpIo,
    limit: (f64, f64),
}
impl_has_io!(Brightness);

impl Brightness {
    /// FE's default limit 0.54.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Brightness { io: OpIo::new(inputs, outputs), limit: (-0.54, 0.54) }
    }

    /// Symmetric range `(-limit, limit)` for the factor offset.
    pub fn limit(self, limit: f64) -> Self {
        self.limit_range(-limit.abs(), limit.abs())
    }

    /// An explicit range for the factor offset (within [-1, ∞)).
    pub fn limit_range(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.io, "limit", (lo, hi), -1.0, f64::MAX);
        self.limit = (lo, hi);
        self
    }
}

impl NumpyOp for Brightness {
    fn name(&self) -> String {
        "Brightness".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let factor = (1.0 + uniform(state.rng(), self.limit)) as f32;
        each_image("Brightness", &self.io, data, &[], |fi, _| {
            fi.img.data.iter_mut().for_each(|v| *v *= factor);
            Ok(())
        })
    }

    fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
        check_rua_coef("Brightness", magnitude_coef)?;
        self.limit = rua_range(self.limit, magnitude_coef);
        Ok(())
    }
}
