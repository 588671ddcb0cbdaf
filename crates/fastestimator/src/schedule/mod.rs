//! Schedulers (FE's `fe.schedule`): values that change with the epoch, and learning-rate
//! schedules.

mod epoch_scheduler;
mod lr_schedule;
mod repeat_scheduler;

pub use epoch_scheduler::EpochScheduler;
pub use lr_schedule::{cosine_decay, linear_decay, step_decay, warmup};
pub use repeat_scheduler::RepeatScheduler;

/// Something whose value depends on the epoch.
pub trait Scheduler<T> {
    /// The value for `epoch` (1-based); `None` means "nothing this epoch".
    fn get_current_value(&self, epoch: usize) -> Option<&T>;
    /// Every value the scheduler can take, in order (including `None`s).
    fn get_all_values(&self) -> Vec<Option<&T>>;
    /// Epochs at which the value changes, within `1..=total_epochs` (always includes 1).
    fn signature_epochs(&self, total_epochs: usize) -> Vec<usize>;
}

/// The epochs at which any of several schedules changes (FE's `get_signature_epochs`): the run
/// is planned and warmed up at each of them.
pub fn get_signature_epochs(change_points: &[Vec<usize>], total_epochs: usize) -> Vec<usize> {
    let mut epochs: Vec<usize> =
        change_points.iter().flatten().copied().filter(|&e| e >= 1 && e <= total_epochs).collect();
    epochs.push(1);
    epochs.sort_unstable();
    epochs.dedup();
    epochs
}
