//! Per-epoch sampling orders for datasets that draw from other datasets (BatchDataset,
//! InterleaveDataset, ExtendDataset).
//!
//! The Pipeline reads them with `get_at` / `get_group`, which carry its epoch; each epoch gets
//! its own seeded permutation of each member dataset. `get` has no epoch argument, so a direct
//! `get` counts how often each item was requested: the n-th request of item `i` belongs to
//! "epoch" n. Counting per item (rather than globally) keeps that independent of how many
//! threads ask, and in which order.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use rand::seq::SliceRandom;

use crate::util::seeded_rng;

/// How many times each item has been requested.
pub(crate) struct Draws(Vec<AtomicU32>);

impl Draws {
    /// Counters for `n` items.
    pub(crate) fn new(n: usize) -> Draws {
        Draws((0..n).map(|_| AtomicU32::new(0)).collect())
    }

    /// The epoch of this request of item `i` (0 for the first).
    pub(crate) fn next(&self, i: usize) -> u64 {
        self.0.get(i).map_or(0, |c| u64::from(c.fetch_add(1, Ordering::Relaxed)))
    }
}

/// Seeded permutations, cached (the last few are kept).
pub(crate) struct Orders {
    seed: u64,
    cache: Mutex<VecDeque<CachedOrder>>,
}

/// A permutation and its (member, epoch, pass) key.
type CachedOrder = ([u64; 3], Arc<Vec<usize>>);

const CACHED: usize = 16;

impl Clone for Orders {
    /// The same orders (same seed), with a cache of its own.
    fn clone(&self) -> Orders {
        Orders::new(self.seed)
    }
}

impl Orders {
    pub(crate) fn new(seed: u64) -> Orders {
        Orders { seed, cache: Mutex::new(VecDeque::new()) }
    }

    /// A permutation of `0..len` for (member, epoch, pass).
    pub(crate) fn permutation(&self, member: usize, epoch: u64, pass: u64, len: usize) -> Arc<Vec<usize>> {
        let key = [member as u64, epoch, pass];
        if let Ok(cache) = self.cache.lock() {
            if let Some((_, p)) = cache.iter().find(|(k, p)| *k == key && p.len() == len) {
                return Arc::clone(p);
            }
        }
        let mut order: Vec<usize> = (0..len).collect();
        order.shuffle(&mut seeded_rng(self.seed, &key));
        let order = Arc::new(order);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHED {
                cache.pop_front();
            }
            cache.push_back((key, Arc::clone(&order)));
        }
        order
    }

    /// The index at stream position `position` of member `member` in `epoch`: consecutive
    /// positions walk one permutation after another, so samples repeat only after all were used.
    pub(crate) fn index(&self, member: usize, epoch: u64, position: u64, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        let pass = position / len as u64;
        let offset = (position % len as u64) as usize;
        self.permutation(member, epoch, pass, len)[offset]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_seeded_and_complete() {
        let o = Orders::new(5);
        let a: Vec<usize> = (0..10).map(|p| o.index(0, 0, p, 10)).collect();
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_eq!(a, (0..10).map(|p| Orders::new(5).index(0, 0, p, 10)).collect::<Vec<_>>());
        assert_ne!(a, (0..10).map(|p| o.index(0, 1, p, 10)).collect::<Vec<_>>());
        let d = Draws::new(2);
        assert_eq!((d.next(1), d.next(1), d.next(0)), (0, 1, 0));
    }
}
