//! `Tokenize`: split text into tokens.

use ndarray::Array1;

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

type TokenizeFn = dyn Fn(&str) -> Vec<String> + Send + Sync;

/// Split a text value into a 1-D array of tokens: on whitespace, or with `tokenize_fn`;
/// optionally lower-cased (multi-io).
///
/// ```
/// use fastestimator::op::numpy::univariate::Tokenize;
/// use fastestimator::op::numpy::{NumpyOp, OpState};
/// use fastestimator::{Mode, Value};
/// let op = Tokenize::new("x", "x").to_lower_case(true);
/// let out = op.forward(vec![Value::from("Hello  World")], &mut OpState::new(Mode::Train, 1, "", 0, 0, 0)).unwrap();
/// assert_eq!(out[0], Value::from(vec!["hello".to_string(), "world".to_string()]));
/// ```
pub struct Tokenize {
    io: OpIo,
    tokenize_fn: Option<Box<TokenizeFn>>,
    to_lower_case: bool,
}
impl_has_io!(Tokenize);

impl Tokenize {
    /// Whitespace tokenisation.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        Tokenize { io: OpIo::new(inputs, outputs), tokenize_fn: None, to_lower_case: false }
    }

    /// Use a custom tokeniser.
    pub fn tokenize_fn<F>(mut self, f: F) -> Self
    where
        F: Fn(&str) -> Vec<String> + Send + Sync + 'static,
    {
        self.tokenize_fn = Some(Box::new(f));
        self
    }

    /// Lower-case the tokens.
    pub fn to_lower_case(mut self, lower: bool) -> Self {
        self.to_lower_case = lower;
        self
    }
}

impl NumpyOp for Tokenize {
    fn name(&self) -> String {
        "Tokenize".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("Tokenize", &self.io, data, |v, key| {
            let Value::Str(a) = &v else {
                return Err(FeError::unexpected_dtype("Tokenize", key, "text (str)", v.dtype()));
            };
            let text = a.iter().cloned().collect::<Vec<_>>().join(" ");
            let mut tokens = match &self.tokenize_fn {
                Some(f) => f(&text),
                None => text.split_whitespace().map(String::from).collect(),
            };
            if self.to_lower_case {
                tokens = tokens.into_iter().map(|t| t.to_lowercase()).collect();
            }
            Ok(Value::Str(Array1::from(tokens).into_dyn()))
        })
    }
}
