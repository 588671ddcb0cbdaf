//! `AutoContrast`: stretch each channel to the full range.

use super::each_image;
use crate::error::Result;
use crate::op::numpy::imgproc::{autocontrast_lut, histogram};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Stretch each channel so its darkest pixel becomes 0 and its brightest full scale (PIL's
/// `ImageOps.autocontrast` without cutoff). A constant channel is left unchanged.
pub struct AutoContrast {
    io: OpIo,
}
impl_has_io!(AutoContrast);

impl AutoContrast {
    /// Auto-contrast `inputs` into `outputs`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        AutoContrast { io: OpIo::new(inputs, outputs) }
    }
}

impl NumpyOp for AutoContrast {
    fn name(&self) -> String {
        "AutoContrast".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each_image("AutoContrast", &self.io, data, &[], |fi, _| {
            let c = fi.img.c;
            for ch in 0..c {
                if fi.is_u8() {
                    let lut = autocontrast_lut(&histogram(fi.img.data.iter().skip(ch).step_by(c).map(|&v| v as u8)));
                    fi.img.data.iter_mut().skip(ch).step_by(c).for_each(|v| *v = f32::from(lut[*v as usize]));
                } else {
                    let lane = fi.img.data.iter().skip(ch).step_by(c);
                    let (lo, hi) = lane.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                    if hi > lo {
                        let scale = fi.max / (hi - lo);
                        fi.img.data.iter_mut().skip(ch).step_by(c).for_each(|v| *v = (*v - lo) * scale);
                    }
                }
            }
            Ok(())
        })
    }

    fn set_rua_level(&mut self, _magnitude_coef: f64) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn stretches_u8_and_float() {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let x = Value::U8(ArrayD::from_shape_vec(IxDyn(&[1, 3]), vec![50, 100, 150]).unwrap());
        let out = AutoContrast::new("x", "x").forward(vec![x], &mut st).unwrap();
        assert_eq!(out[0], Value::U8(ArrayD::from_shape_vec(IxDyn(&[1, 3]), vec![0, 127, 255]).unwrap()));
        let f = Value::F32(ArrayD::from_shape_vec(IxDyn(&[1, 2]), vec![0.25f32, 0.5]).unwrap());
        let out = AutoContrast::new("x", "x").forward(vec![f], &mut st).unwrap();
        assert_eq!(out[0], Value::F32(ArrayD::from_shape_vec(IxDyn(&[1, 2]), vec![0.0f32, 1.0]).unwrap()));
    }
}
