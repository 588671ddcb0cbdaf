//! Meta NumpyOps: ops that run other ops (FE's `fe.op.numpyop.meta`).
//!
//! Each child runs on a small key → value map built from the meta op's inputs, with its own
//! random stream ([`OpState::child`]), so wrapping an op never changes what other ops draw. A
//! child that drops the sample (`RemoveIf`) drops it for the meta op too. `set_rua_level` is
//! forwarded to every child.

mod fuse;
mod one_of;
mod repeat;
mod sometimes;

pub use fuse::Fuse;
pub use one_of::OneOf;
pub use repeat::Repeat;
pub use sometimes::Sometimes;

use super::{apply_op, Applied, NumpyOp, OpOutput, OpState, PipelineRole};
use crate::error::{FeError, Result};
use crate::util::missing_key;
use crate::value::{Sample, Value};

/// Run `op` on `map` as child number `index` of a meta op.
pub(crate) fn run_child(
    op: &dyn NumpyOp,
    map: &mut Sample,
    state: &OpState,
    index: u64,
    batched: bool,
) -> Result<Applied> {
    let mut child = state.child(index);
    apply_op(op, map, &mut child, batched)
}

/// Pair keys with values.
pub(crate) fn as_map(keys: &[String], data: Vec<Value>) -> Sample {
    keys.iter().cloned().zip(data).collect()
}

/// Take the values of `keys` out of `map`, in order (moved when a key is listed once, copied
/// when it is listed several times).
pub(crate) fn outputs_of(keys: &[String], map: &mut Sample, context: &str, state: &OpState) -> Result<Vec<Value>> {
    keys.iter()
        .map(|k| {
            let value =
                if keys.iter().filter(|x| *x == k).count() == 1 { map.swap_remove(k) } else { map.get(k).cloned() };
            value.ok_or_else(|| {
                missing_key(context, k, map.keys().map(String::as_str), state.mode, state.epoch, state.ds_id)
            })
        })
        .collect()
}

/// Check a child at meta-op construction: its own deferred parameter errors, and no Batch op.
pub(crate) fn check_child(meta: &str, op: &dyn NumpyOp) -> Result<()> {
    if op.as_batch().is_some() {
        return Err(FeError::param(meta, "op", "cannot wrap a Batch op"));
    }
    op.io().validate(&op.name())
}

/// The names of `ops`, comma-separated, for `OneOf (A, B)` style names.
pub(crate) fn names(ops: &[Box<dyn NumpyOp>]) -> String {
    ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
}

/// What a meta op's plain `forward` returns when a child dropped the sample.
pub(crate) fn unwrap_output(name: &str, out: OpOutput) -> Result<Vec<Value>> {
    match out {
        OpOutput::Data(values) => Ok(values),
        OpOutput::Filtered { .. } => Err(FeError::InvalidValue {
            consumer: name.into(),
            key: String::new(),
            reason: "a child op dropped the sample; call forward_or_filter to see filtering".into(),
        }),
    }
}

/// The [`NumpyOp`] impl every meta op shares: the name `Label (child, ...)`, the four forward
/// entry points over the op's own `run(data, state, batched)`, and filtering and RUA levels
/// delegated to its children. The children are the field named after `child:` (one
/// `Box<dyn NumpyOp>`) or `children:` (a `Vec` of them).
macro_rules! meta_numpy_op {
    ($ty:ident, $label:literal, child: $field:ident) => {
        impl $ty {
            fn children(&self) -> &[Box<dyn NumpyOp>] {
                std::slice::from_ref(&self.$field)
            }

            fn children_mut(&mut self) -> &mut [Box<dyn NumpyOp>] {
                std::slice::from_mut(&mut self.$field)
            }
        }

        super::meta_numpy_op!($ty, $label);
    };
    ($ty:ident, $label:literal, children: $field:ident) => {
        impl $ty {
            fn children(&self) -> &[Box<dyn NumpyOp>] {
                &self.$field
            }

            fn children_mut(&mut self) -> &mut [Box<dyn NumpyOp>] {
                &mut self.$field
            }
        }

        super::meta_numpy_op!($ty, $label);
    };
    ($ty:ident, $label:literal) => {
        impl NumpyOp for $ty {
            fn name(&self) -> String {
                format!("{} ({})", $label, super::names(self.children()))
            }

            fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
                super::unwrap_output(&self.name(), self.run(data, state, false)?)
            }

            fn forward_batch(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
                super::unwrap_output(&self.name(), self.run(data, state, true)?)
            }

            fn forward_or_filter(&self, data: Vec<Value>, state: &mut OpState) -> Result<OpOutput> {
                self.run(data, state, false)
            }

            fn forward_batch_or_filter(&self, data: Vec<Value>, state: &mut OpState) -> Result<OpOutput> {
                self.run(data, state, true)
            }

            fn may_filter(&self) -> bool {
                self.children().iter().any(|o| o.may_filter())
            }

            fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
                self.children_mut().iter_mut().try_for_each(|o| o.set_rua_level(magnitude_coef))
            }
        }
    };
}
use meta_numpy_op;
