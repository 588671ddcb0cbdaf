//! [`RunDescription`]: what a run is made of (its data, ops, traces and models), as plain
//! data the Estimator fills in for the Traceability report.

use crate::op::OpIo;
use crate::util::{DsIdFilter, Mode};

/// Where a step of the run sits: the pipeline (NumpyOps), the network (TensorOps) or the traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The data a pipeline reads (one entry per dataset's keys).
    Data,
    /// A pipeline op (NumpyOp).
    Pipeline,
    /// A network op (TensorOp).
    Network,
    /// A trace.
    Trace,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Data => "data",
            Stage::Pipeline => "pipeline",
            Stage::Network => "network",
            Stage::Trace => "trace",
        })
    }
}

/// One op or trace: its name, the keys it reads and writes, and where it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDescription {
    /// Pipeline, network or trace.
    pub stage: Stage,
    /// The op's or trace's name.
    pub name: String,
    /// Keys read.
    pub inputs: Vec<String>,
    /// Keys written.
    pub outputs: Vec<String>,
    /// The modes it runs in (`"all"`, or e.g. `"eval, test"`).
    pub modes: String,
    /// The datasets it runs on (`"all"`, `"ds1"`, `"all but ds1"`).
    pub ds_ids: String,
}

impl StepDescription {
    /// The description of an op or trace with these keys and filters.
    pub fn new(stage: Stage, name: impl Into<String>, io: &OpIo) -> Self {
        StepDescription {
            stage,
            name: name.into(),
            inputs: io.inputs.clone(),
            outputs: io.outputs.clone(),
            modes: describe_modes(|m| io.mode.contains(m)),
            ds_ids: match &io.ds_id {
                DsIdFilter::All => "all".into(),
                DsIdFilter::Only(ids) => ids.join(", "),
                DsIdFilter::Except(ids) => format!("all but {}", ids.join(", ")),
            },
        }
    }
}

/// `"all"` or the modes `contains` accepts, in FE's order.
pub fn describe_modes(contains: impl Fn(Mode) -> bool) -> String {
    let all = [Mode::Train, Mode::Eval, Mode::Test, Mode::Infer];
    let kept: Vec<String> = all.iter().filter(|&&m| contains(m)).map(|m| m.to_string()).collect();
    if kept.len() == all.len() {
        "all".into()
    } else {
        kept.join(", ")
    }
}

/// One key of a dataset's samples.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyDescription {
    /// The key.
    pub key: String,
    /// Its dtype (`uint8`, `int64`, `float32`, ...).
    pub dtype: String,
    /// One sample's shape.
    pub shape: Vec<usize>,
}

/// One dataset of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetDescription {
    /// The mode it feeds.
    pub mode: Mode,
    /// Its ds_id ("" when unnamed).
    pub ds_id: String,
    /// Its type (`NumpyDataset`, `CSVDataset`, ...).
    pub kind: String,
    /// Samples per epoch.
    pub len: usize,
    /// The batch size it is read at in the first epoch, if batched.
    pub batch_size: Option<usize>,
    /// Its first sample's keys.
    pub keys: Vec<KeyDescription>,
}

/// One model of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDescription {
    /// The model's name.
    pub name: String,
    /// Its optimizer, as configured (`None` for a model that is not trained).
    pub optimizer: Option<String>,
    /// The per-sample input shape, if the model declares it.
    pub input_shape: Option<Vec<i64>>,
    /// Every named tensor of its state (parameters and buffers): name, shape, trainable.
    pub tensors: Vec<(String, Vec<i64>, bool)>,
    /// The number of trainable parameters.
    pub trainable_parameters: i64,
    /// The device it runs on.
    pub device: String,
}

/// Everything a run is made of, as the Estimator sees it before it starts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunDescription {
    /// The experiment's name.
    pub experiment: String,
    /// The run's settings (epochs, steps per epoch, logging, seed, workers), as text.
    pub settings: Vec<(String, String)>,
    /// The hyperparameters recorded with the run.
    pub hyperparameters: Vec<(String, serde_json::Value)>,
    /// The pipeline's datasets.
    pub datasets: Vec<DatasetDescription>,
    /// The pipeline ops, the network ops and the traces, in order.
    pub steps: Vec<StepDescription>,
    /// The network's models.
    pub models: Vec<ModelDescription>,
}
