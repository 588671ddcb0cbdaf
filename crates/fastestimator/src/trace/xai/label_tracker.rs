//! [`LabelTracker`]: a per-instance metric over time, grouped by label (FE's `LabelTracker`).

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::plot::{history_state, load_history, publish, read_batch, tracker_png, Line};
use crate::error::Result;
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};
use crate::util::Mode;

/// Which band a [`LabelTracker`] draws around each label's mean (FE's `bounds`). Each option
/// given draws one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    /// The mean ± the sample standard deviation (FE's `'std'`, the default).
    Std,
    /// The smallest and the largest value (FE's `'range'`).
    Range,
    /// The mean alone (FE's `None`).
    None,
}

crate::util::option_strings!(Bounds, "LabelTracker", "bounds", {
    Bounds::Std => "std",
    Bounds::Range => "range",
    Bounds::None => "none" | "None",
});

impl Bounds {
    fn suffix(self) -> &'static str {
        match self {
            Bounds::Std => "std",
            Bounds::Range => "range",
            Bounds::None => "mean",
        }
    }
}

/// The statistics of one label's metric values in one epoch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelPoint {
    /// The mode they were recorded in.
    pub mode: Mode,
    /// The global step at the epoch's end (the plot's x axis, as in FE).
    pub step: u64,
    /// The epoch.
    pub epoch: usize,
    /// How many instances had this label.
    pub count: usize,
    /// The mean value.
    pub mean: f64,
    /// The sample standard deviation (0 for a single instance).
    pub std: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

/// Track a per-instance metric grouped by label, epoch after epoch (FE's
/// `LabelTracker(label, metric, label_mapping=None, bounds='std', mode='eval', outputs=None)`):
/// for example each class's cross-entropy (a loss op with `average_loss(false)`).
///
/// `label` holds one class per instance (`[batch]`, `[batch, 1]`, or one-hot `[batch, classes]`),
/// `metric` one number per instance. At each epoch end the values of the epoch are grouped by
/// label and [`LabelTracker::history`] gains each label's mean, standard deviation, min and
/// max. At the end of the run a plot (one line per label over steps, with the chosen band) is
/// handed to the run as the figure `<metric>_by_<label>` ([`System::add_figure`]) and, with
/// [`LabelTracker::save_dir`], written as `<save_dir>/<metric>_by_<label>.png`.
pub struct LabelTracker {
    io: OpIo,
    label_mapping: Option<Vec<(String, i64)>>,
    bounds: Vec<Bounds>,
    save_dir: Option<PathBuf>,
    points: Vec<(Vec<i64>, Vec<f64>)>,
    history: IndexMap<String, Vec<LabelPoint>>,
}
impl_has_io!(LabelTracker);

impl LabelTracker {
    /// Track `metric` grouped by the classes in `label`, in eval mode, with a ±std band.
    pub fn new(label: &str, metric: &str) -> Self {
        LabelTracker {
            io: OpIo::new(vec![label, metric], format!("{metric}_by_{label}")).with_default_mode("eval"),
            label_mapping: None,
            bounds: vec![Bounds::Std],
            save_dir: None,
            points: Vec::new(),
            history: IndexMap::new(),
        }
    }

    /// Name the labels `{display name: label value}` and track only these (FE's
    /// `label_mapping`); other labels are skipped.
    pub fn label_mapping<S: Into<String>>(mut self, mapping: impl IntoIterator<Item = (S, i64)>) -> Self {
        self.label_mapping = Some(mapping.into_iter().map(|(name, value)| (name.into(), value)).collect());
        self
    }

    /// The bands to draw, one figure each (FE's `bounds`; default `[Bounds::Std]`). An empty
    /// list draws the mean alone.
    pub fn bounds(mut self, bounds: impl IntoIterator<Item = Bounds>) -> Self {
        let mut chosen: Vec<Bounds> = Vec::new();
        for b in bounds {
            if !chosen.contains(&b) {
                chosen.push(b);
            }
        }
        self.bounds = if chosen.is_empty() { vec![Bounds::None] } else { chosen };
        self
    }

    /// The name of the figure (FE's `outputs`; default `<metric>_by_<label>`).
    pub fn outputs(mut self, name: impl Into<String>) -> Self {
        self.io.outputs = vec![name.into()];
        self
    }

    /// Also write each figure as a PNG into `dir` (created if needed) at the end of the run.
    pub fn save_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.save_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// What was recorded: each label's statistics per epoch, labels by value (or in
    /// `label_mapping`'s order), named by `label_mapping` or by their value.
    pub fn history(&self) -> &IndexMap<String, Vec<LabelPoint>> {
        &self.history
    }

    /// The figures' titles: the output name, with the band's name when there are several.
    fn figure_titles(&self) -> Vec<(Bounds, String)> {
        let output = self.io.outputs.first().cloned().unwrap_or_default();
        match self.bounds.as_slice() {
            [one] => vec![(*one, output)],
            many => many.iter().map(|b| (*b, format!("{output} ({})", b.suffix()))).collect(),
        }
    }

    fn figure(&self, bounds: Bounds, title: &str) -> Result<Vec<u8>> {
        let lines: Vec<Line> = self
            .history
            .iter()
            .flat_map(|(label, points)| {
                let modes: Vec<Mode> = points.iter().fold(Vec::new(), |mut m, p| {
                    if !m.contains(&p.mode) {
                        m.push(p.mode);
                    }
                    m
                });
                let several = modes.len() > 1;
                modes.into_iter().map(move |mode| {
                    let mine: Vec<&LabelPoint> = points.iter().filter(|p| p.mode == mode).collect();
                    Line {
                        name: if several { format!("{label} ({mode})") } else { label.clone() },
                        points: mine.iter().map(|p| (p.step as f64, p.mean)).collect(),
                        band: match bounds {
                            Bounds::Std => {
                                mine.iter().map(|p| (p.step as f64, p.mean - p.std, p.mean + p.std)).collect()
                            }
                            Bounds::Range => mine.iter().map(|p| (p.step as f64, p.min, p.max)).collect(),
                            Bounds::None => Vec::new(),
                        },
                    }
                })
            })
            .collect();
        let metric = &self.io.inputs[1];
        let y = match bounds {
            Bounds::Std => format!("{metric} (mean ± std)"),
            Bounds::Range => format!("{metric} (min, mean, max)"),
            Bounds::None => metric.clone(),
        };
        tracker_png(title, &y, &lines)
    }
}

fn stats(values: &[f64]) -> (f64, f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, std, min, max)
}

impl Trace for LabelTracker {
    fn writes_files(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        "LabelTracker".into()
    }

    /// The history recorded so far, so a run resumed by a RestoreWizard keeps the earlier epochs.
    fn state(&self) -> serde_json::Value {
        history_state(&self.history)
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<()> {
        load_history("LabelTracker", state, &mut self.history)
    }

    fn on_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.io.validate("LabelTracker")?;
        self.points.clear();
        self.history.clear();
        if let Some(mapping) = &self.label_mapping {
            for (name, _) in mapping {
                self.history.insert(name.clone(), Vec::new());
            }
        }
        Ok(())
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.points.clear();
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let keys = (self.io.inputs[0].as_str(), self.io.inputs[1].as_str());
        let (labels, metric) = read_batch("LabelTracker", data, system, keys, "label", true)?;
        self.points.push((labels, metric));
        Ok(())
    }

    fn on_epoch_end(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        let mut grouped: IndexMap<i64, Vec<f64>> = IndexMap::new();
        for (labels, metric) in self.points.drain(..) {
            for (label, value) in labels.into_iter().zip(metric) {
                grouped.entry(label).or_default().push(value);
            }
        }
        for (label, values) in grouped {
            let name = match &self.label_mapping {
                Some(mapping) => match mapping.iter().find(|(_, v)| *v == label) {
                    Some((name, _)) => name.clone(),
                    None => continue,
                },
                None => label.to_string(),
            };
            let (mean, std, min, max) = stats(&values);
            self.history.entry(name).or_default().push(LabelPoint {
                mode: system.mode,
                step: system.global_step,
                epoch: system.epoch_idx,
                count: values.len(),
                mean,
                std,
                min,
                max,
            });
        }
        if self.label_mapping.is_none() {
            // Labels by value (0, 1, 2, ... 10), whatever order the batches showed them in.
            self.history.sort_by(|a, _, b, _| a.parse::<i64>().ok().cmp(&b.parse::<i64>().ok()));
        }
        Ok(())
    }

    fn on_end(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        if self.history.values().all(Vec::is_empty) {
            return Ok(());
        }
        for (bounds, title) in self.figure_titles() {
            let png = self.figure(bounds, &title)?;
            publish("LabelTracker", title, png, self.save_dir.as_deref(), system)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FeError;
    use crate::value::TensorMap;
    use tch::Tensor;

    fn batch(label: Tensor, metric: Tensor) -> Data {
        let mut map = TensorMap::new();
        map.insert("y".into(), label);
        map.insert("ce".into(), metric);
        Data::new(map)
    }

    /// Run `epochs`, each a list of (labels, values) batches, in eval mode, 10 steps apart.
    fn drive(tracker: &mut LabelTracker, epochs: Vec<Vec<(Vec<i64>, Vec<f32>)>>) -> Result<System> {
        let mut system = System::standalone();
        system.mode = Mode::Eval;
        tracker.on_begin(&mut Data::default(), &mut system)?;
        for (e, batches) in epochs.into_iter().enumerate() {
            system.epoch_idx = e + 1;
            system.global_step = 10 * (e as u64 + 1);
            tracker.on_epoch_begin(&mut Data::default(), &mut system)?;
            for (labels, values) in batches {
                tracker
                    .on_batch_end(&mut batch(Tensor::from_slice(&labels), Tensor::from_slice(&values)), &mut system)?;
            }
            tracker.on_epoch_end(&mut Data::default(), &mut system)?;
        }
        crate::output::with_sink(crate::output::silent, || tracker.on_end(&mut Data::default(), &mut system))?;
        Ok(system)
    }

    #[test]
    fn the_history_survives_a_checkpoint_round_trip() {
        let mut tracker = LabelTracker::new("y", "ce");
        drive(&mut tracker, vec![vec![(vec![0, 1, 0], vec![1.0, 5.0, 3.0])], vec![(vec![1, 0], vec![7.0, 2.0])]])
            .expect("drive");
        let state = serde_json::to_string(&tracker.state()).expect("JSON");
        // As the Estimator resumes: the new trace's on_begin first, then the saved state.
        let mut resumed = LabelTracker::new("y", "ce");
        resumed.on_begin(&mut Data::default(), &mut System::standalone()).expect("begin");
        resumed.load_state(&serde_json::from_str(&state).expect("parse")).expect("load");
        assert_eq!(resumed.history(), tracker.history());
        assert_eq!(resumed.history()["0"].len(), 2);
        let err = resumed.load_state(&serde_json::json!([["0", "nonsense"]])).expect_err("bad state");
        assert!(matches!(err, FeError::State { ref owner, .. } if owner == "LabelTracker"), "{err}");
    }

    #[test]
    fn records_each_labels_statistics_per_epoch() {
        let mut tracker = LabelTracker::new("y", "ce");
        let system = drive(
            &mut tracker,
            vec![
                vec![(vec![0, 1, 0], vec![1.0, 5.0, 3.0]), (vec![1, 0], vec![7.0, 2.0])],
                vec![(vec![1, 1, 0], vec![0.5, 1.5, 4.0])],
            ],
        )
        .unwrap();
        let h = tracker.history();
        assert_eq!(h.keys().collect::<Vec<_>>(), ["0", "1"]);
        let zero = &h["0"];
        assert_eq!(zero.len(), 2);
        assert_eq!((zero[0].count, zero[0].mean, zero[0].min, zero[0].max), (3, 2.0, 1.0, 3.0));
        assert!((zero[0].std - 1.0).abs() < 1e-12);
        assert_eq!((zero[0].step, zero[0].epoch, zero[0].mode), (10, 1, Mode::Eval));
        assert_eq!((zero[1].count, zero[1].mean, zero[1].std), (1, 4.0, 0.0));
        let one = &h["1"];
        assert_eq!((one[0].mean, one[0].min, one[0].max), (6.0, 5.0, 7.0));
        assert_eq!((one[1].mean, one[1].step), (1.0, 20));
        assert_eq!(system.figures.len(), 1);
        assert_eq!(system.figures[0].title, "ce_by_y");
        assert!(system.figures[0].png.starts_with(b"\x89PNG"));
    }

    #[test]
    fn mapping_names_and_filters_labels_and_bounds_make_one_figure_each() {
        let dir = tempfile::tempdir().unwrap();
        let mut tracker = LabelTracker::new("y", "ce")
            .label_mapping([("cat", 1), ("dog", 2)])
            .bounds([Bounds::Std, Bounds::Range, Bounds::None])
            .save_dir(dir.path());
        // One-hot labels: rows 1, 2, 0.
        let onehot = Tensor::from_slice(&[0f32, 1., 0., 0., 0., 1., 1., 0., 0.]).reshape([3, 3]);
        let mut system = System::standalone();
        system.mode = Mode::Eval;
        tracker.on_begin(&mut Data::default(), &mut system).unwrap();
        tracker.on_batch_end(&mut batch(onehot, Tensor::from_slice(&[1f32, 2., 3.])), &mut system).unwrap();
        tracker.on_epoch_end(&mut Data::default(), &mut system).unwrap();
        crate::output::with_sink(crate::output::silent, || tracker.on_end(&mut Data::default(), &mut system)).unwrap();
        let h = tracker.history();
        assert_eq!(h.keys().collect::<Vec<_>>(), ["cat", "dog"]);
        assert_eq!((h["cat"][0].mean, h["dog"][0].mean), (1.0, 2.0));
        let titles: Vec<&str> = system.figures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles, ["ce_by_y (std)", "ce_by_y (range)", "ce_by_y (mean)"]);
        for stem in ["ce_by_y__std_", "ce_by_y__range_", "ce_by_y__mean_"] {
            assert!(dir.path().join(format!("{stem}.png")).is_file(), "{stem}");
        }
    }

    #[test]
    fn bad_keys_and_shapes_are_typed_errors() {
        let mut system = System::standalone();
        let mut tracker = LabelTracker::new("y", "ce");
        tracker.on_begin(&mut Data::default(), &mut system).unwrap();
        let mut map = TensorMap::new();
        map.insert("y".into(), Tensor::from_slice(&[0i64, 1]));
        map.insert("c".into(), Tensor::from_slice(&[0f32, 1.]));
        let err = tracker.on_batch_end(&mut Data::new(map), &mut system).unwrap_err();
        assert!(matches!(&err, FeError::MissingKey { key, .. } if key == "ce"), "{err}");
        let wide = Tensor::zeros([2, 3], (tch::Kind::Float, tch::Device::Cpu));
        let err = tracker.on_batch_end(&mut batch(Tensor::from_slice(&[0i64, 1]), wide), &mut system).unwrap_err();
        assert!(matches!(&err, FeError::UnexpectedShape { key, .. } if key == "ce"), "{err}");
        let err = tracker
            .on_batch_end(&mut batch(Tensor::from_slice(&[0i64, 1]), Tensor::from_slice(&[1f32])), &mut system)
            .unwrap_err();
        assert!(matches!(err, FeError::LengthMismatch { expected: 2, got: 1, .. }), "{err}");
        let err = tracker
            .on_batch_end(&mut batch(Tensor::from_slice(&[0.5f32]), Tensor::from_slice(&[1f32])), &mut system)
            .unwrap_err();
        assert!(matches!(&err, FeError::InvalidValue { key, .. } if key == "y"), "{err}");
    }
}
