//! Metric traces (FE's `fe.trace.metric`): computed over an epoch, written at its end.
//!
//! Every metric is a [`Metric`] (its options, per-batch reading, epoch state and result) run by
//! the one trace [`MetricTrace`], which runs in eval and test by default, accumulates over the
//! epoch per dataset, and writes the result(s) with log at the epoch's end: the aggregate under its
//! output name and, when the run has ds_ids, `name|ds_id` for each (`per_ds`, on by default). FE's
//! metric traces keep FE's names as aliases (`Accuracy` is `MetricTrace<AccuracyMetric>`). Options
//! given by FE as strings are enums that parse from FE's strings; an invalid option is reported as
//! [`FeError::InvalidParameter`](crate::FeError) when the trace is bound to the network (or
//! [validated](MetricTrace::validate)), so the builder setters never fail. Everything is computed
//! natively; the scikit-learn, nltk, `uncertainty-calibration` and COCO semantics FE relies on
//! are reproduced here.

mod accuracy;
mod auc_score;
mod bleu_score;
mod calibration_error;
mod classification;
mod confusion_matrix;
mod dice;
mod f1_score;
mod input;
mod kwarg;
mod mcc;
mod mean_average_precision;
mod metric_trace;
mod metric_trait;
mod per_ds;
mod precision;
mod prf;
mod recall;

pub use accuracy::{Accuracy, AccuracyMetric};
pub use auc_score::{AUCScore, AUCScoreMetric, Average, MultiClass};
pub use bleu_score::{BleuScore, BleuScoreMetric};
pub use calibration_error::{CalibrationError, CalibrationErrorMetric, CalibrationMethod};
pub use classification::{LabelCounts, LabelMetric, PrfScore};
pub use confusion_matrix::{ConfusionMatrix, ConfusionMatrixMetric, Normalize};
pub use dice::{Dice, DiceMetric};
pub use f1_score::{F1Score, F1ScoreKind};
pub use kwarg::KwargValue;
pub use mcc::{MCCMetric, MCC};
pub use mean_average_precision::{MeanAveragePrecision, MeanAveragePrecisionMetric};
pub use metric_trace::MetricTrace;
pub use metric_trait::{Metric, MetricBatch};
pub use precision::{Precision, PrecisionKind};
pub use prf::{PrfKind, PrfMetric};
pub use recall::{Recall, RecallKind};
