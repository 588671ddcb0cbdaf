//! Run records: [`Summary`] (the history of logged values) and [`System`] (the live state of a
//! run that traces read and write) — FE's `fe.summary`.

mod base;
mod log_value;
mod system;

pub use base::Summary;
pub use log_value::LogValue;
pub use system::System;
