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

/// A value that is either fixed or scheduled by epoch; what `Pipeline`, `Network` and `fe::build`
/// accept wherever FE accepts a Scheduler.
#[derive(Debug, Clone)]
pub enum Schedule<T> {
    /// The same value every epoch.
    Fixed(T),
    /// Switches at given epochs.
    Epoch(EpochScheduler<T>),
    /// Cycles with the epoch.
    Repeat(RepeatScheduler<T>),
}

impl<T> Schedule<T> {
    /// Index of the value in effect at `epoch` among the schedule's values, `None` entries counted
    /// (`None`: nothing is in effect).
    pub fn index_at(&self, epoch: usize) -> Option<usize> {
        match self {
            Schedule::Fixed(_) => Some(0),
            Schedule::Epoch(s) => s.index_at(epoch),
            Schedule::Repeat(s) => s.index_at(epoch),
        }
    }

    /// The value in effect at `epoch`.
    pub fn at(&self, epoch: usize) -> Option<&T> {
        let i = self.index_at(epoch)?;
        self.values().get(i).copied().flatten()
    }

    /// The value in effect at `epoch`, mutably.
    pub fn at_mut(&mut self, epoch: usize) -> Option<&mut T> {
        let i = self.index_at(epoch)?;
        match self {
            Schedule::Fixed(v) => Some(v),
            Schedule::Epoch(s) => s.values_mut().into_iter().nth(i).and_then(Option::as_mut),
            Schedule::Repeat(s) => s.values_mut().into_iter().nth(i).and_then(Option::as_mut),
        }
    }

    /// Every value (None entries skipped).
    pub fn all(&self) -> Vec<&T> {
        match self {
            Schedule::Fixed(v) => vec![v],
            Schedule::Epoch(s) => s.get_all_values().into_iter().flatten().collect(),
            Schedule::Repeat(s) => s.get_all_values().into_iter().flatten().collect(),
        }
    }

    /// Every value, mutably (None entries skipped).
    pub fn all_mut(&mut self) -> Vec<&mut T> {
        match self {
            Schedule::Fixed(v) => vec![v],
            Schedule::Epoch(s) => s.values_mut().into_iter().filter_map(Option::as_mut).collect(),
            Schedule::Repeat(s) => s.values_mut().into_iter().filter_map(Option::as_mut).collect(),
        }
    }

    fn values(&self) -> Vec<Option<&T>> {
        match self {
            Schedule::Fixed(v) => vec![Some(v)],
            Schedule::Epoch(s) => s.get_all_values(),
            Schedule::Repeat(s) => s.get_all_values(),
        }
    }

    /// Epochs where the value changes (for planning).
    pub fn change_epochs(&self, total_epochs: usize) -> Vec<usize> {
        match self {
            Schedule::Fixed(_) => vec![1],
            Schedule::Epoch(s) => s.signature_epochs(total_epochs),
            Schedule::Repeat(s) => s.signature_epochs(total_epochs),
        }
    }
}

impl<T> From<EpochScheduler<T>> for Schedule<T> {
    fn from(s: EpochScheduler<T>) -> Self {
        Schedule::Epoch(s)
    }
}

impl<T> From<RepeatScheduler<T>> for Schedule<T> {
    fn from(s: RepeatScheduler<T>) -> Self {
        Schedule::Repeat(s)
    }
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
