//! `ConfusionMatrix`: counts of (true class, predicted class) over an epoch.

use crate::error::{FeError, Result};
use crate::op::OpIo;
use crate::summary::LogValue;
use crate::util::option_strings;

use super::classification::{LabelCounts, LabelMetric};
use super::kwarg::{bad_value, forbidden, unsupported, Deferred, KwargValue};
use super::metric_trace::MetricTrace;

/// How [`ConfusionMatrix`] divides the counts (scikit-learn's `confusion_matrix(normalize=...)`).
///
/// Parses from FE's strings: `"true"`, `"pred"`, `"all"`, and `"None"` (or `"none"`) for none.
///
/// ```
/// use fastestimator::trace::metric::{ConfusionMatrix, Normalize};
/// let cm = ConfusionMatrix::new("y", "y_pred", 10)?.normalize("true".parse()?);
/// assert_eq!("pred".parse::<Normalize>()?, Normalize::Pred);
/// assert_eq!(Normalize::All.to_string(), "all");
/// # let _ = cm;
/// # Ok::<(), fastestimator::FeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Normalize {
    /// Counts as they are (the default, FE's `None`).
    #[default]
    None,
    /// Each row sums to 1 (`"true"`).
    True,
    /// Each column sums to 1 (`"pred"`).
    Pred,
    /// The whole matrix sums to 1 (`"all"`).
    All,
}

option_strings!(Normalize, "ConfusionMatrix", "normalize", {
    Normalize::None => "None" | "none",
    Normalize::True => "true",
    Normalize::Pred => "pred",
    Normalize::All => "all",
});

/// The confusion matrix of `pred_key` against `true_key` over an epoch (FE's `ConfusionMatrix`):
/// rows are true classes, columns predicted ones, for classes `0..num_classes`.
///
/// Labels follow FE's rules (one-hot and multi-class scores argmaxed, a single column rounded);
/// samples whose label falls outside `0..num_classes` are left out, as scikit-learn does. The
/// result is written as an array under `"confusion_matrix"` (and `"confusion_matrix|ds_id"`).
///
/// ```
/// use fastestimator::trace::metric::ConfusionMatrix;
/// let cm = ConfusionMatrix::new("y", "y_pred", 10)?.kwarg("normalize", "true");
/// // `labels` is set by the trace: reported when the trace is bound (or validated)
/// assert!(ConfusionMatrix::new("y", "y_pred", 10)?.kwarg("labels", vec![0i64, 1]).validate().is_err());
/// # let _ = cm;
/// # Ok::<(), fastestimator::FeError>(())
/// ```
pub type ConfusionMatrix = MetricTrace<ConfusionMatrixMetric>;

/// The metric behind [`ConfusionMatrix`].
#[derive(Debug, Clone)]
pub struct ConfusionMatrixMetric {
    num_classes: usize,
    normalize: Normalize,
    invalid: Deferred,
}

impl ConfusionMatrix {
    /// A `num_classes × num_classes` confusion matrix written as `"confusion_matrix"`.
    pub fn new(true_key: &str, pred_key: &str, num_classes: usize) -> Result<Self> {
        if num_classes == 0 {
            return Err(FeError::param("ConfusionMatrix", "num_classes", "must be at least 1"));
        }
        Ok(MetricTrace::from_metric(
            ConfusionMatrixMetric { num_classes, normalize: Normalize::None, invalid: Deferred::default() },
            OpIo::new([true_key, pred_key], "confusion_matrix").with_default_mode("eval,test"),
        ))
    }

    /// How the counts are divided (default: not at all).
    pub fn normalize(self, normalize: Normalize) -> Self {
        self.with_metric(|m| m.normalize = normalize)
    }

    /// An extra keyword argument for `confusion_matrix`, as FE forwards `**kwargs`: `normalize`
    /// (`"true"`, `"pred"` or `"all"`). `y_true`, `y_pred` and `labels` are set by the trace, so
    /// passing them is an error, as in FE; `sample_weight` is not supported. An invalid one is
    /// reported as [`FeError::InvalidParameter`] when the trace is bound (or
    /// [validated](MetricTrace::validate)).
    pub fn kwarg(self, name: &str, value: impl Into<KwargValue>) -> Self {
        const FORBIDDEN: [&str; 3] = ["y_true", "y_pred", "labels"];
        let parsed = if FORBIDDEN.contains(&name) {
            Err(forbidden("ConfusionMatrix", name, &FORBIDDEN))
        } else if name != "normalize" {
            Err(unsupported("ConfusionMatrix", name, &["normalize"]))
        } else {
            match value.into() {
                KwargValue::Text(s) => s.parse::<Normalize>(),
                other => Err(bad_value("ConfusionMatrix", name, &other, "\"true\", \"pred\" or \"all\"")),
            }
        };
        self.with_metric(|m| match parsed {
            Ok(normalize) => m.normalize = normalize,
            Err(e) => m.invalid.record(e),
        })
    }
}

impl ConfusionMatrixMetric {
    fn matrix(&self, counts: &LabelCounts) -> LogValue {
        let labels: Vec<i64> = (0..self.num_classes as i64).collect();
        let mut m = counts.matrix(&labels);
        let zero_to_nan_free = |x: f64| if x.is_finite() { x } else { 0.0 };
        match self.normalize {
            Normalize::None => {}
            Normalize::True => {
                let sums = m.sum_axis(ndarray::Axis(1)).insert_axis(ndarray::Axis(1));
                m = (&m / &sums).mapv(zero_to_nan_free);
            }
            Normalize::Pred => {
                let sums = m.sum_axis(ndarray::Axis(0)).insert_axis(ndarray::Axis(0));
                m = (&m / &sums).mapv(zero_to_nan_free);
            }
            Normalize::All => {
                let total = m.sum();
                m = m.mapv(|x| zero_to_nan_free(x / total));
            }
        }
        LogValue::Array(m.into_dyn())
    }
}

impl LabelMetric for ConfusionMatrixMetric {
    const NAME: &'static str = "ConfusionMatrix";

    fn check(&self, _io: &OpIo) -> Result<()> {
        self.invalid.result()
    }

    fn score(&self, counts: &LabelCounts, _io: &OpIo) -> Result<LogValue> {
        Ok(self.matrix(counts))
    }
}
