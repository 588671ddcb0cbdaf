//! `RemoveIf`: drop samples (or batches) that match a condition.

use super::{NumpyOp, OpOutput, OpState};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

type Condition = dyn Fn(&[Value]) -> std::result::Result<bool, String> + Send + Sync;

/// Drop the sample when `fn(inputs)` is true (FE's `RemoveIf`). Placed after the `Batch` op it
/// sees, and drops, whole batches.
///
/// With `replacement` (the default) the epoch keeps its length: the pipeline draws further
/// samples in their place. Without it the epoch gets shorter. Either way the result is the same
/// for any number of workers.
///
/// ```
/// use fastestimator::op::numpy::RemoveIf;
/// use fastestimator::Value;
/// // Drop samples whose label is 0; the epoch shrinks accordingly.
/// let op = RemoveIf::new("y", |v: &[Value]| Ok(v[0].to_f64().ok_or("numeric label")?.sum() == 0.0)).replacement(false);
/// ```
pub struct RemoveIf {
    io: OpIo,
    condition: Box<Condition>,
    replacement: bool,
}
impl_has_io!(RemoveIf);

impl RemoveIf {
    /// Drop samples for which `condition(inputs)` returns true (replacement on).
    pub fn new<F>(inputs: impl Into<Keys>, condition: F) -> Self
    where
        F: Fn(&[Value]) -> std::result::Result<bool, String> + Send + Sync + 'static,
    {
        RemoveIf { io: OpIo::new(inputs, ()), condition: Box::new(condition), replacement: true }
    }

    /// Whether dropped samples are replaced by others (default true).
    pub fn replacement(mut self, replacement: bool) -> Self {
        self.replacement = replacement;
        self
    }

    fn decide(&self, data: &[Value]) -> Result<OpOutput> {
        let remove = (self.condition)(data)
            .map_err(|reason| FeError::User { context: format!("RemoveIf({:?})", self.io.inputs), reason })?;
        Ok(if remove { OpOutput::Filtered { replacement: self.replacement } } else { OpOutput::Data(Vec::new()) })
    }
}

impl NumpyOp for RemoveIf {
    fn name(&self) -> String {
        "RemoveIf".into()
    }

    /// Called directly (outside a pipeline), RemoveIf passes everything through.
    fn forward(&self, _data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        Ok(Vec::new())
    }

    fn forward_batch(&self, _data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        Ok(Vec::new())
    }

    fn forward_or_filter(&self, data: Vec<Value>, _state: &mut OpState) -> Result<OpOutput> {
        self.decide(&data)
    }

    fn forward_batch_or_filter(&self, data: Vec<Value>, _state: &mut OpState) -> Result<OpOutput> {
        self.decide(&data)
    }

    fn may_filter(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;

    #[test]
    fn filters_when_the_condition_holds() {
        let op = RemoveIf::new("y", |v: &[Value]| Ok(v[0] == Value::from(0i64))).replacement(false);
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        assert_eq!(
            op.forward_or_filter(vec![Value::from(0i64)], &mut st).unwrap(),
            OpOutput::Filtered { replacement: false }
        );
        assert_eq!(op.forward_or_filter(vec![Value::from(1i64)], &mut st).unwrap(), OpOutput::Data(vec![]));
        assert!(op.may_filter());
    }
}
