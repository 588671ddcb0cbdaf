//! Hyperparameter search (FE's `fe.search`): run an evaluation function — typically a short
//! training run that returns a metric — over a set of hyperparameter points, and find the best.
//!
//! - [`Search`], the base: the evaluation function receives the point's [`Params`] and its
//!   `search_idx`; its result is named numbers ([`SearchResult`]; a bare number becomes
//!   `{"value": x}`). A point is never evaluated twice (a cache keyed by the sorted parameters).
//!   Each evaluation prints FE's line `FastEstimator-Search: Evaluated {...}, result: {...}`
//!   through [`crate::output`]. [`Search::get_best_results`], [`Search::get_search_summary`],
//!   [`Search::save`] / [`Search::load`] (FE's `<name>.json`, [`SearchState`]).
//! - [`GridSearch`]: the Cartesian product of the parameters' values; with
//!   [`GridSearch::n_jobs`], evaluated by worker processes side by side ([`WORKER_ENV`]).
//! - [`GoldenSection`]: the golden-section search of one parameter (sequential).
//!
//! Searches are **resumable**: `fit(Some(dir))` saves `<dir>/<name>.json` after every
//! evaluation (atomically), and a search started again on the same folder continues where the
//! save ends, evaluating nothing twice. Every trial is **recorded in the experiment history**
//! ([`crate::summary::history`]): while the evaluation function runs, an Estimator fitted inside
//! records its run under the search's name with the trial's parameters and `search_idx` as
//! hyperparameters ([`crate::runtime::current_search_trial`]). [`visualize_search`] draws the
//! results as FE does.
//!
//! ```
//! use fastestimator as fe;
//! use fe::search::{BestMode, GridSearch, Params};
//!
//! let mut search = GridSearch::new(|p: &Params, _search_idx| {
//!     let (lr, batch) = (p.f64("lr")?, p.f64("batch_size")?);
//!     // A training run would go here; its metrics are the result.
//!     Ok([("accuracy", 1.0 - (lr - 0.01).abs() - batch / 1000.0), ("loss", lr)])
//! })
//! .param("lr", [0.001, 0.01, 0.1])
//! .param("batch_size", [32, 64])
//! .best_mode(BestMode::Max)
//! .optimize_field("accuracy");
//! fe::output::with_sink(fe::output::silent, || search.fit(None)).unwrap();
//! let best = search.get_best_results(None, None).unwrap();
//! assert_eq!(best.params.to_string(), "{'lr': 0.01, 'batch_size': 32}");
//! ```

mod base;
mod golden_section;
mod grid_search;
mod params;
mod result;
mod state;
mod visualize;
mod worker;

pub use crate::util::BestMode;
pub use base::{EvalFn, Search};
pub use golden_section::GoldenSection;
pub use grid_search::GridSearch;
pub use params::Params;
pub use result::SearchResult;
pub use state::{SearchState, Trial};
pub use visualize::{plot_search, visualize_search, SearchPlot, SearchPlotFiles, SearchPlotKind, SearchPlotOptions};
pub use worker::WORKER_ENV;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output;
    use std::cell::Cell;

    fn quiet<R>(f: impl FnOnce() -> R) -> R {
        output::with_sink(output::silent, f)
    }

    fn grid<'a>(calls: &'a Cell<usize>) -> GridSearch<'a> {
        GridSearch::new(move |p: &Params, _| {
            calls.set(calls.get() + 1);
            Ok(p.i64("a")? + p.i64("b")?)
        })
        .param("a", [1, 2, 3])
        .param("b", [4, 5, 6])
    }

    #[test]
    fn fe_grid_fact_and_reload() {
        let calls = Cell::new(0);
        let dir = tempfile::tempdir().unwrap();
        let mut search = grid(&calls);
        quiet(|| search.fit(Some(dir.path()))).unwrap();
        assert_eq!((calls.get(), search.search_idx()), (9, 9));
        let best = search.get_best_results(Some(BestMode::Max), None).unwrap();
        assert_eq!(best.params_with_idx().to_string(), "{'a': 3, 'b': 6, 'search_idx': 9}");
        assert_eq!(best.result, SearchResult::from(9.0));
        let min = search.get_best_results(Some(BestMode::Min), None).unwrap();
        assert_eq!((min.search_idx, min.result.get("value")), (1, Some(5.0)));

        // Reloading restores search_idx 9 and the cache: fitting again evaluates nothing.
        let calls2 = Cell::new(0);
        let mut again = grid(&calls2);
        quiet(|| again.load(dir.path(), false)).unwrap();
        assert_eq!(again.search_idx(), 9);
        assert_eq!(again.get_search_summary(), search.get_search_summary());
        quiet(|| again.fit(Some(dir.path()))).unwrap();
        assert_eq!(calls2.get(), 0);
        // A missing file is an error unless not_exist_ok.
        let empty = tempfile::tempdir().unwrap();
        let err = again.load(empty.path(), false).unwrap_err().to_string();
        assert!(err.contains("cannot find file to load") && err.contains("grid_search.json"), "{err}");
        again.load(empty.path(), true).unwrap();
        assert_eq!(again.search_idx(), 0);
    }

    #[test]
    fn log_lines_are_fes() {
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&lines);
        let calls = Cell::new(0);
        let mut search = grid(&calls);
        output::with_sink(move |_, l| sink.lock().unwrap().push(l.to_string()), || search.fit(None)).unwrap();
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 9);
        assert_eq!(
            lines[0],
            "FastEstimator-Search: Evaluated {'a': 1, 'b': 4, 'search_idx': 1}, result: {'value': 5.0}"
        );
    }

    #[test]
    fn best_results_errors_are_fes() {
        let mut search =
            GridSearch::new(|p: &Params, _| Ok([("x", p.f64("a")?), ("y", -p.f64("a")?)])).param("a", [1, 2]);
        let err = search.get_best_results(Some(BestMode::Max), None).unwrap_err();
        assert!(matches!(err, crate::FeError::EmptySearch { .. }), "{err}");
        quiet(|| search.fit(None)).unwrap();
        let err = search.get_best_results(Some(BestMode::Max), None).unwrap_err();
        assert!(matches!(&err, crate::FeError::AmbiguousSearchField { fields, .. } if fields == &["x", "y"]), "{err}");
        assert!(err.to_string().contains("optimize_field is None"));
        let err = search.get_best_results(None, Some("x")).unwrap_err().to_string();
        assert!(err.contains("best_mode must be either 'max' or 'min'"), "{err}");
        let err = search.get_best_results(Some(BestMode::Max), Some("z")).unwrap_err();
        assert!(matches!(&err, crate::FeError::UnknownSearchField { field, .. } if field == "z"), "{err}");
        assert_eq!(search.get_best_results(Some(BestMode::Min), Some("y")).unwrap().search_idx, 2);
        assert!("mean".parse::<BestMode>().is_err());
    }

    #[test]
    fn grid_construction_errors_are_typed() {
        let f = |_: &Params, _| Ok(1.0);
        let err = GridSearch::new(f).fit(None).unwrap_err();
        assert!(matches!(&err, crate::FeError::InvalidParameter { param, .. } if param == "params"), "{err}");
        let err = GridSearch::new(f).param("a", Vec::<i64>::new()).fit(None).unwrap_err();
        assert!(err.to_string().contains("`a`") && err.to_string().contains("no values"), "{err}");
        let err = GridSearch::new(f).param("a", [1]).param("a", [2]).fit(None).unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
    }

    #[test]
    fn a_failing_evaluation_names_the_point_and_keeps_the_others() {
        let mut search = GridSearch::new(|p: &Params, _| if p.i64("a")? == 2 { p.f64("missing") } else { p.f64("a") })
            .param("a", [1, 2, 3]);
        let err = quiet(|| search.fit(None)).unwrap_err();
        assert!(matches!(&err, crate::FeError::SearchTrial { search_idx: 2, .. }), "{err}");
        assert!(
            err.to_string().contains("{'a': 2, 'search_idx': 2}") && err.to_string().contains("`missing`"),
            "{err}"
        );
        assert_eq!(search.get_search_summary().len(), 1);
        assert_eq!(search.search_idx(), 1);
    }

    #[test]
    fn golden_section_finds_fes_minimum() {
        let square = |p: &Params, _| p.f64("n").map(|n| (n - 3.0) * (n - 3.0));
        let mut int = GoldenSection::new("n", 0.0, 6.0, 10, BestMode::Min, square).unwrap();
        quiet(|| int.fit(None)).unwrap();
        let best = int.get_best_results(None, None).unwrap();
        assert_eq!(best.params.get("n"), Some(&serde_json::json!(3)));
        assert!(int.search_idx() < 12, "integer points repeat and come from the cache");

        let mut float = GoldenSection::new("n", 0.0, 6.0, 10, BestMode::Min, square).unwrap().integer(false);
        quiet(|| float.fit(None)).unwrap();
        let best = float.get_best_results(None, None).unwrap();
        assert!((best.params.f64("n").unwrap() - 3.0).abs() < 0.01, "{best:?}");
        assert_eq!(float.search_idx(), 12, "two points, then one per iteration");

        // Maximisation, with a named field.
        let peak = |p: &Params, _| Ok([("score", -(p.f64("x")? - 1.5).powi(2)), ("other", 0.0)]);
        let mut max =
            GoldenSection::new("x", -4.0, 4.0, 20, BestMode::Max, peak).unwrap().integer(false).optimize_field("score");
        quiet(|| max.fit(None)).unwrap();
        assert!((max.get_best_results(None, None).unwrap().params.f64("x").unwrap() - 1.5).abs() < 0.01);
    }

    #[test]
    fn golden_section_construction_errors_are_fes() {
        let f = |_: &Params, _| Ok(0.0);
        let reason = |r: crate::Result<GoldenSection<'_>>| r.unwrap_err().to_string();
        assert!(reason(GoldenSection::new("n", 6.0, 0.0, 10, BestMode::Min, f))
            .contains("x_min must be smaller than x_max"));
        assert!(reason(GoldenSection::new("n", 1.0, 1.0, 10, BestMode::Min, f)).contains("x_min must be smaller"));
        // Integer mode's whole-number bounds are checked when the search runs (`integer` is a setter).
        let mut fractional = GoldenSection::new("n", 0.5, 6.0, 10, BestMode::Min, f).unwrap();
        let err = quiet(|| fractional.fit(None)).unwrap_err();
        assert!(matches!(&err, crate::FeError::InvalidParameter { param, .. } if param == "integer"), "{err}");
        assert!(err.to_string().contains("must be integers"), "{err}");
        assert_eq!(fractional.search_idx(), 0, "nothing is evaluated");
        let mut fractional = GoldenSection::new("n", 0.5, 6.0, 10, BestMode::Min, f).unwrap().integer(false);
        quiet(|| fractional.fit(None)).unwrap();
        assert!(reason(GoldenSection::new("n", 0.0, 6.0, 0, BestMode::Min, f))
            .contains("max_iter should be greater than 0"));
        assert!(reason(GoldenSection::new("search_idx", 0.0, 6.0, 3, BestMode::Min, f)).contains("search_idx"));
        assert!(reason(GoldenSection::new("n", 0.0, f64::NAN, 3, BestMode::Min, f)).contains("finite"));
    }

    #[test]
    fn the_trial_is_visible_to_code_the_evaluation_runs() {
        let mut search = GridSearch::new(|_: &Params, idx| {
            let trial = crate::runtime::current_search_trial().unwrap();
            assert_eq!((trial.search.as_str(), trial.search_idx), ("named", idx));
            Ok(trial.params[0].1.as_f64().unwrap_or(0.0))
        })
        .param("lr", [0.1, 0.2])
        .name("named");
        quiet(|| search.fit(None)).unwrap();
        assert!(crate::runtime::current_search_trial().is_none());
        assert_eq!(search.get_search_summary()[1].result.get("value"), Some(0.2));
    }
}
