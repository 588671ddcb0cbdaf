//! `Pipeline::benchmark` (FE's `Pipeline.benchmark`): loader throughput, then the time each op
//! takes.

use std::time::{Duration, Instant};

use rand::Rng;

use super::base::Pipeline;
use crate::error::{FeError, Result};
use crate::op::numpy::{apply_op, Applied, NumpyOp, OpState};
use crate::util::{seeded_rng, Mode};
use crate::value::Sample;

/// The time one op took during [`Pipeline::benchmark`]'s breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct OpTiming {
    /// The op's name as FE prints it (`Sometimes (Rotate)`, `<Collating Batch>`).
    pub name: String,
    /// Its input keys.
    pub inputs: Vec<String>,
    /// Its output keys.
    pub outputs: Vec<String>,
    /// How many samples (or batches) it processed.
    pub visits: u64,
    /// Total time spent in it.
    pub total: Duration,
}

impl OpTiming {
    /// Milliseconds per visit.
    pub fn ms_per_visit(&self) -> f64 {
        1000.0 * self.total.as_secs_f64() / self.visits.max(1) as f64
    }
}

/// What [`Pipeline::benchmark`] measured for one dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkReport {
    /// The mode benchmarked.
    pub mode: Mode,
    /// The epoch benchmarked.
    pub epoch: usize,
    /// The ds_id ("" for a single dataset).
    pub ds_id: String,
    /// Batches delivered by the loader.
    pub steps: usize,
    /// `(step, steps per second over the last interval)` at every `log_interval` steps.
    pub steps_per_sec: Vec<(usize, f64)>,
    /// The per-op breakdown (empty unless `detailed`), in pipeline order, with the collation as
    /// a `<Collating Batch>` row.
    pub ops: Vec<OpTiming>,
}

impl BenchmarkReport {
    /// FE's breakdown table: `Op : Inputs : Outputs : ms / Visit : Visits : Time (Total)%`.
    pub fn table(&self) -> String {
        let ops = &self.ops;
        if ops.is_empty() {
            return String::new();
        }
        let total: f64 = ops.iter().map(|o| o.total.as_secs_f64()).sum::<f64>().max(f64::MIN_POSITIVE);
        let joined = |keys: &[String]| keys.join(", ");
        let op_len = ops.iter().map(|o| o.name.len()).chain([2]).max().unwrap_or(2);
        let in_len = ops.iter().map(|o| joined(&o.inputs).len()).chain(["Inputs".len()]).max().unwrap_or(6);
        let out_len = ops.iter().map(|o| joined(&o.outputs).len()).chain(["Outputs".len()]).max().unwrap_or(7);
        let max_ms = ops.iter().map(OpTiming::ms_per_visit).fold(0.0, f64::max);
        let ms_len = format!("{max_ms:.3}").len().max("ms / Visit".len());
        let visit_len = ops.iter().map(|o| o.visits.to_string().len()).chain(["Visits".len()]).max().unwrap_or(6);
        let mut s = format!(
            "{:<op$}: {:<inp$}: {:<out$}: {:<ms$}: {:<vis$}: {:>12}\n",
            "Op",
            "Inputs",
            "Outputs",
            "ms / Visit",
            "Visits",
            "Time (Total)",
            op = op_len + 1,
            inp = in_len + 1,
            out = out_len + 1,
            ms = ms_len + 1,
            vis = visit_len + 1,
        );
        s.push_str(&"-".repeat(op_len + in_len + out_len + visit_len + 37));
        s.push('\n');
        for o in ops {
            s.push_str(&format!(
                "{:<op$}: {:<inp$}: {:<out$}: {:<ms$}: {:<vis$}: {:11.2}%\n",
                o.name,
                joined(&o.inputs),
                joined(&o.outputs),
                format!("{:.3}", o.ms_per_visit()),
                o.visits,
                100.0 * o.total.as_secs_f64() / total,
                op = op_len + 1,
                inp = in_len + 1,
                out = out_len + 1,
                ms = ms_len + 1,
                vis = visit_len + 1,
            ));
        }
        s
    }
}

fn capitalized(mode: Mode) -> String {
    let m = mode.to_string();
    let mut chars = m.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

impl Pipeline {
    /// Measure the pipeline alone (FE's `Pipeline.benchmark`), for every ds_id of `mode`.
    ///
    /// The loader runs `num_steps` batches on the worker threads and prints
    /// `FastEstimator-Benchmark (Train): Step: 100, Epoch: 1, Steps/sec: ...` every
    /// `log_interval` steps. With `detailed`, it then builds `log_interval` batches from random
    /// samples in the calling thread, timing each op, and prints FE's breakdown table; meta ops
    /// appear as e.g. `Sometimes (Rotate)` and collation as `<Collating Batch>`.
    pub fn benchmark(
        &self,
        mode: Mode,
        epoch: usize,
        num_steps: usize,
        log_interval: usize,
        detailed: bool,
    ) -> Result<Vec<BenchmarkReport>> {
        let ds_ids = self.get_ds_ids(mode);
        if ds_ids.is_empty() {
            return Err(FeError::NoData { mode: mode.to_string(), ds_id: String::new() });
        }
        ds_ids.iter().map(|ds_id| self.benchmark_ds(mode, epoch, ds_id, num_steps, log_interval, detailed)).collect()
    }

    /// [`Pipeline::benchmark`] for one ds_id.
    pub fn benchmark_ds(
        &self,
        mode: Mode,
        epoch: usize,
        ds_id: &str,
        num_steps: usize,
        log_interval: usize,
        detailed: bool,
    ) -> Result<BenchmarkReport> {
        if log_interval == 0 {
            return Err(FeError::param("Pipeline.benchmark", "log_interval", "must be at least 1"));
        }
        let mode_name = capitalized(mode);
        let ds_str = if ds_id.is_empty() { String::new() } else { format!("Dataset: {ds_id}, ") };
        let mut report = BenchmarkReport {
            mode,
            epoch,
            ds_id: ds_id.to_string(),
            steps: 0,
            steps_per_sec: Vec::new(),
            ops: Vec::new(),
        };
        let loader = self.loader(mode, epoch, ds_id, Some(num_steps))?;
        let mut start = Instant::now();
        for (idx, batch) in loader.enumerate() {
            batch?;
            let step = idx + 1;
            report.steps = step;
            if step % log_interval == 0 {
                let rate = log_interval as f64 / start.elapsed().as_secs_f64();
                crate::output::log(&format!(
                    "FastEstimator-Benchmark ({mode_name}): {ds_str}Step: {step}, Epoch: {epoch}, Steps/sec: {rate}"
                ));
                report.steps_per_sec.push((step, rate));
                start = Instant::now();
            }
        }
        if detailed {
            report.ops = self.time_ops(mode, epoch, ds_id, log_interval)?;
            let ds_str = if ds_id.is_empty() { String::new() } else { format!(", Dataset: {ds_id}") };
            crate::output::log("");
            crate::output::log(&format!(
                "Breakdown of time taken by Pipeline Operations (Mode: {mode_name}, Epoch: {epoch}{ds_str})"
            ));
            crate::output::log("");
            report.table().lines().for_each(crate::output::log);
        }
        crate::output::log("");
        crate::output::log("");
        Ok(report)
    }

    /// Build `batches` batches from randomly drawn samples, timing every op.
    fn time_ops(&self, mode: Mode, epoch: usize, ds_id: &str, batches: usize) -> Result<Vec<OpTiming>> {
        let ds = self.epoch_dataset(mode, epoch, ds_id)?;
        let ops = self.active_ops(mode, epoch, ds_id)?;
        let seed = self.stream_seed(mode, ds_id);
        let timing = |op: &dyn NumpyOp| OpTiming {
            name: op.name(),
            inputs: op.io().inputs.clone(),
            outputs: op.io().outputs.clone(),
            visits: 0,
            total: Duration::ZERO,
        };
        let mut instance: Vec<OpTiming> = ops.instance.iter().map(|o| timing(o.as_ref())).collect();
        let mut collate = OpTiming {
            name: "<Collating Batch>".into(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            visits: 0,
            total: Duration::ZERO,
        };
        let mut batch_ops: Vec<OpTiming> = ops.batch_ops.iter().map(|o| timing(o.as_ref())).collect();
        if ds.is_empty() {
            return Ok(instance.into_iter().chain(ops.batch.as_ref().map(|_| collate)).chain(batch_ops).collect());
        }
        let (mut batch_size, _) = ops.batching();
        let mut rng = seeded_rng(seed, &[epoch as u64, 0xBE_4C]);
        let mut position = 0u64;
        let mut attempts = 0usize;
        // A grouped dataset's item is a whole batch: its samples are timed one by one.
        let mut group: Vec<Sample> = Vec::new();
        for b in 0..batches {
            if ds.is_grouped() {
                group = ds.get_group(rng.gen_range(0..ds.len()), epoch)?.samples;
                batch_size = group.len();
            }
            let mut samples: Vec<Sample> = Vec::with_capacity(batch_size);
            while samples.len() < batch_size {
                attempts += 1;
                if attempts > 1000 * batches * batch_size + 1000 {
                    return Err(FeError::Epoch {
                        mode: mode.to_string(),
                        epoch,
                        ds_id: ds_id.to_string(),
                        reason: "Pipeline.benchmark: the ops drop almost every sample; cannot build batches".into(),
                    });
                }
                let mut sample = match group.pop() {
                    Some(sample) => sample,
                    None if ds.is_grouped() => break,
                    None => ds.get(rng.gen_range(0..ds.len()))?,
                };
                position += 1;
                let mut kept = true;
                for (i, op) in ops.instance.iter().enumerate() {
                    let mut state = OpState::new(mode, epoch, ds_id, seed, position, i as u64);
                    let start = Instant::now();
                    let applied = apply_op(op.as_ref(), &mut sample, &mut state, false)?;
                    instance[i].total += start.elapsed();
                    instance[i].visits += 1;
                    if applied != Applied::Kept {
                        kept = false;
                        break;
                    }
                }
                if kept {
                    samples.push(sample);
                }
            }
            let Some(batch_op) = &ops.batch else { continue };
            let start = Instant::now();
            let mut batch = batch_op.collate(samples)?;
            collate.total += start.elapsed();
            collate.visits += 1;
            for (i, op) in ops.batch_ops.iter().enumerate() {
                let index = ops.first_batch_op_index + i as u64;
                let mut state = OpState::new(mode, epoch, ds_id, seed, b as u64 | (1 << 63), index);
                let start = Instant::now();
                let applied = apply_op(op.as_ref(), &mut batch, &mut state, true)?;
                batch_ops[i].total += start.elapsed();
                batch_ops[i].visits += 1;
                if applied != Applied::Kept {
                    break;
                }
            }
        }
        Ok(instance.into_iter().chain(ops.batch.as_ref().map(|_| collate)).chain(batch_ops).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_fe_columns_and_percentages() {
        let report = BenchmarkReport {
            mode: Mode::Train,
            epoch: 1,
            ds_id: String::new(),
            steps: 10,
            steps_per_sec: vec![],
            ops: vec![
                OpTiming {
                    name: "Sometimes (Rotate)".into(),
                    inputs: vec!["x".into()],
                    outputs: vec!["x".into()],
                    visits: 40,
                    total: Duration::from_millis(30),
                },
                OpTiming {
                    name: "<Collating Batch>".into(),
                    inputs: vec![],
                    outputs: vec![],
                    visits: 10,
                    total: Duration::from_millis(10),
                },
            ],
        };
        let table = report.table();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("Op ") && lines[0].contains(": Inputs ") && lines[0].ends_with("Time (Total)"));
        assert!(lines[1].chars().all(|c| c == '-'));
        assert!(lines[2].starts_with("Sometimes (Rotate)") && lines[2].ends_with("75.00%"), "{}", lines[2]);
        assert!(lines[3].starts_with("<Collating Batch>") && lines[3].ends_with("25.00%"));
        assert!(lines[2].contains(": 0.750 "), "{}", lines[2]);
    }
}
