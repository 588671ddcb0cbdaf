//! `RepeatScheduler`: values that cycle with the epoch.

use super::Scheduler;
use crate::error::{FeError, Result};

/// `repeat_list[(epoch - 1) % len]` (FE's `RepeatScheduler`; at least two entries).
///
/// ```
/// use fastestimator::schedule::{RepeatScheduler, Scheduler};
/// let s = RepeatScheduler::new(vec![Some("a"), Some("b"), Some("c")]).unwrap();
/// assert_eq!(s.get_current_value(4), Some(&"a"));
/// ```
#[derive(Debug, Clone)]
pub struct RepeatScheduler<T> {
    repeat_list: Vec<Option<T>>,
}

impl<T> RepeatScheduler<T> {
    /// Cycle through `repeat_list` (length ≥ 2).
    pub fn new(repeat_list: Vec<Option<T>>) -> Result<Self> {
        if repeat_list.len() < 2 {
            return Err(FeError::param("RepeatScheduler", "repeat_list", "needs at least 2 entries"));
        }
        Ok(RepeatScheduler { repeat_list })
    }
}

impl<T> RepeatScheduler<T> {
    /// Position of the entry in effect at `epoch`.
    pub fn index_at(&self, epoch: usize) -> Option<usize> {
        Some((epoch.max(1) - 1) % self.repeat_list.len())
    }

    /// The values.
    pub fn into_list(self) -> Vec<Option<T>> {
        self.repeat_list
    }

    /// The values, mutably.
    pub fn values_mut(&mut self) -> Vec<&mut Option<T>> {
        self.repeat_list.iter_mut().collect()
    }
}

impl<T> Scheduler<T> for RepeatScheduler<T> {
    fn get_current_value(&self, epoch: usize) -> Option<&T> {
        self.repeat_list[(epoch.max(1) - 1) % self.repeat_list.len()].as_ref()
    }

    fn get_all_values(&self) -> Vec<Option<&T>> {
        self.repeat_list.iter().map(Option::as_ref).collect()
    }

    fn signature_epochs(&self, total_epochs: usize) -> Vec<usize> {
        (1..=self.repeat_list.len().min(total_epochs.max(1))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fe_facts() {
        let s = RepeatScheduler::new(vec![Some(1), Some(2), Some(2)]).unwrap();
        assert_eq!(s.get_current_value(2), Some(&2));
        assert_eq!(s.get_all_values(), vec![Some(&1), Some(&2), Some(&2)]);
        let abc = RepeatScheduler::new(vec![Some("a"), Some("b"), Some("c")]).unwrap();
        let got: Vec<_> = (1..=4).map(|e| *abc.get_current_value(e).unwrap()).collect();
        assert_eq!(got, ["a", "b", "c", "a"]);
        assert!(RepeatScheduler::new(vec![Some(1)]).is_err());
    }
}
