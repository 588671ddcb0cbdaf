//! `FocalLoss`: the sigmoid focal loss of RetinaNet.

use tch::Tensor;

use super::loss_op::{check_same_shape, from_op, pred_and_true, LossOp};
use crate::backend::{check_probabilities, focal_loss, FocalLossOptions, LossReduction};
use crate::error::Result;
use crate::op::tensor::{NetState, TensorOp};
use crate::op::{impl_has_io, Keys, OpIo};

/// Focal loss between inputs `[y_pred, y_true]` of the same shape, with binary targets: the
/// binary cross entropy of each element weighted by `alpha_t · (1 - p_t)^gamma`, so that easy
/// examples count less (see [`crate::backend::focal_loss`]).
///
/// FE's defaults: `gamma` 2.0, `alpha` 0.25, probabilities (not logits), each sample normalized
/// by its number of positive targets, summed over the non-batch axes (`shape_reduction`) and
/// averaged over the batch (`sample_reduction`). `average_loss(false)` is
/// `sample_reduction(LossReduction::None)`: one value per sample.
///
/// ```
/// use fastestimator::op::tensor::{FocalLoss, NetState, TensorOp};
/// use fastestimator::util::Mode;
/// use tch::Tensor;
/// let mut op = FocalLoss::new(["y_pred", "y"], "focal").gamma(0.0).alpha(None);
/// let pred = Tensor::from_slice(&[0.5f32, 0.5]).reshape([2, 1]);
/// let y = Tensor::from_slice(&[1i64, 0]).reshape([2, 1]);
/// let out = op.forward(vec![pred, y], &mut NetState::new(Mode::Train, 1)).unwrap();
/// assert!((out[0].double_value(&[]) - std::f64::consts::LN_2).abs() < 1e-6);
/// ```
pub struct FocalLoss {
    io: OpIo,
    options: FocalLossOptions,
}
impl_has_io!(FocalLoss);

impl FocalLoss {
    /// Focal loss of `[y_pred, y_true]` written to `outputs`; runs in every mode but infer.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        FocalLoss { io: OpIo::new(inputs, outputs).with_default_mode("!infer"), options: FocalLossOptions::default() }
    }

    /// Exponent of the modulating factor `(1 - p_t)^gamma` (default 2.0; at least 0).
    pub fn gamma(mut self, gamma: f64) -> Self {
        self.options.gamma = gamma;
        self
    }

    /// Weight of positive targets in `[0, 1]`, negatives getting `1 - alpha` (default 0.25);
    /// `None` weighs both 1 (FE's `alpha=-1`).
    pub fn alpha(mut self, alpha: impl Into<Option<f64>>) -> Self {
        self.options.alpha = alpha.into();
        self
    }

    /// Reduction over the batch (default [`LossReduction::Mean`]).
    pub fn sample_reduction(mut self, reduction: LossReduction) -> Self {
        self.options.sample_reduction = reduction;
        self
    }

    /// Reduction over every axis but the batch axis (default [`LossReduction::Sum`]).
    pub fn shape_reduction(mut self, reduction: LossReduction) -> Self {
        self.options.shape_reduction = reduction;
        self
    }

    /// Treat predictions as logits (default false: probabilities).
    pub fn from_logits(mut self, from_logits: bool) -> Self {
        self.options.from_logits = from_logits;
        self
    }

    /// Divide each sample's loss by its number of positive targets, at least 1 (default true).
    pub fn normalize(mut self, normalize: bool) -> Self {
        self.options.normalize = normalize;
        self
    }

    /// Average over the batch (true, default) or return one value per sample (false).
    pub fn average_loss(mut self, average: bool) -> Self {
        self.set_average_loss(average);
        self
    }
}

impl TensorOp for FocalLoss {
    fn name(&self) -> String {
        "FocalLoss".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        let (y_pred, y_true) = pred_and_true("FocalLoss", data)?;
        self.options.validate("FocalLoss")?;
        check_same_shape("FocalLoss", &self.io, &y_pred, &y_true)?;
        if !self.options.from_logits {
            check_probabilities("FocalLoss", &self.io.inputs[0], &y_pred)?;
        }
        let loss = focal_loss(&y_pred, &y_true, &self.options).map_err(|e| from_op("FocalLoss", e))?;
        Ok(vec![loss])
    }
}

impl LossOp for FocalLoss {
    fn average_loss_enabled(&self) -> bool {
        self.options.sample_reduction != LossReduction::None
    }

    fn set_average_loss(&mut self, average: bool) {
        self.options.sample_reduction = if average { LossReduction::Mean } else { LossReduction::None };
    }
}

#[cfg(test)]
mod tests {
    use super::super::loss_op::test_util::*;
    use super::*;
    use crate::error::FeError;
    use crate::op::tensor::CrossEntropy;

    fn data() -> Vec<Tensor> {
        let y = Tensor::from_slice(&[1i64, 0, 0, 1, 1, 0]).reshape([3, 2]);
        let p = Tensor::from_slice(&[0.8f32, 0.3, 0.1, 0.6, 0.95, 0.4]).reshape([3, 2]);
        vec![p, y]
    }

    #[test]
    fn gamma_zero_alpha_half_is_half_bce() {
        let mut focal = FocalLoss::new(["p", "y"], "fl")
            .gamma(0.0)
            .alpha(0.5)
            .normalize(false)
            .shape_reduction(LossReduction::Mean);
        let fl = focal.forward(data(), &mut train_state()).unwrap().remove(0);
        let mut ce = CrossEntropy::new(["p", "y"], "ce").form(super::super::CrossEntropyForm::Binary);
        let bce = ce.forward(data(), &mut train_state()).unwrap().remove(0);
        assert_close(&values(&fl), &[0.5 * bce.double_value(&[])], 1e-6);
    }

    #[test]
    fn defaults_by_hand_and_per_sample() {
        // Each row has one positive, so normalizing divides by 1; the sum runs over 2 columns.
        let term = |pt: f64, a: f64| a * (1.0 - pt).powi(2) * -pt.ln();
        let rows =
            [term(0.8, 0.25) + term(0.7, 0.75), term(0.9, 0.75) + term(0.6, 0.25), term(0.95, 0.25) + term(0.6, 0.75)];
        let mut op = FocalLoss::new(["p", "y"], "fl").average_loss(false);
        assert!(!op.average_loss_enabled());
        let per_sample = op.forward(data(), &mut train_state()).unwrap().remove(0);
        assert_eq!(per_sample.size(), vec![3]);
        assert_close(&values(&per_sample), &rows, 1e-6);
        let mut op = FocalLoss::new(["p", "y"], "fl");
        let mean = op.forward(data(), &mut train_state()).unwrap().remove(0);
        assert_close(&values(&mean), &[rows.iter().sum::<f64>() / 3.0], 1e-6);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let mut op = FocalLoss::new(["p", "y"], "fl");
        let mut d = data();
        d[0] = &d[0] * 2.0;
        let err = op.forward(d, &mut train_state()).unwrap_err();
        assert!(matches!(&err, FeError::InvalidValue { key, .. } if key == "p"), "{err}");
        let mut d = data();
        d[1] = d[1].reshape([2, 3]);
        let err = op.forward(d, &mut train_state()).unwrap_err();
        assert!(err.to_string().contains("[2, 3]") && err.to_string().contains("[3, 2]"));
        // No alpha, gamma 0, no normalization, mean over columns: plain binary cross entropy.
        let mut op = FocalLoss::new(["p", "y"], "fl")
            .alpha(None)
            .gamma(0.0)
            .normalize(false)
            .shape_reduction(LossReduction::Mean);
        let bce = [0.8f64, 0.7, 0.9, 0.6, 0.95, 0.6].iter().map(|q| -q.ln()).sum::<f64>() / 6.0;
        let out = op.forward(data(), &mut train_state()).unwrap();
        assert_close(&values(&out[0]), &[bce], 1e-6);
        let mut op = FocalLoss::new(["p", "y"], "fl").alpha(2.0);
        let err = op.forward(data(), &mut train_state()).unwrap_err();
        assert!(matches!(&err, FeError::InvalidParameter { component, .. } if component == "FocalLoss"));
    }
}
