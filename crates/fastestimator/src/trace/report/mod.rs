//! Reports: self-contained HTML pages (and their JSON) that traces write at the end of a run.
//!
//! [`html`] builds the pages: an embedded stylesheet, inline PNGs, nothing loaded from the
//! network. [`Traceability`] writes one page per run from the [`RunDescription`] the Estimator
//! gives it, with a key-flow diagram of the keys passed between the run's steps.
//! [`TestReport`] runs [`TestCase`]s in test mode and writes their results. Both are also
//! exported from [`crate::trace::io`], where FE has them.

pub mod html;
mod key_flow;
mod run_description;
mod test_report;
mod traceability;

pub use html::{write_atomic, HtmlPage};
pub use run_description::{
    describe_modes, DatasetDescription, KeyDescription, ModelDescription, RunDescription, Stage, StepDescription,
};
pub use test_report::{TestCase, TestReport};
pub use traceability::Traceability;
