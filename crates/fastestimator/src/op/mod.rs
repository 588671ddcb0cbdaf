//! Ops: the units of work in a Pipeline ([`numpy`]) and a Network ([`tensor`]).
//!
//! Every op has an [`OpIo`]: the keys it reads, the keys it writes, the modes it runs in and the
//! datasets it applies to. Ops are configured with the chaining methods of [`Configure`].

pub mod numpy;
mod op_io;
pub mod tensor;

pub(crate) use op_io::impl_has_io;
pub use op_io::{Configure, HasIo, Keys, OpIo};

/// How often a `Repeat` meta op (in the Pipeline and in the Network) runs its op; `C` is the
/// condition's closure type.
pub(crate) enum RepeatTimes<C: ?Sized> {
    /// A fixed number of runs (at least 1).
    Count(usize),
    /// While `condition(values of keys)` holds, checked after each run, at most `max_iter` runs.
    While {
        /// The condition on the values of `keys`.
        condition: Box<C>,
        /// The keys whose values the condition reads.
        keys: Vec<String>,
        /// The most runs, if bounded.
        max_iter: Option<usize>,
    },
}
