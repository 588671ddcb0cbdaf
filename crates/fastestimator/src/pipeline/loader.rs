//! [`Loader`]: the iterator over one epoch's batches, fed by the pipeline's worker pool.

use super::worker_pool::WorkerPool;
use crate::error::Result;

/// An epoch's batches, in order. Dropping it stops the workers.
pub struct Loader<T: Send + 'static> {
    batches: WorkerPool<T>,
    next: usize,
    steps: usize,
}

impl<T: Send + 'static> Loader<T> {
    /// A loader over at most `steps` batches, read in order from `batches`.
    pub(crate) fn new(steps: usize, batches: WorkerPool<T>) -> Self {
        Loader { batches, next: 0, steps }
    }

    /// Number of batches in the epoch. When ops filter samples without replacement this is an
    /// upper bound: the epoch may end earlier.
    pub fn steps(&self) -> usize {
        self.steps
    }
}

impl<T: Send + 'static> Iterator for Loader<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.steps {
            return None;
        }
        self.next += 1;
        match self.batches.next_unit() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => {
                // The epoch ended early (samples were filtered without replacement).
                self.next = self.steps;
                None
            }
            Err(e) => {
                self.next = self.steps;
                Some(Err(e))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.steps - self.next))
    }
}
