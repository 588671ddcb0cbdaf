//! Bad input that used to panic or corrupt silently: labels out of range, libtorch failures in
//! any TensorOp, weights that do not fit, empty datasets, seeded recipes after other jobs, and
//! examples that must answer `--help`.

use std::path::{Path, PathBuf};
use std::process::Command;

use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::{CSVDataset, NumpyDataset};
use fe::op::tensor::{CrossEntropy, LambdaOp, NetState, TensorOp};
use fe::{FeError, Mode, Value};
use ndarray::{Array1, Array4};
use tch::{Kind, Tensor};

use crate::training::lenet_network;

/// `n` blank 1×28×28 images with the given labels.
fn images_with_labels(labels: &[i64]) -> NumpyDataset {
    let n = labels.len();
    let x = Array4::<f32>::from_elem((n, 1, 28, 28), 0.5).into_dyn();
    let y = Array1::from(labels.to_vec()).into_dyn();
    NumpyDataset::new([("x", Value::F32(x)), ("y", Value::I64(y))]).unwrap()
}

/// One worker's pipeline over blank images with `labels`, its training order seeded by `seed`.
fn seeded_pipeline(labels: &[i64], batch: usize, seed: u64) -> fe::Pipeline {
    let data = images_with_labels(labels);
    fe::Pipeline::builder().train_data(data).batch_size(batch).num_process(1).seed(seed).build().unwrap()
}

/// Fit LeNet for one epoch on [`seeded_pipeline`]: the result, and whether any weight changed
/// (it does once a batch has trained).
fn fit_on(labels: &[i64], batch: usize, seed: u64) -> (fe::Result<fe::Summary>, bool) {
    let (network, model) = lenet_network("adam");
    let before = model.variables();
    let estimator = fe::Estimator::builder(seeded_pipeline(labels, batch, seed), network, 1).silent().build();
    let result = estimator.and_then(|mut est| est.fit());
    let changed = model.variables().iter().zip(&before).any(|((_, a), (_, b))| !a.equal(b));
    (result, changed)
}

/// The first pipeline seed whose first training batch (batch size `batch`) holds no bad label.
fn seed_with_a_clean_first_batch(labels: &[i64], batch: usize) -> u64 {
    (0..100)
        .find(|&seed| {
            let loader = seeded_pipeline(labels, batch, seed).loader(Mode::Train, 1, "", None);
            let first = loader.unwrap().next().unwrap().unwrap();
            let Value::I64(y) = &first["y"] else { panic!("labels are int64") };
            y.iter().all(|&label| (0..10).contains(&label))
        })
        .expect("some seed puts the bad label after the first batch")
}

fn assert_label_error(err: FeError, value: i64) {
    let msg = err.to_string();
    match err {
        FeError::LabelOutOfRange { op, key, value: v, classes } => {
            assert_eq!((op.as_str(), key.as_str(), v, classes), ("CrossEntropy", "y", value, 10), "{msg}");
        }
        other => panic!("expected LabelOutOfRange, got {other}"),
    }
    assert!(msg.contains("\"y\"") && msg.contains(&value.to_string()) && msg.contains("10 classes"), "{msg}");
}

#[test]
fn a_label_out_of_range_is_an_error_in_a_direct_forward_call() {
    let pred = Tensor::full([3, 10], 0.1, (Kind::Float, tch::Device::Cpu));
    for bad in [10i64, -1] {
        let y = Tensor::from_slice(&[0i64, bad, 3]);
        let err = CrossEntropy::new(["y_pred", "y"], "ce")
            .forward(vec![pred.shallow_clone(), y], &mut NetState::new(Mode::Train, 1))
            .unwrap_err();
        assert_label_error(err, bad);
    }
    // Logits take the same check (cross_entropy_loss would also index out of range).
    let y = Tensor::from_slice(&[12i64, 0, 0]).reshape([3, 1]);
    let err = CrossEntropy::new(["y_pred", "y"], "ce")
        .from_logits(true)
        .forward(vec![pred, y], &mut NetState::new(Mode::Train, 1))
        .unwrap_err();
    assert_label_error(err, 12);
}

#[test]
fn a_label_out_of_range_is_an_error_at_planning_and_mid_epoch() {
    // One batch only: caught by planning's warmup step, before any weight changes.
    let (result, changed) = fit_on(&[1, 10, 2, 3], 4, 0);
    assert_label_error(result.unwrap_err(), 10);
    assert!(!changed, "planning must catch the bad label before any update");
    // One bad label in three batches, ordered so that the first batch is clean: planning passes,
    // the first batch trains, and fit() stops at the bad one mid-epoch with the same error.
    let mut labels = vec![1i64; 12];
    labels[9] = -1;
    let seed = seed_with_a_clean_first_batch(&labels, 4);
    let (result, changed) = fit_on(&labels, 4, seed);
    assert_label_error(result.unwrap_err(), -1);
    assert!(changed, "the error must come mid-epoch, after a batch trained");
}

#[test]
fn the_backend_loss_checks_labels_and_shapes_too() {
    let probs = Tensor::full([2, 10], 0.1, (Kind::Float, tch::Device::Cpu));
    for bad in [10i64, -3] {
        let err = fe::backend::sparse_categorical_crossentropy(&probs, &Tensor::from_slice(&[0i64, bad]), false, true)
            .unwrap_err();
        assert!(
            matches!(&err, FeError::LabelOutOfRange { op, key, value, classes: 10 }
                if op == "sparse_categorical_crossentropy" && key == "y_true" && *value == bad),
            "{err}"
        );
    }
    // Three labels for two predictions: libtorch's complaint, as a typed error without backtrace.
    let err = fe::backend::sparse_categorical_crossentropy(&probs, &Tensor::from_slice(&[0i64, 1, 2]), false, true)
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(&err, FeError::Torch { context, .. } if context == "sparse_categorical_crossentropy"), "{msg}");
    assert!(!msg.contains("Exception raised from") && !msg.contains("frame #"), "{msg}");
    let ok = fe::backend::sparse_categorical_crossentropy(&probs, &Tensor::from_slice(&[0i64, 9]), false, true);
    assert!((ok.unwrap().double_value(&[]) - 10f64.ln()).abs() < 1e-5);
}

#[test]
fn a_libtorch_failure_in_any_tensor_op_is_a_typed_error() {
    let pipeline = fe::Pipeline::builder().train_data(images_with_labels(&[0, 1, 2, 3])).batch_size(4).build().unwrap();
    // A user op whose matrix product cannot work: [4, 1, 28, 28] @ [3, 3].
    let bad = LambdaOp::new("x", "z", |v: Vec<Tensor>| {
        Ok(vec![v[0].matmul(&Tensor::ones([3, 3], (Kind::Float, v[0].device())))])
    });
    let network = fe::Network::new(vec![Box::new(bad)]).unwrap();
    let err = fe::Estimator::builder(pipeline, network, 1).silent().build().unwrap().fit().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(&err, FeError::TensorOp { op, .. } if op == "LambdaOp"), "{msg}");
    assert!(msg.contains("\"x\" [4, 1, 28, 28]") && msg.contains("mode train, epoch 1"), "{msg}");
    // libtorch's own words stay; its C++ backtrace and tch's unwrap envelope do not.
    assert!(msg.contains("cannot be multiplied"), "{msg}");
    assert!(!msg.contains("Exception raised from") && !msg.contains("frame #") && !msg.contains("unwrap"), "{msg}");
    assert!(msg.len() < 400, "{} bytes: {msg}", msg.len());
}

#[test]
fn model_errors_carry_no_cpp_backtrace() {
    let model = fe::build(|p| tch::nn::linear(p / "fc", 5, 3, Default::default()), "sgd").unwrap();
    let x = Tensor::zeros([2, 7], (Kind::Float, model.device()));
    let msg = model.forward("x", &x, false).unwrap_err().to_string();
    assert!(msg.contains("forward on input \"x\" [2, 7] failed"), "{msg}");
    assert!(!msg.contains("Exception raised from") && !msg.contains("frame #"), "{msg}");
    assert!(msg.len() < 400, "{} bytes: {msg}", msg.len());
}

fn lenet(classes: i64) -> fe::Model {
    fe::build(|p| LeNet::new(p, [1, 28, 28], classes), "adam").unwrap()
}

fn assert_unchanged(model: &fe::Model, before: &[(String, Tensor)]) {
    let after = model.variables();
    assert_eq!(after.len(), before.len());
    for ((n1, a), (n2, b)) in after.iter().zip(before) {
        assert_eq!(n1, n2);
        assert_eq!(a.kind(), b.kind(), "{n1} changed dtype");
        assert!(a.equal(b), "{n1} changed");
    }
}

#[test]
fn weights_of_the_wrong_shape_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let one_class = lenet(1);
    let path = fe::backend::save_model(&one_class, dir.path(), Some("one_class"), false).unwrap();
    let ten_class = lenet(10);
    let before = ten_class.variables();
    let err = fe::backend::load_model(&ten_class, &path, false).unwrap_err();
    let msg = err.to_string();
    let FeError::WeightsMismatch { missing, unexpected, misshaped, .. } = &err else { panic!("{msg}") };
    assert!(missing.is_empty() && unexpected.is_empty(), "{msg}");
    let names: Vec<&str> = misshaped.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2, "{msg}");
    assert!(names.iter().all(|n| n.starts_with("fc2")), "{msg}");
    assert!(msg.contains("[10, 64]") && msg.contains("[1, 64]") && msg.contains("left unchanged"), "{msg}");
    assert_unchanged(&ten_class, &before);
}

/// Write `vars` (name → tensor) as a safetensors file.
fn write_tensors(path: &Path, vars: &[(String, Tensor)]) {
    let named: Vec<(&str, &Tensor)> = vars.iter().map(|(k, t)| (k.as_str(), t)).collect();
    Tensor::write_safetensors(&named, path).unwrap();
}

#[test]
fn missing_and_extra_tensors_are_listed_and_the_model_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let source = lenet(10);
    let mut vars = source.variables();
    // Change every tensor, drop two and add one: a partial load would show.
    vars.iter_mut().for_each(|(_, t)| *t = &*t + 1.0);
    let dropped: Vec<String> = vars.drain(..2).map(|(n, _)| n).collect();
    vars.push(("head.weight".into(), Tensor::zeros([3, 3], (Kind::Float, tch::Device::Cpu))));
    let path = dir.path().join("partial.safetensors");
    write_tensors(&path, &vars);
    let target = lenet(10);
    for _ in 0..3 {
        let before = target.variables();
        let err = target.load_weights(&path).unwrap_err();
        let FeError::WeightsMismatch { missing, unexpected, misshaped, .. } = &err else { panic!("{err}") };
        assert_eq!(missing, &dropped, "{err}");
        assert_eq!(unexpected, &vec!["head.weight".to_string()], "{err}");
        assert!(misshaped.is_empty(), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("missing from the file") && msg.contains(&dropped[0]), "{msg}");
        assert!(msg.contains("not in the model") && msg.contains("head.weight"), "{msg}");
        assert!(msg.contains("left unchanged"), "{msg}");
        assert_unchanged(&target, &before);
    }
}

#[test]
fn float64_weights_are_converted_to_the_models_dtype_and_integer_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = lenet(10);
    let doubles: Vec<(String, Tensor)> =
        source.variables().into_iter().map(|(n, t)| (n, t.to_kind(Kind::Double) * 0.5)).collect();
    let path = dir.path().join("f64.safetensors");
    write_tensors(&path, &doubles);
    let target = lenet(10);
    fe::backend::load_model(&target, &path, false).unwrap();
    for ((name, got), (_, want)) in target.variables().iter().zip(&doubles) {
        assert_eq!(got.kind(), Kind::Float, "{name} must stay float32");
        assert!(got.allclose(&want.to_kind(Kind::Float), 0.0, 0.0, false), "{name}");
    }
    let x = Tensor::zeros([2, 1, 28, 28], (Kind::Float, target.device()));
    assert_eq!(target.forward("x", &x, false).unwrap().size(), [2, 10]);

    let mut ints = doubles;
    ints[0].1 = ints[0].1.to_kind(Kind::Int64);
    let bad_name = ints[0].0.clone();
    write_tensors(&path, &ints);
    let before = target.variables();
    let err = fe::backend::load_model(&target, &path, false).unwrap_err();
    let FeError::WeightsMismatch { misshaped, .. } = &err else { panic!("{err}") };
    assert_eq!(misshaped.len(), 1, "{err}");
    assert_eq!(misshaped[0].0, bad_name);
    assert!(err.to_string().contains("Int64"), "{err}");
    assert_unchanged(&target, &before);
}

#[test]
fn a_failed_optimizer_load_puts_the_weights_back() {
    let dir = tempfile::tempdir().unwrap();
    let source = lenet(10);
    let path = fe::backend::save_model(&source, dir.path(), Some("m"), false).unwrap();
    std::fs::write(fe::backend::optimizer_path(&path), b"not safetensors").unwrap();
    let target = lenet(10);
    let before = target.variables();
    assert!(fe::backend::load_model(&target, &path, true).is_err());
    assert_unchanged(&target, &before);
}

/// A trace whose state is the number of epochs it has seen; it records every state loaded into
/// it, so a test can see a restore and its rollback.
struct EpochCounter {
    io: fe::op::OpIo,
    epochs: i64,
    loaded: std::sync::Arc<std::sync::Mutex<Vec<i64>>>,
}

impl fe::op::HasIo for EpochCounter {
    fn io(&self) -> &fe::op::OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut fe::op::OpIo {
        &mut self.io
    }
}

impl fe::trace::Trace for EpochCounter {
    fn name(&self) -> String {
        "EpochCounter".into()
    }
    fn on_epoch_end(&mut self, _: &mut fe::trace::Data, _: &mut fe::summary::System) -> fe::Result<()> {
        self.epochs += 1;
        Ok(())
    }
    fn state(&self) -> serde_json::Value {
        serde_json::json!(self.epochs)
    }
    fn load_state(&mut self, state: &serde_json::Value) -> fe::Result<()> {
        self.epochs = state.as_i64().expect("a count");
        self.loaded.lock().unwrap().push(self.epochs);
        Ok(())
    }
}

/// A LeNet named `lenet` in a network with a RestoreWizard saving into `dir` after every epoch.
fn checkpointed_run(dir: &Path, epochs: usize) -> (fe::Estimator, fe::Model) {
    checkpointed_run_recording(dir, epochs, &Default::default())
}

/// [`checkpointed_run`] with an [`EpochCounter`] (before the other traces) recording into `loaded`.
fn checkpointed_run_recording(
    dir: &Path,
    epochs: usize,
    loaded: &std::sync::Arc<std::sync::Mutex<Vec<i64>>>,
) -> (fe::Estimator, fe::Model) {
    let model = fe::build_named(|p| LeNet::new(p, [1, 28, 28], 10), "adam", "lenet").unwrap();
    let network = fe::Network::new(vec![
        Box::new(fe::op::tensor::ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(fe::op::tensor::UpdateOp::new(&model, "ce")),
    ])
    .unwrap();
    let pipeline = fe::Pipeline::builder()
        .train_data(images_with_labels(&[0, 1, 2, 3, 4, 5, 6, 7]))
        .eval_data(images_with_labels(&[0, 1, 2, 3]))
        .batch_size(4)
        .build()
        .unwrap();
    let wizard = fe::trace::io::RestoreWizard::new(dir, 1).unwrap();
    let stopper = fe::trace::adapt::EarlyStopping::new("ce").patience(5);
    let counter = EpochCounter { io: fe::op::OpIo::new((), ()), epochs: 0, loaded: loaded.clone() };
    let traces: Vec<Box<dyn fe::trace::Trace>> = vec![Box::new(counter), Box::new(stopper), Box::new(wizard)];
    let est = fe::Estimator::builder(pipeline, network, epochs).traces(traces).silent().build().unwrap();
    (est, model)
}

/// Train [`checkpointed_run`] for one epoch into `dir`: the folder of its RestoreWizard save.
fn first_save(dir: &Path) -> PathBuf {
    let (mut first, _) = checkpointed_run(dir, 1);
    first.fit().unwrap();
    dir.join(std::fs::read_to_string(dir.join("key.txt")).unwrap().trim())
}

#[test]
fn a_restore_whose_trace_state_fails_puts_the_models_back() {
    let dir = tempfile::tempdir().unwrap();
    let save = first_save(dir.path());
    // Damage EarlyStopping's saved state: the models load first, then the trace state fails.
    let system = save.join("system.json");
    let mut state: serde_json::Value = serde_json::from_slice(&std::fs::read(&system).unwrap()).unwrap();
    let traces = state["traces"].as_array_mut().unwrap();
    let counted = traces.iter().find(|t| t[0] == "EpochCounter").expect("the counter's state is saved")[1].as_i64();
    let counted = counted.filter(|&n| n > 0).expect("the first run counted its epoch ends");
    let stopper = traces.iter_mut().find(|t| t[0] == "EarlyStopping").expect("EarlyStopping's state is saved");
    stopper[1] = serde_json::json!("not a state");
    std::fs::write(&system, serde_json::to_vec(&state).unwrap()).unwrap();

    let loaded = std::sync::Arc::default();
    let (mut second, model) = checkpointed_run_recording(dir.path(), 2, &loaded);
    let before = model.variables();
    let err = second.fit().unwrap_err();
    assert!(err.to_string().contains("EarlyStopping"), "{err}");
    // The counter's saved count was loaded, then its own fresh state (0) put back.
    assert_eq!(*loaded.lock().unwrap(), vec![counted, 0]);
    assert_unchanged(&model, &before);
    assert_eq!(model.optimizer_steps(), 0, "the optimizer must be as fresh as before");
    assert_eq!(model.optimizer_state().len(), 2, "steps and lr only: no moments allocated");
}

#[test]
fn a_restore_that_fails_partway_leaves_models_and_optimizers_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let save = first_save(dir.path());
    // Damage the save's optimizer state: the weights load first, then the optimizer fails.
    let saved_weights = read_weights(&save.join("lenet.safetensors"));
    std::fs::write(save.join("lenet_opt.safetensors"), b"not safetensors").unwrap();

    let (mut second, model) = checkpointed_run(dir.path(), 2);
    let before = model.variables();
    let optimizer_before = model.optimizer_state();
    assert!(!same_weights(&before, &saved_weights), "the new model must differ from the save");
    let err = second.fit().unwrap_err();
    assert!(err.to_string().contains("lenet_opt.safetensors"), "{err}");
    assert_unchanged(&model, &before);
    let optimizer_after = model.optimizer_state();
    assert_eq!(optimizer_after.len(), optimizer_before.len());
    for ((n1, a), (n2, b)) in optimizer_after.iter().zip(&optimizer_before) {
        assert!(n1 == n2 && a.equal(b), "optimizer state {n1} changed");
    }
}

#[test]
fn an_optimizer_state_whose_step_count_is_not_one_number_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = lenet(10);
    let path = fe::backend::save_model(&source, dir.path(), Some("m"), true).unwrap();
    let opt_path = fe::backend::optimizer_path(&path);
    let mut state = read_weights(&opt_path);
    let steps = state.iter_mut().find(|(n, _)| n == "steps").expect("the state saves its step count");
    steps.1 = Tensor::from_slice(&[3i64, 4]);
    write_tensors(&opt_path, &state);
    let target = lenet(10);
    let before = target.variables();
    let err = fe::backend::load_model(&target, &path, true).unwrap_err();
    assert!(matches!(&err, FeError::UnexpectedShape { key, got, .. } if key == "steps" && got == &[2]), "{err}");
    assert_unchanged(&target, &before);
    assert_eq!(target.optimizer_steps(), 0);
}

#[test]
fn an_empty_dataset_is_named_as_such() {
    let empty = images_with_labels(&[]);
    let pipeline = fe::Pipeline::builder().train_data(empty).batch_size(4).build().unwrap();
    let (network, _) = lenet_network("adam");
    let err = fe::Estimator::builder(pipeline, network, 1).silent().build().unwrap().fit().unwrap_err();
    assert!(matches!(&err, FeError::EmptyDataset { mode, ds_id } if mode == "train" && ds_id.is_empty()), "{err}");
    assert_eq!(err.to_string(), "the train dataset is empty: it holds no samples");

    // A header-only CSV as the eval data.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("eval.csv");
    std::fs::write(&csv, "x,y\n").unwrap();
    let pipeline = fe::Pipeline::builder()
        .train_data(images_with_labels(&[0, 1, 2, 3]))
        .eval_data(CSVDataset::new(&csv).unwrap())
        .batch_size(4)
        .build()
        .unwrap();
    let (network, _) = lenet_network("adam");
    let err = fe::Estimator::builder(pipeline, network, 1).silent().build().unwrap().fit().unwrap_err();
    assert!(matches!(&err, FeError::EmptyDataset { mode, ds_id } if mode == "eval" && ds_id.is_empty()), "{err}");
    assert_eq!(err.to_string(), "the eval dataset is empty: it holds no samples");

    // An empty eval NumpyDataset next to good training data.
    let pipeline = fe::Pipeline::builder()
        .train_data(images_with_labels(&[0, 1, 2, 3]))
        .eval_data(images_with_labels(&[]))
        .batch_size(4)
        .build()
        .unwrap();
    let (network, _) = lenet_network("adam");
    let err = fe::Estimator::builder(pipeline, network, 1).silent().build().unwrap().fit().unwrap_err();
    assert_eq!(err.to_string(), "the eval dataset is empty: it holds no samples");

    // A named dataset is named.
    let pipeline = fe::Pipeline::builder()
        .data_map(Mode::Train, vec![("small", std::sync::Arc::new(images_with_labels(&[])) as _)])
        .batch_size(4)
        .build()
        .unwrap();
    let (network, _) = lenet_network("adam");
    let err = fe::Estimator::builder(pipeline, network, 1).silent().build().unwrap().fit().unwrap_err();
    assert!(matches!(&err, FeError::EmptyDataset { mode, ds_id } if mode == "train" && ds_id == "small"), "{err}");
    assert!(err.to_string().contains("ds_id \"small\""), "{err}");
}

const RECIPE_ENV: &str = "FE_RECIPE_TEST_OUT";

/// The child's job: optionally build something first (another job in the same process), then a
/// seeded recipe of two LeNets, twice; the weights are written to the folder given.
#[test]
fn seeded_recipe_child() {
    let Ok(out) = std::env::var(RECIPE_ENV) else { return };
    let out = PathBuf::from(out);
    if out.ends_with("search") {
        // A search after another job: every trial starts the names again, as FE's Search does.
        fe::enable_deterministic(42);
        lenet(4);
        let mut search = fe::search::GridSearch::new(|_: &fe::search::Params, idx| {
            let model = lenet(10);
            fe::backend::save_model(&model, &out, Some(&format!("trial_{idx}_{}", model.name())), false)?;
            Ok(idx as f64)
        })
        .param("optimizer", ["adam", "sgd", "rmsprop"]);
        fe::output::with_sink(fe::output::silent, || search.fit(None)).unwrap();
        return;
    }
    if out.ends_with("after_other_job") {
        fe::enable_deterministic(1);
        for _ in 0..3 {
            lenet(4);
        }
    }
    for run in 0..2 {
        fe::enable_deterministic(42);
        let first = lenet(10);
        let second = lenet(10);
        for (model, tag) in [(&first, "first"), (&second, "second")] {
            fe::backend::save_model(model, &out, Some(&format!("{tag}_{run}_{}", model.name())), false).unwrap();
        }
    }
}

/// Start this test binary as a child running [`seeded_recipe_child`], writing into `out`.
fn run_recipe_child(out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "robustness::seeded_recipe_child", "--test-threads", "1"])
        .env(RECIPE_ENV, out)
        .output()
        .unwrap();
    assert!(child.status.success(), "{child:?}");
}

fn read_weights(path: &Path) -> Vec<(String, Tensor)> {
    let mut v = Tensor::read_safetensors(path).unwrap();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn same_weights(a: &[(String, Tensor)], b: &[(String, Tensor)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((n1, x), (n2, y))| n1 == n2 && x.equal(y))
}

#[test]
fn a_seeded_recipe_builds_the_same_weights_whatever_ran_before() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh");
    let after = dir.path().join("after_other_job");
    run_recipe_child(&fresh);
    run_recipe_child(&after);
    let w = |d: &Path, f: &str| read_weights(&d.join(f));
    // Names restart with the recipe, in both processes and in both runs.
    for d in [&fresh, &after] {
        for run in 0..2 {
            assert!(d.join(format!("first_{run}_model.safetensors")).exists());
            assert!(d.join(format!("second_{run}_model1.safetensors")).exists());
        }
    }
    let first = w(&fresh, "first_0_model.safetensors");
    // The same recipe again in the same process, and after another job in another process.
    assert!(same_weights(&first, &w(&fresh, "first_1_model.safetensors")));
    assert!(same_weights(&first, &w(&after, "first_0_model.safetensors")));
    assert!(same_weights(&first, &w(&after, "first_1_model.safetensors")));
    let second = w(&fresh, "second_0_model1.safetensors");
    assert!(same_weights(&second, &w(&after, "second_1_model1.safetensors")));
    // Two models of one recipe still get different streams.
    assert!(!same_weights(&first, &second));

    // Each search trial starts the names again: every trial's model is `model`, seeded alike.
    let search = dir.path().join("search");
    run_recipe_child(&search);
    for idx in 1..=3 {
        let trial = search.join(format!("trial_{idx}_model.safetensors"));
        assert!(trial.exists(), "{} is missing", trial.display());
        assert!(same_weights(&first, &read_weights(&trial)), "trial {idx} built other weights");
    }
}

/// The example binaries that cargo builds next to this test binary.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().join("examples").join(name)
}

/// Every example program (`crates/fastestimator/examples`), and whether it takes `--epochs`
/// (the speed programs measure a fixed number of steps instead).
const EXAMPLES: [(&str, bool); 15] = [
    ("cifar10_fast", true),
    ("data_parallel", true),
    ("dcgan", true),
    ("imdb", true),
    ("language_model", true),
    ("lr_schedule", true),
    ("mnist", true),
    ("progressive_resize", true),
    ("search_lr", true),
    ("siamese", true),
    ("speed_estimator", false),
    ("speed_hand_loop", false),
    ("tabular", true),
    ("unet", true),
    ("xai_cifar", true),
];

#[test]
fn every_example_answers_help_and_rejects_unknown_arguments() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".rs").map(String::from))
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, EXAMPLES.map(|(name, _)| name.to_string()), "EXAMPLES must list every example");
    let lib = std::env::var_os("LD_LIBRARY_PATH").unwrap_or_default();
    for (name, takes_epochs) in EXAMPLES {
        let bin = example(name);
        assert!(bin.exists(), "{} was not built", bin.display());
        let help = Command::new(&bin).arg("--help").env("LD_LIBRARY_PATH", &lib).output().unwrap();
        let stdout = String::from_utf8_lossy(&help.stdout);
        assert!(help.status.success(), "{name} --help: {help:?}");
        assert!(stdout.contains("Usage:") && !stdout.contains("FastEstimator-Start"), "{name}: {stdout}");
        assert_eq!(stdout.contains("--epochs"), takes_epochs, "{name}: {stdout}");
        let bad = Command::new(&bin).arg("--no-such-flag").env("LD_LIBRARY_PATH", &lib).output().unwrap();
        let stderr = String::from_utf8_lossy(&bad.stderr);
        assert_eq!(bad.status.code(), Some(2), "{name} --no-such-flag: {bad:?}");
        assert!(stderr.contains("no-such-flag"), "{name}: {stderr}");
        assert!(!String::from_utf8_lossy(&bad.stdout).contains("FastEstimator-Start"), "{name}");
    }
}
