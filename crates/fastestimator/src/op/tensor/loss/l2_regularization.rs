//! `L2Regularization` (FE's `L2Regularizaton`): add an L2 penalty on a model's weights to a loss.

use tch::Tensor;

use crate::backend::l2_regularization;
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::tensor::{NetState, TensorOp};
use crate::op::{impl_has_io, Keys, OpIo};

/// Reads a loss and writes `loss + beta · Σ w² / 2`, the sum running over every trainable
/// variable `w` of `model` (FE's formula; `beta` defaults to 0.01). The penalty keeps the graph
/// to the weights, so an UpdateOp on the output also shrinks them. A per-sample loss gets the
/// penalty added to each sample.
///
/// Runs in every mode but infer by default, like the loss ops whose output it reads.
///
/// ```
/// use fastestimator as fe;
/// use fastestimator::op::tensor::{L2Regularization, NetState, TensorOp};
/// use fastestimator::util::Mode;
/// use tch::{nn, Tensor};
/// let model = fe::build(|p| nn::seq_t().add(nn::linear(p, 4, 2, Default::default())), "adam").unwrap();
/// let mut op = L2Regularization::new("ce", "loss", &model).beta(0.0);
/// let ce = Tensor::from(1.5f32);
/// let out = op.forward(vec![ce], &mut NetState::new(Mode::Train, 1)).unwrap();
/// assert!((out[0].double_value(&[]) - 1.5).abs() < 1e-6);
/// ```
pub struct L2Regularization {
    io: OpIo,
    model: Model,
    beta: f64,
}
impl_has_io!(L2Regularization);

impl L2Regularization {
    /// Add the L2 penalty of `model`'s weights to the loss under `inputs`, writing `outputs`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, model: &Model) -> Self {
        L2Regularization {
            io: OpIo::new(inputs, outputs).with_default_mode("!infer"),
            model: model.clone(),
            beta: 0.01,
        }
    }

    /// The weight of the penalty (default 0.01; must be finite).
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }
}

impl TensorOp for L2Regularization {
    fn name(&self) -> String {
        "L2Regularization".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        if !self.beta.is_finite() {
            return Err(FeError::param("L2Regularization", "beta", format!("must be finite, got {}", self.beta)));
        }
        let [loss] = <[Tensor; 1]>::try_from(data).map_err(|d| {
            FeError::param("L2Regularization", "inputs", format!("expects one loss key, got {} keys", d.len()))
        })?;
        let penalty = l2_regularization(&self.model, self.beta);
        let penalty = if penalty.device() != loss.device() { penalty.to_device(loss.device()) } else { penalty };
        Ok(vec![loss + penalty])
    }

    fn models(&self) -> Vec<Model> {
        vec![self.model.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::super::loss_op::test_util::*;
    use super::*;
    use crate::model::{build_named, OptimizerArg};
    use tch::nn;

    fn model(name: &str) -> Model {
        build_named(
            |p| {
                let config = nn::LinearConfig {
                    ws_init: nn::Init::Const(0.5),
                    bs_init: Some(nn::Init::Const(-1.0)),
                    bias: true,
                };
                nn::seq_t().add(nn::linear(p / "lin", 2, 1, config))
            },
            OptimizerArg::None,
            name,
        )
        .unwrap()
    }

    #[test]
    fn adds_half_sum_of_squares_and_passes_gradients() {
        let m = model("l2_op_test");
        // Weights [0.5, 0.5], bias [-1]: Σw²/2 = (0.25 + 0.25 + 1) / 2 = 0.75.
        let mut op = L2Regularization::new("ce", "loss", &m).beta(0.1);
        let loss = Tensor::from_slice(&[1.0f32, 2.0]);
        let out = op.forward(vec![loss], &mut train_state()).unwrap();
        assert_close(&values(&out[0]), &[1.075, 2.075], 1e-6);
        out[0].sum(tch::Kind::Float).backward();
        let mut grads: Vec<f64> = m.trainable_variables().iter().flat_map(|v| values(&v.grad())).collect();
        grads.sort_by(f64::total_cmp);
        // Two samples, each d(0.1 w²/2)/dw = 0.1 w.
        assert_close(&grads, &[-0.2, 0.1, 0.1], 1e-6);
        assert_eq!(op.models().len(), 1);
    }

    #[test]
    fn default_beta_and_errors() {
        let m = model("l2_op_test_default");
        let mut op = L2Regularization::new("ce", "loss", &m);
        let out = op.forward(vec![Tensor::from(0.0f32)], &mut train_state()).unwrap();
        assert_close(&values(&out[0]), &[0.0075], 1e-7);
        let err = op.forward(vec![Tensor::from(0.0f32), Tensor::from(1.0f32)], &mut train_state()).unwrap_err();
        assert!(matches!(err, FeError::InvalidParameter { .. }));
        let mut op = L2Regularization::new("ce", "loss", &m).beta(f64::NAN);
        assert!(op.forward(vec![Tensor::from(0.0f32)], &mut train_state()).is_err());
    }
}
