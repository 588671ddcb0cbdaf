//! The network op library: deferred GAN updates, gradient ops, batch augmentation, meta ops.

use fastestimator as fe;
use fe::network::{OptimizerSpec, TensorMap};
use fe::op::tensor::{
    Argmax, Average, CutMixBatch, Delete, GradientOp, LambdaOp, MixUpBatch, ModelOp, NetState, OneOf, Permute, Repeat,
    Reshape, Sometimes, TensorOp, UpdateOp, Watch, FGSM,
};
use fe::op::{Configure, HasIo};
use fe::{FeError, Mode};
use tch::{nn, Kind, Tensor};

fn sgd(lr: f64) -> OptimizerSpec {
    OptimizerSpec::Sgd { lr, momentum: 0.0, nesterov: false, weight_decay: 0.0 }
}

fn linear(name: &str, i: i64, o: i64) -> fe::Model {
    fe::build_named(move |p| nn::linear(p / "fc", i, o, Default::default()), sgd(0.1), name).unwrap()
}

fn batch(pairs: &[(&str, Tensor)]) -> TensorMap {
    pairs.iter().map(|(k, t)| (k.to_string(), t.shallow_clone())).collect()
}

fn train_state() -> NetState {
    NetState::new(Mode::Train, 1)
}

/// The generator's update must use the discriminator's weights from before the step.
#[test]
fn gan_updates_are_deferred() {
    let gen = linear("gan_g", 2, 2);
    let disc = linear("gan_d", 2, 1);
    let g_before: Vec<Tensor> = gen.trainable_variables().iter().map(|t| t.detach().copy()).collect();
    let d_before: Vec<Tensor> = disc.trainable_variables().iter().map(|t| t.detach().copy()).collect();
    let z = Tensor::from_slice(&[0.5f32, -1.0, 2.0, 0.25]).reshape([2, 2]);
    let x = Tensor::from_slice(&[1.0f32, 1.0, -1.0, 0.5]).reshape([2, 2]);
    let mut network = fe::Network::new(vec![
        Box::new(ModelOp::new(&gen, "z", "fake")),
        Box::new(ModelOp::new(&disc, "fake", "fake_score")),
        Box::new(ModelOp::new(&disc, "x", "real_score")),
        Box::new(LambdaOp::new("fake_score", "gloss", |v| Ok(vec![-v[0].mean(Kind::Float)]))),
        Box::new(LambdaOp::new(["real_score", "fake_score"], "dloss", |v| {
            Ok(vec![v[1].mean(Kind::Float) - v[0].mean(Kind::Float)])
        })),
        Box::new(UpdateOp::new(&gen, "gloss")),
        Box::new(UpdateOp::new(&disc, "dloss")),
    ])
    .unwrap();
    let mut b = batch(&[("z", z.shallow_clone()), ("x", x.shallow_clone())]);
    network.run_step(&mut b, train_state()).unwrap();

    // Expected updates, computed by hand from the weights before the step.
    let (gw, gb) = (g_before[1].set_requires_grad(true), g_before[0].set_requires_grad(true));
    let (dw, db) = (d_before[1].set_requires_grad(true), d_before[0].set_requires_grad(true));
    let fake = z.linear(&gw, Some(&gb));
    let gloss = -fake.linear(&dw, Some(&db)).mean(Kind::Float);
    let g_grads = Tensor::run_backward(&[gloss], &[&gb, &gw], false, false);
    let dloss = fake.detach().linear(&dw, Some(&db)).mean(Kind::Float) - x.linear(&dw, Some(&db)).mean(Kind::Float);
    let d_grads = Tensor::run_backward(&[dloss], &[&db, &dw], false, false);
    let g_after = gen.trainable_variables();
    let d_after = disc.trainable_variables();
    for i in 0..2 {
        let want_g = &g_before[i] - &g_grads[i] * 0.1;
        let want_d = &d_before[i] - &d_grads[i] * 0.1;
        assert!(g_after[i].allclose(&want_g, 1e-6, 1e-6, false), "generator variable {i}");
        assert!(d_after[i].allclose(&want_d, 1e-6, 1e-6, false), "discriminator variable {i}");
    }
}

#[test]
fn merge_grad_waits_for_n_steps() {
    let m = linear("merge", 2, 1);
    let op = UpdateOp::new(&m, "loss").merge_grad(2);
    let mut network = fe::Network::new(vec![
        Box::new(ModelOp::new(&m, "x", "y")),
        Box::new(LambdaOp::new("y", "loss", |v| Ok(vec![v[0].pow_tensor_scalar(2).mean(Kind::Float)]))),
        Box::new(op),
    ])
    .unwrap();
    let before: Vec<Tensor> = m.trainable_variables().iter().map(|t| t.detach().copy()).collect();
    let x = Tensor::ones([3, 2], (Kind::Float, tch::Device::Cpu));
    network.run_step(&mut batch(&[("x", x.shallow_clone())]), train_state()).unwrap();
    assert!(m.trainable_variables().iter().zip(&before).all(|(a, b)| a.equal(b)), "first step only accumulates");
    network.run_step(&mut batch(&[("x", x)]), train_state()).unwrap();
    assert!(m.trainable_variables().iter().zip(&before).any(|(a, b)| !a.equal(b)), "second step applies");
    let err = fe::Network::new(vec![Box::new(UpdateOp::new(&m, "loss").merge_grad(0))]).unwrap_err();
    assert!(
        matches!(&err, FeError::InvalidParameter { param, .. } if param == "merge_grad"),
        "the setter never fails; Network::new reports the bad value: {err}"
    );
}

#[test]
fn gradient_op_on_a_model_feeds_update_op() {
    // Updating from GradientOp's flat gradients equals updating from the loss.
    let run = |use_gradient_op: bool| {
        let m = linear(if use_gradient_op { "grad_a" } else { "grad_b" }, 2, 1);
        m.load_optimizer_state(&m.optimizer_state()).unwrap();
        let fixed: Vec<Tensor> =
            vec![Tensor::from_slice(&[0.1f32]), Tensor::from_slice(&[0.3f32, -0.2]).reshape([1, 2])];
        tch::no_grad(|| {
            for (v, f) in m.trainable_variables().iter_mut().zip(&fixed) {
                v.copy_(f);
            }
        });
        let mut ops: Vec<Box<dyn TensorOp>> = vec![
            Box::new(ModelOp::new(&m, "x", "y")),
            Box::new(LambdaOp::new("y", "loss", |v| Ok(vec![v[0].pow_tensor_scalar(2).mean(Kind::Float)]))),
        ];
        if use_gradient_op {
            ops.push(Box::new(GradientOp::for_model("loss", &m, "grads")));
            ops.push(Box::new(UpdateOp::new(&m, "loss").gradients("grads")));
        } else {
            ops.push(Box::new(UpdateOp::new(&m, "loss")));
        }
        let mut network = fe::Network::new(ops).unwrap();
        let x = Tensor::from_slice(&[1.0f32, 2.0, -1.0, 0.5]).reshape([2, 2]);
        network.run_step(&mut batch(&[("x", x)]), train_state()).unwrap();
        m.trainable_variables().iter().map(|t| t.detach().copy()).collect::<Vec<_>>()
    };
    let (a, b) = (run(true), run(false));
    for (x, y) in a.iter().zip(&b) {
        assert!(x.allclose(y, 1e-6, 1e-6, false));
    }
}

#[test]
fn gradient_op_and_fgsm_on_inputs_in_eval_mode() {
    let m = linear("fgsm", 2, 1);
    let mut network = fe::Network::new(vec![
        Box::new(Watch::new("x")),
        Box::new(ModelOp::new(&m, "x", "y")),
        Box::new(LambdaOp::new("y", "loss", |v| Ok(vec![v[0].sum(Kind::Float)]))),
        Box::new(GradientOp::new("loss", "x", "dx")),
        Box::new(FGSM::new("x", "loss", "x_adv").epsilon(0.1).clip(Some(-1.0), Some(1.05))),
    ])
    .unwrap();
    let x = Tensor::from_slice(&[1.0f32, 0.0, -0.5, 0.25]).reshape([2, 2]);
    let mut b = batch(&[("x", x.shallow_clone())]);
    network.run_step(&mut b, NetState::new(Mode::Eval, 1)).unwrap();
    // d(sum(xW^T + b))/dx = W for every row.
    let w = m.trainable_variables()[1].detach().reshape([1, 2]).expand([2, 2], false);
    assert!(b["dx"].allclose(&w, 1e-6, 1e-6, false));
    let want = (&x + w.sign() * 0.1).clamp(-1.0, 1.05);
    assert!(b["x_adv"].allclose(&want, 1e-6, 1e-6, false));
}

/// As FE's meta ops do, a meta op tells the Network what its children need: a Watch and a
/// GradientOp inside a Fuse still get gradients in eval mode, and an UpdateOp inside a Fuse or a
/// Repeat still names its loss, which traces monitor by default.
#[test]
fn meta_ops_pass_their_childrens_needs_to_the_network() {
    use fe::op::tensor::Fuse;
    let m = linear("fused_grad", 2, 1);
    let mut network = fe::Network::new(vec![Box::new(
        Fuse::new(vec![
            Box::new(Watch::new("x")),
            Box::new(ModelOp::new(&m, "x", "y")),
            Box::new(LambdaOp::new("y", "loss", |v| Ok(vec![v[0].sum(Kind::Float)]))),
            Box::new(GradientOp::new("loss", "x", "dx")),
        ])
        .unwrap(),
    )])
    .unwrap();
    let x = Tensor::from_slice(&[1.0f32, 0.0, -0.5, 0.25]).reshape([2, 2]);
    let mut b = batch(&[("x", x)]);
    network.run_step(&mut b, NetState::new(Mode::Eval, 1)).unwrap();
    let w = m.trainable_variables()[1].detach().reshape([1, 2]).expand([2, 2], false);
    assert!(b["dx"].allclose(&w, 1e-6, 1e-6, false), "{}", b["dx"]);

    let m = linear("fused_update", 2, 1);
    let update_steps = || -> Vec<Box<dyn TensorOp>> {
        vec![
            Box::new(ModelOp::new(&m, "x", "y").mode("train")),
            Box::new(LambdaOp::new("y", "ce", |v| Ok(vec![v[0].square().mean(Kind::Float)])).mode("train")),
            Box::new(UpdateOp::new(&m, "ce")),
        ]
    };
    let fused = fe::Network::new(vec![Box::new(Fuse::new(update_steps()).unwrap())]).unwrap();
    assert_eq!(fused.loss_keys(), ["ce"]);
    assert_eq!(fused.loss_keys_for(&m), ["ce"]);
    let repeated =
        fe::Network::new(vec![Box::new(Repeat::times(Box::new(Fuse::new(update_steps()).unwrap()), 2).unwrap())])
            .unwrap();
    assert_eq!(repeated.loss_keys(), ["ce"]);
}

#[test]
fn mixup_and_cutmix_mix_labels_consistently() {
    let x = Tensor::arange(32, (Kind::Float, tch::Device::Cpu)).reshape([2, 1, 4, 4]);
    let y = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0]).reshape([2, 2]);
    let mut st = train_state();
    let out = MixUpBatch::new(["x", "y"], ["xm", "ym"])
        .alpha(0.5)
        .forward(vec![x.shallow_clone(), y.shallow_clone()], &mut st)
        .unwrap();
    // Each mixed label sums to 1, and x mixes with the same lambda as y.
    assert!(out[1].sum_dim_intlist(-1, false, Kind::Float).allclose(
        &Tensor::ones([2], (Kind::Float, tch::Device::Cpu)),
        1e-6,
        1e-6,
        false
    ));
    let lam0 = out[1].double_value(&[0, 0]);
    let want0 = x.get(0) * lam0 + x.get(1) * (1.0 - lam0);
    assert!(out[0].get(0).allclose(&want0, 1e-4, 1e-4, false));
    // Same seed, epoch and step: same lambda.
    let again = MixUpBatch::new(["x", "y"], ["xm", "ym"])
        .alpha(0.5)
        .forward(vec![x.shallow_clone(), y.shallow_clone()], &mut train_state())
        .unwrap();
    assert!(again[1].equal(&out[1]));

    let out =
        CutMixBatch::new(["x", "y"], ["xm", "ym"]).forward(vec![x.shallow_clone(), y], &mut train_state()).unwrap();
    let pasted = out[0].get(0).ne_tensor(&x.get(0)).sum(Kind::Int64).int64_value(&[]) as f64;
    let kept = out[1].double_value(&[0, 0]);
    assert!((kept - (1.0 - pasted / 16.0)).abs() < 1e-6, "label weight {kept} vs pasted pixels {pasted}");
}

#[test]
fn meta_ops_follow_fe() {
    // FE fact: LambdaOp(x -> (x+1, x*x)) with x=1: repeat 1 -> (2, 1); repeat 5 -> (6, 25).
    let step = || LambdaOp::new("x", ["x", "y"], |v| Ok(vec![&v[0] + 1.0, &v[0] * &v[0]]));
    let one = Tensor::from_slice(&[1.0f32]);
    let mut r1 = Repeat::times(Box::new(step()), 1).unwrap();
    let out = r1.forward(vec![one.shallow_clone(), Tensor::from_slice(&[0.0f32])], &mut train_state()).unwrap();
    assert_eq!((out[0].double_value(&[0]), out[1].double_value(&[0])), (2.0, 1.0));
    let mut r5 = Repeat::times(Box::new(step()), 5).unwrap();
    let out = r5.forward(vec![one.shallow_clone(), Tensor::from_slice(&[0.0f32])], &mut train_state()).unwrap();
    assert_eq!((out[0].double_value(&[0]), out[1].double_value(&[0])), (6.0, 25.0));
    assert!(Repeat::times(Box::new(step()), 0).is_err());

    let plus = || LambdaOp::new("x", "x", |v| Ok(vec![&v[0] + 1.0]));
    let mut never = Sometimes::new(Box::new(plus()), 0.0).unwrap();
    assert_eq!(never.forward(vec![one.shallow_clone()], &mut train_state()).unwrap()[0].double_value(&[0]), 1.0);
    let mut always = Sometimes::new(Box::new(plus()), 1.0).unwrap();
    assert_eq!(always.forward(vec![one.shallow_clone()], &mut train_state()).unwrap()[0].double_value(&[0]), 2.0);
    assert!(Sometimes::new(Box::new(plus()), 1.5).is_err());

    assert!(OneOf::new(vec![], None).is_err());
    assert!(OneOf::new(vec![Box::new(plus()), Box::new(LambdaOp::new("x", "z", Ok))], None).is_err());
    assert!(OneOf::new(vec![Box::new(plus()), Box::new(plus())], Some(vec![0.5, 0.6])).is_err());
    let mut pick = OneOf::new(
        vec![Box::new(plus()), Box::new(LambdaOp::new("x", "x", |v| Ok(vec![&v[0] * 10.0])))],
        Some(vec![0.0, 1.0]),
    )
    .unwrap();
    assert_eq!(pick.forward(vec![one], &mut train_state()).unwrap()[0].double_value(&[0]), 10.0);
}

#[test]
fn general_ops() {
    let x = Tensor::from_slice(&[1.0f32, 5.0, 2.0, 7.0, 0.0, 3.0]).reshape([2, 3]);
    let mut st = train_state();
    let am = Argmax::new("x", "i").axis(-1).forward(vec![x.shallow_clone()], &mut st).unwrap();
    assert_eq!(Vec::<i64>::try_from(&am[0]).unwrap(), vec![1, 0]);
    let avg = Average::new(["a", "b"], "m").forward(vec![x.shallow_clone(), &x * 3.0], &mut st).unwrap();
    assert!(avg[0].allclose(&(&x * 2.0), 1e-6, 1e-6, false));
    let r = Reshape::new("x", "r", &[3, -1]).forward(vec![x.shallow_clone()], &mut st).unwrap();
    assert_eq!(r[0].size(), [3, 2]);
    let err = Reshape::new("x", "r", &[4, -1]).forward(vec![x.shallow_clone()], &mut st).unwrap_err().to_string();
    assert!(err.contains("[2, 3]") && err.contains("[4, -1]"), "{err}");
    let img = Tensor::zeros([2, 5, 6, 3], (Kind::Float, tch::Device::Cpu));
    assert_eq!(Permute::new("x", "p").forward(vec![img], &mut st).unwrap()[0].size(), [2, 3, 5, 6]);
    let mut b = batch(&[("x", x.shallow_clone()), ("y", x.shallow_clone())]);
    let mut network = fe::Network::new(vec![Box::new(Delete::new("y"))]).unwrap();
    network.run_step(&mut b, st).unwrap();
    assert!(b.contains_key("x") && !b.contains_key("y"));
}

#[test]
fn nan_loss_stops_with_the_step_unless_allowed() {
    let make = |allow: bool| {
        let m = linear(if allow { "nan_ok" } else { "nan_stop" }, 2, 1);
        fe::Network::new(vec![
            Box::new(ModelOp::new(&m, "x", "y")),
            Box::new(LambdaOp::new("y", "loss", |v| Ok(vec![v[0].mean(Kind::Float) * f64::NAN]))),
            Box::new(UpdateOp::new(&m, "loss").allow_nan(allow)),
        ])
        .unwrap()
    };
    let x = Tensor::ones([2, 2], (Kind::Float, tch::Device::Cpu));
    let mut st = train_state();
    st.step = 17;
    let err = make(false).run_step(&mut batch(&[("x", x.shallow_clone())]), st.clone()).unwrap_err();
    assert!(matches!(err, FeError::NonFinite { step: 17, .. }), "{err}");
    assert!(err.to_string().contains("loss") && err.to_string().contains("step 17"));
    make(true).run_step(&mut batch(&[("x", x)]), st).unwrap();
}

#[test]
fn intermediate_layers_and_mixed_precision_on_cpu() {
    let lenet = fe::build(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
    let op = ModelOp::new(&lenet, "x", "y").intermediate_layers(&["fc1", "conv2"], &["emb", "feat"]);
    let mut network = fe::Network::new(vec![Box::new(op)]).unwrap();
    let mut b = batch(&[("x", Tensor::zeros([3, 1, 28, 28], (Kind::Float, tch::Device::Cpu)))]);
    network.run_step(&mut b, NetState::new(Mode::Eval, 1)).unwrap();
    assert_eq!(b["emb"].size(), [3, 64]);
    assert_eq!(b["feat"].size(), [3, 64, 11, 11]);
    for bad in [
        ModelOp::new(&lenet, "x", "y").intermediate_layers(&["conv9"], &["k"]),
        ModelOp::new(&lenet, "x", "y").intermediate_layers(&["fc1"], &["a", "b"]),
    ] {
        let err = fe::Network::new(vec![Box::new(bad)]).unwrap_err();
        assert!(matches!(&err, FeError::InvalidParameter { param, .. } if param == "intermediate_layers"), "{err}");
    }

    if !tch::Cuda::is_available() {
        let opts = fe::network::BuildOptions { mixed_precision: true, ..Default::default() };
        let err =
            fe::network::build_with(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam", opts).unwrap_err();
        assert!(err.to_string().contains("mixed_precision") && err.to_string().contains("CUDA"), "{err}");
    }
}

#[test]
fn save_and_load_with_optimizer_state_resumes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let x = Tensor::from_slice(&[1.0f32, 2.0, -1.0, 0.5, 0.3, -0.7]).reshape([3, 2]);
    let step = |m: &fe::Model| {
        let y = m.forward("x", &x, true).unwrap();
        m.update(&y.pow_tensor_scalar(2).mean(Kind::Float)).unwrap();
    };
    let adam = || OptimizerSpec::from_name("adam").unwrap();
    let a = fe::build_named(|p| nn::linear(p / "fc", 2, 1, Default::default()), adam(), "resume_a").unwrap();
    step(&a);
    let path = fe::backend::save_model(&a, dir.path(), None, true).unwrap();
    assert!(fe::backend::optimizer_path(&path).exists());
    step(&a);
    let b = fe::build_named(|p| nn::linear(p / "fc", 2, 1, Default::default()), adam(), "resume_b").unwrap();
    fe::backend::load_model(&b, &path, true).unwrap();
    assert_eq!(b.optimizer_steps(), 1);
    step(&b);
    for (va, vb) in a.trainable_variables().iter().zip(b.trainable_variables()) {
        assert!(va.equal(&vb), "a resumed Adam must continue exactly");
    }
}

#[test]
fn gather_resize3d_normalize_fuse_and_repeat_while() {
    use fe::op::tensor::{Fuse, Gather, Normalize, Resize3D, ResizeMode};
    let mut st = train_state();
    let t = Tensor::arange(12, (Kind::Float, tch::Device::Cpu)).reshape([3, 4]);
    let idx = Tensor::from_slice(&[3i64, 0, 2]);
    let g = Gather::new("t", "g", "i").forward(vec![t, idx], &mut st).unwrap();
    assert_eq!(Vec::<f32>::try_from(&g[0]).unwrap(), vec![3.0, 4.0, 10.0]);

    let vol = Tensor::arange(8, (Kind::Float, tch::Device::Cpu)).reshape([1, 1, 2, 2, 2]);
    let up = Resize3D::new("v", "u", [4, 4, 4]).forward(vec![vol.shallow_clone()], &mut st).unwrap();
    assert_eq!(up[0].size(), [1, 1, 4, 4, 4]);
    let down = Resize3D::new("v", "d", [1, 1, 1]).resize_mode(ResizeMode::Area).forward(vec![vol], &mut st).unwrap();
    assert!((down[0].double_value(&[0, 0, 0, 0, 0]) - 3.5).abs() < 1e-6);

    let img = Tensor::full([1, 2, 2, 3], 255.0, (Kind::Float, tch::Device::Cpu));
    let n = Normalize::new("x", "x").stats(&[0.5, 0.5, 0.5], &[0.5, 0.5, 0.5]).forward(vec![img], &mut st).unwrap();
    assert!((n[0].max().double_value(&[]) - 1.0).abs() < 1e-6);

    let mut fused = Fuse::new(vec![
        Box::new(LambdaOp::new("a", "b", |v| Ok(vec![&v[0] + 1.0]))),
        Box::new(LambdaOp::new("b", "c", |v| Ok(vec![&v[0] * 2.0]))),
    ])
    .unwrap();
    assert_eq!(fused.io().inputs, ["a"]);
    let out = fused.forward(vec![Tensor::from_slice(&[1.0f32])], &mut st).unwrap();
    assert_eq!(out[1].double_value(&[0]), 4.0);

    let double = LambdaOp::new("x", "x", |v| Ok(vec![&v[0] * 2.0]));
    let mut until = Repeat::while_(Box::new(double), &["x"], |v| v[0].double_value(&[0]) < 100.0, Some(50)).unwrap();
    let out = until.forward(vec![Tensor::from_slice(&[3.0f32])], &mut st).unwrap();
    assert_eq!(out[0].double_value(&[0]), 192.0);
}
