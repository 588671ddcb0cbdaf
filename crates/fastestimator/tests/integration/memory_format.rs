//! Channels-last weights on the CPU (`fe::model::MemoryFormat`): the default layout trains like
//! PyTorch's NCHW one, hands out NCHW outputs, and writes the same files.

use fastestimator as fe;
use fe::architecture::LeNet;
use fe::model::{BuildOptions, MemoryFormat};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use tch::{Kind, Tensor};

use crate::training::digits_pipeline;

/// LeNet with the given layout.
fn lenet(format: MemoryFormat) -> fe::Model {
    let options = BuildOptions { memory_format: format, ..Default::default() };
    fe::model::build_with(|p| LeNet::new(p, [1, 28, 28], 10), "adam", options).unwrap()
}

/// A channels-last LeNet and an NCHW one with the same weights, passed through a file.
fn twins(dir: &std::path::Path) -> (fe::Model, fe::Model) {
    let (auto, nchw) = (lenet(MemoryFormat::Auto), lenet(MemoryFormat::Contiguous));
    let file = dir.join("twin.safetensors");
    auto.save_weights(&file).unwrap();
    nchw.load_weights(&file).unwrap();
    (auto, nchw)
}

fn conv_weight(model: &fe::Model) -> Tensor {
    model.named_trainable_variables().into_iter().find(|(name, _)| name == "conv2.weight").unwrap().1
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

#[test]
fn the_default_cpu_layout_is_channels_last_and_files_and_outputs_are_nchw() {
    let dir = tempfile::tempdir().unwrap();
    let (auto, nchw) = twins(dir.path());
    // conv2.weight is [64, 32, 3, 3]: channels-last strides by default, PyTorch's otherwise.
    assert_eq!(conv_weight(&auto).stride(), [288, 1, 96, 32]);
    assert_eq!(conv_weight(&nchw).stride(), [288, 9, 3, 1]);
    for ((name, a), (_, b)) in auto.variables().iter().zip(nchw.variables()) {
        assert!(a.equal(&b), "{name}: a channels-last file loads exactly into an NCHW model");
        assert!(a.is_contiguous(), "{name}: Model::variables hands out NCHW copies");
    }

    let x = Tensor::rand([4, 1, 28, 28], (Kind::Float, tch::Device::Cpu));
    let (ya, yb) = (auto.forward("x", &x, false).unwrap(), nchw.forward("x", &x, false).unwrap());
    assert!(max_abs_diff(&ya, &yb) < 1e-5, "outputs differ by {}", max_abs_diff(&ya, &yb));

    // A file saved from the channels-last model holds exactly what the NCHW one saves, and loads
    // into either layout.
    let (fa, fb) = (dir.path().join("auto.safetensors"), dir.path().join("nchw.safetensors"));
    auto.save_weights(&fa).unwrap();
    nchw.save_weights(&fb).unwrap();
    let read = |p: &std::path::Path| {
        let mut t = Tensor::read_safetensors(p).unwrap();
        t.sort_by(|a, b| a.0.cmp(&b.0));
        t
    };
    for ((name, a), (_, b)) in read(&fa).iter().zip(read(&fb)) {
        assert!(a.equal(&b), "{name} is saved differently");
    }
    let other = lenet(MemoryFormat::Contiguous);
    other.load_weights(&fa).unwrap();
    auto.load_weights(&fb).unwrap();
    assert_eq!(conv_weight(&auto).stride(), [288, 1, 96, 32], "a load keeps the model's layout");
}

#[test]
fn both_layouts_train_to_the_same_losses() {
    let dir = tempfile::tempdir().unwrap();
    let (auto, nchw) = twins(dir.path());
    let losses = |model: fe::Model| {
        let network = fe::Network::new(vec![
            Box::new(ModelOp::new(&model, "x", "y_pred")),
            Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
            Box::new(UpdateOp::new(&model, "ce")),
        ])
        .unwrap();
        let mut est =
            fe::Estimator::builder(digits_pipeline(256, 0, 0, 32, Some(1)), network, 2).log_steps(1).build().unwrap();
        let summary = fe::output::with_sink(fe::output::silent, || est.fit()).unwrap();
        let ce: Vec<f64> = summary.get(fe::Mode::Train, "ce").unwrap().values().filter_map(|v| v.as_f64()).collect();
        (ce, conv_weight(&model).stride())
    };
    let ((channels_last, stride_a), (nchw, stride_b)) = (losses(auto), losses(nchw));
    assert_eq!(channels_last.len(), 16);
    assert_eq!(channels_last.len(), nchw.len());
    // Another summation order in the convolutions: the same training, to float32 rounding.
    // The same forward pass, and the same first update, to float32 rounding.
    assert!((channels_last[0] - nchw[0]).abs() < 1e-6, "{channels_last:?}\n{nchw:?}");
    assert!((channels_last[1] - nchw[1]).abs() < 1e-5, "{channels_last:?}\n{nchw:?}");
    // Then the same training: another summation order in the convolutions, which Adam's early
    // steps (close to lr·sign(gradient)) carry on, but no more.
    for (step, (a, b)) in channels_last.iter().zip(&nchw).enumerate() {
        assert!((a - b).abs() < 1e-2 * b.abs(), "step {}: {a} against {b}", step + 1);
    }
    assert!(channels_last[15] < channels_last[0] - 0.05 && nchw[15] < nchw[0] - 0.05, "both learn");
    // Gradients and Adam's state follow the parameter: the layout survives training.
    assert_eq!((stride_a, stride_b), (vec![288, 1, 96, 32], vec![288, 9, 3, 1]));
}
