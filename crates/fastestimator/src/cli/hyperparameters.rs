//! A job's hyperparameters: its defaults (the `Default` of its struct), then a JSON file, then
//! command-line overrides, each checked against the defaults' names and types.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{FeError, Result};
use crate::util::closest_key;

/// The defaults of `H` as a JSON object.
pub(crate) fn defaults<H: Serialize + Default>() -> Result<Map<String, Value>> {
    match serde_json::to_value(H::default()) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => {
            Err(FeError::param("cli", "hyperparameters", format!("must be a struct of named fields, got {other}")))
        }
        Err(e) => Err(FeError::param("cli", "hyperparameters", e.to_string())),
    }
}

/// A value given on the command line: JSON when it parses (`2`, `0.1`, `true`, `[1, 2]`,
/// `null`, `"text"`), else the text itself (FE's `parse_string_to_python`).
pub(crate) fn parse_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// The JSON type a value has, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Whether `given` may replace `default`: the same JSON type (an integer where a number is
/// expected is fine), or anything where the default is `null` (an `Option`).
fn compatible(default: &Value, given: &Value) -> bool {
    match (default, given) {
        (Value::Null, _) | (_, Value::Null) => true,
        (Value::Number(d), Value::Number(g)) => d.is_f64() || !g.is_f64(),
        (d, g) => std::mem::discriminant(d) == std::mem::discriminant(g),
    }
}

/// Set `name` to `value` in `merged`, refusing unknown names (with the closest known one) and
/// values of the wrong type. `from` says where the value came from, for messages.
fn set(merged: &mut Map<String, Value>, name: &str, value: Value, from: &str) -> Result<()> {
    let key = name.replace('-', "_");
    let Some(default) = merged.get(&key) else {
        let known: Vec<String> = merged.keys().cloned().collect();
        let hint = closest_key(&key, known.iter().map(String::as_str))
            .map(|k| format!("; did you mean {k:?}?"))
            .unwrap_or_default();
        return Err(FeError::param(
            "cli",
            name,
            format!("unknown hyperparameter (from {from}){hint} The job takes: {}", known.join(", ")),
        ));
    };
    if !compatible(default, &value) {
        return Err(FeError::param(
            "cli",
            key,
            format!("expects {} like its default {default}, got {} {value} (from {from})", kind(default), kind(&value)),
        ));
    }
    merged.insert(key, value);
    Ok(())
}

/// Resolve the hyperparameters: `H::default()`, overridden by the JSON object in `file`, then by
/// `overrides` (name, value as typed). Returns them typed and as the JSON object recorded into
/// the experiment history.
pub(crate) fn resolve<H: Serialize + DeserializeOwned + Default>(
    file: Option<&Path>,
    overrides: &[(String, String)],
) -> Result<(H, Map<String, Value>)> {
    let mut merged = defaults::<H>()?;
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| FeError::io("cannot read", path, e))?;
        let from = path.display().to_string();
        let Value::Object(map) = serde_json::from_str(&text)
            .map_err(|e| FeError::param("cli", "--hyperparameters", format!("{from}: {e}")))?
        else {
            return Err(FeError::param("cli", "--hyperparameters", format!("{from} must hold a JSON object")));
        };
        for (name, value) in map {
            set(&mut merged, &name, value, &from)?;
        }
    }
    for (name, text) in overrides {
        set(&mut merged, name, parse_value(text), "the command line")?;
    }
    let typed = serde_json::from_value(Value::Object(merged.clone()))
        .map_err(|e| FeError::param("cli", "hyperparameters", e.to_string()))?;
    Ok((typed, merged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Hp {
        epochs: usize,
        lr: f64,
        name: String,
        steps: Option<usize>,
    }

    fn over(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn overrides_replace_defaults_with_their_types_checked() {
        let (hp, json) =
            resolve::<Hp>(None, &over(&[("epochs", "3"), ("lr", "1"), ("name", "run_a"), ("steps", "5")])).unwrap();
        assert_eq!(hp, Hp { epochs: 3, lr: 1.0, name: "run_a".into(), steps: Some(5) });
        assert_eq!(json["steps"], 5);
        let err = resolve::<Hp>(None, &over(&[("epochs", "2.5")])).unwrap_err().to_string();
        assert!(err.contains("epochs") && err.contains("expects an integer"), "{err}");
        let err = resolve::<Hp>(None, &over(&[("epoch", "2")])).unwrap_err().to_string();
        assert!(err.contains("did you mean \"epochs\""), "{err}");
    }

    #[test]
    fn a_json_file_comes_before_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.json");
        std::fs::write(&path, r#"{"epochs": 7, "name": "from_file"}"#).unwrap();
        let (hp, _) = resolve::<Hp>(Some(&path), &over(&[("name", "cli")])).unwrap();
        assert_eq!((hp.epochs, hp.name.as_str()), (7, "cli"));
        std::fs::write(&path, "[1, 2]").unwrap();
        assert!(resolve::<Hp>(Some(&path), &[]).unwrap_err().to_string().contains("JSON object"));
    }
}
