//! `WordtoId`: tokens to integer ids.

use std::collections::HashMap;

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

type MapFn = dyn Fn(&str) -> Option<i64> + Send + Sync;

/// Map each token of a text array to an `i64` id, with a dictionary or a function (FE's
/// `WordtoId`, multi-io). A token without an id is an error naming it.
///
/// ```
/// use std::collections::HashMap;
/// use fastestimator::op::numpy::univariate::WordtoId;
/// let vocab = HashMap::from([("a".to_string(), 1), ("b".to_string(), 2)]);
/// let op = WordtoId::new("x", "x", vocab);
/// ```
pub struct WordtoId {
    io: OpIo,
    mapping: Box<MapFn>,
}
impl_has_io!(WordtoId);

impl WordtoId {
    /// Map with a dictionary.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, mapping: HashMap<String, i64>) -> Self {
        WordtoId { io: OpIo::new(inputs, outputs), mapping: Box::new(move |w| mapping.get(w).copied()) }
    }

    /// Map with a function (`None`: the word has no id).
    pub fn with_fn<F>(inputs: impl Into<Keys>, outputs: impl Into<Keys>, f: F) -> Self
    where
        F: Fn(&str) -> Option<i64> + Send + Sync + 'static,
    {
        WordtoId { io: OpIo::new(inputs, outputs), mapping: Box::new(f) }
    }
}

impl NumpyOp for WordtoId {
    fn name(&self) -> String {
        "WordtoId".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("WordtoId", &self.io, data, |v, key| {
            let Value::Str(a) = &v else {
                return Err(FeError::unexpected_dtype("WordtoId", key, "text tokens (str)", v.dtype()));
            };
            let mut ids = Vec::with_capacity(a.len());
            for w in a.iter() {
                ids.push(
                    (self.mapping)(w)
                        .ok_or_else(|| FeError::invalid_value("WordtoId", key, format!("no id for {w:?}")))?,
                );
            }
            Ok(Value::I64(ndarray::ArrayD::from_shape_vec(a.raw_dim(), ids).expect("same size")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::numpy::univariate::Tokenize;
    use crate::util::Mode;

    #[test]
    fn tokenize_then_map() {
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let tokens = Tokenize::new("x", "x").forward(vec![Value::from("b a b")], &mut st).unwrap();
        let vocab = HashMap::from([("a".to_string(), 1), ("b".to_string(), 2)]);
        let ids = WordtoId::new("x", "x", vocab).forward(tokens, &mut st).unwrap();
        assert_eq!(ids[0], Value::from(vec![2i64, 1, 2]));
        let err = WordtoId::with_fn("x", "x", |_| None).forward(vec![Value::from("zz")], &mut st).unwrap_err();
        assert!(err.to_string().contains("zz"));
    }
}
