//! [`KwargValue`]: extra keyword arguments that FE forwards to scikit-learn.

/// The value of an extra keyword argument of a metric (FE's `**kwargs`, forwarded to the
/// scikit-learn function the metric mirrors), as given to `kwarg(name, value)`.
///
/// ```
/// use fastestimator::trace::metric::{KwargValue, Precision};
/// let p = Precision::new("y", "y_pred").kwarg("zero_division", 1.0);
/// // `average` is set by the trace: reported when the trace is bound (or validated)
/// assert!(Precision::new("y", "y_pred").kwarg("average", "macro").validate().is_err());
/// # let _ = (p, KwargValue::Int(1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum KwargValue {
    /// An integer (`pos_label=1`).
    Int(i64),
    /// A float (`zero_division=1.0`).
    Float(f64),
    /// Text (`zero_division="warn"`, `normalize="true"`).
    Text(String),
    /// A list of integers (`labels=[0, 2]`).
    Ints(Vec<i64>),
    /// A list of floats (`sample_weight=[...]`).
    Floats(Vec<f64>),
}

impl From<i64> for KwargValue {
    fn from(x: i64) -> Self {
        KwargValue::Int(x)
    }
}
impl From<i32> for KwargValue {
    fn from(x: i32) -> Self {
        KwargValue::Int(i64::from(x))
    }
}
impl From<f64> for KwargValue {
    fn from(x: f64) -> Self {
        KwargValue::Float(x)
    }
}
impl From<&str> for KwargValue {
    fn from(s: &str) -> Self {
        KwargValue::Text(s.to_string())
    }
}
impl From<Vec<i64>> for KwargValue {
    fn from(v: Vec<i64>) -> Self {
        KwargValue::Ints(v)
    }
}
impl From<Vec<f64>> for KwargValue {
    fn from(v: Vec<f64>) -> Self {
        KwargValue::Floats(v)
    }
}

impl KwargValue {
    /// The value as a float, when it is a number.
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match *self {
            KwargValue::Int(x) => Some(x as f64),
            KwargValue::Float(x) => Some(x),
            _ => None,
        }
    }
}

/// The error for a keyword argument that the trace sets itself (FE raises `ValueError`).
pub(crate) fn forbidden(owner: &str, name: &str, forbidden: &[&str]) -> crate::FeError {
    crate::FeError::param(
        owner,
        name,
        format!("is set by the trace and cannot be passed; the keyword arguments {forbidden:?} are not allowed"),
    )
}

/// The error for a keyword argument the metric does not know or does not support.
pub(crate) fn unsupported(owner: &str, name: &str, supported: &[&str]) -> crate::FeError {
    let why = if name == "sample_weight" {
        "is not supported: the samples of an epoch are not known when the trace is built".to_string()
    } else {
        format!("is not a supported keyword argument; supported: {supported:?}")
    };
    crate::FeError::param(owner, name, why)
}

/// The error for a keyword argument given a value of the wrong kind.
pub(crate) fn bad_value(owner: &str, name: &str, value: &KwargValue, expected: &str) -> crate::FeError {
    crate::FeError::param(owner, name, format!("expects {expected}, got {value:?}"))
}

/// The first invalid option given to a metric's infallible setter, kept to be reported as
/// [`FeError::InvalidParameter`](crate::FeError) when the metric is validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deferred(Option<(String, String, String)>);

impl Deferred {
    /// Keep `error` unless an earlier one is kept already.
    pub(crate) fn record(&mut self, error: crate::FeError) {
        if self.0.is_some() {
            return;
        }
        self.0 = Some(match error {
            crate::FeError::InvalidParameter { component, param, reason } => (component, param, reason),
            other => (String::new(), String::new(), other.to_string()),
        });
    }

    /// Keep the error of `result`, if any.
    pub(crate) fn check(&mut self, result: crate::Result<()>) {
        if let Err(e) = result {
            self.record(e);
        }
    }

    /// The kept error, if any.
    pub(crate) fn result(&self) -> crate::Result<()> {
        match &self.0 {
            None => Ok(()),
            Some((component, param, reason)) => Err(crate::FeError::param(component, param, reason)),
        }
    }
}
