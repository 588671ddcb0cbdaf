//! Trace assembly: bind the user's traces at build time, and for each run put the essential
//! traces in front of them and the Logger behind them (FE's order), then give the user's traces
//! back. Also finds a trace by its type.

use super::distributed::runs_here;
use super::Estimator;
use crate::error::Result;
use crate::trace::{EvalEssential, Logger, TestEssential, Trace, TrainEssential};
use crate::util::Mode;

/// A run's trace list, and where the user's traces sit in it so they can be put back.
struct Assembled {
    traces: Vec<Box<dyn Trace>>,
    user_start: usize,
    user_len: usize,
}

impl Estimator {
    /// Check and bind every user trace to the network, then gather the keys the essential
    /// traces monitor: the loss keys, the user's monitor names and the traces' requests, sorted.
    pub(super) fn bind_traces(&mut self) -> Result<()> {
        for t in self.traces.iter_mut() {
            t.io().validate(&t.name())?;
            t.bind(&self.network)?;
        }
        self.user_monitor_names = self.monitor_names.clone();
        let mut names = self.network.loss_keys();
        for n in self.monitor_names.drain(..).chain(self.traces.iter().flat_map(|t| t.monitor_names())) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names.sort();
        self.monitor_names = names;
        Ok(())
    }

    /// Run `run` with the full trace list of a run in `mode`; the user's traces return to the
    /// estimator afterwards, whatever `run` returns.
    pub(super) fn with_traces<R>(&mut self, mode: Mode, run: impl FnOnce(&mut Self, &mut [Box<dyn Trace>]) -> R) -> R {
        let mut assembled = self.assemble(mode);
        let result = run(self, &mut assembled.traces);
        self.disassemble(assembled);
        result
    }

    /// The essential traces of `mode`, then the user's traces, then the Logger.
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

    /// Give the user's traces back to the estimator.
    fn disassemble(&mut self, mut a: Assembled) {
        self.traces = a.traces.drain(a.user_start..a.user_start + a.user_len).collect();
    }
}

/// The first trace of type `T` in `traces`, if any.
pub(super) fn find_trace<T: Trace>(traces: &[Box<dyn Trace>]) -> Option<&T> {
    traces.iter().find_map(|t| t.downcast_ref::<T>())
}

/// The indices of the traces that run in any of `modes`, in list order.
/// In a job on several processes, traces that only write files are active on rank 0 alone.
pub(super) fn active_in(traces: &[Box<dyn Trace>], modes: &[Mode]) -> Vec<usize> {
    (0..traces.len())
        .filter(|&i| modes.iter().any(|&m| traces[i].io().mode.contains(m)) && runs_here(traces[i].as_ref()))
        .collect()
}
