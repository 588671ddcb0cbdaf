//! Moving data between ndarray [`Value`]s and tch tensors.

use ndarray::{ArrayD, IxDyn};
use tch::{Kind, Tensor};

use crate::error::{FeError, Result};
use crate::value::Value;

/// Convert a value into a CPU tensor with one copy. Text has no tensor form and gives `None`.
pub fn to_tensor(value: &Value) -> Option<Tensor> {
    fn conv<T: tch::kind::Element + Clone>(a: &ArrayD<T>) -> Tensor {
        let shape: Vec<i64> = a.shape().iter().map(|&d| d as i64).collect();
        match a.as_slice() {
            Some(s) => Tensor::from_slice(s).reshape(&shape),
            None => Tensor::from_slice(a.as_standard_layout().as_slice().expect("standard layout")).reshape(&shape),
        }
    }
    Some(match value {
        Value::U8(a) => conv(a),
        Value::I64(a) => conv(a),
        Value::F32(a) => conv(a),
        Value::F64(a) => conv(a),
        Value::Bool(a) => conv(a),
        Value::Str(_) => return None,
    })
}

/// Copy a tensor (any device) back into a [`Value`]; `key` names it in errors.
pub fn tensor_to_value(key: &str, tensor: &Tensor) -> Result<Value> {
    let t = tensor.detach().to_device(tch::Device::Cpu).contiguous();
    let shape: Vec<usize> = t.size().iter().map(|&d| d as usize).collect();
    let n = t.numel();
    let err = |e: tch::TchError| FeError::torch(format!("reading tensor {key:?}"), e);
    macro_rules! read {
        ($t:ty, $variant:ident) => {{
            let mut buf = vec![<$t>::default(); n];
            t.f_copy_data(&mut buf, n).map_err(err)?;
            Value::$variant(ArrayD::from_shape_vec(IxDyn(&shape), buf).expect("numel matches shape"))
        }};
    }
    Ok(match t.kind() {
        Kind::Uint8 => read!(u8, U8),
        Kind::Int64 => read!(i64, I64),
        Kind::Float => read!(f32, F32),
        Kind::Double => read!(f64, F64),
        Kind::Bool => read!(bool, Bool),
        Kind::Int | Kind::Int16 | Kind::Int8 => {
            let t64 = t.to_kind(Kind::Int64);
            let mut buf = vec![0i64; n];
            t64.f_copy_data(&mut buf, n).map_err(err)?;
            Value::I64(ArrayD::from_shape_vec(IxDyn(&shape), buf).expect("numel matches shape"))
        }
        _ => {
            let t32 = t.to_kind(Kind::Float);
            let mut buf = vec![0f32; n];
            t32.f_copy_data(&mut buf, n).map_err(err)?;
            Value::F32(ArrayD::from_shape_vec(IxDyn(&shape), buf).expect("numel matches shape"))
        }
    })
}

/// The value of a one-element tensor as f64 (FE's `to_number` for scalars).
pub fn to_number(tensor: &Tensor) -> Result<f64> {
    if tensor.numel() != 1 {
        return Err(FeError::UnexpectedShape {
            op: "to_number".into(),
            key: "tensor".into(),
            expected: "a single element".into(),
            got: tensor.size(),
        });
    }
    tensor
        .f_double_value(&[])
        .or_else(|_| tensor.reshape([1]).f_double_value(&[0]))
        .map_err(|e| FeError::torch("to_number", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn round_trip_keeps_dtype_and_shape() {
        for v in [
            Value::U8(array![[1u8, 2], [3, 4]].into_dyn()),
            Value::F32(array![[1.5f32], [2.5]].into_dyn()),
            Value::I64(array![7i64, 8, 9].into_dyn()),
            Value::Bool(array![true, false].into_dyn()),
        ] {
            let t = to_tensor(&v).unwrap();
            assert_eq!(tensor_to_value("k", &t).unwrap(), v);
        }
        assert!(to_tensor(&Value::from("text")).is_none());
    }
}
