//! Reports: self-contained HTML pages (and their JSON) that traces write at the end of a run.
//!
//! [`html`] builds the pages: an embedded stylesheet, inline PNGs, nothing loaded from the
//! network.

pub mod html;

pub use html::{write_atomic, HtmlPage};
