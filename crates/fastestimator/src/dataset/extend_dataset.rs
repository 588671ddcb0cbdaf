//! `ExtendDataset`: change the length of an epoch (FE's `fe.dataset.ExtendDataset`).

use std::sync::Arc;

use super::epoch_order::{Draws, Orders};
use super::{Dataset, SampleGroup};
use crate::error::{FeError, Result};
use crate::value::Sample;

/// A dataset whose epoch is `spoof_length` samples long, drawn from `dataset` (FE's
/// `ExtendDataset(dataset, spoof_length)`).
///
/// Longer than the dataset: item `i` is sample `i mod n`, so every sample appears
/// `spoof_length / n` times (rounded up or down); the pipeline's shuffle mixes them. Shorter:
/// each epoch takes a different subset, from a seeded per-epoch permutation (epochs are counted
/// per item, see [`super::BatchDataset`]).
///
/// ```
/// use std::sync::Arc;
/// use fastestimator::dataset::{Dataset, ExtendDataset, NumpyDataset};
/// use fastestimator::Value;
/// let base = NumpyDataset::new([("x", Value::from(vec![0i64, 1, 2]))]).unwrap();
/// let ds = ExtendDataset::new(Arc::new(base), 7).unwrap();
/// assert_eq!(ds.len(), 7);
/// assert_eq!(ds.get(4).unwrap()["x"], Value::from(1i64));
/// ```
pub struct ExtendDataset {
    dataset: Arc<dyn Dataset>,
    spoof_length: usize,
    orders: Orders,
    draws: Draws,
}

impl ExtendDataset {
    /// Report `spoof_length` samples per epoch (must be positive; the dataset must not be empty).
    pub fn new(dataset: Arc<dyn Dataset>, spoof_length: usize) -> Result<ExtendDataset> {
        if spoof_length == 0 {
            return Err(FeError::param("ExtendDataset", "spoof_length", "must be positive"));
        }
        if dataset.is_empty() {
            return Err(FeError::param("ExtendDataset", "dataset", "cannot extend an empty dataset"));
        }
        let seed = crate::runtime::deterministic_seed().unwrap_or_else(rand::random);
        Ok(ExtendDataset { dataset, spoof_length, orders: Orders::new(seed), draws: Draws::new(spoof_length) })
    }

    /// The seed of the per-epoch subsets when shrinking.
    pub fn seed(mut self, seed: u64) -> Self {
        self.orders = Orders::new(seed);
        self
    }

    /// The length of the wrapped dataset.
    pub fn original_len(&self) -> usize {
        self.dataset.len()
    }

    /// The index in the wrapped dataset behind item `index`. When shrinking, it comes from
    /// `epoch`'s subset, or (without an epoch) from the item's request count.
    fn base_index(&self, index: usize, epoch: Option<usize>) -> Result<usize> {
        if index >= self.spoof_length {
            return Err(FeError::IndexOutOfRange { dataset: "ExtendDataset".into(), index, len: self.spoof_length });
        }
        let n = self.dataset.len();
        if self.spoof_length >= n {
            return Ok(index % n);
        }
        let epoch = epoch.map_or_else(|| self.draws.next(index), |e| e as u64);
        Ok(self.orders.index(0, epoch, index as u64, n))
    }
}

impl Dataset for ExtendDataset {
    fn len(&self) -> usize {
        self.spoof_length
    }

    fn get(&self, index: usize) -> Result<Sample> {
        self.dataset.get(self.base_index(index, None)?)
    }

    fn is_grouped(&self) -> bool {
        self.dataset.is_grouped()
    }

    fn get_group(&self, index: usize, epoch: usize) -> Result<SampleGroup> {
        self.dataset.get_group(self.base_index(index, Some(epoch))?, epoch)
    }

    fn member_ds_ids(&self) -> Vec<Option<String>> {
        self.dataset.member_ds_ids()
    }

    fn with_member_batch_sizes(&self, sizes: &[Option<usize>]) -> Result<Option<Arc<dyn Dataset>>> {
        let Some(dataset) = self.dataset.with_member_batch_sizes(sizes)? else {
            return Ok(None);
        };
        Ok(Some(Arc::new(ExtendDataset {
            dataset,
            spoof_length: self.spoof_length,
            orders: self.orders.clone(),
            draws: Draws::new(self.spoof_length),
        })))
    }

    fn get_at(&self, index: usize, epoch: usize) -> Result<Sample> {
        self.dataset.get_at(self.base_index(index, Some(epoch))?, epoch)
    }

    fn sequential(&self) -> bool {
        self.dataset.sequential()
    }
}

impl std::fmt::Debug for ExtendDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtendDataset")
            .field("spoof_length", &self.spoof_length)
            .field("original_len", &self.dataset.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::NumpyDataset;
    use crate::value::Value;
    use std::collections::HashSet;

    fn base(n: i64) -> Arc<dyn Dataset> {
        Arc::new(NumpyDataset::new([("x", Value::from((0..n).collect::<Vec<_>>()))]).unwrap())
    }

    fn x(s: &Sample) -> i64 {
        let Value::I64(a) = &s["x"] else { panic!() };
        a[[]]
    }

    #[test]
    fn extends_and_contracts() {
        let d = ExtendDataset::new(base(3), 8).unwrap();
        let got: Vec<i64> = (0..8).map(|i| x(&d.get(i).unwrap())).collect();
        assert_eq!(got, vec![0, 1, 2, 0, 1, 2, 0, 1]);
        let d = ExtendDataset::new(base(10), 4).unwrap().seed(3);
        let epoch0: HashSet<i64> = (0..4).map(|i| x(&d.get(i).unwrap())).collect();
        let epoch1: HashSet<i64> = (0..4).map(|i| x(&d.get(i).unwrap())).collect();
        assert_eq!((epoch0.len(), epoch1.len()), (4, 4));
        assert_ne!(epoch0, epoch1);
        assert!(d.get(4).is_err());
        assert!(ExtendDataset::new(base(3), 0).is_err());
        assert!(ExtendDataset::new(base(0), 3).is_err());
    }
}
