//! Batch augmentation: `MixUpBatch` and `CutMixBatch`.

use rand::Rng;
use rand_distr::{Beta, Distribution};
use tch::{Kind, Tensor};

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};

fn beta(alpha: f64, op: &str) -> Result<Beta<f64>> {
    Beta::new(alpha, alpha).map_err(|_| FeError::param(op, "alpha", format!("{alpha} must be positive")))
}

fn check_pair(op: &str, io: &OpIo, x: &Tensor, y: &Tensor) -> Result<()> {
    if x.size().first() != y.size().first() {
        return Err(FeError::ShapeMismatch {
            op: format!("{op} (batch sizes differ)"),
            left_key: io.inputs[0].clone(),
            left_shape: x.size(),
            right_key: io.inputs[1].clone(),
            right_shape: y.size(),
        });
    }
    if !y.is_floating_point() {
        return Err(FeError::UnexpectedDType {
            op: op.into(),
            key: io.inputs[1].clone(),
            expected: "one-hot float labels [batch, classes] to be mixed".into(),
            got: format!("{:?}", y.kind()),
        });
    }
    if y.dim() < 2 {
        return Err(FeError::UnexpectedShape {
            op: op.into(),
            key: io.inputs[1].clone(),
            expected: "one-hot labels [batch, classes] to be mixed".into(),
            got: y.size(),
        });
    }
    Ok(())
}

/// MixUp (Zhang et al.): `λ·x + (1-λ)·x'` and the same for one-hot labels, where `x'` is the
/// batch rolled by one and `λ ~ Beta(alpha, alpha)` (one λ per sample, or one per batch with
/// `shared_beta`). Inputs `[x, y]`, outputs `[x_mix, y_mix]`; train mode by default.
pub struct MixUpBatch {
    io: OpIo,
    alpha: f64,
    shared_beta: bool,
}
impl_has_io!(MixUpBatch);

impl MixUpBatch {
    /// MixUp with `alpha` 1.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        MixUpBatch { io: OpIo::new(inputs, outputs).with_default_mode("train"), alpha: 1.0, shared_beta: false }
    }
    /// The Beta distribution's parameter.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// One λ for the whole batch.
    pub fn shared_beta(mut self, shared: bool) -> Self {
        self.shared_beta = shared;
        self
    }
}

impl TensorOp for MixUpBatch {
    fn name(&self) -> String {
        "MixUpBatch".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        let [x, y] =
            <[Tensor; 2]>::try_from(data).map_err(|_| FeError::param("MixUpBatch", "inputs", "expects [x, y]"))?;
        check_pair("MixUpBatch", &self.io, &x, &y)?;
        let dist = beta(self.alpha, "MixUpBatch")?;
        let mut rng = state.rng();
        let n = x.size()[0];
        let lams: Vec<f32> = if self.shared_beta {
            vec![dist.sample(&mut rng) as f32; n as usize]
        } else {
            (0..n).map(|_| dist.sample(&mut rng) as f32).collect()
        };
        let lam = Tensor::from_slice(&lams).to_device(x.device());
        let shaped = |t: &Tensor| {
            let mut s = vec![n];
            s.extend(std::iter::repeat_n(1, t.dim() - 1));
            lam.reshape(s.as_slice())
        };
        let mix = |t: &Tensor| {
            let l = shaped(t);
            let t = t.to_kind(Kind::Float);
            &t * &l + t.roll([1], [0]) * (1.0 - &l)
        };
        Ok(vec![mix(&x), mix(&y)])
    }
}

/// CutMix (Yun et al.): paste a random box from the batch rolled by one into each image
/// (`[batch, C, H, W]`, channels first) and mix the one-hot labels by the pasted area. The box
/// covers `1-λ` of the image with `λ ~ Beta(alpha, alpha)`, one box per batch. Inputs `[x, y]`,
/// outputs `[x_mix, y_mix]`; train mode by default.
pub struct CutMixBatch {
    io: OpIo,
    alpha: f64,
}
impl_has_io!(CutMixBatch);

impl CutMixBatch {
    /// CutMix with `alpha` 1.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        CutMixBatch { io: OpIo::new(inputs, outputs).with_default_mode("train"), alpha: 1.0 }
    }
    /// The Beta distribution's parameter.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
}

impl TensorOp for CutMixBatch {
    fn name(&self) -> String {
        "CutMixBatch".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        let [x, y] =
            <[Tensor; 2]>::try_from(data).map_err(|_| FeError::param("CutMixBatch", "inputs", "expects [x, y]"))?;
        check_pair("CutMixBatch", &self.io, &x, &y)?;
        if x.dim() != 4 {
            return Err(FeError::UnexpectedShape {
                op: "CutMixBatch".into(),
                key: self.io.inputs[0].clone(),
                expected: "images [batch, C, H, W]".into(),
                got: x.size(),
            });
        }
        let (h, w) = (x.size()[2], x.size()[3]);
        let mut rng = state.rng();
        let lam: f64 = beta(self.alpha, "CutMixBatch")?.sample(&mut rng);
        let cut = (1.0 - lam).sqrt();
        let (cut_h, cut_w) = ((h as f64 * cut) as i64, (w as f64 * cut) as i64);
        let (cy, cx) = (rng.gen_range(0..h), rng.gen_range(0..w));
        let (y0, y1) = ((cy - cut_h / 2).max(0), (cy + cut_h / 2).min(h));
        let (x0, x1) = ((cx - cut_w / 2).max(0), (cx + cut_w / 2).min(w));
        let mixed = x.to_kind(Kind::Float).copy();
        if y1 > y0 && x1 > x0 {
            let patch = x.to_kind(Kind::Float).roll([1], [0]).narrow(2, y0, y1 - y0).narrow(3, x0, x1 - x0);
            mixed.narrow(2, y0, y1 - y0).narrow(3, x0, x1 - x0).copy_(&patch);
        }
        let kept = 1.0 - ((y1 - y0) * (x1 - x0)) as f64 / (h * w) as f64;
        let yf = y.to_kind(Kind::Float);
        let y_mix = &yf * kept + yf.roll([1], [0]) * (1.0 - kept);
        Ok(vec![mixed, y_mix])
    }
}
