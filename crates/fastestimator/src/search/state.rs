//! A search's saved state ([`SearchState`]): its trials, name, best mode and optimised field,
//! read and written as FE's `<name>.json`.
//!
//! FE's format, which FE's `Search.load` and `visualize_search` read back:
//!
//! ```json
//! {
//!     "search_summary": [
//!         {"param": {"a": 1, "b": 4, "search_idx": 1}, "result": {"value": 5.0}}
//!     ],
//!     "name": "grid_search",
//!     "best_mode": "max"
//! }
//! ```
//!
//! A result that is not finite is written as `null` (JSON has no NaN) and read back as NaN.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{json, Value};

use super::params::Params;
use super::result::SearchResult;
use crate::error::{FeError, Result};
use crate::util::BestMode;

/// One evaluated point: its parameters, its index in the search (from 1) and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// The parameters the evaluation function received.
    pub params: Params,
    /// The trial's `search_idx`.
    pub search_idx: usize,
    /// What the evaluation function returned.
    pub result: SearchResult,
}

impl Trial {
    /// The parameters with `search_idx` added last, as FE's summary holds them.
    pub fn params_with_idx(&self) -> Params {
        let mut params = self.params.clone();
        params.insert("search_idx", self.search_idx);
        params
    }
}

/// Everything a search saves: its trials in `search_idx` order and the settings that the
/// visualisation uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchState {
    /// The search's name (the file is `<name>.json`).
    pub name: String,
    /// Which way is better, when the search knows.
    pub best_mode: Option<BestMode>,
    /// The result field that decides the best, when the search was given one.
    pub optimize_field: Option<String>,
    /// The trials (FE's `search_summary`).
    pub trials: Vec<Trial>,
}

impl SearchState {
    /// The state as FE writes it: JSON indented by four spaces, keys in FE's order (the
    /// parameters as given, then `search_idx`).
    pub fn to_json_string(&self) -> String {
        use serde::Serialize as _;
        /// FE's file, its keys in FE's order.
        #[derive(serde::Serialize)]
        struct File<'s> {
            search_summary: Vec<IndexMap<&'static str, IndexMap<String, Value>>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            name: Option<&'s str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            best_mode: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            optimize_field: Option<&'s str>,
        }
        let search_summary = self
            .trials
            .iter()
            .map(|t| {
                let param = t.params_with_idx().iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
                let result = t.result.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
                IndexMap::from([("param", param), ("result", result)])
            })
            .collect();
        let file = File {
            search_summary,
            name: Some(self.name.as_str()).filter(|n| !n.is_empty()),
            best_mode: self.best_mode.map(BestMode::as_str),
            optimize_field: self.optimize_field.as_deref(),
        };
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        // Writing plain maps and numbers into memory cannot fail.
        let _ = file.serialize(&mut serializer);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Read a state from FE's JSON; `path` only names the source in errors. A file without a
    /// name gets `default_name`.
    pub fn from_json(text: &str, path: &Path, default_name: &str) -> Result<SearchState> {
        let bad = |reason: String| FeError::Format { path: path.to_path_buf(), reason };
        let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let object = value.as_object().ok_or_else(|| bad("expected a JSON object".into()))?;
        let summary = object
            .get("search_summary")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no \"search_summary\" list".into()))?;
        let mut trials = Vec::with_capacity(summary.len());
        for (i, entry) in summary.iter().enumerate() {
            let param = entry
                .get("param")
                .and_then(Value::as_object)
                .ok_or_else(|| bad(format!("search_summary[{i}] has no \"param\" object")))?;
            let search_idx = param
                .get("search_idx")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(format!("search_summary[{i}].param has no integer \"search_idx\"")))?;
            let params: Params =
                param.iter().filter(|(k, _)| *k != "search_idx").map(|(k, v)| (k.clone(), v.clone())).collect();
            let result_obj = entry
                .get("result")
                .and_then(Value::as_object)
                .ok_or_else(|| bad(format!("search_summary[{i}] has no \"result\" object")))?;
            let mut result = SearchResult::new();
            for (k, v) in result_obj {
                let number = match v {
                    Value::Null => f64::NAN,
                    v => v.as_f64().ok_or_else(|| bad(format!("search_summary[{i}].result.{k} is not a number")))?,
                };
                result = result.with(k.clone(), number);
            }
            trials.push(Trial { params, search_idx: search_idx as usize, result });
        }
        trials.sort_by_key(|t| t.search_idx);
        let best_mode = match object.get("best_mode").and_then(Value::as_str) {
            Some(mode) => Some(mode.parse().map_err(|e: FeError| bad(e.to_string()))?),
            None => None,
        };
        Ok(SearchState {
            name: object.get("name").and_then(Value::as_str).unwrap_or(default_name).to_string(),
            best_mode,
            optimize_field: object.get("optimize_field").and_then(Value::as_str).map(str::to_string),
            trials,
        })
    }

    /// Read a saved search file (FE's `_load_search_file`: a file without a name is `Search`).
    ///
    /// ```no_run
    /// let state = fastestimator::search::SearchState::load_file("runs/grid_search.json").unwrap();
    /// println!("{} trials", state.trials.len());
    /// ```
    pub fn load_file(path: impl AsRef<Path>) -> Result<SearchState> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| FeError::io("cannot read", path, e))?;
        SearchState::from_json(&text, path, "Search")
    }

    /// The file of a search named `name` in `dir`: `<dir>/<name>.json`.
    pub fn file_in(dir: impl AsRef<Path>, name: &str) -> PathBuf {
        dir.as_ref().join(format!("{name}.json"))
    }

    /// Write the state to `<dir>/<name>.json` (creating `dir`) through a temporary file that is
    /// synced and renamed into place, so a crash leaves the previous save or this one, never a
    /// torn file. Returns the file's path.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<PathBuf> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| FeError::io("cannot create directory", dir, e))?;
        let path = SearchState::file_in(dir, &self.name);
        crate::summary::logs::plot::write_atomically(&path, self.to_json_string().as_bytes())?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_fe_format() {
        let state = SearchState {
            name: "grid_search".into(),
            best_mode: Some(BestMode::Max),
            optimize_field: None,
            trials: vec![
                Trial {
                    params: Params::from_pairs([("a", 1.into()), ("opt", "adam".into())]),
                    search_idx: 1,
                    result: SearchResult::from(5.0),
                },
                Trial {
                    params: Params::from_pairs([("a", 2.into()), ("opt", "sgd".into())]),
                    search_idx: 2,
                    result: SearchResult::from(f64::NAN),
                },
            ],
        };
        let text = state.to_json_string();
        assert!(text.starts_with("{\n    \"search_summary\": [\n"), "{text}");
        assert!(text.contains("\"search_idx\": 1") && text.contains("\"best_mode\": \"max\""));
        let back = SearchState::from_json(&text, Path::new("x.json"), "Search").unwrap();
        assert_eq!(back.trials[0], state.trials[0]);
        assert!(back.trials[1].result.get("value").unwrap().is_nan());
        assert_eq!((back.name.as_str(), back.best_mode), ("grid_search", Some(BestMode::Max)));
        // FE's own file: integers, no name.
        let fe = r#"{"search_summary": [{"param": {"n": 3, "search_idx": 2}, "result": {"value": 0}}]}"#;
        let back = SearchState::from_json(fe, Path::new("fe.json"), "Search").unwrap();
        assert_eq!((back.name.as_str(), back.trials[0].search_idx), ("Search", 2));
        let err = SearchState::from_json("{}", Path::new("bad.json"), "Search").unwrap_err().to_string();
        assert!(err.contains("bad.json") && err.contains("search_summary"), "{err}");
    }
}
