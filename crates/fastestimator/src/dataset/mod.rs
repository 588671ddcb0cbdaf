//! Datasets: indexable sources of samples (FE's `fe.dataset`).
//!
//! | FE class | here | holds |
//! |---|---|---|
//! | `NumpyDataset` | [`NumpyDataset`] | in-memory columns |
//! | `CSVDataset` | [`CSVDataset`] | the rows of a CSV file (files it names are read lazily) |
//! | `DirDataset` | [`DirDataset`] | file paths in a folder |
//! | `LabeledDirDataset` | [`LabeledDirDataset`] | file paths and labels from class folders |
//! | `SiameseDirDataset` | [`SiameseDirDataset`] | same/different-class pairs of files |
//! | `GeneratorDataset` | [`GeneratorDataset`] | samples from a generator |
//! | `BatchDataset` | [`BatchDataset`] | whole batches mixed from several datasets |
//! | `InterleaveDataset` | [`InterleaveDataset`] | batches taken from datasets in turn |
//! | `CombinedDataset` | [`CombinedDataset`] | datasets one after another |
//! | `ExtendDataset` | [`ExtendDataset`] | a dataset with a different epoch length |
//!
//! `split` and `summary()` are methods of the in-memory and file datasets; ready-made data sets
//! are in [`data`]. Directory and CSV datasets keep only paths in memory: a file is opened when
//! the pipeline's worker asks for its sample (with a [`FileReader`], or by a later op).
//!
//! BatchDataset and InterleaveDataset items are already batches: a Pipeline reading them needs
//! no `batch_size` or `Batch` op. Those two and ExtendDataset draw from their members in a
//! seeded order that changes every epoch; epochs are counted per item, so results do not depend
//! on the number of pipeline workers.

mod batch_dataset;
mod combined_dataset;
mod csv_dataset;
pub mod data;
mod dir_dataset;
mod epoch_order;
mod extend_dataset;
mod file_reader;
mod generator_dataset;
mod interleave_dataset;
mod labeled_dir_dataset;
mod numpy_dataset;
mod siamese_dir_dataset;
mod split;
mod summary;

pub use batch_dataset::BatchDataset;
pub use combined_dataset::CombinedDataset;
pub use csv_dataset::{CSVDataset, CSVDatasetBuilder, CsvRow, PANDAS_NA_VALUES};
pub use dir_dataset::{DirDataset, DirDatasetBuilder};
pub use extend_dataset::ExtendDataset;
pub use file_reader::{bytes_reader, image_reader, read_image, write_png, FileReader, ImageColor};
pub use generator_dataset::GeneratorDataset;
pub use interleave_dataset::InterleaveDataset;
pub use labeled_dir_dataset::{LabeledDirDataset, LabeledDirDatasetBuilder};
pub use numpy_dataset::NumpyDataset;
pub use siamese_dir_dataset::{SiameseDirDataset, SiameseDirDatasetBuilder};
pub use split::SplitSpec;
pub use summary::{DatasetSummary, KeySummary};

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

impl<D: Dataset + ?Sized> Dataset for std::sync::Arc<D> {
    fn len(&self) -> usize {
        (**self).len()
    }

    fn get(&self, index: usize) -> Result<Sample> {
        (**self).get(index)
    }

    fn sequential(&self) -> bool {
        (**self).sequential()
    }
}
