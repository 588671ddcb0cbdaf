//! `GradCAM`: Grad-CAM heat maps over a few images each epoch (FE's `fe.trace.xai.GradCAM`).

use super::heatmap::overlay;
use super::picture::Picture;
use super::view::{impl_view_options, impl_view_trace, SampleView};
use crate::error::Result;
use crate::op::{impl_has_io, OpIo};
use crate::xai::grad_cam;

/// Draws Grad-CAM heat maps over the first `n_samples` images of each eval and test epoch
/// (FE's `GradCAM(images, grads, ...)`, mode `"!train"`).
///
/// `grads` are the gradients of one class score with respect to a convolution layer's output:
/// a `ModelOp` with `intermediate_layers` exposes the layer, a `GradientOp` differentiates the
/// chosen score. With [`GradCAM::activations`] (the layer's output key) each channel is weighted
/// by its mean gradient, as the Grad-CAM paper does; without, the map is the ReLU of the
/// gradients' mean over channels, as FE draws it.
///
/// At each epoch end the trace writes one picture `[3, H, W]` under `outputs` (default
/// `"gradcam"`): a row per sample, the image beside its heat-map overlay, for an `ImageSaver` to
/// save; it also becomes one of the run's figures (shown by `Traceability`), and is saved to
/// `save_dir` when one is given.
///
/// ```
/// use fastestimator as fe;
/// use fe::trace::xai::GradCAM;
/// let trace = GradCAM::new("x", "grads").activations("features").labels("y").preds("y_pred").n_samples(Some(4));
/// ```
pub struct GradCAM {
    io: OpIo,
    view: SampleView,
    activations: Option<String>,
}
impl_has_io!(GradCAM);
impl_view_options!(GradCAM, keys);
impl_view_trace!(GradCAM, "GradCAM");

impl GradCAM {
    /// Heat maps of the gradients under `grads`, drawn over the images under `images`.
    pub fn new(images: &str, grads: &str) -> Self {
        let view = SampleView::new(images, &[grads]);
        let io = OpIo::new(view.keys(), "gradcam").with_default_mode("!train");
        GradCAM { io, view, activations: None }
    }

    /// Weight the layer's activations under `key` by the mean gradient of each channel (the
    /// paper's Grad-CAM) instead of drawing the gradients alone.
    pub fn activations(mut self, key: &str) -> Self {
        self.activations = Some(key.to_string());
        self.view.sources.truncate(1);
        self.view.sources.push(key.to_string());
        self.view.sync(&mut self.io);
        self
    }

    /// This epoch's picture, or `None` if it gave no samples.
    fn picture(&self) -> Result<Option<Picture>> {
        let Some(rgb) = self.view.rgb("GradCAM")? else { return Ok(None) };
        let grads = self.view.get(&self.view.sources[0]);
        let acts = self.activations.as_deref().and_then(|k| self.view.get(k));
        let Some(grads) = grads else { return Ok(None) };
        let maps = grad_cam(&grads, acts.as_ref())?;
        Ok(Some(Picture {
            trace: "GradCAM",
            key: self.io.outputs[0].clone(),
            columns: vec![rgb.shallow_clone(), overlay(&rgb, &maps)],
            column_names: vec!["image".into(), "Grad-CAM".into()],
            rows: self.view.rows(None),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::System;
    use crate::trace::{Data, Trace};
    use crate::value::TensorMap;
    use tch::{Kind, Tensor};

    fn batch(n: i64) -> Data {
        let opts = (Kind::Float, tch::Device::Cpu);
        let mut map = TensorMap::new();
        // A flat grey image, so the overlay shows the heat map alone.
        map.insert("x".into(), Tensor::full([n, 3, 8, 8], 0.5, opts));
        // The explained score's gradients are large at layer cells (0..2, 0..2) of 4x4.
        let grads = Tensor::zeros([n, 2, 4, 4], opts);
        let _ = grads.narrow(2, 0, 2).narrow(3, 0, 2).fill_(1.0);
        map.insert("grads".into(), grads);
        map.insert("y".into(), Tensor::from_slice(&[1i64, 0, 1, 0][..n as usize]));
        map.insert(
            "y_pred".into(),
            Tensor::from_slice(&[0.2f32, 0.8, 0.6, 0.4, 0.3, 0.7, 0.9, 0.1][..2 * n as usize]).reshape([n, 2]),
        );
        Data::new(map)
    }

    /// The RGB pixel at (row, col) of the grid cell (r, c); cells are 128 px (8 px scaled 16x).
    fn pixel(picture: &Tensor, r: i64, c: i64, row: i64, col: i64) -> [f64; 3] {
        let (y, x) = (4 + r * 132 + row * 16 + 8, 4 + c * 132 + col * 16 + 8);
        std::array::from_fn(|ch| picture.get(ch as i64).get(y).get(x).double_value(&[]))
    }

    #[test]
    fn draws_the_first_samples_with_the_map_hot_where_the_gradients_are() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut trace = GradCAM::new("x", "grads")
            .labels("y")
            .preds("y_pred")
            .label_mapping([("cat", 1)])
            .n_samples(Some(3))
            .save_dir(dir.path());
        assert_eq!(trace.io.inputs, ["x", "grads", "y", "y_pred"]);
        let mut system = System::standalone();
        system.mode = crate::util::Mode::Test;
        system.epoch_idx = 2;
        trace.on_epoch_begin(&mut Data::default(), &mut system).expect("begin");
        for _ in 0..2 {
            trace.on_batch_end(&mut batch(2), &mut system).expect("batch");
        }
        let mut end = Data::default();
        trace.on_epoch_end(&mut end, &mut system).expect("end");
        let picture = end.tensor("gradcam").expect("the picture is written under outputs");
        assert_eq!(picture.size(), [3, 3 * 132 + 4, 2 * 132 + 4], "3 rows (n_samples) of image + Grad-CAM");
        let [r, _, b] = pixel(picture, 0, 1, 1, 1);
        assert!(r > b, "the hot corner is red: {r} vs {b}");
        let [r, _, b] = pixel(picture, 0, 1, 6, 6);
        assert!(b > r, "the rest is blue: {r} vs {b}");
        let figure = &system.figures[0];
        assert!(
            figure.title.contains("label cat / pred cat, label 0 / pred 0, label cat / pred cat"),
            "{}",
            figure.title
        );
        let saved = image::open(dir.path().join("gradcam_test_epoch_2.png")).expect("saved PNG").to_rgb8();
        assert_eq!(saved.dimensions(), (2 * 132 + 4, 3 * 132 + 4));
    }

    #[test]
    fn grads_that_are_not_a_layer_are_an_error_naming_them() {
        let mut trace = GradCAM::new("x", "y");
        let mut system = System::standalone();
        trace.on_batch_end(&mut batch(2), &mut system).expect("collect");
        let err = trace.on_epoch_end(&mut Data::default(), &mut system).expect_err("labels are no layer");
        assert!(matches!(err, crate::FeError::UnexpectedShape { ref op, .. } if op == "GradCAM"), "{err}");
    }
}
