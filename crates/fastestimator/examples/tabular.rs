//! FE's tabular DNN (apphub `tabular/dnn`) on the Breast Cancer Wisconsin data: a 30-32-16-8-1
//! MLP with dropout and a sigmoid output, Adam, binary cross entropy. FE reports a test accuracy
//! of 0.965.
//!
//! The data is scikit-learn's `breast_cancer.csv`, read from
//! `~/fastestimator_data/breast_cancer/breast_cancer.csv` (see the README for how to get it;
//! where the internet is reachable it is downloaded automatically). As in FE: the loader's
//! `train_test_split(test_size=0.2, random_state=42)`, half of eval split off as test, and
//! features standardised with the training mean and standard deviation.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example tabular
//! ./fe cargo run --release -p fastestimator --example tabular -- --epochs 20 --offline
//! ```
//!
//! The integration tests include this file as a module and run [`get_estimator`] on a
//! generated CSV with the same columns.

use std::path::{Path, PathBuf};

use fastestimator as fe;
use fe::architecture::torch_init;
use fe::dataset::data::breast_cancer::BreastCancer;
use fe::dataset::{Dataset, NumpyDataset};
use fe::network::FeModel;
use fe::op::numpy::ExpandDims;
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::trace::io::BestModelSaver;
use fe::trace::metric::Accuracy;
use fe::util::BestMode;
use fe::Value;
use tch::{nn, Tensor};

/// FE's `DNN(num_inputs=30, n_outputs=1)`, initialised as PyTorch initialises it.
#[derive(Debug)]
pub struct Dnn {
    fc1: nn::Linear,
    fc2: nn::Linear,
    fc3: nn::Linear,
    fc4: nn::Linear,
    num_inputs: i64,
}

impl Dnn {
    /// A DNN for `num_inputs` features and `n_outputs` sigmoid outputs.
    pub fn new(vs: &nn::Path, num_inputs: i64, n_outputs: i64) -> Dnn {
        Dnn {
            fc1: torch_init::linear(vs / "fc1", num_inputs, 32),
            fc2: torch_init::linear(vs / "fc2", 32, 16),
            fc3: torch_init::linear(vs / "fc3", 16, 8),
            fc4: torch_init::linear(vs / "fc4", 8, n_outputs),
            num_inputs,
        }
    }
}

impl nn::ModuleT for Dnn {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        xs.apply(&self.fc1)
            .relu()
            .dropout(0.5, train)
            .apply(&self.fc2)
            .relu()
            .dropout(0.5, train)
            .apply(&self.fc3)
            .relu()
            .dropout(0.5, train)
            .apply(&self.fc4)
            .sigmoid()
    }
}

impl FeModel for Dnn {
    fn input_shape(&self) -> Option<Vec<i64>> {
        Some(vec![self.num_inputs])
    }
}

/// scikit-learn's `StandardScaler`: fit on `train["x"]`, then transform every dataset's `x`.
pub fn standard_scale(train: &mut NumpyDataset, others: &mut [&mut NumpyDataset]) -> fe::Result<()> {
    let Some(Value::F32(x)) = train.column("x") else {
        return Err(fe::FeError::param("standard_scale", "x", "expected a float32 column"));
    };
    let x = x
        .clone()
        .into_dimensionality::<ndarray::Ix2>()
        .map_err(|e| fe::FeError::param("standard_scale", "x", e.to_string()))?;
    let mean = x.mean_axis(ndarray::Axis(0)).unwrap_or_default();
    // Population standard deviation, as sklearn; constant features keep a scale of 1.
    let std = x.std_axis(ndarray::Axis(0), 0.0).mapv(|s| if s == 0.0 { 1.0 } else { s });
    let scale = |ds: &mut NumpyDataset| -> fe::Result<()> {
        let Some(Value::F32(v)) = ds.column("x") else {
            return Err(fe::FeError::param("standard_scale", "x", "expected a float32 column"));
        };
        let scaled = (v.clone() - &mean.view().into_dyn()) / &std.view().into_dyn();
        ds.set_column("x", Value::F32(scaled))
    };
    for ds in others.iter_mut() {
        scale(ds)?;
    }
    scale(train)
}

/// FE's data preparation: the loader's `(train, eval)`, `test = eval.split(0.5)`, then standard
/// scaling fitted on train.
pub fn prepare_data(loader: &BreastCancer, seed: u64) -> fe::Result<(NumpyDataset, NumpyDataset, NumpyDataset)> {
    let (mut train, mut eval) = loader.load()?;
    let mut test = eval.split(0.5, Some(seed), None)?;
    standard_scale(&mut train, &mut [&mut eval, &mut test])?;
    Ok((train, eval, test))
}

/// FE's `get_estimator`: Pipeline (batch `batch_size`; `y` gets a trailing axis so it lines up
/// with the `[batch, 1]` sigmoid output), DNN + Adam, CrossEntropy (binary), Accuracy and
/// BestModelSaver on accuracy.
pub fn get_estimator(
    (train, eval, test): (NumpyDataset, NumpyDataset, NumpyDataset),
    epochs: usize,
    batch_size: usize,
    log_steps: u64,
    save_dir: &Path,
) -> fe::Result<fe::Estimator> {
    let pipeline = fe::Pipeline::builder()
        .train_data(train)
        .eval_data(eval)
        .test_data(test)
        .batch_size(batch_size)
        .ops(vec![Box::new(ExpandDims::new("y", "y").axis(-1))])
        .build()?;
    let model = fe::build_named(|p| Dnn::new(p, 30, 1), "adam", "dnn")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    let traces: Vec<Box<dyn fe::trace::Trace>> = vec![
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(BestModelSaver::new(&model, save_dir).metric("accuracy").save_best_mode(BestMode::Max)),
    ];
    fe::Estimator::builder(pipeline, network, epochs).traces(traces).log_steps(log_steps).build()
}

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Hyperparameters {
    /// Training epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Seed of the split, the model and the pipeline.
    pub seed: u64,
    /// The folder holding `breast_cancer/breast_cancer.csv` (default `~/fastestimator_data`).
    pub root_dir: Option<PathBuf>,
    /// Never download the CSV.
    pub offline: bool,
    /// Cut every training epoch to this many steps.
    pub train_steps_per_epoch: Option<usize>,
    /// Cut every eval epoch to this many steps.
    pub eval_steps_per_epoch: Option<usize>,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            epochs: 10,
            batch_size: 32,
            seed: 42,
            root_dir: None,
            offline: false,
            train_steps_per_epoch: None,
            eval_steps_per_epoch: None,
        }
    }
}

/// The job from its hyperparameters: the data as FE prepares it, then [`get_estimator`].
pub fn job(hp: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(hp.seed);
    let mut loader = BreastCancer::new().download(!hp.offline);
    if let Some(root) = &hp.root_dir {
        loader = loader.root_dir(root);
    }
    let data = prepare_data(&loader, hp.seed)?;
    fe::output::log(&format!(
        "Data: {} ({} train / {} eval / {} test)",
        loader.csv_path().display(),
        data.0.len(),
        data.1.len(),
        data.2.len()
    ));
    let save_dir = tempfile::Builder::new()
        .prefix("fe_tabular_")
        .tempdir()
        .map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))?
        .keep();
    let mut estimator = get_estimator(data, hp.epochs, hp.batch_size, 10, &save_dir)?;
    estimator.set_experiment_name("tabular");
    estimator.set_steps_per_epoch(hp.train_steps_per_epoch, hp.eval_steps_per_epoch);
    Ok(estimator)
}

fn main() {
    fe::cli::main(job);
}
