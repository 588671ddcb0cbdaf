//! [`GoldenSection`]: the golden-section search of one parameter (FE's `GoldenSection`).

use std::path::Path;

use serde_json::Value;

use super::base::{deref_to_search, Search};
use super::params::Params;
use super::result::SearchResult;
use crate::error::{FeError, Result};
use crate::output;
use crate::util::BestMode;

/// The golden-section search of one parameter (FE's `GoldenSection`), for a unimodal result:
/// two evaluations inside `[x_min, x_max]`, then `max_iter` iterations that each shrink the
/// range by the inverse golden ratio (0.618) and evaluate one new point. With `integer` (the
/// default) the points are whole numbers (truncated, as FE's `int(x)`), and a point met again
/// comes from the cache.
///
/// Each point depends on the results before it, so the search is sequential: there is no
/// `n_jobs`. It resumes as [`GridSearch`](super::GridSearch) does: `fit(Some(dir))` saves after
/// each evaluation, and a restart replays the saved points from the cache.
///
/// ```
/// use fastestimator::search::{BestMode, GoldenSection, Params};
/// use fastestimator::output;
///
/// let square = |p: &Params, _search_idx| p.f64("n").map(|n| (n - 3.0) * (n - 3.0));
/// let mut search = GoldenSection::new("n", 0.0, 6.0, 10, BestMode::Min, square).unwrap();
/// output::with_sink(output::silent, || search.fit(None)).unwrap();
/// let best = search.get_best_results(None, None).unwrap();
/// assert_eq!(best.params.i64("n").unwrap(), 3);
///
/// // FE's construction checks.
/// assert!(GoldenSection::new("n", 6.0, 0.0, 10, BestMode::Min, square).is_err());
/// assert!(GoldenSection::new("n", 0.0, 6.0, 0, BestMode::Min, square).is_err());
/// // Integer mode needs whole bounds: checked when the search runs, after every setter.
/// let mut fractional = GoldenSection::new("n", 0.0, 6.5, 10, BestMode::Min, square).unwrap();
/// assert!(output::with_sink(output::silent, || fractional.fit(None)).is_err());
/// let mut fractional = GoldenSection::new("n", 0.0, 6.5, 10, BestMode::Min, square).unwrap().integer(false);
/// output::with_sink(output::silent, || fractional.fit(None)).unwrap();
/// ```
#[derive(Debug)]
pub struct GoldenSection<'a> {
    search: Search<'a>,
    param: String,
    x_min: f64,
    x_max: f64,
    max_iter: usize,
    integer: bool,
}

impl<'a> GoldenSection<'a> {
    /// A search named `golden_section_search` of the parameter `param` over `[x_min, x_max]`
    /// (inclusive), `max_iter` iterations, in integer mode.
    ///
    /// FE's checks are [`FeError::InvalidParameter`]s: `x_min` must be smaller than `x_max`
    /// (both finite), `max_iter` above 0, and `param` a name other than `search_idx`. In integer
    /// mode `x_min` and `x_max` must also be whole numbers; as the mode is a setter
    /// ([`GoldenSection::integer`]), that is checked when the search runs (`fit`).
    pub fn new<R: Into<SearchResult>>(
        param: impl Into<String>,
        x_min: f64,
        x_max: f64,
        max_iter: usize,
        best_mode: BestMode,
        eval_fn: impl FnMut(&Params, usize) -> Result<R> + 'a,
    ) -> Result<Self> {
        let mut search = Search::new("golden_section_search", eval_fn);
        search.set_best_mode(Some(best_mode));
        let golden = GoldenSection { search, param: param.into(), x_min, x_max, max_iter, integer: true };
        golden.validate(false)?;
        Ok(golden)
    }

    /// FE's checks of the settings; the integer-mode check of the bounds only with
    /// `check_integer` (the mode may still change after `new`).
    fn validate(&self, check_integer: bool) -> Result<()> {
        let reject = |param: &str, reason: &str| Err(FeError::param("GoldenSection", param, reason));
        if self.param.is_empty() || self.param == "search_idx" {
            return reject("param", "the searched parameter needs a name other than 'search_idx'");
        }
        if !self.x_min.is_finite() || !self.x_max.is_finite() {
            return reject("x_min", "x_min and x_max must be finite numbers");
        }
        if self.x_min >= self.x_max {
            return reject("x_min", "x_min must be smaller than x_max");
        }
        if check_integer && self.integer && (self.x_min.fract() != 0.0 || self.x_max.fract() != 0.0) {
            return reject("integer", "x_min and x_max must be integers when searching in integer mode");
        }
        if self.max_iter == 0 {
            return reject("max_iter", "max_iter should be greater than 0");
        }
        Ok(())
    }

    /// Whether the parameter is a whole number (default `true`). In integer mode `x_min` and
    /// `x_max` must be whole numbers: `fit` returns an [`FeError::InvalidParameter`] for
    /// `integer` when they are not.
    pub fn integer(mut self, integer: bool) -> Self {
        self.integer = integer;
        self
    }

    /// The result field that decides which point is better.
    pub fn optimize_field(mut self, field: impl Into<String>) -> Self {
        self.search.set_optimize_field(Some(field.into()));
        self
    }

    /// The search's name (its file is `<name>.json`; default `golden_section_search`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.search.set_name(name);
        self
    }

    /// The underlying [`Search`].
    pub fn search(&self) -> &Search<'a> {
        &self.search
    }

    /// The point `x` as the evaluation function receives it.
    fn point(&self, x: f64) -> (f64, Params) {
        let (x, value) = if self.integer {
            let x = x.trunc();
            (x, Value::from(x as i64))
        } else {
            (x, Value::from(x))
        };
        (x, Params::from_pairs([(self.param.clone(), value)]))
    }

    /// The value that decides at `x`.
    fn value_at(&mut self, x: f64) -> Result<(f64, f64)> {
        let (x, params) = self.point(x);
        let result = self.search.evaluate(params)?;
        let idx = self.search.search_idx();
        Ok((x, self.search.value_of(&result, idx)?))
    }

    /// Run the search (FE's `fit(save_dir)`), then print the best parameters and result.
    pub fn fit(&mut self, save_dir: Option<&Path>) -> Result<()> {
        self.validate(true)?;
        self.search.begin_fit(save_dir)?;
        let mode = self.search.best_mode().unwrap_or(BestMode::Max);
        let inv_phi = (5f64.sqrt() - 1.0) / 2.0;
        let inv_phi2 = (3.0 - 5f64.sqrt()) / 2.0;
        let (mut a, mut h) = (self.x_min, self.x_max - self.x_min);
        let (mut c, mut yc) = self.value_at(a + inv_phi2 * h)?;
        let (mut d, mut yd) = self.value_at(a + inv_phi * h)?;
        for _ in 0..self.max_iter {
            h *= inv_phi;
            if mode.is_better(yc, yd) {
                (d, yd) = (c, yc);
                (c, yc) = self.value_at(a + inv_phi2 * h)?;
            } else {
                a = c;
                (c, yc) = (d, yd);
                (d, yd) = self.value_at(a + inv_phi * h)?;
            }
        }
        let best = self.search.get_best_results(None, None)?;
        output::log(&format!(
            "FastEstimator-Search: Golden Section Search Finished, best parameters: {}, best result: {}",
            best.params_with_idx(),
            best.result
        ));
        Ok(())
    }
}

deref_to_search!(GoldenSection);
