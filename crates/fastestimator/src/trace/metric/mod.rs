//! Metric traces (FE's `fe.trace.metric`): computed over an epoch, written at its end.

mod accuracy;

pub use accuracy::Accuracy;
