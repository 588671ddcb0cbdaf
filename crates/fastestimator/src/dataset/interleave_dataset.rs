//! `InterleaveDataset`: step-wise alternation between datasets (FE's
//! `fe.dataset.InterleaveDataset`).

use std::sync::Arc;

use super::epoch_order::{Draws, Orders};
use super::{Dataset, SampleGroup};
use crate::error::{FeError, Result};
use crate::value::Sample;

/// A dataset whose items are batches taken from its member datasets in turn, following a
/// pattern (FE's `InterleaveDataset(datasets, pattern=None)`), for multi-task training that
/// switches dataset from one step to the next.
///
/// With `[ds1, ds2]` and the default pattern `[0, 1]`, item 0 is a batch of `ds1`, item 1 a batch
/// of `ds2`, item 2 of `ds1`, .... `pattern = [0, 0, 1, 1, 1]` gives two steps of `ds1` then three
/// of `ds2`. Datasets given by name ([`InterleaveDataset::named`]) take a pattern of names, and
/// the name of the dataset behind an item is [`InterleaveDataset::ds_id`].
///
/// Each member has a batch size (default 1, see [`InterleaveDataset::batch_sizes`]). An epoch is
/// as many whole pattern cycles as the members allow, so it behaves as `drop_last = true`, as in
/// FE; members are shuffled once per epoch (see [`super::BatchDataset`] for how epochs are
/// counted).
///
/// **Using it with a Pipeline.** It is a grouped dataset (see [`super`]): each item is one step
/// whose samples the Pipeline runs through its per-sample ops, then collates. With named members,
/// the member's name is the group's ds_id, as in FE: an op with `ds_id("a")` applies only to
/// member `a`'s samples, and a `Batch` op with `ds_id("a")` sets member `a`'s batch size (and its
/// padding and per-batch ops). `get` returns the collated batch, for direct use.
///
/// ```
/// use std::sync::Arc;
/// use fastestimator::dataset::{Dataset, InterleaveDataset, NumpyDataset};
/// use fastestimator::Value;
/// let ds1 = NumpyDataset::new([("x", Value::from(vec![0i64; 10]))]).unwrap();
/// let ds2 = NumpyDataset::new([("x", Value::from(vec![1i64; 20]))]).unwrap();
/// let ds = InterleaveDataset::with_pattern(vec![Arc::new(ds1), Arc::new(ds2)], [0, 1, 1]).unwrap();
/// let from: Vec<usize> = (0..4).map(|i| ds.dataset_index(i)).collect();
/// assert_eq!(from, vec![0, 1, 1, 0]);
/// ```
pub struct InterleaveDataset {
    datasets: Vec<Arc<dyn Dataset>>,
    tags: Vec<Option<String>>,
    pattern: Vec<usize>,
    frequency: Vec<usize>,
    orders: Orders,
    /// The per-member batch sizes (default 1 each). A Pipeline reads a view of the dataset with
    /// the sizes its `Batch` ops give ([`Dataset::with_member_batch_sizes`]); a member it gives
    /// no size keeps this one.
    batch_sizes: Vec<usize>,
    /// The epoch length the batch sizes allow; `None` when they do not fit the members (the
    /// error is reported where the dataset is read or resized).
    len: Option<usize>,
    /// How often each item was requested through `get` (see `epoch_order`).
    draws: Draws,
}

impl InterleaveDataset {
    /// Round-robin over the datasets.
    pub fn new(datasets: Vec<Arc<dyn Dataset>>) -> Result<InterleaveDataset> {
        let pattern = (0..datasets.len()).collect();
        Self::build(datasets, vec![None; 0], pattern)
    }

    /// Follow `pattern`, a list of dataset indices.
    pub fn with_pattern(datasets: Vec<Arc<dyn Dataset>>, pattern: impl Into<Vec<usize>>) -> Result<InterleaveDataset> {
        let pattern = pattern.into();
        Self::check_pattern_len(&pattern)?;
        if let Some(&bad) = pattern.iter().find(|&&p| p >= datasets.len()) {
            return Err(FeError::param(
                "InterleaveDataset",
                "pattern",
                format!("pattern index {bad} does not match a dataset; available indexes are 0..{}", datasets.len()),
            ));
        }
        Self::build(datasets, Vec::new(), pattern)
    }

    /// Named datasets, round-robin in the given order.
    pub fn named<S: Into<String>>(datasets: Vec<(S, Arc<dyn Dataset>)>) -> Result<InterleaveDataset> {
        let (tags, datasets): (Vec<String>, Vec<_>) = datasets.into_iter().map(|(k, v)| (k.into(), v)).unzip();
        let pattern = (0..datasets.len()).collect();
        Self::build(datasets, tags.into_iter().map(Some).collect(), pattern)
    }

    /// Named datasets following a pattern of names.
    pub fn named_with_pattern<S: Into<String>>(
        datasets: Vec<(S, Arc<dyn Dataset>)>,
        pattern: &[&str],
    ) -> Result<InterleaveDataset> {
        let (tags, datasets): (Vec<String>, Vec<_>) = datasets.into_iter().map(|(k, v)| (k.into(), v)).unzip();
        let indices = pattern
            .iter()
            .map(|name| {
                tags.iter().position(|t| t == name).ok_or_else(|| {
                    FeError::param(
                        "InterleaveDataset",
                        "pattern",
                        format!("pattern name {name:?} is not a dataset name; available names are {tags:?}"),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Self::check_pattern_len(&indices)?;
        Self::build(datasets, tags.into_iter().map(Some).collect(), indices)
    }

    fn check_pattern_len(pattern: &[usize]) -> Result<()> {
        if pattern.len() < 2 {
            return Err(FeError::param("InterleaveDataset", "pattern", "length of pattern must be greater than 1"));
        }
        Ok(())
    }

    fn build(
        datasets: Vec<Arc<dyn Dataset>>,
        tags: Vec<Option<String>>,
        pattern: Vec<usize>,
    ) -> Result<InterleaveDataset> {
        if datasets.len() < 2 {
            return Err(FeError::param("InterleaveDataset", "datasets", "requires more than one dataset"));
        }
        let frequency: Vec<usize> = (0..datasets.len()).map(|d| pattern.iter().filter(|&&p| p == d).count()).collect();
        if frequency.contains(&0) {
            return Err(FeError::param("InterleaveDataset", "pattern", "not every dataset appears in the pattern"));
        }
        let tags = if tags.is_empty() { vec![None; datasets.len()] } else { tags };
        let seed = crate::runtime::deterministic_seed().unwrap_or_else(rand::random);
        let batch_sizes = vec![1; datasets.len()];
        let len = Self::epoch_len(&datasets, &frequency, pattern.len(), &batch_sizes)?;
        Ok(InterleaveDataset {
            datasets,
            tags,
            pattern,
            frequency,
            orders: Orders::new(seed),
            batch_sizes,
            len: Some(len),
            draws: Draws::new(len),
        })
    }

    /// The epoch length that per-member `batch_sizes` allow: as many whole pattern cycles as
    /// every member can fill.
    fn epoch_len(
        datasets: &[Arc<dyn Dataset>],
        frequency: &[usize],
        pattern_len: usize,
        batch_sizes: &[usize],
    ) -> Result<usize> {
        if batch_sizes.len() != datasets.len() || batch_sizes.contains(&0) {
            return Err(FeError::param("InterleaveDataset", "batch_sizes", "one positive batch size per dataset"));
        }
        let cycles = datasets
            .iter()
            .zip(frequency)
            .zip(batch_sizes)
            .map(|((d, &f), &bs)| f.checked_mul(bs).map_or(0, |n| d.len() / n))
            .min()
            .unwrap_or(0);
        if cycles == 0 {
            return Err(FeError::param(
                "InterleaveDataset",
                "datasets",
                format!(
                    "some dataset does not have enough samples for a single repeat of the pattern with batch sizes \
                     {batch_sizes:?}; consider ExtendDataset"
                ),
            ));
        }
        Ok(cycles * pattern_len)
    }

    /// A copy with other per-member batch sizes (the same members, pattern and seed).
    fn resized(&self, batch_sizes: Vec<usize>) -> Result<InterleaveDataset> {
        let len = Self::epoch_len(&self.datasets, &self.frequency, self.pattern.len(), &batch_sizes)?;
        Ok(InterleaveDataset {
            datasets: self.datasets.clone(),
            tags: self.tags.clone(),
            pattern: self.pattern.clone(),
            frequency: self.frequency.clone(),
            orders: self.orders.clone(),
            batch_sizes,
            len: Some(len),
            draws: Draws::new(len),
        })
    }

    /// The epoch length, or why the own batch sizes do not fit the members.
    fn checked_len(&self) -> Result<usize> {
        match self.len {
            Some(len) => Ok(len),
            None => Self::epoch_len(&self.datasets, &self.frequency, self.pattern.len(), &self.batch_sizes),
        }
    }

    /// Give every member the same batch size.
    ///
    /// A size the members cannot fill is reported where the dataset is used (see
    /// [`InterleaveDataset::batch_sizes`]).
    pub fn batch_size(self, batch_size: usize) -> InterleaveDataset {
        let n = self.datasets.len();
        self.batch_sizes(vec![batch_size; n])
    }

    /// Per-member batch sizes. In a Pipeline, `Batch` ops with a member's name as `ds_id`
    /// override them (FE takes them from those ops).
    ///
    /// Sizes are checked where they are used, not here: when they are not one positive size
    /// per member, or some member cannot fill one pattern cycle with them, the dataset reads as
    /// empty ([`Dataset::len`] is 0), and reading an item or planning a Pipeline epoch that
    /// keeps these sizes returns [`FeError::InvalidParameter`] for `batch_sizes` or `datasets`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use fastestimator::dataset::{Dataset, InterleaveDataset, NumpyDataset};
    /// use fastestimator::Value;
    /// let member = |n: i64| Arc::new(NumpyDataset::new([("x", Value::from(vec![n; 6]))]).unwrap()) as Arc<dyn Dataset>;
    /// let ds = InterleaveDataset::new(vec![member(0), member(1)]).unwrap().batch_sizes([2, 3]);
    /// assert_eq!(ds.len(), 4); // 6 / 2 = 3 and 6 / 3 = 2 batches: two cycles of two steps
    /// let too_big = InterleaveDataset::new(vec![member(0), member(1)]).unwrap().batch_size(7);
    /// assert!(too_big.get(0).is_err());
    /// ```
    pub fn batch_sizes(mut self, batch_sizes: impl Into<Vec<usize>>) -> InterleaveDataset {
        self.batch_sizes = batch_sizes.into();
        self.len = Self::epoch_len(&self.datasets, &self.frequency, self.pattern.len(), &self.batch_sizes).ok();
        self.draws = Draws::new(self.len.unwrap_or(0));
        self
    }

    /// The per-member batch sizes.
    pub fn member_batch_sizes(&self) -> Vec<usize> {
        self.batch_sizes.clone()
    }

    /// The seed of the per-epoch shuffles (default: the global deterministic seed if set, else
    /// random).
    pub fn seed(mut self, seed: u64) -> Self {
        self.orders = Orders::new(seed);
        self
    }

    /// Which member dataset item `index` comes from.
    pub fn dataset_index(&self, index: usize) -> usize {
        self.pattern[index % self.pattern.len()]
    }

    /// The name of the member dataset behind item `index` (named datasets only): FE uses it as
    /// the item's ds_id.
    pub fn ds_id(&self, index: usize) -> Option<&str> {
        self.tags[self.dataset_index(index)].as_deref()
    }

    /// The samples of item `index`, not collated (the n-th request of an item draws from
    /// epoch n's order; a Pipeline passes its epoch through [`Dataset::get_group`] instead).
    pub fn get_samples(&self, index: usize) -> Result<Vec<Sample>> {
        self.samples_in(index, None)
    }

    /// The samples of item `index` drawn from `epoch`'s order (or the request count's).
    fn samples_in(&self, index: usize, epoch: Option<u64>) -> Result<Vec<Sample>> {
        let len = self.checked_len()?;
        if index >= len {
            return Err(FeError::IndexOutOfRange { dataset: "InterleaveDataset".into(), index, len });
        }
        let epoch = epoch.unwrap_or_else(|| self.draws.next(index));
        let (cycle, pos) = (index / self.pattern.len(), index % self.pattern.len());
        let d = self.pattern[pos];
        let bs = self.batch_sizes[d];
        let earlier = self.pattern[..pos].iter().filter(|&&p| p == d).count();
        let start = (cycle * self.frequency[d] + earlier) * bs;
        let ds = &self.datasets[d];
        let mut samples = Vec::with_capacity(bs);
        for p in start..start + bs {
            // `get_group` passes the epoch on (an ExtendDataset member picks its subset by it).
            samples.extend(ds.get_group(self.orders.index(d, epoch, p as u64, ds.len()), epoch as usize)?.samples);
        }
        Ok(samples)
    }
}

impl Dataset for InterleaveDataset {
    fn len(&self) -> usize {
        self.len.unwrap_or(0)
    }

    fn get(&self, index: usize) -> Result<Sample> {
        crate::value::collate_samples(self.get_samples(index)?, None)
    }

    fn sequential(&self) -> bool {
        self.datasets.iter().any(|d| d.sequential())
    }

    fn is_grouped(&self) -> bool {
        true
    }

    fn get_group(&self, index: usize, epoch: usize) -> Result<SampleGroup> {
        let samples = self.samples_in(index, Some(epoch as u64))?;
        Ok(SampleGroup { samples, ds_id: self.ds_id(index).map(str::to_string), pad_value: None })
    }

    fn member_ds_ids(&self) -> Vec<Option<String>> {
        self.tags.clone()
    }

    fn with_member_batch_sizes(&self, sizes: &[Option<usize>]) -> Result<Option<Arc<dyn Dataset>>> {
        if sizes.len() != self.datasets.len() {
            return Err(FeError::LengthMismatch {
                context: "InterleaveDataset".into(),
                what: "member batch sizes (one per member)".into(),
                expected: self.datasets.len(),
                got: sizes.len(),
            });
        }
        if self.batch_sizes.len() != self.datasets.len() {
            // The own sizes do not match the members: report them even where all are overridden.
            self.checked_len()?;
        }
        let sizes = sizes.iter().zip(&self.batch_sizes).map(|(s, &own)| s.unwrap_or(own)).collect();
        Ok(Some(Arc::new(self.resized(sizes)?)))
    }
}

impl std::fmt::Debug for InterleaveDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterleaveDataset")
            .field("len", &self.len)
            .field("pattern", &self.pattern)
            .field("tags", &self.tags)
            .field("batch_sizes", &self.batch_sizes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::NumpyDataset;
    use crate::value::Value;

    fn ds(n: usize, offset: i64) -> Arc<dyn Dataset> {
        Arc::new(
            NumpyDataset::new([("x", Value::from((0..n as i64).map(|i| i + offset).collect::<Vec<_>>()))]).unwrap(),
        )
    }

    fn from(ds: &InterleaveDataset, i: usize) -> usize {
        let Value::I64(a) = &ds.get(i).unwrap()["x"] else { panic!() };
        usize::from(a[0] >= 100)
    }

    /// FE_REFERENCE §6 facts (case 27).
    #[test]
    fn fe_facts() {
        let d = InterleaveDataset::new(vec![ds(10, 0), ds(20, 100)]).unwrap();
        assert_eq!(d.len(), 20);
        assert_eq!([from(&d, 0), from(&d, 1), from(&d, 4), from(&d, 9)], [0, 1, 0, 1]);
        let d = InterleaveDataset::with_pattern(vec![ds(10, 0), ds(20, 100)], [0, 1, 1]).unwrap();
        assert_eq!((0..4).map(|i| from(&d, i)).collect::<Vec<_>>(), vec![0, 1, 1, 0]);
        let d = InterleaveDataset::named_with_pattern(
            vec![("ds1", ds(10, 0)), ("ds2", ds(20, 100))],
            &["ds2", "ds2", "ds1"],
        )
        .unwrap();
        assert_eq!((0..4).map(|i| from(&d, i)).collect::<Vec<_>>(), vec![1, 1, 0, 1]);
        assert_eq!(d.ds_id(2), Some("ds1"));
        assert!(InterleaveDataset::with_pattern(vec![ds(10, 0), ds(20, 100)], [0, 2]).is_err());
        assert!(InterleaveDataset::named_with_pattern(vec![("ds1", ds(10, 0)), ("ds2", ds(20, 100))], &["ds1", "ds3"])
            .is_err());
    }

    #[test]
    fn batch_sizes_and_epoch_coverage() {
        let d = InterleaveDataset::new(vec![ds(8, 0), ds(30, 100)]).unwrap().batch_sizes([2, 3]).seed(2);
        // ds1 affords 8 / 2 = 4 cycles, ds2 30 / 3 = 10: 4 cycles of 2 steps.
        assert_eq!(d.len(), 8);
        let mut seen = Vec::new();
        for i in (0..8).step_by(2) {
            let Value::I64(a) = &d.get(i).unwrap()["x"] else { panic!() };
            assert_eq!(a.len(), 2);
            seen.extend(a.iter().copied());
        }
        seen.sort();
        assert_eq!(seen, (0..8).collect::<Vec<_>>());
        assert_eq!(d.get(1).unwrap()["x"].shape(), &[3]);
        // Batch sizes that do not fit are reported where the dataset is used.
        let too_big = InterleaveDataset::new(vec![ds(1, 0), ds(3, 0)]).unwrap().batch_size(2);
        assert_eq!(too_big.len(), 0);
        let err = too_big.get(0).unwrap_err();
        assert!(matches!(&err, FeError::InvalidParameter { param, .. } if param == "datasets"), "{err}");
        let err = too_big.with_member_batch_sizes(&[None, None]).err().unwrap();
        assert!(matches!(&err, FeError::InvalidParameter { param, .. } if param == "datasets"), "{err}");
        let resized = too_big.with_member_batch_sizes(&[Some(1), Some(1)]).unwrap().unwrap();
        assert_eq!(resized.len(), 2);
        let wrong_count = InterleaveDataset::new(vec![ds(4, 0), ds(4, 0)]).unwrap().batch_sizes([1, 1, 1]);
        let err = wrong_count.with_member_batch_sizes(&[Some(1), Some(1)]).err().unwrap();
        assert!(matches!(&err, FeError::InvalidParameter { param, .. } if param == "batch_sizes"), "{err}");
        let zero = InterleaveDataset::new(vec![ds(4, 0), ds(4, 0)]).unwrap().batch_sizes([0, 1]);
        assert!(matches!(zero.get(0).unwrap_err(), FeError::InvalidParameter { param, .. } if param == "batch_sizes"));
        assert!(InterleaveDataset::new(vec![ds(1, 0)]).is_err());
        assert!(InterleaveDataset::with_pattern(vec![ds(1, 0), ds(1, 0)], [0, 0]).is_err());
        assert!(d.get(8).is_err());
    }
}
