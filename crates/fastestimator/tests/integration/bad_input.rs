//! Bad input gets a clear, typed error that names what is wrong, never a panic.

use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::NumpyDataset;
use fe::op::numpy::{Batch, Minmax};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::op::Configure;
use fe::trace::io::BestModelSaver;
use fe::{FeError, Value};

use crate::common::column_dataset;
use crate::training::{digits_pipeline, lenet_network};

#[test]
fn unknown_optimizer_lists_the_known_names() {
    let err = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adamm").unwrap_err();
    assert!(matches!(err, FeError::UnknownOptimizer { .. }));
    let msg = err.to_string();
    assert!(msg.contains("adamm") && msg.contains("adam, adamw, sgd, rmsprop, adagrad"), "{msg}");
}

#[test]
fn model_input_shape_mismatch_is_reported_at_planning() {
    // Images without the channel axis: [batch, 28, 28] instead of [batch, 1, 28, 28].
    let cfg = fe::dataset::data::synthetic_digits::SyntheticDigitsConfig {
        train_size: 64,
        eval_size: 0,
        test_size: 0,
        seed: 1,
    };
    let (train, _, _) = fe::dataset::data::synthetic_digits::load_data(&cfg).unwrap();
    let pipeline = fe::Pipeline::builder()
        .train_data(train)
        .batch_size(8)
        .ops(vec![Box::new(Minmax::new("x", "x"))])
        .build()
        .unwrap();
    let (network, _) = lenet_network("adam");
    let mut est = fe::Estimator::builder(pipeline, network, 1).silent().build().unwrap();
    let err = est.fit().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FeError::UnexpectedShape { ref got, .. } if got == &[8, 28, 28]), "{msg}");
    assert!(msg.contains("[8, 28, 28]") && msg.contains("[batch, 1, 28, 28]"), "{msg}");
}

#[test]
fn a_model_without_declared_shape_fails_cleanly_too() {
    let model = fe::build(|p| tch::nn::linear(p / "fc", 5, 3, Default::default()), "sgd").unwrap();
    let x = tch::Tensor::zeros([2, 7], (tch::Kind::Float, model.device()));
    let err = model.forward("x", &x, false).unwrap_err().to_string();
    assert!(err.contains("forward on input \"x\" [2, 7] failed"), "{err}");
}

#[test]
fn forbidden_ds_id_and_key_characters() {
    let err = fe::Pipeline::builder()
        .data_map(fe::Mode::Train, vec![("ds:1", std::sync::Arc::new(column_dataset(4)) as _)])
        .build()
        .unwrap_err();
    assert!(matches!(err, FeError::InvalidDsId { .. }), "{err}");
    assert!(err.to_string().contains("ds:1"));

    let err = NumpyDataset::new([("x;y", Value::from(vec![1i64]))]).unwrap_err();
    assert!(matches!(err, FeError::InvalidKey { .. }), "{err}");

    let err = fe::Pipeline::builder()
        .train_data(column_dataset(4))
        .ops(vec![Box::new(Minmax::new("x", "a:b"))])
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("Minmax") && err.contains("a:b"), "{err}");

    let err = fe::Pipeline::builder()
        .train_data(column_dataset(4))
        .ops(vec![Box::new(Minmax::new("x", "x").mode("!train,eval"))])
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("Minmax") && err.contains("mix"), "{err}");
}

#[test]
fn batch_size_zero() {
    let err = fe::Pipeline::builder().train_data(column_dataset(4)).batch_size(0).build().unwrap_err().to_string();
    assert!(err.contains("batch_size") && err.contains("at least 1"), "{err}");
    assert!(Batch::new(0).is_err());
}

#[test]
fn two_batch_ops_in_one_mode() {
    let err = fe::Pipeline::builder()
        .train_data(column_dataset(4))
        .ops(vec![Box::new(Batch::new(2).unwrap()), Box::new(Batch::new(3).unwrap())])
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("at most 1 Batch op"), "{err}");
}

#[test]
fn missing_pipeline_key_names_the_op_and_closest_key() {
    let p = fe::Pipeline::builder()
        .train_data(column_dataset(4))
        .ops(vec![Box::new(Minmax::new("xx", "x"))])
        .build()
        .unwrap();
    let err = p.get_results(fe::Mode::Train, 1, 1).unwrap_err();
    match err {
        FeError::MissingKey { consumer, key, closest, .. } => {
            assert_eq!((consumer.as_str(), key.as_str(), closest.as_deref()), ("Minmax", "xx", Some("x")));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn unwritable_save_dir_fails_at_build() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a_file");
    std::fs::write(&blocker, b"not a folder").unwrap();
    let (network, model) = lenet_network("adam");
    let pipeline = digits_pipeline(64, 16, 0, 16, None);
    let err = fe::Estimator::builder(pipeline, network, 1)
        .traces(vec![Box::new(BestModelSaver::new(&model, blocker.join("models")).metric("ce"))])
        .build()
        .err()
        .expect("an unwritable save_dir must be refused");
    let msg = err.to_string();
    assert!(matches!(err, FeError::Io { .. }) && msg.contains("save_dir") && msg.contains("a_file"), "{msg}");
}

#[test]
fn update_op_on_a_model_without_optimizer_fails_at_planning() {
    let model = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), fe::network::OptimizerArg::None).unwrap();
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])
    .unwrap();
    let mut est = fe::Estimator::builder(digits_pipeline(64, 0, 0, 16, None), network, 1).silent().build().unwrap();
    let err = est.fit().unwrap_err().to_string();
    assert!(err.contains("without an optimizer"), "{err}");
}

#[test]
fn cross_entropy_shape_mismatch_names_keys_and_shapes() {
    use fe::op::tensor::{NetState, TensorOp};
    let mut ce = CrossEntropy::new(["y_pred", "y"], "ce");
    let mut st = NetState::new(fe::Mode::Train, 1);
    let pred = tch::Tensor::ones([4, 3], (tch::Kind::Float, tch::Device::Cpu)) / 3.0;
    let y = tch::Tensor::ones([4, 5], (tch::Kind::Float, tch::Device::Cpu));
    let err = ce.forward(vec![pred, y], &mut st).unwrap_err().to_string();
    assert!(
        err.contains("\"y_pred\"") && err.contains("[4, 3]") && err.contains("\"y\"") && err.contains("[4, 5]"),
        "{err}"
    );
}

#[test]
fn corrupt_and_missing_mnist_files_give_clear_errors() {
    use fe::dataset::data::{idx, mnist};
    let root = tempfile::tempdir().unwrap();
    let loader = mnist::Mnist::new().root_dir(root.path()).download(false);
    // The files live in root_dir/MNIST, as every loader's.
    let dir = root.path().join("MNIST");
    std::fs::create_dir_all(&dir).unwrap();
    // Offline and without files: the error lists the files and the folder.
    let err = loader.load().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(&err, FeError::MissingData { files, .. } if files.len() == 4), "{msg}");
    assert!(msg.contains("train-images-idx3-ubyte") && msg.contains("t10k-labels-idx1-ubyte"), "{msg}");
    assert!(msg.contains(&dir.display().to_string()), "{msg}");

    // Real IDX files, written here: 3 images and labels for train and test.
    let images = idx::write_idx_u8(&[3, 28, 28], &[7u8; 3 * 28 * 28]).unwrap();
    let labels = idx::write_idx_u8(&[3], &[1, 2, 3]).unwrap();
    for (name, bytes) in [
        ("train-images-idx3-ubyte", &images),
        ("train-labels-idx1-ubyte", &labels),
        ("t10k-images-idx3-ubyte", &images),
        ("t10k-labels-idx1-ubyte", &labels),
    ] {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    assert!(loader.files_present());
    let (train, eval) = loader.load().unwrap();
    assert_eq!((fe::dataset::Dataset::len(&train), fe::dataset::Dataset::len(&eval)), (3, 3));
    let (train, _) = mnist::load_data(Some(root.path())).unwrap();
    assert_eq!(fe::dataset::Dataset::len(&train), 3);

    // Truncate the training images: a clear error naming the file, not a panic.
    std::fs::write(dir.join("train-images-idx3-ubyte"), &images[..images.len() - 100]).unwrap();
    let err = loader.load().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FeError::Idx(_)), "{msg}");
    assert!(msg.contains("train-images-idx3-ubyte"), "{msg}");

    // Corrupt magic number.
    let mut bad = images.clone();
    bad[0] = 0xFF;
    std::fs::write(dir.join("train-images-idx3-ubyte"), &bad).unwrap();
    let msg = loader.load().unwrap_err().to_string();
    assert!(msg.contains("train-images-idx3-ubyte"), "{msg}");
}

#[test]
fn a_gradient_of_the_wrong_shape_is_refused_and_no_step_is_counted() {
    let model = fe::build_named(|p| LeNet::new(p, [1, 28, 28], 10), "adam", "wrong_grad").unwrap();
    let before: Vec<tch::Tensor> = model.trainable_variables().iter().map(|v| v.detach().copy()).collect();
    let mut grads: Vec<tch::Tensor> = model.trainable_variables().iter().map(|v| v.zeros_like()).collect();
    grads[0] = tch::Tensor::zeros([3, 3], (tch::Kind::Float, tch::Device::Cpu));
    let err = model.apply_gradients(&grads).unwrap_err();
    assert!(
        matches!(&err, FeError::ShapeMismatch { op, left_shape, .. } if op.contains("wrong_grad") && left_shape == &[3, 3]),
        "{err}"
    );
    assert!(err.to_string().contains("[3, 3]") && err.to_string().contains("optimizer step"), "{err}");
    assert_eq!(model.optimizer_steps(), 0);
    for (b, a) in before.iter().zip(model.trainable_variables()) {
        assert!(b.equal(&a), "a refused step must leave the weights alone");
    }
}

#[test]
fn every_optimizer_refuses_a_misfit_gradient_by_name_and_steps_nothing() {
    for optimizer in ["adam", "adamw", "sgd", "rmsprop", "adagrad"] {
        let model = fe::build_named(|p| LeNet::new(p, [1, 28, 28], 10), optimizer, "misfit").unwrap();
        let before: Vec<tch::Tensor> = model.trainable_variables().iter().map(|v| v.detach().copy()).collect();
        let mut grads: Vec<tch::Tensor> = model.trainable_variables().iter().map(|v| v.zeros_like()).collect();
        let last = grads.len() - 1;
        grads[last] = grads[last].to_kind(tch::Kind::Double);
        let err = model.apply_gradients(&grads).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(&err, FeError::UnexpectedDType { op, .. } if op.contains("misfit")), "{optimizer}: {err}");
        assert!(msg.contains("Double") && msg.contains("Float") && msg.contains("fc2"), "{optimizer}: {msg}");
        assert_eq!(model.optimizer_steps(), 0, "{optimizer}");
        for (b, a) in before.iter().zip(model.trainable_variables()) {
            assert!(b.equal(&a), "{optimizer}: a refused step must leave the weights alone");
        }
    }
}
