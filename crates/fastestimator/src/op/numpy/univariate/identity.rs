//! `Identity`: pass values through (one of RUA's choices).

use super::each;
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Return the inputs unchanged (FE's `Identity`, used by RUA as the "no augmentation" choice).
pub struct Identity {
    io: OpIo,
}
impl_has_io!(Identity);

impl Identity {
    /// Pass `inputs` to `outputs`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Identity { io: OpIo::new(inputs, outputs) }
    }
}

impl NumpyOp for Identity {
    fn name(&self) -> String {
        "Identity".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("Identity", &self.io, data, |v, _| Ok(v))
    }

    fn set_rua_level(&mut self, _magnitude_coef: f64) -> Result<()> {
        Ok(())
    }
}
