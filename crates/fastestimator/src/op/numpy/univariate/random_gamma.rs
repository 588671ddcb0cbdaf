//! `RandomGamma`: random gamma correction.

use super::{check_range, each_image, uniform};
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// `max·(x/max)^γ` with `γ = U(gamma_limit)/100` (albumentations' `RandomGamma`; default
/// (80, 120)).
pub struct RandomGamma {
    io: OpIo,
    gamma_limit: (f64, f64),
}
impl_has_io!(RandomGamma);

impl RandomGamma {
    /// Gamma 0.8–1.2.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        RandomGamma { io: OpIo::new(inputs, outputs), gamma_limit: (80.0, 120.0) }
    }

    /// Gamma range in percent (positive).
    pub fn gamma_limit(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.io, "gamma_limit", (lo, hi), f64::MIN_POSITIVE, f64::MAX);
        self.gamma_limit = (lo, hi);
        self
    }
}

impl NumpyOp for RandomGamma {
    fn name(&self) -> String {
        "RandomGamma".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let gamma = (uniform(state.rng(), self.gamma_limit) / 100.0) as f32;
        each_image("RandomGamma", &self.io, data, &[], |fi, _| {
            let max = fi.max;
            fi.img.data.iter_mut().for_each(|v| *v = max * (v.max(0.0) / max).powf(gamma));
            Ok(())
        })
    }
}
