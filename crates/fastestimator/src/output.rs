//! The library's one voice: every line fastestimator-rs prints goes through [`emit`], and so
//! through one sink that an application can replace, silence or redirect.
//!
//! By default FE's log lines (`FastEstimator-Train: ...`, trace messages, benchmark tables) go to
//! standard output and notices (downloads) to standard error, exactly as before. A sink set with
//! [`set_sink`] receives every line with its [`Channel`] instead, for the whole process; one set
//! with [`with_sink`] receives the lines emitted on the current thread while a closure runs (the
//! Estimator's loop and its traces run on the caller's thread), which is what a test or an
//! embedding application that runs several jobs side by side wants.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use fastestimator::output::{self, Channel};
//!
//! let lines = Arc::new(Mutex::new(Vec::new()));
//! let sink = Arc::clone(&lines);
//! output::with_sink(move |_: Channel, line: &str| sink.lock().unwrap().push(line.to_string()), || {
//!     // Anything the library prints here (fit(), test(), traces) lands in `lines`.
//! });
//! output::set_sink(output::silent);  // nothing is printed from now on, on any thread
//! output::reset();                    // back to stdout / stderr
//! ```

use std::cell::RefCell;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::LocalKey;

/// What kind of line is being emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// FE's log lines and reports: `FastEstimator-Start/Train/Eval/...`, trace messages,
    /// benchmark tables. Default: standard output.
    Log,
    /// Notices about the environment rather than the run, such as a dataset download.
    /// Default: standard error.
    Notice,
}

/// A destination for the library's lines.
type Sink = Arc<dyn Fn(Channel, &str) + Send + Sync>;

static GLOBAL: RwLock<Option<Sink>> = RwLock::new(None);

/// The progress bar on the terminal, if one is shown: default-sink lines are printed above it.
static PROGRESS: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

thread_local! {
    static SCOPED: RefCell<Vec<Sink>> = const { RefCell::new(Vec::new()) };
    static TAPS: RefCell<Vec<Sink>> = const { RefCell::new(Vec::new()) };
}

/// A sink that drops every line: `output::set_sink(output::silent)`.
pub fn silent(_channel: Channel, _line: &str) {}

/// Send every line of every thread to `sink` from now on (until [`reset`] or another
/// `set_sink`). A sink set with [`with_sink`] on a thread still takes precedence there.
pub fn set_sink(sink: impl Fn(Channel, &str) + Send + Sync + 'static) {
    *GLOBAL.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(sink));
}

/// Go back to the default: [`Channel::Log`] to standard output, [`Channel::Notice`] to
/// standard error.
pub fn reset() {
    *GLOBAL.write().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Run `f` with the lines emitted on this thread sent to `sink`; the previous destination is
/// restored afterwards, also when `f` panics. Scopes nest.
pub fn with_sink<R>(sink: impl Fn(Channel, &str) + Send + Sync + 'static, f: impl FnOnce() -> R) -> R {
    with_pushed(&SCOPED, Arc::new(sink), f)
}

/// Run `f` with `sink` pushed on this thread's `stack`, popping it afterwards, also when `f`
/// panics.
fn with_pushed<R>(stack: &'static LocalKey<RefCell<Vec<Sink>>>, sink: Sink, f: impl FnOnce() -> R) -> R {
    struct Pop(&'static LocalKey<RefCell<Vec<Sink>>>);
    impl Drop for Pop {
        fn drop(&mut self) {
            self.0.with(|s| s.borrow_mut().pop());
        }
    }
    stack.with(|s| s.borrow_mut().push(sink));
    let _pop = Pop(stack);
    f()
}

/// Run `f` with every line emitted on this thread also handed to `tap`, while the lines still go
/// wherever they went before (the experiment history captures a run's log this way). Taps
/// nest: every active tap sees every line.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use fastestimator::output::{self, Channel};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let tap = Arc::clone(&seen);
/// output::with_sink(output::silent, || {
///     output::with_tap(move |_: Channel, line: &str| tap.lock().unwrap().push(line.to_string()), || {
///         output::log("FastEstimator-Train: step: 1; ce: 2.3;");
///     })
/// });
/// assert_eq!(seen.lock().unwrap().len(), 1);
/// ```
pub fn with_tap<R>(tap: impl Fn(Channel, &str) + Send + Sync + 'static, f: impl FnOnce() -> R) -> R {
    with_pushed(&TAPS, Arc::new(tap), f)
}

/// Emit one line (without its trailing newline) on `channel`.
pub fn emit(channel: Channel, line: &str) {
    let taps = TAPS.with(|t| t.borrow().clone());
    for tap in &taps {
        tap(channel, line);
    }
    if let Some(sink) = SCOPED.with(|s| s.borrow().last().cloned()) {
        return sink(channel, line);
    }
    let global = GLOBAL.read().unwrap_or_else(|e| e.into_inner()).clone();
    match (global, channel) {
        (Some(sink), _) => sink(channel, line),
        (None, Channel::Log) => match PROGRESS.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        },
        (None, Channel::Notice) => eprintln!("{line}"),
    }
}

/// Whether this thread's log lines go to the default destination, standard output, and it is a
/// terminal: then a progress bar may be drawn there (see [`show_progress`]).
pub(crate) fn prints_to_terminal() -> bool {
    SCOPED.with(|s| s.borrow().is_empty())
        && GLOBAL.read().unwrap_or_else(|e| e.into_inner()).is_none()
        && std::io::stdout().is_terminal()
}

/// Draw `bar` below the log lines until [`hide_progress`]: lines emitted meanwhile are printed
/// above it instead of through it.
pub(crate) fn show_progress(bar: indicatif::ProgressBar) {
    *PROGRESS.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
}

/// Remove the progress bar shown with [`show_progress`].
pub(crate) fn hide_progress() {
    if let Some(bar) = PROGRESS.lock().unwrap_or_else(|e| e.into_inner()).take() {
        bar.finish_and_clear();
    }
}

/// Emit an FE log line ([`Channel::Log`]).
pub fn log(line: &str) {
    emit(Channel::Log, line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn scoped_sinks_nest_and_restore() {
        let outer = Arc::new(Mutex::new(Vec::new()));
        let inner = Arc::new(Mutex::new(Vec::new()));
        let (o, i) = (Arc::clone(&outer), Arc::clone(&inner));
        with_sink(
            move |c, l| o.lock().unwrap().push((c, l.to_string())),
            || {
                log("a");
                with_sink(move |c, l| i.lock().unwrap().push((c, l.to_string())), || emit(Channel::Notice, "b"));
                log("c");
            },
        );
        assert_eq!(*outer.lock().unwrap(), vec![(Channel::Log, "a".into()), (Channel::Log, "c".into())]);
        assert_eq!(*inner.lock().unwrap(), vec![(Channel::Notice, "b".into())]);
        assert!(SCOPED.with(|s| s.borrow().is_empty()));
    }
}
