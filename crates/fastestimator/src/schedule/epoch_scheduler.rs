//! `EpochScheduler`: a value that switches at given epochs.

use std::collections::BTreeMap;

use super::Scheduler;
use crate::error::{FeError, Result};

/// The value of the greatest key ≤ epoch; `None` before the first key or where the value is
/// `None` (FE's `EpochScheduler`).
///
/// ```
/// use fastestimator::schedule::{EpochScheduler, Scheduler};
/// let s = EpochScheduler::new(vec![(1, Some("a")), (3, Some("b")), (4, None), (100, Some("c"))]).unwrap();
/// assert_eq!(s.get_current_value(2), Some(&"a"));
/// assert_eq!(s.get_current_value(4), None);
/// assert_eq!(s.get_current_value(100), Some(&"c"));
/// ```
#[derive(Debug, Clone)]
pub struct EpochScheduler<T> {
    epoch_dict: BTreeMap<usize, Option<T>>,
}

impl<T> EpochScheduler<T> {
    /// Build from (epoch ≥ 1, value) pairs.
    pub fn new(pairs: Vec<(usize, Option<T>)>) -> Result<Self> {
        let mut epoch_dict = BTreeMap::new();
        for (epoch, value) in pairs {
            if epoch < 1 {
                return Err(FeError::param("EpochScheduler", "epoch_dict", "epochs must be at least 1"));
            }
            if epoch_dict.insert(epoch, value).is_some() {
                return Err(FeError::param("EpochScheduler", "epoch_dict", format!("epoch {epoch} given twice")));
            }
        }
        if epoch_dict.is_empty() {
            return Err(FeError::param("EpochScheduler", "epoch_dict", "needs at least one entry"));
        }
        Ok(EpochScheduler { epoch_dict })
    }

    /// Position of the entry in effect at `epoch` (`None` before the first key).
    pub fn index_at(&self, epoch: usize) -> Option<usize> {
        let key = self.get_last_key(epoch)?;
        self.epoch_dict.keys().position(|k| *k == key)
    }

    /// The values, mutably, in key order.
    pub fn values_mut(&mut self) -> Vec<&mut Option<T>> {
        self.epoch_dict.values_mut().collect()
    }

    /// The (epoch, value) pairs.
    pub fn into_pairs(self) -> Vec<(usize, Option<T>)> {
        self.epoch_dict.into_iter().collect()
    }

    /// The key in effect at `epoch` (the greatest key ≤ epoch).
    pub fn get_last_key(&self, epoch: usize) -> Option<usize> {
        self.epoch_dict.range(..=epoch).next_back().map(|(k, _)| *k)
    }
}

impl<T> Scheduler<T> for EpochScheduler<T> {
    fn get_current_value(&self, epoch: usize) -> Option<&T> {
        self.epoch_dict.range(..=epoch).next_back().and_then(|(_, v)| v.as_ref())
    }

    fn get_all_values(&self) -> Vec<Option<&T>> {
        self.epoch_dict.values().map(Option::as_ref).collect()
    }

    fn signature_epochs(&self, total_epochs: usize) -> Vec<usize> {
        let mut e: Vec<usize> = self.epoch_dict.keys().copied().filter(|&k| k <= total_epochs).collect();
        e.insert(0, 1);
        e.dedup();
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fe_facts() {
        let s = EpochScheduler::new(vec![(1, Some("a")), (3, Some("b")), (4, None), (100, Some("c"))]).unwrap();
        let at = |e| s.get_current_value(e).copied();
        assert_eq!(
            (at(1), at(2), at(3), at(4), at(99), at(100)),
            (Some("a"), Some("a"), Some("b"), None, None, Some("c"))
        );
        assert_eq!(s.get_all_values(), vec![Some(&"a"), Some(&"b"), None, Some(&"c")]);
        assert_eq!(s.get_last_key(3), Some(3));
        assert!(EpochScheduler::new(vec![(0, Some(1))]).is_err());
        assert_eq!(s.signature_epochs(10), vec![1, 3, 4]);
    }
}
