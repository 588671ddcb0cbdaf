//! [`Pipeline`] and its builder.

use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;

use super::active_ops::ActiveOps;
use super::epoch_plan::EpochPlan;
use super::epoch_source::{EpochData, EpochKind, EpochSource, StepBatches};
use super::grouped::GroupedOps;
use super::loader::Loader;
use super::run_ops::{run_ops, EpochCtx, OpContext};
use super::shard::Shard;
use crate::backend::to_tensor;
use crate::dataset::Dataset;
use crate::error::{FeError, Result};
use crate::op::numpy::{Applied, Batch, NumpyOp, PipelineRole};
use crate::schedule::Schedule;
use crate::util::{check_ds_id, derive_seed, Mode};
use crate::value::Sample;
use crate::value::TensorMap;

type DatasetMap = IndexMap<String, Schedule<Arc<dyn Dataset>>>;

/// The data pipeline (FE's `fe.Pipeline`).
///
/// ```
/// use fastestimator as fe;
/// use fe::dataset::NumpyDataset;
/// use fe::op::numpy::Minmax;
/// use fe::{Mode, Value};
/// let ds = NumpyDataset::new([("x", Value::from((0..10).map(|i| i as f32).collect::<Vec<_>>()))]).unwrap();
/// let pipeline = fe::Pipeline::builder().train_data(ds).batch_size(4).build().unwrap();
/// let batches = pipeline.get_results(Mode::Train, 1, 1).unwrap();
/// assert_eq!(batches[0]["x"].shape(), &[4]);
/// ```
pub struct Pipeline {
    data: BTreeMap<Mode, DatasetMap>,
    batch_size: Option<Schedule<usize>>,
    ops: Vec<Arc<dyn NumpyOp>>,
    num_process: usize,
    prefetch: usize,
    seed: u64,
    /// This rank's share of every epoch, in data-parallel training.
    shard: Option<Shard>,
}

/// Builder for [`Pipeline`]; `build()` validates everything.
#[derive(Default)]
pub struct PipelineBuilder {
    data: BTreeMap<Mode, DatasetMap>,
    batch_size: Option<Schedule<usize>>,
    ops: Vec<Arc<dyn NumpyOp>>,
    num_process: Option<usize>,
    prefetch: Option<usize>,
    seed: Option<u64>,
    error: Option<FeError>,
}

impl PipelineBuilder {
    fn set(mut self, mode: Mode, data: DatasetMap) -> Self {
        self.data.insert(mode, data);
        self
    }

    /// Training data (a single dataset; its ds_id is "").
    pub fn train_data(self, ds: impl Dataset + 'static) -> Self {
        self.set(Mode::Train, IndexMap::from([(String::new(), Schedule::Fixed(Arc::new(ds) as Arc<dyn Dataset>))]))
    }
    /// Evaluation data.
    pub fn eval_data(self, ds: impl Dataset + 'static) -> Self {
        self.set(Mode::Eval, IndexMap::from([(String::new(), Schedule::Fixed(Arc::new(ds) as Arc<dyn Dataset>))]))
    }
    /// Test data.
    pub fn test_data(self, ds: impl Dataset + 'static) -> Self {
        self.set(Mode::Test, IndexMap::from([(String::new(), Schedule::Fixed(Arc::new(ds) as Arc<dyn Dataset>))]))
    }
    /// Several datasets for one mode, keyed by ds_id (FE's `{ds_id: dataset}`).
    pub fn data_map(self, mode: Mode, datasets: Vec<(&str, Arc<dyn Dataset>)>) -> Self {
        let map = datasets.into_iter().map(|(k, v)| (k.to_string(), Schedule::Fixed(v))).collect();
        self.set(mode, map)
    }
    /// A dataset that changes with the epoch for one mode and ds_id (`""` for a single dataset);
    /// where the schedule holds `None`, the mode has no data that epoch.
    pub fn data_schedule(mut self, mode: Mode, ds_id: &str, datasets: impl Into<Schedule<Arc<dyn Dataset>>>) -> Self {
        self.data.entry(mode).or_default().insert(ds_id.to_string(), datasets.into());
        self
    }
    /// A batch size that changes with the epoch (FE's scheduled `batch_size`).
    pub fn batch_size_schedule(mut self, sizes: impl Into<Schedule<usize>>) -> Self {
        let sizes = sizes.into();
        if sizes.all().contains(&&0) {
            self.error = Some(FeError::param("Pipeline", "batch_size", "must be at least 1"));
        }
        self.batch_size = Some(sizes);
        self
    }
    /// Default batch size (a Batch op's own size takes precedence).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        if batch_size == 0 {
            self.error = Some(FeError::param("Pipeline", "batch_size", "must be at least 1"));
        }
        self.batch_size = Some(Schedule::Fixed(batch_size));
        self
    }
    /// The NumpyOps, in order.
    pub fn ops(mut self, ops: Vec<Box<dyn NumpyOp>>) -> Self {
        self.ops = ops.into_iter().map(Arc::from).collect();
        self
    }
    /// Number of worker threads (default: half the cores, at least 1, so libtorch keeps the
    /// rest; with several processes on one machine, half of each process's share of the cores;
    /// 0 means 1).
    pub fn num_process(mut self, n: usize) -> Self {
        self.num_process = Some(n.max(1));
        self
    }
    /// Finished batches each worker may queue ahead (default 4).
    pub fn prefetch(mut self, n: usize) -> Self {
        self.prefetch = Some(n.max(1));
        self
    }
    /// The seed for shuffling and random ops (default: the global deterministic seed if set,
    /// else random).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Validate and build.
    pub fn build(self) -> Result<Pipeline> {
        crate::runtime::tune_allocator();
        if let Some(e) = self.error {
            return Err(e);
        }
        for datasets in self.data.values() {
            if datasets.len() > 1 || datasets.keys().any(|k| !k.is_empty()) {
                for id in datasets.keys() {
                    check_ds_id(id)?;
                }
            }
        }
        for op in &self.ops {
            op.io().validate(&op.name())?;
            if let Some(s) = op.as_scheduled() {
                for inner in s.all() {
                    inner.io().validate(&inner.name())?;
                }
            }
        }
        let pipeline = Pipeline {
            data: self.data,
            batch_size: self.batch_size,
            ops: self.ops,
            num_process: self.num_process.unwrap_or_else(default_workers),
            prefetch: self.prefetch.unwrap_or(4),
            seed: self.seed.or_else(crate::runtime::deterministic_seed).unwrap_or_else(rand::random),
            shard: None,
        };
        for epoch in pipeline.change_epochs(usize::MAX) {
            for (&mode, datasets) in &pipeline.data {
                for id in datasets.keys() {
                    pipeline.active_ops(mode, epoch, id)?;
                }
            }
        }
        Ok(pipeline)
    }
}

/// Half of this process's share of the cores (the machine's cores divided among the
/// `LOCAL_WORLD_SIZE` processes a launcher started on it), at least 1.
fn default_workers() -> usize {
    let local_world = crate::distributed::DistributedEnv::from_env().map_or(1, |env| env.local_world_size.max(1));
    (num_cpus::get() / local_world / 2).max(1)
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        #[allow(clippy::type_complexity)]
        let data: Vec<(Mode, Vec<(&String, Option<usize>)>)> = self
            .data
            .iter()
            .map(|(m, d)| (*m, d.iter().map(|(k, v)| (k, v.at(1).map(|d| d.len()))).collect()))
            .collect();
        f.debug_struct("Pipeline")
            .field("data", &data)
            .field("batch_size", &self.batch_size.as_ref().and_then(|b| b.at(1)))
            .field("ops", &self.ops.iter().map(|o| o.name()).collect::<Vec<_>>())
            .field("num_process", &self.num_process)
            .finish()
    }
}

impl Pipeline {
    /// Start building a pipeline.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::default()
    }

    /// The seed of shuffling and random ops.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Change the seed of shuffling and random ops (a resumed run takes the saved one).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Read only this rank's share of every epoch (see [`Shard`]), or every sample with `None`.
    /// The Estimator sets this when the job runs on several processes; the batch size of every
    /// mode must then divide by the number of processes, or this is an error that names it.
    ///
    /// ```
    /// use fastestimator as fe;
    /// use fe::pipeline::Shard;
    /// let ds = fe::dataset::NumpyDataset::new([("x", fe::Value::from(vec![1.0f32; 8]))]).unwrap();
    /// let mut pipeline = fe::Pipeline::builder().train_data(ds).batch_size(4).build().unwrap();
    /// pipeline.set_shard(Some(Shard { rank: 1, world: 2 })).unwrap();
    /// let batches = pipeline.get_results(fe::util::Mode::Train, 1, 2).unwrap();
    /// assert_eq!(batches[0]["x"].shape(), &[2]); // half of each batch of 4
    /// assert!(pipeline.set_shard(Some(Shard { rank: 0, world: 3 })).is_err()); // 4 does not divide by 3
    /// assert!(pipeline.set_shard(Some(Shard { rank: 2, world: 2 })).is_err()); // no rank 2 of 2
    /// ```
    pub fn set_shard(&mut self, shard: Option<Shard>) -> Result<()> {
        if let Some(s) = shard {
            if s.world == 0 || s.rank >= s.world {
                return Err(FeError::DistributedSetting {
                    setting: "shard".into(),
                    reason: format!("rank {} is not one of {} processes (ranks 0 to world - 1)", s.rank, s.world),
                });
            }
            for (&mode, datasets) in &self.data {
                for id in datasets.keys() {
                    for epoch in self.change_epochs(usize::MAX) {
                        // A grouped dataset's items are its batches: they are split by rows.
                        let ds = self.dataset(mode, epoch, id)?;
                        if mode != Mode::Train && !ds.is_empty() && ds.len() < s.world {
                            return Err(FeError::DistributedSetting {
                                setting: format!("{mode} data{}", if id.is_empty() { String::new() } else { format!(" {id:?}") }),
                                reason: format!(
                                    "{} samples cannot give each of the {} processes one (eval and test are not padded)",
                                    ds.len(),
                                    s.world
                                ),
                            });
                        }
                        if !ds.is_grouped() {
                            s.local_batch_size(self.active_ops(mode, epoch, id)?.batching().0, mode, id)?;
                        }
                    }
                }
            }
        }
        self.shard = shard;
        Ok(())
    }

    /// This rank's share of every epoch, if the pipeline is sharded.
    pub fn shard(&self) -> Option<Shard> {
        self.shard
    }

    /// The number of worker threads that prepare batches.
    pub fn num_process(&self) -> usize {
        self.num_process
    }

    /// The names of the ops, in order.
    pub fn op_names(&self) -> Vec<String> {
        self.ops.iter().map(|op| op.name()).collect()
    }

    /// Each op's name with its keys and filters, in order.
    pub fn op_ios(&self) -> Vec<(String, crate::op::OpIo)> {
        self.ops.iter().map(|op| (op.name(), op.io().clone())).collect()
    }

    /// Every dataset in use at `epoch`: its mode, ds_id (empty when unnamed) and the dataset.
    pub fn datasets_at(&self, epoch: usize) -> Vec<(Mode, String, Arc<dyn Dataset>)> {
        let mut out = Vec::new();
        for (&mode, datasets) in &self.data {
            for (ds_id, schedule) in datasets {
                if let Some(ds) = schedule.at(epoch) {
                    out.push((mode, ds_id.clone(), Arc::clone(ds)));
                }
            }
        }
        out
    }

    /// The modes that have data in some epoch.
    pub fn get_modes(&self) -> Vec<Mode> {
        self.data.keys().copied().collect()
    }

    /// The modes that have data at `epoch`.
    pub fn get_modes_at(&self, epoch: usize) -> Vec<Mode> {
        self.data.iter().filter(|(_, d)| d.values().any(|s| s.at(epoch).is_some())).map(|(m, _)| *m).collect()
    }

    /// The ds_ids of a mode ("" for a single dataset).
    pub fn get_ds_ids(&self, mode: Mode) -> Vec<String> {
        self.data.get(&mode).map(|d| d.keys().cloned().collect()).unwrap_or_default()
    }

    /// The ds_ids of a mode that have data at `epoch`.
    pub fn get_ds_ids_at(&self, mode: Mode, epoch: usize) -> Vec<String> {
        self.data
            .get(&mode)
            .map(|d| d.iter().filter(|(_, s)| s.at(epoch).is_some()).map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }

    /// Epochs (≤ `total_epochs`) at which a scheduled dataset, batch size or op changes; the
    /// run is planned and warmed up at each of them (FE's signature epochs).
    pub fn change_epochs(&self, total_epochs: usize) -> Vec<usize> {
        let mut points: Vec<Vec<usize>> = Vec::new();
        for d in self.data.values() {
            points.extend(d.values().map(|s| s.change_epochs(total_epochs)));
        }
        if let Some(b) = &self.batch_size {
            points.push(b.change_epochs(total_epochs));
        }
        points.extend(self.ops.iter().filter_map(|o| o.as_scheduled()).map(|s| s.change_epochs(total_epochs)));
        crate::schedule::get_signature_epochs(&points, total_epochs)
    }

    pub(super) fn dataset(&self, mode: Mode, epoch: usize, ds_id: &str) -> Result<&Arc<dyn Dataset>> {
        let no_data = || FeError::NoData { mode: mode.to_string(), ds_id: ds_id.to_string() };
        self.data.get(&mode).ok_or_else(no_data)?.get(ds_id).ok_or_else(no_data)?.at(epoch).ok_or_else(no_data)
    }

    pub(super) fn active_ops(&self, mode: Mode, epoch: usize, ds_id: &str) -> Result<ActiveOps> {
        let mut active = ActiveOps {
            instance: Vec::new(),
            batch: None,
            batch_ops: Vec::new(),
            first_batch_op_index: 0,
            given_batch_size: None,
        };
        for (i, op) in self.ops.iter().enumerate() {
            let op = match op.as_scheduled() {
                Some(s) => match s.at(epoch) {
                    Some(inner) => inner,
                    None => continue,
                },
                None => op,
            };
            if !op.io().applies(mode, ds_id) {
                continue;
            }
            if let Some(b) = op.as_batch() {
                if active.batch.is_some() {
                    return Err(FeError::param(
                        "Pipeline",
                        "ops",
                        format!(
                            "you may provide at most 1 Batch op for mode {mode}{}",
                            if ds_id.is_empty() { String::new() } else { format!(" and ds_id {ds_id}") }
                        ),
                    ));
                }
                active.batch = Some(b.clone());
                active.first_batch_op_index = i as u64 + 1;
            } else if active.batch.is_some() {
                active.batch_ops.push(Arc::clone(op));
            } else {
                active.instance.push(Arc::clone(op));
            }
        }
        let pipeline_bs = self.batch_size.as_ref().and_then(|b| b.at(epoch)).copied();
        if active.batch.is_none() {
            if let Some(bs) = pipeline_bs {
                active.batch = Some(Batch::new(bs)?);
                active.first_batch_op_index = self.ops.len() as u64;
            }
        } else if let Some(b) = active.batch.as_mut() {
            if b.batch_size.is_none() {
                b.batch_size = pipeline_bs.or(Some(1));
                active.given_batch_size = pipeline_bs;
                return Ok(active);
            }
        }
        active.given_batch_size = active.batch.as_ref().and_then(|b| b.batch_size);
        Ok(active)
    }

    /// The batch size in effect for a mode, epoch and ds_id (`None`: unbatched).
    pub fn batch_size(&self, mode: Mode, epoch: usize, ds_id: &str) -> Result<Option<usize>> {
        Ok(self.active_ops(mode, epoch, ds_id)?.batch.and_then(|b| b.batch_size))
    }

    /// Number of steps in an epoch, with an optional `steps_per_epoch` override.
    pub fn steps(&self, mode: Mode, ds_id: &str, steps_per_epoch: Option<usize>) -> Result<usize> {
        Ok(self.epoch_source(mode, 1, ds_id, steps_per_epoch, false)?.steps())
    }

    pub(super) fn stream_seed(&self, mode: Mode, ds_id: &str) -> u64 {
        let ds_hash =
            ds_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        derive_seed(self.seed, &[mode as u64, ds_hash])
    }

    /// The one place that decides how an epoch runs (see [`EpochSource`]): its dataset, its
    /// batch layout (only training data is shuffled, and only when `shuffle`), and whether its
    /// batches are plain, filtered or grouped.
    fn epoch_source(
        &self,
        mode: Mode,
        epoch: usize,
        ds_id: &str,
        steps_per_epoch: Option<usize>,
        shuffle: bool,
    ) -> Result<EpochSource> {
        let ds = self.epoch_dataset(mode, epoch, ds_id)?;
        let seed = self.stream_seed(mode, ds_id);
        let order_seed = derive_seed(seed, &[epoch as u64, 0x5348_5546]);
        let ctx = EpochCtx { mode, epoch, ds_id: ds_id.to_string(), seed, shard: self.shard };
        if ds.is_grouped() {
            let ops = GroupedOps::new(&*ds, ds_id, |id| self.active_ops(mode, epoch, id))?;
            let plan = EpochPlan::new(ds.len(), 1, false, steps_per_epoch, false, order_seed);
            return Ok(EpochSource {
                data: EpochData { ds, plan, ctx },
                kind: EpochKind::Indexed(StepBatches::Grouped(ops)),
            });
        }
        let ops = self.active_ops(mode, epoch, ds_id)?;
        let (bs, drop_last) = ops.batching();
        let mut plan =
            EpochPlan::new(ds.len(), bs, drop_last, steps_per_epoch, shuffle && mode == Mode::Train, order_seed);
        if let Some(shard) = self.shard {
            shard.local_batch_size(bs, mode, ds_id)?;
            if !ops.may_filter() {
                plan = plan.sharded(shard, Shard::pads(mode));
            }
        }
        let kind = if ops.may_filter() {
            EpochKind::Filtering(Arc::new(ops))
        } else {
            EpochKind::Indexed(StepBatches::Plain(Box::new(ops)))
        };
        Ok(EpochSource { data: EpochData { ds, plan, ctx }, kind })
    }

    /// The dataset an epoch reads. A grouped dataset comes with its members batched as this
    /// mode's ops say (FE's `set_batch_sizes`): a named member gets the size of the `Batch` op
    /// that applies to its name (or the Pipeline's `batch_size`), an unnamed one the size for
    /// the pipeline's ds_id, and a member given no size keeps the dataset's own. The sizes go
    /// into a new view of the dataset; the dataset the user gave is never changed.
    pub(super) fn epoch_dataset(&self, mode: Mode, epoch: usize, ds_id: &str) -> Result<Arc<dyn Dataset>> {
        let ds = self.dataset(mode, epoch, ds_id)?;
        if !ds.is_grouped() {
            return Ok(Arc::clone(ds));
        }
        let sizes = ds
            .member_ds_ids()
            .iter()
            .map(|name| Ok(self.active_ops(mode, epoch, name.as_deref().unwrap_or(ds_id))?.given_batch_size))
            .collect::<Result<Vec<_>>>()?;
        if sizes.is_empty() {
            return Ok(Arc::clone(ds));
        }
        Ok(ds.with_member_batch_sizes(&sizes)?.unwrap_or_else(|| Arc::clone(ds)))
    }

    /// The keys of a batch after the pipeline, for planning (runs the ops on the first sample).
    pub fn output_keys(&self, mode: Mode, epoch: usize, ds_id: &str) -> Result<Vec<String>> {
        // The dataset as this mode's ops batch it: a grouped dataset whose batch sizes do not fit
        // its members reports that, not an empty dataset.
        if self.epoch_dataset(mode, epoch, ds_id)?.is_empty() {
            return Err(FeError::EmptyDataset { mode: mode.to_string(), ds_id: ds_id.to_string() });
        }
        let batch = self.get_results_for(mode, epoch, ds_id, 1)?;
        Ok(batch.first().map(|b| b.keys().cloned().collect()).unwrap_or_default())
    }

    /// A loader over one epoch of ndarray batches. `steps_per_epoch` cuts or extends the epoch.
    pub fn loader(
        &self,
        mode: Mode,
        epoch: usize,
        ds_id: &str,
        steps_per_epoch: Option<usize>,
    ) -> Result<Loader<Sample>> {
        self.epoch_source(mode, epoch, ds_id, steps_per_epoch, true)?.loader(self.num_process, self.prefetch, Ok)
    }

    /// A loader whose batches are already CPU tensors (converted in the worker threads). Text
    /// values stay behind: they have no tensor form.
    pub fn tensor_loader(
        &self,
        mode: Mode,
        epoch: usize,
        ds_id: &str,
        steps_per_epoch: Option<usize>,
    ) -> Result<Loader<TensorMap>> {
        self.tensor_loader_for(mode, epoch, ds_id, steps_per_epoch, tch::Device::Cpu)
    }

    /// [`Pipeline::tensor_loader`] for a network on `device`. For a CUDA device the workers put
    /// each batch in page-locked (pinned) memory, so the step's copy to the GPU is asynchronous
    /// and does not block it (PyTorch's `pin_memory=True` with `non_blocking=True`).
    pub fn tensor_loader_for(
        &self,
        mode: Mode,
        epoch: usize,
        ds_id: &str,
        steps_per_epoch: Option<usize>,
        device: tch::Device,
    ) -> Result<Loader<TensorMap>> {
        let pin = device.is_cuda();
        self.epoch_source(mode, epoch, ds_id, steps_per_epoch, true)?.loader(
            self.num_process,
            self.prefetch,
            move |sample| {
                Ok(sample
                    .iter()
                    .filter_map(|(k, v)| to_tensor(v).map(|t| (k.clone(), if pin { t.pin_memory(device) } else { t })))
                    .collect())
            },
        )
    }

    /// The first `num_steps` batches of an epoch (FE's `get_results`), for inspection. With
    /// several datasets in the mode, the first one is used; see [`Pipeline::get_results_for`].
    pub fn get_results(&self, mode: Mode, epoch: usize, num_steps: usize) -> Result<Vec<Sample>> {
        let ds_id = self
            .get_ds_ids(mode)
            .into_iter()
            .next()
            .ok_or(FeError::NoData { mode: mode.to_string(), ds_id: String::new() })?;
        self.get_results_for(mode, epoch, &ds_id, num_steps)
    }

    /// [`Pipeline::get_results`] for a given ds_id. Training data is not shuffled here, as in FE.
    pub fn get_results_for(&self, mode: Mode, epoch: usize, ds_id: &str, num_steps: usize) -> Result<Vec<Sample>> {
        self.epoch_source(mode, epoch, ds_id, None, false)?.results(num_steps)
    }

    /// Run the pipeline on one sample (FE's `transform`): instance ops, a batch of one, batch
    /// ops. The result has a leading batch axis of 1. If an op drops the sample (FE's
    /// `FilteredData`), the result is an empty sample.
    pub fn transform(&self, sample: Sample, mode: Mode, epoch: usize, ds_id: &str) -> Result<Sample> {
        let ops = self.active_ops(mode, epoch, ds_id)?;
        let seed = self.stream_seed(mode, ds_id);
        let mut sample = sample;
        let ctx = OpContext { mode, epoch, ds_id, seed, position: 0, first_op_index: 0, batched: false };
        if run_ops(&ops.instance, &mut sample, &ctx)? != Applied::Kept {
            return Ok(Sample::new());
        }
        let collate = ops.batch.clone().unwrap_or_else(Batch::pipeline_sized);
        let mut batch = collate.collate(vec![sample])?;
        let ctx = OpContext { batched: true, first_op_index: ops.first_batch_op_index, ..ctx };
        if run_ops(&ops.batch_ops, &mut batch, &ctx)? != Applied::Kept {
            return Ok(Sample::new());
        }
        Ok(batch)
    }
}
