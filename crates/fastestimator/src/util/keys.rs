//! FE's naming rules for keys and dataset ids, and "did you mean" suggestions.

use crate::error::FeError;

/// Check a data key: non-empty, no `:` or `;`, at most one `|` (for `key|ds_id`).
pub fn check_key(key: &str) -> Result<(), FeError> {
    let reason = if key.is_empty() {
        Some("keys must not be empty")
    } else if key.contains(':') || key.contains(';') {
        Some("keys must not contain ':' or ';'")
    } else if key.matches('|').count() > 1 {
        Some("keys may contain at most one '|'")
    } else {
        None
    };
    match reason {
        Some(r) => Err(FeError::InvalidKey { key: key.to_string(), reason: r.to_string() }),
        None => Ok(()),
    }
}

/// Check a dataset id: non-empty, no `:`, `;`, `|` or `!`.
pub fn check_ds_id(ds_id: &str) -> Result<(), FeError> {
    if ds_id.is_empty() {
        return Err(FeError::InvalidDsId { ds_id: ds_id.into(), reason: "ds_id must not be empty".into() });
    }
    if let Some(c) = ds_id.chars().find(|c| matches!(c, ':' | ';' | '|' | '!')) {
        return Err(FeError::InvalidDsId {
            ds_id: ds_id.into(),
            reason: format!("ds_id must not contain {c:?} (forbidden: ':' ';' '|' '!')"),
        });
    }
    Ok(())
}

/// The candidate closest to `key` by edit distance, if any is reasonably close.
pub fn closest_key<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(key, c), c))
        .filter(|(d, c)| *d <= key.len().max(c.len()).max(2) / 2 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// The run-time [`FeError::MissingKey`]: `consumer` looked for `key` among `available` while
/// running `mode` epoch `epoch` (dataset `ds_id`, "" for one dataset), and the error suggests
/// the closest available key.
pub fn missing_key<'a>(
    consumer: impl Into<String>,
    key: &str,
    available: impl IntoIterator<Item = &'a str>,
    mode: impl std::fmt::Display,
    epoch: usize,
    ds_id: &str,
) -> FeError {
    FeError::MissingKey {
        consumer: consumer.into(),
        key: key.to_string(),
        mode: mode.to_string(),
        epoch,
        ds_id: ds_id.to_string(),
        closest: closest_key(key, available),
    }
}

/// Every key of `lists`, once, in order of first appearance (the loss keys of several ops, say).
pub(crate) fn union_keys(lists: impl Iterator<Item = Vec<String>>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for key in lists.flatten() {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rules() {
        assert!(check_key("x").is_ok());
        assert!(check_key("acc|ds1").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("a:b").is_err());
        assert!(check_key("a;b").is_err());
        assert!(check_key("a|b|c").is_err());
    }

    #[test]
    fn union_keeps_first_appearances() {
        let lists = vec![vec!["ce".to_string(), "mse".into()], vec![], vec!["mse".into(), "ce".into(), "l1".into()]];
        assert_eq!(union_keys(lists.into_iter()), ["ce", "mse", "l1"]);
    }

    #[test]
    fn closest_key_suggests_near_names_only() {
        assert_eq!(closest_key("y_prd", ["x", "y", "y_pred"]), Some("y_pred".into()));
        assert_eq!(closest_key("completely_else", ["x", "y"]), None);
    }
}
