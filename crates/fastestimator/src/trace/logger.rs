//! `Logger`: prints FE's log lines and records every logged value in the Summary.

use std::cmp::Ordering;

use indexmap::IndexMap;

use super::{Data, Trace};
use crate::error::Result;
use crate::op::{impl_has_io, OpIo};
use crate::summary::{LogValue, System};
use crate::util::Mode;

/// Prints `FastEstimator-Start/Train/Eval/Test/Finish` lines and `Eval Progress` lines, and
/// records every logged value into `system.summary`. Added automatically, last; with
/// `log_steps` unset (a silent Estimator) it records without printing.
pub struct Logger {
    io: OpIo,
}
impl_has_io!(Logger);

impl Default for Logger {
    fn default() -> Self {
        Logger { io: OpIo::new("*", ()) }
    }
}

impl Logger {
    fn emit(&self, header: &str, data: &Data, system: &mut System, epoch: Option<usize>) {
        if system.log_steps.is_some() {
            let step = system.global_step.max(1);
            crate::output::log(&format_log_line(header, step, epoch, data.read_logs()));
        }
        let step = system.global_step;
        for (k, v) in data.read_logs() {
            system.summary.record(system.mode, k, step, v.clone());
        }
    }
}

/// Natural, case-insensitive comparison (`natsort.humansorted`): `a2 < a10`.
fn human_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, chunk)) if *d == digit => chunk.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, sa), (db, sb)) in ca.iter().zip(&cb) {
        let ord = match (da, db) {
            (true, true) => sa.parse::<u128>().unwrap_or(0).cmp(&sb.parse::<u128>().unwrap_or(0)),
            _ => sa.to_lowercase().cmp(&sb.to_lowercase()),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// Format one log line as FE does: `<header>step: N; [epoch: E; ]key: value; ...` with keys in
/// natural order and multi-element arrays on their own lines.
pub fn format_log_line(header: &str, step: u64, epoch: Option<usize>, logs: &IndexMap<String, LogValue>) -> String {
    let mut line = format!("{header}step: {step}; ");
    if let Some(e) = epoch {
        line.push_str(&format!("epoch: {e}; "));
    }
    let mut keys: Vec<&String> = logs.keys().collect();
    keys.sort_by(|a, b| human_cmp(a, b));
    for k in keys {
        let v = &logs[k];
        if v.is_multiline() {
            line.push_str(&format!("\n{k}:\n{v};"));
        } else {
            line.push_str(&format!("{k}: {v}; "));
        }
    }
    line.trim_end().to_string()
}

impl Trace for Logger {
    fn name(&self) -> String {
        "Logger".into()
    }

    fn on_begin(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        if system.mode != Mode::Test {
            self.emit("FastEstimator-Start: ", data, system, None);
        }
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        match system.mode {
            Mode::Train if system.is_log_step() => self.emit("FastEstimator-Train: ", data, system, None),
            Mode::Eval if system.log_steps.is_some() && system.eval_log_steps.contains(&system.batch_idx) => {
                let ds = if system.ds_id.is_empty() { String::new() } else { format!(" ({})", system.ds_id) };
                let mut line = format!("Eval Progress{ds}: {}/{}; ", system.batch_idx, system.steps_per_epoch);
                for (k, v) in data.read_logs() {
                    line.push_str(&format!("{k}: {v}; "));
                }
                crate::output::log(line.trim_end());
            }
            _ => {}
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let header = format!("FastEstimator-{}: ", system.mode.title());
        self.emit(&header, data, system, Some(system.epoch_idx));
        Ok(())
    }

    fn on_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        if system.mode != Mode::Test {
            self.emit("FastEstimator-Finish: ", data, system, None);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_match_fe_format() {
        let mut logs = IndexMap::new();
        logs.insert("since_best_accuracy".to_string(), LogValue::Int(0));
        logs.insert("max_accuracy".to_string(), LogValue::F64(0.9874));
        logs.insert("ce".to_string(), LogValue::F32(0.042314235));
        logs.insert("accuracy".to_string(), LogValue::F64(0.9874));
        assert_eq!(
            format_log_line("FastEstimator-Eval: ", 1875, Some(1), &logs),
            "FastEstimator-Eval: step: 1875; epoch: 1; accuracy: 0.9874; ce: 0.042314235; max_accuracy: 0.9874; since_best_accuracy: 0;"
        );
        let mut start = IndexMap::new();
        start.insert("num_device".to_string(), LogValue::Int(0));
        start.insert("logging_interval".to_string(), LogValue::Int(100));
        assert_eq!(
            format_log_line("FastEstimator-Start: ", 1, None, &start),
            "FastEstimator-Start: step: 1; logging_interval: 100; num_device: 0;"
        );
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["b10", "B2", "a"];
        v.sort_by(|a, b| human_cmp(a, b));
        assert_eq!(v, ["a", "B2", "b10"]);
    }
}
