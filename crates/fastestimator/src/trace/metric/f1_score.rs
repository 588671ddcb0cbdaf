//! `F1Score`: the harmonic mean of precision and recall over an epoch (scikit-learn's `f1_score`).

use super::classification::PrfScore;
use super::metric_trace::MetricTrace;
use super::prf::{PrfKind, PrfMetric};

/// F1 score of `pred_key` against `true_key` over an epoch (FE's `F1Score`), computed as
/// scikit-learn's `f1_score`.
///
/// One-hot labels are argmaxed; multi-class predictions are argmaxed and single-column ones
/// rounded. With a single prediction column the result is one number for `pos_label` 1
/// (`average='binary'`); otherwise it is one value per class, as an array (`average=None`).
/// Runs in eval and test by default and writes `"f1_score"`, plus `"f1_score|ds_id"` per
/// dataset when the run has several.
///
/// ```
/// use fastestimator::trace::metric::F1Score;
/// let m = F1Score::new("y", "y_pred").output_name("f1_score_score").per_ds(false);
/// assert!(F1Score::new("y", "y_pred").kwarg("average", "macro").validate().is_err());
/// # let _ = m;
/// ```
pub type F1Score = MetricTrace<PrfMetric<F1ScoreKind>>;

/// The kind of [`F1Score`] (see [`PrfKind`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct F1ScoreKind;

impl PrfKind for F1ScoreKind {
    const SCORE: PrfScore = PrfScore::F1;
}
