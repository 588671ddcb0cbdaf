//! Epochs whose ops can drop samples or batches (FE's `RemoveIf` / `FilteredData`).
//!
//! Without filtering, batch `b` always holds the samples at positions `b*bs..(b+1)*bs` of the
//! epoch, so workers build whole batches independently. With filtering, which samples form a batch
//! depends on what was dropped before it, so the epoch becomes an ordered *sample stream*:
//!
//! 1. Position `p` of the stream is dataset index `pass_order(k)[p % len]` of pass `k = p / len`,
//!    the same layout as an unfiltered epoch, continued with further passes as needed.
//! 2. Workers run the per-sample ops on chunks of positions (worker `w` takes chunks `w, w + W,
//!    ...`), seeding each sample's ops by its position, exactly as in the unfiltered path.
//! 3. One assembler thread reads the chunks in order and fills batches with the samples that were
//!    kept (FE's `FEDataLoader` rules): the epoch has a budget of samples (the dataset length, or
//!    `steps_per_epoch * batch_size`). A sample dropped *with* replacement costs nothing, so a
//!    later sample takes its place; one dropped *without* replacement uses up budget, so the epoch
//!    gets shorter. A batch dropped by a per-batch op returns its samples to the budget (with
//!    replacement) or uses them up (without).
//!
//! Everything depends only on stream positions, never on timing, so the batches are identical
//! for any number of workers.

use std::sync::Arc;

use super::active_ops::ActiveOps;
use super::epoch_plan::{pass_order, EpochPlan};
use super::run_ops::{run_ops, EpochCtx};
use super::worker_pool::WorkerPool;
use crate::dataset::Dataset;
use crate::error::{FeError, Result};
use crate::op::numpy::Applied;
use crate::value::Sample;

/// What the per-sample ops did with one stream position.
pub(crate) enum SampleOutcome {
    /// The sample survived.
    Kept(Sample),
    /// An op dropped it.
    Filtered {
        /// Whether a replacement is drawn.
        replacement: bool,
    },
}

/// Maps stream positions to dataset indices, computing passes beyond the plan on demand.
struct Positions {
    plan: EpochPlan,
    cached: Option<(usize, Vec<usize>)>,
}

impl Positions {
    fn new(plan: EpochPlan) -> Self {
        Positions { plan, cached: None }
    }

    fn index(&mut self, p: usize) -> usize {
        if let Some(i) = self.plan.index_at(p) {
            return i;
        }
        let len = self.plan.len();
        let k = p / len;
        if self.cached.as_ref().is_none_or(|(ck, _)| *ck != k) {
            let (shuffle, seed) = self.plan.order();
            self.cached = Some((k, pass_order(len, shuffle, seed, k)));
        }
        self.cached.as_ref().map(|(_, order)| order[p % len]).unwrap_or(0)
    }
}

/// Fetch the sample at stream position `p` and run the per-sample ops on it.
fn process(ds: &dyn Dataset, ops: &ActiveOps, ctx: &EpochCtx, p: usize, index: usize) -> Result<SampleOutcome> {
    let mut sample = ds.get_at(index, ctx.epoch)?;
    match run_ops(&ops.instance, &mut sample, &ctx.op_context(p as u64, 0, false))? {
        Applied::Kept => Ok(SampleOutcome::Kept(sample)),
        Applied::Filtered { replacement } => Ok(SampleOutcome::Filtered { replacement }),
    }
}

/// Builds batches from the ordered outcomes of the sample stream (see the module docs).
struct Assembler {
    ops: Arc<ActiveOps>,
    ctx: EpochCtx,
    budget: usize,
    batch_size: usize,
    drop_last: bool,
    /// Samples delivered, or used up by filtering without replacement.
    yielded: usize,
    pending: Vec<Sample>,
    /// Batches formed so far (including dropped ones): seeds the per-batch ops.
    formed: u64,
    /// Stream positions dropped since the last kept sample.
    fruitless: usize,
    /// Batches dropped since the last delivered one.
    dropped_batches: usize,
    max_fruitless: usize,
    done: bool,
}

impl Assembler {
    fn new(ops: Arc<ActiveOps>, ctx: EpochCtx, plan: &EpochPlan) -> Self {
        let (batch_size, drop_last) = ops.batching();
        Assembler {
            ops,
            ctx,
            budget: plan.budget(),
            batch_size,
            drop_last,
            yielded: 0,
            pending: Vec::new(),
            formed: 0,
            fruitless: 0,
            dropped_batches: 0,
            max_fruitless: 4 * plan.len() + 1000,
            done: plan.budget() == 0,
        }
    }

    fn too_much_filtering(&self, what: &str, count: usize) -> FeError {
        FeError::Epoch {
            mode: self.ctx.mode.to_string(),
            epoch: self.ctx.epoch,
            ds_id: self.ctx.ds_id.clone(),
            reason: format!(
                "the ops dropped {count} {what} in a row (RemoveIf with replacement); the epoch cannot be filled"
            ),
        }
    }

    /// The next batch, or `None` at the end of the epoch. `next` yields the outcome of the next
    /// stream position.
    fn next_batch(&mut self, next: &mut dyn FnMut() -> Result<SampleOutcome>) -> Result<Option<Sample>> {
        loop {
            if self.done || self.yielded >= self.budget {
                self.done = true;
                return Ok(None);
            }
            while self.pending.len() < self.batch_size && self.yielded + self.pending.len() < self.budget {
                match next()? {
                    SampleOutcome::Kept(sample) => {
                        self.pending.push(sample);
                        self.fruitless = 0;
                    }
                    SampleOutcome::Filtered { replacement } => {
                        if !replacement {
                            self.yielded += 1;
                        }
                        self.fruitless += 1;
                        if self.fruitless > self.max_fruitless {
                            return Err(self.too_much_filtering("samples", self.fruitless));
                        }
                    }
                }
            }
            let n_keep = self.batch_size.min(self.budget - self.yielded).min(self.pending.len());
            let real: Vec<Sample> = self.pending.drain(..n_keep).collect();
            self.yielded += real.len();
            if real.is_empty() || (self.drop_last && real.len() < self.batch_size) {
                self.done = true;
                return Ok(None);
            }
            let Some(batch_op) = &self.ops.batch else {
                return Ok(real.into_iter().next());
            };
            let n = real.len();
            let mut batch = batch_op.collate(real)?;
            let position = self.formed | (1 << 63);
            self.formed += 1;
            let ctx = self.ctx.op_context(position, self.ops.first_batch_op_index, true);
            match run_ops(&self.ops.batch_ops, &mut batch, &ctx)? {
                Applied::Kept => {
                    self.dropped_batches = 0;
                    let mine = self.ctx.shard_batch(batch);
                    self.done |= mine.is_none();
                    return Ok(mine);
                }
                Applied::Filtered { replacement } => {
                    if replacement {
                        self.yielded -= n;
                    }
                    self.dropped_batches += 1;
                    if self.dropped_batches > self.max_fruitless {
                        return Err(self.too_much_filtering("batches", self.dropped_batches));
                    }
                }
            }
        }
    }
}

/// The first `num_steps` batches of a filtering epoch, computed in the calling thread.
pub(crate) fn results(
    ds: &dyn Dataset,
    ops: Arc<ActiveOps>,
    plan: EpochPlan,
    ctx: EpochCtx,
    num_steps: usize,
) -> Result<Vec<Sample>> {
    let mut assembler = Assembler::new(Arc::clone(&ops), ctx.clone(), &plan);
    let mut positions = Positions::new(plan);
    let mut p = 0usize;
    let mut next = || {
        let index = positions.index(p);
        let outcome = process(ds, &ops, &ctx, p, index);
        p += 1;
        outcome
    };
    let mut out = Vec::new();
    while out.len() < num_steps {
        match assembler.next_batch(&mut next)? {
            Some(batch) => out.push(batch),
            None => break,
        }
    }
    Ok(out)
}

/// The outcomes of one chunk of stream positions, computed by one worker.
type Chunk = Vec<Result<SampleOutcome>>;

/// The batches of one filtering epoch: the pool's workers run the per-sample ops on chunks of
/// stream positions, and one more worker, the assembler, reads the chunks in order and forms
/// the batches. Both stages are [`WorkerPool`]s; the assembler's yields `None` when the epoch
/// ends early.
pub(crate) fn spawn<T, C>(
    ds: Arc<dyn Dataset>,
    ops: Arc<ActiveOps>,
    plan: EpochPlan,
    ctx: EpochCtx,
    workers: usize,
    prefetch: usize,
    convert: C,
) -> Result<WorkerPool<T>>
where
    T: Send + 'static,
    C: Fn(Sample) -> Result<T> + Send + Sync + 'static,
{
    let chunk = ops.batching().0.max(1);
    let mut chunks = WorkerPool::spawn("fe-pipeline", None, workers, prefetch, |_| {
        let (ds, ops, ctx) = (Arc::clone(&ds), Arc::clone(&ops), ctx.clone());
        let mut positions = Positions::new(plan.clone());
        move |c: usize| {
            let items: Chunk = (c * chunk..(c + 1) * chunk)
                .map(|p| {
                    let index = positions.index(p);
                    process(&*ds, &ops, &ctx, p, index)
                })
                .collect();
            Ok(Some(items))
        }
    })?;
    let mut assembler = Assembler::new(ops, ctx, &plan);
    let mut current: std::vec::IntoIter<Result<SampleOutcome>> = Vec::new().into_iter();
    let mut next = move || loop {
        if let Some(item) = current.next() {
            return item;
        }
        match chunks.next_unit()? {
            Some(items) => current = items.into_iter(),
            None => return Err(FeError::Worker("a pipeline worker stopped unexpectedly".into())),
        }
    };
    WorkerPool::single("fe-pipeline-assembler", prefetch, move |_batch| match assembler.next_batch(&mut next)? {
        Some(batch) => convert(batch).map(Some),
        None => Ok(None),
    })
}
