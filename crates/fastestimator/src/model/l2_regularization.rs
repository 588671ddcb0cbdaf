//! L2 penalty on a model's weights (FE's `l2_regularization`).

use tch::{Kind, Tensor};

use super::Model;

/// `beta · Σ w² / 2` over every trainable variable `w` of `model` (FE's torch formula, the same as
/// TF's `l2_loss`): a scalar on the model's device that keeps the graph to the weights, so adding
/// it to a loss regularizes them. A model without trainable variables gives 0.
pub fn l2_regularization(model: &Model, beta: f64) -> Tensor {
    let device = model.device();
    let total = model
        .trainable_variables()
        .iter()
        .map(|v| v.to_kind(Kind::Float).square().sum(Kind::Float) / 2.0)
        .fold(Tensor::zeros([], (Kind::Float, device)), |acc, t| acc + t);
    total * beta
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{build_named, FeModel, OptimizerArg};
    use tch::nn;

    #[derive(Debug)]
    struct Lin(nn::Linear);
    impl nn::ModuleT for Lin {
        fn forward_t(&self, xs: &Tensor, _train: bool) -> Tensor {
            xs.apply(&self.0)
        }
    }
    impl FeModel for Lin {}

    #[test]
    fn half_sum_of_squares_times_beta_with_gradient() {
        let model = build_named(
            |p| {
                let mut lin = nn::linear(p, 2, 1, Default::default());
                tch::no_grad(|| {
                    lin.ws.copy_(&Tensor::from_slice(&[1.0f32, -2.0]).reshape([1, 2]));
                    if let Some(b) = lin.bs.as_mut() {
                        b.copy_(&Tensor::from_slice(&[3.0f32]));
                    }
                });
                Lin(lin)
            },
            OptimizerArg::None,
            "l2_backend_test",
        )
        .unwrap();
        let reg = l2_regularization(&model, 0.1);
        assert!((reg.double_value(&[]) - 0.1 * (1.0 + 4.0 + 9.0) / 2.0).abs() < 1e-6);
        reg.backward();
        let grads: Vec<f64> = model
            .trainable_variables()
            .iter()
            .flat_map(|v| Vec::<f64>::try_from(v.grad().to_kind(Kind::Double).reshape([-1])).unwrap())
            .collect();
        let mut grads = grads;
        grads.sort_by(f64::total_cmp);
        // d/dw (0.1 w²/2) = 0.1 w.
        let want = [-0.2, 0.1, 0.3];
        for (g, w) in grads.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{grads:?}");
        }
    }
}
