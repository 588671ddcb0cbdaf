//! `DiceLoss`: one minus the dice score, for segmentation.

use std::collections::BTreeMap;

use tch::Tensor;

use super::loss_op::{check_same_shape, from_op, pred_and_true, LossOp};
use crate::backend::{dice_score, DiceScoreOptions};
use crate::error::{FeError, Result};
use crate::op::tensor::{NetState, TensorOp};
use crate::op::{impl_has_io, Keys, OpIo};

/// Dice loss `1 - dice` between inputs `[y_pred, y_true]` of the same shape
/// `[batch, channels, spatial...]` (channels first, as in FE's torch path). The dice score of
/// each sample and channel is `2 Σ(p·t) / (Σp + Σt + epsilon)` over the spatial axes
/// (`Σp² + Σt²` in the denominator with `soft_dice`), multiplied by the channel weights.
///
/// By default the scores are averaged over the channels (`channel_average`) and over the batch
/// (`average_loss`), giving a scalar; `average_loss(false)` gives `[batch]`, and without
/// `channel_average` one value per channel remains. `epsilon` defaults to `1e-6`.
///
/// ```
/// use fastestimator::op::tensor::{DiceLoss, NetState, TensorOp};
/// use fastestimator::util::Mode;
/// use tch::Tensor;
/// let mut op = DiceLoss::new(["y_pred", "y"], "dice");
/// let y = Tensor::from_slice(&[0i64, 1, 1, 1]).reshape([1, 1, 2, 2]);
/// let pred = Tensor::from_slice(&[0.0f32, 1.0, 1.0, 0.0]).reshape([1, 1, 2, 2]);
/// let out = op.forward(vec![pred, y], &mut NetState::new(Mode::Train, 1)).unwrap();
/// assert!((out[0].double_value(&[]) - 0.2).abs() < 1e-6); // 1 - 2·2 / (2 + 3)
/// ```
pub struct DiceLoss {
    io: OpIo,
    soft_dice: bool,
    average_loss: bool,
    channel_average: bool,
    channel_weights: BTreeMap<usize, f64>,
    epsilon: f64,
}
impl_has_io!(DiceLoss);

impl DiceLoss {
    /// Dice loss of `[y_pred, y_true]` written to `outputs`; runs in every mode but infer.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        DiceLoss {
            io: OpIo::new(inputs, outputs).with_default_mode("!infer"),
            soft_dice: false,
            average_loss: true,
            channel_average: true,
            channel_weights: BTreeMap::new(),
            epsilon: 1e-6,
        }
    }

    /// Square the elements in the denominator (default false).
    pub fn soft_dice(mut self, soft: bool) -> Self {
        self.soft_dice = soft;
        self
    }

    /// Average over the batch (true, default) or keep one value per sample (false).
    pub fn average_loss(mut self, average: bool) -> Self {
        self.average_loss = average;
        self
    }

    /// Average over the channels (true, default) or keep one value per channel (false).
    pub fn channel_average(mut self, average: bool) -> Self {
        self.channel_average = average;
        self
    }

    /// Weights for some channels, by channel index; other channels weigh 1 (FE's
    /// `channel_weights` dictionary). An index beyond the channels of the input is an error.
    pub fn channel_weights(mut self, weights: impl IntoIterator<Item = (usize, f64)>) -> Self {
        self.channel_weights = weights.into_iter().collect();
        self
    }

    /// Added to the denominator against division by zero (default `1e-6`).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    fn weights(&self, channels: i64) -> Result<Option<Vec<f64>>> {
        if self.channel_weights.is_empty() {
            return Ok(None);
        }
        let channels = usize::try_from(channels).unwrap_or(0);
        let mut weights = vec![1.0; channels];
        for (&channel, &weight) in &self.channel_weights {
            let slot = weights.get_mut(channel).ok_or_else(|| {
                FeError::param(
                    "DiceLoss",
                    "channel_weights",
                    format!("channel {channel} is weighted, but input {:?} has {channels} channels", self.io.inputs[0]),
                )
            })?;
            *slot = weight;
        }
        Ok(Some(weights))
    }
}

impl TensorOp for DiceLoss {
    fn name(&self) -> String {
        "DiceLoss".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        let (y_pred, y_true) = pred_and_true("DiceLoss", data)?;
        check_same_shape("DiceLoss", &self.io, &y_pred, &y_true)?;
        let shape = y_pred.size();
        if shape.len() < 3 {
            return Err(FeError::UnexpectedShape {
                op: "DiceLoss".into(),
                key: self.io.inputs[0].clone(),
                expected: "[batch, channels, spatial...] (rank 3 or more)".into(),
                got: shape,
            });
        }
        let options = DiceScoreOptions {
            soft_dice: self.soft_dice,
            sample_average: self.average_loss,
            channel_average: self.channel_average,
            channel_weights: self.weights(shape[1])?,
            epsilon: self.epsilon,
            ..DiceScoreOptions::new()
        };
        let dice = dice_score(&y_pred, &y_true, &options).map_err(|e| from_op("DiceLoss", e))?;
        Ok(vec![dice.neg() + 1.0])
    }
}

impl LossOp for DiceLoss {
    fn average_loss_enabled(&self) -> bool {
        self.average_loss
    }

    fn set_average_loss(&mut self, average: bool) {
        self.average_loss = average;
    }
}

#[cfg(test)]
mod tests {
    use super::super::loss_op::test_util::*;
    use super::*;

    /// Two samples, two channels, 2×2 masks.
    fn masks() -> Tensor {
        Tensor::from_slice(&[
            1i64, 0, 0, 0, /* ch1 */ 0, 1, 1, 1, //
            1, 1, 0, 0, /* ch1 */ 0, 0, 1, 1,
        ])
        .reshape([2, 2, 2, 2])
    }

    #[test]
    fn perfect_prediction_gives_zero() {
        let y = masks();
        let mut op = DiceLoss::new(["p", "y"], "dice");
        let out = op.forward(vec![y.to_kind(tch::Kind::Float), y], &mut train_state()).unwrap();
        assert_eq!(out[0].dim(), 0);
        assert!(out[0].double_value(&[]).abs() < 1e-5);
    }

    #[test]
    fn hand_computed_hard_and_soft() {
        let y = masks();
        // Sample 0: ch0 predicts 0.5 everywhere, ch1 is perfect. Sample 1: ch0 perfect, ch1 empty.
        let p = Tensor::from_slice(&[
            0.5f32, 0.5, 0.5, 0.5, 0.0, 1.0, 1.0, 1.0, //
            1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        ])
        .reshape([2, 2, 2, 2]);
        let eps = 1e-6;
        // Hard dice: s0c0 = 2·0.5/(2+1), s0c1 = 1, s1c0 = 1, s1c1 = 0.
        let hard = [1.0 / (3.0 + eps), 6.0 / (6.0 + eps), 4.0 / (4.0 + eps), 0.0];
        let mut op = DiceLoss::new(["p", "y"], "dice").average_loss(false).channel_average(false);
        let out = op.forward(vec![p.shallow_clone(), y.shallow_clone()], &mut train_state()).unwrap();
        assert_eq!(out[0].size(), vec![2, 2]);
        let want: Vec<f64> = hard.iter().map(|d| 1.0 - d).collect();
        assert_close(&values(&out[0]), &want, 1e-6);

        // Per sample, channel-averaged.
        let mut op = DiceLoss::new(["p", "y"], "dice").average_loss(false);
        let out = op.forward(vec![p.shallow_clone(), y.shallow_clone()], &mut train_state()).unwrap();
        assert_eq!(out[0].size(), vec![2]);
        let per_sample = [1.0 - (hard[0] + hard[1]) / 2.0, 1.0 - (hard[2] + hard[3]) / 2.0];
        assert_close(&values(&out[0]), &per_sample, 1e-6);

        // Soft dice: s0c0 = 2·0.5/(4·0.25 + 1) = 0.5.
        let mut op = DiceLoss::new(["p", "y"], "dice").soft_dice(true).average_loss(false).channel_average(false);
        let out = op.forward(vec![p, y], &mut train_state()).unwrap();
        assert!((values(&out[0])[0] - (1.0 - 1.0 / (2.0 + eps))).abs() < 1e-6);
    }

    #[test]
    fn channel_weights_and_errors() {
        let y = masks();
        let p = y.to_kind(tch::Kind::Float) * 0.5;
        let mut op =
            DiceLoss::new(["p", "y"], "dice").average_loss(false).channel_average(false).channel_weights([(1, 2.0)]);
        let weighted = op.forward(vec![p.shallow_clone(), y.shallow_clone()], &mut train_state()).unwrap();
        let mut op = DiceLoss::new(["p", "y"], "dice").average_loss(false).channel_average(false);
        let plain = op.forward(vec![p.shallow_clone(), y.shallow_clone()], &mut train_state()).unwrap();
        let (w, d) = (values(&weighted[0]), values(&plain[0]));
        // Loss = 1 - weight · dice; channel 0 keeps weight 1.
        for i in 0..4 {
            let weight = if i % 2 == 1 { 2.0 } else { 1.0 };
            assert!((w[i] - (1.0 - weight * (1.0 - d[i]))).abs() < 1e-6, "{w:?} {d:?}");
        }
        let mut op = DiceLoss::new(["p", "y"], "dice").channel_weights([(2, 2.0)]);
        let err = op.forward(vec![p.shallow_clone(), y.shallow_clone()], &mut train_state()).unwrap_err();
        assert!(matches!(err, FeError::InvalidParameter { .. }), "{err}");
        let mut op = DiceLoss::new(["p", "y"], "dice");
        let err = op.forward(vec![p.reshape([2, 8]), y.reshape([2, 8])], &mut train_state()).unwrap_err();
        assert!(matches!(err, FeError::UnexpectedShape { ref got, .. } if got == &[2, 8]), "{err}");
        let err = op.forward(vec![p, y.reshape([2, 2, 4])], &mut train_state()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"p\"") && msg.contains("\"y\"") && msg.contains("[2, 2, 4]"));
    }
}
