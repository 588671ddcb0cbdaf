//! Comparing runs in charts (FE's `visualize_logs` / `plot_logs`): a grid of metric-vs-step
//! charts, one colour per experiment, train and eval values of a metric on the same chart
//! (solid and dashed), repeated runs averaged into a line with a ±std band.
//!
//! A [`LogPlot`] renders as PNG and SVG (plotters; the text needs a TrueType font, see
//! [`LogPlotOptions::font`]) and as a self-contained interactive HTML page (inline SVG drawn by
//! an inline script: values on hover, series shown or hidden by clicking the legend; nothing is
//! loaded from the network).

mod font;
mod html;
mod names;
mod options;
mod raster;
mod series;
mod style;

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use font::FONT_ENV;
pub use names::prettify_metric_name;
pub use options::LogPlotOptions;
pub use series::{LogChart, LogChartKind, LogSeries, LogText};
pub use style::Rgb;

// Shared with the search plots (`fe::search::visualize_search`): the font, FE's colours, natural
// order, text escaping and PNG encoding.
pub(crate) use font::{ensure_font, FAMILY};
pub(crate) use html::escape;
pub(crate) use names::natural_order;
pub(crate) use raster::{downsample, encode_png};
pub(crate) use style::colors;

use crate::error::{FeError, Result};
use crate::summary::Summary;
use crate::util::Mode;

/// The charts of [`plot_logs`], ready to render (FE's figure).
#[derive(Debug, Clone)]
pub struct LogPlot {
    /// The experiments drawn, in natural order of their names (grouped runs count as one).
    pub experiments: Vec<String>,
    /// The charts, row by row: metrics in sorted order, charts of single values last.
    pub charts: Vec<LogChart>,
    /// Rows of the grid.
    pub rows: usize,
    /// Columns of the grid.
    pub cols: usize,
    font: Option<PathBuf>,
}

/// One legend entry: every series with this label, across charts.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// The label (`experiment (mode)`).
    pub label: String,
    /// Its colour.
    pub color: Rgb,
    /// Its mode, which sets the line's dash pattern.
    pub mode: Mode,
    /// The dataset marker (0: none).
    pub ds_marker: usize,
    /// Whether some series of the entry is a line (else all are single markers).
    pub line: bool,
    /// Whether some series of the entry has an error band.
    pub band: bool,
}

/// The files [`visualize_logs`] and [`LogPlot::save`] write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPlotFiles {
    /// The PNG.
    pub png: PathBuf,
    /// The SVG.
    pub svg: PathBuf,
    /// The interactive HTML page.
    pub html: PathBuf,
}

/// Build the charts comparing `experiments` (FE's `plot_logs`): one chart per metric (per-dataset
/// keys `acc|ds1` join `acc`), one series per experiment × mode × dataset id. With
/// [`LogPlotOptions::group_by`], runs are first averaged into groups.
///
/// No experiment, or no metric left to draw, is [`FeError::InvalidValue`]; a bad option is
/// [`FeError::InvalidParameter`].
///
/// ```
/// use fastestimator::summary::{parse_log_text, plot_logs, LogPlotOptions};
/// let runs = vec![
///     parse_log_text("a", "FastEstimator-Train: step: 1; ce: 2.0;\nFastEstimator-Train: step: 2; ce: 1.0;\n"),
///     parse_log_text("b", "FastEstimator-Train: step: 1; ce: 3.0;\nFastEstimator-Eval: step: 2; ce: 1.5;\n"),
/// ];
/// let plot = plot_logs(&runs, &LogPlotOptions::new()).unwrap();
/// assert_eq!(plot.charts.len(), 1);
/// let labels: Vec<_> = plot.legend().into_iter().map(|e| e.label).collect();
/// assert_eq!(labels, ["a (train)", "b (eval)", "b (train)"]);
/// let html = plot.to_html();
/// assert!(html.contains("b (eval)") && !html.contains("https://"));
/// ```
pub fn plot_logs(experiments: &[Summary], options: &LogPlotOptions) -> Result<LogPlot> {
    options.validate()?;
    let no_data = |reason: &str| FeError::InvalidValue {
        consumer: "plot_logs".into(),
        key: "experiments".into(),
        reason: reason.into(),
    };
    if experiments.is_empty() {
        return Err(no_data("no experiment to plot"));
    }
    let mut experiments = match &options.group_by {
        Some(pattern) => crate::summary::group_summaries(experiments.to_vec(), pattern)?,
        None => experiments.to_vec(),
    };
    experiments.sort_by(|a, b| names::natural_order(&a.name, &b.name));
    let charts = series::build_charts(&experiments, options);
    if charts.is_empty() {
        return Err(no_data(
            "the logs hold no metric to plot (every key was empty, `epoch`, or left out by the options)",
        ));
    }
    let rows = (charts.len() as f64).sqrt().ceil() as usize;
    let cols = charts.len().div_ceil(rows);
    Ok(LogPlot {
        experiments: experiments.into_iter().map(|e| e.name).collect(),
        charts,
        rows,
        cols,
        font: options.font.clone(),
    })
}

/// Draw `experiments` (FE's `visualize_logs`) and save the charts into `save_dir` (created if
/// needed) as `logs.png`, `logs.svg` and `logs.html`, each written atomically.
///
/// ```no_run
/// use fastestimator::summary::{parse_log_dir, visualize_logs, LogPlotOptions};
/// let runs = parse_log_dir("logs", ".txt", false).unwrap();
/// let files = visualize_logs(&runs, "plots", &LogPlotOptions::new().group_by("_n")).unwrap();
/// println!("{}", files.html.display());
/// ```
pub fn visualize_logs(
    experiments: &[Summary],
    save_dir: impl AsRef<Path>,
    options: &LogPlotOptions,
) -> Result<LogPlotFiles> {
    plot_logs(experiments, options)?.save(save_dir, "logs")
}

impl LogPlot {
    /// The legend: one entry per series label, sorted by label (as FE orders its legend).
    pub fn legend(&self) -> Vec<LegendEntry> {
        let mut entries: Vec<LegendEntry> = Vec::new();
        for s in self.charts.iter().flat_map(LogChart::series) {
            let entry = match entries.iter_mut().find(|e| e.label == s.label) {
                Some(entry) => entry,
                None => {
                    entries.push(LegendEntry {
                        label: s.label.clone(),
                        color: s.color,
                        mode: s.mode,
                        ds_marker: s.ds_marker,
                        line: false,
                        band: false,
                    });
                    entries.last_mut().expect("just pushed")
                }
            };
            entry.line |= s.steps.len() > 1;
            entry.band |= s.band.is_some();
        }
        entries.sort_by(|a, b| a.label.cmp(&b.label));
        entries
    }

    /// The steps every line chart spans (FE shares the x axis between charts), or `None` when
    /// no chart has a line.
    pub fn step_range(&self) -> Option<(u64, u64)> {
        let steps = self.charts.iter().flat_map(LogChart::series).flat_map(|s| s.steps.iter().copied());
        steps.fold(None, |acc, s| Some(acc.map_or((s, s), |(lo, hi): (u64, u64)| (lo.min(s), hi.max(s)))))
    }

    /// The size in pixels of the PNG (and of the SVG).
    pub fn size(&self) -> (u32, u32) {
        raster::figure_size(self)
    }

    /// The charts as an encoded PNG image.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        font::ensure_font(self.font.as_deref())?;
        raster::png(self)
    }

    /// The charts as an SVG document.
    pub fn to_svg(&self) -> Result<String> {
        font::ensure_font(self.font.as_deref())?;
        raster::svg(self)
    }

    /// The charts as a self-contained interactive HTML page: the values travel inside the page
    /// and an inline script draws them as inline SVG, shows values on hover, and shows or hides
    /// a series when its legend entry is clicked (double-click: that series alone). Nothing is
    /// loaded from the network.
    pub fn to_html(&self) -> String {
        html::page(self)
    }

    /// Write `<dir>/<stem>.png`, `.svg` and `.html` (creating `dir` if needed), each to a
    /// temporary file in `dir` first and then renamed into place.
    pub fn save(&self, dir: impl AsRef<Path>, stem: &str) -> Result<LogPlotFiles> {
        let dir = dir.as_ref();
        let (png, svg, html) = (self.to_png()?, self.to_svg()?, self.to_html());
        std::fs::create_dir_all(dir).map_err(|e| FeError::io("cannot create directory", dir, e))?;
        let files = LogPlotFiles {
            png: dir.join(format!("{stem}.png")),
            svg: dir.join(format!("{stem}.svg")),
            html: dir.join(format!("{stem}.html")),
        };
        write_atomically(&files.png, &png)?;
        write_atomically(&files.svg, svg.as_bytes())?;
        write_atomically(&files.html, html.as_bytes())?;
        Ok(files)
    }
}

/// Write `bytes` to `path` through a temporary file in the same folder, synced and renamed, so
/// a reader sees the old file or the whole new one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".fe-plot-");
    // An ordinary file (rw for all, less the umask), not tempfile's owner-only default.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(|e| FeError::io("cannot write into", dir, e))?;
    tmp.write_all(bytes).map_err(|e| FeError::io("cannot write", tmp.path(), e))?;
    tmp.as_file().sync_all().map_err(|e| FeError::io("cannot sync", tmp.path(), e))?;
    tmp.persist(path).map_err(|e| FeError::io("cannot write", path, e.error))?;
    Ok(())
}
