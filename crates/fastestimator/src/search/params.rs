//! The hyperparameters of one search point ([`Params`]), with typed getters, and FE's way of
//! printing them (Python's dict repr).

use indexmap::IndexMap;
use serde_json::Value;

use crate::error::{FeError, Result};

/// The hyperparameters of one point of a search, by name, in the order the search gives them.
/// Values are JSON values: numbers, strings, booleans (FE's keyword arguments).
///
/// The typed getters fail with an [`FeError::InvalidParameter`] that names the parameter:
///
/// ```
/// use fastestimator::search::Params;
/// let params = Params::from_pairs([("lr", 1e-3.into()), ("batch_size", 32.into()), ("optimizer", "adam".into())]);
/// assert_eq!(params.f64("lr").unwrap(), 1e-3);
/// assert_eq!(params.usize("batch_size").unwrap(), 32);
/// assert_eq!(params.str("optimizer").unwrap(), "adam");
/// let err = params.f64("epochs").unwrap_err().to_string();
/// assert!(err.contains("`epochs`") && err.contains("lr, batch_size, optimizer"), "{err}");
/// assert!(params.usize("lr").is_err());
/// assert_eq!(params.to_string(), "{'lr': 0.001, 'batch_size': 32, 'optimizer': 'adam'}");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    values: IndexMap<String, Value>,
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parameters from `(name, value)` pairs (a later pair replaces an earlier one of the same
    /// name).
    pub fn from_pairs<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Self {
        Params { values: pairs.into_iter().map(|(k, v)| (k.into(), v)).collect() }
    }

    /// Set `name` to `value`.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        self.values.insert(name.into(), value.into());
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// The names and values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value of `name`, or an error naming it and the parameters there are.
    pub fn value(&self, name: &str) -> Result<&Value> {
        self.values.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.names().collect();
            FeError::param("search parameters", name, format!("missing; the parameters are {}", known.join(", ")))
        })
    }

    /// `name` as a number (an integer converts).
    pub fn f64(&self, name: &str) -> Result<f64> {
        let value = self.value(name)?;
        value.as_f64().ok_or_else(|| wrong_type(name, "a number", value))
    }

    /// `name` as an integer (a float with no fractional part converts).
    pub fn i64(&self, name: &str) -> Result<i64> {
        let value = self.value(name)?;
        let int = value
            .as_i64()
            .or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64));
        int.ok_or_else(|| wrong_type(name, "an integer", value))
    }

    /// `name` as a non-negative integer (a count, a size).
    pub fn usize(&self, name: &str) -> Result<usize> {
        let int = self.i64(name)?;
        usize::try_from(int).map_err(|_| wrong_type(name, "a non-negative integer", &Value::from(int)))
    }

    /// `name` as a string.
    pub fn str(&self, name: &str) -> Result<&str> {
        let value = self.value(name)?;
        value.as_str().ok_or_else(|| wrong_type(name, "a string", value))
    }

    /// `name` as a boolean.
    pub fn bool(&self, name: &str) -> Result<bool> {
        let value = self.value(name)?;
        value.as_bool().ok_or_else(|| wrong_type(name, "a boolean", value))
    }

    /// The key under which a point is cached: the parameters sorted by name, as JSON, so the
    /// order in which they were given does not matter (FE hashes the sorted items).
    pub(crate) fn cache_key(&self) -> String {
        let mut pairs: Vec<(&String, &Value)> = self.values.iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        serde_json::to_string(&pairs).unwrap_or_default()
    }

    /// The parameters as `(name, value)` pairs.
    pub fn to_pairs(&self) -> Vec<(String, Value)> {
        self.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// FE's printed form with `search_idx` last: `{'a': 1, 'b': 4, 'search_idx': 1}`.
    pub(crate) fn repr_with_idx(&self, search_idx: usize) -> String {
        let mut with_idx = self.clone();
        with_idx.insert("search_idx", search_idx);
        with_idx.to_string()
    }
}

impl std::fmt::Display for Params {
    /// Python's repr of the keyword arguments, as FE prints them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self.values.iter().map(|(k, v)| format!("{}: {}", py_str(k), py_repr(v))).collect();
        write!(f, "{{{}}}", items.join(", "))
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Params {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        Params::from_pairs(iter)
    }
}

fn wrong_type(name: &str, expected: &str, value: &Value) -> FeError {
    FeError::param("search parameters", name, format!("expected {expected}, got {}", py_repr(value)))
}

/// Python's repr of a JSON value (`True`, `None`, `'text'`, `0.001`, `1e-05`).
pub(crate) fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => py_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => py_str(s),
        Value::Array(items) => format!("[{}]", items.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            let items: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", py_str(k), py_repr(v))).collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Python's repr of a float: shortest round-trip digits, `5.0` for whole numbers, `1e-05` and
/// `1e+16` for exponents, `nan` and `inf`.
pub(crate) fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let exp = if x == 0.0 { 0 } else { x.abs().log10().floor() as i32 };
    if !(-4..16).contains(&exp) {
        let text = format!("{x:e}");
        let (mantissa, e) = text.split_once('e').unwrap_or((&text, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{mantissa}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let text = format!("{x}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// Python's repr of a string (single quotes unless the text holds one and no double quote).
fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_does() {
        assert_eq!(py_float(5.0), "5.0");
        assert_eq!(py_float(0.001), "0.001");
        assert_eq!(py_float(1e-5), "1e-05");
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(1.5e16), "1.5e+16");
        assert_eq!(py_float(-2.25), "-2.25");
        assert_eq!(py_repr(&Value::from("it's")), "\"it's\"");
        assert_eq!(py_repr(&Value::from(true)), "True");
    }

    #[test]
    fn the_cache_key_ignores_order() {
        let a = Params::from_pairs([("a", 1.into()), ("b", 2.into())]);
        let b = Params::from_pairs([("b", 2.into()), ("a", 1.into())]);
        assert_eq!(a.cache_key(), b.cache_key());
        assert_ne!(a.cache_key(), Params::from_pairs([("a", 1.into()), ("b", 3.into())]).cache_key());
        assert_eq!(a.i64("a").unwrap(), 1);
        assert!(Params::from_pairs([("x", 1.5.into())]).i64("x").unwrap_err().to_string().contains("`x`"));
    }
}
