//! `Normalize` for tensors.

use tch::{Kind, Tensor};

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};

/// `(x - mean * max_pixel_value) / (std * max_pixel_value)`, broadcast over the last axis (one
/// value per channel, channels last) or with scalars; multi-io. Defaults are ImageNet's.
pub struct Normalize {
    io: OpIo,
    mean: Vec<f64>,
    std: Vec<f64>,
    max_pixel_value: f64,
}
impl_has_io!(Normalize);

impl Normalize {
    /// ImageNet mean/std, max pixel value 255.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Normalize {
            io: OpIo::new(inputs, outputs),
            mean: vec![0.485, 0.456, 0.406],
            std: vec![0.229, 0.224, 0.225],
            max_pixel_value: 255.0,
        }
    }
    /// Set mean and std (one value, or one per channel).
    pub fn stats(mut self, mean: &[f64], std: &[f64]) -> Self {
        self.mean = mean.to_vec();
        self.std = std.to_vec();
        self
    }
    /// Set the maximum pixel value.
    pub fn max_pixel_value(mut self, v: f64) -> Self {
        self.max_pixel_value = v;
        self
    }
}

impl TensorOp for Normalize {
    fn name(&self) -> String {
        "Normalize".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        if self.mean.len() != self.std.len() || self.mean.is_empty() || self.std.contains(&0.0) {
            return Err(FeError::param("Normalize", "mean/std", "need equal, non-empty lengths and non-zero std"));
        }
        data.iter()
            .zip(&self.io.inputs)
            .map(|(t, k)| {
                let channels = t.size().last().copied().unwrap_or(0);
                if self.mean.len() > 1 && channels != self.mean.len() as i64 {
                    return Err(FeError::UnexpectedShape {
                        op: "Normalize".into(),
                        key: k.clone(),
                        expected: format!("{} channels on the last axis (one per mean)", self.mean.len()),
                        got: t.size(),
                    });
                }
                let opts = (Kind::Float, t.device());
                let mean = Tensor::from_slice(&self.mean).to_kind(Kind::Float).to_device(opts.1) * self.max_pixel_value;
                let std = Tensor::from_slice(&self.std).to_kind(Kind::Float).to_device(opts.1) * self.max_pixel_value;
                Ok((t.to_kind(Kind::Float) - mean) / std)
            })
            .collect()
    }
}
