//! Datasets: indexable sources of samples (FE's `fe.dataset`).

pub mod data;
mod generator_dataset;
mod numpy_dataset;
mod split;

pub use generator_dataset::GeneratorDataset;
pub use numpy_dataset::NumpyDataset;
pub use split::SplitSpec;

use crate::error::Result;
use crate::value::Sample;

/// A source of samples that the Pipeline reads by index from its worker threads.
pub trait Dataset: Send + Sync {
    /// The number of samples in one epoch.
    fn len(&self) -> usize;

    /// Whether the dataset holds no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sample at `index` (0 ≤ index < len).
    fn get(&self, index: usize) -> Result<Sample>;

    /// Whether samples must be drawn in order from one thread (a stateful generator). The
    /// Pipeline then uses a single worker, which keeps results deterministic.
    fn sequential(&self) -> bool {
        false
    }
}
