//! [`Estimator`]: `fit()` and `test()`.

use std::time::Instant;

use tch::Device;

use super::plan::{plan_mode, sort_active};
use crate::error::{FeError, Result};
use crate::network::Network;
use crate::op::tensor::NetState;
use crate::pipeline::Pipeline;
use crate::summary::{Summary, System};
use crate::trace::io::RunState;
use crate::trace::{Data, EvalEssential, Logger, TestEssential, Trace, TrainEssential};
use crate::util::derive_seed;
use crate::util::Mode;

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
    pipeline: Pipeline,
    network: Network,
    epochs: usize,
    train_steps_per_epoch: Option<usize>,
    eval_steps_per_epoch: Option<usize>,
    traces: Vec<Box<dyn Trace>>,
    log_steps: Option<u64>,
    eval_log_steps: Option<Vec<usize>>,
    monitor_names: Vec<String>,
    user_monitor_names: Vec<String>,
    global_step: u64,
    epoch_idx: usize,
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

    /// Validate and build: checks the epoch count and key names, binds the traces to the network
    /// (resolving defaults, checking save folders) and sets libtorch's thread count.
    pub fn build(mut self) -> Result<Estimator> {
        let est = &mut self.est;
        if est.epochs == 0 {
            return Err(FeError::param("Estimator", "epochs", "must be at least 1"));
        }
        for t in est.traces.iter_mut() {
            t.io().validate(&t.name())?;
            t.bind(&est.network)?;
        }
        est.user_monitor_names = est.monitor_names.clone();
        let mut names = est.network.loss_keys();
        for n in est.monitor_names.drain(..).chain(est.traces.iter().flat_map(|t| t.monitor_names())) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names.sort();
        est.monitor_names = names;
        crate::runtime::configure_threads();
        Ok(self.est)
    }
}

/// Where a trace list came from, so user traces can be put back after a run.
struct Assembled {
    traces: Vec<Box<dyn Trace>>,
    user_start: usize,
    user_len: usize,
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
            },
        }
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

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The names of the traces a run in `mode` uses, in FE's assembly order (essential traces
    /// first, Logger last).
    pub fn trace_names(&mut self, mode: Mode) -> Vec<String> {
        let assembled = self.assemble(mode);
        let names = assembled.traces.iter().map(|t| t.name()).collect();
        self.disassemble(assembled);
        names
    }

    fn assemble(&mut self, mode: Mode) -> Assembled {
        let mut traces: Vec<Box<dyn Trace>> = Vec::new();
        if mode == Mode::Test {
            traces.push(Box::new(TestEssential::new(self.monitor_names.clone())));
        } else {
            traces.push(Box::new(TrainEssential::new(self.monitor_names.clone())));
            if self.pipeline.get_modes().contains(&Mode::Eval) {
                traces.push(Box::new(EvalEssential::new(self.monitor_names.clone())));
            }
        }
        let user_start = traces.len();
        let user_len = self.traces.len();
        traces.append(&mut self.traces);
        traces.push(Box::new(Logger::default()));
        Assembled { traces, user_start, user_len }
    }

    fn disassemble(&mut self, mut a: Assembled) {
        self.traces = a.traces.drain(a.user_start..a.user_start + a.user_len).collect();
    }

    /// Train (and evaluate after every epoch), with the warmup step. Returns the run's history.
    pub fn fit(&mut self) -> Result<Summary> {
        self.fit_with(true)
    }

    /// Train; `warmup` runs one step per mode without updating weights after planning.
    pub fn fit_with(&mut self, warmup: bool) -> Result<Summary> {
        let mut assembled = self.assemble(Mode::Train);
        let result = self.run_fit(&mut assembled.traces, warmup);
        self.disassemble(assembled);
        result
    }

    /// Run one test epoch (at the last trained epoch) and return its history.
    pub fn test(&mut self) -> Result<Summary> {
        if !self.pipeline.get_modes().contains(&Mode::Test) {
            return Err(FeError::NoData { mode: "test".into(), ds_id: String::new() });
        }
        let mut assembled = self.assemble(Mode::Test);
        let result = self.run_test(&mut assembled.traces);
        self.disassemble(assembled);
        result
    }

    fn new_system(&self) -> System {
        let num_devices = match self.network.device() {
            Device::Cuda(_) => 1,
            _ => 0,
        };
        System::new(self.epochs, self.log_steps, self.network.models().to_vec(), num_devices)
    }

    /// Plan (and with `warmup`, run one weight-free step) for every signature epoch — each
    /// distinct configuration of scheduled datasets, batch sizes, ops and traces — × mode × ds_id.
    fn plan(&mut self, traces: &mut [Box<dyn Trace>], modes: &[Mode], warmup: bool) -> Result<()> {
        let first = self.epoch_idx.max(1);
        let epochs: Vec<usize> = if modes == [Mode::Test] {
            vec![first]
        } else {
            let mut points = vec![self.pipeline.change_epochs(self.epochs), self.network.change_epochs(self.epochs)];
            points.extend(traces.iter().map(|t| t.change_epochs(self.epochs)));
            crate::schedule::get_signature_epochs(&points, self.epochs).into_iter().filter(|&e| e >= first).collect()
        };
        // Every key of every signature epoch is checked before any batch reaches the network.
        for &epoch in &epochs {
            self.plan_epoch(traces, modes, false, epoch)?;
        }
        if warmup {
            for &epoch in &epochs {
                self.plan_epoch(traces, modes, true, epoch)?;
            }
        }
        Ok(())
    }

    /// Check the keys of one signature epoch, or (`warmup`) run its weight-free warmup steps.
    fn plan_epoch(&mut self, traces: &mut [Box<dyn Trace>], modes: &[Mode], warmup: bool, epoch: usize) -> Result<()> {
        for t in traces.iter_mut() {
            t.set_epoch(epoch);
        }
        let mut all_keys: Vec<String> = Vec::new();
        for &mode in modes {
            for ds_id in self.pipeline.get_ds_ids_at(mode, epoch) {
                if !warmup {
                    all_keys.extend(plan_mode(&self.pipeline, &self.network, traces, mode, epoch, &ds_id)?);
                } else {
                    let mut loader = self.pipeline.tensor_loader(mode, epoch, &ds_id, Some(1))?;
                    if let Some(batch) = loader.next() {
                        let mut batch = batch?;
                        let mut state = NetState::new(mode, epoch);
                        state.ds_id = ds_id.clone();
                        state.warmup = true;
                        self.network.run_step(&mut batch, state)?;
                    }
                }
            }
        }
        if let Some(missing) = self.user_monitor_names.iter().find(|n| !warmup && !all_keys.contains(n)) {
            return Err(FeError::MissingKey {
                consumer: "monitor_names".into(),
                key: missing.clone(),
                mode: modes.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("/"),
                epoch,
                ds_id: String::new(),
                closest: crate::util::closest_key(missing, all_keys.iter().map(String::as_str)),
            });
        }
        Ok(())
    }

    fn run_fit(&mut self, traces: &mut [Box<dyn Trace>], warmup: bool) -> Result<Summary> {
        let modes: Vec<Mode> =
            [Mode::Train, Mode::Eval].into_iter().filter(|m| self.pipeline.get_modes().contains(m)).collect();
        if !modes.contains(&Mode::Train) {
            return Err(FeError::NoData { mode: "train".into(), ds_id: String::new() });
        }
        self.plan(traces, &modes, warmup)?;
        let mut system = self.new_system();
        system.global_step = self.global_step;
        let fit_traces: Vec<usize> =
            (0..traces.len()).filter(|&i| modes.iter().any(|&m| traces[i].io().mode.contains(m))).collect();
        let mut data = Data::default();
        // The Logger (always last) starts after a restore, so its first line shows the resumed step.
        let logger = traces.len() - 1;
        for &i in fit_traces.iter().filter(|&&i| i != logger) {
            traces[i].on_begin(&mut data, &mut system)?;
        }
        self.restore(traces, &mut system)?;
        traces[logger].on_begin(&mut data, &mut system)?;
        let started = Instant::now();
        for epoch in self.epoch_idx + 1..=self.epochs {
            system.epoch_idx = epoch;
            self.epoch_idx = epoch;
            // libtorch's generator (dropout, random init in ops) restarts from (seed, epoch), so a
            // resumed run draws the same numbers as an uninterrupted one.
            {
                let _rng = crate::runtime::torch_rng_lock();
                tch::manual_seed(derive_seed(self.pipeline.seed(), &[epoch as u64, 0x7f]) as i64);
            }
            for t in traces.iter_mut() {
                t.set_epoch(epoch);
            }
            for m in self.network.models() {
                m.set_epoch(epoch);
            }
            let epoch_modes = self.pipeline.get_modes_at(epoch);
            for &mode in modes.iter().filter(|m| epoch_modes.contains(m)) {
                self.run_epoch(traces, &mut system, mode)?;
                if system.stop_training {
                    break;
                }
            }
            self.checkpoint(traces, &mut system)?;
            if system.stop_training {
                break;
            }
        }
        system.train_time = started.elapsed();
        system.mode = Mode::Train;
        let mut data = Data::default();
        for &i in &fit_traces {
            traces[i].on_end(&mut data, &mut system)?;
        }
        self.global_step = system.global_step;
        let mut summary = std::mem::take(&mut system.summary);
        summary.data_wait = system.data_wait;
        summary.train_time = system.train_time;
        summary.train_steps = system.global_step;
        Ok(summary)
    }

    /// If a RestoreWizard has a save, load it: models, optimizers, traces, counters, seeds, history.
    fn restore(&mut self, traces: &mut [Box<dyn Trace>], system: &mut System) -> Result<()> {
        let Some(w) = traces.iter_mut().position(|t| t.as_restore_wizard().is_some()) else {
            return Ok(());
        };
        let models = self.network.models().to_vec();
        let loaded = match traces[w].as_restore_wizard() {
            Some(wizard) => wizard.load(&models)?,
            None => None,
        };
        let Some((state, dir)) = loaded else { return Ok(()) };
        if state.traces.len() != traces.len()
            || state.traces.iter().zip(traces.iter()).any(|((name, _), t)| *name != t.name())
        {
            return Err(FeError::Mismatch {
                context: "RestoreWizard".into(),
                reason: format!(
                    "the save in {} was made with traces {:?}, but this run has {:?}",
                    dir.display(),
                    state.traces.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
                    traces.iter().map(|t| t.name()).collect::<Vec<_>>()
                ),
            });
        }
        for ((_, st), t) in state.traces.iter().zip(traces.iter_mut()) {
            t.load_state(st)?;
        }
        self.epoch_idx = state.epoch_idx;
        self.global_step = state.global_step;
        system.epoch_idx = state.epoch_idx;
        system.global_step = state.global_step;
        system.summary = state.summary;
        self.pipeline.set_seed(state.pipeline_seed);
        self.network.set_seed(state.network_seed);
        crate::output::log(&format!(
            "FastEstimator-RestoreWizard: Restored from {} at epoch {}, step {}",
            dir.display(),
            state.epoch_idx,
            state.global_step
        ));
        Ok(())
    }

    /// After a full epoch, let a RestoreWizard save the run if this is one of its epochs.
    fn checkpoint(&mut self, traces: &mut [Box<dyn Trace>], system: &mut System) -> Result<()> {
        let Some(w) = traces.iter_mut().position(|t| t.as_restore_wizard().is_some()) else { return Ok(()) };
        let epoch = system.epoch_idx;
        let due = traces[w].as_restore_wizard().is_some_and(|wiz| wiz.should_save(epoch));
        if !due {
            return Ok(());
        }
        let state = RunState {
            epoch_idx: epoch,
            global_step: system.global_step,
            pipeline_seed: self.pipeline.seed(),
            network_seed: self.network.seed(),
            summary: system.summary.clone(),
            traces: traces.iter().map(|t| (t.name(), t.state())).collect(),
            models: self.network.models().iter().map(|m| m.name()).collect(),
        };
        let models = self.network.models().to_vec();
        if let Some(wizard) = traces[w].as_restore_wizard() {
            let dir = wizard.save(&state, &models)?;
            crate::output::log(&format!("FastEstimator-RestoreWizard: Saved state to {}", dir.display()));
        }
        Ok(())
    }

    fn run_test(&mut self, traces: &mut [Box<dyn Trace>]) -> Result<Summary> {
        self.plan(traces, &[Mode::Test], false)?;
        let mut system = self.new_system();
        system.mode = Mode::Test;
        system.global_step = self.global_step;
        system.epoch_idx = self.epoch_idx.max(1);
        let test_traces: Vec<usize> = (0..traces.len()).filter(|&i| traces[i].io().mode.contains(Mode::Test)).collect();
        let mut data = Data::default();
        for &i in &test_traces {
            traces[i].on_begin(&mut data, &mut system)?;
        }
        self.run_epoch(traces, &mut system, Mode::Test)?;
        let mut data = Data::default();
        for &i in &test_traces {
            traces[i].on_end(&mut data, &mut system)?;
        }
        Ok(std::mem::take(&mut system.summary))
    }

    fn run_epoch(&mut self, traces: &mut [Box<dyn Trace>], system: &mut System, mode: Mode) -> Result<()> {
        system.mode = mode;
        system.batch_idx = 0;
        let epoch = system.epoch_idx;
        let ds_ids = self.pipeline.get_ds_ids_at(mode, epoch);
        for t in traces.iter_mut() {
            t.set_epoch(epoch);
        }
        let active: Vec<usize> = (0..traces.len()).filter(|&i| traces[i].io().mode.contains(mode)).collect();
        let order = sort_active(traces, &active)?;
        let steps_override = match mode {
            Mode::Train => self.train_steps_per_epoch,
            Mode::Eval => self.eval_steps_per_epoch,
            _ => None,
        };
        let mut data = Data::default();
        for &i in &order {
            traces[i].on_epoch_begin(&mut data, system)?;
        }
        // What traces write in on_ds_end joins the epoch-end data.
        let mut epoch_data = Data::default();
        for ds_id in &ds_ids {
            system.ds_id = ds_id.clone();
            system.batch_idx = 0;
            let ds_order: Vec<usize> = order.iter().copied().filter(|&i| traces[i].io().ds_id.matches(ds_id)).collect();
            let mut ds_data = Data::default();
            for &i in &ds_order {
                traces[i].on_ds_begin(&mut ds_data, system)?;
            }
            let mut loader = self.pipeline.tensor_loader(mode, epoch, ds_id, steps_override)?;
            system.steps_per_epoch = loader.steps();
            system.eval_log_steps = self.eval_log_steps.clone().unwrap_or_else(|| {
                let n = loader.steps();
                let mut s = vec![1, n / 3, 2 * n / 3, n];
                s.retain(|&x| x >= 1);
                s.dedup();
                s
            });
            loop {
                let waited = Instant::now();
                let Some(batch) = loader.next() else { break };
                if mode == Mode::Train {
                    system.data_wait += waited.elapsed();
                    system.global_step += 1;
                }
                system.batch_idx += 1;
                let mut data = Data::new(batch?);
                for &i in &ds_order {
                    traces[i].on_batch_begin(&mut data, system)?;
                }
                let mut state = NetState::new(mode, epoch);
                state.ds_id = ds_id.clone();
                state.step = if mode == Mode::Train { system.global_step } else { system.batch_idx as u64 };
                self.network.run_step(data.batch_mut(), state)?;
                for &i in &ds_order {
                    traces[i].on_batch_end(&mut data, system)?;
                }
                if system.stop_training {
                    break;
                }
            }
            for &i in &ds_order {
                traces[i].on_ds_end(&mut epoch_data, system)?;
            }
            if system.stop_training {
                break;
            }
        }
        system.ds_id.clear();
        for &i in &order {
            traces[i].on_epoch_end(&mut epoch_data, system)?;
        }
        Ok(())
    }
}
