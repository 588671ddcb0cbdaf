//! Integration tests, compiled into one binary (linking libtorch once).

mod bad_input;
mod common;
mod datasets;
mod determinism;
mod estimator;
mod fe_cases;
mod network_ops;
mod training;
