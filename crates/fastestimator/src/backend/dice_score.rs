//! Dice score for segmentation masks (FE's `dice_score`, channels-first as in FE's torch path).

use tch::Tensor;

use super::loss_common::{as_float_pair, check_same_shape};
use crate::error::{FeError, Result};

/// The settings of [`dice_score`]; `Default` gives FE's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct DiceScoreOptions {
    /// Square the elements in the denominator: `Σp² + Σt²` instead of `Σp + Σt` (default false).
    pub soft_dice: bool,
    /// Average the score over the batch axis (default false).
    pub sample_average: bool,
    /// Average the score over the channel axis (default false).
    pub channel_average: bool,
    /// One weight per channel, multiplied into the per-channel scores before any averaging.
    pub channel_weights: Option<Vec<f64>>,
    /// Whether a pixel may belong to several classes (`true`, FE's default). When false, only
    /// the largest prediction across channels is kept at each pixel; the others become 0.
    pub mask_overlap: bool,
    /// Binarize the prediction: values above the threshold become 1, the rest 0. `None` (the
    /// default) keeps continuous values, as a loss needs.
    pub threshold: Option<f64>,
    /// Give NaN instead of a score for a channel whose target and prediction are both empty
    /// (default false).
    pub empty_nan: bool,
    /// Added to the denominator against division by zero (FE's default `1e-6`).
    pub epsilon: f64,
}

impl Default for DiceScoreOptions {
    fn default() -> Self {
        DiceScoreOptions {
            soft_dice: false,
            sample_average: false,
            channel_average: false,
            channel_weights: None,
            mask_overlap: true,
            threshold: None,
            empty_nan: false,
            epsilon: 1e-6,
        }
    }
}

impl DiceScoreOptions {
    /// FE's defaults: no averaging, overlapping masks, continuous values, epsilon `1e-6`.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Dice score `2 Σ(p·t) / (Σp + Σt + epsilon)` between `y_pred` and `y_true`, both shaped
/// `[batch, channels, spatial...]` (at least one spatial axis), with sums over the spatial axes.
///
/// The result is `[batch, channels]`; `channel_average` turns it into `[batch]` and
/// `sample_average` into `[channels]`; both give a scalar. `channel_weights`, if any, must have
/// one weight per channel.
///
/// ```
/// use fastestimator::backend::{dice_score, DiceScoreOptions};
/// use tch::Tensor;
/// let y = Tensor::from_slice(&[0i64, 1, 1, 1]).reshape([1, 1, 2, 2]);
/// let p = Tensor::from_slice(&[0.0f32, 1.0, 1.0, 0.0]).reshape([1, 1, 2, 2]);
/// let d = dice_score(&p, &y, &DiceScoreOptions::new()).unwrap();
/// assert!((d.double_value(&[0, 0]) - 0.8).abs() < 1e-6); // 2·2 / (2 + 3)
/// ```
pub fn dice_score(y_pred: &Tensor, y_true: &Tensor, options: &DiceScoreOptions) -> Result<Tensor> {
    check_same_shape("dice_score", y_pred, y_true)?;
    let shape = y_pred.size();
    if shape.len() < 3 {
        return Err(FeError::UnexpectedShape {
            op: "dice_score".into(),
            key: "y_pred".into(),
            expected: "[batch, channels, spatial...] (rank 3 or more)".into(),
            got: shape,
        });
    }
    if !(options.epsilon.is_finite() && options.epsilon >= 0.0) {
        return Err(FeError::param(
            "dice_score",
            "epsilon",
            format!("must be a finite number >= 0, got {}", options.epsilon),
        ));
    }
    let channels = shape[1];
    let weights = match &options.channel_weights {
        Some(w) if w.len() as i64 != channels => {
            return Err(FeError::LengthMismatch {
                context: "dice_score".into(),
                what: format!("channel weights (one per channel of shape {shape:?})"),
                expected: channels as usize,
                got: w.len(),
            })
        }
        Some(w) => Some(Tensor::from_slice(w.as_slice())),
        None => None,
    };
    let (mut pred, target) = as_float_pair(y_pred, y_true);
    let kind = pred.kind();
    let spatial: Vec<i64> = (2..shape.len() as i64).collect();
    let spatial = spatial.as_slice();

    if !options.mask_overlap {
        let pick = pred.amax(1, true);
        pred = pred.where_scalarother(&pred.ge_tensor(&pick), 0.0);
    }
    if let Some(threshold) = options.threshold {
        pred = pred.gt(threshold).to_kind(kind);
    }
    let numerator = (&pred * &target).sum_dim_intlist(spatial, false, kind);
    let denominator = if options.soft_dice {
        pred.square().sum_dim_intlist(spatial, false, kind) + target.square().sum_dim_intlist(spatial, false, kind)
    } else {
        pred.sum_dim_intlist(spatial, false, kind) + target.sum_dim_intlist(spatial, false, kind)
    };
    let dice = numerator * 2.0 / (denominator + options.epsilon);
    let mut dice = match weights {
        Some(w) => dice * w.to_kind(kind).to_device(pred.device()),
        None => dice,
    };
    if options.empty_nan {
        let empty = (target.amax(spatial, false) + pred.amax(spatial, false)).lt(1e-4);
        dice = dice.where_scalarother(&empty.logical_not(), f64::NAN);
    }
    if options.channel_average {
        dice = dice.mean_dim(1, false, kind);
    }
    if options.sample_average {
        dice = dice.mean_dim(0, false, kind);
    }
    Ok(dice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    /// FE's docstring example: one sample, three 3×3 channels.
    fn fe_example() -> (Tensor, Tensor) {
        let t = [0i64, 1, 1, 1, 0, 1, 1, 0, 1];
        let y: Vec<i64> = t.iter().chain(&t).chain(&t).copied().collect();
        let p: Vec<i64> = vec![
            0, 1, 0, 1, 0, 0, 1, 0, 1, // 4 of the 6 target pixels
            0, 1, 1, 1, 0, 1, 0, 0, 0, // 4 of 6
            0, 0, 1, 1, 0, 1, 1, 0, 1, // 5 of 6
        ];
        (Tensor::from_slice(&p).reshape([1, 3, 3, 3]), Tensor::from_slice(&y).reshape([1, 3, 3, 3]))
    }

    fn values(t: &Tensor) -> Vec<f64> {
        Vec::<f64>::try_from(t.to_kind(Kind::Double).reshape([-1])).unwrap()
    }

    fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < tol, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn fe_docstring_values() {
        let (p, y) = fe_example();
        let d = dice_score(&p, &y, &DiceScoreOptions::new()).unwrap();
        assert_eq!(d.size(), vec![1, 3]);
        // 2·4/(4+6), 2·4/(4+6), 2·5/(5+6)
        assert_close(&values(&d), &[0.8, 0.8, 10.0 / 11.0], 1e-6);
        let soft = DiceScoreOptions { soft_dice: true, ..DiceScoreOptions::new() };
        assert_close(&values(&dice_score(&p, &y, &soft).unwrap()), &[0.8, 0.8, 10.0 / 11.0], 1e-6);
        let avg = DiceScoreOptions { channel_average: true, ..DiceScoreOptions::new() };
        let d = dice_score(&p, &y, &avg).unwrap();
        assert_eq!(d.size(), vec![1]);
        assert_close(&values(&d), &[(1.6 + 10.0 / 11.0) / 3.0], 1e-6);
        let both = DiceScoreOptions { channel_average: true, sample_average: true, ..DiceScoreOptions::new() };
        assert_eq!(dice_score(&p, &y, &both).unwrap().dim(), 0);
    }

    #[test]
    fn soft_dice_squares_the_denominator() {
        let y = Tensor::from_slice(&[1.0f32, 1.0, 0.0, 0.0]).reshape([1, 1, 4]);
        let p = Tensor::from_slice(&[0.5f32, 0.5, 0.5, 0.0]).reshape([1, 1, 4]);
        let hard = dice_score(&p, &y, &DiceScoreOptions::new()).unwrap();
        let soft = DiceScoreOptions { soft_dice: true, epsilon: 0.0, ..DiceScoreOptions::new() };
        let soft = dice_score(&p, &y, &soft).unwrap();
        assert_close(&values(&hard), &[2.0 / 3.5], 1e-6);
        assert_close(&values(&soft), &[2.0 / 2.75], 1e-6);
    }

    #[test]
    fn weights_threshold_overlap_and_empty_nan() {
        // Two channels over 2 pixels: pixel 0 is class 0, pixel 1 is class 1.
        let y = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0]).reshape([1, 2, 2]);
        let p = Tensor::from_slice(&[0.9f32, 0.6, 0.3, 0.7]).reshape([1, 2, 2]);
        let thr = DiceScoreOptions { threshold: Some(0.5), ..DiceScoreOptions::new() };
        // Binarized: ch0 [1,1] vs [1,0] → 2/3; ch1 [0,1] vs [0,1] → 1.
        assert_close(&values(&dice_score(&p, &y, &thr).unwrap()), &[2.0 / 3.0, 1.0], 1e-5);
        let exclusive = DiceScoreOptions { mask_overlap: false, threshold: Some(0.0), ..DiceScoreOptions::new() };
        // Argmax per pixel: ch0 [1,0], ch1 [0,1]: both perfect.
        assert_close(&values(&dice_score(&p, &y, &exclusive).unwrap()), &[1.0, 1.0], 1e-5);
        let weighted = DiceScoreOptions {
            threshold: Some(0.5),
            channel_weights: Some(vec![0.5, 2.0]),
            channel_average: true,
            ..DiceScoreOptions::new()
        };
        assert_close(&values(&dice_score(&p, &y, &weighted).unwrap()), &[(1.0 / 3.0 + 2.0) / 2.0], 1e-5);
        let empty_y = Tensor::zeros([1, 2, 2], (Kind::Float, tch::Device::Cpu));
        let empty_p = Tensor::from_slice(&[0.0f32, 0.0, 0.5, 0.5]).reshape([1, 2, 2]);
        let nan = DiceScoreOptions { empty_nan: true, ..DiceScoreOptions::new() };
        let d = values(&dice_score(&empty_p, &empty_y, &nan).unwrap());
        assert!(d[0].is_nan() && d[1] == 0.0, "{d:?}");
        let d = values(&dice_score(&empty_p, &empty_y, &DiceScoreOptions::new()).unwrap());
        assert_eq!(d, vec![0.0, 0.0]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let a = Tensor::zeros([2, 3], (Kind::Float, tch::Device::Cpu));
        assert!(matches!(dice_score(&a, &a, &DiceScoreOptions::new()), Err(FeError::UnexpectedShape { .. })));
        let a = Tensor::zeros([2, 3, 4], (Kind::Float, tch::Device::Cpu));
        let b = Tensor::zeros([2, 3, 5], (Kind::Float, tch::Device::Cpu));
        assert!(matches!(dice_score(&a, &b, &DiceScoreOptions::new()), Err(FeError::ShapeMismatch { .. })));
        let w = DiceScoreOptions { channel_weights: Some(vec![1.0, 2.0]), ..DiceScoreOptions::new() };
        assert!(matches!(dice_score(&a, &a, &w), Err(FeError::LengthMismatch { .. })));
    }
}
