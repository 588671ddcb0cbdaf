//! FE's architectures against FE's PyTorch modules (written out in
//! `tests/data/architectures/fe_models.py`): the same parameter count, and weights that move
//! both ways (PyTorch's `load_state_dict(strict=True)` takes ours) with the same outputs.

use std::path::Path;
use std::process::Command;

use fastestimator as fe;
use fe::architecture::{AttentionUNet, LanguageModel, ResNet9, ReviewSentiment, UNet, WideResidualNetwork};
use tch::{Kind, Tensor};

/// Run the fixture script with the venv's torch and parse the JSON it prints.
fn fe_models(action: &str, model: &str, dir: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/architectures/fe_models.py");
    let python = std::env::var("FE_PYTHON").unwrap_or_else(|_| "python".into());
    let out = Command::new(python).arg(script).args([action, model]).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

/// A batch of 4 random images of `shape = [C, H, W]`.
fn images(shape: [i64; 3]) -> impl Fn() -> Tensor {
    let [c, h, w] = shape;
    move || Tensor::rand([4, c, h, w], (Kind::Float, tch::Device::Cpu))
}

/// A batch of random token ids below `vocab`, of `shape`.
fn tokens(vocab: i64, shape: [i64; 2]) -> impl Fn() -> Tensor {
    move || Tensor::randint(vocab, shape, (Kind::Int64, tch::Device::Cpu))
}

/// The round trip for the fixture's model `name`, which `build` makes here, on inputs that
/// `input` makes (as the fixture's do): PyTorch's weights load here and give PyTorch's outputs, ours load into
/// PyTorch (`strict=True`) and give ours; the parameter counts of that model and of FE's default
/// one (`build_default`) are PyTorch's. Returns the model trained and saved here.
fn weights_move_both_ways(
    name: &str,
    input: impl Fn() -> Tensor,
    build: impl Fn() -> fe::Model,
    build_default: impl Fn() -> fe::Model,
) -> fe::Model {
    let dir = tempfile::tempdir().unwrap();
    let exported = fe_models("export", name, dir.path());
    assert_eq!(build_default().num_parameters(), exported["default_parameters"].as_i64().unwrap());

    // PyTorch → here: every name, shape and dtype matches (the load is all-or-nothing), and the
    // outputs agree.
    let model = build();
    assert_eq!(model.num_parameters(), exported["parameters"].as_i64().unwrap());
    fe::backend::load_model(&model, &dir.path().join("torch_weights.safetensors"), false).unwrap();
    let io: std::collections::HashMap<String, Tensor> =
        Tensor::read_safetensors(dir.path().join("torch_io.safetensors")).unwrap().into_iter().collect();
    let y = model.forward("x", &io["x"], false).unwrap();
    assert_eq!(y.size(), io["y"].size());
    assert!(max_abs_diff(&y, &io["y"]) < 1e-5, "{name}: outputs differ by {}", max_abs_diff(&y, &io["y"]));

    // Here → PyTorch: a model whose BatchNorm statistics (if any) moved in training.
    let model = build();
    for _ in 0..2 {
        let _ = model.forward("x", &input(), true).unwrap();
    }
    fe::backend::save_model(&model, dir.path(), Some("rust_weights"), false).unwrap();
    let x = input();
    let y = model.forward("x", &x, false).unwrap();
    Tensor::write_safetensors(&[("x", &x), ("y", &y)], dir.path().join("rust_io.safetensors")).unwrap();
    // The fixture loads them with `load_state_dict(strict=True)`.
    let checked = fe_models("check", name, dir.path());
    assert!(checked["max_abs_diff"].as_f64().unwrap() < 1e-5, "{name}: {checked}");
    model
}

/// The shapes of the named intermediate layers of one forward pass on `[2, C, H, W]`.
fn layer_shapes(model: &fe::Model, shape: [i64; 3], layers: &[&str]) -> Vec<Vec<i64>> {
    let [c, h, w] = shape;
    let x = Tensor::rand([2, c, h, w], (Kind::Float, tch::Device::Cpu));
    let layers: Vec<String> = layers.iter().map(|l| l.to_string()).collect();
    let (_, kept) = model.forward_layers(&["x".to_string()], &[x], false, &layers).unwrap();
    kept.iter().map(Tensor::size).collect()
}

#[test]
fn resnet9_weights_move_both_ways_with_pytorch() {
    let build = || fe::build(|p| ResNet9::new(p, [3, 32, 32], 10), "adam").unwrap();
    let _ = weights_move_both_ways("resnet9", images([3, 32, 32]), build, build);
}

#[test]
fn resnet9_refuses_images_smaller_than_16() {
    let err = fe::build(|p| ResNet9::new(p, [3, 8, 32], 10), "adam").err().unwrap();
    assert!(matches!(err, fe::FeError::Model { .. }), "{err}");
    assert!(err.to_string().contains("at least 16"), "{err}");
}

/// `fe::build` turns a model's panic into `FeError::Model`; its message is the check's.
fn build_error<M: fe::model::FeModel + 'static>(model_fn: impl FnOnce(&tch::nn::Path) -> M) -> String {
    let err = fe::build(model_fn, "adam").err().unwrap();
    assert!(matches!(err, fe::FeError::Model { .. }), "{err}");
    err.to_string()
}

#[test]
fn unet_weights_move_both_ways_with_pytorch() {
    // Two input channels and three outputs, so both ends of the network are checked.
    let build = || fe::build(|p| UNet::new(p, [2, 32, 32], 3), "adam").unwrap();
    let build_default = || fe::build(|p| UNet::new(p, [1, 128, 128], 1), "adam").unwrap();
    let model = weights_move_both_ways("unet", images([2, 32, 32]), build, build_default);
    let shapes = layer_shapes(&model, [2, 32, 32], &["enc1", "enc4", "bottle_neck", "dec2"]);
    assert_eq!(shapes, [vec![2, 64, 32, 32], vec![2, 512, 4, 4], vec![2, 512, 4, 4], vec![2, 64, 32, 32]]);
}

#[test]
fn unet_refuses_sizes_that_are_not_multiples_of_16() {
    for shape in [[1, 24, 32], [1, 32, 8], [1, 0, 16]] {
        let err = build_error(|p| UNet::new(p, shape, 1));
        assert!(err.contains("multiples of 16"), "{err}");
    }
}

#[test]
fn attention_unet_weights_move_both_ways_with_pytorch() {
    let build = || fe::build(|p| AttentionUNet::new(p, [2, 32, 32]), "adam").unwrap();
    let build_default = || fe::build(|p| AttentionUNet::new(p, [1, 128, 128]), "adam").unwrap();
    let model = weights_move_both_ways("attention_unet", images([2, 32, 32]), build, build_default);
    let shapes = layer_shapes(&model, [2, 32, 32], &["attn4", "dec3", "attn1"]);
    assert_eq!(shapes, [vec![2, 512, 4, 4], vec![2, 128, 16, 16], vec![2, 64, 32, 32]]);
}

#[test]
fn attention_unet_refuses_sizes_that_are_not_multiples_of_16() {
    let err = build_error(|p| AttentionUNet::new(p, [1, 128, 120]));
    assert!(err.contains("multiples of 16"), "{err}");
}

#[test]
fn wideresnet_weights_move_both_ways_with_pytorch() {
    // WRN-16-2 (two units per group) with 7 classes; FE's default WRN-28-10 for the count.
    let build = || fe::build(|p| WideResidualNetwork::new(p, 16, 7, 2, 0.0), "sgd").unwrap();
    let build_default = || fe::build(|p| WideResidualNetwork::new(p, 28, 10, 10, 0.0), "sgd").unwrap();
    let model = weights_move_both_ways("wideresnet", images([3, 32, 32]), build, build_default);
    let shapes = layer_shapes(&model, [3, 32, 32], &["block1", "block3", "pool"]);
    assert_eq!(shapes, [vec![2, 32, 32, 32], vec![2, 128, 8, 8], vec![2, 128]]);
}

#[test]
fn wideresnet_dropout_acts_in_training_only() {
    let model = fe::build(|p| WideResidualNetwork::new(p, 10, 10, 1, 0.5), "sgd").unwrap();
    let x = Tensor::rand([2, 3, 16, 16], (Kind::Float, tch::Device::Cpu));
    let eval = |m: &fe::Model| m.forward("x", &x, false).unwrap();
    assert_eq!(max_abs_diff(&eval(&model), &eval(&model)), 0.0);
    tch::manual_seed(1);
    let a = model.forward("x", &x, true).unwrap();
    let b = model.forward("x", &x, true).unwrap();
    assert!(max_abs_diff(&a, &b) > 0.0, "two training passes drew the same dropout masks");
}

#[test]
fn wideresnet_refuses_depths_that_are_not_6n_plus_4() {
    for depth in [27, 4, -2] {
        let err = build_error(|p| WideResidualNetwork::new(p, depth, 10, 2, 0.0));
        assert!(err.contains("6n + 4"), "{err}");
    }
}

#[test]
fn review_sentiment_weights_move_both_ways_with_pytorch() {
    let build = || fe::build(|p| ReviewSentiment::new(p, 50, 40), "adam").unwrap();
    let build_default = || fe::build(|p| ReviewSentiment::new(p, 10000, 500), "adam").unwrap();
    let model = weights_move_both_ways("review_sentiment", tokens(50, [4, 40]), build, build_default);
    // A review's probability does not depend on the rest of its batch (FE's module's does).
    let x = tokens(50, [4, 40])();
    let batch = model.forward("x", &x, false).unwrap();
    let alone = model.forward("x", &x.narrow(0, 2, 1), false).unwrap();
    assert!(max_abs_diff(&batch.narrow(0, 2, 1), &alone) < 1e-6);
}

#[test]
fn review_sentiment_refuses_lengths_it_cannot_pool_and_inputs_of_another_length() {
    let err = build_error(|p| ReviewSentiment::new(p, 100, 42));
    assert!(err.contains("multiple of 4"), "{err}");
    let model = fe::build(|p| ReviewSentiment::new(p, 100, 40), "adam").unwrap();
    let err = model.forward("x", &tokens(100, [2, 36])(), false).unwrap_err().to_string();
    assert!(err.contains("[2, 36]") && err.contains("[batch, 40]"), "{err}");
}

#[test]
fn language_model_weights_move_both_ways_with_pytorch() {
    let build = || fe::build(|p| LanguageModel::new(p, 30, 8, 16), "adam").unwrap();
    let build_default = || fe::build(|p| LanguageModel::new(p, 10000, 300, 600), "adam").unwrap();
    // More sequences than words per sequence: the initial state must be per batch entry.
    let model = weights_move_both_ways("language_model", tokens(30, [5, 12]), build, build_default);
    // FE's Xavier-uniform LSTM weights: bound √(6 / (fan_in + fan_out)).
    let w = variable(&model, "lstm_layer.weight_hh_l0");
    assert_eq!(w.size(), [64, 16]);
    assert!(w.abs().max().double_value(&[]) <= (6.0 / 80.0f64).sqrt());
    // Dropout acts in training only.
    let x = tokens(30, [5, 12])();
    let eval = |m: &fe::Model| m.forward("x", &x, false).unwrap();
    assert_eq!(max_abs_diff(&eval(&model), &eval(&model)), 0.0);
    assert!(max_abs_diff(&model.forward("x", &x, true).unwrap(), &eval(&model)) > 0.0);
}

/// One trainable variable of `model` by its state-dict name.
fn variable(model: &fe::Model, name: &str) -> Tensor {
    let vars = model.named_trainable_variables();
    vars.into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no variable {name}")).1
}

fn std(t: &Tensor) -> f64 {
    t.std(true).double_value(&[])
}

#[test]
fn architectures_start_as_fe_initialises_them() {
    let is_const = |t: &Tensor, v: f64| max_abs_diff(t, &t.full_like(v)) == 0.0;
    // UNets: He-normal convolutions (std √(2 / fan_in)) with zero biases; the attention gates
    // PyTorch's defaults (U(±1/√fan_in)); BatchNorm weight 1, bias 0.
    let unet = fe::build(|p| AttentionUNet::new(p, [1, 16, 16]), "adam").unwrap();
    let w = variable(&unet, "bottle_neck.layers.2.weight");
    let expected = (2.0 / (1024.0 * 9.0f64)).sqrt();
    assert!((std(&w) / expected - 1.0).abs() < 0.01, "{} vs {expected}", std(&w));
    assert!(is_const(&variable(&unet, "dec1.4.bias"), 0.0));
    let gate = variable(&unet, "attn4.dec_layers.0.weight");
    assert!(gate.abs().max().double_value(&[]) <= 1.0 / 512f64.sqrt());
    assert!(!is_const(&variable(&unet, "attn4.dec_layers.0.bias"), 0.0));
    assert!(is_const(&variable(&unet, "attn4.dec_layers.1.weight"), 1.0));
    assert!(is_const(&variable(&unet, "attn4.dec_layers.1.bias"), 0.0));
    // WRN: He-normal over fan-out, BatchNorm 1 and 0, a zero linear bias.
    let wrn = fe::build(|p| WideResidualNetwork::new(p, 16, 10, 2, 0.0), "sgd").unwrap();
    let w = variable(&wrn, "block3.layer.0.conv1.weight");
    let expected = (2.0 / (128.0 * 9.0f64)).sqrt();
    assert!((std(&w) / expected - 1.0).abs() < 0.05, "{} vs {expected}", std(&w));
    assert!(is_const(&variable(&wrn, "block2.layer.1.bn1.weight"), 1.0));
    assert!(is_const(&variable(&wrn, "fc.bias"), 0.0));
    assert!(variable(&wrn, "fc.weight").abs().max().double_value(&[]) <= 1.0 / 128f64.sqrt());
    // ResNet9's BatchNorms, like PyTorch's, start at weight 1.
    let resnet = fe::build(|p| ResNet9::new(p, [3, 32, 32], 10), "adam").unwrap();
    assert!(is_const(&variable(&resnet, "conv0_bn.weight"), 1.0));
}
