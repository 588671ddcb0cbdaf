//! `LRScheduler`: set the learning rate from a function of the step or the epoch.

use crate::error::Result;
use crate::model::Model;
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};
use crate::util::Mode;

type LrFn = dyn Fn(u64) -> f64 + Send;

enum Unit {
    Step,
    Epoch,
}

/// Set `model`'s learning rate to `lr_fn(step)` before every training step, or `lr_fn(epoch)`
/// before every training epoch (FE's `LRScheduler`, which picks by the function's argument
/// name). Logs `<model>_lr` at every log step.
///
/// ```no_run
/// use fastestimator as fe;
/// use fe::schedule::cosine_decay;
/// use fe::trace::adapt::LRScheduler;
/// let model = fe::build(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
/// let sched = LRScheduler::by_step(&model, |step| cosine_decay(step, 3750, 1e-3, 1e-6, 1, 1.0, false));
/// ```
pub struct LRScheduler {
    io: OpIo,
    model: Model,
    lr_fn: Box<LrFn>,
    unit: Unit,
}
impl_has_io!(LRScheduler);

impl LRScheduler {
    fn make(model: &Model, unit: Unit, lr_fn: Box<LrFn>) -> Self {
        let key = format!("{}_lr", model.name());
        LRScheduler { io: OpIo::new((), key).with_default_mode("train"), model: model.clone(), lr_fn, unit }
    }

    /// The learning rate as a function of the global step (1-based).
    pub fn by_step(model: &Model, lr_fn: impl Fn(u64) -> f64 + Send + 'static) -> Self {
        Self::make(model, Unit::Step, Box::new(lr_fn))
    }

    /// The learning rate as a function of the epoch (1-based).
    pub fn by_epoch(model: &Model, lr_fn: impl Fn(u64) -> f64 + Send + 'static) -> Self {
        Self::make(model, Unit::Epoch, Box::new(lr_fn))
    }
}

impl Trace for LRScheduler {
    fn name(&self) -> String {
        "LRScheduler".into()
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        if matches!(self.unit, Unit::Epoch) && system.mode == Mode::Train {
            self.model.set_lr((self.lr_fn)(system.epoch_idx as u64))?;
        }
        Ok(())
    }

    fn on_batch_begin(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        if matches!(self.unit, Unit::Step) && system.mode == Mode::Train {
            self.model.set_lr((self.lr_fn)(system.global_step))?;
        }
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        if system.mode == Mode::Train && system.is_log_step() {
            if let Some(lr) = self.model.lr() {
                data.write_with_log(self.io.outputs[0].clone(), lr);
            }
        }
        Ok(())
    }
}
