//! `BatchDataset`: every item is a whole batch drawn from several datasets (FE's
//! `fe.dataset.BatchDataset`).

use std::sync::Arc;

use rand::Rng;

use super::epoch_order::{Draws, Orders};
use super::{Dataset, SampleGroup};
use crate::error::{FeError, Result};
use crate::util::seeded_rng;
use crate::value::Sample;

/// A dataset whose items are batches mixed from several datasets (FE's
/// `BatchDataset(datasets, num_samples, probability=None)`), for imbalanced training and
/// domain adaptation:
///
/// 1. **Unpaired**: datasets with disjoint keys (say `{"A"}` and `{"B"}`) and equal
///    `num_samples`: each batch row joins one sample of each, `{"A": [n, ...], "B": [n, ...]}`.
/// 2. **Fixed counts**: datasets with the same keys: a batch holds `num_samples[i]` samples of
///    dataset `i` (class-balanced sampling).
/// 3. **Probabilities** ([`BatchDataset::with_probability`]): datasets with the same keys: each
///    of the `num_samples` rows comes from dataset `i` with probability `probability[i]`.
///
/// Samples are drawn without replacement within an epoch, from a seeded per-epoch permutation of
/// each dataset (see the `epoch_order` notes in [`super`]); an epoch has
/// `max_i ceil(len_i / num_samples_i)` batches (with probabilities, `ceil(len_i / n / p_i)`).
///
/// A member whose items are groups of samples (a grouped dataset, FE's "list" items)
/// contributes a whole group per draw: with `num_samples = [2, 1]`, a plain member and a member
/// whose items hold 5 samples give batches of 7.
///
/// **Using it with a Pipeline.** It is a grouped dataset (see [`super`]): each item is one step.
/// The Pipeline runs its per-sample ops on every sample, collates them with its `Batch` op (whose
/// `batch_size` is ignored) or a plain one, then runs the per-batch ops. `get` returns the
/// collated batch and [`BatchDataset::get_samples`] the samples, for direct use.
///
/// ```
/// use std::sync::Arc;
/// use fastestimator::dataset::{BatchDataset, Dataset, NumpyDataset};
/// use fastestimator::Value;
/// let a = NumpyDataset::new([("x", Value::from(vec![0i64; 10]))]).unwrap();
/// let b = NumpyDataset::new([("x", Value::from(vec![1i64; 30]))]).unwrap();
/// let ds = BatchDataset::new(vec![Arc::new(a), Arc::new(b)], [2, 6]).unwrap().seed(0);
/// assert_eq!(ds.len(), 5);
/// assert_eq!(ds.get(0).unwrap()["x"], Value::from(vec![0i64, 0, 1, 1, 1, 1, 1, 1]));
/// ```
pub struct BatchDataset {
    datasets: Vec<Arc<dyn Dataset>>,
    num_samples: Vec<usize>,
    probability: Option<Vec<f64>>,
    same_feature: bool,
    seed: u64,
    orders: Orders,
    draws: Draws,
    pad_value: Option<f64>,
}

impl BatchDataset {
    /// Fixed counts: `num_samples[i]` samples of `datasets[i]` per batch (paired when the
    /// datasets share their keys, unpaired when their keys are disjoint; then all counts must be
    /// equal).
    pub fn new(datasets: Vec<Arc<dyn Dataset>>, num_samples: impl Into<Vec<usize>>) -> Result<BatchDataset> {
        Self::build(datasets, num_samples.into(), None)
    }

    /// Probabilities: `num_samples` rows per batch, each from dataset `i` with probability
    /// `probability[i]` (the datasets must share their keys; probabilities are positive and sum
    /// to 1).
    pub fn with_probability(
        datasets: Vec<Arc<dyn Dataset>>,
        num_samples: usize,
        probability: impl Into<Vec<f64>>,
    ) -> Result<BatchDataset> {
        Self::build(datasets, vec![num_samples], Some(probability.into()))
    }

    fn build(
        datasets: Vec<Arc<dyn Dataset>>,
        num_samples: Vec<usize>,
        probability: Option<Vec<f64>>,
    ) -> Result<BatchDataset> {
        let param = |p: &str, r: String| FeError::param("BatchDataset", p, r);
        if datasets.len() < 2 {
            return Err(param("datasets", "must provide multiple datasets as input".into()));
        }
        if num_samples.contains(&0) {
            return Err(param("num_samples", "only positive counts are accepted".into()));
        }
        let mut key_sets = Vec::with_capacity(datasets.len());
        for (i, ds) in datasets.iter().enumerate() {
            if ds.is_empty() {
                return Err(param("datasets", format!("dataset {i} is empty")));
            }
            let keys: Vec<String> = ds.get(0)?.keys().cloned().collect();
            if keys.is_empty() {
                return Err(param("datasets", format!("found no key in dataset {i}")));
            }
            key_sets.push(keys);
        }
        let same = |a: &[String], b: &[String]| a.len() == b.len() && a.iter().all(|k| b.contains(k));
        let is_same_key = key_sets.iter().all(|k| same(k, &key_sets[0]));
        let total: usize = key_sets.iter().map(Vec::len).sum();
        let mut union: Vec<&String> = key_sets.iter().flatten().collect();
        union.sort();
        union.dedup();
        let is_disjoint = total == union.len();
        if is_same_key == is_disjoint {
            return Err(param("datasets", "dataset keys must be all the same or all disjoint".into()));
        }
        match &probability {
            Some(p) => {
                if !is_same_key {
                    return Err(param(
                        "probability",
                        "keys must be exactly the same among datasets when using probabilities".into(),
                    ));
                }
                if p.len() != datasets.len() {
                    return Err(param(
                        "probability",
                        format!("{} probabilities for {} datasets", p.len(), datasets.len()),
                    ));
                }
                if p.iter().any(|&x| x.is_nan() || x <= 0.0) || (p.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
                    return Err(param("probability", "must be positive and sum to 1".into()));
                }
            }
            None => {
                if datasets.len() != num_samples.len() {
                    return Err(param(
                        "num_samples",
                        format!("{} counts for {} datasets", num_samples.len(), datasets.len()),
                    ));
                }
                if !is_same_key && num_samples.iter().any(|&n| n != num_samples[0]) {
                    return Err(param(
                        "num_samples",
                        "the number of samples must be the same for disjoint features".into(),
                    ));
                }
            }
        }
        let seed = crate::runtime::deterministic_seed().unwrap_or_else(rand::random);
        let mut out = BatchDataset {
            datasets,
            num_samples,
            probability,
            same_feature: is_same_key,
            seed,
            orders: Orders::new(seed),
            draws: Draws::new(0),
            pad_value: None,
        };
        out.draws = Draws::new(out.len());
        Ok(out)
    }

    /// The seed of the sampling (default: the global deterministic seed if set, else random).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self.orders = Orders::new(seed);
        self
    }

    /// Pad samples of different shapes within a batch with this value (as `Batch::pad_value`).
    pub fn pad_value(mut self, value: f64) -> Self {
        self.pad_value = Some(value);
        self
    }

    /// Whether the member datasets share their keys (paired) rather than being disjoint.
    pub fn same_feature(&self) -> bool {
        self.same_feature
    }

    /// The samples of batch `index`, not collated (the n-th request of an item draws from
    /// epoch n's order; a Pipeline passes its epoch through [`Dataset::get_group`] instead).
    pub fn get_samples(&self, index: usize) -> Result<Vec<Sample>> {
        self.check_index(index)?;
        self.samples_in(index, self.draws.next(index))
    }

    fn check_index(&self, index: usize) -> Result<()> {
        if index >= self.len() {
            return Err(FeError::IndexOutOfRange { dataset: "BatchDataset".into(), index, len: self.len() });
        }
        Ok(())
    }

    /// The samples of batch `index` drawn from `epoch`'s order.
    fn samples_in(&self, index: usize, epoch: u64) -> Result<Vec<Sample>> {
        // A grouped member (an item that is a list of samples) contributes its whole group.
        let pick = |d: usize, slot: u64| -> Result<Vec<Sample>> {
            let ds = &self.datasets[d];
            let reserve = self.num_samples.get(d).copied().unwrap_or(self.num_samples[0]) as u64;
            let at = self.orders.index(d, epoch, index as u64 * reserve + slot, ds.len());
            // `get_group` passes the epoch on (an ExtendDataset member picks its subset by it).
            Ok(ds.get_group(at, epoch as usize)?.samples)
        };
        let mut items = Vec::new();
        if self.same_feature {
            let counts: Vec<usize> = match &self.probability {
                None => self.num_samples.clone(),
                Some(p) => {
                    let mut rng = seeded_rng(self.seed, &[index as u64, epoch, 0xba7c]);
                    let mut counts = vec![0usize; p.len()];
                    for _ in 0..self.num_samples[0] {
                        let u: f64 = rng.gen();
                        let mut acc = 0.0;
                        let chosen = p.iter().position(|&pi| {
                            acc += pi;
                            u < acc
                        });
                        counts[chosen.unwrap_or(p.len() - 1)] += 1;
                    }
                    counts
                }
            };
            for (d, &count) in counts.iter().enumerate() {
                for slot in 0..count as u64 {
                    items.extend(pick(d, slot)?);
                }
            }
        } else {
            for slot in 0..self.num_samples[0] as u64 {
                let mut joined = Sample::new();
                for d in 0..self.datasets.len() {
                    let mut group = pick(d, slot)?;
                    if group.len() != 1 {
                        return Err(FeError::LengthMismatch {
                            context: "BatchDataset".into(),
                            what: format!(
                                "sample per item from dataset {d} (unpaired, disjoint-key datasets give one sample per item)"
                            ),
                            expected: 1,
                            got: group.len(),
                        });
                    }
                    joined.extend(group.pop().unwrap_or_default());
                }
                items.push(joined);
            }
        }
        Ok(items)
    }
}

impl Dataset for BatchDataset {
    fn len(&self) -> usize {
        match &self.probability {
            None => self.datasets.iter().zip(&self.num_samples).map(|(d, &n)| d.len().div_ceil(n)).max().unwrap_or(0),
            Some(p) => self
                .datasets
                .iter()
                .zip(p)
                .map(|(d, &pi)| (d.len() as f64 / self.num_samples[0] as f64 / pi).ceil() as usize)
                .max()
                .unwrap_or(0),
        }
    }

    fn get(&self, index: usize) -> Result<Sample> {
        crate::value::collate_samples(self.get_samples(index)?, self.pad_value)
    }

    fn sequential(&self) -> bool {
        self.datasets.iter().any(|d| d.sequential())
    }

    fn is_grouped(&self) -> bool {
        true
    }

    fn get_group(&self, index: usize, epoch: usize) -> Result<SampleGroup> {
        self.check_index(index)?;
        Ok(SampleGroup { samples: self.samples_in(index, epoch as u64)?, ds_id: None, pad_value: self.pad_value })
    }
}

impl std::fmt::Debug for BatchDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchDataset")
            .field("len", &self.len())
            .field("num_samples", &self.num_samples)
            .field("probability", &self.probability)
            .field("same_feature", &self.same_feature)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::NumpyDataset;
    use crate::value::Value;
    use std::collections::HashSet;

    fn column(key: &str, values: Vec<i64>) -> Arc<dyn Dataset> {
        Arc::new(NumpyDataset::new([(key, Value::from(values))]).unwrap())
    }

    fn ints(v: &Value) -> Vec<i64> {
        let Value::I64(a) = v else { panic!("{v:?}") };
        a.iter().copied().collect()
    }

    #[test]
    fn fixed_counts_without_replacement() {
        let ds = BatchDataset::new(vec![column("x", (0..10).collect()), column("x", (100..130).collect())], [2, 6])
            .unwrap()
            .seed(1);
        assert_eq!(ds.len(), 5);
        let mut first = HashSet::new();
        for b in 0..ds.len() {
            let x = ints(&ds.get(b).unwrap()["x"]);
            assert_eq!(x.len(), 8);
            assert!(x[..2].iter().all(|&v| v < 10) && x[2..].iter().all(|&v| v >= 100));
            first.extend(x[..2].iter().copied());
        }
        assert_eq!(first.len(), 10, "every sample of the small dataset once per epoch");
        // A second epoch draws differently.
        let again: Vec<Vec<i64>> = (0..5).map(|b| ints(&ds.get(b).unwrap()["x"])).collect();
        let fresh = BatchDataset::new(vec![column("x", (0..10).collect()), column("x", (100..130).collect())], [2, 6])
            .unwrap()
            .seed(1);
        let epoch0: Vec<Vec<i64>> = (0..5).map(|b| ints(&fresh.get(b).unwrap()["x"])).collect();
        assert_ne!(again, epoch0);
    }

    #[test]
    fn unpaired_disjoint_keys() {
        let ds = BatchDataset::new(vec![column("A", (0..4).collect()), column("B", (10..16).collect())], [3, 3])
            .unwrap()
            .seed(0);
        assert!(!ds.same_feature());
        assert_eq!(ds.len(), 2);
        let b = ds.get(0).unwrap();
        assert_eq!(b["A"].shape(), &[3]);
        assert_eq!(b["B"].shape(), &[3]);
        assert_eq!(ds.get_samples(1).unwrap().len(), 3);
        let err = BatchDataset::new(vec![column("A", vec![0]), column("B", vec![1])], [1, 2]).err().unwrap();
        assert!(err.to_string().contains("same for disjoint"), "{err}");
    }

    #[test]
    fn probabilities() {
        let ds =
            BatchDataset::with_probability(vec![column("x", vec![0; 70]), column("x", vec![1; 30])], 10, [0.7, 0.3])
                .unwrap()
                .seed(4);
        // FE's ceil(len / n / p) = ceil(30 / 10 / 0.3) = ceil(70 / 10 / 0.7) = 10.
        assert_eq!(ds.len(), 10);
        let ones: i64 = (0..ds.len()).map(|b| ints(&ds.get(b).unwrap()["x"]).iter().sum::<i64>()).sum();
        assert!((15..=45).contains(&ones), "{ones} of 100 from the 30% dataset");
        for bad in [vec![0.5, 0.6], vec![1.0, 0.0], vec![1.0]] {
            assert!(BatchDataset::with_probability(vec![column("x", vec![0]), column("x", vec![1])], 2, bad).is_err());
        }
        assert!(
            BatchDataset::with_probability(vec![column("x", vec![0]), column("y", vec![1])], 2, [0.5, 0.5]).is_err()
        );
    }

    #[test]
    fn invalid_inputs() {
        assert!(BatchDataset::new(vec![column("x", vec![0])], [1]).is_err());
        assert!(BatchDataset::new(vec![column("x", vec![0]), column("x", vec![0])], [1, 0]).is_err());
        assert!(BatchDataset::new(vec![column("x", vec![0]), column("x", vec![0])], [1]).is_err());
        let xy: Arc<dyn Dataset> =
            Arc::new(NumpyDataset::new([("x", Value::from(vec![0i64])), ("y", Value::from(vec![0i64]))]).unwrap());
        let err = BatchDataset::new(vec![xy, column("x", vec![0])], [1, 1]).err().unwrap();
        assert!(err.to_string().contains("all the same or all disjoint"), "{err}");
        let ds = BatchDataset::new(vec![column("x", vec![0]), column("x", vec![1])], [1, 1]).unwrap();
        assert!(ds.get(5).is_err());
    }
}
