//! `summary()`: what a dataset holds (FE's `DatasetSummary` and `KeySummary`).

use std::collections::HashSet;
use std::fmt;

use indexmap::IndexMap;

use super::{Dataset, NumpyDataset};
use crate::error::Result;
use crate::value::{Sample, Value};

/// What one key of a dataset holds (FE's `KeySummary`).
#[derive(Debug, Clone, PartialEq)]
pub struct KeySummary {
    /// The number of distinct values, when the values are scalars (FE counts hashable values).
    pub num_unique_values: Option<usize>,
    /// The shape of one sample's value; `None` marks a ragged dimension.
    pub shape: Vec<Option<usize>>,
    /// The dtype name, as numpy prints it (`uint8`, `int64`, `float32`, `str`, ...).
    pub dtype: String,
}

/// A summary of a dataset (FE's `DatasetSummary`); `Display` prints it as FE does, as JSON
/// without the fields that are unknown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatasetSummary {
    /// Samples per epoch.
    pub num_instances: usize,
    /// The key holding class labels, if known.
    pub class_key: Option<String>,
    /// The number of classes, if known.
    pub num_classes: Option<usize>,
    /// Class name → label value, for datasets that map names (folders) to labels.
    pub class_key_mapping: Option<IndexMap<String, i64>>,
    /// Samples per class label (not in FE's summary; filled by `class_summary`).
    pub class_counts: Option<IndexMap<String, usize>>,
    /// Each key's summary, in sample order.
    pub keys: IndexMap<String, KeySummary>,
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl fmt::Display for KeySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(n) = self.num_unique_values {
            parts.push(format!("\"num_unique_values\": {n}"));
        }
        let shape: Vec<String> = self.shape.iter().map(|d| d.map_or("null".to_string(), |d| d.to_string())).collect();
        parts.push(format!("\"shape\": [{}]", shape.join(", ")));
        parts.push(format!("\"dtype\": {}", json_str(&self.dtype)));
        write!(f, "{{{}}}", parts.join(", "))
    }
}

impl fmt::Display for DatasetSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = vec![format!("\"num_instances\": {}", self.num_instances)];
        if let Some(k) = &self.class_key {
            parts.push(format!("\"class_key\": {}", json_str(k)));
        }
        if let Some(n) = self.num_classes {
            parts.push(format!("\"num_classes\": {n}"));
        }
        if let Some(m) = &self.class_key_mapping {
            let items: Vec<String> = m.iter().map(|(k, v)| format!("{}: {v}", json_str(k))).collect();
            parts.push(format!("\"class_key_mapping\": {{{}}}", items.join(", ")));
        }
        if let Some(c) = &self.class_counts {
            let items: Vec<String> = c.iter().map(|(k, v)| format!("{}: {v}", json_str(k))).collect();
            parts.push(format!("\"class_counts\": {{{}}}", items.join(", ")));
        }
        let keys: Vec<String> = self.keys.iter().map(|(k, v)| format!("{}: {v}", json_str(k))).collect();
        parts.push(format!("\"keys\": {{{}}}", keys.join(", ")));
        write!(f, "{{{}}}", parts.join(", "))
    }
}

/// A hashable rendering of a scalar (0-d) value.
fn scalar_key(v: &Value) -> Option<String> {
    if v.ndim() != 0 {
        return None;
    }
    Some(match v {
        Value::U8(a) => a.iter().next()?.to_string(),
        Value::I64(a) => a.iter().next()?.to_string(),
        Value::F32(a) => format!("f{}", a.iter().next()?.to_bits()),
        Value::F64(a) => format!("d{}", a.iter().next()?.to_bits()),
        Value::Bool(a) => a.iter().next()?.to_string(),
        Value::Str(a) => a.iter().next()?.clone(),
    })
}

/// A label value as text (for class counts).
pub(crate) fn label_text(v: &Value) -> String {
    match v {
        Value::Str(a) => a.iter().cloned().collect::<Vec<_>>().join(","),
        other => {
            other.to_f64().map(|a| a.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")).unwrap_or_default()
        }
    }
}

impl DatasetSummary {
    /// Summarise in-memory columns. `final_sample` is what `get(0)` returns when a dataset
    /// transforms its stored columns (for example a reader turning paths into images): dtypes
    /// and shapes then come from it, and unique values are only counted for unchanged keys, as
    /// in FE.
    pub fn of_columns(data: &NumpyDataset, final_sample: Option<&Sample>) -> DatasetSummary {
        let mut keys = IndexMap::new();
        let stored = if data.is_empty() { None } else { data.get(0).ok() };
        let example = final_sample.or(stored.as_ref());
        if let Some(example) = example {
            for (key, value) in example {
                let shape = value.shape().iter().map(|&d| Some(d)).collect();
                let unchanged = stored
                    .as_ref()
                    .and_then(|s| s.get(key))
                    .is_some_and(|orig| orig.dtype() == value.dtype() && orig.shape() == value.shape());
                let num_unique_values = if unchanged && value.ndim() == 0 {
                    data.column(key).map(|col| {
                        (0..data.len()).filter_map(|i| scalar_key(&col.index_first(i))).collect::<HashSet<_>>().len()
                    })
                } else {
                    None
                };
                keys.insert(key.clone(), KeySummary { num_unique_values, shape, dtype: value.dtype().to_string() });
            }
        }
        DatasetSummary { num_instances: data.len(), keys, ..DatasetSummary::default() }
    }

    /// [`DatasetSummary::of_columns`] (without a final sample) plus `class_key`, `num_classes`
    /// and `class_counts`, counted from the labels in `data[key]`.
    ///
    /// This computes from the data rather than setting a field, so it is a constructor that can
    /// fail: an [`FeError::InvalidParameter`](crate::FeError::InvalidParameter) for
    /// `class_key` when `data` has no column `key`.
    pub fn of_classes(data: &NumpyDataset, key: &str) -> Result<DatasetSummary> {
        let column = data.column(key).ok_or_else(|| {
            crate::error::FeError::param("summary", "class_key", format!("no key {key:?} in the dataset"))
        })?;
        let mut summary = DatasetSummary::of_columns(data, None);
        let mut counts: IndexMap<String, usize> = IndexMap::new();
        for i in 0..data.len() {
            *counts.entry(label_text(&column.index_first(i))).or_default() += 1;
        }
        counts.sort_keys();
        summary.class_key = Some(key.to_string());
        summary.num_classes = Some(counts.len());
        summary.class_counts = Some(counts);
        Ok(summary)
    }
}

impl NumpyDataset {
    /// Keys, dtypes, shapes and unique-value counts, as FE's `summary()`.
    ///
    /// ```
    /// use fastestimator::dataset::NumpyDataset;
    /// use fastestimator::Value;
    /// let ds = NumpyDataset::new([("y", Value::from(vec![0i64, 1, 1]))]).unwrap();
    /// assert_eq!(
    ///     ds.summary().to_string(),
    ///     r#"{"num_instances": 3, "keys": {"y": {"num_unique_values": 2, "shape": [], "dtype": "int64"}}}"#
    /// );
    /// ```
    pub fn summary(&self) -> DatasetSummary {
        DatasetSummary::of_columns(self, None)
    }

    /// [`NumpyDataset::summary`] plus the class key, the number of classes and the number of
    /// samples per class.
    pub fn class_summary(&self, class_key: &str) -> Result<DatasetSummary> {
        DatasetSummary::of_classes(self, class_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn prints_like_fe() {
        let x = Value::U8(Array3::<u8>::zeros((4, 2, 3)).into_dyn());
        let ds = NumpyDataset::new([("x", x), ("y", Value::from(vec![0i64, 1, 1, 2]))]).unwrap();
        let s = ds.summary();
        assert_eq!(s.keys["x"].shape, vec![Some(2), Some(3)]);
        assert_eq!(s.keys["x"].num_unique_values, None);
        assert_eq!(
            s.to_string(),
            "{\"num_instances\": 4, \"keys\": {\"x\": {\"shape\": [2, 3], \"dtype\": \"uint8\"}, \
             \"y\": {\"num_unique_values\": 3, \"shape\": [], \"dtype\": \"int64\"}}}"
        );
        let c = ds.class_summary("y").unwrap();
        assert_eq!(c.num_classes, Some(3));
        assert_eq!(c.class_counts.as_ref().unwrap()["1"], 2);
        assert!(c.to_string().contains("\"class_key\": \"y\", \"num_classes\": 3"), "{c}");
        assert!(ds.class_summary("nope").is_err());
    }

    #[test]
    fn strings_are_escaped() {
        let ds = NumpyDataset::new([("k\"ey", Value::from(vec!["a".to_string(), "b".to_string()]))]).unwrap();
        assert!(ds
            .summary()
            .to_string()
            .contains("\"k\\\"ey\": {\"num_unique_values\": 2, \"shape\": [], \"dtype\": \"str\"}"));
    }
}
