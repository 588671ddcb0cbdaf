//! Optimizers by name (with FE's torch defaults) or configured.

use tch::nn::{self, OptimizerConfig};
use tch::Tensor;

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
            "adam" => OptimizerSpec::Adam {
                lr: 1e-3,
                beta1: 0.9,
                beta2: 0.999,
                weight_decay: 0.0,
            },
            "adamw" => OptimizerSpec::AdamW {
                lr: 1e-3,
                beta1: 0.9,
                beta2: 0.999,
                weight_decay: 0.01,
            },
            "sgd" => OptimizerSpec::Sgd {
                lr: 0.01,
                momentum: 0.0,
                nesterov: false,
                weight_decay: 0.0,
            },
            "rmsprop" => OptimizerSpec::RmsProp {
                lr: 0.01,
                alpha: 0.99,
                momentum: 0.0,
                weight_decay: 0.0,
            },
            "adagrad" => OptimizerSpec::Adagrad {
                lr: 0.01,
                weight_decay: 0.0,
            },
            _ => {
                return Err(FeError::UnknownOptimizer {
                    name: name.to_string(),
                    known: KNOWN.to_string(),
                })
            }
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
            return Err(FeError::param(
                "optimizer",
                "lr",
                format!("{lr} must be a positive number"),
            ));
        }
        Ok(())
    }

    /// Create the optimizer over the trainable variables of `vs`.
    pub(crate) fn instantiate(&self, vs: &nn::VarStore) -> Result<Optimizer> {
        self.validate()?;
        let torch = |r: std::result::Result<nn::Optimizer, tch::TchError>| {
            r.map(Optimizer::Torch)
                .map_err(|e| FeError::torch("creating optimizer", e))
        };
        match *self {
            OptimizerSpec::Adam {
                lr,
                beta1,
                beta2,
                weight_decay,
            } => torch(
                nn::Adam {
                    beta1,
                    beta2,
                    wd: weight_decay,
                    eps: 1e-8,
                    amsgrad: false,
                }
                .build(vs, lr),
            ),
            OptimizerSpec::AdamW {
                lr,
                beta1,
                beta2,
                weight_decay,
            } => torch(
                nn::AdamW {
                    beta1,
                    beta2,
                    wd: weight_decay,
                    eps: 1e-8,
                    amsgrad: false,
                }
                .build(vs, lr),
            ),
            OptimizerSpec::Sgd {
                lr,
                momentum,
                nesterov,
                weight_decay,
            } => torch(
                nn::Sgd {
                    momentum,
                    dampening: 0.0,
                    wd: weight_decay,
                    nesterov,
                }
                .build(vs, lr),
            ),
            OptimizerSpec::RmsProp {
                lr,
                alpha,
                momentum,
                weight_decay,
            } => torch(
                nn::RmsProp {
                    alpha,
                    eps: 1e-8,
                    wd: weight_decay,
                    momentum,
                    centered: false,
                }
                .build(vs, lr),
            ),
            OptimizerSpec::Adagrad { lr, weight_decay } => {
                Ok(Optimizer::Adagrad(Adagrad::new(vs, lr, weight_decay)))
            }
        }
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
    pub(crate) fn resolve(self) -> Result<Option<OptimizerSpec>> {
        match self {
            OptimizerArg::Name(n) => OptimizerSpec::from_name(&n).map(Some),
            OptimizerArg::Spec(s) => Ok(Some(s)),
            OptimizerArg::None => Ok(None),
        }
    }
}

/// A live optimizer: one of libtorch's, or our Adagrad (which tch does not wrap).
pub(crate) enum Optimizer {
    Torch(nn::Optimizer),
    Adagrad(Adagrad),
}

impl Optimizer {
    pub(crate) fn zero_grad(&mut self) {
        match self {
            Optimizer::Torch(o) => o.zero_grad(),
            Optimizer::Adagrad(a) => a.params.iter_mut().for_each(|p| p.zero_grad()),
        }
    }

    pub(crate) fn step(&mut self) {
        match self {
            Optimizer::Torch(o) => o.step(),
            Optimizer::Adagrad(a) => a.step(),
        }
    }

    pub(crate) fn set_lr(&mut self, lr: f64) {
        match self {
            Optimizer::Torch(o) => o.set_lr(lr),
            Optimizer::Adagrad(a) => a.lr = lr,
        }
    }
}

/// Adagrad: `sum += g²; p -= lr · g / (√sum + eps)`.
pub(crate) struct Adagrad {
    params: Vec<Tensor>,
    sums: Vec<Tensor>,
    lr: f64,
    weight_decay: f64,
}

impl Adagrad {
    fn new(vs: &nn::VarStore, lr: f64, weight_decay: f64) -> Self {
        let params = vs.trainable_variables();
        let sums = params.iter().map(|p| p.zeros_like()).collect();
        Adagrad {
            params,
            sums,
            lr,
            weight_decay,
        }
    }

    fn step(&mut self) {
        tch::no_grad(|| {
            for (p, sum) in self.params.iter_mut().zip(self.sums.iter_mut()) {
                let mut g = p.grad();
                if !g.defined() {
                    continue;
                }
                if self.weight_decay != 0.0 {
                    g += &*p * self.weight_decay;
                }
                *sum += &g * &g;
                let update = g / (sum.sqrt() + 1e-10) * self.lr;
                *p -= update;
            }
        });
    }
}
