//! `Dice`: the mean Dice score of segmentation masks over an epoch, per channel.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use ndarray::Axis;

use crate::backend::{dice_score, reduce_max, reduce_min, DiceScoreOptions};
use crate::distributed::ProcessGroup;
use crate::error::{FeError, Result};
use crate::op::OpIo;
use crate::summary::LogValue;

use super::input::to_array;
use super::metric_trace::MetricTrace;
use super::metric_trait::{Metric, MetricBatch};

/// Dice score of the masks `pred_key` against `true_key` (FE's `Dice`), both shaped
/// `[batch, channels, spatial...]` with values in `[0, 1]`.
///
/// Each batch gives one score per instance and channel ([`dice_score`] with `epsilon` 1e-8).
/// A channel empty in both masks gives no score rather than 0. At the epoch's end the score of
/// each channel is the mean over instances, and `"Dice"` is the mean over the channels not in
/// `exclude_channels`. With a `channel_mapping` and several channels, each channel is also written
/// as `"Dice_<name>"` (channels without a name use their index; with another output name, the
/// per-channel keys become `<name>_<channel>`). With `include_std` the values are
/// `(mean − std, mean, mean + std)` ([`LogValue::ValWithError`]). Per-instance logs hold the score
/// of each instance (and of each channel when there are several).
///
/// ```
/// use fastestimator::trace::metric::Dice;
/// let d = Dice::new("mask", "pred").threshold(Some(0.5)).channel_mapping([(0, "bg"), (1, "cell")]).include_std(true);
/// # let _ = d;
/// ```
pub type Dice = MetricTrace<DiceMetric>;

/// The metric behind [`Dice`].
#[derive(Debug, Clone)]
pub struct DiceMetric {
    threshold: Option<f64>,
    mask_overlap: bool,
    exclude_channels: BTreeSet<usize>,
    channel_mapping: IndexMap<usize, String>,
    include_std: bool,
    epsilon: f64,
}

impl Dice {
    /// Dice written as `"Dice"`, thresholding predictions at 0.5, with overlapping masks.
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        let metric = DiceMetric {
            threshold: Some(0.5),
            mask_overlap: true,
            exclude_channels: BTreeSet::new(),
            channel_mapping: IndexMap::new(),
            include_std: false,
            epsilon: 1e-8,
        };
        MetricTrace::from_metric(metric, OpIo::new([true_key, pred_key], "Dice").with_default_mode("eval,test"))
    }

    /// The threshold that binarizes predictions (default 0.5); `None` keeps them continuous.
    /// Use 0.0 with `mask_overlap(false)` to pick the most likely class of each pixel.
    pub fn threshold(self, threshold: Option<f64>) -> Self {
        self.with_metric(|m| m.threshold = threshold)
    }

    /// Whether a pixel may belong to several channels (default true). When false, only the
    /// largest prediction across channels counts at each pixel.
    pub fn mask_overlap(self, mask_overlap: bool) -> Self {
        self.with_metric(|m| m.mask_overlap = mask_overlap)
    }

    /// Channels left out of the reported values (a background channel, say).
    pub fn exclude_channels(self, channels: impl IntoIterator<Item = usize>) -> Self {
        let channels = channels.into_iter().collect();
        self.with_metric(|m| m.exclude_channels = channels)
    }

    /// Names of channels; with several channels, each is then reported as `Dice_<name>`.
    pub fn channel_mapping<S: Into<String>>(self, mapping: impl IntoIterator<Item = (usize, S)>) -> Self {
        let mapping = mapping.into_iter().map(|(i, s)| (i, s.into())).collect();
        self.with_metric(|m| m.channel_mapping = mapping)
    }

    /// Report `(mean − std, mean, mean + std)` instead of the mean (default false).
    pub fn include_std(self, include_std: bool) -> Self {
        self.with_metric(|m| m.include_std = include_std)
    }
}

impl DiceMetric {
    fn channel_name(&self, channel: usize) -> String {
        self.channel_mapping.get(&channel).cloned().unwrap_or_else(|| channel.to_string())
    }

    fn results(&self, per_channel: &BTreeMap<usize, Vec<f64>>, name: &str) -> Vec<(String, LogValue)> {
        let value = |mean: f64, std: f64| {
            if self.include_std {
                LogValue::ValWithError(mean - std, mean, mean + std)
            } else {
                LogValue::F64(mean)
            }
        };
        let mut out = Vec::new();
        let (mut means, mut stds) = (Vec::new(), Vec::new());
        for (&channel, scores) in per_channel {
            if self.exclude_channels.contains(&channel) {
                continue;
            }
            let (mean, std) = mean_std(scores);
            means.push(mean);
            stds.push(std);
            if per_channel.len() > 1 && !self.channel_mapping.is_empty() {
                out.push((format!("{name}_{}", self.channel_name(channel)), value(mean, std)));
            }
        }
        out.push((name.to_string(), value(mean_std(&means).0, mean_std(&stds).0)));
        out
    }
}

/// Mean and population standard deviation (`np.mean`, `np.std`); NaN when empty.
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

fn check_range(t: &tch::Tensor, key: &str, what: &str) -> Result<()> {
    let lo = reduce_min(t, &[], false).double_value(&[]);
    let hi = reduce_max(t, &[], false).double_value(&[]);
    for v in [lo, hi] {
        if !(0.0..=1.0).contains(&v) {
            return Err(FeError::InvalidValue {
                consumer: "Dice".into(),
                key: key.to_string(),
                reason: format!(
                    "{what} mask values passed to the Dice trace should range from 0 to 1, but found a value of {v}"
                ),
            });
        }
    }
    Ok(())
}

impl Metric for DiceMetric {
    /// The score of each instance (rows) and channel (columns), NaN where a channel is empty.
    type Batch = ndarray::Array2<f64>;
    /// channel → the scores of the epoch's instances
    type State = BTreeMap<usize, Vec<f64>>;

    fn name(&self) -> &str {
        "Dice"
    }

    fn read(&self, batch: &MetricBatch<'_>) -> Result<Self::Batch> {
        let (y_true, y_pred, pred_key) = (batch.tensor(0)?, batch.tensor(1)?, batch.key(1)?);
        check_range(y_pred, pred_key, "Predicted")?;
        check_range(y_true, batch.key(0)?, "Ground truth")?;
        let options = DiceScoreOptions {
            mask_overlap: self.mask_overlap,
            threshold: self.threshold,
            empty_nan: true,
            epsilon: self.epsilon,
            ..DiceScoreOptions::default()
        };
        let dice = to_array(&dice_score(y_pred, y_true, &options)?, "Dice", pred_key)?;
        let shape: Vec<i64> = dice.shape().iter().map(|&d| d as i64).collect();
        dice.into_dimensionality::<ndarray::Ix2>().map_err(|_| FeError::UnexpectedShape {
            op: "Dice".into(),
            key: pred_key.to_string(),
            expected: "[batch, channels, spatial...] (a dice score per instance and channel)".into(),
            got: shape,
        })
    }

    fn instance_logs(&self, dice: &Self::Batch, io: &OpIo) -> Vec<(String, Vec<f64>)> {
        let name = &io.outputs[0];
        let channels = dice.ncols();
        let mut logs = Vec::new();
        let instance_scores: Vec<f64> = if channels > 1 {
            let kept: Vec<usize> = (0..channels).filter(|c| !self.exclude_channels.contains(c)).collect();
            for &c in &kept {
                logs.push((format!("{name}_{}", self.channel_name(c)), dice.column(c).to_vec()));
            }
            dice.rows().into_iter().map(|row| kept.iter().map(|&c| row[c]).sum::<f64>() / kept.len() as f64).collect()
        } else {
            dice.index_axis(Axis(1), 0).to_vec()
        };
        logs.push((name.clone(), instance_scores));
        logs
    }

    fn reduce(&self, per_channel: &mut Self::State, group: &ProcessGroup) -> Result<()> {
        let mine: Vec<f64> =
            per_channel.iter().flat_map(|(&c, scores)| scores.iter().flat_map(move |&s| [c as f64, s])).collect();
        per_channel.clear();
        for pair in group.gather_f64(&mine)?.chunks_exact(2) {
            per_channel.entry(pair[0] as usize).or_default().push(pair[1]);
        }
        Ok(())
    }

    fn update(&self, per_channel: &mut Self::State, dice: &Self::Batch) -> Result<()> {
        for row in dice.rows() {
            for (channel, &score) in row.iter().enumerate() {
                if !score.is_nan() {
                    per_channel.entry(channel).or_default().push(score);
                }
            }
        }
        Ok(())
    }

    fn result(&self, per_channel: &Self::State, io: &OpIo) -> Result<Vec<(String, LogValue)>> {
        Ok(self.results(per_channel, &io.outputs[0]))
    }
}
