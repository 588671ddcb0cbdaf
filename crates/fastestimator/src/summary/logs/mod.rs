//! Logs of past runs: parsing FE's console format back into [`Summary`]s, averaging repeated
//! runs, and comparing runs in charts (FE's `fe.summary.logs`).
//!
//! [`Summary`]: crate::summary::Summary

mod average;
mod parse;
pub mod plot;

pub use average::{average_summaries, group_summaries};
pub use parse::{parse_log_dir, parse_log_file, parse_log_files, parse_log_text};
pub use plot::{
    plot_logs, prettify_metric_name, visualize_logs, LegendEntry, LogChart, LogChartKind, LogPlot, LogPlotFiles,
    LogPlotOptions, LogSeries, LogText,
};
