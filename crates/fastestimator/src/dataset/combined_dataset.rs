//! `CombinedDataset`: several datasets one after another (FE's `fe.dataset.CombinedDataset`).

use std::sync::Arc;

use super::{Dataset, SampleGroup};
use crate::error::{FeError, Result};
use crate::value::Sample;

/// The concatenation of datasets with the same keys (FE's `CombinedDataset(datasets)`): item
/// `i` is item `i` of the first dataset, then the second continues where the first ends, ....
///
/// ```
/// use std::sync::Arc;
/// use fastestimator::dataset::{CombinedDataset, Dataset, NumpyDataset};
/// use fastestimator::Value;
/// let a = NumpyDataset::new([("x", Value::from(vec![1i64, 2]))]).unwrap();
/// let b = NumpyDataset::new([("x", Value::from(vec![3i64]))]).unwrap();
/// let ds = CombinedDataset::new(vec![Arc::new(a), Arc::new(b)]).unwrap();
/// assert_eq!(ds.len(), 3);
/// assert_eq!(ds.get(2).unwrap()["x"], Value::from(3i64));
/// ```
pub struct CombinedDataset {
    datasets: Vec<Arc<dyn Dataset>>,
    ends: Vec<usize>,
}

impl CombinedDataset {
    /// Combine at least two datasets whose first samples have the same keys.
    pub fn new(datasets: Vec<Arc<dyn Dataset>>) -> Result<CombinedDataset> {
        if datasets.len() < 2 {
            return Err(FeError::param("CombinedDataset", "datasets", "please provide at least 2 datasets"));
        }
        let keys = |d: &Arc<dyn Dataset>| -> Result<Option<Vec<String>>> {
            if d.is_empty() {
                return Ok(None);
            }
            let mut k: Vec<String> = d.get(0)?.keys().cloned().collect();
            k.sort();
            Ok(Some(k))
        };
        let mut reference = None;
        for (i, d) in datasets.iter().enumerate() {
            if let Some(k) = keys(d)? {
                match &reference {
                    None => reference = Some(k),
                    Some(r) if *r != k => {
                        return Err(FeError::Dataset {
                            dataset: "CombinedDataset".into(),
                            reason: format!(
                                "all datasets should have the same keys: dataset {i} has {k:?}, an earlier one {r:?}"
                            ),
                        })
                    }
                    _ => {}
                }
            }
        }
        let ends = datasets
            .iter()
            .scan(0usize, |acc, d| {
                *acc += d.len();
                Some(*acc)
            })
            .collect();
        Ok(CombinedDataset { datasets, ends })
    }
}

impl CombinedDataset {
    /// The member holding item `index`, and the item's index in it.
    fn locate(&self, index: usize) -> Result<(&Arc<dyn Dataset>, usize)> {
        let d = self.ends.partition_point(|&end| end <= index);
        let Some(ds) = self.datasets.get(d) else {
            return Err(FeError::IndexOutOfRange { dataset: "CombinedDataset".into(), index, len: self.len() });
        };
        let start = if d == 0 { 0 } else { self.ends[d - 1] };
        Ok((ds, index - start))
    }
}

impl Dataset for CombinedDataset {
    fn len(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    fn get(&self, index: usize) -> Result<Sample> {
        let (ds, local) = self.locate(index)?;
        ds.get(local)
    }

    /// Grouped when any member is: a plain member's sample is then a group of one.
    fn is_grouped(&self) -> bool {
        self.datasets.iter().any(|d| d.is_grouped())
    }

    fn get_at(&self, index: usize, epoch: usize) -> Result<Sample> {
        let (ds, local) = self.locate(index)?;
        ds.get_at(local, epoch)
    }

    fn get_group(&self, index: usize, epoch: usize) -> Result<SampleGroup> {
        let (ds, local) = self.locate(index)?;
        ds.get_group(local, epoch)
    }

    fn sequential(&self) -> bool {
        self.datasets.iter().any(|d| d.sequential())
    }
}

impl std::fmt::Debug for CombinedDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CombinedDataset").field("ends", &self.ends).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::NumpyDataset;
    use crate::value::Value;

    fn ds(values: Vec<i64>) -> Arc<dyn Dataset> {
        Arc::new(NumpyDataset::new([("x", Value::from(values))]).unwrap())
    }

    #[test]
    fn concatenates_in_order() {
        let d = CombinedDataset::new(vec![ds(vec![0, 1]), ds(vec![]), ds(vec![2, 3, 4]), ds(vec![5])]).unwrap();
        assert_eq!(d.len(), 6);
        let got: Vec<Value> = (0..6).map(|i| d.get(i).unwrap()["x"].clone()).collect();
        assert_eq!(got, (0..6i64).map(Value::from).collect::<Vec<_>>());
        assert!(d.get(6).is_err());
    }

    #[test]
    fn keys_must_match() {
        let y: Arc<dyn Dataset> = Arc::new(NumpyDataset::new([("y", Value::from(vec![0i64]))]).unwrap());
        assert!(CombinedDataset::new(vec![ds(vec![0]), y]).is_err());
        assert!(CombinedDataset::new(vec![ds(vec![0])]).is_err());
    }
}
