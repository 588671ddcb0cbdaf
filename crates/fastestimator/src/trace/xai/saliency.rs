//! `Saliency`: gradient saliency maps of a few inputs each epoch (FE's
//! `fe.trace.xai.Saliency`).

use tch::{Kind, Tensor};

use super::heatmap::overlay;
use super::picture::Picture;
use super::samples::Samples;
use super::view::{impl_view_options, impl_view_trace, SampleView};
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::{impl_has_io, OpIo};
use crate::xai::SaliencyNet;

/// Draws a model's saliency maps for the first samples of each eval and test epoch (FE's
/// `Saliency(model, model_inputs, model_outputs, class_key=None, ...)`): vanilla gradients,
/// SmoothGrad over `smoothing` noisy copies (FE's default 25; 0 leaves it out) and integrated
/// gradients from a black baseline in `integrating` steps (FE's default 100; 0 leaves it out).
/// See [`SaliencyNet`] for each method.
///
/// The class explained is the one under `class_key` when given (a label key), else the model's
/// prediction. Each map is the absolute gradient, its largest channel per pixel. The picture
/// written under `outputs` (default `"saliency"`) has a row per sample: the input, then one
/// overlay per method. It also becomes one of the run's figures, and is saved to `save_dir`
/// when one is given. SmoothGrad's noise is seeded, so the pictures are reproducible.
///
/// ```
/// use fastestimator as fe;
/// use fe::trace::xai::Saliency;
/// let model = fe::build(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam")?;
/// let trace = Saliency::new(&model, "x", "y_pred").class_key("y").samples(6).smoothing(10);
/// # Ok::<(), fe::FeError>(())
/// ```
pub struct Saliency {
    io: OpIo,
    view: SampleView,
    model: Model,
    smoothing: usize,
    integrating: usize,
    seed: u64,
}
impl_has_io!(Saliency);
impl_view_options!(Saliency);
impl_view_trace!(Saliency, "Saliency");

impl Saliency {
    /// Saliency of `model`, whose input is under `model_inputs` and whose scores are under
    /// `model_outputs` (the prediction shown beside each row).
    pub fn new(model: &Model, model_inputs: &str, model_outputs: &str) -> Self {
        let mut view = SampleView::new(model_inputs, &[]);
        view.preds = Some(model_outputs.to_string());
        let io = OpIo::new(view.keys(), "saliency").with_default_mode("eval,test");
        Saliency { io, view, model: model.clone(), smoothing: 25, integrating: 100, seed: 0 }
    }

    /// Explain the class under this key (a label) instead of the model's prediction.
    pub fn class_key(mut self, key: &str) -> Self {
        self.view.labels = Some(key.to_string());
        self.view.sync(&mut self.io);
        self
    }

    /// How many samples to draw each epoch (FE's `samples`; default 5).
    pub fn samples(mut self, n: usize) -> Self {
        if n == 0 {
            self.io.reject("samples", "needs at least 1 sample");
        }
        self.view.samples = Samples::new(Some(n));
        self
    }

    /// SmoothGrad's number of noisy copies (0: no SmoothGrad column).
    pub fn smoothing(mut self, nsamples: usize) -> Self {
        self.smoothing = nsamples;
        self
    }

    /// Integrated gradients' number of steps (0: no integrated-gradients column).
    pub fn integrating(mut self, steps: usize) -> Self {
        self.integrating = steps;
        self
    }

    /// The seed of SmoothGrad's noise (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The classes to explain: the labels' class ids, when a class key was given.
    fn targets(&self) -> Result<Option<Vec<i64>>> {
        let Some(labels) = self.view.label_tensor() else { return Ok(None) };
        let ids = if labels.dim() > 1 && labels.size()[labels.dim() - 1] > 1 {
            labels.argmax(-1, false)
        } else {
            labels.reshape([-1]).to_kind(Kind::Int64)
        };
        Vec::<i64>::try_from(ids).map(Some).map_err(|e| FeError::torch("Saliency", e))
    }

    /// This epoch's picture, or `None` if it gave no samples.
    fn picture(&self) -> Result<Option<Picture>> {
        let (Some(rgb), Some(x)) = (self.view.rgb("Saliency")?, self.view.get(&self.view.images)) else {
            return Ok(None);
        };
        let x = x.to_device(self.model.device()).to_kind(Kind::Float);
        let net = SaliencyNet::new(&self.model, &self.view.images);
        let targets = self.targets()?;
        let targets = targets.as_deref();
        let mut columns = vec![rgb.shallow_clone(), overlay(&rgb, &mask_to_map(&net.get_masks(&x, targets)?))];
        let mut column_names = vec!["input".to_string(), "saliency".to_string()];
        if self.smoothing > 0 {
            let smooth = net.get_smoothed_masks(&x, targets, 0.15, self.smoothing, self.seed)?;
            columns.push(overlay(&rgb, &mask_to_map(&smooth)));
            column_names.push("SmoothGrad".into());
        }
        if self.integrating > 0 {
            let integrated = net.get_integrated_masks(&x, targets, self.integrating, None)?;
            columns.push(overlay(&rgb, &mask_to_map(&integrated)));
            column_names.push("integrated gradients".into());
        }
        Ok(Some(Picture {
            trace: "Saliency",
            key: self.io.outputs[0].clone(),
            columns,
            column_names,
            rows: self.view.rows(None),
        }))
    }
}

/// A saliency mask `[N, C, H, W]` (or `[N, H, W]`) as a map `[N, H, W]`: the largest absolute
/// gradient over channels.
fn mask_to_map(mask: &Tensor) -> Tensor {
    let abs = mask.abs();
    if abs.dim() == 4 {
        abs.amax([1i64].as_slice(), false)
    } else {
        abs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::System;
    use crate::trace::{Data, Trace};
    use crate::value::TensorMap;
    use tch::nn;

    #[test]
    fn every_method_lights_the_one_pixel_the_model_reads() {
        // Two classes; class 1's score is 3 × pixel (2, 5) of an 8x8 grey image.
        let model = crate::model::build(
            |p| {
                let mut fc = nn::linear(p / "fc", 64, 2, Default::default());
                tch::no_grad(|| {
                    let _ = fc.ws.zero_();
                    let _ = fc.ws.get(1).get(2 * 8 + 5).fill_(3.0);
                    let _ = fc.bs.as_mut().map(|b| b.zero_());
                });
                nn::seq_t().add_fn(|x| x.flatten(1, -1)).add(fc)
            },
            "adam",
        )
        .expect("model");
        let mut map = TensorMap::new();
        // A flat image (drawn as black, so the overlay shows the heat map alone).
        map.insert("x".into(), Tensor::ones([3, 1, 8, 8], (Kind::Float, tch::Device::Cpu)));
        map.insert("y".into(), Tensor::from_slice(&[1i64, 1, 1]));
        map.insert("y_pred".into(), Tensor::from_slice(&[0.0f32, 1.0, 0.0, 1.0, 0.0, 1.0]).reshape([3, 2]));
        let mut trace = Saliency::new(&model, "x", "y_pred").class_key("y").samples(2).smoothing(8).integrating(16);
        let mut system = System::standalone();
        trace.on_batch_end(&mut Data::new(map), &mut system).expect("batch");
        let mut end = Data::default();
        trace.on_epoch_end(&mut end, &mut system).expect("end");
        let picture = end.tensor("saliency").expect("picture");
        // 8 px cells scaled 16x to 128 px; 2 rows; input + 3 methods.
        assert_eq!(picture.size(), [3, 2 * 132 + 4, 4 * 132 + 4]);
        for column in 1..4 {
            let at = |row: i64, col: i64| -> [f64; 3] {
                let (y, x) = (4 + row * 16 + 8, 4 + column * 132 + col * 16 + 8);
                std::array::from_fn(|ch| picture.get(ch as i64).get(y).get(x).double_value(&[]))
            };
            let (hot, cold) = (at(2, 5), at(6, 1));
            assert!(hot[0] > hot[2] && cold[2] > cold[0], "column {column}: hot {hot:?}, cold {cold:?}");
        }
        assert!(system.figures[0].title.contains("input, saliency, SmoothGrad, integrated gradients"));
    }
}
