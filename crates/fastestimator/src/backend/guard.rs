//! [`catch_torch`]: where a libtorch failure (tch panics on C++ errors) becomes a message that
//! the model layer and the Network turn into typed errors.

use std::panic::{self, AssertUnwindSafe};

thread_local! {
    /// How deep this thread is inside `catch_torch` (guards nest: a ModelOp's forward runs
    /// inside the Network's guard of the op).
    static QUIET_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Run a libtorch call, turning its panic (tch's way of reporting C++ errors) into a message:
/// libtorch's own words, without tch's `unwrap` envelope and the C++ backtrace. The panic is not
/// printed: a process-wide hook, installed once, stays silent while this thread is inside
/// `catch_torch` and defers to the previous hook otherwise.
pub(crate) fn catch_torch<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET_DEPTH.with(|q| q.get()) == 0 {
                previous(info);
            }
        }));
    });
    QUIET_DEPTH.with(|q| q.set(q.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET_DEPTH.with(|q| q.set(q.get() - 1));
    result.map_err(|payload| {
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "libtorch raised an error".into());
        crate::error::clean_torch_text(&msg)
    })
}
