//! Real training runs on small generated data: LeNet learns, BestModelSaver saves and reloads.

use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};
use fe::op::numpy::{ExpandDims, Minmax};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::trace::io::BestModelSaver;
use fe::trace::metric::Accuracy;
use fe::util::BestMode;
use fe::Mode;

/// The MNIST recipe's pipeline on `train`/`eval`/`test` generated digits.
pub fn digits_pipeline(train: usize, eval: usize, test: usize, batch: usize, workers: Option<usize>) -> fe::Pipeline {
    let cfg = SyntheticDigitsConfig { train_size: train, eval_size: eval, test_size: test, seed: 5 };
    let (tr, ev, te) = synthetic_digits::load_data(&cfg).unwrap();
    let mut b = fe::Pipeline::builder()
        .train_data(tr)
        .batch_size(batch)
        .seed(11)
        .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))]);
    if eval > 0 {
        b = b.eval_data(ev);
    }
    if test > 0 {
        b = b.test_data(te);
    }
    if let Some(w) = workers {
        b = b.num_process(w);
    }
    b.build().unwrap()
}

/// ModelOp → CrossEntropy → UpdateOp around a fresh LeNet.
pub fn lenet_network(optimizer: &str) -> (fe::Network, fe::Model) {
    let model = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), optimizer).unwrap();
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])
    .unwrap();
    (network, model)
}

#[test]
fn lenet_learns_digits_and_best_model_saver_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = digits_pipeline(3000, 500, 500, 32, None);
    let (network, model) = lenet_network("adam");
    let saver = BestModelSaver::new(&model, dir.path()).metric("accuracy").save_best_mode(BestMode::Max);
    let saved = saver.path();
    let mut est = fe::Estimator::builder(pipeline, network, 2)
        .traces(vec![Box::new(Accuracy::new("y", "y_pred")), Box::new(saver)])
        .log_steps(50)
        .build()
        .unwrap();
    let summary = est.fit().unwrap();
    let acc = summary.last(Mode::Eval, "accuracy").unwrap();
    assert!(acc > 0.85, "eval accuracy {acc} after 2 small epochs");
    let max_acc = summary.last(Mode::Eval, "max_accuracy").unwrap();
    assert!(max_acc >= acc);
    assert!(summary.get(Mode::Eval, "since_best_accuracy").is_some());
    assert!(summary.get(Mode::Train, "ce").is_some_and(|h| h.contains_key(&1) && h.contains_key(&50)));
    assert!(
        summary.get(Mode::Train, "model_lr").is_some()
            || summary.history[&Mode::Train].keys().any(|k| k.ends_with("_lr"))
    );
    assert_eq!(saved.file_name().unwrap().to_str().unwrap(), format!("{}_best_accuracy.safetensors", model.name()));
    assert!(saved.exists());
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with(".fe-")),
        "no temp file left"
    );

    let test = est.test().unwrap();
    let test_acc = test.last(Mode::Test, "accuracy").unwrap();
    assert!(test_acc > 0.85, "test accuracy {test_acc}");

    // The saved weights reload into a fresh model and give the same predictions.
    let fresh = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
    fe::backend::load_model(&fresh, &saved, false).unwrap();
    let x = tch::Tensor::rand([4, 1, 28, 28], (tch::Kind::Float, model.device()));
    let trained = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
    fe::backend::load_model(&trained, &saved, false).unwrap();
    let a = fresh.forward("x", &x, false).unwrap();
    let b = trained.forward("x", &x, false).unwrap();
    assert!(a.allclose(&b, 1e-6, 1e-6, false));
}

#[test]
fn named_optimizers_all_train() {
    for name in ["adam", "sgd", "rmsprop", "adamw", "adagrad"] {
        let pipeline = digits_pipeline(256, 0, 0, 32, None);
        let (network, model) = lenet_network(name);
        let before = model.variables();
        let mut est = fe::Estimator::builder(pipeline, network, 1).silent().build().unwrap();
        let summary = est.fit().unwrap();
        assert_eq!(summary.train_steps, 8);
        assert!(before.iter().zip(model.variables()).any(|(a, b)| !a.1.equal(&b.1)), "{name} changed no weight");
    }
}
