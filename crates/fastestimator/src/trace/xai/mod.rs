//! Explainability traces (FE's `fe.trace.xai`): how a metric evolves per label
//! ([`LabelTracker`]) and per instance ([`InstanceTracker`]).

mod instance_tracker;
mod label_tracker;
mod plot;

pub use instance_tracker::{InstancePoint, InstanceTracker};
pub use label_tracker::{Bounds, LabelPoint, LabelTracker};
