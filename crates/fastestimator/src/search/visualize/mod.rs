//! Drawing a search's results (FE's `visualize_search`): FE's choice of chart, as a PNG and as
//! a self-contained interactive HTML page.
//!
//! As FE chooses: one parameter that varies (numbers only) → a line per result against it
//! (`cartesian`); two → a heatmap per result (numeric results, no ignored parameter that
//! varies); otherwise parallel coordinates. Parameters with a single value, `search_idx` and
//! the ignored keys are left out. Text and boolean values are categories. Positive numbers that
//! span two decades or more (learning rates) get a logarithmic axis.

mod axis;
mod charts;
mod data;
mod html;
mod scene;

use std::path::{Path, PathBuf};

use data::SearchData;
use scene::Scene;

use crate::error::{FeError, Result};
use crate::search::{BestMode, SearchState};
use crate::summary::logs::plot::{ensure_font, write_atomically};

/// The chart [`plot_search`] chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchPlotKind {
    /// One parameter: each result against it (FE's `visualize_cartesian`).
    Cartesian,
    /// Two parameters: a heatmap per result (FE's `visualize_heatmap`).
    Heatmap,
    /// Any other number: parallel coordinates (FE's `visualize_parallel_coordinates`).
    ParallelCoordinates,
}

/// Options of [`plot_search`] (FE's `title` and `ignore_keys`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPlotOptions {
    title: Option<String>,
    ignore_keys: Vec<String>,
    font: Option<PathBuf>,
}

impl SearchPlotOptions {
    /// The defaults: the search's name as title, nothing ignored.
    pub fn new() -> Self {
        Self::default()
    }

    /// The figure's title (default: the search's name).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Parameters and results to leave out.
    pub fn ignore_keys<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.ignore_keys.extend(keys.into_iter().map(Into::into));
        self
    }

    /// The TrueType font of the PNG (default: `FE_PLOT_FONT`, else DejaVu Sans).
    pub fn font(mut self, path: impl Into<PathBuf>) -> Self {
        self.font = Some(path.into());
        self
    }
}

/// A search's chart, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlot {
    /// The chart chosen.
    pub kind: SearchPlotKind,
    /// The title.
    pub title: String,
    /// The parameters drawn (those that vary, not ignored).
    pub params: Vec<String>,
    /// The results drawn.
    pub results: Vec<String>,
    scene: Scene,
    font: Option<PathBuf>,
}

/// The files [`visualize_search`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPlotFiles {
    /// The PNG.
    pub png: PathBuf,
    /// The interactive HTML page.
    pub html: PathBuf,
}

/// Lay out the chart of `state` (FE's `plot_search`: the chart is chosen as FE's
/// `visualize_search` does). A search without trials, parameters that vary or results is an
/// [`FeError::InvalidValue`].
///
/// ```
/// use fastestimator::search::{plot_search, Params, SearchPlotKind, SearchPlotOptions, SearchResult, SearchState, Trial};
///
/// let trials = (1..=4)
///     .map(|n| Trial {
///         params: Params::from_pairs([("epochs", n.into())]),
///         search_idx: n as usize,
///         result: SearchResult::from(0.9 + 0.01 * n as f64),
///     })
///     .collect();
/// let state = SearchState { name: "epochs".into(), trials, ..Default::default() };
/// let plot = plot_search(&state, &SearchPlotOptions::new()).unwrap();
/// assert_eq!(plot.kind, SearchPlotKind::Cartesian);
/// assert!(plot.to_html().contains("epochs"));
/// ```
pub fn plot_search(state: &SearchState, options: &SearchPlotOptions) -> Result<SearchPlot> {
    let data = SearchData::new(state, &options.ignore_keys)?;
    let invalid = |reason: String| FeError::InvalidValue {
        consumer: "visualize_search".into(),
        key: if state.name.is_empty() { "search".into() } else { state.name.clone() },
        reason,
    };
    if data.len() == 0 {
        return Err(invalid("the search has no trials to draw".into()));
    }
    if data.params.is_empty() {
        return Err(invalid(
            "no parameter varies (after the ignored keys), so there is nothing to draw against".into(),
        ));
    }
    if data.results.is_empty() {
        return Err(invalid("no result is left to draw (after the ignored keys)".into()));
    }
    let title =
        options
            .title
            .clone()
            .unwrap_or_else(|| if state.name.is_empty() { "Search".into() } else { state.name.clone() });
    let smaller_is_better = state.best_mode == Some(BestMode::Min);
    let (kind, scene) = match data.params.len() {
        1 if data.params[0].categories.is_none() => (SearchPlotKind::Cartesian, charts::cartesian(&data, &title)),
        2 if !data.ignored_params => (SearchPlotKind::Heatmap, charts::heatmap(&data, &title, smaller_is_better)),
        _ => {
            let color_by =
                state.optimize_field.as_ref().and_then(|f| data.results.iter().position(|c| &c.name == f)).unwrap_or(0);
            (
                SearchPlotKind::ParallelCoordinates,
                charts::parallel_coordinates(&data, &title, color_by, smaller_is_better),
            )
        }
    };
    Ok(SearchPlot {
        kind,
        title,
        params: data.params.iter().map(|c| c.name.clone()).collect(),
        results: data.results.iter().map(|c| c.name.clone()).collect(),
        scene,
        font: options.font.clone(),
    })
}

/// Draw `state` (FE's `visualize_search`) into `save_dir` (created if needed) as
/// `<name>.png` and `<name>.html`, each written atomically. The state can come from a running
/// search ([`Search::state`](crate::search::Search::state)) or a saved file
/// ([`SearchState::load_file`]).
///
/// ```no_run
/// use fastestimator::search::{visualize_search, SearchPlotOptions, SearchState};
/// let state = SearchState::load_file("runs/grid_search.json").unwrap();
/// let files = visualize_search(&state, "plots", &SearchPlotOptions::new().ignore_keys(["loss"])).unwrap();
/// println!("{}", files.html.display());
/// ```
pub fn visualize_search(
    state: &SearchState,
    save_dir: impl AsRef<Path>,
    options: &SearchPlotOptions,
) -> Result<SearchPlotFiles> {
    let stem = if state.name.is_empty() { "search" } else { state.name.as_str() };
    plot_search(state, options)?.save(save_dir, stem)
}

impl SearchPlot {
    /// The figure's size in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.scene.width, self.scene.height)
    }

    /// The chart as an encoded PNG.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        ensure_font(self.font.as_deref())?;
        self.scene.to_png()
    }

    /// The chart as a self-contained interactive HTML page (inline SVG; values on hover, a
    /// trial's shapes highlighted together). Nothing is loaded from the network.
    pub fn to_html(&self) -> String {
        html::page(self)
    }

    /// Write `<dir>/<stem>.png` and `<dir>/<stem>.html` (creating `dir`), each through a
    /// temporary file renamed into place.
    pub fn save(&self, dir: impl AsRef<Path>, stem: &str) -> Result<SearchPlotFiles> {
        let dir = dir.as_ref();
        let (png, html) = (self.to_png()?, self.to_html());
        std::fs::create_dir_all(dir).map_err(|e| FeError::io("cannot create directory", dir, e))?;
        let files = SearchPlotFiles { png: dir.join(format!("{stem}.png")), html: dir.join(format!("{stem}.html")) };
        write_atomically(&files.png, &png)?;
        write_atomically(&files.html, html.as_bytes())?;
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Params, SearchResult, Trial};

    fn state(points: &[(&str, Vec<serde_json::Value>)], best_mode: Option<BestMode>) -> SearchState {
        let n = points[0].1.len();
        let trials = (0..n)
            .map(|i| {
                let params: Params = points.iter().map(|(k, v)| (k.to_string(), v[i].clone())).collect();
                let x: f64 = params.iter().filter_map(|(_, v)| v.as_f64()).sum();
                Trial {
                    params,
                    search_idx: i + 1,
                    result: SearchResult::from([("acc", x / 10.0), ("loss", 1.0 / (1.0 + x))]),
                }
            })
            .collect();
        SearchState { name: "s".into(), best_mode, optimize_field: Some("acc".into()), trials }
    }

    #[test]
    fn the_chart_is_chosen_as_fe_does() {
        let one =
            state(&[("epochs", vec![1.into(), 2.into(), 3.into()]), ("bs", vec![8.into(), 8.into(), 8.into()])], None);
        let plot = plot_search(&one, &SearchPlotOptions::new()).unwrap();
        assert_eq!((plot.kind, plot.params.clone()), (SearchPlotKind::Cartesian, vec!["epochs".to_string()]));
        let two = state(
            &[
                ("lr", vec![0.001.into(), 0.01.into(), 0.001.into(), 0.01.into()]),
                ("bs", vec![8.into(), 8.into(), 16.into(), 16.into()]),
            ],
            Some(BestMode::Min),
        );
        let plot = plot_search(&two, &SearchPlotOptions::new().title("Grid")).unwrap();
        assert_eq!((plot.kind, plot.title.as_str()), (SearchPlotKind::Heatmap, "Grid"));
        let html = plot.to_html();
        assert!(html.contains("data-tip=\"bs: 8&#10;lr: 0.001&#10;acc: 0.8008\"") || html.contains("bs: 8"), "{html}");
        assert!(!html.contains("https://") && !html.contains("<script src"));
        // Ignoring a varying parameter leaves one: a line again; three → parallel coordinates.
        let plot = plot_search(&two, &SearchPlotOptions::new().ignore_keys(["lr"])).unwrap();
        assert_eq!(plot.kind, SearchPlotKind::Cartesian);
        let three = state(
            &[("a", vec![1.into(), 2.into()]), ("b", vec![3.into(), 4.into()]), ("c", vec!["x".into(), "y".into()])],
            None,
        );
        assert_eq!(plot_search(&three, &SearchPlotOptions::new()).unwrap().kind, SearchPlotKind::ParallelCoordinates);
        // A single categorical parameter is parallel coordinates too (FE's cartesian needs numbers).
        let cat = state(&[("opt", vec!["adam".into(), "sgd".into()])], None);
        assert_eq!(plot_search(&cat, &SearchPlotOptions::new()).unwrap().kind, SearchPlotKind::ParallelCoordinates);
        let err = plot_search(&one, &SearchPlotOptions::new().ignore_keys(["acc", "loss"])).unwrap_err();
        assert!(err.to_string().contains("no result"), "{err}");
        let err = plot_search(&SearchState::default(), &SearchPlotOptions::new()).unwrap_err();
        assert!(err.to_string().contains("no trials"), "{err}");
    }

    #[test]
    fn saves_png_and_html() {
        let dir = tempfile::tempdir().unwrap();
        let two =
            state(&[("lr", vec![0.001.into(), 0.1.into()]), ("bs", vec![8.into(), 16.into()])], Some(BestMode::Max));
        let files = visualize_search(&two, dir.path(), &SearchPlotOptions::new()).unwrap();
        assert!(std::fs::read(&files.png).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(std::fs::read_to_string(&files.html).unwrap().starts_with("<!DOCTYPE html>"));
        assert_eq!(files.png.file_name().unwrap(), "s.png");
    }
}
