//! Pipeline data: [`Value`], one ndarray of a supported dtype, and [`Sample`], an ordered map of them.
//!
//! This is the numpy side of FE. Datasets yield samples, NumpyOps transform values, and the
//! `Batch` op stacks (or pads) the values of many samples into one batched value per key.

use indexmap::IndexMap;
use ndarray::{ArrayD, Axis, IxDyn};

use crate::error::{FeError, Result};

/// One piece of pipeline data: an n-dimensional array of one dtype. Scalars are 0-d arrays.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Unsigned bytes (images).
    U8(ArrayD<u8>),
    /// 64-bit integers (labels, indices).
    I64(ArrayD<i64>),
    /// 32-bit floats (the network's default).
    F32(ArrayD<f32>),
    /// 64-bit floats.
    F64(ArrayD<f64>),
    /// Booleans (masks).
    Bool(ArrayD<bool>),
    /// Text; a single string is a 0-d array.
    Str(ArrayD<String>),
}

/// One sample (or, after batching, one batch): key → value, in insertion order.
pub type Sample = IndexMap<String, Value>;

/// A batch on the network side: key → tensor, the tensor form of a batched [`Sample`].
pub type TensorMap = IndexMap<String, tch::Tensor>;

/// The dtype of a [`Value`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// `u8`
    U8,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `bool`
    Bool,
    /// `String`
    Str,
}

/// FE's dtype strings (numpy's names): `"uint8"`, `"int64"`, `"float32"`, `"float64"`, `"bool"`,
/// `"str"`; anything else is [`FeError::InvalidParameter`] naming the accepted strings.
///
/// ```
/// use fastestimator::DType;
/// assert_eq!("float32".parse::<DType>()?, DType::F32);
/// assert_eq!(DType::F32.to_string(), "float32");
/// assert!("float16".parse::<DType>().is_err());
/// # Ok::<(), fastestimator::FeError>(())
/// ```
impl std::str::FromStr for DType {
    type Err = FeError;

    fn from_str(s: &str) -> Result<Self> {
        const ALL: [DType; 6] = [DType::U8, DType::I64, DType::F32, DType::F64, DType::Bool, DType::Str];
        ALL.into_iter().find(|d| d.to_string() == s).ok_or_else(|| {
            let names: Vec<String> = ALL.iter().map(DType::to_string).collect();
            FeError::param("dtype", "dtype", format!("expected one of {names:?}, got {s:?}"))
        })
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            DType::U8 => "uint8",
            DType::I64 => "int64",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::Bool => "bool",
            DType::Str => "str",
        };
        f.write_str(name)
    }
}

/// Apply the same generic expression to whichever array a [`Value`] holds.
macro_rules! map_value {
    ($value:expr, $arr:ident => $body:expr) => {
        match $value {
            Value::U8($arr) => Value::U8($body),
            Value::I64($arr) => Value::I64($body),
            Value::F32($arr) => Value::F32($body),
            Value::F64($arr) => Value::F64($body),
            Value::Bool($arr) => Value::Bool($body),
            Value::Str($arr) => Value::Str($body),
        }
    };
}
pub(crate) use map_value;

macro_rules! with_array {
    ($value:expr, $arr:ident => $body:expr) => {
        match $value {
            Value::U8($arr) => $body,
            Value::I64($arr) => $body,
            Value::F32($arr) => $body,
            Value::F64($arr) => $body,
            Value::Bool($arr) => $body,
            Value::Str($arr) => $body,
        }
    };
}

macro_rules! impl_from {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<ArrayD<$t>> for Value {
            fn from(a: ArrayD<$t>) -> Self { Value::$variant(a) }
        }
        impl From<$t> for Value {
            fn from(x: $t) -> Self { Value::$variant(ndarray::arr0(x).into_dyn()) }
        }
        impl From<Vec<$t>> for Value {
            fn from(v: Vec<$t>) -> Self { Value::$variant(ndarray::Array1::from(v).into_dyn()) }
        }
    )*};
}
impl_from!(u8 => U8, i64 => I64, f32 => F32, f64 => F64, bool => Bool, String => Str);

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(ndarray::arr0(s.to_string()).into_dyn())
    }
}

impl Value {
    /// The dtype of the array.
    pub fn dtype(&self) -> DType {
        match self {
            Value::U8(_) => DType::U8,
            Value::I64(_) => DType::I64,
            Value::F32(_) => DType::F32,
            Value::F64(_) => DType::F64,
            Value::Bool(_) => DType::Bool,
            Value::Str(_) => DType::Str,
        }
    }

    /// The shape of the array.
    pub fn shape(&self) -> &[usize] {
        with_array!(self, a => a.shape())
    }

    /// The rank (number of dimensions).
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        with_array!(self, a => a.len())
    }

    /// Whether the array holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Convert a numeric value to `f32` (bool → 0/1). Text is an error.
    pub fn to_f32(&self) -> Option<ArrayD<f32>> {
        Some(match self {
            Value::U8(a) => a.mapv(f32::from),
            Value::I64(a) => a.mapv(|x| x as f32),
            Value::F32(a) => a.clone(),
            Value::F64(a) => a.mapv(|x| x as f32),
            Value::Bool(a) => a.mapv(|x| if x { 1.0 } else { 0.0 }),
            Value::Str(_) => return None,
        })
    }

    /// Convert a numeric value to `f64` (bool → 0/1). Text gives `None`.
    pub fn to_f64(&self) -> Option<ArrayD<f64>> {
        Some(match self {
            Value::U8(a) => a.mapv(f64::from),
            Value::I64(a) => a.mapv(|x| x as f64),
            Value::F32(a) => a.mapv(f64::from),
            Value::F64(a) => a.clone(),
            Value::Bool(a) => a.mapv(|x| if x { 1.0 } else { 0.0 }),
            Value::Str(_) => return None,
        })
    }

    /// Insert a new axis of length 1 at `axis` (negative counts from the end, as numpy).
    pub fn expand_dims(self, axis: isize) -> std::result::Result<Value, String> {
        let ndim = self.ndim() as isize;
        let pos = if axis < 0 { ndim + 1 + axis } else { axis };
        if pos < 0 || pos > ndim {
            return Err(format!("axis {axis} is out of range for rank {ndim}"));
        }
        Ok(map_value!(self, a => a.insert_axis(Axis(pos as usize))))
    }

    /// The `i`-th element along the first axis (used to split a batch into samples).
    pub fn index_first(&self, i: usize) -> Value {
        map_value!(self, a => a.index_axis(Axis(0), i).to_owned())
    }

    /// The rows `rows` of the first axis, in that order (a rank's share of a batch).
    pub fn select_rows(&self, rows: &[usize]) -> Value {
        map_value!(self, a => a.select(Axis(0), rows))
    }

    /// Stack same-shaped values along a new first axis. `key` names the values in errors.
    pub fn stack(key: &str, values: &[Value]) -> Result<Value> {
        Self::collate(key, values, None)
    }

    /// Stack values along a new first axis. With `pad` given, values of different shapes (but
    /// the same rank) are padded at their ends up to the largest shape, as FE's `pad_value`.
    pub fn collate(key: &str, values: &[Value], pad: Option<f64>) -> Result<Value> {
        let first = values
            .first()
            .ok_or_else(|| FeError::invalid_value("Batch", key, "cannot collate an empty list of samples"))?;
        let dtype = first.dtype();
        let rank = first.ndim();
        let mut target: Vec<usize> = first.shape().to_vec();
        for (i, v) in values.iter().enumerate() {
            if v.dtype() != dtype {
                return Err(FeError::UnexpectedDType {
                    op: "Batch".into(),
                    key: key.into(),
                    expected: format!("{dtype} in every sample, as sample 0 is"),
                    got: v.dtype().to_string(),
                });
            }
            if v.ndim() != rank || (v.shape() != first.shape() && pad.is_none()) {
                let op = if v.ndim() != rank {
                    "Batch (samples must have one rank, even with pad_value)"
                } else {
                    "Batch (samples must have one shape; set pad_value to pad them)"
                };
                return Err(FeError::ShapeMismatch {
                    op: op.into(),
                    left_key: format!("{key}[0]"),
                    left_shape: crate::error::dims(first.shape()),
                    right_key: format!("{key}[{i}]"),
                    right_shape: crate::error::dims(v.shape()),
                });
            }
            for (t, &s) in target.iter_mut().zip(v.shape()) {
                *t = (*t).max(s);
            }
        }
        let mut full = vec![values.len()];
        full.extend_from_slice(&target);
        let pad = pad.unwrap_or(0.0);
        let same_shape = values.iter().all(|v| v.shape() == target.as_slice());
        macro_rules! collate_as {
            ($variant:ident, $fill:expr) => {{
                if same_shape {
                    // Equal shapes: concatenate the buffers.
                    let mut flat = Vec::with_capacity(full.iter().product());
                    for v in values {
                        let Value::$variant(a) = v else { unreachable!("dtype checked above") };
                        match a.as_slice() {
                            Some(s) => flat.extend_from_slice(s),
                            None => flat.extend(a.iter().cloned()),
                        }
                    }
                    return Ok(Value::$variant(ArrayD::from_shape_vec(IxDyn(&full), flat).expect("sizes match")));
                }
                let mut out = ArrayD::from_elem(IxDyn(&full), $fill);
                for (i, v) in values.iter().enumerate() {
                    let Value::$variant(a) = v else { unreachable!("dtype checked above") };
                    let mut slot = out.index_axis_mut(Axis(0), i);
                    if a.shape() == target.as_slice() {
                        slot.assign(a);
                    } else {
                        let info: Vec<ndarray::SliceInfoElem> =
                            a.shape().iter().map(|&n| ndarray::SliceInfoElem::from(0..n)).collect();
                        slot.slice_mut(info.as_slice()).assign(a);
                    }
                }
                Value::$variant(out)
            }};
        }
        Ok(match dtype {
            DType::U8 => collate_as!(U8, pad as u8),
            DType::I64 => collate_as!(I64, pad as i64),
            DType::F32 => collate_as!(F32, pad as f32),
            DType::F64 => collate_as!(F64, pad),
            DType::Bool => collate_as!(Bool, pad != 0.0),
            DType::Str => collate_as!(Str, String::new()),
        })
    }
}

/// Collate samples into one batch: every key of the first sample is stacked (or, with
/// `pad_value`, padded to the largest shape) along a new first axis ([`Value::collate`]). This is
/// the `Batch` op's default collation; datasets that build their own batches use it directly.
pub fn collate_samples(mut samples: Vec<Sample>, pad_value: Option<f64>) -> Result<Sample> {
    let Some(first) = samples.first() else {
        return Ok(Sample::new());
    };
    let keys: Vec<String> = first.keys().cloned().collect();
    let mut out = Sample::with_capacity(keys.len());
    for key in keys {
        let mut column = Vec::with_capacity(samples.len());
        for s in samples.iter_mut() {
            let v = s.swap_remove(&key).ok_or_else(|| FeError::Dataset {
                dataset: "Batch".into(),
                reason: format!("key {key:?} is in some samples of the batch but not in others"),
            })?;
            column.push(v);
        }
        let value = Value::collate(&key, &column, pad_value)?;
        out.insert(key, value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn stack_adds_a_leading_axis() {
        let a = Value::from(array![1u8, 2].into_dyn());
        let b = Value::from(array![3u8, 4].into_dyn());
        let s = Value::stack("x", &[a, b]).unwrap();
        assert_eq!(s, Value::U8(array![[1u8, 2], [3, 4]].into_dyn()));
    }

    #[test]
    fn collate_pads_at_the_end() {
        let a = Value::from(vec![1i64, 2, 3]);
        let b = Value::from(vec![4i64]);
        let s = Value::collate("x", &[a, b], Some(-1.0)).unwrap();
        assert_eq!(s, Value::I64(array![[1i64, 2, 3], [4, -1, -1]].into_dyn()));
    }

    #[test]
    fn stack_refuses_ragged_values_and_names_the_key() {
        let a = Value::from(vec![1i64, 2, 3]);
        let b = Value::from(vec![4i64]);
        let err = Value::stack("tokens", &[a, b]).unwrap_err().to_string();
        assert!(err.contains("tokens") && err.contains("pad_value"), "{err}");
    }

    #[test]
    fn expand_dims_follows_numpy_axes() {
        let v = Value::U8(ArrayD::zeros(IxDyn(&[28, 28])));
        assert_eq!(v.clone().expand_dims(-1).unwrap().shape(), &[28, 28, 1]);
        assert_eq!(v.clone().expand_dims(0).unwrap().shape(), &[1, 28, 28]);
        assert!(v.expand_dims(4).is_err());
    }
}
