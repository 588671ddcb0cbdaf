//! `split`: carve part of an in-memory dataset off into a new one (FE's `FEDataset.split`).

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::{Dataset, NumpyDataset};
use crate::error::{FeError, Result};
use crate::util::FeRng;
use crate::value::Value;

/// How much to split off: a fraction of the dataset (rounded up), a count, or exact indices.
#[derive(Debug, Clone, PartialEq)]
pub enum SplitSpec {
    /// A fraction in (0, 1): `ceil(n * f)` samples.
    Fraction(f64),
    /// An exact number of samples.
    Count(usize),
    /// Exactly these sample indices.
    Indices(Vec<usize>),
}

impl From<f64> for SplitSpec {
    fn from(f: f64) -> Self {
        SplitSpec::Fraction(f)
    }
}
impl From<usize> for SplitSpec {
    fn from(n: usize) -> Self {
        SplitSpec::Count(n)
    }
}
impl From<Vec<usize>> for SplitSpec {
    fn from(v: Vec<usize>) -> Self {
        SplitSpec::Indices(v)
    }
}

impl NumpyDataset {
    /// Remove a part of this dataset and return it as a new dataset.
    ///
    /// `seed` makes the random choice reproducible (without it, the global seed from
    /// [`crate::runtime::enable_deterministic`] is used when set, else a random one). `stratify` names a
    /// class key whose class proportions both parts keep.
    ///
    /// ```
    /// use fastestimator::dataset::{Dataset, NumpyDataset};
    /// use fastestimator::Value;
    /// let mut ds = NumpyDataset::new([("x", Value::from((0..100i64).collect::<Vec<_>>()))]).unwrap();
    /// let part = ds.split(0.3, Some(42), None).unwrap();
    /// assert_eq!((ds.len(), part.len()), (70, 30));
    /// ```
    pub fn split(
        &mut self,
        spec: impl Into<SplitSpec>,
        seed: Option<u64>,
        stratify: Option<&str>,
    ) -> Result<NumpyDataset> {
        Ok(self.split_many(&[spec.into()], seed, stratify)?.remove(0))
    }

    /// Split several parts off at once (FE's `split(0.1, 0.2, ...)`); the parts are disjoint.
    pub fn split_many(
        &mut self,
        specs: &[SplitSpec],
        seed: Option<u64>,
        stratify: Option<&str>,
    ) -> Result<Vec<NumpyDataset>> {
        let n = self.len();
        let seed = seed.or_else(crate::runtime::deterministic_seed).unwrap_or_else(rand::random);
        let mut rng = FeRng::seed_from_u64(seed);
        let counts: Vec<Option<usize>> = specs
            .iter()
            .map(|s| match s {
                SplitSpec::Fraction(f) if *f > 0.0 && *f < 1.0 => Ok(Some((n as f64 * f).ceil() as usize)),
                SplitSpec::Fraction(f) => Err(FeError::param("split", "fraction", format!("{f} is not in (0, 1)"))),
                SplitSpec::Count(c) => Ok(Some(*c)),
                SplitSpec::Indices(_) => Ok(None),
            })
            .collect::<Result<_>>()?;
        let requested: usize = counts.iter().flatten().sum::<usize>()
            + specs.iter().map(|s| if let SplitSpec::Indices(v) = s { v.len() } else { 0 }).sum::<usize>();
        if requested > n {
            return Err(FeError::param(
                "split",
                "fractions",
                format!("asked for {requested} samples but the dataset has {n}"),
            ));
        }
        let mut taken = vec![false; n];
        let mut parts: Vec<Vec<usize>> = Vec::with_capacity(specs.len());
        for spec in specs {
            if let SplitSpec::Indices(idx) = spec {
                for &i in idx {
                    if i >= n || taken[i] {
                        return Err(FeError::param(
                            "split",
                            "indices",
                            format!("index {i} is out of range or used twice"),
                        ));
                    }
                    taken[i] = true;
                }
            }
        }
        let classes = match stratify {
            Some(key) => Some(self.class_groups(key)?),
            None => None,
        };
        for (spec, count) in specs.iter().zip(&counts) {
            let chosen = match (spec, count) {
                (SplitSpec::Indices(idx), _) => idx.clone(),
                (_, Some(count)) => match &classes {
                    None => {
                        let mut free: Vec<usize> = (0..n).filter(|&i| !taken[i]).collect();
                        free.shuffle(&mut rng);
                        free.truncate(*count);
                        free
                    }
                    Some(groups) => stratified_pick(groups, &taken, *count, n, &mut rng),
                },
                _ => unreachable!("counts are None only for explicit indices"),
            };
            for &i in &chosen {
                taken[i] = true;
            }
            let mut chosen = chosen;
            chosen.sort_unstable();
            parts.push(chosen);
        }
        let keep: Vec<usize> = (0..n).filter(|&i| !taken[i]).collect();
        let out = parts.iter().map(|p| self.select(p)).collect();
        *self = self.select(&keep);
        Ok(out)
    }

    fn class_groups(&self, key: &str) -> Result<BTreeMap<String, Vec<usize>>> {
        let column = self
            .column(key)
            .ok_or_else(|| FeError::param("split", "stratify", format!("no key {key:?} in the dataset")))?;
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for i in 0..self.len() {
            let label = match column.index_first(i) {
                Value::Str(a) => a.iter().cloned().collect::<Vec<_>>().join(","),
                other => format!("{:?}", other.to_f64().map(|a| a.iter().copied().collect::<Vec<_>>())),
            };
            groups.entry(label).or_default().push(i);
        }
        Ok(groups)
    }
}

/// Take `count` untaken samples, as evenly as possible in proportion to each class's size.
fn stratified_pick(
    groups: &BTreeMap<String, Vec<usize>>,
    taken: &[bool],
    count: usize,
    n: usize,
    rng: &mut FeRng,
) -> Vec<usize> {
    let mut free: Vec<Vec<usize>> =
        groups.values().map(|g| g.iter().copied().filter(|&i| !taken[i]).collect()).collect();
    let exact: Vec<f64> = groups.values().map(|g| g.len() as f64 * count as f64 / n as f64).collect();
    let mut quota: Vec<usize> = exact.iter().zip(&free).map(|(e, f)| (e.floor() as usize).min(f.len())).collect();
    // Hand out the remainder to the classes with the largest fractional parts.
    let mut order: Vec<usize> = (0..quota.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let mut missing = count.saturating_sub(quota.iter().sum());
    for &c in order.iter().cycle().take(order.len() * 4) {
        if missing == 0 {
            break;
        }
        if quota[c] < free[c].len() {
            quota[c] += 1;
            missing -= 1;
        }
    }
    let mut chosen = Vec::with_capacity(count);
    for (f, q) in free.iter_mut().zip(quota) {
        f.shuffle(rng);
        chosen.extend_from_slice(&f[..q]);
    }
    chosen
}
