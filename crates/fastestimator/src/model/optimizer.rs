//! Optimizers by name (with FE's torch defaults) or configured.

use tch::nn;
use tch::Tensor;

use super::fused_optim::{fused_adam, fused_sgd, AdamStep, SgdStep};
use crate::error::{FeError, Result};

/// A configured optimizer. [`OptimizerSpec::from_name`] gives FE's defaults.
///
/// ```
/// use fastestimator::network::OptimizerSpec;
/// let adam = OptimizerSpec::from_name("adam").unwrap();
/// assert_eq!(adam.learning_rate(), 1e-3);
/// let sgd = OptimizerSpec::Sgd { lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.0 };
/// assert!(OptimizerSpec::from_name("adamm").is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum OptimizerSpec {
    /// Adam (torch defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8).
    Adam {
        /// Learning rate.
        lr: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// L2 penalty.
        weight_decay: f64,
    },
    /// AdamW (torch defaults: lr 1e-3, weight decay 0.01).
    AdamW {
        /// Learning rate.
        lr: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// Decoupled weight decay.
        weight_decay: f64,
    },
    /// Stochastic gradient descent (FE's default lr 0.01).
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum factor.
        momentum: f64,
        /// Nesterov momentum.
        nesterov: bool,
        /// L2 penalty.
        weight_decay: f64,
    },
    /// RMSprop (torch defaults: lr 0.01, alpha 0.99, eps 1e-8).
    RmsProp {
        /// Learning rate.
        lr: f64,
        /// Smoothing constant.
        alpha: f64,
        /// Momentum factor.
        momentum: f64,
        /// L2 penalty.
        weight_decay: f64,
    },
    /// Adagrad (torch defaults: lr 0.01, eps 1e-10).
    Adagrad {
        /// Learning rate.
        lr: f64,
        /// L2 penalty.
        weight_decay: f64,
    },
}

const KNOWN: &str = "adam, adamw, sgd, rmsprop, adagrad";

impl OptimizerSpec {
    /// FE's named optimizers with their default settings.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "adam" => OptimizerSpec::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, weight_decay: 0.0 },
            "adamw" => OptimizerSpec::AdamW { lr: 1e-3, beta1: 0.9, beta2: 0.999, weight_decay: 0.01 },
            "sgd" => OptimizerSpec::Sgd { lr: 0.01, momentum: 0.0, nesterov: false, weight_decay: 0.0 },
            "rmsprop" => OptimizerSpec::RmsProp { lr: 0.01, alpha: 0.99, momentum: 0.0, weight_decay: 0.0 },
            "adagrad" => OptimizerSpec::Adagrad { lr: 0.01, weight_decay: 0.0 },
            _ => return Err(FeError::UnknownOptimizer { name: name.to_string(), known: KNOWN.to_string() }),
        })
    }

    /// The initial learning rate.
    pub fn learning_rate(&self) -> f64 {
        match *self {
            OptimizerSpec::Adam { lr, .. }
            | OptimizerSpec::AdamW { lr, .. }
            | OptimizerSpec::Sgd { lr, .. }
            | OptimizerSpec::RmsProp { lr, .. }
            | OptimizerSpec::Adagrad { lr, .. } => lr,
        }
    }

    /// The same optimizer with another learning rate.
    pub fn with_lr(mut self, new_lr: f64) -> Self {
        match &mut self {
            OptimizerSpec::Adam { lr, .. }
            | OptimizerSpec::AdamW { lr, .. }
            | OptimizerSpec::Sgd { lr, .. }
            | OptimizerSpec::RmsProp { lr, .. }
            | OptimizerSpec::Adagrad { lr, .. } => *lr = new_lr,
        }
        self
    }

    fn validate(&self) -> Result<()> {
        let lr = self.learning_rate();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(FeError::param("optimizer", "lr", format!("{lr} must be a positive number")));
        }
        Ok(())
    }

    /// Create the optimizer over the trainable variables of `vs`.
    pub(crate) fn instantiate(&self, vs: &nn::VarStore) -> Result<Optimizer> {
        self.validate()?;
        Ok(Optimizer::new(self.clone(), vs.trainable_variables()))
    }
}

/// What `fe::build` accepts as its optimizer: a name, a configured spec, or none (frozen model).
#[derive(Debug, Clone)]
pub enum OptimizerArg {
    /// An FE optimizer name (`"adam"`, `"sgd"`, ...).
    Name(String),
    /// A configured optimizer.
    Spec(OptimizerSpec),
    /// No optimizer: the model cannot be updated.
    None,
    /// A different optimizer from some epoch on (FE's scheduled `optimizer_fn`); each one is
    /// created up front and keeps its own state.
    Scheduled(crate::schedule::Schedule<OptimizerSpec>),
}

impl From<&str> for OptimizerArg {
    fn from(s: &str) -> Self {
        OptimizerArg::Name(s.to_string())
    }
}
impl From<OptimizerSpec> for OptimizerArg {
    fn from(s: OptimizerSpec) -> Self {
        OptimizerArg::Spec(s)
    }
}
impl From<Option<OptimizerSpec>> for OptimizerArg {
    fn from(s: Option<OptimizerSpec>) -> Self {
        s.map_or(OptimizerArg::None, OptimizerArg::Spec)
    }
}

impl OptimizerArg {
    pub(crate) fn resolve(self) -> Result<crate::schedule::Schedule<OptimizerSpec>> {
        use crate::schedule::Schedule;
        match self {
            OptimizerArg::Name(n) => OptimizerSpec::from_name(&n).map(Schedule::Fixed),
            OptimizerArg::Spec(s) => Ok(Schedule::Fixed(s)),
            OptimizerArg::None => Ok(Schedule::Epoch(crate::schedule::EpochScheduler::new(vec![(1, None)])?)),
            OptimizerArg::Scheduled(s) => Ok(s),
        }
    }
}

/// A live optimizer. All five are implemented here on tensor ops (with torch's update rules),
/// rather than through tch's opaque `nn::Optimizer`, so their state can be saved, restored and
/// stepped with gradients computed for one model only (deferred GAN updates).
pub(crate) struct Optimizer {
    spec: OptimizerSpec,
    params: Vec<Tensor>,
    /// Per-parameter state: Adam/AdamW (exp_avg, exp_avg_sq), SGD/RMSprop (momentum buffer,
    /// square average), Adagrad (sum). Created lazily on the first step.
    state: Vec<Vec<Tensor>>,
    steps: i64,
    lr: f64,
}

impl Optimizer {
    fn new(spec: OptimizerSpec, params: Vec<Tensor>) -> Self {
        let lr = spec.learning_rate();
        Optimizer { spec, params, state: Vec::new(), steps: 0, lr }
    }

    /// The parameters this optimizer updates (shallow handles to the model's variables).
    pub(crate) fn params(&self) -> &[Tensor] {
        &self.params
    }

    pub(crate) fn spec(&self) -> &OptimizerSpec {
        &self.spec
    }

    pub(crate) fn lr(&self) -> f64 {
        self.lr
    }

    pub(crate) fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// Number of steps taken.
    pub(crate) fn steps(&self) -> i64 {
        self.steps
    }

    /// Take one optimizer step with the given gradients (one per parameter; undefined = no
    /// gradient). Adam, AdamW and SGD run libtorch's fused kernels when the parameters allow it
    /// (one floating dtype on one device), and the same update as tensor ops otherwise. An error is
    /// libtorch's message; the step count then stays as it was.
    pub(crate) fn step_with(&mut self, grads: &[Tensor]) -> std::result::Result<(), String> {
        if self.state.is_empty() {
            self.state = self.params.iter().map(|p| vec![p.zeros_like(), p.zeros_like()]).collect();
        }
        if self.fused_step(grads)? {
            return Ok(());
        }
        self.steps += 1;
        let t = self.steps as f64;
        let lr = self.lr;
        let spec = self.spec.clone();
        tch::no_grad(|| {
            for ((p, g), st) in self.params.iter_mut().zip(grads).zip(self.state.iter_mut()) {
                if !g.defined() {
                    continue;
                }
                let g = g.detach();
                match spec {
                    OptimizerSpec::Adam { beta1, beta2, weight_decay, .. }
                    | OptimizerSpec::AdamW { beta1, beta2, weight_decay, .. } => {
                        // torch's single-tensor Adam, for parameters the fused kernel cannot take.
                        let decoupled = matches!(spec, OptimizerSpec::AdamW { .. });
                        let g = if weight_decay != 0.0 && !decoupled { g + &*p * weight_decay } else { g };
                        if weight_decay != 0.0 && decoupled {
                            *p *= 1.0 - lr * weight_decay;
                        }
                        let _ = st[0].lerp_(&g, 1.0 - beta1);
                        let _ = st[1].g_mul_scalar_(beta2);
                        let _ = st[1].addcmul_(&(&g * (1.0 - beta2)), &g);
                        let bias1 = 1.0 - beta1.powf(t);
                        let bias2 = 1.0 - beta2.powf(t);
                        let mut denom = (&st[1] / bias2).sqrt();
                        let _ = denom.g_add_scalar_(1e-8);
                        let _ = p.addcdiv_(&(&st[0] * (-lr / bias1)), &denom);
                    }
                    OptimizerSpec::Sgd { momentum, nesterov, weight_decay, .. } => {
                        let g = if weight_decay != 0.0 { g + &*p * weight_decay } else { g };
                        let update = if momentum != 0.0 {
                            if self.steps == 1 {
                                st[0].copy_(&g);
                            } else {
                                st[0] *= momentum;
                                st[0] += &g;
                            }
                            if nesterov {
                                g + &st[0] * momentum
                            } else {
                                st[0].shallow_clone()
                            }
                        } else {
                            g
                        };
                        *p -= update * lr;
                    }
                    OptimizerSpec::RmsProp { alpha, momentum, weight_decay, .. } => {
                        let g = if weight_decay != 0.0 { g + &*p * weight_decay } else { g };
                        st[1] *= alpha;
                        st[1] += &g * &g * (1.0 - alpha);
                        let avg = st[1].sqrt() + 1e-8;
                        if momentum != 0.0 {
                            st[0] *= momentum;
                            st[0] += g / avg;
                            *p -= &st[0] * lr;
                        } else {
                            *p -= g / avg * lr;
                        }
                    }
                    OptimizerSpec::Adagrad { weight_decay, .. } => {
                        let g = if weight_decay != 0.0 { g + &*p * weight_decay } else { g };
                        st[0] += &g * &g;
                        *p -= g / (st[0].sqrt() + 1e-10) * lr;
                    }
                }
            }
        });
        Ok(())
    }

    /// Adam, AdamW or SGD through libtorch's fused kernels, when the parameters with a gradient
    /// allow it; `Ok(false)` when the tensor-op form must step instead.
    fn fused_step(&mut self, grads: &[Tensor]) -> std::result::Result<bool, String> {
        enum Kernel {
            Adam(AdamStep),
            Sgd(SgdStep),
        }
        let lr = self.lr;
        let kernel = match self.spec {
            OptimizerSpec::Adam { beta1, beta2, weight_decay, .. }
            | OptimizerSpec::AdamW { beta1, beta2, weight_decay, .. } => {
                let decoupled = matches!(self.spec, OptimizerSpec::AdamW { .. });
                Kernel::Adam(AdamStep { step: self.steps + 1, lr, beta1, beta2, weight_decay, eps: 1e-8, decoupled })
            }
            OptimizerSpec::Sgd { momentum, nesterov, weight_decay, .. } => {
                Kernel::Sgd(SgdStep { lr, momentum, weight_decay, nesterov, first_step: self.steps == 0 })
            }
            OptimizerSpec::RmsProp { .. } | OptimizerSpec::Adagrad { .. } => return Ok(false),
        };
        let live: Vec<usize> = (0..self.params.len()).filter(|&i| grads[i].defined()).collect();
        let params: Vec<&Tensor> = live.iter().map(|&i| &self.params[i]).collect();
        if !super::fused_optim::supports(&params) {
            return Ok(false);
        }
        let state = |j: usize| live.iter().map(|&i| &self.state[i][j]).collect::<Vec<_>>();
        let grads: Vec<&Tensor> = live.iter().map(|&i| &grads[i]).collect();
        tch::no_grad(|| match kernel {
            Kernel::Adam(step) => fused_adam(&params, &grads, &state(0), &state(1), step),
            Kernel::Sgd(step) => fused_sgd(&params, &grads, &state(0), step),
        })?;
        self.steps += 1;
        Ok(true)
    }

    /// The optimizer's state as named tensors (for checkpoints).
    pub(crate) fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = vec![("steps".to_string(), Tensor::from(self.steps)), ("lr".to_string(), Tensor::from(self.lr))];
        for (i, st) in self.state.iter().enumerate() {
            for (j, t) in st.iter().enumerate() {
                out.push((format!("param{i}.state{j}"), t.detach().copy()));
            }
        }
        out
    }

    /// Restore state written by [`Optimizer::state_tensors`].
    pub(crate) fn load_state_tensors(&mut self, named: &[(String, Tensor)]) -> Result<()> {
        let get = |k: &str| named.iter().find(|(n, _)| n == k).map(|(_, t)| t);
        let bad = |why: String| FeError::State { owner: "optimizer".into(), reason: why };
        // Everything is read and checked first, so a bad file leaves the optimizer as it was.
        let scalar = |key: &str, t: &Tensor| {
            if t.numel() != 1 {
                return Err(FeError::unexpected_shape("optimizer state", key, "one number", &t.size()));
            }
            t.f_double_value(&[]).map_err(|e| bad(format!("'{key}': {}", crate::error::torch_message(&e))))
        };
        let steps = scalar("steps", get("steps").ok_or_else(|| bad("no 'steps' entry".into()))?)? as i64;
        let lr = get("lr").map(|lr| scalar("lr", lr)).transpose()?;
        // A fresh optimizer's state (no step taken, no moment saved) stays lazily unallocated, as
        // a new optimizer's is, so a snapshot of a fresh model restores exactly.
        let fresh = steps == 0 && !named.iter().any(|(n, _)| n.starts_with("param"));
        let mut state = Vec::with_capacity(if fresh { 0 } else { self.params.len() });
        for (i, p) in self.params.iter().enumerate().filter(|_| !fresh) {
            let mut st = Vec::new();
            for j in 0..2 {
                match get(&format!("param{i}.state{j}")) {
                    // In the parameter's memory layout, as the fused kernels need.
                    Some(t) if t.size() == p.size() => {
                        let mut laid_out = p.zeros_like();
                        laid_out
                            .f_copy_(t)
                            .map_err(|e| bad(format!("param{i}: {}", crate::error::torch_message(&e))))?;
                        st.push(laid_out)
                    }
                    Some(t) => {
                        return Err(FeError::ShapeMismatch {
                            op: "optimizer state".into(),
                            left_key: format!("param{i}.state{j}"),
                            left_shape: t.size(),
                            right_key: format!("param{i}"),
                            right_shape: p.size(),
                        })
                    }
                    None if steps == 0 => st.push(p.zeros_like()),
                    None => return Err(bad(format!("missing state for param{i}"))),
                }
            }
            state.push(st);
        }
        self.steps = steps;
        if let Some(lr) = lr {
            self.lr = lr;
        }
        self.state = state;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    /// torch.optim.Adam / AdamW on one scalar, in f64: the reference both paths must follow.
    fn reference(p0: f64, grads: &[f64], lr: f64, wd: f64, decoupled: bool) -> f64 {
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
        let (mut p, mut m, mut v) = (p0, 0.0, 0.0);
        for (t, &g) in grads.iter().enumerate() {
            let t = (t + 1) as i32;
            let g = if decoupled {
                p *= 1.0 - lr * wd;
                g
            } else {
                g + wd * p
            };
            m = b1 * m + (1.0 - b1) * g;
            v = b2 * v + (1.0 - b2) * g * g;
            let (bc1, bc2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
            p -= lr / bc1 * m / (v.sqrt() / bc2.sqrt() + eps);
        }
        p
    }

    fn values(t: &Tensor) -> Vec<f64> {
        Vec::<f64>::try_from(t.to_kind(Kind::Double).contiguous().view(-1)).unwrap()
    }

    /// Parameters: a channels-last 4-D weight and a bias, of `kinds`.
    fn params(kinds: [Kind; 2]) -> Vec<Tensor> {
        let w = Tensor::linspace(-1.0, 1.0, 24, (kinds[0], Device::Cpu)).reshape([2, 3, 2, 2]);
        let w = super::super::memory_format::channels_last_copy(&w);
        assert_eq!(w.stride(), [12, 1, 6, 3]);
        let b = Tensor::from_slice(&[0.5f64, -0.25]).to_kind(kinds[1]);
        vec![w, b]
    }

    /// Gradients of step `s` (contiguous, so the channels-last weight's is copied into its layout).
    fn grads(ps: &[Tensor], s: usize) -> Vec<Tensor> {
        ps.iter().map(|p| (p.ones_like().contiguous() * (0.3 * s as f64 - 0.37)) + p.detach() * 0.7).collect()
    }

    /// torch.optim.SGD (no dampening) on one scalar, in f64.
    fn sgd_reference(p0: f64, grads: &[f64], lr: f64, momentum: f64, wd: f64, nesterov: bool) -> f64 {
        let (mut p, mut buf) = (p0, 0.0);
        for (t, &g) in grads.iter().enumerate() {
            let g = g + wd * p;
            let update = if momentum == 0.0 {
                g
            } else {
                buf = if t == 0 { g } else { momentum * buf + g };
                if nesterov {
                    g + momentum * buf
                } else {
                    buf
                }
            };
            p -= lr * update;
        }
        p
    }

    fn check(spec: OptimizerSpec, kinds: [Kind; 2]) {
        let reference = |p0: f64, gs: &[f64]| match spec {
            OptimizerSpec::Adam { lr, weight_decay, .. } => reference(p0, gs, lr, weight_decay, false),
            OptimizerSpec::AdamW { lr, weight_decay, .. } => reference(p0, gs, lr, weight_decay, true),
            OptimizerSpec::Sgd { lr, momentum, nesterov, weight_decay } => {
                sgd_reference(p0, gs, lr, momentum, weight_decay, nesterov)
            }
            _ => unreachable!(),
        };
        let ps = params(kinds);
        let start: Vec<Vec<f64>> = ps.iter().map(values).collect();
        let mut opt = Optimizer::new(spec.clone(), ps.iter().map(Tensor::shallow_clone).collect());
        let mut seen: Vec<Vec<Vec<f64>>> = vec![Vec::new(); ps.len()];
        for s in 0..3 {
            let g = grads(&ps, s);
            let before: Vec<Vec<f64>> = g.iter().map(values).collect();
            for (i, gi) in g.iter().enumerate() {
                seen[i].push(values(gi));
            }
            opt.step_with(&g).unwrap();
            assert_eq!(g.iter().map(values).collect::<Vec<_>>(), before, "a step must leave the gradients alone");
        }
        assert_eq!(opt.steps(), 3);
        for (i, p) in ps.iter().enumerate() {
            for (k, got) in values(p).iter().enumerate() {
                let gs: Vec<f64> = seen[i].iter().map(|g| g[k]).collect();
                let want = reference(start[i][k], &gs);
                assert!((got - want).abs() < 2e-6, "param {i}[{k}]: {got} != {want} ({kinds:?})");
            }
        }
        assert_eq!(ps[0].stride(), [12, 1, 6, 3], "the layout is kept");
    }

    #[test]
    fn adam_adamw_and_sgd_follow_torchs_rules_on_both_paths() {
        let specs = [
            OptimizerSpec::Adam { lr: 0.05, beta1: 0.9, beta2: 0.999, weight_decay: 0.1 },
            OptimizerSpec::AdamW { lr: 0.05, beta1: 0.9, beta2: 0.999, weight_decay: 0.1 },
            OptimizerSpec::Sgd { lr: 0.05, momentum: 0.0, nesterov: false, weight_decay: 0.0 },
            OptimizerSpec::Sgd { lr: 0.05, momentum: 0.9, nesterov: false, weight_decay: 0.1 },
            OptimizerSpec::Sgd { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.0 },
        ];
        // One dtype: libtorch's fused kernels; two dtypes: the tensor-op form.
        for kinds in [[Kind::Float, Kind::Float], [Kind::Float, Kind::Double]] {
            let fused = super::super::fused_optim::supports(&params(kinds).iter().collect::<Vec<_>>());
            assert_eq!(fused, kinds[0] == kinds[1]);
            for spec in &specs {
                check(spec.clone(), kinds);
            }
        }
    }

    #[test]
    fn restored_adam_and_sgd_state_continues_exactly_in_a_channels_last_layout() {
        for spec in [
            OptimizerSpec::from_name("adam").unwrap(),
            OptimizerSpec::Sgd { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.0 },
        ] {
            restored_state_continues_exactly(spec);
        }
    }

    fn restored_state_continues_exactly(spec: OptimizerSpec) {
        let run = |restore_after: Option<usize>| {
            let ps = params([Kind::Float, Kind::Float]);
            let mut opt = Optimizer::new(spec.clone(), ps.iter().map(Tensor::shallow_clone).collect());
            for s in 0..4 {
                if restore_after == Some(s) {
                    // The checkpoint holds contiguous copies; loading puts them back in the layout.
                    let saved: Vec<(String, Tensor)> =
                        opt.state_tensors().into_iter().map(|(k, t)| (k, t.contiguous())).collect();
                    opt = Optimizer::new(spec.clone(), ps.iter().map(Tensor::shallow_clone).collect());
                    opt.load_state_tensors(&saved).unwrap();
                }
                opt.step_with(&grads(&ps, s)).unwrap();
            }
            ps
        };
        for (a, b) in run(None).iter().zip(run(Some(2))) {
            assert!(a.equal(&b), "a restored {spec:?} must continue exactly");
        }
    }
}
