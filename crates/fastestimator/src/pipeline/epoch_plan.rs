//! Which dataset indices make up each batch of an epoch.

use std::sync::Arc;

use rand::seq::SliceRandom;

use super::shard::Shard;
use crate::util::seeded_rng;

/// The index layout of one epoch of one dataset: how many steps, and which samples each holds.
#[derive(Debug, Clone)]
pub(crate) struct EpochPlan {
    len: usize,
    batch_size: usize,
    steps: usize,
    last_position: usize,
    /// One permutation per pass over the data (identity when not shuffling).
    passes: Arc<Vec<Vec<usize>>>,
    shuffle: bool,
    seed: u64,
    /// This rank's share of each batch (and whether the last one is padded).
    shard: Option<(Shard, bool)>,
}

/// The order of dataset indices in pass `k` over `len` samples: a seeded permutation when
/// shuffling, the identity otherwise.
pub(crate) fn pass_order(len: usize, shuffle: bool, seed: u64, k: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..len).collect();
    if shuffle {
        p.shuffle(&mut seeded_rng(seed, &[k as u64]));
    }
    p
}

impl EpochPlan {
    /// `steps_per_epoch` cuts or extends the epoch; an extended epoch draws further passes over
    /// the data, each freshly shuffled when `shuffle`.
    pub(crate) fn new(
        len: usize,
        batch_size: usize,
        drop_last: bool,
        steps_per_epoch: Option<usize>,
        shuffle: bool,
        seed: u64,
    ) -> Self {
        let batch_size = batch_size.max(1);
        let natural = if drop_last { len / batch_size } else { len.div_ceil(batch_size) };
        let (steps, last_position) = match steps_per_epoch {
            Some(s) if len > 0 => (s, s * batch_size),
            Some(_) | None if len == 0 => (0, 0),
            _ => (natural, if drop_last { natural * batch_size } else { len }),
        };
        let num_passes = if len == 0 { 0 } else { last_position.div_ceil(len) };
        let passes = (0..num_passes).map(|k| pass_order(len, shuffle, seed, k)).collect();
        EpochPlan { len, batch_size, steps, last_position, passes: Arc::new(passes), shuffle, seed, shard: None }
    }

    /// The same epoch seen by one rank: each batch holds the rank's rows of the global batch
    /// (see [`Shard`]); without `pad` a rank that gets no row of the last batch has one step
    /// fewer.
    pub(crate) fn sharded(mut self, shard: Shard, pad: bool) -> Self {
        if !pad && self.steps > 0 {
            let last = self.last_position - (self.steps - 1) * self.batch_size;
            if shard.rows(last, false).is_empty() {
                self.steps -= 1;
            }
        }
        self.shard = Some((shard, pad));
        self
    }

    /// Samples the epoch delivers (FE's `samples_to_yield`): the dataset length, trimmed to whole
    /// batches with drop_last, or `steps_per_epoch * batch_size`.
    pub(crate) fn budget(&self) -> usize {
        self.last_position
    }

    /// The dataset length.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The dataset index at stream position `p`, or `None` beyond the precomputed passes.
    pub(crate) fn index_at(&self, p: usize) -> Option<usize> {
        self.passes.get(p / self.len.max(1)).map(|pass| pass[p % self.len])
    }

    /// Whether passes are shuffled, and their seed (see [`pass_order`]).
    pub(crate) fn order(&self) -> (bool, u64) {
        (self.shuffle, self.seed)
    }

    /// Number of batches in the epoch.
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }

    /// (position in epoch, dataset index) for each sample of batch `step`.
    pub(crate) fn batch(&self, step: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let start = step * self.batch_size;
        let end = ((step + 1) * self.batch_size).min(self.last_position);
        let positions: Vec<usize> = match self.shard {
            None => (start..end).collect(),
            Some((shard, pad)) => shard.rows(end.saturating_sub(start), pad).into_iter().map(|r| start + r).collect(),
        };
        positions.into_iter().map(move |p| (p, self.passes[p / self.len][p % self.len]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_epoch_covers_every_sample_once() {
        let plan = EpochPlan::new(10, 4, false, None, true, 7);
        assert_eq!(plan.steps(), 3);
        let mut seen: Vec<usize> = (0..3).flat_map(|s| plan.batch(s).map(|(_, i)| i).collect::<Vec<_>>()).collect();
        assert_eq!(plan.batch(2).count(), 2);
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn steps_per_epoch_cuts_and_extends() {
        assert_eq!(EpochPlan::new(10, 4, true, None, false, 0).steps(), 2);
        let cut = EpochPlan::new(10, 4, false, Some(1), false, 0);
        assert_eq!(cut.steps(), 1);
        let long = EpochPlan::new(10, 4, false, Some(5), true, 0);
        assert_eq!(long.steps(), 5);
        assert!((0..5).all(|s| long.batch(s).count() == 4));
    }
}
