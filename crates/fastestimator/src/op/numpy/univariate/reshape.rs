//! `Reshape`: give values a new shape.

use ndarray::IxDyn;

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::{map_value, Value};

/// Reshape each input to `shape` (row-major; one entry may be -1 to infer it), multi-io.
pub struct Reshape {
    io: OpIo,
    shape: Vec<isize>,
}
impl_has_io!(Reshape);

impl Reshape {
    /// Reshape to `shape`; at most one -1, no other negative or zero-length axes.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, shape: &[isize]) -> Result<Self> {
        if shape.iter().filter(|&&d| d == -1).count() > 1 || shape.iter().any(|&d| d < -1) {
            return Err(FeError::param(
                "Reshape",
                "shape",
                format!("{shape:?}: at most one -1 and no other negative axis"),
            ));
        }
        Ok(Reshape { io: OpIo::new(inputs, outputs), shape: shape.to_vec() })
    }

    fn target(&self, key: &str, got: &[usize]) -> Result<Vec<usize>> {
        let len: usize = got.iter().product();
        let known: usize = self.shape.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product();
        let fail = || FeError::unexpected_shape("Reshape", key, format!("reshapable to {:?}", self.shape), got);
        let shape: Vec<usize> = self
            .shape
            .iter()
            .map(|&d| if d == -1 { len.checked_div(known).unwrap_or(0) } else { d as usize })
            .collect();
        if shape.iter().product::<usize>() != len {
            return Err(fail());
        }
        Ok(shape)
    }
}

impl NumpyOp for Reshape {
    fn name(&self) -> String {
        "Reshape".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("Reshape", &self.io, data, |v, key| {
            let shape = self.target(key, v.shape())?;
            Ok(map_value!(v, a => {
                let a = a.as_standard_layout().into_owned();
                a.into_shape_with_order(IxDyn(&shape)).expect("element count checked")
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;

    #[test]
    fn infers_one_axis() {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let op = Reshape::new("x", "x", &[2, -1]).unwrap();
        let out = op.forward(vec![Value::from((0..6).collect::<Vec<i64>>())], &mut st).unwrap();
        assert_eq!(out[0].shape(), &[2, 3]);
        assert!(op.forward(vec![Value::from(vec![1i64, 2, 3])], &mut st).is_err());
        assert!(Reshape::new("x", "x", &[-1, -1]).is_err());
    }
}
