//! [`Shard`]: one rank's share of every epoch in data-parallel training (DistributedSampler's
//! rule, applied batch by batch).
//!
//! Every rank computes the same seeded epoch order. Global batch `b` holds stream positions
//! `b·B .. b·B + n` (`B` the global batch size, `n = B` except perhaps in the last batch); rank
//! `r` of `W` takes rows `r, r + W, r + 2W, ...` of it, so its batches hold `B / W` samples and
//! the union over the ranks is exactly the single-process batch. Each sample keeps its stream
//! position, so its augmentation is the same whatever the number of ranks.
//!
//! A last batch whose `n` does not divide by `W`:
//! - in training is padded by repeating its first rows (as DistributedSampler pads), so every
//!   rank runs the same number of steps with equal batches: gradient all-reduces stay matched;
//! - in eval and test is not padded: padding would count samples twice in the metrics, and those
//!   modes run no per-step collective, so a rank may run one step fewer.

use crate::error::{FeError, Result};
use crate::util::Mode;
use crate::value::Sample;

/// Rank `rank` of `world` processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This process's global rank.
    pub rank: usize,
    /// The number of processes.
    pub world: usize,
}

impl Shard {
    /// Whether a mode's last batch is padded (training) or cut (eval, test).
    pub(crate) fn pads(mode: Mode) -> bool {
        mode == Mode::Train
    }

    /// The rows of a global batch of `n` rows that this rank takes: `rank, rank + world, ...`,
    /// padded by wrapping around to the batch's first rows when `pad`.
    pub(crate) fn rows(&self, n: usize, pad: bool) -> Vec<usize> {
        if n == 0 {
            return Vec::new();
        }
        (0..n.div_ceil(self.world))
            .map(|j| j * self.world + self.rank)
            .filter_map(|g| {
                if g < n {
                    Some(g)
                } else if pad {
                    Some(g % n)
                } else {
                    None
                }
            })
            .collect()
    }

    /// The per-rank batch size for a global `batch_size`: an error naming both when it does not
    /// divide evenly.
    pub(crate) fn local_batch_size(&self, batch_size: usize, mode: Mode, ds_id: &str) -> Result<usize> {
        if !batch_size.is_multiple_of(self.world) {
            let ds = if ds_id.is_empty() { String::new() } else { format!(" (ds_id {ds_id:?})") };
            return Err(FeError::DistributedSetting {
                setting: "batch_size".into(),
                reason: format!(
                    "the {mode} batch size{ds} is {batch_size}, which does not divide over {} processes; \
                     FE's batch_size is global (each rank runs batch_size / world_size), so choose a multiple of {}",
                    self.world, self.world
                ),
            });
        }
        Ok(batch_size / self.world)
    }

    /// This rank's rows of an assembled global batch (filtering and grouped epochs). `None` when
    /// it gets no row (a short last batch in eval or test).
    pub(crate) fn slice(&self, batch: Sample, pad: bool) -> Option<Sample> {
        let n = batch.values().map(|v| v.shape().first().copied().unwrap_or(1)).max().unwrap_or(0);
        let rows = self.rows(n, pad);
        if rows.is_empty() {
            return None;
        }
        Some(
            batch
                .into_iter()
                .map(|(k, v)| {
                    let v = if v.shape().first() == Some(&n) { v.select_rows(&rows) } else { v };
                    (k, v)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_split_a_batch_exactly_and_pad_only_in_training() {
        let shards: Vec<Shard> = (0..3).map(|rank| Shard { rank, world: 3 }).collect();
        let mut all: Vec<usize> = shards.iter().flat_map(|s| s.rows(9, true)).collect();
        all.sort();
        assert_eq!(all, (0..9).collect::<Vec<_>>());
        // 7 rows over 3 ranks: padded to 9 by repeating rows 0 and 1; cut without padding.
        assert_eq!(shards[0].rows(7, true), [0, 3, 6]);
        assert_eq!(shards[1].rows(7, true), [1, 4, 0]);
        assert_eq!(shards[2].rows(7, true), [2, 5, 1]);
        assert_eq!(shards[1].rows(7, false), [1, 4]);
        assert_eq!(shards[2].rows(1, false), Vec::<usize>::new());
    }

    #[test]
    fn a_batch_size_that_does_not_divide_is_named() {
        let err = Shard { rank: 0, world: 3 }.local_batch_size(32, Mode::Train, "").unwrap_err();
        assert!(err.to_string().contains("batch size is 32") && err.to_string().contains("3 processes"), "{err}");
        assert_eq!(Shard { rank: 1, world: 2 }.local_batch_size(32, Mode::Eval, "").unwrap(), 16);
    }
}
