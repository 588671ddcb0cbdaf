//! `TerminateOnNaN`: stop when a monitored value becomes NaN or infinite.

use crate::backend::check_nan;
use crate::error::Result;
use crate::network::Network;
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};

/// Stop training as soon as a monitored key (default: the network's loss keys) holds a NaN or
/// infinite value, printing `FastEstimator-TerminateOnNaN: NaN Detected in: <key>` (FE's
/// `TerminateOnNaN`). UpdateOps stop on a NaN loss by themselves unless `allow_nan(true)`.
pub struct TerminateOnNaN {
    io: OpIo,
    monitor_names: Vec<String>,
}
impl_has_io!(TerminateOnNaN);

impl Default for TerminateOnNaN {
    fn default() -> Self {
        TerminateOnNaN { io: OpIo::new((), ()).with_default_mode("train,eval"), monitor_names: Vec::new() }
    }
}

impl TerminateOnNaN {
    /// Watch the network's loss keys.
    pub fn new() -> Self {
        Self::default()
    }
    /// Watch these keys instead.
    pub fn monitor(mut self, keys: &[&str]) -> Self {
        self.monitor_names = keys.iter().map(|s| s.to_string()).collect();
        self
    }

    fn check(&self, data: &Data, system: &mut System) {
        for key in &self.monitor_names {
            let bad = match (data.tensor(key), data.log(key).and_then(|v| v.as_f64())) {
                (Some(t), _) => check_nan(t),
                (None, Some(x)) => !x.is_finite(),
                _ => false,
            };
            if bad {
                system.stop_training = true;
                crate::output::log(&format!("FastEstimator-TerminateOnNaN: NaN Detected in: {key}"));
                return;
            }
        }
    }
}

impl Trace for TerminateOnNaN {
    fn name(&self) -> String {
        "TerminateOnNaN".into()
    }

    fn bind(&mut self, network: &Network) -> Result<()> {
        if self.monitor_names.is_empty() {
            self.monitor_names = network.loss_keys();
        }
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        self.check(data, system);
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        self.check(data, system);
        Ok(())
    }
}
