//! `TensorBoard`: write TensorBoard event files natively: scalars, images, histograms of the
//! weights (and gradients), and the run's hyperparameters.
//!
//! `events.rs` writes the records, `proto.rs` holds the protobuf encoding, `histogram.rs` and
//! `hparams.rs` encode their messages.

mod events;
mod histogram;
mod hparams;
mod proto;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use indexmap::IndexMap;

pub use events::EventWriter;
pub use histogram::Histogram;
pub use hparams::HParamValue;

use crate::error::{FeError, Result};
use crate::model::Model;
use crate::network::Network;
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};
use crate::util::Mode;

/// How often [`TensorBoard`] writes weight histograms: every `n` training steps or every `n`
/// training epochs (FE's `weight_histogram_freq`). It also parses FE's strings: `"step"`/`"s"`,
/// `"epoch"`/`"e"`, and `"<n>s"`/`"<n>e"`; FE's plain integer means steps, here
/// `Frequency::Steps(n)`.
///
/// ```
/// use fastestimator::trace::io::Frequency;
/// assert_eq!("5e".parse::<Frequency>().unwrap(), Frequency::Epochs(5));
/// assert_eq!("step".parse::<Frequency>().unwrap(), Frequency::Steps(1));
/// assert!("0e".parse::<Frequency>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every `n` (≥ 1) training steps, after the step.
    Steps(usize),
    /// Every `n` (≥ 1) training epochs, at the end of the epoch.
    Epochs(usize),
}

impl Frequency {
    /// The count, checked to be at least 1.
    fn checked(self) -> Result<Self> {
        match self {
            Frequency::Steps(0) | Frequency::Epochs(0) => {
                Err(FeError::param("TensorBoard", "weight_histogram_freq", "must be at least 1 (step or epoch)"))
            }
            f => Ok(f),
        }
    }
}

impl FromStr for Frequency {
    type Err = FeError;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            FeError::param(
                "TensorBoard",
                "weight_histogram_freq",
                format!("expected \"step\", \"epoch\" or <n>s / <n>e (n ≥ 1), got {s:?}"),
            )
        };
        let freq = match s {
            "step" | "s" => Frequency::Steps(1),
            "epoch" | "e" => Frequency::Epochs(1),
            _ => {
                let (count, unit) = s.split_at(s.len().saturating_sub(1));
                let n: usize = count.parse().map_err(|_| bad())?;
                match unit {
                    "s" => Frequency::Steps(n),
                    "e" => Frequency::Epochs(n),
                    _ => return Err(bad()),
                }
            }
        };
        freq.checked().map_err(|_| bad())
    }
}

/// Writes every logged scalar to TensorBoard event files under `<log_dir>/<mode>/` (train values
/// at each log step and epoch end, eval/test values at epoch end), and the image tensors under
/// `write_images` keys at epoch ends (FE's `TensorBoard`).
///
/// With [`TensorBoard::weight_histogram_freq`] it also writes, in training, a histogram of every
/// trainable variable of every model of the network, tagged `<model>_<variable>` with the
/// variable's dots as slashes (`model_conv1/weight`), as FE's torch writer does; with
/// [`TensorBoard::write_gradients`], next to each the gradient the last optimizer step applied
/// (`model_conv1/weight/grad`). With [`TensorBoard::hparams`] the run's hyperparameters go to an
/// event file in `<log_dir>` itself, for TensorBoard's HParams plugin (point TensorBoard at the
/// folder holding several runs' log dirs to compare them).
///
/// ```no_run
/// use fastestimator::trace::io::{Frequency, TensorBoard};
/// let tb = TensorBoard::new("logs")
///     .weight_histogram_freq(Frequency::Epochs(1))
///     .write_gradients(true)
///     .hparams([("lr", 1e-3.into()), ("optimizer", "adam".into()), ("batch_size", 32.into())]);
/// ```
pub struct TensorBoard {
    io: OpIo,
    log_dir: PathBuf,
    write_images: Vec<String>,
    writers: IndexMap<Mode, EventWriter>,
    histogram_freq: Option<Frequency>,
    write_gradients: bool,
    hparams: IndexMap<String, HParamValue>,
    /// The `<log_dir>` event file holding the hyperparameters, once written.
    session: Option<EventWriter>,
}
impl_has_io!(TensorBoard);

impl TensorBoard {
    /// Log into `log_dir`.
    pub fn new(log_dir: impl AsRef<Path>) -> Self {
        TensorBoard {
            io: OpIo::new("*", ()),
            log_dir: log_dir.as_ref().to_path_buf(),
            write_images: Vec::new(),
            writers: IndexMap::new(),
            histogram_freq: None,
            write_gradients: false,
            hparams: IndexMap::new(),
            session: None,
        }
    }

    /// Also write the images under these keys at epoch ends.
    pub fn write_images(mut self, keys: &[&str]) -> Self {
        self.write_images = keys.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Write a histogram of every trainable variable of every model this often in training
    /// (FE's `weight_histogram_freq`; a count of 0 is refused when the Estimator is built).
    pub fn weight_histogram_freq(mut self, freq: Frequency) -> Self {
        self.histogram_freq = Some(freq);
        self
    }

    /// Also write a histogram of each variable's gradient: the one the model's last optimizer
    /// step applied (after merging or loss unscaling), so at an epoch's end the gradients of its
    /// last training step. Variables that got no gradient are skipped. Without
    /// [`TensorBoard::weight_histogram_freq`], histograms are written every epoch. While the
    /// run lasts each model keeps its last gradients (one extra copy of its trainable
    /// variables in memory).
    pub fn write_gradients(mut self, on: bool) -> Self {
        self.write_gradients = on;
        self
    }

    /// The run's hyperparameters (name → number, string or bool), written once when `fit`
    /// begins for TensorBoard's HParams plugin. Later calls add to (or replace) earlier ones.
    pub fn hparams<K: Into<String>>(mut self, hparams: impl IntoIterator<Item = (K, HParamValue)>) -> Self {
        self.hparams.extend(hparams.into_iter().map(|(k, v)| (k.into(), v)));
        self
    }

    fn histogram_freq(&self) -> Option<Frequency> {
        self.histogram_freq.or(self.write_gradients.then_some(Frequency::Epochs(1)))
    }

    fn writer(&mut self, mode: Mode) -> Result<&mut EventWriter> {
        if !self.writers.contains_key(&mode) {
            let w = EventWriter::create(&self.log_dir.join(mode.as_str()))?;
            self.writers.insert(mode, w);
        }
        Ok(self.writers.get_mut(&mode).expect("inserted above"))
    }

    fn write_logs(&mut self, data: &Data, system: &System) -> Result<()> {
        let scalars: Vec<(String, f32)> =
            data.read_logs().iter().filter_map(|(k, v)| v.as_f64().map(|x| (k.clone(), x as f32))).collect();
        if scalars.is_empty() {
            return Ok(());
        }
        let step = system.global_step as i64;
        self.writer(system.mode)?.add_scalars(step, &scalars)
    }

    /// The histograms of every model's trainable variables (and their last gradients) into the
    /// train event file at the current global step.
    fn write_weights(&mut self, models: &[Model], step: u64) -> Result<()> {
        let mut histograms = Vec::new();
        for model in models {
            let variables = model.named_trainable_variables();
            let gradients = if self.write_gradients { model.last_gradients() } else { Vec::new() };
            for (i, (name, variable)) in variables.iter().enumerate() {
                let tag = format!("{}_{}", model.name(), name.replace('.', "/"));
                histograms.push((tag.clone(), Histogram::from_tensor(variable)?));
                if let Some(grad) = gradients.get(i).filter(|g| g.defined()) {
                    histograms.push((format!("{tag}/grad"), Histogram::from_tensor(grad)?));
                }
            }
        }
        if histograms.is_empty() {
            return Ok(());
        }
        self.writer(Mode::Train)?.add_histograms(step as i64, &histograms)
    }
}

impl Trace for TensorBoard {
    fn writes_files(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        "TensorBoard".into()
    }

    fn bind(&mut self, _network: &Network) -> Result<()> {
        self.histogram_freq().map(Frequency::checked).transpose()?;
        Ok(())
    }

    fn on_begin(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        if system.mode != Mode::Train {
            return Ok(());
        }
        if self.write_gradients {
            for model in &system.models {
                model.keep_last_gradients(true);
            }
        }
        if !self.hparams.is_empty() && self.session.is_none() {
            let mut session = EventWriter::create(&self.log_dir)?;
            session.add_hparams(&self.hparams, events::now())?;
            session.flush()?;
            self.session = Some(session);
        }
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        if system.mode != Mode::Train {
            return Ok(());
        }
        if system.is_log_step() {
            self.write_logs(data, system)?;
        }
        if let Some(Frequency::Steps(n)) = self.histogram_freq() {
            if system.global_step.is_multiple_of(n as u64) {
                self.write_weights(&system.models, system.global_step)?;
            }
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        self.write_logs(data, system)?;
        let step = system.global_step as i64;
        for key in self.write_images.clone() {
            if let Some(t) = data.tensor(&key).map(|t| t.shallow_clone()) {
                let img = if t.dim() == 4 { t.get(0) } else { t };
                self.writer(system.mode)?.add_image(step, &key, &img)?;
            }
        }
        if let (Mode::Train, Some(Frequency::Epochs(n))) = (system.mode, self.histogram_freq()) {
            if system.epoch_idx.is_multiple_of(n) {
                self.write_weights(&system.models, system.global_step)?;
            }
        }
        for w in self.writers.values_mut() {
            w.flush()?;
        }
        Ok(())
    }

    fn on_end(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        for w in self.writers.values_mut() {
            w.flush()?;
        }
        if system.mode != Mode::Train {
            return Ok(());
        }
        if self.write_gradients {
            for model in &system.models {
                model.keep_last_gradients(false);
            }
        }
        if let Some(session) = self.session.as_mut() {
            session.end_hparams(system.global_step as i64, events::now())?;
            session.flush()?;
        }
        Ok(())
    }
}
