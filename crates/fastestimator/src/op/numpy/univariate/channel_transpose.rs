//! `ChannelTranspose`: permute axes, HWC → CHW by default.

use ndarray::IxDyn;

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::{map_value, Value};

/// Permute the axes of each input (default `(2, 0, 1)`: HWC → CHW), multi-io.
pub struct ChannelTranspose {
    io: OpIo,
    axes: Vec<usize>,
}
impl_has_io!(ChannelTranspose);

impl ChannelTranspose {
    /// HWC → CHW.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ChannelTranspose { io: OpIo::new(inputs, outputs), axes: vec![2, 0, 1] }
    }

    /// Another permutation (each axis index exactly once).
    pub fn axes(mut self, axes: &[usize]) -> Self {
        let mut sorted = axes.to_vec();
        sorted.sort_unstable();
        if sorted != (0..axes.len()).collect::<Vec<_>>() {
            self.io.reject("axes", format!("{axes:?} is not a permutation of 0..{}", axes.len()));
        }
        self.axes = axes.to_vec();
        self
    }
}

/// HWC → CHW with a plain gather loop (much faster than a generic strided copy).
fn hwc_to_chw<T: Clone>(a: ndarray::ArrayD<T>) -> ndarray::ArrayD<T> {
    let (h, w, c) = (a.shape()[0], a.shape()[1], a.shape()[2]);
    let Some(data) = a.as_slice() else {
        return a.permuted_axes(IxDyn(&[2, 0, 1])).as_standard_layout().into_owned();
    };
    let mut out = Vec::with_capacity(data.len());
    for ch in 0..c {
        out.extend(data.iter().skip(ch).step_by(c.max(1)).cloned());
    }
    ndarray::ArrayD::from_shape_vec(IxDyn(&[c, h, w]), out).expect("same size")
}

impl NumpyOp for ChannelTranspose {
    fn name(&self) -> String {
        "ChannelTranspose".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("ChannelTranspose", &self.io, data, |v, key| {
            if v.ndim() != self.axes.len() {
                return Err(FeError::unexpected_shape(
                    "ChannelTranspose",
                    key,
                    format!("rank {} for the axes {:?}", self.axes.len(), self.axes),
                    v.shape(),
                ));
            }
            if self.axes == [2, 0, 1] {
                return Ok(map_value!(v, a => hwc_to_chw(a)));
            }
            Ok(map_value!(v, a => a.permuted_axes(IxDyn(&self.axes)).as_standard_layout().into_owned()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;
    use ndarray::ArrayD;

    #[test]
    fn hwc_to_chw() {
        let x = ArrayD::from_shape_vec(IxDyn(&[2, 3, 4]), (0..24u8).collect()).unwrap();
        let op = ChannelTranspose::new("x", "x");
        let out = op.forward(vec![Value::U8(x.clone())], &mut OpState::new(Mode::Train, 1, "", 0, 0, 0)).unwrap();
        let Value::U8(y) = &out[0] else { panic!() };
        assert_eq!(y.shape(), &[4, 2, 3]);
        assert_eq!(y[[3, 1, 2]], x[[1, 2, 3]]);
        assert!(op.forward(vec![Value::from(vec![1u8])], &mut OpState::new(Mode::Train, 1, "", 0, 0, 0)).is_err());
    }
}
