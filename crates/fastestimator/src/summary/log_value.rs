//! [`LogValue`]: a value written "with log", printed by the Logger and kept in the Summary.

use std::fmt;

use ndarray::ArrayD;

/// A logged value. Floats print as the shortest text that reads back to the same value (as
/// numpy prints float32/float64), so `ce: 0.32775605` looks the same as in FE.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum LogValue {
    /// A float32 scalar (losses).
    F32(f32),
    /// A float64 scalar (metrics, times).
    F64(f64),
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// An array (per-class metrics), printed on its own lines.
    Array(ArrayD<f64>),
    /// A value with an error band (FE's `ValWithError(y_min, y, y_max)`), printed
    /// `(low, mid, high)`: a bootstrap confidence interval or a mean ± standard deviation.
    ValWithError(f64, f64, f64),
}

impl LogValue {
    /// The value as a number, when it is a scalar (the middle value of a `ValWithError`).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            LogValue::F32(x) => Some(f64::from(x)),
            LogValue::F64(x) => Some(x),
            LogValue::Int(x) => Some(x as f64),
            LogValue::ValWithError(_, mid, _) => Some(mid),
            _ => None,
        }
    }

    /// Whether FE prints this value on separate lines (arrays of more than one element).
    pub fn is_multiline(&self) -> bool {
        matches!(self, LogValue::Array(a) if a.len() > 1)
    }
}

impl fmt::Display for LogValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogValue::F32(x) => f.write_str(&python_repr(f64::from(*x), format!("{x}"), format!("{x:e}"))),
            LogValue::F64(x) => f.write_str(&python_repr(*x, format!("{x}"), format!("{x:e}"))),
            LogValue::Int(x) => write!(f, "{x}"),
            LogValue::Text(s) => f.write_str(s),
            LogValue::Array(a) if a.len() == 1 => {
                write!(f, "{}", a.iter().next().copied().unwrap_or(f64::NAN))
            }
            LogValue::Array(a) => write!(f, "{a}"),
            LogValue::ValWithError(low, mid, high) => {
                let py = |x: f64| python_repr(x, format!("{x}"), format!("{x:e}"));
                write!(f, "({}, {}, {})", py(*low), py(*mid), py(*high))
            }
        }
    }
}

/// Python/numpy's float repr: positional for 1e-4 <= |x| < 1e16, else scientific with a signed,
/// two-digit exponent (`3.099708e-05`). Both forms use the shortest round-trip digits.
fn python_repr(x: f64, positional: String, scientific: String) -> String {
    let a = x.abs();
    if x == 0.0 || !x.is_finite() || (1e-4..1e16).contains(&a) {
        return if x.is_nan() { "nan".into() } else { positional };
    }
    match scientific.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => scientific,
    }
}

impl From<f32> for LogValue {
    fn from(x: f32) -> Self {
        LogValue::F32(x)
    }
}
impl From<f64> for LogValue {
    fn from(x: f64) -> Self {
        LogValue::F64(x)
    }
}
impl From<i64> for LogValue {
    fn from(x: i64) -> Self {
        LogValue::Int(x)
    }
}
impl From<usize> for LogValue {
    fn from(x: usize) -> Self {
        LogValue::Int(x as i64)
    }
}
impl From<&str> for LogValue {
    fn from(s: &str) -> Self {
        LogValue::Text(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_numpy() {
        assert_eq!(LogValue::F32(0.32775605).to_string(), "0.32775605");
        assert_eq!(LogValue::F32(3.099708e-5).to_string(), "3.099708e-05");
        assert_eq!(LogValue::F64(1e-5).to_string(), "1e-05");
        assert_eq!(LogValue::F64(0.001).to_string(), "0.001");
        assert_eq!(LogValue::F64(76.05).to_string(), "76.05");
        assert_eq!(LogValue::F64(f64::NAN).to_string(), "nan");
    }

    #[test]
    fn val_with_error_prints_like_fe() {
        let v = LogValue::ValWithError(0.0123, 0.05, 1e-5);
        assert_eq!(v.to_string(), "(0.0123, 0.05, 1e-05)");
        assert_eq!(v.as_f64(), Some(0.05));
        assert!(!v.is_multiline());
    }
}
