//! Adapt traces (FE's `fe.trace.adapt`): change the run as it goes.

mod early_stopping;
mod lr_scheduler;
mod reduce_lr_on_plateau;
mod terminate_on_nan;

pub use early_stopping::EarlyStopping;
pub use lr_scheduler::LRScheduler;
pub use reduce_lr_on_plateau::ReduceLROnPlateau;
pub use terminate_on_nan::TerminateOnNaN;

/// Whether larger or smaller values of a monitored metric are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Compare {
    /// Smaller is better (losses).
    Min,
    /// Larger is better (accuracy).
    Max,
}

impl Compare {
    /// Whether `current` beats `best` by more than `min_delta`.
    pub fn improves(self, current: f64, best: f64, min_delta: f64) -> bool {
        match self {
            Compare::Min => current + min_delta < best,
            Compare::Max => current - min_delta > best,
        }
    }

    /// The worst possible value (the starting "best").
    pub fn worst(self) -> f64 {
        match self {
            Compare::Min => f64::INFINITY,
            Compare::Max => f64::NEG_INFINITY,
        }
    }
}
