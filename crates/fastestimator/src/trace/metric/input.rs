//! Reading a metric's inputs from a batch: tensors to host arrays, and FE's label rules.

use ndarray::{ArrayD, Axis, IxDyn};
use tch::{Device, Kind, Tensor};

use crate::error::{FeError, Result};

/// A tensor copied to the host as `f64` (FE's `to_number`); `owner` and `key` name it in errors.
pub(crate) fn to_array(t: &Tensor, owner: &str, key: &str) -> Result<ArrayD<f64>> {
    let shape: Vec<usize> = t.size().iter().map(|&d| d as usize).collect();
    let flat = t.detach().to_device(Device::Cpu).to_kind(Kind::Double).reshape([-1]);
    let values = Vec::<f64>::try_from(&flat).map_err(|e| FeError::torch(format!("{owner}: reading {key:?}"), e))?;
    ArrayD::from_shape_vec(IxDyn(&shape), values).map_err(|_| FeError::UnexpectedShape {
        op: owner.to_string(),
        key: key.to_string(),
        expected: "a contiguous tensor".into(),
        got: t.size(),
    })
}

/// Index of the largest value along the last axis (the first one on ties, as numpy does).
pub(crate) fn argmax_last(a: &ArrayD<f64>) -> Vec<i64> {
    let last = a.ndim().saturating_sub(1);
    a.lanes(Axis(last))
        .into_iter()
        .map(|lane| {
            let mut best = 0usize;
            for (i, &v) in lane.iter().enumerate() {
                if v > lane[best] || (v.is_nan() && !lane[best].is_nan()) {
                    best = i;
                }
            }
            best as i64
        })
        .collect()
}

/// Whether the last axis holds one-hot classes or class scores: rank above 1, last axis above 1.
pub(crate) fn has_class_axis(a: &ArrayD<f64>) -> bool {
    a.ndim() > 1 && a.shape().last().copied().unwrap_or(1) > 1
}

/// Class labels from ground truth: one-hot rows are argmaxed, anything else is flattened.
pub(crate) fn true_labels(a: &ArrayD<f64>) -> Vec<i64> {
    if has_class_axis(a) {
        argmax_last(a)
    } else {
        a.iter().map(|&v| v.round() as i64).collect()
    }
}

/// Class labels from predictions, and whether the task is binary (a single score column).
///
/// Multi-column scores are argmaxed; a single column (or a flat vector) is rounded half to even
/// as `np.round` does, so 0.5 becomes class 0.
pub(crate) fn pred_labels(a: &ArrayD<f64>) -> (Vec<i64>, bool) {
    if has_class_axis(a) {
        (argmax_last(a), false)
    } else {
        (a.iter().map(|&v| v.round_ties_even() as i64).collect(), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn label_rules_follow_fe() {
        let one_hot = array![[1.0, 0.0], [0.0, 1.0]].into_dyn();
        assert_eq!(true_labels(&one_hot), vec![0, 1]);
        let column = array![[1.0], [0.0]].into_dyn();
        assert_eq!(true_labels(&column), vec![1, 0]);
        let (p, binary) = pred_labels(&array![[0.5], [0.6], [1.5]].into_dyn());
        assert_eq!((p, binary), (vec![0, 1, 2], true));
        let (p, binary) = pred_labels(&array![[0.1, 0.7, 0.2], [0.4, 0.4, 0.2]].into_dyn());
        assert_eq!((p, binary), (vec![1, 0], false));
    }

    #[test]
    fn tensors_read_back() {
        let t = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]).reshape([2, 2]);
        let a = to_array(&t, "test", "t").unwrap();
        assert_eq!(a, array![[1.0, 2.0], [3.0, 4.0]].into_dyn());
    }
}
