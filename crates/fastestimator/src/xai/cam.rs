//! Class activation maps from a convolution layer: Grad-CAM and EigenCAM.
//!
//! Both take a layer's tensors `[batch, channels, height, width]` (what `ModelOp`'s
//! `intermediate_layers` and `GradientOp` give) and return one map per sample,
//! `[batch, height, width]`, at the layer's resolution; the traces in `fe::trace::xai` resize
//! them to the input and draw them over it.

use tch::{Kind, Tensor};

use crate::error::{FeError, Result};

fn check_layer(op: &str, key: &str, t: &Tensor) -> Result<()> {
    if t.dim() != 4 || t.numel() == 0 {
        return Err(FeError::unexpected_shape(
            op,
            key,
            "a non-empty convolution layer's tensor [batch, channels, height, width]",
            &t.size(),
        ));
    }
    Ok(())
}

/// Grad-CAM (Selvaraju et al. 2017): which places of a convolution layer raise the explained
/// score. `grads` are the score's gradients with respect to the layer's output.
///
/// - With the layer's `activations`: ReLU(Σ_c w_c · A_c), each channel weighted by its mean
///   gradient w_c (the paper's Grad-CAM).
/// - Without: ReLU of the gradients' mean over channels, as FE's `GradCAM` trace draws it.
///
/// ```
/// use fastestimator as fe;
/// let grads = tch::Tensor::ones([2, 4, 5, 5], (tch::Kind::Float, tch::Device::Cpu));
/// let acts = tch::Tensor::rand([2, 4, 5, 5], (tch::Kind::Float, tch::Device::Cpu));
/// assert_eq!(fe::xai::grad_cam(&grads, Some(&acts))?.size(), [2, 5, 5]);
/// # Ok::<(), fe::FeError>(())
/// ```
pub fn grad_cam(grads: &Tensor, activations: Option<&Tensor>) -> Result<Tensor> {
    check_layer("GradCAM", "grads", grads)?;
    let grads = grads.detach().to_kind(Kind::Float);
    let cam = match activations {
        None => grads.mean_dim(1i64, false, Kind::Float),
        Some(acts) => {
            check_layer("GradCAM", "activations", acts)?;
            if acts.size() != grads.size() {
                return Err(FeError::ShapeMismatch {
                    op: "GradCAM".into(),
                    left_key: "activations".into(),
                    left_shape: acts.size(),
                    right_key: "grads".into(),
                    right_shape: grads.size(),
                });
            }
            let weights = grads.mean_dim(&[2i64, 3][..], true, Kind::Float);
            (weights * acts.detach().to_kind(Kind::Float)).sum_dim_intlist(1, false, Kind::Float)
        }
    };
    Ok(cam.relu())
}

/// EigenCAM (Muhammad & Yeasin 2020): the first `n_components` principal components of a
/// convolution layer's activations, one map per component, `[batch, n_components, height,
/// width]`, each ReLU'd as FE's `EigenCAM` does.
///
/// Per sample, the activations are read as `height·width` points of `channels` features,
/// centred, and projected on the right singular vectors. A singular vector's sign is arbitrary;
/// it is chosen so that each component correlates positively with the activations' sum over
/// channels, so the map lights up where the layer responds rather than where it is quiet.
pub fn eigen_cam(activations: &Tensor, n_components: usize) -> Result<Tensor> {
    check_layer("EigenCAM", "activations", activations)?;
    let size = activations.size();
    let (channels, height, width) = (size[1], size[2], size[3]);
    let rank = channels.min(height * width) as usize;
    if n_components == 0 || n_components > rank {
        return Err(FeError::param(
            "EigenCAM",
            "n_components",
            format!("{n_components} asked; a layer of {channels} channels at {height}x{width} has 1 to {rank}"),
        ));
    }
    let k = n_components as i64;
    let acts = activations.detach().to_kind(Kind::Double);
    let mut maps = Vec::with_capacity(size[0] as usize);
    for i in 0..size[0] {
        let flat = acts.get(i).reshape([channels, height * width]).transpose(0, 1);
        let centred = &flat - flat.mean_dim(0i64, true, Kind::Double);
        let (_, _, v) = centred.f_svd(true, true).map_err(|e| FeError::torch("EigenCAM", e))?;
        let components = centred.matmul(&v.narrow(1, 0, k)); // [hw, k]
        let strength = flat.sum_dim_intlist(1, false, Kind::Double); // [hw]
        let strength = &strength - strength.mean(Kind::Double);
        let agreement = (&components * strength.unsqueeze(1)).sum_dim_intlist(0, false, Kind::Double);
        let sign = agreement.ge(0.0).to_kind(Kind::Double) * 2.0 - 1.0;
        maps.push((components * sign).transpose(0, 1).reshape([k, height, width]));
    }
    Ok(Tensor::stack(&maps, 0).relu().to_kind(Kind::Float))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::{self, Module, OptimizerConfig};
    use tch::Device;

    fn opts() -> (Kind, Device) {
        (Kind::Float, Device::Cpu)
    }

    /// A map's share of its positive mass inside rows/cols [lo, hi).
    fn share_inside(map: &Tensor, lo: i64, hi: i64) -> f64 {
        let inside = map.narrow(0, lo, hi - lo).narrow(1, lo, hi - lo).sum(Kind::Double).double_value(&[]);
        inside / map.sum(Kind::Double).double_value(&[]).max(1e-12)
    }

    /// Images of 2 channels, 12x12: channel 0 is noise everywhere; class 1 has a bright 4x4
    /// patch at rows/cols 2..6 of channel 1, class 0 has channel 1 dark there.
    fn data(n: i64, seed: i64) -> (Tensor, Tensor) {
        tch::manual_seed(seed);
        let x = Tensor::rand([n, 2, 12, 12], opts()) * 0.5;
        let y = Tensor::arange(n, (Kind::Int64, Device::Cpu)).remainder(2);
        let patch = y.to_kind(Kind::Float).reshape([n, 1, 1]) * 2.0;
        for i in 0..n {
            let mut region = x.get(i).get(1).narrow(0, 2, 4).narrow(1, 2, 4);
            let value = patch.get(i) + Tensor::rand([4, 4], opts()) * 0.1;
            region.copy_(&value);
        }
        (x, y)
    }

    #[test]
    fn grad_cam_of_a_trained_conv_model_covers_the_region_that_drives_the_class() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let p = vs.root();
        let features = nn::seq()
            .add(nn::conv2d(&p / "c1", 2, 8, 3, nn::ConvConfig { padding: 1, ..Default::default() }))
            .add_fn(|t| t.relu())
            .add(nn::conv2d(&p / "c2", 8, 8, 3, nn::ConvConfig { padding: 1, ..Default::default() }))
            .add_fn(|t| t.relu());
        let head = nn::linear(&p / "fc", 8, 2, Default::default());
        let mut opt = nn::Adam::default().build(&vs, 1e-2).expect("optimizer");
        let (x, y) = data(64, 1);
        for _ in 0..120 {
            let logits = features.forward(&x).mean_dim(&[2i64, 3][..], false, Kind::Float).apply(&head);
            opt.backward_step(&logits.cross_entropy_for_logits(&y));
        }
        let (x, y) = data(8, 2);
        let acts = features.forward(&x);
        let logits = acts.mean_dim(&[2i64, 3][..], false, Kind::Float).apply(&head);
        let accuracy = logits.argmax(1, false).eq_tensor(&y).to_kind(Kind::Float).mean(Kind::Float);
        assert!(accuracy.double_value(&[]) > 0.99, "the model learned the patch");
        let score = logits.select(1, 1).sum(Kind::Float);
        let grads = Tensor::run_backward(&[score], &[&acts], false, false).remove(0);
        let cam = grad_cam(&grads, Some(&acts)).expect("grad_cam");
        assert_eq!(cam.size(), [8, 12, 12]);
        for i in (1..8).step_by(2) {
            let map = cam.get(i);
            let share = share_inside(&map, 1, 7); // the patch plus the 3x3 convolutions' reach
            assert!(share > 0.8, "sample {i}: {share:.3} of the Grad-CAM lies on the patch");
            let peak = map.argmax(None, false).int64_value(&[]);
            let (row, col) = (peak / 12, peak % 12);
            assert!((1..7).contains(&row) && (1..7).contains(&col), "peak at ({row}, {col})");
        }
    }

    #[test]
    fn fe_grad_cam_without_activations_is_the_relu_of_the_mean_gradient() {
        let grads = Tensor::from_slice(&[1.0f32, -3.0, 2.0, 0.0, 3.0, 1.0, -2.0, 0.0]).reshape([1, 2, 2, 2]);
        let cam = grad_cam(&grads, None).expect("grad_cam");
        assert_eq!(Vec::<f32>::try_from(cam.reshape([-1])).expect("vec"), vec![2.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn eigen_cam_finds_the_place_where_the_layer_responds() {
        // 6 channels at 8x8: a shared pattern at rows/cols 5..8 in every channel, small noise.
        tch::manual_seed(3);
        let acts = Tensor::rand([2, 6, 8, 8], opts()) * 0.05;
        let _ = acts.narrow(2, 5, 3).narrow(3, 5, 3).g_add_scalar_(1.0);
        let maps = eigen_cam(&acts, 2).expect("eigen_cam");
        assert_eq!(maps.size(), [2, 2, 8, 8]);
        for i in 0..2 {
            let first = maps.get(i).get(0);
            assert!(share_inside(&first, 5, 8) > 0.95);
            assert!(first.min().double_value(&[]) >= 0.0, "ReLU'd");
        }
    }

    #[test]
    fn bad_shapes_and_component_counts_are_errors_that_say_so() {
        let flat = Tensor::zeros([2, 10], opts());
        assert!(
            matches!(grad_cam(&flat, None), Err(FeError::UnexpectedShape { ref key, ref got, .. }) if key == "grads" && got == &[2, 10])
        );
        let grads = Tensor::zeros([1, 2, 3, 3], opts());
        let acts = Tensor::zeros([1, 3, 3, 3], opts());
        assert!(matches!(
            grad_cam(&grads, Some(&acts)),
            Err(FeError::ShapeMismatch { ref left_key, ref left_shape, ref right_shape, .. })
                if left_key == "activations" && left_shape == &[1, 3, 3, 3] && right_shape == &[1, 2, 3, 3]
        ));
        let err = eigen_cam(&acts, 4).expect_err("3 channels give 3 components at most").to_string();
        assert!(err.contains("n_components") && err.contains("1 to 3"), "{err}");
        assert!(eigen_cam(&acts, 0).is_err());
    }
}
