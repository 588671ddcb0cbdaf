//! Sigmoid focal loss (FE's `focal_loss`, after fvcore / RetinaNet).

use tch::Tensor;

use super::loss_common::{as_float_pair, check_probabilities, check_same_shape};
use crate::error::{FeError, Result};
use crate::util::option_strings;

/// How a loss tensor is reduced along some axes.
///
/// Parses from FE's strings `"none"`, `"mean"`, `"sum"` (and prints as them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossReduction {
    /// Keep the axes (FE's `'none'`).
    None,
    /// Average over the axes (FE's `'mean'`).
    Mean,
    /// Sum over the axes (FE's `'sum'`).
    Sum,
}

option_strings!(LossReduction, "focal_loss", "reduction", {
    LossReduction::None => "none",
    LossReduction::Mean => "mean",
    LossReduction::Sum => "sum",
});

/// The settings of [`focal_loss`]; `Default` gives FE's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocalLossOptions {
    /// Exponent of the modulating factor `(1 - p_t)^gamma`; at least 0 (default 2.0).
    pub gamma: f64,
    /// Weight of the positive class in `[0, 1]` (negatives get `1 - alpha`); `None` weighs both
    /// classes 1 (FE's `alpha=-1`). Default `Some(0.25)`.
    pub alpha: Option<f64>,
    /// Whether `y_pred` holds logits rather than probabilities (default false).
    pub from_logits: bool,
    /// Divide each sample's loss by its number of positive targets, at least 1 (default true).
    pub normalize: bool,
    /// Reduction over every axis but the batch axis (default [`LossReduction::Sum`]).
    pub shape_reduction: LossReduction,
    /// Reduction over the batch, after the shape reduction (default [`LossReduction::Mean`]).
    pub sample_reduction: LossReduction,
}

impl Default for FocalLossOptions {
    fn default() -> Self {
        FocalLossOptions {
            gamma: 2.0,
            alpha: Some(0.25),
            from_logits: false,
            normalize: true,
            shape_reduction: LossReduction::Sum,
            sample_reduction: LossReduction::Mean,
        }
    }
}

impl FocalLossOptions {
    /// Check `gamma` and `alpha`; `component` names the caller in errors.
    pub(crate) fn validate(&self, component: &str) -> Result<()> {
        if !(self.gamma.is_finite() && self.gamma >= 0.0) {
            return Err(FeError::param(
                component,
                "gamma",
                format!("must be a finite number >= 0, got {}", self.gamma),
            ));
        }
        if let Some(alpha) = self.alpha {
            if !(0.0..=1.0).contains(&alpha) {
                return Err(FeError::param(
                    component,
                    "alpha",
                    format!("must lie in [0, 1] (or be None to disable it), got {alpha}"),
                ));
            }
        }
        Ok(())
    }
}

/// Focal loss between `y_pred` and binary targets `y_true` (0 or 1) of the same shape
/// `[batch, ...]`: elementwise `alpha_t · (1 - p_t)^gamma · BCE(p, y)` with
/// `p_t = p·y + (1-p)(1-y)` and `alpha_t = alpha·y + (1-alpha)(1-y)`. Then, as in FE:
/// optionally divided per sample by the number of positives (at least 1), reduced over the
/// non-batch axes by `shape_reduction`, and over the batch by `sample_reduction`. A `[batch]`
/// input has one target per sample, so normalizing and the shape reduction leave it unchanged.
///
/// Probabilities outside `[0, 1]` are an error unless `from_logits`. As in torch, each log term
/// of the cross entropy is clamped at -100.
///
/// ```
/// use fastestimator::backend::{focal_loss, FocalLossOptions};
/// use tch::Tensor;
/// let y = Tensor::from_slice(&[1i64, 1, 1, 0, 0, 0]).reshape([6, 1]);
/// let p = Tensor::from_slice(&[0.97f32, 0.91, 0.73, 0.27, 0.09, 0.03]).reshape([6, 1]);
/// let fl = focal_loss(&p, &y, &FocalLossOptions::default()).unwrap();
/// assert!((fl.double_value(&[]) - 0.004).abs() < 5e-4);
/// ```
pub fn focal_loss(y_pred: &Tensor, y_true: &Tensor, options: &FocalLossOptions) -> Result<Tensor> {
    options.validate("focal_loss")?;
    check_same_shape("focal_loss", y_pred, y_true)?;
    if !options.from_logits {
        check_probabilities("focal_loss", "y_pred", y_pred)?;
    }
    let (pred, y) = as_float_pair(y_pred, y_true);
    let kind = pred.kind();
    let not_y = y.neg() + 1.0;
    let (p, ce) = if options.from_logits {
        let ce = pred.binary_cross_entropy_with_logits::<Tensor>(&y, None, None, tch::Reduction::None);
        (pred.sigmoid(), ce)
    } else {
        let log_p = pred.log().clamp_min(-100.0);
        let log_not_p = (pred.neg() + 1.0).log().clamp_min(-100.0);
        let ce = -(&y * log_p + &not_y * log_not_p);
        (pred, ce)
    };
    let p_t = &p * &y + (p.neg() + 1.0) * &not_y;
    let modulated = ce * (p_t.neg() + 1.0).pow_tensor_scalar(options.gamma);
    let weighted = match options.alpha {
        Some(alpha) => modulated * (&y * alpha + &not_y * (1.0 - alpha)),
        None => modulated,
    };
    let shape_axes: Vec<i64> = (1..weighted.dim() as i64).collect();
    let mut loss = if options.normalize && !shape_axes.is_empty() {
        // Positives per sample (at least 1), shaped to broadcast over the sample's elements.
        let count_shape: Vec<i64> = std::iter::once(-1).chain(shape_axes.iter().map(|_| 1)).collect();
        let count =
            y.sum_dim_intlist(shape_axes.as_slice(), false, kind).clamp_min(1.0).reshape(count_shape.as_slice());
        weighted / count
    } else {
        weighted
    };
    if !shape_axes.is_empty() {
        loss = match options.shape_reduction {
            LossReduction::None => loss,
            LossReduction::Mean => loss.mean_dim(shape_axes.as_slice(), false, kind),
            LossReduction::Sum => loss.sum_dim_intlist(shape_axes.as_slice(), false, kind),
        };
    }
    Ok(match options.sample_reduction {
        LossReduction::None => loss,
        LossReduction::Mean => loss.mean(kind),
        LossReduction::Sum => loss.sum(kind),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::binary_crossentropy;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() < tol, "{a} vs {b}");
    }

    #[test]
    fn gamma_zero_alpha_half_is_half_bce() {
        let y = Tensor::from_slice(&[1i64, 0, 0, 1, 1, 0]).reshape([3, 2]);
        let p = Tensor::from_slice(&[0.8f32, 0.3, 0.1, 0.6, 0.95, 0.4]).reshape([3, 2]);
        let opts = FocalLossOptions {
            gamma: 0.0,
            alpha: Some(0.5),
            normalize: false,
            shape_reduction: LossReduction::Mean,
            ..FocalLossOptions::default()
        };
        let fl = focal_loss(&p, &y, &opts).unwrap().double_value(&[]);
        let bce = binary_crossentropy(&p, &y, false, true).double_value(&[]);
        close(fl, 0.5 * bce, 1e-6);
        // Hand-computed: BCE terms -ln(.8), -ln(.7), -ln(.9), -ln(.6), -ln(.95), -ln(.6).
        let by_hand = [0.8f64, 0.7, 0.9, 0.6, 0.95, 0.6].iter().map(|q| -q.ln()).sum::<f64>() / 6.0;
        close(fl, 0.5 * by_hand, 1e-6);
    }

    #[test]
    fn fe_docstring_example() {
        let y = Tensor::from_slice(&[1i64, 1, 1, 0, 0, 0]).reshape([6, 1]);
        let p = Tensor::from_slice(&[0.97f32, 0.91, 0.73, 0.27, 0.09, 0.03]).reshape([6, 1]);
        // gamma 2, alpha 0.25, one positive at most per sample: mean of alpha_t (1-p_t)² CE.
        let by_hand = [0.97f64, 0.91, 0.73, 0.73, 0.91, 0.97]
            .iter()
            .zip([0.25, 0.25, 0.25, 0.75, 0.75, 0.75])
            .map(|(&pt, a): (&f64, f64)| a * (1.0 - pt).powi(2) * -pt.ln())
            .sum::<f64>()
            / 6.0;
        let fl = focal_loss(&p, &y, &FocalLossOptions::default()).unwrap();
        close(fl.double_value(&[]), by_hand, 1e-7);
        close(by_hand, 0.00395, 5e-5);
        // gamma 0 and no alpha: plain BCE (FE: 0.1464).
        let opts = FocalLossOptions { gamma: 0.0, alpha: None, ..FocalLossOptions::default() };
        close(focal_loss(&p, &y, &opts).unwrap().double_value(&[]), 0.1464, 1e-4);
    }

    #[test]
    fn normalize_divides_by_positive_count_and_reductions_shape() {
        let y = Tensor::from_slice(&[1i64, 1, 0, 0, 0, 0]).reshape([2, 3]);
        let p = Tensor::from_slice(&[0.5f32, 0.5, 0.5, 0.5, 0.5, 0.5]).reshape([2, 3]);
        let opts = FocalLossOptions {
            gamma: 0.0,
            alpha: None,
            sample_reduction: LossReduction::None,
            ..FocalLossOptions::default()
        };
        let l = focal_loss(&p, &y, &opts).unwrap();
        assert_eq!(l.size(), vec![2]);
        let ln2 = std::f64::consts::LN_2;
        // Sample 0: three terms of ln 2, two positives; sample 1: no positives, divided by 1.
        close(l.double_value(&[0]), 3.0 * ln2 / 2.0, 1e-6);
        close(l.double_value(&[1]), 3.0 * ln2, 1e-6);
        let none = FocalLossOptions { shape_reduction: LossReduction::None, ..opts };
        assert_eq!(focal_loss(&p, &y, &none).unwrap().size(), vec![2, 3]);
        let sum = FocalLossOptions { sample_reduction: LossReduction::Sum, ..opts };
        close(focal_loss(&p, &y, &sum).unwrap().double_value(&[]), 4.5 * ln2, 1e-5);
    }

    #[test]
    fn logits_match_probabilities() {
        let y = Tensor::from_slice(&[1i64, 0, 1, 0]).reshape([2, 2]);
        let logits = Tensor::from_slice(&[2.0f32, -1.0, -0.5, 0.3]).reshape([2, 2]);
        let from_p = focal_loss(&logits.sigmoid(), &y, &FocalLossOptions::default()).unwrap();
        let opts = FocalLossOptions { from_logits: true, ..FocalLossOptions::default() };
        let from_l = focal_loss(&logits, &y, &opts).unwrap();
        close(from_p.double_value(&[]), from_l.double_value(&[]), 1e-6);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let y = Tensor::from_slice(&[1i64, 0]).reshape([2, 1]);
        let p = Tensor::from_slice(&[1.5f32, 0.2]).reshape([2, 1]);
        assert!(matches!(focal_loss(&p, &y, &FocalLossOptions::default()), Err(FeError::InvalidValue { .. })));
        let p = Tensor::from_slice(&[0.5f32, 0.2]).reshape([1, 2]);
        assert!(matches!(focal_loss(&p, &y, &FocalLossOptions::default()), Err(FeError::ShapeMismatch { .. })));
        let bad = FocalLossOptions { alpha: Some(1.5), ..FocalLossOptions::default() };
        let p = Tensor::from_slice(&[0.5f32, 0.2]).reshape([2, 1]);
        assert!(matches!(focal_loss(&p, &y, &bad), Err(FeError::InvalidParameter { .. })));
        let bad = FocalLossOptions { gamma: -1.0, ..FocalLossOptions::default() };
        assert!(matches!(focal_loss(&p, &y, &bad), Err(FeError::InvalidParameter { .. })));
    }
}
