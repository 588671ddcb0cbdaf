//! `ColorJitter`: torchvision-style random brightness, contrast, saturation and hue.

use rand::seq::SliceRandom;

use super::{each_image, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::{gray, hsv_to_rgb, rgb_to_hsv};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// torchvision's `ColorJitter` (through albumentations): brightness, contrast and saturation
/// factors from `[1 − v, 1 + v]` and a hue shift from `[−hue, hue]` turns (hue ≤ 0.5), applied in
/// random order. Defaults 0.2 each. Single-channel images skip saturation and hue.
pub struct ColorJitter {
    io: OpIo,
    brightness: f64,
    contrast: f64,
    saturation: f64,
    hue: f64,
}
impl_has_io!(ColorJitter);

impl ColorJitter {
    /// All strengths 0.2.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ColorJitter { io: OpIo::new(inputs, outputs), brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.2 }
    }

    /// Brightness strength (≥ 0).
    pub fn brightness(mut self, v: f64) -> Self {
        super::check_range(&mut self.io, "brightness", (v, v), 0.0, f64::MAX);
        self.brightness = v;
        self
    }

    /// Contrast strength (≥ 0).
    pub fn contrast(mut self, v: f64) -> Self {
        super::check_range(&mut self.io, "contrast", (v, v), 0.0, f64::MAX);
        self.contrast = v;
        self
    }

    /// Saturation strength (≥ 0).
    pub fn saturation(mut self, v: f64) -> Self {
        super::check_range(&mut self.io, "saturation", (v, v), 0.0, f64::MAX);
        self.saturation = v;
        self
    }

    /// Hue strength in turns (0–0.5).
    pub fn hue(mut self, v: f64) -> Self {
        super::check_range(&mut self.io, "hue", (v, v), 0.0, 0.5);
        self.hue = v;
        self
    }
}

impl NumpyOp for ColorJitter {
    fn name(&self) -> String {
        "ColorJitter".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let factor = |rng: &mut _, v: f64| uniform(rng, ((1.0 - v).max(0.0), 1.0 + v)) as f32;
        let b = factor(rng, self.brightness);
        let c = factor(rng, self.contrast);
        let s = factor(rng, self.saturation);
        let h = (uniform(rng, (-self.hue, self.hue)) * 360.0) as f32;
        let mut order = [0usize, 1, 2, 3];
        order.shuffle(rng);
        each_image("ColorJitter", &self.io, data, &[1, 3], |fi, _| {
            let (max, rgb) = (fi.max, fi.img.c == 3);
            for step in order {
                let data = &mut fi.img.data;
                match step {
                    0 => data.iter_mut().for_each(|v| *v = (*v * b).clamp(0.0, max)),
                    1 => {
                        let mean = if rgb {
                            data.chunks_exact(3).map(|p| gray(p[0], p[1], p[2])).sum::<f32>() / (data.len() / 3) as f32
                        } else {
                            data.iter().sum::<f32>() / data.len() as f32
                        };
                        data.iter_mut().for_each(|v| *v = (mean + c * (*v - mean)).clamp(0.0, max));
                    }
                    2 if rgb => data.chunks_exact_mut(3).for_each(|p| {
                        let g = gray(p[0], p[1], p[2]);
                        p.iter_mut().for_each(|v| *v = (g + s * (*v - g)).clamp(0.0, max));
                    }),
                    3 if rgb => data.chunks_exact_mut(3).for_each(|p| {
                        let (hh, ss, vv) = rgb_to_hsv(p[0], p[1], p[2]);
                        let (r, g, bb) = hsv_to_rgb(hh + h, ss, vv);
                        p.copy_from_slice(&[r, g, bb]);
                    }),
                    _ => {}
                }
            }
            Ok(())
        })
    }
}
