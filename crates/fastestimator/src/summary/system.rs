//! [`System`]: the live state of a run, shared with every trace.

use std::time::Duration;

use crate::model::Model;
use crate::summary::Summary;
use crate::util::Mode;

/// What traces know about the run, and the one thing they can change: `stop_training`.
#[derive(Debug)]
pub struct System {
    /// The mode now running.
    pub mode: Mode,
    /// The dataset id now running ("" for a single dataset).
    pub ds_id: String,
    /// The global training step: 0 before training, then 1-based; only train advances it.
    pub global_step: u64,
    /// The 1-based epoch (0 before training).
    pub epoch_idx: usize,
    /// The 1-based batch index within the epoch.
    pub batch_idx: usize,
    /// Total training epochs.
    pub total_epochs: usize,
    /// Print train progress every `log_steps` steps (`None`: no logging at all; 0: epoch lines only).
    pub log_steps: Option<u64>,
    /// Number of devices used (0 on CPU, as FE prints).
    pub num_devices: usize,
    /// Steps of the current epoch.
    pub steps_per_epoch: usize,
    /// Eval progress is printed at these batch indices.
    pub eval_log_steps: Vec<usize>,
    /// Set to stop training after the current event.
    pub stop_training: bool,
    /// The models of the network (for learning-rate logging and saving).
    pub models: Vec<Model>,
    /// Everything logged so far.
    pub summary: Summary,
    /// Time the training loop spent waiting for the pipeline.
    pub data_wait: Duration,
    /// Time spent in training epochs.
    pub train_time: Duration,
    /// Time the traces' batch callbacks took in training steps.
    pub trace_time: Duration,
    /// The experiment start time (`YYYYmmdd-HHMMSS`, UTC).
    pub experiment_time: String,
    /// Pictures that traces made during the run (saliency maps, tracker plots), latest per
    /// title, in the order first added; the Traceability report embeds them.
    pub figures: Vec<Figure>,
}

/// A picture a trace made for the run's report: a title and the PNG file's bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What the picture shows, unique within a run (e.g. `gradcam (eval, epoch 3)`).
    pub title: String,
    /// The encoded PNG.
    pub png: Vec<u8>,
}

impl System {
    /// A system outside any Estimator, for driving a trace by hand (tests, experiments): one
    /// epoch, train mode, no models, logging every 100 steps.
    pub fn standalone() -> Self {
        System::new(1, Some(100), Vec::new(), 0)
    }

    pub(crate) fn new(total_epochs: usize, log_steps: Option<u64>, models: Vec<Model>, num_devices: usize) -> Self {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        System {
            mode: Mode::Train,
            ds_id: String::new(),
            global_step: 0,
            epoch_idx: 0,
            batch_idx: 0,
            total_epochs,
            log_steps,
            num_devices,
            steps_per_epoch: 0,
            eval_log_steps: Vec::new(),
            stop_training: false,
            models,
            summary: Summary::new("run"),
            data_wait: Duration::ZERO,
            train_time: Duration::ZERO,
            trace_time: Duration::ZERO,
            experiment_time: format_utc(secs),
            figures: Vec::new(),
        }
    }

    /// Keep `png` as the run's figure titled `title`, replacing an earlier one of that title
    /// (so a trace that draws every epoch leaves its latest picture) but keeping its place.
    pub fn add_figure(&mut self, title: impl Into<String>, png: Vec<u8>) {
        let title = title.into();
        match self.figures.iter_mut().find(|f| f.title == title) {
            Some(figure) => figure.png = png,
            None => self.figures.push(Figure { title, png }),
        }
    }

    /// Whether this train step is a log step (step 1 and every `log_steps`).
    pub fn is_log_step(&self) -> bool {
        match self.log_steps {
            Some(n) if n > 0 => self.global_step == 1 || self.global_step.is_multiple_of(n),
            _ => false,
        }
    }
}

fn format_utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}-{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}
