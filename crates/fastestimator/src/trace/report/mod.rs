//! Reports: self-contained HTML pages (and their JSON) that traces write at the end of a run.
//!
//! [`html`] builds the pages: an embedded stylesheet, inline PNGs, nothing loaded from the
//! network. [`TestReport`] runs [`TestCase`]s in test mode and writes their results (also
//! exported from [`crate::trace::io`], where FE has them).

pub mod html;
mod test_report;

pub use html::{write_atomic, HtmlPage};
pub use test_report::{TestCase, TestReport};
