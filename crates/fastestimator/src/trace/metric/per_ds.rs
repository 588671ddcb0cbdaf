//! Per-dataset accumulation (FE's `@per_ds`): one state for the aggregate, one per ds_id.

use indexmap::IndexMap;

use crate::error::Result;
use crate::summary::LogValue;
use crate::trace::Data;

/// A metric's epoch state, kept for all datasets together and for each non-empty ds_id.
///
/// When the run has ds_ids, the results for each are written as `key|ds_id` next to the
/// aggregate `key`. This is off when `per_ds` is false or an output name contains `|`.
#[derive(Debug, Clone)]
pub(crate) struct PerDs<S> {
    enabled: bool,
    all: S,
    by_ds: IndexMap<String, S>,
}

impl<S: Default> Default for PerDs<S> {
    fn default() -> Self {
        PerDs { enabled: true, all: S::default(), by_ds: IndexMap::new() }
    }
}

impl<S: Default> PerDs<S> {
    /// Turn per-dataset results on or off (FE's `per_ds`).
    pub(crate) fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// Forget everything (at the start of an epoch).
    pub(crate) fn clear(&mut self) {
        self.all = S::default();
        self.by_ds.clear();
    }

    /// Apply one batch to the aggregate state and to the state of `ds_id`.
    pub(crate) fn update(&mut self, ds_id: &str, mut f: impl FnMut(&mut S) -> Result<()>) -> Result<()> {
        f(&mut self.all)?;
        if self.enabled && !ds_id.is_empty() {
            f(self.by_ds.entry(ds_id.to_string()).or_default())?;
        }
        Ok(())
    }

    /// Compute the results of every state with `f` and write them with log: `key|ds_id` for each
    /// dataset (unless an output name in `outputs` contains `|`), then the aggregate `key`.
    /// Apply `f` to every state: the aggregate, then each dataset's, in order.
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&mut S) -> Result<()>) -> Result<()> {
        f(&mut self.all)?;
        self.by_ds.values_mut().try_for_each(f)
    }

    pub(crate) fn write(
        &self,
        data: &mut Data,
        outputs: &[String],
        mut f: impl FnMut(&S) -> Result<Vec<(String, LogValue)>>,
    ) -> Result<()> {
        if self.enabled && !outputs.iter().any(|o| o.contains('|')) {
            for (ds, state) in &self.by_ds {
                for (key, value) in f(state)? {
                    data.write_with_log(format!("{key}|{ds}"), value);
                }
            }
        }
        for (key, value) in f(&self.all)? {
            data.write_with_log(key, value);
        }
        Ok(())
    }
}
