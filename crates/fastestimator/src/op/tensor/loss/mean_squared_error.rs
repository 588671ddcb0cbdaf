//! `MeanSquaredError`: the mean of squared differences.

use super::loss_op::pairwise_loss_op;
use crate::backend::mean_squared_error;
use crate::op::OpIo;

/// Mean squared error between inputs `[y_pred, y_true]` of the same shape: averaged over each
/// sample, then over the batch unless `average_loss(false)` asks for the `[batch]` values.
///
/// ```
/// use fastestimator::op::tensor::{MeanSquaredError, NetState, TensorOp};
/// use fastestimator::util::Mode;
/// use tch::Tensor;
/// let mut mse = MeanSquaredError::new(["y_pred", "y"], "mse");
/// let pred = Tensor::from_slice(&[0.5f32, 1.0, 2.0, 2.0]).reshape([2, 2]);
/// let y = Tensor::from_slice(&[0.0f32, 1.0, 0.0, 2.0]).reshape([2, 2]);
/// let out = mse.forward(vec![pred, y], &mut NetState::new(Mode::Train, 1)).unwrap();
/// assert!((out[0].double_value(&[]) - 1.0625).abs() < 1e-6);
/// ```
pub struct MeanSquaredError {
    io: OpIo,
    average_loss: bool,
}

pairwise_loss_op!(MeanSquaredError, mean_squared_error, "Mean squared error");

#[cfg(test)]
mod tests {
    use super::super::loss_op::test_util::*;
    use super::*;
    use crate::error::FeError;
    use crate::op::tensor::TensorOp;
    use tch::Tensor;

    #[test]
    fn matches_fe_case_24() {
        let mut op = MeanSquaredError::new(["y_pred", "y"], "mse");
        let out = op.forward(vec![case24_pred(), onehot_true()], &mut train_state()).unwrap();
        assert_eq!(out[0].dim(), 0);
        assert_close(&values(&out[0]), &[0.014375001], 1e-7);
    }

    #[test]
    fn per_sample_values() {
        let mut op = MeanSquaredError::new(["y_pred", "y"], "mse").average_loss(false);
        let out = op.forward(vec![case24_pred(), onehot_true()], &mut train_state()).unwrap();
        assert_eq!(out[0].size(), vec![4]);
        assert_close(&values(&out[0]), &[0.00625, 0.035, 0.01625, 0.0], 1e-7);
    }

    #[test]
    fn mismatched_shapes_name_both_keys() {
        let mut op = MeanSquaredError::new(["y_pred", "y"], "mse");
        let err = op
            .forward(vec![case24_pred(), Tensor::zeros([4, 3], tch::kind::FLOAT_CPU)], &mut train_state())
            .unwrap_err();
        assert!(matches!(err, FeError::ShapeMismatch { .. }));
        let msg = err.to_string();
        for part in ["\"y_pred\"", "\"y\"", "[4, 4]", "[4, 3]"] {
            assert!(msg.contains(part), "{msg}");
        }
    }
}
