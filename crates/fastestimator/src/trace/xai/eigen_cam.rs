//! `EigenCAM`: principal-component maps of a layer's activations over a few images each epoch
//! (FE's `fe.trace.xai.EigenCAM`).

use super::heatmap::overlay;
use super::picture::Picture;
use super::view::{impl_view_options, impl_view_trace, SampleView};
use crate::error::Result;
use crate::op::{impl_has_io, OpIo};
use crate::xai::eigen_cam;

/// Draws EigenCAM maps (the first `n_components` principal components of a convolution
/// layer's activations, see [`crate::xai::eigen_cam`]) over the first `n_samples` images of
/// each eval and test epoch (FE's `EigenCAM(images, activations, n_components=3, ...)`, mode
/// `"!train"`). A `ModelOp` with `intermediate_layers` exposes the activations.
///
/// The picture written under `outputs` (default `"eigencam"`) has a row per sample: the image,
/// then one overlay per component ("Component 0", ...). It also becomes one of the run's
/// figures, and is saved to `save_dir` when one is given.
///
/// ```
/// use fastestimator as fe;
/// use fe::trace::xai::EigenCAM;
/// let trace = EigenCAM::new("x", "features").n_components(2).labels("y");
/// ```
pub struct EigenCAM {
    io: OpIo,
    view: SampleView,
    n_components: usize,
}
impl_has_io!(EigenCAM);
impl_view_options!(EigenCAM, keys);
impl_view_trace!(EigenCAM, "EigenCAM");

impl EigenCAM {
    /// Principal-component maps of the activations under `activations`, drawn over `images`.
    pub fn new(images: &str, activations: &str) -> Self {
        let view = SampleView::new(images, &[activations]);
        let io = OpIo::new(view.keys(), "eigencam").with_default_mode("!train");
        EigenCAM { io, view, n_components: 3 }
    }

    /// How many principal components to draw (FE's default 3).
    pub fn n_components(mut self, n: usize) -> Self {
        if n == 0 {
            self.io.reject("n_components", "needs at least 1 component");
        }
        self.n_components = n;
        self
    }

    /// This epoch's picture, or `None` if it gave no samples.
    fn picture(&self) -> Result<Option<Picture>> {
        let (Some(rgb), Some(acts)) = (self.view.rgb("EigenCAM")?, self.view.get(&self.view.sources[0])) else {
            return Ok(None);
        };
        let maps = eigen_cam(&acts, self.n_components)?;
        let mut columns = vec![rgb.shallow_clone()];
        let mut column_names = vec!["image".to_string()];
        for i in 0..self.n_components {
            columns.push(overlay(&rgb, &maps.select(1, i as i64)));
            column_names.push(format!("Component {i}"));
        }
        Ok(Some(Picture {
            trace: "EigenCAM",
            key: self.io.outputs[0].clone(),
            columns,
            column_names,
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

    #[test]
    fn draws_one_column_per_component_and_rejects_too_many() {
        let opts = (Kind::Float, tch::Device::Cpu);
        let mut map = TensorMap::new();
        map.insert("x".into(), Tensor::rand([2, 1, 12, 12], opts));
        map.insert("acts".into(), Tensor::rand([2, 4, 6, 6], opts));
        let mut trace = EigenCAM::new("x", "acts").n_components(2);
        let mut system = System::standalone();
        let copy: TensorMap = map.iter().map(|(k, v)| (k.clone(), v.shallow_clone())).collect();
        trace.on_batch_end(&mut Data::new(copy), &mut system).expect("batch");
        let mut end = Data::default();
        trace.on_epoch_end(&mut end, &mut system).expect("end");
        // 12 px scaled to 132 px (11x) + gutters: 2 rows, image + 2 components.
        assert_eq!(end.tensor("eigencam").expect("picture").size(), [3, 2 * 136 + 4, 3 * 136 + 4]);
        assert!(system.figures[0].title.contains("image, Component 0, Component 1"), "{}", system.figures[0].title);

        let mut trace = EigenCAM::new("x", "acts").n_components(5);
        trace.on_batch_end(&mut Data::new(map), &mut system).expect("batch");
        let err = trace.on_epoch_end(&mut Data::default(), &mut system).expect_err("4 channels, 5 components");
        assert!(err.to_string().contains("n_components"), "{err}");
    }
}
