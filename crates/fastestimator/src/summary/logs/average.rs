//! Averaging repeated runs: FE's `average_summaries` and the `group_by` of its log tools.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::error::{FeError, Result};
use crate::summary::{LogValue, Summary};

/// The mean ± standard deviation of several runs (FE's `average_summaries(name, summaries)`):
/// at every mode, key and step, the scalar values the runs recorded become
/// `ValWithError(mean − std, mean, mean + std)` (population standard deviation, as numpy's
/// `std`). A step that only some runs reached averages those runs. Values that are not scalars
/// (arrays, text) are left out.
///
/// ```
/// use fastestimator::summary::{average_summaries, LogValue, Summary};
/// use fastestimator::Mode;
/// let runs: Vec<Summary> = [1.0, 3.0]
///     .iter()
///     .map(|&ce| {
///         let mut s = Summary::new("run");
///         s.record(Mode::Train, "ce", 100, LogValue::F64(ce));
///         s
///     })
///     .collect();
/// let mean = average_summaries("mean", &runs);
/// assert_eq!(mean.get(Mode::Train, "ce").unwrap()[&100], LogValue::ValWithError(1.0, 2.0, 3.0));
/// ```
pub fn average_summaries(name: &str, summaries: &[Summary]) -> Summary {
    let mut values: BTreeMap<_, IndexMap<String, BTreeMap<u64, Vec<f64>>>> = BTreeMap::new();
    for summary in summaries {
        for (mode, keys) in &summary.history {
            for (key, steps) in keys {
                for (step, value) in steps {
                    let Some(x) = scalar(value) else { continue };
                    values.entry(*mode).or_default().entry(key.clone()).or_default().entry(*step).or_default().push(x);
                }
            }
        }
    }
    let mut out = Summary::new(name);
    for (mode, keys) in values {
        for (key, steps) in keys {
            for (step, xs) in steps {
                let n = xs.len() as f64;
                let mean = xs.iter().sum::<f64>() / n;
                let std = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
                out.record(mode, &key, step, LogValue::ValWithError(mean - std, mean, mean + std));
            }
        }
    }
    out
}

/// A scalar value; a `ValWithError` counts as its middle value.
fn scalar(value: &LogValue) -> Option<f64> {
    match value {
        LogValue::Array(_) | LogValue::Text(_) => None,
        other => other.as_f64(),
    }
}

/// Group runs by name and average each group (FE's `group_by`). `pattern` is a regular
/// expression applied to each run's name: runs whose names give the same match (its first
/// capture group, if it has one) form a group named after it. `"_n"` is FE's shortcut for runs
/// named `<name>_<number>` (`mnist_1`, `mnist_2` → `mnist`). A run whose name does not match
/// stays on its own. Groups keep the order of their first run.
///
/// An invalid pattern is [`FeError::InvalidParameter`].
pub fn group_summaries(summaries: Vec<Summary>, pattern: &str) -> Result<Vec<Summary>> {
    let pattern = if pattern == "_n" { r"^(.*)_[0-9]+$" } else { pattern };
    let regex = regex::Regex::new(pattern)
        .map_err(|e| FeError::param("group_by", "pattern", format!("{pattern:?} is not a regular expression: {e}")))?;
    let mut groups: IndexMap<String, Vec<Summary>> = IndexMap::new();
    for summary in summaries {
        let key = regex
            .captures(&summary.name)
            .and_then(|c| c.get(1).or_else(|| c.get(0)))
            .map_or_else(|| summary.name.clone(), |m| m.as_str().to_string());
        groups.entry(key).or_default().push(summary);
    }
    Ok(groups
        .into_iter()
        .map(|(name, runs)| match runs.len() {
            1 => runs.into_iter().next().unwrap_or_else(|| Summary::new(name)),
            _ => average_summaries(&name, &runs),
        })
        .collect())
}
