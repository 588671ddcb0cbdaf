//! Dynamic loss scaling for float16 mixed precision.

use tch::Tensor;

use crate::backend::check_nan;

/// Scales the loss up before backpropagation so small float16 gradients do not flush to zero,
/// then unscales the gradients. A step whose gradients overflow is skipped and the scale halved;
/// after `growth_interval` good steps in a row the scale doubles (torch's `GradScaler` rule).
#[derive(Debug, Clone)]
pub struct LossScaler {
    scale: f64,
    growth_interval: u32,
    good_steps: u32,
    skipped: u64,
}

impl Default for LossScaler {
    fn default() -> Self {
        LossScaler { scale: 65536.0, growth_interval: 2000, good_steps: 0, skipped: 0 }
    }
}

impl LossScaler {
    /// The current scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Steps skipped so far because of overflow.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Unscale gradients computed from `loss * scale()`. `None` means they overflowed: skip the
    /// step (the scale has been halved).
    pub fn unscale(&mut self, grads: Vec<Tensor>) -> Option<Vec<Tensor>> {
        let grads: Vec<Tensor> = grads.into_iter().map(|g| if g.defined() { g / self.scale } else { g }).collect();
        if grads.iter().any(|g| g.defined() && check_nan(g)) {
            self.scale = (self.scale / 2.0).max(1.0);
            self.good_steps = 0;
            self.skipped += 1;
            return None;
        }
        self.good_steps += 1;
        if self.good_steps >= self.growth_interval {
            self.scale *= 2.0;
            self.good_steps = 0;
        }
        Some(grads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_skips_and_halves() {
        let mut s = LossScaler::default();
        let ok = s.unscale(vec![Tensor::from_slice(&[65536.0f32, 131072.0])]).unwrap();
        assert_eq!(Vec::<f32>::try_from(&ok[0]).unwrap(), vec![1.0, 2.0]);
        assert!(s.unscale(vec![Tensor::from_slice(&[f32::INFINITY, 1.0])]).is_none());
        assert_eq!((s.scale(), s.skipped()), (32768.0, 1));
    }
}
