//! The values a search plot draws (FE's `SearchData`): the parameters that vary, the results,
//! each as a column of numbers, with categories (strings, booleans) mapped to indices.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::{FeError, Result};
use crate::search::SearchState;
use crate::summary::logs::plot::natural_order;

/// One key's values over the trials, in trial order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    /// The key.
    pub name: String,
    /// One number per trial (a category's index for categorical keys; NaN for a missing
    /// value).
    pub values: Vec<f64>,
    /// The categories, for a categorical key: value `i` is `categories[i]`.
    pub categories: Option<Vec<String>>,
}

impl Column {
    /// The text of value `i`.
    pub fn label(&self, i: usize) -> String {
        let v = self.values[i];
        match &self.categories {
            Some(c) => c.get(v as usize).cloned().unwrap_or_default(),
            None => format_number(v),
        }
    }

    /// The smallest and largest finite value.
    pub fn range(&self) -> (f64, f64) {
        let finite = self.values.iter().copied().filter(|v| v.is_finite());
        finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
    }
}

/// The data of a search plot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchData {
    /// The parameters with more than one value, not ignored, in natural order.
    pub params: Vec<Column>,
    /// The results, not ignored, in natural order.
    pub results: Vec<Column>,
    /// Whether an ignored parameter (other than `search_idx`) had more than one value.
    pub ignored_params: bool,
}

impl SearchData {
    /// The data of `state`, leaving out `ignore` (and always `search_idx`). Trials whose
    /// parameter or result names differ from the first's are [`FeError::InvalidValue`] (FE:
    /// "Inconsistent parameter list detected").
    pub fn new(state: &SearchState, ignore: &[String]) -> Result<SearchData> {
        let inconsistent = |what: &str| FeError::InvalidValue {
            consumer: "visualize_search".into(),
            key: state.name.clone(),
            reason: format!("inconsistent {what} list detected: the trials do not all have the same {what}s"),
        };
        let Some(first) = state.trials.first() else {
            return Ok(SearchData { params: Vec::new(), results: Vec::new(), ignored_params: false });
        };
        let ignored = |k: &str| k == "search_idx" || ignore.iter().any(|i| i == k);
        let param_names: BTreeSet<&str> = first.params.names().collect();
        let result_names: BTreeSet<&str> = first.result.fields().collect();
        let mut raw: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        let mut ignored_params = false;
        for trial in &state.trials {
            if trial.params.names().collect::<BTreeSet<_>>() != param_names {
                return Err(inconsistent("parameter"));
            }
            if trial.result.fields().collect::<BTreeSet<_>>() != result_names {
                return Err(inconsistent("result"));
            }
            for (k, v) in trial.params.iter() {
                if ignored(k) {
                    ignored_params |= first.params.get(k) != Some(v);
                    continue;
                }
                raw.entry(k).or_default().push(v.clone());
            }
        }
        let mut params: Vec<Column> = raw
            .into_iter()
            .filter(|(_, values)| values.iter().any(|v| v != &values[0]))
            .map(|(k, values)| column(k, &values))
            .collect();
        params.sort_by(|a, b| natural_order(&a.name, &b.name));
        let mut results: Vec<Column> = result_names
            .iter()
            .filter(|k| !ignored(k))
            .map(|k| Column {
                name: k.to_string(),
                values: state.trials.iter().map(|t| t.result.get(k).unwrap_or(f64::NAN)).collect(),
                categories: None,
            })
            .collect();
        results.sort_by(|a, b| natural_order(&a.name, &b.name));
        Ok(SearchData { params, results, ignored_params })
    }

    /// The number of trials.
    pub fn len(&self) -> usize {
        self.params.first().or(self.results.first()).map_or(0, |c| c.values.len())
    }
}

/// A parameter's column: numbers stay numbers; anything else becomes categories, in reverse
/// natural order (as FE's `humansorted(..., reverse=True)`).
fn column(name: &str, values: &[Value]) -> Column {
    if values.iter().all(Value::is_number) {
        return Column {
            name: name.to_string(),
            values: values.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect(),
            categories: None,
        };
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Null => "None".to_string(),
        other => other.to_string(),
    };
    let mut categories: Vec<String> = values.iter().map(text).collect::<BTreeSet<_>>().into_iter().collect();
    categories.sort_by(|a, b| natural_order(b, a));
    let values = values.iter().map(|v| categories.iter().position(|c| *c == text(v)).unwrap_or(0) as f64).collect();
    Column { name: name.to_string(), values, categories: Some(categories) }
}

/// A value as the plots print it: the shortest text that reads back as the value when it is
/// short (`0.001`, `32`, `1e-05` style exponents below 0.0001), else 4 significant digits.
pub(crate) fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-4..6).contains(&magnitude) {
        let shortest = format!("{v}");
        if shortest.len() <= 7 {
            return shortest;
        }
        let decimals = (3 - magnitude).clamp(0, 8) as usize;
        let text = format!("{v:.decimals$}");
        return text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    let shortest = format!("{v:e}");
    if shortest.len() <= 8 {
        shortest
    } else {
        format!("{v:.3e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Params, SearchResult, Trial};

    fn trial(idx: usize, lr: f64, opt: &str, bs: i64, acc: f64) -> Trial {
        Trial {
            params: Params::from_pairs([("lr", lr.into()), ("opt", opt.into()), ("bs", bs.into())]),
            search_idx: idx,
            result: SearchResult::from([("acc", acc), ("loss", 1.0 - acc)]),
        }
    }

    #[test]
    fn constant_and_ignored_keys_are_left_out_and_text_is_categorical() {
        let state = SearchState {
            name: "s".into(),
            trials: vec![trial(1, 0.1, "adam", 32, 0.5), trial(2, 0.01, "sgd", 32, 0.7)],
            ..Default::default()
        };
        let data = SearchData::new(&state, &["loss".to_string()]).unwrap();
        let names: Vec<&str> = data.params.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["lr", "opt"], "bs is constant");
        assert_eq!(data.params[1].categories.as_deref(), Some(&["sgd".to_string(), "adam".to_string()][..]));
        assert_eq!(data.params[1].label(0), "adam");
        assert_eq!(data.results.len(), 1);
        assert!(!data.ignored_params);
        let data = SearchData::new(&state, &["opt".to_string()]).unwrap();
        assert!(data.ignored_params);
        assert_eq!(format_number(0.93456), "0.93456");
        assert_eq!(format_number(32.0), "32");
        assert_eq!(format_number(1e-4), "0.0001");
        assert_eq!(format_number(1e-5), "1e-5");
        assert_eq!(format_number(0.123456789), "0.1235");
    }
}
