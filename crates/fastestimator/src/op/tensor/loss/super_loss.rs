//! `SuperLoss`: automatic curriculum learning on top of another loss.

use std::collections::{HashMap, HashSet};

use tch::{Kind, Tensor};

use super::loss_op::{average_if, LossOp};
use crate::backend::lambertw;
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::tensor::{NetState, TensorOp};
use crate::op::{HasIo, OpIo};
use crate::util::Mode;

/// Slightly above `-2/e` (FE's cap), so that `W(0.5 · beta)` stays on the real branch.
const CAP: f64 = -1.9999998 / std::f64::consts::E;

/// The threshold `tau` that SuperLoss compares each sample's loss with.
///
/// Parses from FE's values: `"exp"`, or a finite number such as `"2.3"`; prints as them.
///
/// ```
/// use fastestimator::op::tensor::SuperLossThreshold;
/// assert_eq!("exp".parse::<SuperLossThreshold>()?, SuperLossThreshold::Exp);
/// assert_eq!("2.5".parse::<SuperLossThreshold>()?, SuperLossThreshold::Fixed(2.5));
/// assert_eq!(SuperLossThreshold::Fixed(2.5).to_string(), "2.5");
/// assert!("mean".parse::<SuperLossThreshold>().is_err());
/// # Ok::<(), fastestimator::FeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SuperLossThreshold {
    /// A running exponential average of the batch-mean loss, kept per mode (FE's `'exp'`, the
    /// default): the first step of a mode sets it, later steps move it 10% toward the new mean.
    Exp,
    /// A fixed expected loss, for example `ln(classes)` for cross entropy.
    Fixed(f64),
}

impl From<f64> for SuperLossThreshold {
    fn from(tau: f64) -> Self {
        SuperLossThreshold::Fixed(tau)
    }
}

impl std::str::FromStr for SuperLossThreshold {
    type Err = FeError;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if s == "exp" {
            return Ok(SuperLossThreshold::Exp);
        }
        match s.parse::<f64>() {
            Ok(tau) if tau.is_finite() => Ok(SuperLossThreshold::Fixed(tau)),
            _ => {
                Err(FeError::param("SuperLoss", "threshold", format!("expected \"exp\" or a finite number, got {s:?}")))
            }
        }
    }
}

impl std::fmt::Display for SuperLossThreshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SuperLossThreshold::Exp => f.write_str("exp"),
            SuperLossThreshold::Fixed(tau) => write!(f, "{tau}"),
        }
    }
}

/// SuperLoss (Castells et al., NeurIPS 2020), FE's curriculum loss: it wraps a [`LossOp`], takes
/// its per-sample losses `l`, and writes
/// `(l - tau) · sigma + lambda · ln(sigma)²` with the confidence
/// `sigma = exp(-W(0.5 · max(-2/e, (l - tau) / lambda)))`, `W` being the Lambert W function.
/// Samples with a loss above the threshold `tau` get a confidence below 1 and so count less.
///
/// `sigma` is the minimizer of the expression, so it carries no gradient: the gradient with
/// respect to `l` is `sigma`, as the paper prescribes. The inputs, output key, modes and ds_ids
/// are those of the wrapped loss, which is switched to per-sample values. `regularization`
/// (`lambda`, default 1.0) must be positive. With `output_confidence(key)` the per-sample
/// `sigma` is written to `key` too.
///
/// ```
/// use fastestimator::op::tensor::{CrossEntropy, NetState, SuperLoss, TensorOp};
/// use fastestimator::util::Mode;
/// use tch::Tensor;
/// let ce = CrossEntropy::new(["y_pred", "y"], "ce");
/// let mut op = SuperLoss::new(ce).unwrap().threshold(1.0).output_confidence("confidence");
/// let pred = Tensor::from_slice(&[0.9f32, 0.1, 0.2, 0.8]).reshape([2, 2]);
/// let y = Tensor::from_slice(&[0i64, 0]);
/// let out = op.forward(vec![pred, y], &mut NetState::new(Mode::Train, 1)).unwrap();
/// let confidence = Vec::<f32>::try_from(&out[1]).unwrap();
/// assert!(confidence[0] > 1.0 && confidence[1] < 1.0); // the wrong prediction counts less
/// ```
pub struct SuperLoss {
    io: OpIo,
    loss: Box<dyn LossOp>,
    threshold: SuperLossThreshold,
    regularization: f64,
    average_loss: bool,
    tau: HashMap<Mode, Tensor>,
    initialized: HashSet<Mode>,
}

impl HasIo for SuperLoss {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl SuperLoss {
    /// Wrap `loss`, which must write exactly one output. Defaults: threshold
    /// [`SuperLossThreshold::Exp`], regularization 1.0, averaged output, no confidence output.
    pub fn new(loss: impl LossOp + 'static) -> Result<Self> {
        let mut loss: Box<dyn LossOp> = Box::new(loss);
        if loss.io().outputs.len() != 1 {
            return Err(FeError::param(
                "SuperLoss",
                "loss",
                format!(
                    "{} writes {} outputs; SuperLoss needs a loss with exactly one",
                    loss.name(),
                    loss.io().outputs.len()
                ),
            ));
        }
        loss.set_average_loss(false);
        let io = loss.io().clone();
        Ok(SuperLoss {
            io,
            loss,
            threshold: SuperLossThreshold::Exp,
            regularization: 1.0,
            average_loss: true,
            tau: HashMap::new(),
            initialized: HashSet::new(),
        })
    }

    /// The threshold: [`SuperLossThreshold::Exp`] (default) or a fixed value (`1.0.into()`, or
    /// just `1.0`).
    pub fn threshold(mut self, threshold: impl Into<SuperLossThreshold>) -> Self {
        self.threshold = threshold.into();
        self
    }

    /// `lambda`, the weight of the `ln(sigma)²` term (default 1.0; must be positive). As it
    /// grows, SuperLoss approaches the wrapped loss minus `tau`.
    pub fn regularization(mut self, lambda: f64) -> Self {
        self.regularization = lambda;
        self
    }

    /// Return the mean (true, default) or per-sample losses (false).
    pub fn average_loss(mut self, average: bool) -> Self {
        self.average_loss = average;
        self
    }

    /// Also write each sample's confidence `sigma` under `key`.
    pub fn output_confidence(mut self, key: &str) -> Self {
        self.io.outputs.truncate(1);
        self.io.outputs.push(key.to_string());
        self
    }

    fn check_parameters(&self) -> Result<()> {
        if !(self.regularization.is_finite() && self.regularization > 0.0) {
            return Err(FeError::param(
                "SuperLoss",
                "regularization",
                format!("must be a finite number greater than 0, got {}", self.regularization),
            ));
        }
        if let SuperLossThreshold::Fixed(tau) = self.threshold {
            if !tau.is_finite() {
                return Err(FeError::param("SuperLoss", "threshold", format!("must be finite, got {tau}")));
            }
        }
        Ok(())
    }

    /// The threshold for this step, updating the running average of `mode` (FE's
    /// `_accumulate_tau`; the warmup step sets it without marking the mode as started).
    fn tau(&mut self, loss: &Tensor, mode: Mode, warmup: bool) -> Tensor {
        match self.threshold {
            SuperLossThreshold::Fixed(tau) => Tensor::from(tau).to_kind(loss.kind()).to_device(loss.device()),
            SuperLossThreshold::Exp => {
                let mean = loss.detach().mean(loss.kind());
                let tau = match self.tau.get(&mode) {
                    Some(tau) if self.initialized.contains(&mode) => {
                        let tau = tau.to_device(mean.device());
                        &tau - (&tau - &mean) * 0.1
                    }
                    _ => {
                        if !warmup {
                            self.initialized.insert(mode);
                        }
                        mean
                    }
                };
                self.tau.insert(mode, tau.shallow_clone());
                tau
            }
        }
    }
}

impl TensorOp for SuperLoss {
    fn name(&self) -> String {
        format!("SuperLoss({})", self.loss.name())
    }

    fn forward(&mut self, data: Vec<Tensor>, state: &mut NetState) -> Result<Vec<Tensor>> {
        self.check_parameters()?;
        let base = self.loss.forward(data, state)?.into_iter().next().ok_or_else(|| FeError::LengthMismatch {
            context: self.name(),
            what: "values from the wrapped loss".into(),
            expected: 1,
            got: 0,
        })?;
        let base = if base.kind() == Kind::Double { base } else { base.to_kind(Kind::Float) };
        let tau = self.tau(&base, state.mode, state.warmup);
        let lambda = self.regularization;
        let excess = &base - &tau;
        let beta = excess.detach() / lambda;
        let ln_sigma = lambertw(&(beta.clamp_min(CAP) * 0.5)).neg();
        let sigma = ln_sigma.exp();
        let loss = &excess * &sigma + ln_sigma.square() * lambda;
        let mut out = vec![average_if(loss, self.average_loss)];
        if self.io.outputs.len() == 2 {
            out.push(sigma);
        }
        Ok(out)
    }

    fn models(&self) -> Vec<Model> {
        self.loss.models()
    }
}

impl LossOp for SuperLoss {
    fn average_loss_enabled(&self) -> bool {
        self.average_loss
    }

    fn set_average_loss(&mut self, average: bool) {
        self.average_loss = average;
    }
}

#[cfg(test)]
mod tests {
    use super::super::loss_op::test_util::*;
    use super::*;
    use crate::op::tensor::loss::{L1Loss, MeanSquaredError};
    use crate::op::Configure;

    /// Per-sample squared errors `[0, 1, 4, 0.25]` (one element per sample).
    fn data() -> Vec<Tensor> {
        let p = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 1.5]).reshape([4, 1]);
        let y = Tensor::from_slice(&[1.0f32, 1.0, 1.0, 1.0]).reshape([4, 1]);
        vec![p, y]
    }
    const LOSSES: [f64; 4] = [0.0, 1.0, 4.0, 0.25];

    fn objective(l: f64, tau: f64, lambda: f64, sigma: f64) -> f64 {
        (l - tau) * sigma + lambda * sigma.ln().powi(2)
    }

    #[test]
    fn confidence_minimizes_the_objective() {
        let (tau, lambda) = (1.0, 2.0);
        let mut op = SuperLoss::new(MeanSquaredError::new(["p", "y"], "mse"))
            .unwrap()
            .threshold(tau)
            .regularization(lambda)
            .average_loss(false)
            .output_confidence("conf");
        assert_eq!(op.io().outputs, vec!["mse".to_string(), "conf".to_string()]);
        let out = op.forward(data(), &mut train_state()).unwrap();
        let (loss, conf) = (values(&out[0]), values(&out[1]));
        assert_eq!(out[0].size(), vec![4]);
        for i in 0..4 {
            let l = LOSSES[i];
            let best = objective(l, tau, lambda, conf[i]);
            assert!((loss[i] - best).abs() < 1e-5, "{loss:?}");
            // Stationary point: d/dsigma = (l - tau) + 2 lambda ln(sigma) / sigma = 0.
            let slope = (l - tau) + 2.0 * lambda * conf[i].ln() / conf[i];
            assert!(slope.abs() < 1e-4, "sample {i}: slope {slope}");
            for s in [0.5, 0.9, 0.99, 1.01, 1.1, 2.0] {
                assert!(best <= objective(l, tau, lambda, conf[i] * s) + 1e-7);
            }
        }
        // At the threshold, full confidence and zero loss.
        assert!((conf[1] - 1.0).abs() < 1e-6 && loss[1].abs() < 1e-6);
        assert!(conf[0] > 1.0 && conf[2] < 1.0);
    }

    #[test]
    fn cap_bounds_the_confidence_of_easy_samples() {
        // (0 - 10) / 1 is far below -2/e: sigma = exp(-W(-1/e)) = e.
        let mut op =
            SuperLoss::new(MeanSquaredError::new(["p", "y"], "mse")).unwrap().threshold(10.0).output_confidence("conf");
        let out = op.forward(data(), &mut train_state()).unwrap();
        let conf = values(&out[1]);
        assert!((conf[0] - std::f64::consts::E).abs() < 2e-3, "{conf:?}");
        assert!(conf.iter().all(|c| c.is_finite()));
    }

    #[test]
    fn exp_threshold_is_a_running_average_per_mode() {
        let mut op = SuperLoss::new(MeanSquaredError::new(["p", "y"], "mse"))
            .unwrap()
            .average_loss(false)
            .output_confidence("conf");
        let mean = LOSSES.iter().sum::<f64>() / 4.0; // 1.3125
        let tau_of = |conf: &[f64]| {
            // Recover tau from sample 1 (loss 1): conf = exp(-W(x)) with x = 0.5 (1 - tau).
            // W(x) = -ln(conf) and x = W e^W, so tau = 1 - 2x.
            let w = -conf[1].ln();
            1.0 - 2.0 * w * w.exp()
        };
        let mut warm = train_state();
        warm.warmup = true;
        // Warmup sets tau but does not start the average.
        let out = op.forward(data(), &mut warm).unwrap();
        assert!((tau_of(&values(&out[1])) - mean).abs() < 1e-5);
        let out = op.forward(data(), &mut train_state()).unwrap();
        assert!((tau_of(&values(&out[1])) - mean).abs() < 1e-5);
        // Next train step with losses [0, 1, 0, 0] (mean 0.25): tau moves 10% toward 0.25.
        let p = Tensor::from_slice(&[1.0f32, 2.0, 1.0, 1.0]).reshape([4, 1]);
        let out = op.forward(vec![p, data()[1].shallow_clone()], &mut train_state()).unwrap();
        let conf = values(&out[1]);
        let want = mean - 0.1 * (mean - 0.25);
        assert!((tau_of(&conf) - want).abs() < 1e-5, "{conf:?}");
        // Eval keeps its own average, started from its own first batch.
        let mut eval = NetState::new(Mode::Eval, 1);
        let out = op.forward(data(), &mut eval).unwrap();
        assert!((tau_of(&values(&out[1])) - mean).abs() < 1e-5);
    }

    #[test]
    fn gradient_is_confidence_times_loss_gradient() {
        let p = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 1.5]).reshape([4, 1]).set_requires_grad(true);
        let y = Tensor::ones([4, 1], tch::kind::FLOAT_CPU);
        let mut op = SuperLoss::new(MeanSquaredError::new(["p", "y"], "mse"))
            .unwrap()
            .threshold(1.0)
            .average_loss(false)
            .output_confidence("conf");
        let out = op.forward(vec![p.shallow_clone(), y], &mut train_state()).unwrap();
        out[0].sum(Kind::Float).backward();
        let grad = values(&p.grad());
        let conf = values(&out[1]);
        let diffs = [0.0, 1.0, 2.0, 0.5];
        for i in 0..4 {
            assert!((grad[i] - conf[i] * 2.0 * diffs[i]).abs() < 1e-5, "{grad:?}");
        }
    }

    #[test]
    fn keeps_the_wrapped_keys_and_mode_and_checks_parameters() {
        let inner = L1Loss::new(["p", "y"], "l1").mode("eval");
        let mut op = SuperLoss::new(inner).unwrap();
        assert_eq!(op.io().inputs, vec!["p".to_string(), "y".to_string()]);
        assert!(op.io().applies(Mode::Eval, ""));
        assert!(!op.io().applies(Mode::Train, ""));
        assert_eq!(op.name(), "SuperLoss(L1_Loss)");
        let out = op.forward(data(), &mut train_state()).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].dim(), 0);
        let mut bad = SuperLoss::new(L1Loss::new(["p", "y"], "l1")).unwrap().regularization(0.0);
        assert!(matches!(bad.forward(data(), &mut train_state()), Err(FeError::InvalidParameter { .. })));
        let two_outputs = L1Loss::new(["p", "y"], ["a", "b"]);
        assert!(SuperLoss::new(two_outputs).is_err());
    }
}
