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
//! **Grouped datasets.** A dataset may serve each item as a *group* of samples that forms one
//! batch (FE: an item that is a list of dicts): BatchDataset and InterleaveDataset do, and so can
//! a user's own dataset ([`Dataset::is_grouped`], [`Dataset::get_group`]). A Pipeline runs the
//! per-sample ops on every sample of a group, then collates the group into one batch with its
//! `Batch` op (whose `batch_size` is then ignored, as in FE) and runs the per-batch ops. A group
//! may name the member dataset it comes from ([`SampleGroup::ds_id`]): ops and `Batch` ops with
//! that `ds_id` then apply to it (FE's per-member ops of a named InterleaveDataset).
//!
//! BatchDataset, InterleaveDataset and ExtendDataset draw from their members in a seeded order
//! that changes every epoch. Through a Pipeline ([`Dataset::get_group`]) the epoch is the
//! Pipeline's; through `get`, which has no epoch, the n-th request of an item counts as epoch n.
//! Either way results do not depend on the number of pipeline workers.

mod batch_dataset;
mod combined_dataset;
mod csv_dataset;
pub mod data;
mod dir_builder;
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

    /// The dataset's type, without its module path (`NumpyDataset`); the experiment history
    /// records it.
    fn type_name(&self) -> String {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        let short = base.rsplit("::").next().unwrap_or(base);
        format!("{short}{}", &full[base.len()..])
    }

    /// Whether the dataset holds no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sample at `index` (0 ≤ index < len).
    fn get(&self, index: usize) -> Result<Sample>;

    /// The sample at `index` in `epoch` (the Pipeline's 1-based epoch), which is how the
    /// Pipeline reads plain datasets. Datasets whose sample behind an index changes with the
    /// epoch (a shrinking ExtendDataset) use it; the default is [`Dataset::get`].
    fn get_at(&self, index: usize, epoch: usize) -> Result<Sample> {
        let _ = epoch;
        self.get(index)
    }

    /// Whether samples must be drawn in order from one thread (a stateful generator). The
    /// Pipeline then uses a single worker, which keeps results deterministic.
    fn sequential(&self) -> bool {
        false
    }

    /// Whether every item is a group of samples that forms one batch (see the module notes).
    /// Such a dataset overrides [`Dataset::get_group`]; its `get` returns the collated group.
    fn is_grouped(&self) -> bool {
        false
    }

    /// The samples of item `index` in `epoch` (the Pipeline's 1-based epoch). A plain dataset
    /// returns its one sample. Datasets that draw from others (BatchDataset, InterleaveDataset,
    /// ExtendDataset) use `epoch` to pick that epoch's sampling order, so the order depends only
    /// on the epoch, never on how often items were requested before.
    fn get_group(&self, index: usize, epoch: usize) -> Result<SampleGroup> {
        let _ = epoch;
        Ok(SampleGroup { samples: vec![self.get_at(index, epoch)?], ..Default::default() })
    }

    /// The members whose batch size the Pipeline sets (an InterleaveDataset's), each with its
    /// name if it has one. Empty by default.
    fn member_ds_ids(&self) -> Vec<Option<String>> {
        Vec::new()
    }

    /// This dataset with its members batched differently (FE's `set_batch_sizes`), as a new
    /// view: `sizes` has one entry per member of [`Dataset::member_ds_ids`], the size the
    /// Pipeline's `Batch` op or `batch_size` gives that member, or `None` for the dataset's own
    /// size. The dataset itself is not changed. `None` (the default) when there are no members
    /// to size.
    fn with_member_batch_sizes(&self, sizes: &[Option<usize>]) -> Result<Option<std::sync::Arc<dyn Dataset>>> {
        let _ = sizes;
        Ok(None)
    }
}

/// The samples of one item of a grouped dataset: they form one batch.
#[derive(Debug, Clone, Default)]
pub struct SampleGroup {
    /// The samples, in batch order.
    pub samples: Vec<Sample>,
    /// The ds_id of the member dataset they come from, if it has one (it selects the ops that
    /// apply to them).
    pub ds_id: Option<String>,
    /// Pad ragged values with this value when the Pipeline has no `Batch` op to collate with
    /// (BatchDataset's `pad_value`).
    pub pad_value: Option<f64>,
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

    fn is_grouped(&self) -> bool {
        (**self).is_grouped()
    }

    fn get_group(&self, index: usize, epoch: usize) -> Result<SampleGroup> {
        (**self).get_group(index, epoch)
    }

    fn member_ds_ids(&self) -> Vec<Option<String>> {
        (**self).member_ds_ids()
    }

    fn with_member_batch_sizes(&self, sizes: &[Option<usize>]) -> Result<Option<std::sync::Arc<dyn Dataset>>> {
        (**self).with_member_batch_sizes(sizes)
    }

    fn get_at(&self, index: usize, epoch: usize) -> Result<Sample> {
        (**self).get_at(index, epoch)
    }
}
