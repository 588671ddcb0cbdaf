//! Regression-style losses with FE's semantics: an elementwise loss, averaged per sample.
//!
//! Every function takes `y_pred` and `y_true` of the same shape `[batch, ...]` and returns one
//! value per sample, shape `[batch]`: the mean over every axis but the first (FE averages over the
//! last axis, which is the same for the usual `[batch, n]` tensors). A `[batch]` input is already
//! per sample. Losses are computed in `f32` (`f64` for double predictions).

use tch::{Reduction, Tensor};

use super::loss_common::{as_float_pair, check_positive, check_same_shape, per_sample_mean};
use crate::error::Result;

/// Mean squared error per sample: `mean((y_pred - y_true)²)` (FE's `mean_squared_error`).
///
/// ```
/// use fastestimator::backend::mean_squared_error;
/// use tch::Tensor;
/// let pred = Tensor::from_slice(&[0.5f32, 1.0, 2.0, 2.0]).reshape([2, 2]);
/// let true_ = Tensor::from_slice(&[0.0f32, 1.0, 0.0, 2.0]).reshape([2, 2]);
/// let mse = mean_squared_error(&pred, &true_).unwrap();
/// assert_eq!(Vec::<f32>::try_from(mse).unwrap(), vec![0.125, 2.0]);
/// ```
pub fn mean_squared_error(y_pred: &Tensor, y_true: &Tensor) -> Result<Tensor> {
    check_same_shape("mean_squared_error", y_pred, y_true)?;
    let (p, t) = as_float_pair(y_pred, y_true);
    Ok(per_sample_mean(p.mse_loss(&t, Reduction::None)))
}

/// Mean absolute error per sample: `mean(|y_pred - y_true|)` (FE's `l1_loss`).
pub fn l1_loss(y_pred: &Tensor, y_true: &Tensor) -> Result<Tensor> {
    check_same_shape("l1_loss", y_pred, y_true)?;
    let (p, t) = as_float_pair(y_pred, y_true);
    Ok(per_sample_mean(p.l1_loss(&t, Reduction::None)))
}

/// Smooth L1 loss per sample (torch's `SmoothL1Loss`, FE's `smooth_l1_loss`): elementwise
/// `0.5 d² / beta` where `|d| < beta`, `|d| - 0.5 beta` elsewhere, with `d = y_pred - y_true`.
/// `beta` must be positive.
pub fn smooth_l1_loss(y_pred: &Tensor, y_true: &Tensor, beta: f64) -> Result<Tensor> {
    check_positive("smooth_l1_loss", "beta", beta)?;
    check_same_shape("smooth_l1_loss", y_pred, y_true)?;
    let (p, t) = as_float_pair(y_pred, y_true);
    Ok(per_sample_mean(p.smooth_l1_loss(&t, Reduction::None, beta)))
}

/// Huber loss per sample (torch's `HuberLoss`, FE's `huber`): elementwise `0.5 d²` where
/// `|d| < beta`, `beta (|d| - 0.5 beta)` elsewhere, with `d = y_pred - y_true`. This is `beta`
/// times [`smooth_l1_loss`]. `beta` must be positive.
pub fn huber(y_pred: &Tensor, y_true: &Tensor, beta: f64) -> Result<Tensor> {
    check_positive("huber", "beta", beta)?;
    check_same_shape("huber", y_pred, y_true)?;
    let (p, t) = as_float_pair(y_pred, y_true);
    Ok(per_sample_mean(p.huber_loss(&t, Reduction::None, beta)))
}

/// Hinge loss per sample (FE's `hinge`): `mean(max(0, 1 - y_true · y_pred))`, where `y_true`
/// holds labels `-1` or `1`.
pub fn hinge(y_pred: &Tensor, y_true: &Tensor) -> Result<Tensor> {
    check_same_shape("hinge", y_pred, y_true)?;
    let (p, t) = as_float_pair(y_pred, y_true);
    Ok(per_sample_mean(((t * p).neg() + 1.0).clamp_min(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FeError;

    fn onehot_true() -> Tensor {
        Tensor::from_slice(&[0i64, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0]).reshape([4, 4])
    }

    fn pred() -> Tensor {
        Tensor::from_slice(&[0.1f32, 0.9, 0.05, 0.05, 0.1, 0.2, 0.0, 0.7, 0.0, 0.15, 0.8, 0.05, 1.0, 0.0, 0.0, 0.0])
            .reshape([4, 4])
    }

    fn values(t: Tensor) -> Vec<f64> {
        Vec::<f64>::try_from(t.to_kind(tch::Kind::Double)).unwrap()
    }

    fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < tol, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn per_sample_values_match_fe() {
        let (p, t) = (pred(), onehot_true());
        assert_close(&values(mean_squared_error(&p, &t).unwrap()), &[0.00625, 0.035, 0.01625, 0.0], 1e-7);
        assert_close(&values(l1_loss(&p, &t).unwrap()), &[0.075, 0.15, 0.1, 0.0], 1e-7);
        // FE's docstrings: smooth [0.0048, 0.0269, 0.0125, 0], huber [0.0031, 0.0175, 0.0081, 0].
        assert_close(&values(smooth_l1_loss(&p, &t, 0.65).unwrap()), &[0.0048, 0.0269, 0.0125, 0.0], 1e-4);
        assert_close(&values(huber(&p, &t, 0.65).unwrap()), &[0.0031, 0.0175, 0.0081, 0.0], 1e-4);
    }

    #[test]
    fn smooth_l1_and_huber_large_errors_match_fe() {
        // FE's docstring example with |d| > beta.
        let t = Tensor::from_slice(&[1i64, 3, 2, 0]).reshape([4, 1]);
        let p = Tensor::from_slice(&[2.0f32, 0.0, 2.0, 1.0]).reshape([4, 1]);
        assert_close(&values(smooth_l1_loss(&p, &t, 0.65).unwrap()), &[0.675, 2.675, 0.0, 0.675], 1e-6);
        assert_close(&values(huber(&p, &t, 0.65).unwrap()), &[0.43875, 1.73875, 0.0, 0.43875], 1e-6);
    }

    #[test]
    fn hinge_matches_fe() {
        let t = Tensor::from_slice(&[-1i64, 1, 1, -1, 1, 1, 1, 1, -1, -1, 1, -1, 1, -1, -1, -1]).reshape([4, 4]);
        let p = Tensor::from_slice(&[
            0.1f32, 0.9, 0.05, 0.05, 0.1, -0.2, 0.0, -0.7, 0.0, 0.15, 0.8, 0.05, 1.0, -1.0, -1.0, -1.0,
        ])
        .reshape([4, 4]);
        assert_close(&values(hinge(&p, &t).unwrap()), &[0.8, 1.2, 0.85, 0.0], 1e-6);
    }

    #[test]
    fn higher_rank_reduces_to_batch_and_rank_one_is_kept() {
        let p = Tensor::ones([2, 3, 4], (tch::Kind::Float, tch::Device::Cpu));
        let t = Tensor::zeros([2, 3, 4], (tch::Kind::Float, tch::Device::Cpu));
        assert_eq!(mean_squared_error(&p, &t).unwrap().size(), vec![2]);
        let p = Tensor::from_slice(&[1.0f64, 3.0]);
        let t = Tensor::from_slice(&[0.0f64, 0.0]);
        let l = l1_loss(&p, &t).unwrap();
        assert_eq!(l.kind(), tch::Kind::Double);
        assert_close(&values(l), &[1.0, 3.0], 1e-12);
    }

    #[test]
    fn bad_shapes_and_beta_are_errors() {
        let p = Tensor::zeros([2, 3], (tch::Kind::Float, tch::Device::Cpu));
        let t = Tensor::zeros([2, 4], (tch::Kind::Float, tch::Device::Cpu));
        assert!(matches!(mean_squared_error(&p, &t), Err(FeError::ShapeMismatch { .. })));
        assert!(matches!(hinge(&p, &t), Err(FeError::ShapeMismatch { .. })));
        assert!(matches!(huber(&p, &p, 0.0), Err(FeError::InvalidParameter { .. })));
        assert!(matches!(smooth_l1_loss(&p, &p, f64::NAN), Err(FeError::InvalidParameter { .. })));
    }
}
