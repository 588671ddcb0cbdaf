//! The essential traces the Estimator adds itself: timing, loss monitoring, epoch averages.

use std::time::Instant;

use indexmap::IndexMap;
use tch::Kind;

use super::{Data, Trace};
use crate::backend::to_number;
use crate::error::Result;
use crate::op::{impl_has_io, OpIo};
use crate::summary::{LogValue, System};

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A monitored tensor as a log value: float32 for float tensors (as FE prints losses).
fn scalar_log(t: &tch::Tensor) -> Result<LogValue> {
    let x = to_number(&t.mean(Kind::Double))?;
    Ok(match t.kind() {
        Kind::Float | Kind::Half | Kind::BFloat16 => LogValue::F32(x as f32),
        Kind::Int64 | Kind::Int | Kind::Int16 | Kind::Int8 | Kind::Uint8 if t.numel() == 1 => LogValue::Int(x as i64),
        _ => LogValue::F64(x),
    })
}

/// Train-mode bookkeeping: monitored keys and `steps/sec` at log steps, `epoch_time(sec)`,
/// `total_time(sec)` and each model's learning rate at the end.
pub struct TrainEssential {
    io: OpIo,
    monitor_names: Vec<String>,
    begin: Option<Instant>,
    epoch_start: Option<Instant>,
    last_log: Option<Instant>,
}
impl_has_io!(TrainEssential);

impl TrainEssential {
    /// Monitor `monitor_names` (typically the loss keys).
    pub fn new(monitor_names: Vec<String>) -> Self {
        let outputs = vec!["steps/sec", "epoch_time(sec)", "total_time(sec)"];
        TrainEssential {
            io: OpIo::new((), outputs).with_default_mode("train"),
            monitor_names,
            begin: None,
            epoch_start: None,
            last_log: None,
        }
    }
}

impl Trace for TrainEssential {
    fn name(&self) -> String {
        "TrainEssential".into()
    }
    fn is_essential(&self) -> bool {
        true
    }

    fn on_begin(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        self.begin = Some(Instant::now());
        data.write_with_log("num_device", system.num_devices);
        if let Some(n) = system.log_steps {
            data.write_with_log("logging_interval", n as i64);
        }
        Ok(())
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.epoch_start = Some(Instant::now());
        self.last_log = Some(Instant::now());
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        if !system.is_log_step() {
            return Ok(());
        }
        for key in &self.monitor_names {
            if let Some(t) = data.tensor(key) {
                let v = scalar_log(t)?;
                data.write_with_log(key.clone(), v);
            }
        }
        let now = Instant::now();
        if system.global_step > 1 {
            if let (Some(last), Some(n)) = (self.last_log, system.log_steps) {
                let elapsed = now.duration_since(last).as_secs_f64().max(1e-9);
                data.write_with_log("steps/sec", round2(n as f64 / elapsed));
            }
        }
        self.last_log = Some(now);
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        if let (Some(start), Some(n)) = (self.epoch_start, system.log_steps) {
            if n > 0 {
                data.write_with_log("epoch_time(sec)", round2(start.elapsed().as_secs_f64()));
            }
        }
        Ok(())
    }

    fn on_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        if let Some(begin) = self.begin {
            data.write_with_log("total_time(sec)", round2(begin.elapsed().as_secs_f64()));
        }
        for m in &system.models {
            if let Some(lr) = m.lr() {
                data.write_with_log(format!("{}_lr", m.name()), lr);
            }
        }
        Ok(())
    }
}

/// Averages monitored keys over an eval or test epoch (mean of per-batch values, per ds_id as
/// `key|ds_id` and overall), and writes `steps/sec` at eval progress steps.
pub struct EvalEssential {
    io: OpIo,
    monitor_names: Vec<String>,
    /// ds_id → key → per-batch values (and whether the source was float32).
    values: IndexMap<String, IndexMap<String, (Vec<f64>, bool)>>,
    /// ds_id → the number of samples in each batch (to join the ranks' shares of a batch).
    rows: IndexMap<String, Vec<f64>>,
    last_log: Option<Instant>,
    name: &'static str,
}
impl_has_io!(EvalEssential);

impl EvalEssential {
    /// Monitor `monitor_names` in eval mode.
    pub fn new(monitor_names: Vec<String>) -> Self {
        Self::for_mode(monitor_names, "eval", "EvalEssential")
    }

    fn for_mode(monitor_names: Vec<String>, mode: &str, name: &'static str) -> Self {
        EvalEssential {
            io: OpIo::new((), monitor_names.clone()).with_default_mode(mode),
            monitor_names,
            values: IndexMap::new(),
            rows: IndexMap::new(),
            last_log: None,
            name,
        }
    }
}

impl Trace for EvalEssential {
    fn name(&self) -> String {
        self.name.into()
    }
    fn is_essential(&self) -> bool {
        true
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.values.clear();
        self.rows.clear();
        self.last_log = Some(Instant::now());
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let rows = data.batch().values().find_map(|t| t.size().first().copied()).unwrap_or(1);
        self.rows.entry(system.ds_id.clone()).or_default().push(rows as f64);
        let per_ds = self.values.entry(system.ds_id.clone()).or_default();
        for key in &self.monitor_names {
            if let Some(t) = data.tensor(key) {
                let x = to_number(&t.mean(Kind::Double))?;
                let slot = per_ds.entry(key.clone()).or_insert_with(|| (Vec::new(), t.kind() == Kind::Float));
                slot.0.push(x);
            }
        }
        if system.log_steps.is_some() && system.eval_log_steps.contains(&system.batch_idx) {
            let now = Instant::now();
            if system.batch_idx > 1 {
                if let Some(last) = self.last_log {
                    let prev =
                        system.eval_log_steps.iter().rev().find(|&&s| s < system.batch_idx).copied().unwrap_or(0);
                    let steps = (system.batch_idx - prev) as f64;
                    data.write_with_log("steps/sec", round2(steps / now.duration_since(last).as_secs_f64().max(1e-9)));
                }
            }
            self.last_log = Some(now);
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, _system: &mut System) -> Result<()> {
        if let Some(group) = crate::distributed::current() {
            self.join_ranks(&group)?;
        }
        let multi = self.values.len() > 1 || self.values.keys().any(|k| !k.is_empty());
        let mut overall: IndexMap<String, (Vec<f64>, bool)> = IndexMap::new();
        for (ds, keys) in &self.values {
            for (key, (vals, f32_src)) in keys {
                if multi {
                    data.write_with_log(format!("{key}|{ds}"), mean_log(vals, *f32_src));
                }
                let slot = overall.entry(key.clone()).or_insert_with(|| (Vec::new(), *f32_src));
                slot.0.extend_from_slice(vals);
            }
        }
        for (key, (vals, f32_src)) in overall {
            data.write_with_log(key, mean_log(&vals, f32_src));
        }
        Ok(())
    }
}

impl EvalEssential {
    /// In data-parallel training, turn each rank's per-batch means into the global batches'
    /// means: batch `i` of every rank is its share of global batch `i`, so the global mean is
    /// the rows-weighted mean of the shares. The epoch's value then equals the single-process
    /// one, however the last batch was split.
    fn join_ranks(&mut self, group: &crate::distributed::ProcessGroup) -> Result<()> {
        for (ds, keys) in self.values.iter_mut() {
            let rows = self.rows.get(ds).cloned().unwrap_or_default();
            let mut steps = [rows.len() as f64];
            group.max_f64(&mut steps)?;
            let steps = steps[0] as usize;
            let mut total_rows = rows.clone();
            total_rows.resize(steps, 0.0);
            group.sum_f64(&mut total_rows)?;
            for (vals, _) in keys.values_mut() {
                let mut weighted: Vec<f64> = vals.iter().zip(&rows).map(|(v, n)| v * n).collect();
                weighted.resize(steps, 0.0);
                group.sum_f64(&mut weighted)?;
                *vals = weighted.iter().zip(&total_rows).filter(|(_, &n)| n > 0.0).map(|(w, n)| w / n).collect();
            }
        }
        Ok(())
    }
}

fn mean_log(vals: &[f64], f32_src: bool) -> LogValue {
    let mean = vals.iter().sum::<f64>() / vals.len().max(1) as f64;
    if f32_src {
        LogValue::F32(mean as f32)
    } else {
        LogValue::F64(mean)
    }
}

/// The test-mode twin of [`EvalEssential`].
pub struct TestEssential;

impl TestEssential {
    /// Monitor `monitor_names` in test mode.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(monitor_names: Vec<String>) -> EvalEssential {
        EvalEssential::for_mode(monitor_names, "test", "TestEssential")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::HasIo;
    use crate::util::Mode;

    #[test]
    fn essential_names_and_modes() {
        let t = TestEssential::new(vec!["ce".into()]);
        assert_eq!(t.name(), "TestEssential");
        assert!(t.io().mode.contains(Mode::Test) && !t.io().mode.contains(Mode::Eval));
        assert!(TrainEssential::new(vec![]).io().mode.contains(Mode::Train));
    }
}
