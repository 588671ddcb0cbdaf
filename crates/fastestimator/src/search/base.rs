//! The base of every search (FE's `Search`): the evaluation function, the cache, the log line,
//! the best result, and saving and loading.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::params::Params;
use super::result::SearchResult;
use super::state::{SearchState, Trial};
use super::worker;
use crate::error::{FeError, Result};
use crate::output;
use crate::runtime::{with_search_trial, SearchTrial};
use crate::util::BestMode;

/// `Deref`/`DerefMut` from a search type (a struct with a `search: Search<'a>` field) to its
/// [`Search`], so `get_best_results`, `save`, ... are called on it directly.
macro_rules! deref_to_search {
    ($search:ident) => {
        impl<'a> std::ops::Deref for $search<'a> {
            type Target = $crate::search::Search<'a>;

            fn deref(&self) -> &$crate::search::Search<'a> {
                &self.search
            }
        }

        impl<'a> std::ops::DerefMut for $search<'a> {
            fn deref_mut(&mut self) -> &mut $crate::search::Search<'a> {
                &mut self.search
            }
        }
    };
}
pub(crate) use deref_to_search;

/// The evaluation function of a search: the point's parameters and its `search_idx` (from 1) in,
/// named numbers out.
pub type EvalFn<'a> = Box<dyn FnMut(&Params, usize) -> Result<SearchResult> + 'a>;

/// The base of every search (FE's `Search`). It evaluates points through the evaluation
/// function, never evaluating the same parameters twice (a cache keyed by the sorted
/// parameters), numbers the evaluations (`search_idx` from 1), prints FE's line
/// `FastEstimator-Search: Evaluated {...}, result: {...}` through [`crate::output`], keeps the
/// summary, finds the best result, and saves and loads FE's `<name>.json`.
///
/// [`GridSearch`](super::GridSearch) and [`GoldenSection`](super::GoldenSection) are built on
/// it and give access to it through `Deref`. Used alone, `evaluate` is the search:
///
/// ```
/// use fastestimator::search::{BestMode, Params, Search};
/// use fastestimator::output;
///
/// let mut search = Search::new("search", |p: &Params, _search_idx| p.f64("x").map(|x| -(x - 2.0) * (x - 2.0)));
/// output::with_sink(output::silent, || {
///     for x in [0, 1, 2, 3, 1] {
///         search.evaluate(Params::from_pairs([("x", x.into())])).unwrap();
///     }
/// });
/// assert_eq!(search.search_idx(), 4, "x=1 came from the cache the second time");
/// let best = search.get_best_results(Some(BestMode::Max), None).unwrap();
/// assert_eq!((best.params.i64("x").unwrap(), best.search_idx), (2, 3));
/// ```
pub struct Search<'a> {
    state: SearchState,
    eval_fn: EvalFn<'a>,
    cache: HashMap<String, SearchResult>,
    search_idx: usize,
    save_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Search<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search")
            .field("state", &self.state)
            .field("search_idx", &self.search_idx)
            .field("save_dir", &self.save_dir)
            .finish_non_exhaustive()
    }
}

impl<'a> Search<'a> {
    /// A search named `name` (its file is `<name>.json`) over `eval_fn`. The function receives
    /// the point's parameters and its `search_idx`, and returns a number (recorded as
    /// `{"value": x}`) or named numbers ([`SearchResult`]).
    pub fn new<R: Into<SearchResult>>(
        name: impl Into<String>,
        mut eval_fn: impl FnMut(&Params, usize) -> Result<R> + 'a,
    ) -> Self {
        Search {
            state: SearchState { name: name.into(), ..SearchState::default() },
            eval_fn: Box::new(move |params, idx| eval_fn(params, idx).map(Into::into)),
            cache: HashMap::new(),
            search_idx: 0,
            save_dir: None,
        }
    }

    /// The search's name.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// The number of evaluations so far (the `search_idx` of the latest).
    pub fn search_idx(&self) -> usize {
        self.search_idx
    }

    /// Which way is better, when set.
    pub fn best_mode(&self) -> Option<BestMode> {
        self.state.best_mode
    }

    /// The result field that decides the best, when set.
    pub fn optimize_field(&self) -> Option<&str> {
        self.state.optimize_field.as_deref()
    }

    /// Set which way is better (the default of [`Search::get_best_results`]).
    pub fn set_best_mode(&mut self, mode: Option<BestMode>) {
        self.state.best_mode = mode;
    }

    /// Set the result field that decides the best.
    pub fn set_optimize_field(&mut self, field: Option<String>) {
        self.state.optimize_field = field;
    }

    /// Rename the search (and so its file).
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.state.name = name.into();
    }

    /// Every evaluation so far, in `search_idx` order (FE's `get_search_summary`).
    pub fn get_search_summary(&self) -> &[Trial] {
        &self.state.trials
    }

    /// The whole state: what [`Search::save`] writes.
    pub fn state(&self) -> &SearchState {
        &self.state
    }

    /// The folder the search saves into after each evaluation, when fitting with one.
    pub fn save_dir(&self) -> Option<&Path> {
        self.save_dir.as_deref()
    }

    /// Evaluate one point: from the cache if these parameters were evaluated before, else
    /// through the evaluation function as trial `search_idx + 1`, which is then recorded, saved
    /// (when fitting with a save folder) and printed. While the function runs, the thread's
    /// [`current_search_trial`](crate::runtime::current_search_trial) names the trial, so an
    /// Estimator fitted inside records into the experiment history under the search's name.
    ///
    /// An error of the function is an [`FeError::SearchTrial`] naming the point; nothing is
    /// recorded for it.
    pub fn evaluate(&mut self, params: Params) -> Result<SearchResult> {
        if let Some(result) = self.cache.get(&params.cache_key()) {
            return Ok(result.clone());
        }
        let search_idx = self.search_idx + 1;
        let result = self.call(&params, search_idx)?;
        self.record(Trial { params, search_idx, result: result.clone() })?;
        Ok(result)
    }

    /// Run the evaluation function on one point as trial `search_idx`.
    pub(crate) fn call(&mut self, params: &Params, search_idx: usize) -> Result<SearchResult> {
        let trial = SearchTrial { search: self.state.name.clone(), search_idx, params: params.to_pairs() };
        let eval_fn = &mut self.eval_fn;
        with_search_trial(trial, || eval_fn(params, search_idx)).map_err(|e| self.trial_error(params, search_idx, e))
    }

    /// An [`FeError::SearchTrial`] for the point.
    pub(crate) fn trial_error(&self, params: &Params, search_idx: usize, reason: impl std::fmt::Display) -> FeError {
        FeError::SearchTrial {
            search: self.state.name.clone(),
            search_idx,
            params: params.repr_with_idx(search_idx),
            reason: reason.to_string(),
        }
    }

    /// Whether the point has a result already.
    pub(crate) fn is_cached(&self, params: &Params) -> bool {
        self.cache.contains_key(&params.cache_key())
    }

    /// Record a finished trial: into the summary (kept in `search_idx` order) and the cache,
    /// then save (when fitting with a save folder) and print FE's line.
    pub(crate) fn record(&mut self, trial: Trial) -> Result<()> {
        let line = format!(
            "FastEstimator-Search: Evaluated {}, result: {}",
            trial.params.repr_with_idx(trial.search_idx),
            trial.result
        );
        self.search_idx = self.search_idx.max(trial.search_idx);
        self.cache.insert(trial.params.cache_key(), trial.result.clone());
        let at = self.state.trials.partition_point(|t| t.search_idx < trial.search_idx);
        self.state.trials.insert(at, trial);
        if let Some(dir) = self.save_dir.clone() {
            self.save(dir)?;
        }
        output::log(&line);
        Ok(())
    }

    /// The best trial so far (FE's `get_best_results`): by `best_mode` (else the search's), on
    /// `optimize_field` (else the search's, else the only field of the results). NaN results
    /// are never the best; on a tie the earlier trial wins.
    ///
    /// Errors: no trial yet ([`FeError::EmptySearch`]); no best mode
    /// ([`FeError::InvalidParameter`]); results with several fields and no field chosen
    /// ([`FeError::AmbiguousSearchField`]); a field a trial lacks
    /// ([`FeError::UnknownSearchField`]).
    pub fn get_best_results(&self, best_mode: Option<BestMode>, optimize_field: Option<&str>) -> Result<Trial> {
        let name = &self.state.name;
        let mode = best_mode.or(self.state.best_mode).ok_or_else(|| {
            FeError::param(format!("search {name:?}"), "best_mode", "best_mode must be either 'max' or 'min'")
        })?;
        let first = self.state.trials.first().ok_or_else(|| FeError::EmptySearch { search: name.clone() })?;
        let field = self.field_of(optimize_field, &first.result)?;
        let mut best: Option<(&Trial, f64)> = None;
        for trial in &self.state.trials {
            let value = trial.result.get(&field).ok_or_else(|| FeError::UnknownSearchField {
                search: name.clone(),
                field: field.clone(),
                search_idx: trial.search_idx,
                available: trial.result.fields().map(str::to_string).collect(),
            })?;
            let better = match best {
                None => true,
                Some((_, b)) => mode.is_better(value, b),
            };
            if better {
                best = Some((trial, value));
            }
        }
        Ok(best.map(|(t, _)| t.clone()).unwrap_or_else(|| first.clone()))
    }

    /// The field that decides the best: the one given, the search's, or the only one of
    /// `result` (FE's `_infer_optimize_field`).
    pub(crate) fn field_of(&self, optimize_field: Option<&str>, result: &SearchResult) -> Result<String> {
        if let Some(field) = optimize_field.or(self.state.optimize_field.as_deref()) {
            return Ok(field.to_string());
        }
        let fields: Vec<String> = result.fields().map(str::to_string).collect();
        match fields.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(FeError::AmbiguousSearchField { search: self.state.name.clone(), fields }),
        }
    }

    /// The value of the deciding field in `result` (FE's `_get_value_from_result`).
    pub(crate) fn value_of(&self, result: &SearchResult, search_idx: usize) -> Result<f64> {
        let field = self.field_of(None, result)?;
        result.get(&field).ok_or_else(|| FeError::UnknownSearchField {
            search: self.state.name.clone(),
            field,
            search_idx,
            available: result.fields().map(str::to_string).collect(),
        })
    }

    /// Save the state to `<dir>/<name>.json` (FE's format, written atomically) and print FE's
    /// line. Returns the file's path.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<PathBuf> {
        let path = self.state.save(dir)?;
        output::log(&format!("FastEstimator-Search: Saving the search summary to {}", path.display()));
        Ok(path)
    }

    /// Forget every evaluation, then read `<dir>/<name>.json` if it exists: its trials, and so
    /// the cache and `search_idx`. A best mode or optimised field the search was given is kept;
    /// otherwise the file's are taken. A missing file is an error unless `not_exist_ok`.
    pub fn load(&mut self, dir: impl AsRef<Path>, not_exist_ok: bool) -> Result<()> {
        self.reset();
        let path = SearchState::file_in(dir, &self.state.name);
        if !path.exists() {
            if not_exist_ok {
                return Ok(());
            }
            let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
            return Err(FeError::io("cannot find file to load in", path, missing));
        }
        let loaded = SearchState::load_file(&path)?;
        self.state.best_mode = self.state.best_mode.or(loaded.best_mode);
        self.state.optimize_field = self.state.optimize_field.take().or(loaded.optimize_field);
        for trial in &loaded.trials {
            self.search_idx = self.search_idx.max(trial.search_idx);
            self.cache.insert(trial.params.cache_key(), trial.result.clone());
        }
        self.state.trials = loaded.trials;
        output::log(&format!("FastEstimator-Search: Loading the search state from {}", path.display()));
        Ok(())
    }

    /// Forget every evaluation.
    fn reset(&mut self) {
        self.state.trials.clear();
        self.cache.clear();
        self.search_idx = 0;
    }

    /// What `fit(save_dir)` does first (FE's `Search.fit`). In a worker process started by a
    /// parallel search, evaluate the worker's point and end the process. Otherwise, without a
    /// folder, start from nothing; with one, create it and continue from the save there.
    pub(crate) fn begin_fit(&mut self, save_dir: Option<&Path>) -> Result<()> {
        let name = self.state.name.clone();
        worker::serve_if_worker(&name, |params, search_idx| self.call(params, search_idx))?;
        match save_dir {
            None => {
                self.save_dir = None;
                self.reset();
            }
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| FeError::io("cannot create directory", dir, e))?;
                self.save_dir = Some(dir.to_path_buf());
                self.load(dir, true)?;
            }
        }
        Ok(())
    }

    /// Evaluate every point not evaluated yet, in order, numbering them in that order. With
    /// `n_jobs > 1`, up to `n_jobs` worker processes evaluate them side by side (see
    /// [`GridSearch::n_jobs`](super::GridSearch::n_jobs)); the trials, their numbers and
    /// results are the same as one after the other.
    pub(crate) fn evaluate_all(&mut self, points: Vec<Params>, n_jobs: usize) -> Result<()> {
        let mut pending: Vec<Params> = Vec::new();
        for point in points {
            let key = point.cache_key();
            if !self.is_cached(&point) && !pending.iter().any(|p| p.cache_key() == key) {
                pending.push(point);
            }
        }
        if n_jobs <= 1 || pending.len() <= 1 {
            for point in pending {
                self.evaluate(point)?;
            }
            return Ok(());
        }
        let first_idx = self.search_idx + 1;
        let jobs: Vec<(usize, Params)> = pending.into_iter().enumerate().map(|(i, p)| (first_idx + i, p)).collect();
        let name = self.state.name.clone();
        let save_dir = self.save_dir.clone();
        worker::run_parallel(&name, save_dir.as_deref(), jobs, n_jobs, |search_idx, params, outcome| match outcome {
            Ok(result) => self.record(Trial { params, search_idx, result }),
            Err(reason) => Err(self.trial_error(&params, search_idx, reason)),
        })
    }
}
