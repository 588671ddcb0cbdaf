//! [`GridSearch`]: every combination of the given values (FE's `GridSearch`).

use std::path::Path;

use serde_json::Value;

use super::base::{deref_to_search, Search};
use super::params::Params;
use super::result::SearchResult;
use crate::error::{FeError, Result};
use crate::util::BestMode;

/// A grid search (FE's `GridSearch`): the evaluation function on every combination of the
/// parameters' values (the Cartesian product, the last parameter changing fastest).
///
/// ```
/// use fastestimator::search::{BestMode, GridSearch, Params};
/// use fastestimator::output;
///
/// let mut search = GridSearch::new(|p: &Params, _search_idx| Ok(p.i64("a")? + p.i64("b")?))
///     .param("a", [1, 2, 3])
///     .param("b", [4, 5, 6]);
/// output::with_sink(output::silent, || search.fit(None)).unwrap();
/// assert_eq!(search.get_search_summary().len(), 9);
/// let best = search.get_best_results(Some(BestMode::Max), None).unwrap();
/// assert_eq!(best.params_with_idx().to_string(), "{'a': 3, 'b': 6, 'search_idx': 9}");
/// assert_eq!(best.result.to_string(), "{'value': 9.0}");
/// ```
///
/// **Resuming.** `fit(Some(dir))` saves `<dir>/<name>.json` after every evaluation (written
/// atomically) and, when started again on the same folder, continues from the save: the
/// points evaluated before are not evaluated again.
///
/// **In parallel.** With [`GridSearch::n_jobs`] above one, the points are evaluated by worker
/// processes, up to `n_jobs` at once (see [`WORKER_ENV`](super::WORKER_ENV)): each a new
/// process of the same program, which must reach this search's `fit()` the same way again (the
/// same arguments, and no other search fitted before it). The trials, their `search_idx` and
/// their results are the same as in a sequential run.
#[derive(Debug)]
pub struct GridSearch<'a> {
    search: Search<'a>,
    params: Vec<(String, Vec<Value>)>,
    n_jobs: usize,
}

impl<'a> GridSearch<'a> {
    /// A grid search named `grid_search` over `eval_fn`; add the parameters with
    /// [`GridSearch::param`].
    pub fn new<R: Into<SearchResult>>(eval_fn: impl FnMut(&Params, usize) -> Result<R> + 'a) -> Self {
        GridSearch { search: Search::new("grid_search", eval_fn), params: Vec::new(), n_jobs: 1 }
    }

    /// Add a parameter and its values (numbers, strings or booleans; FE's `params` dict entry).
    pub fn param<T: Into<Value>>(mut self, name: impl Into<String>, values: impl IntoIterator<Item = T>) -> Self {
        self.params.push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// Which way is better, for [`Search::get_best_results`].
    pub fn best_mode(mut self, mode: BestMode) -> Self {
        self.search.set_best_mode(Some(mode));
        self
    }

    /// The result field that decides the best.
    pub fn optimize_field(mut self, field: impl Into<String>) -> Self {
        self.search.set_optimize_field(Some(field.into()));
        self
    }

    /// The search's name (its file is `<name>.json`; default `grid_search`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.search.set_name(name);
        self
    }

    /// Evaluate up to `n` points at once, each in a worker process (default 1: one after the
    /// other, in this process).
    pub fn n_jobs(mut self, n: usize) -> Self {
        self.n_jobs = n.max(1);
        self
    }

    /// The underlying [`Search`] (its `name()`, `best_mode()` ... getters; the builder methods of
    /// the same names take precedence through `Deref`).
    pub fn search(&self) -> &Search<'a> {
        &self.search
    }

    /// Every point of the grid, in order.
    pub fn points(&self) -> Result<Vec<Params>> {
        self.validate()?;
        let mut points = vec![Params::new()];
        for (name, values) in &self.params {
            points = points
                .into_iter()
                .flat_map(|p| {
                    values.iter().map(move |v| {
                        let mut next = p.clone();
                        next.insert(name.clone(), v.clone());
                        next
                    })
                })
                .collect();
        }
        Ok(points)
    }

    /// FE's checks on `params`, as [`FeError::InvalidParameter`].
    fn validate(&self) -> Result<()> {
        let component = format!("GridSearch {:?}", self.search.name());
        if self.params.is_empty() {
            return Err(FeError::param(component, "params", "must provide params: no parameter was given"));
        }
        for (i, (name, values)) in self.params.iter().enumerate() {
            if name.is_empty() || name == "search_idx" {
                return Err(FeError::param(component, name, "a parameter needs a name other than 'search_idx'"));
            }
            if self.params[..i].iter().any(|(n, _)| n == name) {
                return Err(FeError::param(component, name, "the parameter is given twice"));
            }
            if values.is_empty() {
                return Err(FeError::param(component, name, "the parameter has no values"));
            }
        }
        Ok(())
    }

    /// Run the search (FE's `fit(save_dir)`): every point not evaluated yet. See the type's
    /// documentation for resuming and parallel evaluation.
    pub fn fit(&mut self, save_dir: Option<&Path>) -> Result<()> {
        let points = self.points()?;
        self.search.begin_fit(save_dir)?;
        self.search.evaluate_all(points, self.n_jobs)
    }
}

deref_to_search!(GridSearch);
