//! `MCC`: the Matthews correlation coefficient over an epoch (scikit-learn's `matthews_corrcoef`).

use crate::error::Result;
use crate::op::OpIo;
use crate::summary::LogValue;

use super::classification::{LabelCounts, LabelMetric};
use super::kwarg::{forbidden, unsupported, Deferred, KwargValue};
use super::metric_trace::MetricTrace;

/// Matthews correlation coefficient of `pred_key` against `true_key` over an epoch (FE's `MCC`).
///
/// Labels follow FE's rules (one-hot and multi-class scores argmaxed, a single column rounded).
/// The multi-class form of scikit-learn's `matthews_corrcoef` is used, which for two classes is
/// `(tp·tn − fp·fn) / √((tp+fp)(tp+fn)(tn+fp)(tn+fn))`; a zero denominator gives 0. Runs in eval
/// and test by default and writes `"mcc"` (and `"mcc|ds_id"` per dataset).
///
/// ```
/// use fastestimator::trace::metric::MCC;
/// let m = MCC::new("y", "y_pred").output_name("matthews");
/// # let _ = m;
/// ```
pub type MCC = MetricTrace<MCCMetric>;

/// The metric behind [`MCC`].
#[derive(Debug, Clone, Default)]
pub struct MCCMetric {
    invalid: Deferred,
}

impl MCC {
    /// MCC written as `"mcc"`.
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        MetricTrace::from_metric(
            MCCMetric::default(),
            OpIo::new([true_key, pred_key], "mcc").with_default_mode("eval,test"),
        )
    }

    /// An extra keyword argument for `matthews_corrcoef`, as FE forwards `**kwargs`. `y_true` and
    /// `y_pred` are set by the trace (an error, as in FE); `sample_weight` is not supported. The
    /// error is reported as [`FeError::InvalidParameter`](crate::FeError) when the trace is bound
    /// (or [validated](MetricTrace::validate)).
    pub fn kwarg(self, name: &str, _value: impl Into<KwargValue>) -> Self {
        const FORBIDDEN: [&str; 2] = ["y_true", "y_pred"];
        let error =
            if FORBIDDEN.contains(&name) { forbidden("MCC", name, &FORBIDDEN) } else { unsupported("MCC", name, &[]) };
        self.with_metric(|m| m.invalid.record(error))
    }
}

/// scikit-learn's multi-class MCC from the confusion matrix over every label seen.
pub(crate) fn matthews_corrcoef(counts: &LabelCounts) -> f64 {
    let c = counts.matrix(&counts.labels());
    let t_sum = c.sum_axis(ndarray::Axis(1));
    let p_sum = c.sum_axis(ndarray::Axis(0));
    let n_correct: f64 = c.diag().sum();
    let n_samples = p_sum.sum();
    let cov_ytyp = n_correct * n_samples - t_sum.dot(&p_sum);
    let cov_ypyp = n_samples * n_samples - p_sum.dot(&p_sum);
    let cov_ytyt = n_samples * n_samples - t_sum.dot(&t_sum);
    if cov_ypyp * cov_ytyt == 0.0 {
        return 0.0;
    }
    cov_ytyp / (cov_ytyt * cov_ypyp).sqrt()
}

impl LabelMetric for MCCMetric {
    const NAME: &'static str = "MCC";

    fn check(&self, _io: &OpIo) -> Result<()> {
        self.invalid.result()
    }

    fn score(&self, counts: &LabelCounts, _io: &OpIo) -> Result<LogValue> {
        Ok(matthews_corrcoef(counts).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiclass_mcc_by_hand() {
        // C = [[2,1,0],[0,1,1],[1,0,2]]: t=[3,2,3], p=[3,2,3], correct=5, n=8
        // cov_ytyp = 5*8 - (9+4+9) = 18; cov_yy = 64 - 22 = 42 -> 18/42
        let mut c = LabelCounts::default();
        c.add(&[0, 0, 0, 1, 1, 2, 2, 2], &[0, 0, 1, 1, 2, 0, 2, 2], false);
        assert!((matthews_corrcoef(&c) - 18.0 / 42.0).abs() < 1e-15);
        let mut same = LabelCounts::default();
        same.add(&[1, 1], &[1, 1], true);
        assert_eq!(matthews_corrcoef(&same), 0.0);
    }
}
