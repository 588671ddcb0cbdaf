//! Logs of past runs: parsing FE's console format back into [`Summary`]s and averaging
//! repeated runs (FE's `fe.summary.logs`).
//!
//! [`Summary`]: crate::summary::Summary

mod average;
mod parse;

pub use average::{average_summaries, group_summaries};
pub use parse::{parse_log_dir, parse_log_file, parse_log_files, parse_log_text};
