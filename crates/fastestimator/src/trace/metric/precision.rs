//! `Precision`: the fraction of positive predictions that are right over an epoch (scikit-learn's `precision_score`).

use super::classification::PrfScore;
use super::metric_trace::MetricTrace;
use super::prf::{PrfKind, PrfMetric};

/// Precision of `pred_key` against `true_key` over an epoch (FE's `Precision`), computed as
/// scikit-learn's `precision_score`.
///
/// One-hot labels are argmaxed; multi-class predictions are argmaxed and single-column ones
/// rounded. With a single prediction column the result is one number for `pos_label` 1
/// (`average='binary'`); otherwise it is one value per class, as an array (`average=None`).
/// Runs in eval and test by default and writes `"precision"`, plus `"precision|ds_id"` per
/// dataset when the run has several.
///
/// ```
/// use fastestimator::trace::metric::Precision;
/// let m = Precision::new("y", "y_pred").output_name("precision_score").per_ds(false);
/// assert!(Precision::new("y", "y_pred").kwarg("average", "macro").validate().is_err());
/// # let _ = m;
/// ```
pub type Precision = MetricTrace<PrfMetric<PrecisionKind>>;

/// The kind of [`Precision`] (see [`PrfKind`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct PrecisionKind;

impl PrfKind for PrecisionKind {
    const SCORE: PrfScore = PrfScore::Precision;
}
