//! `NumpyDataset`: an in-memory dataset of columns.

use indexmap::IndexMap;

use super::Dataset;
use crate::error::{FeError, Result};
use crate::util::check_key;
use crate::value::{Sample, Value};

/// An in-memory dataset: a map of key → array, where every array's first axis indexes samples.
///
/// ```
/// use fastestimator::dataset::{Dataset, NumpyDataset};
/// use fastestimator::Value;
/// let ds = NumpyDataset::new([("x", Value::from(vec![1.0f32, 2.0, 3.0])), ("y", Value::from(vec![0i64, 1, 0]))]).unwrap();
/// assert_eq!(ds.len(), 3);
/// assert_eq!(ds.get(1).unwrap()["y"], Value::from(1i64));
/// ```
#[derive(Debug, Clone)]
pub struct NumpyDataset {
    columns: IndexMap<String, Value>,
    len: usize,
}

impl NumpyDataset {
    /// Build from columns; all must have the same (non-zero-rank) first-axis length.
    pub fn new<K: Into<String>>(columns: impl IntoIterator<Item = (K, Value)>) -> Result<Self> {
        let columns: IndexMap<String, Value> = columns.into_iter().map(|(k, v)| (k.into(), v)).collect();
        let mut len = None;
        for (key, value) in &columns {
            check_key(key)?;
            let n = *value.shape().first().ok_or_else(|| FeError::UnexpectedShape {
                op: "NumpyDataset".into(),
                key: key.clone(),
                expected: "a column with at least one axis (the sample axis)".into(),
                got: Vec::new(),
            })?;
            match len {
                None => len = Some(n),
                Some(m) if m != n => {
                    return Err(FeError::LengthMismatch {
                        context: "NumpyDataset".into(),
                        what: format!("samples in column {key:?} (as many as in the earlier columns)"),
                        expected: m,
                        got: n,
                    })
                }
                _ => {}
            }
        }
        Ok(NumpyDataset { columns, len: len.unwrap_or(0) })
    }

    /// The column for `key`, if present (FE's `ds["key"]`).
    pub fn column(&self, key: &str) -> Option<&Value> {
        self.columns.get(key)
    }

    /// Replace (or add) a whole column (FE's `ds["key"] = values`); it must hold one entry per
    /// sample.
    ///
    /// ```
    /// use fastestimator::dataset::NumpyDataset;
    /// use fastestimator::Value;
    /// let mut ds = NumpyDataset::new([("x", Value::from(vec![1.0f32, 2.0]))]).unwrap();
    /// ds.set_column("x", Value::from(vec![0.5f32, 1.0])).unwrap();
    /// assert!(ds.set_column("x", Value::from(vec![1.0f32])).is_err());
    /// ```
    pub fn set_column(&mut self, key: &str, value: Value) -> Result<()> {
        check_key(key)?;
        let n = value.shape().first().copied();
        if n != Some(self.len) && !(self.columns.is_empty() && n.is_some()) {
            return Err(FeError::LengthMismatch {
                context: "NumpyDataset".into(),
                what: format!("samples in column {key:?} (shape {:?})", value.shape()),
                expected: self.len,
                got: n.unwrap_or(0),
            });
        }
        if self.columns.is_empty() {
            self.len = n.unwrap_or(0);
        }
        self.columns.insert(key.to_string(), value);
        Ok(())
    }

    /// The column keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.columns.keys().map(String::as_str)
    }

    /// Keep only the samples at `indices` (in that order).
    pub(crate) fn select(&self, indices: &[usize]) -> NumpyDataset {
        let columns = self
            .columns
            .iter()
            .map(|(k, v)| {
                let picked = crate::value::map_value!(v, a => a.select(ndarray::Axis(0), indices));
                (k.clone(), picked)
            })
            .collect();
        NumpyDataset { columns, len: indices.len() }
    }
}

impl Dataset for NumpyDataset {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, index: usize) -> Result<Sample> {
        if index >= self.len {
            return Err(FeError::IndexOutOfRange { dataset: "NumpyDataset".into(), index, len: self.len });
        }
        Ok(self.columns.iter().map(|(k, v)| (k.clone(), v.index_first(index))).collect())
    }
}
