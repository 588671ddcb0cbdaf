//! Metric traces (FE's `fe.trace.metric`): computed over an epoch, written at its end.
//!
//! Every metric runs in eval and test by default, accumulates over the epoch per dataset, and
//! writes its result(s) with log at the epoch's end: the aggregate under its output name and, when
//! the run has ds_ids, `name|ds_id` for each (`per_ds`, on by default). Everything is computed
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
mod per_ds;
mod precision;
mod prf_trace;
mod recall;

pub use accuracy::Accuracy;
pub use auc_score::AUCScore;
pub use bleu_score::BleuScore;
pub use calibration_error::{CalibrationError, CalibrationMethod};
pub use confusion_matrix::ConfusionMatrix;
pub use dice::Dice;
pub use f1_score::F1Score;
pub use kwarg::KwargValue;
pub use mcc::MCC;
pub use mean_average_precision::MeanAveragePrecision;
pub use precision::Precision;
pub use recall::Recall;
