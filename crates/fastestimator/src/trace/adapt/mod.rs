//! Adapt traces (FE's `fe.trace.adapt`): change the run as it goes.

mod early_stopping;
mod lr_scheduler;
mod reduce_lr_on_plateau;
mod terminate_on_nan;

pub use early_stopping::EarlyStopping;
pub use lr_scheduler::LRScheduler;
pub use reduce_lr_on_plateau::ReduceLROnPlateau;
pub use terminate_on_nan::TerminateOnNaN;
