//! Meta TensorOps: ops that run other ops (FE's `fe.op.tensorop.meta`).

mod fuse;
mod one_of;
mod repeat;
mod sometimes;

pub use fuse::Fuse;
pub use one_of::OneOf;
pub use repeat::Repeat;
pub use sometimes::Sometimes;

use indexmap::IndexMap;
use tch::Tensor;

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::util::missing_key;

/// Run `op` on a local key → tensor map, reading its inputs and writing its outputs.
pub(crate) fn run_on_map(
    op: &mut dyn TensorOp,
    map: &mut IndexMap<String, Tensor>,
    state: &mut NetState,
) -> Result<()> {
    let inputs = op
        .io()
        .inputs
        .iter()
        .map(|k| {
            map.get(k).map(Tensor::shallow_clone).ok_or_else(|| {
                missing_key(op.name(), k, map.keys().map(String::as_str), state.mode, state.epoch, &state.ds_id)
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let outputs = op.forward(inputs, state)?;
    if op.removes_inputs() {
        for k in &op.io().inputs {
            map.shift_remove(k);
        }
    }
    if outputs.len() != op.io().outputs.len() {
        return Err(FeError::LengthMismatch {
            context: op.name(),
            what: format!("tensors for the output keys {:?}", op.io().outputs),
            expected: op.io().outputs.len(),
            got: outputs.len(),
        });
    }
    for (k, t) in op.io().outputs.iter().zip(outputs) {
        map.insert(k.clone(), t);
    }
    Ok(())
}

/// Inputs plus any output that is not an input: a skipped op passes those through unchanged.
pub(crate) fn passthrough_inputs(op: &dyn TensorOp) -> Vec<String> {
    let mut inputs = op.io().inputs.clone();
    for out in &op.io().outputs {
        if !inputs.contains(out) {
            inputs.push(out.clone());
        }
    }
    inputs
}

fn as_map(keys: &[String], data: Vec<Tensor>) -> IndexMap<String, Tensor> {
    keys.iter().cloned().zip(data).collect()
}

fn outputs_of(keys: &[String], map: &IndexMap<String, Tensor>, context: &str, state: &NetState) -> Result<Vec<Tensor>> {
    keys.iter()
        .map(|k| {
            map.get(k).map(Tensor::shallow_clone).ok_or_else(|| {
                missing_key(context, k, map.keys().map(String::as_str), state.mode, state.epoch, &state.ds_id)
            })
        })
        .collect()
}

/// The names of `ops`, comma-separated, for `OneOf(A, B)` style names.
pub(crate) fn names(ops: &[Box<dyn TensorOp>]) -> String {
    ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
}

/// The [`HasIo`](crate::op::HasIo) and [`TensorOp`] impls every meta op shares: the `io` field,
/// the name `Label(child, ...)`, `forward` as the op's own `run(data, state)`, and what the
/// Network asks of its children, passed through as FE's meta ops do: their models, loss keys,
/// watched keys, need for gradients and change epochs. The children are the field named after
/// `child:` (one `Box<dyn TensorOp>`) or `children:` (a `Vec` of them).
macro_rules! meta_tensor_op {
    ($ty:ident, $label:literal, child: $field:ident) => {
        impl $ty {
            fn children(&self) -> &[Box<dyn TensorOp>] {
                std::slice::from_ref(&self.$field)
            }
        }

        super::meta_tensor_op!(@impl $ty, $label);
    };
    ($ty:ident, $label:literal, children: $field:ident) => {
        impl $ty {
            fn children(&self) -> &[Box<dyn TensorOp>] {
                &self.$field
            }
        }

        super::meta_tensor_op!(@impl $ty, $label);
    };
    (@impl $ty:ident, $label:literal) => {
        $crate::op::impl_has_io!($ty);

        impl TensorOp for $ty {
            fn name(&self) -> String {
                format!("{}({})", $label, super::names(self.children()))
            }

            fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
                self.run(data, state)
            }

            fn models(&self) -> Vec<$crate::model::Model> {
                self.children().iter().flat_map(|o| o.models()).collect()
            }

            fn loss_keys(&self) -> Vec<String> {
                $crate::util::union_keys(self.children().iter().map(|o| o.loss_keys()))
            }

            fn watch_keys(&self) -> Vec<String> {
                $crate::util::union_keys(self.children().iter().map(|o| o.watch_keys()))
            }

            fn needs_grad(&self) -> bool {
                self.children().iter().any(|o| o.needs_grad())
            }

            fn change_epochs(&self, total_epochs: usize) -> Vec<usize> {
                let mut epochs: Vec<usize> =
                    self.children().iter().flat_map(|o| o.change_epochs(total_epochs)).collect();
                epochs.sort_unstable();
                epochs.dedup();
                epochs
            }
        }
    };
}
use meta_tensor_op;
