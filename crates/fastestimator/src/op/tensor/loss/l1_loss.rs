//! `L1Loss` (FE's `L1_Loss`): L1, smooth L1 or Huber loss.

use tch::Tensor;

use super::loss_op::{average_if, check_same_shape, from_op, pred_and_true, LossOp};
use crate::backend::{huber, l1_loss, smooth_l1_loss};
use crate::error::Result;
use crate::op::tensor::{NetState, TensorOp};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::util::option_strings;

/// Which loss [`L1Loss`] computes (FE's `loss_type`).
///
/// Parses from FE's strings `"L1"`, `"Smooth"`, `"Huber"` (and prints as them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum L1LossType {
    /// Mean absolute error (FE's `'L1'`, the default).
    #[default]
    L1,
    /// Smooth L1: `0.5 d² / beta` below `beta`, `|d| - 0.5 beta` above (FE's `'Smooth'`).
    Smooth,
    /// Huber: `0.5 d²` below `beta`, `beta (|d| - 0.5 beta)` above (FE's `'Huber'`).
    Huber,
}

option_strings!(L1LossType, "L1_Loss", "loss_type", {
    L1LossType::L1 => "L1",
    L1LossType::Smooth => "Smooth",
    L1LossType::Huber => "Huber",
});

/// L1-type loss between inputs `[y_pred, y_true]` of the same shape (FE's `L1_Loss`, which is
/// also available under that name): the elementwise loss chosen by [`L1LossType`], averaged over
/// each sample, then over the batch unless `average_loss(false)`. `beta` (default 1.0, must be
/// positive) is the switch point of the smooth and Huber forms.
///
/// ```
/// use fastestimator::op::tensor::{L1Loss, L1LossType, NetState, TensorOp};
/// use fastestimator::util::Mode;
/// use tch::Tensor;
/// let mut op = L1Loss::new(["y_pred", "y"], "l1").loss_type(L1LossType::Huber).beta(0.5);
/// let pred = Tensor::from_slice(&[0.2f32, 2.0]).reshape([2, 1]);
/// let y = Tensor::from_slice(&[0.0f32, 0.0]).reshape([2, 1]);
/// let out = op.forward(vec![pred, y], &mut NetState::new(Mode::Train, 1)).unwrap();
/// // (0.5 · 0.2² + 0.5 · (2 - 0.25)) / 2
/// assert!((out[0].double_value(&[]) - 0.4475).abs() < 1e-6);
/// ```
pub struct L1Loss {
    io: OpIo,
    average_loss: bool,
    loss_type: L1LossType,
    beta: f64,
}
impl_has_io!(L1Loss);

/// FE's name for [`L1Loss`].
#[allow(non_camel_case_types)]
pub type L1_Loss = L1Loss;

impl L1Loss {
    /// L1 loss of `[y_pred, y_true]` written to `outputs`; runs in every mode but infer.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        L1Loss {
            io: OpIo::new(inputs, outputs).with_default_mode("!infer"),
            average_loss: true,
            loss_type: L1LossType::L1,
            beta: 1.0,
        }
    }

    /// Choose L1, smooth L1 or Huber (default L1).
    pub fn loss_type(mut self, loss_type: L1LossType) -> Self {
        self.loss_type = loss_type;
        self
    }

    /// The threshold between the squared and the linear part (default 1.0; must be positive).
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }

    /// Return the mean (true, default) or per-sample losses (false).
    pub fn average_loss(mut self, average: bool) -> Self {
        self.average_loss = average;
        self
    }
}

impl TensorOp for L1Loss {
    fn name(&self) -> String {
        "L1_Loss".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        let (y_pred, y_true) = pred_and_true("L1_Loss", data)?;
        check_same_shape("L1_Loss", &self.io, &y_pred, &y_true)?;
        let loss = match self.loss_type {
            L1LossType::L1 => l1_loss(&y_pred, &y_true),
            L1LossType::Smooth => smooth_l1_loss(&y_pred, &y_true, self.beta),
            L1LossType::Huber => huber(&y_pred, &y_true, self.beta),
        }
        .map_err(|e| from_op("L1_Loss", e))?;
        Ok(vec![average_if(loss, self.average_loss)])
    }
}

impl LossOp for L1Loss {
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
    use crate::error::FeError;

    fn run(op: &mut L1Loss) -> Tensor {
        op.forward(vec![case24_pred(), onehot_true()], &mut train_state()).unwrap().remove(0)
    }

    #[test]
    fn matches_fe_case_24() {
        let l1 = run(&mut L1Loss::new(["y_pred", "y"], "l1"));
        assert_close(&values(&l1), &[0.081250004], 1e-7);
        let smooth = run(&mut L1Loss::new(["y_pred", "y"], "l1").loss_type(L1LossType::Smooth).beta(0.65));
        assert_close(&values(&smooth), &[0.011057693], 1e-7);
        let huber = run(&mut L1_Loss::new(["y_pred", "y"], "l1").loss_type(L1LossType::Huber).beta(0.65));
        assert_close(&values(&huber), &[0.0071875006], 1e-7);
    }

    #[test]
    fn per_sample_values() {
        let l1 = run(&mut L1Loss::new(["y_pred", "y"], "l1").average_loss(false));
        assert_eq!(l1.size(), vec![4]);
        assert_close(&values(&l1), &[0.075, 0.15, 0.1, 0.0], 1e-7);
        let huber =
            run(&mut L1Loss::new(["y_pred", "y"], "l1").loss_type(L1LossType::Huber).beta(0.65).average_loss(false));
        // Huber is beta times smooth L1 (all |d| < beta here): 0.5 d² averaged per row.
        assert_close(&values(&huber), &[0.003125, 0.0175, 0.008125, 0.0], 1e-7);
    }

    #[test]
    fn bad_beta_and_shapes_are_errors() {
        let mut op = L1Loss::new(["y_pred", "y"], "l1").loss_type(L1LossType::Smooth).beta(-1.0);
        let err = op.forward(vec![case24_pred(), onehot_true()], &mut train_state()).unwrap_err();
        assert!(
            matches!(&err, FeError::InvalidParameter { component, param, .. } if component == "L1_Loss" && param == "beta"),
            "{err}"
        );
        let mut op = L1Loss::new(["pred", "label"], "l1");
        let err =
            op.forward(vec![case24_pred(), Tensor::zeros([4], tch::kind::FLOAT_CPU)], &mut train_state()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"pred\"") && msg.contains("\"label\"") && msg.contains("[4]"), "{msg}");
    }
}
