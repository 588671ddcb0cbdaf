//! Integration tests, compiled into one binary (linking libtorch once).

mod allocator;
mod apphub;
mod architectures;
mod bad_input;
mod common;
mod datasets;
mod determinism;
mod estimator;
mod fe_cases;
mod history;
mod layers;
mod log_plots;
mod logs;
mod metrics;
mod network_ops;
mod numpy_ops;
mod output;
mod report;
mod resume;
mod robustness;
mod schedules;
mod search;
mod tensorboard;
mod traceability;
mod traces;
mod training;
