//! [`InstanceTracker`]: a per-instance metric of chosen samples over time (FE's
//! `InstanceTracker`).

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::plot::{history_state, load_history, publish, read_batch, tracker_png, Line};
use crate::error::Result;
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};
use crate::util::Mode;

/// One recorded value of one instance.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InstancePoint {
    /// The mode it was recorded in.
    pub mode: Mode,
    /// The global step at the epoch's end (the plot's x axis, as in FE).
    pub step: u64,
    /// The epoch.
    pub epoch: usize,
    /// The metric's value.
    pub value: f64,
}

/// Track a per-instance metric of individual samples over time (FE's
/// `InstanceTracker(index, metric, n_max_to_keep=5, n_min_to_keep=5, list_to_keep=None,
/// epoch_frequency=1, mode='eval', ds_id=None, outputs=None)`), e.g. each sample's loss.
///
/// `index` holds each instance's id and `metric` its value (`[batch]` or `[batch, 1]`). Every
/// `epoch_frequency` epochs, each id's value in that epoch is recorded
/// ([`InstanceTracker::history`]; an id seen twice in an epoch keeps its last value). At the
/// end, the `n_max_to_keep` ids with the highest and the `n_min_to_keep` with the lowest final
/// value (per mode), plus `list_to_keep`, are kept ([`InstanceTracker::kept`]) and drawn, one
/// line each, as the run's figure `<metric>_by_<index>` ([`System::add_figure`]), also written
/// to `<save_dir>/<metric>_by_<index>.png` with [`InstanceTracker::save_dir`].
pub struct InstanceTracker {
    io: OpIo,
    n_max_to_keep: usize,
    n_min_to_keep: usize,
    list_to_keep: Vec<i64>,
    epoch_frequency: usize,
    save_dir: Option<PathBuf>,
    points: Vec<(Vec<i64>, Vec<f64>)>,
    history: IndexMap<i64, Vec<InstancePoint>>,
    kept: Vec<i64>,
}
impl_has_io!(InstanceTracker);

impl InstanceTracker {
    /// Track `metric` by the ids in `index`, in eval mode, keeping the 5 highest and 5 lowest.
    pub fn new(index: &str, metric: &str) -> Self {
        InstanceTracker {
            io: OpIo::new(vec![index, metric], format!("{metric}_by_{index}")).with_default_mode("eval"),
            n_max_to_keep: 5,
            n_min_to_keep: 5,
            list_to_keep: Vec::new(),
            epoch_frequency: 1,
            save_dir: None,
            points: Vec::new(),
            history: IndexMap::new(),
            kept: Vec::new(),
        }
    }

    /// Keep the `n` ids with the highest final value (default 5).
    pub fn n_max_to_keep(mut self, n: usize) -> Self {
        self.n_max_to_keep = n;
        self
    }

    /// Keep the `n` ids with the lowest final value (default 5).
    pub fn n_min_to_keep(mut self, n: usize) -> Self {
        self.n_min_to_keep = n;
        self
    }

    /// Always keep these ids. With both counts at 0, only these are recorded at all.
    pub fn list_to_keep(mut self, ids: impl IntoIterator<Item = i64>) -> Self {
        self.list_to_keep = ids.into_iter().collect();
        self
    }

    /// Record every `n` epochs (default 1); 0 is an [`crate::error::FeError::InvalidParameter`].
    pub fn epoch_frequency(mut self, n: usize) -> Self {
        if n == 0 {
            self.io.reject("epoch_frequency", "must be at least 1");
        }
        self.epoch_frequency = n.max(1);
        self
    }

    /// The name of the figure (FE's `outputs`; default `<metric>_by_<index>`).
    pub fn outputs(mut self, name: impl Into<String>) -> Self {
        self.io.outputs = vec![name.into()];
        self
    }

    /// Also write the figure as a PNG into `dir` (created if needed) at the end of the run.
    pub fn save_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.save_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Every value recorded, per id (ids in the order first seen).
    pub fn history(&self) -> &IndexMap<i64, Vec<InstancePoint>> {
        &self.history
    }

    /// The ids kept at the end of the run (highest, then lowest, then `list_to_keep`; each
    /// once), empty before it ends.
    pub fn kept(&self) -> &[i64] {
        &self.kept
    }

    fn only_listed(&self) -> bool {
        !self.list_to_keep.is_empty() && self.n_max_to_keep == 0 && self.n_min_to_keep == 0
    }

    fn due(&self, system: &System) -> bool {
        system.epoch_idx.is_multiple_of(self.epoch_frequency)
    }

    /// The ids to keep: per mode, the highest and lowest final values; then the listed ids.
    fn choose(&self) -> Vec<i64> {
        let mut kept: Vec<i64> = Vec::new();
        let push = |id: i64, kept: &mut Vec<i64>| {
            if !kept.contains(&id) {
                kept.push(id);
            }
        };
        let mut modes: Vec<Mode> = Vec::new();
        for p in self.history.values().flatten() {
            if !modes.contains(&p.mode) {
                modes.push(p.mode);
            }
        }
        for mode in modes {
            let mut finals: Vec<(i64, f64)> = self
                .history
                .iter()
                .filter_map(|(id, pts)| pts.iter().rev().find(|p| p.mode == mode).map(|p| (*id, p.value)))
                .collect();
            finals.sort_by(|a, b| a.1.total_cmp(&b.1));
            for (id, _) in finals.iter().rev().take(self.n_max_to_keep) {
                push(*id, &mut kept);
            }
            for (id, _) in finals.iter().take(self.n_min_to_keep) {
                push(*id, &mut kept);
            }
        }
        for id in &self.list_to_keep {
            if self.history.contains_key(id) {
                push(*id, &mut kept);
            }
        }
        kept
    }
}

impl Trace for InstanceTracker {
    fn writes_files(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        "InstanceTracker".into()
    }

    /// The history recorded so far, so a run resumed by a RestoreWizard keeps the earlier epochs.
    fn state(&self) -> serde_json::Value {
        history_state(&self.history)
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<()> {
        load_history("InstanceTracker", state, &mut self.history)
    }

    fn on_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.io.validate("InstanceTracker")?;
        self.points.clear();
        self.history.clear();
        self.kept.clear();
        Ok(())
    }

    fn on_epoch_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.points.clear();
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        if !self.due(system) {
            return Ok(());
        }
        let keys = (self.io.inputs[0].as_str(), self.io.inputs[1].as_str());
        let (ids, metric) = read_batch("InstanceTracker", data, system, keys, "id", false)?;
        self.points.push((ids, metric));
        Ok(())
    }

    fn on_epoch_end(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        if !self.due(system) {
            self.points.clear();
            return Ok(());
        }
        let mut latest: IndexMap<i64, f64> = IndexMap::new();
        for (ids, metric) in self.points.drain(..) {
            for (id, value) in ids.into_iter().zip(metric) {
                latest.insert(id, value);
            }
        }
        let only_listed = self.only_listed();
        for (id, value) in latest {
            if only_listed && !self.list_to_keep.contains(&id) {
                continue;
            }
            self.history.entry(id).or_default().push(InstancePoint {
                mode: system.mode,
                step: system.global_step,
                epoch: system.epoch_idx,
                value,
            });
        }
        Ok(())
    }

    fn on_end(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        self.kept = self.choose();
        if self.kept.is_empty() {
            return Ok(());
        }
        let lines: Vec<Line> = self
            .kept
            .iter()
            .map(|id| Line {
                name: format!("{} {id}", self.io.inputs[0]),
                points: self.history[id].iter().map(|p| (p.step as f64, p.value)).collect(),
                band: Vec::new(),
            })
            .collect();
        let title = self.io.outputs.first().cloned().unwrap_or_default();
        let png = tracker_png(&title, &self.io.inputs[1], &lines)?;
        publish("InstanceTracker", title, png, self.save_dir.as_deref(), system)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FeError;
    use crate::value::TensorMap;
    use tch::Tensor;

    fn batch(ids: &[i64], values: &[f32]) -> Data {
        let mut map = TensorMap::new();
        map.insert("idx".into(), Tensor::from_slice(ids));
        map.insert("loss".into(), Tensor::from_slice(values).reshape([-1, 1]));
        Data::new(map)
    }

    /// Epoch e gives instance i the value `values[e][i]` (ids 0..n, in two batches).
    fn drive(tracker: &mut InstanceTracker, values: &[Vec<f32>]) -> System {
        let mut system = System::standalone();
        system.mode = Mode::Eval;
        tracker.on_begin(&mut Data::default(), &mut system).unwrap();
        for (e, epoch) in values.iter().enumerate() {
            system.epoch_idx = e + 1;
            system.global_step = 5 * (e as u64 + 1);
            tracker.on_epoch_begin(&mut Data::default(), &mut system).unwrap();
            let ids: Vec<i64> = (0..epoch.len() as i64).collect();
            let half = epoch.len() / 2;
            tracker.on_batch_end(&mut batch(&ids[..half], &epoch[..half]), &mut system).unwrap();
            tracker.on_batch_end(&mut batch(&ids[half..], &epoch[half..]), &mut system).unwrap();
            tracker.on_epoch_end(&mut Data::default(), &mut system).unwrap();
        }
        crate::output::with_sink(crate::output::silent, || tracker.on_end(&mut Data::default(), &mut system)).unwrap();
        system
    }

    #[test]
    fn the_history_survives_a_checkpoint_round_trip() {
        let mut tracker = InstanceTracker::new("id", "ce");
        tracker.history.insert(7, vec![InstancePoint { mode: Mode::Eval, step: 10, epoch: 1, value: 0.5 }]);
        tracker.history.insert(-3, vec![InstancePoint { mode: Mode::Eval, step: 10, epoch: 1, value: 2.5 }]);
        let state = serde_json::to_string(&tracker.state()).expect("JSON");
        let mut resumed = InstanceTracker::new("id", "ce");
        resumed.load_state(&serde_json::from_str(&state).expect("parse")).expect("load");
        assert_eq!(resumed.history(), tracker.history());
        assert_eq!(resumed.history().keys().copied().collect::<Vec<_>>(), [7, -3], "order kept");
    }

    #[test]
    fn records_every_value_and_keeps_the_extremes_of_the_final_epoch() {
        let mut tracker = InstanceTracker::new("idx", "loss").n_max_to_keep(2).n_min_to_keep(1).list_to_keep([3]);
        let values = vec![vec![9.0, 8.0, 7.0, 6.0, 5.0, 4.0], vec![0.5, 0.1, 3.0, 0.2, 2.0, 0.3]];
        let system = drive(&mut tracker, &values);
        let h = tracker.history();
        assert_eq!(h.len(), 6);
        for (id, points) in h {
            let got: Vec<f64> = points.iter().map(|p| p.value).collect();
            let want: Vec<f64> = values.iter().map(|e| f64::from(e[*id as usize])).collect();
            assert_eq!(got, want, "id {id}");
            assert_eq!(points.iter().map(|p| p.step).collect::<Vec<_>>(), [5, 10]);
        }
        // Highest final values: 2 (3.0), 4 (2.0); lowest: 1 (0.1); listed: 3.
        assert_eq!(tracker.kept(), [2, 4, 1, 3]);
        assert_eq!(system.figures.len(), 1);
        assert_eq!(system.figures[0].title, "loss_by_idx");
    }

    #[test]
    fn frequency_and_list_only_limit_what_is_recorded() {
        let mut tracker = InstanceTracker::new("idx", "loss")
            .n_max_to_keep(0)
            .n_min_to_keep(0)
            .list_to_keep([1, 4])
            .epoch_frequency(2);
        let values = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; 4];
        drive(&mut tracker, &values);
        let h = tracker.history();
        assert_eq!(h.keys().copied().collect::<Vec<_>>(), [1, 4]);
        assert_eq!(h[&4].iter().map(|p| p.epoch).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(tracker.kept(), [1, 4]);
    }

    #[test]
    fn bad_parameters_keys_and_shapes_are_typed_errors() {
        let mut system = System::standalone();
        let err = InstanceTracker::new("idx", "loss").epoch_frequency(0).on_begin(&mut Data::default(), &mut system);
        assert!(matches!(&err, Err(FeError::InvalidParameter { param, .. }) if param == "epoch_frequency"));
        let mut tracker = InstanceTracker::new("idx", "loss");
        tracker.on_begin(&mut Data::default(), &mut system).unwrap();
        let mut map = TensorMap::new();
        map.insert("idx".into(), Tensor::from_slice(&[0i64]));
        let err = tracker.on_batch_end(&mut Data::new(map), &mut system).unwrap_err();
        assert!(matches!(&err, FeError::MissingKey { key, .. } if key == "loss"), "{err}");
        let err = tracker.on_batch_end(&mut batch(&[0, 1], &[1.0]), &mut system).unwrap_err();
        assert!(matches!(err, FeError::LengthMismatch { expected: 2, got: 1, .. }), "{err}");
        let mut map = TensorMap::new();
        map.insert("idx".into(), Tensor::zeros([2, 2], (tch::Kind::Int64, tch::Device::Cpu)));
        map.insert("loss".into(), Tensor::from_slice(&[1f32, 2.]));
        let err = tracker.on_batch_end(&mut Data::new(map), &mut system).unwrap_err();
        assert!(matches!(&err, FeError::UnexpectedShape { key, .. } if key == "idx"), "{err}");
    }
}
