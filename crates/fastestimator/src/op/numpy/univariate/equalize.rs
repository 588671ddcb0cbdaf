//! `Equalize`: histogram equalisation.

use super::each_image;
use crate::error::Result;
use crate::op::numpy::imgproc::{equalize_lut, histogram};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Equalise the histogram (albumentations' `Equalize` with `eq_mode='cv'`: OpenCV's
/// `equalizeHist`). With `by_channels` (the default) each channel is equalised on its own;
/// otherwise the luma of an RGB image is equalised and the chroma kept (YCrCb). Float images are
/// quantised to 256 levels for the histogram. RUA uses it as is (no strength).
pub struct Equalize {
    io: OpIo,
    by_channels: bool,
}
impl_has_io!(Equalize);

impl Equalize {
    /// Per-channel equalisation.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Equalize { io: OpIo::new(inputs, outputs), by_channels: true }
    }

    /// Equalise channels separately (true) or the luma only (false).
    pub fn by_channels(mut self, by_channels: bool) -> Self {
        self.by_channels = by_channels;
        self
    }
}

fn level(v: f32, max: f32) -> u8 {
    (v * 255.0 / max).round().clamp(0.0, 255.0) as u8
}

impl NumpyOp for Equalize {
    fn name(&self) -> String {
        "Equalize".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each_image("Equalize", &self.io, data, &[1, 3], |fi, _| {
            let (c, max) = (fi.img.c, fi.max);
            let scale = max / 255.0;
            if self.by_channels || c == 1 {
                for ch in 0..c {
                    let lut = equalize_lut(&histogram(fi.img.data.iter().skip(ch).step_by(c).map(|&v| level(v, max))));
                    fi.img
                        .data
                        .iter_mut()
                        .skip(ch)
                        .step_by(c)
                        .for_each(|v| *v = f32::from(lut[level(*v, max) as usize]) * scale);
                }
            } else {
                let luma = |p: &[f32]| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
                let lut = equalize_lut(&histogram(fi.img.data.chunks_exact(3).map(|p| level(luma(p), max))));
                for p in fi.img.data.chunks_exact_mut(3) {
                    let y = luma(p);
                    let (cr, cb) = (p[0] - y, p[2] - y);
                    let y2 = f32::from(lut[level(y, max) as usize]) * scale;
                    let (r, b) = (y2 + cr, y2 + cb);
                    let g = (y2 - 0.299 * r - 0.114 * b) / 0.587;
                    p.copy_from_slice(&[r, g, b]);
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

    #[test]
    fn spreads_levels() {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let x = Value::U8(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 2]), vec![10, 10, 20, 30]).unwrap());
        let out = Equalize::new("x", "x").forward(vec![x], &mut st).unwrap();
        assert_eq!(
            out[0],
            Value::U8(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 2]), vec![0, 0, 128, 255]).unwrap())
        );
    }
}
