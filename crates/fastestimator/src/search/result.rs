//! What one evaluation gives ([`SearchResult`]: named numbers).

use indexmap::IndexMap;

use super::params::py_float;

/// The result of evaluating one point: named numbers, in the order the evaluation function gave
/// them. A bare number becomes `{"value": x}`, as FE wraps a non-dict result.
///
/// ```
/// use fastestimator::search::SearchResult;
/// let bare = SearchResult::from(0.93);
/// assert_eq!(bare.get("value"), Some(0.93));
/// let named = SearchResult::from([("accuracy", 0.93), ("loss", 0.2)]);
/// assert_eq!(named.fields().collect::<Vec<_>>(), ["accuracy", "loss"]);
/// assert_eq!(named.to_string(), "{'accuracy': 0.93, 'loss': 0.2}");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResult {
    values: IndexMap<String, f64>,
}

impl SearchResult {
    /// No values yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a named value.
    pub fn with(mut self, name: impl Into<String>, value: f64) -> Self {
        self.values.insert(name.into(), value);
        self
    }

    /// The value named `field`.
    pub fn get(&self, field: &str) -> Option<f64> {
        self.values.get(field).copied()
    }

    /// The field names, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// The names and values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.values.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// How many values there are.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl std::fmt::Display for SearchResult {
    /// Python's repr of the result dict, as FE prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self.values.iter().map(|(k, v)| format!("'{k}': {}", py_float(*v))).collect();
        write!(f, "{{{}}}", items.join(", "))
    }
}

impl From<f64> for SearchResult {
    fn from(value: f64) -> Self {
        SearchResult::new().with("value", value)
    }
}

impl From<f32> for SearchResult {
    fn from(value: f32) -> Self {
        SearchResult::from(f64::from(value))
    }
}

impl From<i64> for SearchResult {
    fn from(value: i64) -> Self {
        SearchResult::from(value as f64)
    }
}

impl From<i32> for SearchResult {
    fn from(value: i32) -> Self {
        SearchResult::from(f64::from(value))
    }
}

impl<K: Into<String>, const N: usize> From<[(K, f64); N]> for SearchResult {
    fn from(pairs: [(K, f64); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Into<String>> From<Vec<(K, f64)>> for SearchResult {
    fn from(pairs: Vec<(K, f64)>) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Into<String>> From<IndexMap<K, f64>> for SearchResult {
    fn from(map: IndexMap<K, f64>) -> Self {
        map.into_iter().collect()
    }
}

impl<K: Into<String>> FromIterator<(K, f64)> for SearchResult {
    fn from_iter<I: IntoIterator<Item = (K, f64)>>(iter: I) -> Self {
        SearchResult { values: iter.into_iter().map(|(k, v)| (k.into(), v)).collect() }
    }
}
