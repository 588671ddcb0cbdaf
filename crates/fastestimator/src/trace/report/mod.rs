//! Reports: self-contained HTML pages (and their JSON) that traces write at the end of a run.
//!
//! [`html`] builds the pages: an embedded stylesheet, inline PNGs, nothing loaded from the
//! network. [`Traceability`] writes one page per run from the [`RunDescription`] the Estimator
//! gives it, with a key-flow diagram of the keys passed between the run's steps.

pub mod html;
mod key_flow;
mod run_description;
mod traceability;

pub use html::{write_atomic, HtmlPage};
pub use run_description::{
    describe_modes, DatasetDescription, KeyDescription, ModelDescription, RunDescription, Stage, StepDescription,
};
pub use traceability::Traceability;
