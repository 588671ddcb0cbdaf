//! Which datasets an op or trace applies to (FE's `ds_id` white- and blacklists).

use crate::error::FeError;
use crate::util::check_ds_id;

/// A ds_id filter: all datasets, a whitelist `{"ds1"}` or a blacklist `{"!ds1"}`.
///
/// A single (non-dict) dataset has ds_id `""`, which fails whitelists and passes blacklists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DsIdFilter {
    /// Every dataset (FE's `ds_id=None`).
    #[default]
    All,
    /// Only these ids.
    Only(Vec<String>),
    /// Every id but these.
    Except(Vec<String>),
}

impl DsIdFilter {
    /// Parse FE's ds_id list; plain and `!`-negated ids cannot be mixed.
    pub fn parse<S: AsRef<str>>(ids: &[S]) -> Result<Self, FeError> {
        if ids.is_empty() {
            return Ok(DsIdFilter::All);
        }
        let negated = ids.iter().filter(|s| s.as_ref().starts_with('!')).count();
        if negated != 0 && negated != ids.len() {
            return Err(FeError::InvalidDsId {
                ds_id: ids.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join(","),
                reason: "cannot mix negated ('!id') and plain ds_ids".into(),
            });
        }
        let names: Vec<String> = ids.iter().map(|s| s.as_ref().trim_start_matches('!').to_string()).collect();
        for n in &names {
            check_ds_id(n)?;
        }
        Ok(if negated == 0 { DsIdFilter::Only(names) } else { DsIdFilter::Except(names) })
    }

    /// Whether the filter lets `ds_id` through.
    pub fn matches(&self, ds_id: &str) -> bool {
        match self {
            DsIdFilter::All => true,
            DsIdFilter::Only(ids) => ids.iter().any(|i| i == ds_id),
            DsIdFilter::Except(ids) => !ids.iter().any(|i| i == ds_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_id_fails_whitelists_and_passes_blacklists() {
        assert!(!DsIdFilter::parse(&["ds1"]).unwrap().matches(""));
        assert!(DsIdFilter::parse(&["!ds1"]).unwrap().matches(""));
        assert!(!DsIdFilter::parse(&["!ds1"]).unwrap().matches("ds1"));
        assert!(DsIdFilter::parse(&["!ds1", "ds2"]).is_err());
        assert!(DsIdFilter::parse(&["a|b"]).is_err());
    }
}
