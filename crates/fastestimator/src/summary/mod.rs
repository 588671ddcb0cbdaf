//! Run records: [`Summary`] (the history of logged values) and [`System`] (the live state of a
//! run that traces read and write) — FE's `fe.summary`.

mod base;
pub mod history;
mod log_value;
pub mod logs;
mod system;

pub use base::Summary;
pub use log_value::LogValue;
pub use logs::{
    average_summaries, group_summaries, parse_log_dir, parse_log_file, parse_log_files, parse_log_text, plot_logs,
    prettify_metric_name, visualize_logs, LegendEntry, LogChart, LogChartKind, LogPlot, LogPlotFiles, LogPlotOptions,
    LogSeries, LogText,
};
pub use system::{Figure, System};
