//! [`Estimator`]: `fit()` and `test()`, each a short sequence of phases that live in their own
//! files: `traces.rs` (assemble the trace list), `plan.rs` (check keys, warm up), `epochs.rs`
//! (the epoch and step loops) and `checkpoint.rs` (restore from and save to a RestoreWizard).

use std::path::PathBuf;

use crate::error::{FeError, Result};
use crate::network::Network;
use crate::pipeline::Pipeline;
use crate::summary::Summary;
use crate::trace::Trace;
use crate::util::Mode;

/// Where an Estimator records its runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HistoryTarget {
    /// `~/fastestimator_data/history.db` (or `FE_HISTORY_DB`).
    Default,
    /// A database file of the user's choice.
    Path(PathBuf),
    /// No history.
    Off,
}

/// The training loop (FE's `fe.Estimator`).
///
/// ```no_run
/// # use fastestimator::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
/// # fn pipeline() -> fastestimator::Pipeline {
/// #     let (train, _, _) = fastestimator::dataset::data::synthetic_digits::load_data(&Default::default()).unwrap();
/// #     fastestimator::Pipeline::builder().train_data(train).batch_size(32).build().unwrap()
/// # }
/// # fn network() -> fastestimator::Network {
/// #     let m = fastestimator::build(|p| fastestimator::architecture::LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
/// #     fastestimator::Network::new(vec![
/// #         Box::new(ModelOp::new(&m, "x", "y_pred")),
/// #         Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
/// #         Box::new(UpdateOp::new(&m, "ce")),
/// #     ]).unwrap()
/// # }
/// use fastestimator as fe;
/// let mut est = fe::Estimator::builder(pipeline(), network(), 2).log_steps(100).build().unwrap();
/// let summary = est.fit().unwrap();
/// let test = est.test().unwrap();
/// ```
pub struct Estimator {
    pub(super) pipeline: Pipeline,
    pub(super) network: Network,
    pub(super) epochs: usize,
    pub(super) train_steps_per_epoch: Option<usize>,
    pub(super) eval_steps_per_epoch: Option<usize>,
    /// The user's traces; the essential traces and the Logger join them for a run
    /// (`traces.rs`).
    pub(super) traces: Vec<Box<dyn Trace>>,
    pub(super) log_steps: Option<u64>,
    pub(super) eval_log_steps: Option<Vec<usize>>,
    /// Before `build`, the user's extra keys; after, every key the essential traces monitor.
    pub(super) monitor_names: Vec<String>,
    /// The user's extra keys, each checked at planning.
    pub(super) user_monitor_names: Vec<String>,
    /// The last step run (restored from a checkpoint on resume).
    pub(super) global_step: u64,
    /// The last epoch run (restored from a checkpoint on resume).
    pub(super) epoch_idx: usize,
    /// Where runs are recorded (`history.rs`).
    pub(super) history: HistoryTarget,
    /// The experiment's name: the summaries' name and the history's `experiment`.
    pub(super) experiment_name: Option<String>,
    /// Hyperparameters recorded into the history.
    pub(super) hyperparameters: Vec<(String, serde_json::Value)>,
    /// The history's handle on the run in progress (`history.rs`), for the checkpoints.
    pub(super) history_run: Option<crate::summary::history::HistoryHandle>,
}

/// Builder for [`Estimator`].
pub struct EstimatorBuilder {
    est: Estimator,
}

impl EstimatorBuilder {
    /// Cut or extend every training epoch to exactly `n` steps.
    pub fn train_steps_per_epoch(mut self, n: usize) -> Self {
        self.est.train_steps_per_epoch = Some(n);
        self
    }
    /// Cut or extend every eval epoch to exactly `n` steps.
    pub fn eval_steps_per_epoch(mut self, n: usize) -> Self {
        self.est.eval_steps_per_epoch = Some(n);
        self
    }
    /// User traces (metrics, savers, ...), in order.
    pub fn traces(mut self, traces: Vec<Box<dyn Trace>>) -> Self {
        self.est.traces = traces;
        self
    }
    /// Print train progress every `n` steps (and at step 1); 0 prints epoch lines only.
    pub fn log_steps(mut self, n: u64) -> Self {
        self.est.log_steps = Some(n);
        self
    }
    /// Print nothing at all (FE's `log_steps=None`).
    pub fn silent(mut self) -> Self {
        self.est.log_steps = None;
        self
    }
    /// Eval progress is printed at these batch indices (default: 1, n/3, 2n/3, n).
    pub fn eval_log_steps(mut self, steps: Vec<usize>) -> Self {
        self.est.eval_log_steps = Some(steps);
        self
    }
    /// Extra keys to log (the network's loss keys are always monitored).
    pub fn monitor_names(mut self, names: &[&str]) -> Self {
        self.est.monitor_names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Name the experiment: `fit()` and `test()` return summaries of this name, and the
    /// experiment history records it (FE's `fit(summary="name")`).
    pub fn experiment_name(mut self, name: impl Into<String>) -> Self {
        self.est.set_experiment_name(name);
        self
    }
    /// Record a hyperparameter into the experiment history (any JSON value: a number, a string,
    /// a bool, ...). Repeating a name replaces its value.
    ///
    /// ```
    /// use fastestimator as fe;
    /// use fe::dataset::NumpyDataset;
    /// use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
    /// let x: Vec<f32> = (0..16).map(|i| i as f32).collect();
    /// let y: Vec<i64> = (0..8).map(|i| i % 2).collect();
    /// let ds = NumpyDataset::new([
    ///     ("x", fe::Value::from(ndarray::Array2::from_shape_vec((8, 2), x).unwrap().into_dyn())),
    ///     ("y", fe::Value::from(y)),
    /// ])
    /// .unwrap();
    /// let pipeline = fe::Pipeline::builder().train_data(ds).batch_size(4).build().unwrap();
    /// let model = fe::build(|p| tch::nn::linear(p / "fc", 2, 2, Default::default()), "adam").unwrap();
    /// let network = fe::Network::new(vec![
    ///     Box::new(ModelOp::new(&model, "x", "y_pred")),
    ///     Box::new(CrossEntropy::new(["y_pred", "y"], "ce").from_logits(true)),
    ///     Box::new(UpdateOp::new(&model, "ce")),
    /// ])
    /// .unwrap();
    /// let est = fe::Estimator::builder(pipeline, network, 1)
    ///     .hyperparameter("lr", 1e-3)
    ///     .hyperparameter("optimizer", "adam")
    ///     .hyperparameter("lr", 2e-3)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(est.hyperparameters(), [("lr".to_string(), 2e-3.into()), ("optimizer".to_string(), "adam".into())]);
    /// ```
    pub fn hyperparameter(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.est.set_hyperparameter(name, value);
        self
    }
    /// Record runs into the SQLite database at `path` instead of the default
    /// `~/fastestimator_data/history.db` (see [`crate::summary::history`]).
    pub fn history_db(mut self, path: impl Into<PathBuf>) -> Self {
        self.est.history = HistoryTarget::Path(path.into());
        self
    }
    /// Do not record runs into the experiment history.
    pub fn no_history(mut self) -> Self {
        self.est.history = HistoryTarget::Off;
        self
    }

    /// Validate and build: checks the epoch count and key names, binds the traces to the network
    /// (resolving defaults, checking save folders) and sets libtorch's thread count. In a job
    /// launched on several processes (`WORLD_SIZE` > 1) it also joins the job (see
    /// [`crate::distributed`]); a batch size that does not divide over the processes is then an
    /// error.
    pub fn build(mut self) -> Result<Estimator> {
        if self.est.epochs == 0 {
            return Err(FeError::param("Estimator", "epochs", "must be at least 1"));
        }
        self.est.bind_traces()?;
        crate::runtime::configure_threads();
        // In a job on several processes: connect, shard the pipeline, start from rank 0's model.
        self.est.join_job()?;
        Ok(self.est)
    }
}

impl Estimator {
    /// Start building an estimator that trains for `epochs` epochs.
    pub fn builder(pipeline: Pipeline, network: Network, epochs: usize) -> EstimatorBuilder {
        EstimatorBuilder {
            est: Estimator {
                pipeline,
                network,
                epochs,
                train_steps_per_epoch: None,
                eval_steps_per_epoch: None,
                traces: Vec::new(),
                log_steps: Some(100),
                eval_log_steps: None,
                monitor_names: Vec::new(),
                user_monitor_names: Vec::new(),
                global_step: 0,
                epoch_idx: 0,
                history: HistoryTarget::Default,
                experiment_name: None,
                hyperparameters: Vec::new(),
                history_run: None,
            },
        }
    }

    /// Name the experiment (see [`EstimatorBuilder::experiment_name`]).
    pub fn set_experiment_name(&mut self, name: impl Into<String>) {
        self.experiment_name = Some(name.into());
    }

    /// Record a hyperparameter into the experiment history (see
    /// [`EstimatorBuilder::hyperparameter`]); repeating a name replaces its value.
    pub fn set_hyperparameter(&mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) {
        let (name, value) = (name.into(), value.into());
        match self.hyperparameters.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.hyperparameters.push((name, value)),
        }
    }

    /// Cut or extend every training and eval epoch to exactly these many steps (`None`: the
    /// whole dataset), as [`EstimatorBuilder::train_steps_per_epoch`] and
    /// [`EstimatorBuilder::eval_steps_per_epoch`] do.
    pub fn set_steps_per_epoch(&mut self, train: Option<usize>, eval: Option<usize>) {
        self.train_steps_per_epoch = train;
        self.eval_steps_per_epoch = eval;
    }

    /// The hyperparameters recorded so far, in order.
    pub fn hyperparameters(&self) -> &[(String, serde_json::Value)] {
        &self.hyperparameters
    }

    /// The keys the essential traces monitor: the loss keys, the user's monitor names and the
    /// traces' own requests.
    pub fn monitor_names(&self) -> &[String] {
        &self.monitor_names
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The user's traces, in order (after a run they hold what they gathered). In a job on
    /// several processes, the traces that only write files run on rank 0 alone.
    pub fn traces(&self) -> &[Box<dyn Trace>] {
        &self.traces
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The names of the traces a run in `mode` uses, in FE's assembly order (essential traces
    /// first, Logger last).
    pub fn trace_names(&mut self, mode: Mode) -> Vec<String> {
        self.with_traces(mode, |_, traces| traces.iter().map(|t| t.name()).collect())
    }

    /// Train (and evaluate after every epoch), with the warmup step. Returns the run's history.
    pub fn fit(&mut self) -> Result<Summary> {
        self.fit_with(true)
    }

    /// Train; `warmup` runs one step per mode without updating weights after planning.
    pub fn fit_with(&mut self, warmup: bool) -> Result<Summary> {
        self.recorded(Mode::Train, |est| est.fit_unrecorded(warmup))
    }

    fn fit_unrecorded(&mut self, warmup: bool) -> Result<Summary> {
        self.with_traces(Mode::Train, |est, traces| {
            let modes = est.fit_modes()?;
            est.plan(traces, &modes, warmup)?;
            est.describe_run(traces);
            let mut system = est.new_system();
            // Starts the traces and restores the RestoreWizard's last save, if any.
            let active = est.begin_fit(traces, &modes, &mut system)?;
            // Saves a checkpoint after every epoch the RestoreWizard asks for.
            est.run_epochs(traces, &modes, &mut system)?;
            let summary = est.end_fit(traces, &active, system)?;
            // A trace on rank 0 alone may have changed the weights (BestModelSaver's
            // load_best_final): every rank leaves fit with rank 0's.
            est.sync_with_rank0()?;
            Ok(summary)
        })
    }

    /// Run one test epoch (at the last trained epoch) and return its history.
    pub fn test(&mut self) -> Result<Summary> {
        if !self.pipeline.get_modes().contains(&Mode::Test) {
            return Err(FeError::NoData { mode: "test".into(), ds_id: String::new() });
        }
        self.recorded(Mode::Test, |est| est.test_unrecorded())
    }

    fn test_unrecorded(&mut self) -> Result<Summary> {
        self.with_traces(Mode::Test, |est, traces| {
            est.sync_with_rank0()?;
            est.plan(traces, &[Mode::Test], false)?;
            est.describe_run(traces);
            let mut system = est.new_system();
            let active = est.begin_test(traces, &mut system)?;
            est.run_epoch(traces, &mut system, Mode::Test)?;
            Estimator::end_test(traces, &active, system)
        })
    }
}
