//! [`StepProfile`]: where the time of the training steps went.

use std::time::Duration;

/// Time spent in each part of the training steps of a run, summed over its steps. The Network
/// records the ops and the optimizer steps; the Estimator adds its traces' batch callbacks, and
/// [`crate::Summary::step_profile`] returns it. Warmup and evaluation steps are not counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepProfile {
    /// The ops' own work (forward passes, losses, backward passes), without optimizer steps.
    pub ops: Duration,
    /// The optimizer steps (an UpdateOp applying its gradients).
    pub optimizer: Duration,
    /// The traces' `on_batch_begin` and `on_batch_end`.
    pub traces: Duration,
    /// The training steps counted.
    pub steps: u64,
}

impl StepProfile {
    /// What is left of `total` (the training time) after `data_wait` and the parts above: the
    /// Estimator's own bookkeeping, moving batches, and the hand-over from the pipeline.
    pub fn other(&self, total: Duration, data_wait: Duration) -> Duration {
        total.saturating_sub(data_wait + self.ops + self.optimizer + self.traces)
    }
}
