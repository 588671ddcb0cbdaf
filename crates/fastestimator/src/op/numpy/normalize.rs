//! `Normalize`: albumentations-style per-channel normalisation.

use ndarray::{ArrayD, Axis};

use super::{check_pairs, NumpyOp, OpState};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// `(x - mean * max_pixel_value) / (std * max_pixel_value)` per channel (last axis), as float32.
/// Defaults are ImageNet's mean and std with `max_pixel_value` 255 (FE's defaults). A single mean
/// and std apply to every channel.
pub struct Normalize {
    io: OpIo,
    mean: Vec<f32>,
    std: Vec<f32>,
    max_pixel_value: f32,
}
impl_has_io!(Normalize);

impl Normalize {
    /// ImageNet defaults: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), max 255.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Normalize {
            io: OpIo::new(inputs, outputs),
            mean: vec![0.485, 0.456, 0.406],
            std: vec![0.229, 0.224, 0.225],
            max_pixel_value: 255.0,
        }
    }

    /// Set mean and std (one value, or one per channel).
    pub fn stats(mut self, mean: &[f32], std: &[f32]) -> Self {
        self.mean = mean.to_vec();
        self.std = std.to_vec();
        self
    }

    /// Set the maximum pixel value.
    pub fn max_pixel_value(mut self, v: f32) -> Self {
        self.max_pixel_value = v;
        self
    }

    /// One pass from `u8` (the common case: images straight from the dataset) to normalised
    /// float32, without an intermediate float copy.
    fn normalize_u8(&self, key: &str, x: &ArrayD<u8>) -> Option<Result<ArrayD<f32>>> {
        let data = x.as_slice()?;
        let c = if self.mean.len() == 1 { 1 } else { x.shape().last().copied().unwrap_or(0) };
        if c != self.mean.len() || self.std.contains(&0.0) {
            return None;
        }
        let m = self.max_pixel_value;
        let scale: Vec<f32> = self.std.iter().map(|s| 1.0 / (s * m)).collect();
        let shift: Vec<f32> = self.mean.iter().zip(&scale).map(|(mu, k)| -mu * m * k).collect();
        let mut out = vec![0.0f32; data.len()];
        if c == 1 {
            out.iter_mut().zip(data).for_each(|(o, &v)| *o = f32::from(v) * scale[0] + shift[0]);
        } else {
            for (o, p) in out.chunks_exact_mut(c).zip(data.chunks_exact(c)) {
                for i in 0..c {
                    o[i] = f32::from(p[i]) * scale[i] + shift[i];
                }
            }
        }
        let _ = key;
        Some(Ok(ArrayD::from_shape_vec(x.raw_dim(), out).expect("same size")))
    }

    fn normalize(&self, key: &str, x: ArrayD<f32>) -> Result<ArrayD<f32>> {
        if self.mean.len() != self.std.len() || self.mean.is_empty() {
            return Err(FeError::param("Normalize", "mean/std", "mean and std must have the same non-zero length"));
        }
        if self.std.contains(&0.0) {
            return Err(FeError::param("Normalize", "std", "std must not be zero"));
        }
        let m = self.max_pixel_value;
        if self.mean.len() == 1 {
            let (mu, sd) = (self.mean[0] * m, self.std[0] * m);
            return Ok(x.mapv_into(|v| (v - mu) / sd));
        }
        let channels = x.shape().last().copied().unwrap_or(0);
        if channels != self.mean.len() {
            return Err(FeError::unexpected_shape(
                "Normalize",
                key,
                format!("{} channels on the last axis (one per mean)", self.mean.len()),
                x.shape(),
            ));
        }
        let mut x = x;
        let last = Axis(x.ndim() - 1);
        for (c, mut lane) in x.axis_iter_mut(last).enumerate() {
            let (mu, sd) = (self.mean[c] * m, self.std[c] * m);
            lane.mapv_inplace(|v| (v - mu) / sd);
        }
        Ok(x)
    }
}

impl NumpyOp for Normalize {
    fn name(&self) -> String {
        "Normalize".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        check_pairs("Normalize", &self.io)?;
        data.into_iter()
            .zip(&self.io.inputs)
            .map(|(v, key)| {
                if let Value::U8(a) = &v {
                    if let Some(out) = self.normalize_u8(key, a) {
                        return Ok(Value::F32(out?));
                    }
                }
                let x = v
                    .to_f32()
                    .ok_or_else(|| FeError::unexpected_dtype("Normalize", key, "a numeric array", v.dtype()))?;
                Ok(Value::F32(self.normalize(key, x)?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;
    use ndarray::array;

    #[test]
    fn u8_fast_path_matches_the_general_path() {
        let op = Normalize::new("x", "x");
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let x = ArrayD::from_shape_fn(ndarray::IxDyn(&[4, 5, 3]), |i| (i[0] * 50 + i[1] * 7 + i[2] * 3) as u8);
        let fast = op.forward(vec![Value::U8(x.clone())], &mut st).unwrap().remove(0);
        let slow = op.normalize("x", x.mapv(f32::from)).unwrap();
        let Value::F32(fast) = fast else { panic!() };
        assert!(fast.iter().zip(slow.iter()).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn per_channel_normalisation() {
        let op = Normalize::new("x", "x").stats(&[0.5, 0.0], &[0.5, 1.0]).max_pixel_value(1.0);
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let x = Value::F32(array![[1.0f32, 2.0], [0.0, 4.0]].into_dyn());
        let out = op.forward(vec![x], &mut st).unwrap();
        assert_eq!(out[0], Value::F32(array![[1.0f32, 2.0], [-1.0, 4.0]].into_dyn()));
    }
}
