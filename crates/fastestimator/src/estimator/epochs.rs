//! The run itself: the traces' `on_begin`, the epoch loop of `fit` (reseeding, every mode's
//! epoch, a checkpoint after each), the step loop of one epoch over each dataset, and the traces'
//! `on_end`.

use std::time::Instant;

use tch::Device;

use super::distributed::agree_to_stop;
use super::plan::sort_active;
use super::progress::StepProgress;
use super::traces::active_in;
use super::Estimator;
use crate::error::{FeError, Result};
use crate::op::tensor::NetState;
use crate::summary::{Summary, System};
use crate::trace::{Data, Trace};
use crate::util::{derive_seed, Mode};

impl Estimator {
    /// The modes `fit` runs: train, and eval when the pipeline has eval data.
    pub(super) fn fit_modes(&self) -> Result<Vec<Mode>> {
        let modes: Vec<Mode> =
            [Mode::Train, Mode::Eval].into_iter().filter(|m| self.pipeline.get_modes().contains(m)).collect();
        if !modes.contains(&Mode::Train) {
            return Err(FeError::NoData { mode: "train".into(), ds_id: String::new() });
        }
        Ok(modes)
    }

    /// A fresh `System` for a run, at the estimator's global step.
    pub(super) fn new_system(&self) -> System {
        let num_devices = match self.network.device() {
            Device::Cuda(_) => 1,
            _ => 0,
        };
        let mut system = System::new(self.epochs, self.log_steps, self.network.models().to_vec(), num_devices);
        system.global_step = self.global_step;
        if let Some(name) = &self.experiment_name {
            system.summary.name = name.clone();
        }
        system
    }

    /// `on_begin` for the traces that run in `modes`, restoring a checkpoint before the Logger
    /// starts (so its first line shows the resumed step). Returns those traces' indices.
    pub(super) fn begin_fit(
        &mut self,
        traces: &mut [Box<dyn Trace>],
        modes: &[Mode],
        system: &mut System,
    ) -> Result<Vec<usize>> {
        let active = active_in(traces, modes);
        let mut data = Data::default();
        // The Logger is always last.
        let logger = traces.len() - 1;
        for &i in active.iter().filter(|&&i| i != logger) {
            traces[i].on_begin(&mut data, system)?;
        }
        self.restore(traces, system)?;
        traces[logger].on_begin(&mut data, system)?;
        Ok(active)
    }

    /// The epochs of `fit` after the last one run: each reseeds libtorch, runs every mode that
    /// has data in that epoch, then saves a checkpoint when due; stops early when a trace asks.
    pub(super) fn run_epochs(
        &mut self,
        traces: &mut [Box<dyn Trace>],
        modes: &[Mode],
        system: &mut System,
    ) -> Result<()> {
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
                self.run_epoch(traces, system, mode)?;
                if let Some(group) = crate::distributed::current() {
                    if mode == Mode::Train {
                        // BatchNorm statistics differ per rank: take rank 0's before eval and saving.
                        self.sync_models(&group)?;
                    }
                    agree_to_stop(system, &group)?;
                }
                if system.stop_training {
                    break;
                }
            }
            self.save_checkpoint(traces, system)?;
            if system.stop_training {
                break;
            }
        }
        system.train_time = started.elapsed();
        Ok(())
    }

    /// `on_end` for the `active` traces of `fit`; returns the run's history.
    pub(super) fn end_fit(
        &mut self,
        traces: &mut [Box<dyn Trace>],
        active: &[usize],
        mut system: System,
    ) -> Result<Summary> {
        system.mode = Mode::Train;
        end_traces(traces, active, &mut system)?;
        self.global_step = system.global_step;
        let mut summary = std::mem::take(&mut system.summary);
        summary.data_wait = system.data_wait;
        summary.train_time = system.train_time;
        summary.train_steps = system.global_step;
        summary.step_profile =
            crate::network::StepProfile { traces: system.trace_time, ..self.network.take_step_profile() };
        Ok(summary)
    }

    /// Set `system` to test mode at the last trained epoch and call `on_begin` for the traces
    /// that run in test mode. Returns those traces' indices.
    pub(super) fn begin_test(&mut self, traces: &mut [Box<dyn Trace>], system: &mut System) -> Result<Vec<usize>> {
        system.mode = Mode::Test;
        system.epoch_idx = self.epoch_idx.max(1);
        let active = active_in(traces, &[Mode::Test]);
        let mut data = Data::default();
        for &i in &active {
            traces[i].on_begin(&mut data, system)?;
        }
        Ok(active)
    }

    /// `on_end` for the `active` traces of `test`; returns the test's history.
    pub(super) fn end_test(traces: &mut [Box<dyn Trace>], active: &[usize], mut system: System) -> Result<Summary> {
        end_traces(traces, active, &mut system)?;
        Ok(std::mem::take(&mut system.summary))
    }

    /// One epoch of `mode`: the epoch events around each dataset's batches, in sorted trace order.
    pub(super) fn run_epoch(&mut self, traces: &mut [Box<dyn Trace>], system: &mut System, mode: Mode) -> Result<()> {
        system.mode = mode;
        system.batch_idx = 0;
        let epoch = system.epoch_idx;
        let ds_ids = self.pipeline.get_ds_ids_at(mode, epoch);
        for t in traces.iter_mut() {
            t.set_epoch(epoch);
        }
        let active = active_in(traces, &[mode]);
        let order = sort_active(traces, &active)?;
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
            self.run_steps(traces, &ds_order, system, mode, epoch, ds_id)?;
            for &i in &ds_order {
                traces[i].on_ds_end(&mut epoch_data, system)?;
            }
            if let Some(group) = crate::distributed::current() {
                agree_to_stop(system, &group)?;
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

    /// The steps of one dataset (`ds_id`) in an epoch of `mode`: for each batch the `ds_order`
    /// traces' `on_batch_begin`, the network's step, then their `on_batch_end`.
    fn run_steps(
        &mut self,
        traces: &mut [Box<dyn Trace>],
        ds_order: &[usize],
        system: &mut System,
        mode: Mode,
        epoch: usize,
        ds_id: &str,
    ) -> Result<()> {
        let steps_override = match mode {
            Mode::Train => self.train_steps_per_epoch,
            Mode::Eval => self.eval_steps_per_epoch,
            _ => None,
        };
        let mut loader = self.pipeline.tensor_loader_for(mode, epoch, ds_id, steps_override, self.network.device())?;
        system.steps_per_epoch = loader.steps();
        system.eval_log_steps = self.eval_log_steps.clone().unwrap_or_else(|| default_eval_log_steps(loader.steps()));
        let progress = StepProgress::start(mode, epoch, loader.steps());
        // Training steps agree across ranks; eval and test steps need no collective.
        let group = crate::distributed::current().filter(|_| mode == Mode::Train);
        loop {
            let waited = Instant::now();
            let Some(batch) = loader.next() else { break };
            if mode == Mode::Train {
                system.data_wait += waited.elapsed();
                system.global_step += 1;
            }
            system.batch_idx += 1;
            let mut data = Data::new(batch?);
            let traces_began = Instant::now();
            for &i in ds_order {
                traces[i].on_batch_begin(&mut data, system)?;
            }
            let mut trace_time = traces_began.elapsed();
            let mut state = NetState::new(mode, epoch);
            state.ds_id = ds_id.to_string();
            state.step = if mode == Mode::Train { system.global_step } else { system.batch_idx as u64 };
            self.network.run_step(data.batch_mut(), state)?;
            if let Some(group) = &group {
                self.average_step_losses(&mut data, group)?;
            }
            let traces_ended = Instant::now();
            for &i in ds_order {
                traces[i].on_batch_end(&mut data, system)?;
            }
            if let Some(group) = &group {
                agree_to_stop(system, group)?;
            }
            trace_time += traces_ended.elapsed();
            progress.step();
            if mode == Mode::Train {
                system.trace_time += trace_time;
            }
            if system.stop_training {
                break;
            }
        }
        Ok(())
    }
}

/// `on_end` for the `active` traces, in order, sharing one `Data`; a Traceability report goes
/// after every other trace, the Logger included, so it sees the whole run (as FE does).
fn end_traces(traces: &mut [Box<dyn Trace>], active: &[usize], system: &mut System) -> Result<()> {
    let mut data = Data::default();
    let is_report = |t: &dyn Trace| t.downcast_ref::<crate::trace::io::Traceability>().is_some();
    let (reports, others): (Vec<usize>, Vec<usize>) = active.iter().partition(|&&i| is_report(traces[i].as_ref()));
    for i in others.into_iter().chain(reports) {
        traces[i].on_end(&mut data, system)?;
    }
    Ok(())
}

/// Eval progress is printed at batches 1, n/3, 2n/3 and n of an n-batch epoch.
fn default_eval_log_steps(n: usize) -> Vec<usize> {
    let mut s = vec![1, n / 3, 2 * n / 3, n];
    s.retain(|&x| x >= 1);
    s.dedup();
    s
}
