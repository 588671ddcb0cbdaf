//! `Recall`: the fraction of positives that are found over an epoch (scikit-learn's `recall_score`).

use super::classification::PrfScore;
use super::metric_trace::MetricTrace;
use super::prf::{PrfKind, PrfMetric};

/// Recall of `pred_key` against `true_key` over an epoch (FE's `Recall`), computed as
/// scikit-learn's `recall_score`.
///
/// One-hot labels are argmaxed; multi-class predictions are argmaxed and single-column ones
/// rounded. With a single prediction column the result is one number for `pos_label` 1
/// (`average='binary'`); otherwise it is one value per class, as an array (`average=None`).
/// Runs in eval and test by default and writes `"recall"`, plus `"recall|ds_id"` per
/// dataset when the run has several.
///
/// ```
/// use fastestimator::trace::metric::Recall;
/// let m = Recall::new("y", "y_pred").output_name("recall_score").per_ds(false);
/// assert!(Recall::new("y", "y_pred").kwarg("average", "macro").validate().is_err());
/// # let _ = m;
/// ```
pub type Recall = MetricTrace<PrfMetric<RecallKind>>;

/// The kind of [`Recall`] (see [`PrfKind`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecallKind;

impl PrfKind for RecallKind {
    const SCORE: PrfScore = PrfScore::Recall;
}
