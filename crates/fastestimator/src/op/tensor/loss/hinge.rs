//! `Hinge`: hinge loss for `-1`/`1` labels.

use super::loss_op::pairwise_loss_op;
use crate::backend::hinge;
use crate::op::OpIo;

/// Hinge loss `max(0, 1 - y_true · y_pred)` between inputs `[y_pred, y_true]` of the same shape,
/// with labels `-1` or `1`: averaged over each sample, then over the batch unless
/// `average_loss(false)`.
///
/// ```
/// use fastestimator::op::tensor::{Hinge, NetState, TensorOp};
/// use fastestimator::util::Mode;
/// use tch::Tensor;
/// let mut op = Hinge::new(["y_pred", "y"], "hinge");
/// let pred = Tensor::from_slice(&[0.5f32, -2.0]).reshape([2, 1]);
/// let y = Tensor::from_slice(&[1i64, 1]).reshape([2, 1]);
/// let out = op.forward(vec![pred, y], &mut NetState::new(Mode::Train, 1)).unwrap();
/// assert!((out[0].double_value(&[]) - 1.75).abs() < 1e-6); // (0.5 + 3) / 2
/// ```
pub struct Hinge {
    io: OpIo,
    average_loss: bool,
}

pairwise_loss_op!(Hinge, hinge, "Hinge loss");

#[cfg(test)]
mod tests {
    use super::super::loss_op::test_util::*;
    use super::*;
    use crate::error::FeError;
    use crate::op::tensor::TensorOp;
    use tch::Tensor;

    fn fe_case() -> Vec<Tensor> {
        let y = Tensor::from_slice(&[-1i64, 1, 1, -1, 1, 1, 1, 1, -1, -1, 1, -1, 1, -1, -1, -1]).reshape([4, 4]);
        let p = Tensor::from_slice(&[
            0.1f32, 0.9, 0.05, 0.05, 0.1, -0.2, 0.0, -0.7, 0.0, 0.15, 0.8, 0.05, 1.0, -1.0, -1.0, -1.0,
        ])
        .reshape([4, 4]);
        vec![p, y]
    }

    #[test]
    fn matches_fe_case_24() {
        let mut op = Hinge::new(["y_pred", "y"], "hinge");
        let out = op.forward(fe_case(), &mut train_state()).unwrap();
        assert_close(&values(&out[0]), &[0.7125], 1e-7);
        let mut op = Hinge::new(["y_pred", "y"], "hinge").average_loss(false);
        let out = op.forward(fe_case(), &mut train_state()).unwrap();
        assert_close(&values(&out[0]), &[0.8, 1.2, 0.85, 0.0], 1e-6);
    }

    #[test]
    fn mismatched_shapes_are_errors() {
        let mut op = Hinge::new(["y_pred", "y"], "hinge");
        let mut data = fe_case();
        data[1] = data[1].reshape([2, 8]);
        let err = op.forward(data, &mut train_state()).unwrap_err();
        assert!(matches!(err, FeError::ShapeMismatch { .. }));
        assert!(err.to_string().contains("[2, 8]"), "{err}");
    }
}
