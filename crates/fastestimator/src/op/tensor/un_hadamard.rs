//! `UnHadamard`: Hadamard-code predictions back to class probabilities.

use tch::{Kind, Tensor};

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::op::numpy::univariate::hadamard_codes;
use crate::op::{impl_has_io, Keys, OpIo};

/// Turn code-space predictions `[batch, code_length]` (values in [-1, 1], e.g. from tanh) into
/// class probabilities `[batch, n_classes]`: class `c`'s code is row `c` of the Hadamard matrix,
/// and probabilities are the softmax of the agreement between prediction and each code
/// (`x · h_c`), multi-io. `code_length` defaults to the smallest power of two ≥ `n_classes`.
pub struct UnHadamard {
    io: OpIo,
    codes: Tensor,
}
impl_has_io!(UnHadamard);

impl UnHadamard {
    /// Decode `n_classes` classes from codes of `code_length` (a power of two ≥ n_classes).
    pub fn new(
        inputs: impl Into<Keys>,
        outputs: impl Into<Keys>,
        n_classes: usize,
        code_length: Option<usize>,
    ) -> Result<Self> {
        if n_classes < 2 {
            return Err(FeError::param("UnHadamard", "n_classes", "must be at least 2"));
        }
        let length = code_length.unwrap_or_else(|| n_classes.next_power_of_two());
        if !length.is_power_of_two() || length < n_classes {
            return Err(FeError::param(
                "UnHadamard",
                "code_length",
                format!("{length} must be a power of 2 and at least n_classes ({n_classes})"),
            ));
        }
        // The same code book as the Hadamard NumpyOp (first column alternating, as in FE).
        let rows: Vec<f32> = hadamard_codes(n_classes, length).into_iter().flatten().collect();
        let codes = Tensor::from_slice(&rows).reshape([n_classes as i64, length as i64]);
        Ok(UnHadamard { io: OpIo::new(inputs, outputs), codes })
    }
}

impl TensorOp for UnHadamard {
    fn name(&self) -> String {
        "UnHadamard".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        let length = self.codes.size()[1];
        data.iter()
            .zip(&self.io.inputs)
            .map(|(t, k)| {
                if t.dim() != 2 || t.size()[1] != length {
                    return Err(FeError::UnexpectedShape {
                        op: "UnHadamard".into(),
                        key: k.clone(),
                        expected: format!("[batch, {length}]"),
                        got: t.size(),
                    });
                }
                let codes = self.codes.to_device(t.device());
                Ok(t.to_kind(Kind::Float).matmul(&codes.transpose(0, 1)).softmax(-1, Kind::Float))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::numpy::univariate::hadamard;
    use crate::util::Mode;

    #[test]
    fn a_perfect_code_decodes_to_its_class() {
        let h = hadamard(4);
        assert_eq!(h[1], vec![1.0, -1.0, 1.0, -1.0]);
        let mut op = UnHadamard::new("x", "y", 3, None).unwrap();
        let x = Tensor::from_slice(&h[2]).reshape([1, 4]);
        let p = op.forward(vec![x], &mut NetState::new(Mode::Eval, 1)).unwrap().remove(0);
        assert_eq!(p.argmax(-1, false).int64_value(&[0]), 2);
        assert!((p.sum(Kind::Float).double_value(&[]) - 1.0).abs() < 1e-6);
    }
}
