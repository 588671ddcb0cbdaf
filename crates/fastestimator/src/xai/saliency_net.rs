//! `SaliencyNet`: gradient saliency masks (FE's `fe.xai.SaliencyNet`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use tch::{Kind, Tensor};

use crate::backend::catch_torch;
use crate::error::{FeError, Result};
use crate::model::Model;

/// Saliency masks of a classifier: the gradient of the score of a class with respect to the
/// input, per sample, the same shape as the input.
///
/// The class is the model's own prediction (its arg-max) unless `targets` names one per sample.
/// The model must take one input, `[batch, ...]`, and give scores `[batch, classes]`.
///
/// ```
/// use fastestimator as fe;
/// use fe::xai::SaliencyNet;
/// let model = fe::build(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam")?;
/// let x = tch::Tensor::rand([2, 1, 28, 28], (tch::Kind::Float, tch::Device::Cpu));
/// let saliency = SaliencyNet::new(&model, "x");
/// let masks = saliency.get_masks(&x, None)?;
/// assert_eq!(masks.size(), [2, 1, 28, 28]);
/// let integrated = saliency.get_integrated_masks(&x, None, 50, None)?;
/// assert_eq!(integrated.size(), [2, 1, 28, 28]);
/// # Ok::<(), fe::FeError>(())
/// ```
#[derive(Clone)]
pub struct SaliencyNet {
    model: Model,
    input_key: String,
}

impl SaliencyNet {
    /// Masks for `model`, whose input is named `input_key` in errors.
    pub fn new(model: &Model, input_key: &str) -> SaliencyNet {
        SaliencyNet { model: model.clone(), input_key: input_key.to_string() }
    }

    /// The classes to explain: `targets` (checked against the class count) or the arg-max of
    /// the model's scores for `x`.
    fn classes(&self, x: &Tensor, targets: Option<&[i64]>) -> Result<Tensor> {
        if x.dim() < 2 || x.numel() == 0 {
            return Err(FeError::unexpected_shape(
                "SaliencyNet",
                &self.input_key,
                "a non-empty batch [batch, ...] (rank 2 or more)",
                &x.size(),
            ));
        }
        let scores = tch::no_grad(|| self.model.forward(&self.input_key, x, false))?;
        let (batch, classes) = self.score_shape(&scores)?;
        match targets {
            None => Ok(scores.argmax(1, false)),
            Some(t) => {
                if t.len() as i64 != batch {
                    return Err(FeError::param(
                        "SaliencyNet",
                        "targets",
                        format!("{} targets for a batch of {batch}", t.len()),
                    ));
                }
                if let Some(bad) = t.iter().find(|&&c| c < 0 || c >= classes) {
                    return Err(FeError::param(
                        "SaliencyNet",
                        "targets",
                        format!("class {bad} is outside the model's {classes} classes"),
                    ));
                }
                Ok(Tensor::from_slice(t).to_device(scores.device()))
            }
        }
    }

    fn score_shape(&self, scores: &Tensor) -> Result<(i64, i64)> {
        match scores.size()[..] {
            [batch, classes] => Ok((batch, classes)),
            ref other => Err(FeError::UnexpectedShape {
                op: "SaliencyNet".into(),
                key: format!("scores of model {}", self.model.name()),
                expected: "[batch, classes]".into(),
                got: other.to_vec(),
            }),
        }
    }

    /// The gradient of each sample's `classes` score at `x`.
    fn gradient(&self, x: &Tensor, classes: &Tensor) -> Result<Tensor> {
        let x = x.detach().to_kind(Kind::Float).set_requires_grad(true);
        let scores = self.model.forward(&self.input_key, &x, false)?;
        self.score_shape(&scores)?;
        let name = self.model.name();
        let grad = catch_torch(|| {
            let chosen = scores.gather(1, &classes.unsqueeze(1), false).sum(Kind::Float);
            Tensor::f_run_backward(&[chosen], &[&x], false, false)
        })
        .map_err(|reason| FeError::Model { model: name.clone(), reason })?
        .map_err(|e| FeError::Model { model: name, reason: e.to_string() })?;
        Ok(grad.into_iter().next().unwrap_or_else(|| x.zeros_like()))
    }

    /// Vanilla gradients (FE's `get_masks`): d score / d input.
    pub fn get_masks(&self, x: &Tensor, targets: Option<&[i64]>) -> Result<Tensor> {
        let classes = self.classes(x, targets)?;
        self.gradient(x, &classes)
    }

    /// SmoothGrad (FE's `get_smoothed_masks`): the mean gradient over `nsamples` noisy copies of
    /// each input, the noise N(0, σ²) with σ = `stdev_spread` × the sample's value range (FE:
    /// 0.15 and 25). The noise comes from `seed`, so the masks are reproducible.
    pub fn get_smoothed_masks(
        &self,
        x: &Tensor,
        targets: Option<&[i64]>,
        stdev_spread: f64,
        nsamples: usize,
        seed: u64,
    ) -> Result<Tensor> {
        if nsamples == 0 || stdev_spread.is_nan() || stdev_spread < 0.0 {
            return Err(FeError::param(
                "SaliencyNet",
                "nsamples/stdev_spread",
                "needs nsamples >= 1 and stdev_spread >= 0",
            ));
        }
        let classes = self.classes(x, targets)?;
        let x = x.to_kind(Kind::Float);
        let flat = x.flatten(1, -1);
        let range = flat.amax([1], true) - flat.amin([1], true);
        let mut shape = vec![x.size()[0]];
        shape.extend(std::iter::repeat_n(1, x.dim() - 1));
        let sigma = (range * stdev_spread).reshape(&shape);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let normal = Normal::new(0.0f32, 1.0).map_err(|e| FeError::param("SaliencyNet", "noise", e.to_string()))?;
        let mut total = x.zeros_like();
        for _ in 0..nsamples {
            let noise: Vec<f32> = (0..x.numel()).map(|_| normal.sample(&mut rng)).collect();
            let noise = Tensor::from_slice(&noise).reshape(x.size()).to_device(x.device());
            total += self.gradient(&(&x + noise * &sigma), &classes)?;
        }
        Ok(total / nsamples as f64)
    }

    /// Integrated gradients (FE's `get_integrated_masks`): (x − baseline) times the mean
    /// gradient along the straight path from `baseline` (default: zeros) to `x`, by the
    /// trapezoidal rule over `steps` intervals. The attributions of a sample sum to its score
    /// at `x` minus its score at the baseline (completeness), closer as `steps` grows.
    pub fn get_integrated_masks(
        &self,
        x: &Tensor,
        targets: Option<&[i64]>,
        steps: usize,
        baseline: Option<&Tensor>,
    ) -> Result<Tensor> {
        if steps == 0 {
            return Err(FeError::param("SaliencyNet", "steps", "needs at least 1"));
        }
        let classes = self.classes(x, targets)?;
        let x = x.to_kind(Kind::Float);
        let baseline = match baseline {
            Some(b) if b.size() != x.size() => {
                return Err(FeError::ShapeMismatch {
                    op: "SaliencyNet".into(),
                    left_key: "baseline".into(),
                    left_shape: b.size(),
                    right_key: self.input_key.clone(),
                    right_shape: x.size(),
                })
            }
            Some(b) => b.to_kind(Kind::Float).to_device(x.device()),
            None => x.zeros_like(),
        };
        let delta = &x - &baseline;
        let mut total = x.zeros_like();
        for k in 0..=steps {
            let alpha = k as f64 / steps as f64;
            let weight = if k == 0 || k == steps { 0.5 } else { 1.0 };
            total += self.gradient(&(&baseline + &delta * alpha), &classes)? * weight;
        }
        Ok(delta * total / steps as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn;

    /// Scores of a 2-class model that sees only pixel (3, 5) of an 8×8 image: class 1's score
    /// is 4·p², class 0's is −p.
    #[derive(Debug)]
    struct OnePixel;
    impl nn::ModuleT for OnePixel {
        fn forward_t(&self, xs: &Tensor, _train: bool) -> Tensor {
            let p = xs.select(1, 3).select(1, 5).unsqueeze(1);
            Tensor::cat(&[-&p, p.square() * 4.0], 1)
        }
    }
    impl crate::model::FeModel for OnePixel {}

    fn one_pixel() -> Model {
        crate::build(|_p| OnePixel, "sgd").unwrap()
    }

    fn images() -> Tensor {
        Tensor::rand([3, 8, 8], (Kind::Float, tch::Device::Cpu)) * 0.5 + 0.5
    }

    fn argmax_pixel(mask: &Tensor) -> (i64, i64) {
        let i = mask.abs().flatten(0, -1).argmax(0, false).int64_value(&[]);
        (i / 8, i % 8)
    }

    #[test]
    fn every_mask_is_largest_at_the_one_pixel_the_model_reads() {
        let net = SaliencyNet::new(&one_pixel(), "x");
        let x = images();
        let masks = [
            net.get_masks(&x, None).unwrap(),
            net.get_smoothed_masks(&x, None, 0.15, 8, 7).unwrap(),
            net.get_integrated_masks(&x, None, 20, None).unwrap(),
        ];
        for mask in masks {
            assert_eq!(mask.size(), [3, 8, 8]);
            for i in 0..3 {
                assert_eq!(argmax_pixel(&mask.get(i)), (3, 5));
                // Nothing else moves the score.
                assert_eq!(
                    mask.get(i).abs().sum(Kind::Float).double_value(&[]),
                    mask.get(i).get(3).get(5).abs().double_value(&[])
                );
            }
        }
        // Vanilla gradient of 4p² is 8p (pixels ≥ 0.5, so class 1 wins).
        let p = x.get(0).get(3).get(5).double_value(&[]);
        assert!((masks_first(&net, &x) - 8.0 * p).abs() < 1e-5);
    }

    fn masks_first(net: &SaliencyNet, x: &Tensor) -> f64 {
        net.get_masks(x, None).unwrap().get(0).get(3).get(5).double_value(&[])
    }

    #[test]
    fn integrated_gradients_are_complete() {
        // A small conv net: attributions sum to f(x) − f(baseline) within 1 %.
        let model = crate::build(|p| crate::architecture::LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
        let net = SaliencyNet::new(&model, "x");
        let x = Tensor::rand([2, 1, 28, 28], (Kind::Float, tch::Device::Cpu));
        let targets = [3, 7];
        let attributions = net.get_integrated_masks(&x, Some(&targets), 300, None).unwrap();
        let scores = |t: &Tensor| tch::no_grad(|| model.forward("x", t, false).unwrap());
        let (at_x, at_zero) = (scores(&x), scores(&x.zeros_like()));
        for (i, &c) in targets.iter().enumerate() {
            let expected = at_x.double_value(&[i as i64, c]) - at_zero.double_value(&[i as i64, c]);
            let total = attributions.get(i as i64).sum(Kind::Float).double_value(&[]);
            assert!((total - expected).abs() <= 0.01 * expected.abs().max(1e-4), "{total} vs {expected}");
        }
    }

    #[test]
    fn bad_targets_and_baselines_are_errors_that_say_so() {
        let net = SaliencyNet::new(&one_pixel(), "x");
        let x = images();
        let err = net.get_masks(&x, Some(&[0, 1, 2])).unwrap_err().to_string();
        assert!(err.contains("class 2 is outside the model's 2 classes"), "{err}");
        let err = net.get_masks(&x, Some(&[0])).unwrap_err().to_string();
        assert!(err.contains("1 targets for a batch of 3"), "{err}");
        let err = net
            .get_integrated_masks(&x, None, 10, Some(&Tensor::zeros([3, 4, 4], (Kind::Float, tch::Device::Cpu))))
            .unwrap_err();
        assert!(matches!(err, FeError::ShapeMismatch { ref left_key, .. } if left_key == "baseline"), "{err}");
        assert!(err.to_string().contains("[3, 4, 4]"), "{err}");
        assert!(net.get_smoothed_masks(&x, None, 0.1, 0, 1).is_err());
        let scalar = Tensor::from(1.0f32);
        let err = net.get_smoothed_masks(&scalar, None, 0.1, 2, 1).unwrap_err();
        assert!(matches!(err, FeError::UnexpectedShape { ref got, .. } if got.is_empty()), "{err}");
        assert!(err.to_string().contains("non-empty batch"), "{err}");
    }

    #[test]
    fn smoothed_masks_are_reproducible_for_a_seed() {
        let model = crate::build(|p| crate::architecture::LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
        let net = SaliencyNet::new(&model, "x");
        let x = Tensor::rand([1, 1, 28, 28], (Kind::Float, tch::Device::Cpu));
        let a = net.get_smoothed_masks(&x, None, 0.15, 4, 11).unwrap();
        let b = net.get_smoothed_masks(&x, None, 0.15, 4, 11).unwrap();
        assert_eq!((a - b).abs().max().double_value(&[]), 0.0);
    }
}
