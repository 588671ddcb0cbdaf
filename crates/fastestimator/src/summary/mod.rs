//! Run records: [`Summary`] (the history of logged values) and [`System`] (the live state of a
//! run that traces read and write) — FE's `fe.summary`.

mod log_value;
mod summary;
mod system;

pub use log_value::LogValue;
pub use summary::Summary;
pub use system::System;
