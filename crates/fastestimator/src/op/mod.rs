//! Ops: the units of work in a Pipeline ([`numpy`]) and a Network ([`tensor`]).
//!
//! Every op has an [`OpIo`]: the keys it reads, the keys it writes, the modes it runs in and the
//! datasets it applies to. Ops are configured with the chaining methods of [`Configure`].

pub mod numpy;
mod op_io;
pub mod tensor;

pub(crate) use op_io::impl_has_io;
pub use op_io::{Configure, HasIo, Keys, OpIo};
