//! Ready-made datasets (FE's `fe.dataset.data`).
//!
//! Each loader parses its data set's published files, keeps them in FE's folder
//! (`~/fastestimator_data/<Name>`, or `<root_dir>/<Name>`), downloads missing ones with a
//! checksum check where the internet is reachable, and returns FE's splits and keys. Offline
//! and without the files, it fails with [`crate::FeError::MissingData`], which lists the files
//! and where to put them. Every loader has a builder (`root_dir`, `download`, FE's options) and
//! a `load_data` function with FE's defaults.
//!
//! | loader | files | returns |
//! |---|---|---|
//! | [`mnist`] | IDX | `(train 60 000, eval 10 000)` |
//! | [`fashion_mnist`] | IDX | `(train 60 000, eval 10 000)` |
//! | [`cifar10`], [`cifar100`] | CIFAR binary batches (tar.gz) | `(train 50 000, eval 10 000)` |
//! | [`cifair10`], [`cifair100`] | CIFAR python batches (pickles in a zip) | `(train 50 000, test 10 000)` |
//! | [`breast_cancer`] | scikit-learn CSV | `(train 455, eval 114)` |
//! | [`skl_digits`] | scikit-learn CSV (gz) | 1 797 samples |
//! | [`usps`] | libsvm (bz2) → PNG folders | `(train 7 291, test 2 007)` |
//! | [`svhn_cropped`] | MAT-file level 5 | `(train 73 257, test 26 032)` |
//! | [`imdb_review`] | text reviews (tar.gz) | `(train 25 000, eval 25 000)` |
//! | [`penn_treebank`] | text | `(train, eval, test, vocab)` |
//! | [`shakespeare`] | text | `(train, vocab)` |
//! | [`omniglot`] | PNG folders (zip) | `(train, eval)` Siamese pairs |
//! | [`montgomery`] | PNG folders (zip) → CSV | one CSV dataset of images and masks |
//! | [`horse2zebra`] | JPEG folders (zip) | `(train, test)` batches of `A` and `B` |
//! | [`synthetic_digits`] | generated | MNIST-like digits, no download |
//! | [`synthetic_shapes`] | generated | CIFAR-like pictures of ten shapes, no download |
//!
//! The binary parsers live in the `fastestimator-formats` crate (no libtorch, fuzzed) and are
//! re-exported here: [`idx`], [`cifar`], [`pickle`], [`mat5`], [`libsvm`].

pub use fastestimator_formats::{cifar, idx, libsvm, mat5, pickle};

/// The setters every loader builder shares: `root_dir` and `download`; after them, optionally,
/// the shared setters of file loaders, each with its own doc line: `read_images = "..."`
/// (decode the files instead of returning paths; a `read_images: bool` field) and
/// `seed = "..."` (the seed of the loader's draws; a `seed: Option<u64>` field).
macro_rules! loader_options {
    (@option $t:ty, read_images, $doc:literal) => {
        impl $t {
            #[doc = $doc]
            pub fn read_images(mut self, read: bool) -> Self {
                self.read_images = read;
                self
            }
        }
    };
    (@option $t:ty, seed, $doc:literal) => {
        impl $t {
            #[doc = $doc]
            pub fn seed(mut self, seed: u64) -> Self {
                self.seed = Some(seed);
                self
            }
        }
    };
    ($t:ty, $name:expr, $($option:ident = $doc:literal),+ $(,)?) => {
        loader_options!($t, $name);
        $(loader_options!(@option $t, $option, $doc);)+
    };
    ($t:ty, $name:expr) => {
        impl $t {
            /// FE's `root_dir`: the files live in `root_dir/<Name>` (default
            /// `~/fastestimator_data/<Name>`).
            pub fn root_dir(mut self, root_dir: impl AsRef<std::path::Path>) -> Self {
                self.root_dir = Some(root_dir.as_ref().to_path_buf());
                self
            }

            /// Whether missing files may be downloaded (default true). Without the files and
            /// without downloading, loading fails with an error listing what to put where.
            pub fn download(mut self, download: bool) -> Self {
                self.download = download;
                self
            }

            /// The folder holding this data set's files.
            pub fn dir(&self) -> std::path::PathBuf {
                $crate::dataset::data::download::dataset_dir(self.root_dir.as_deref(), $name)
            }
        }
    };
}

/// The constructor and key setters of a loader whose samples are an image and a label (fields
/// `image_key` and `label_key`, FE's defaults `x` and `y` set by its `Default`).
macro_rules! image_label_keys {
    ($t:ty) => {
        impl $t {
            /// FE's defaults.
            pub fn new() -> Self {
                Self::default()
            }

            /// The image key (default `x`).
            pub fn image_key(mut self, key: &str) -> Self {
                self.image_key = key.into();
                self
            }

            /// The label key (default `y`).
            pub fn label_key(mut self, key: &str) -> Self {
                self.label_key = key.into();
                self
            }
        }
    };
}

/// Declare a loader struct: the fields every loader has (`root_dir`, `download`, downloads
/// allowed by default), the loader's own fields with their FE defaults (`name: Type = default`),
/// its `Default`, and its `loader_options!`. The loader then adds its own setters and `load`.
macro_rules! loader {
    ($(#[$meta:meta])* $t:ident, $name:expr $(, $field:ident : $ty:ty = $default:expr)* $(,)?) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $t {
            root_dir: Option<std::path::PathBuf>,
            download: bool,
            $($field: $ty,)*
        }

        impl Default for $t {
            fn default() -> Self {
                $t { root_dir: None, download: true, $($field: $default,)* }
            }
        }

        loader_options!($t, $name);
    };
}

/// Declare a loader whose samples are an image and a label: `loader!` with FE's `image_key`
/// (`x`) and `label_key` (`y`), and their setters (`image_label_keys!`).
macro_rules! image_label_loader {
    ($(#[$meta:meta])* $t:ident, $name:expr) => {
        loader!($(#[$meta])* $t, $name, image_key: String = "x".into(), label_key: String = "y".into());
        image_label_keys!($t);
    };
}

pub mod archive;
pub mod breast_cancer;
pub mod cifair10;
pub mod cifair100;
pub mod cifar10;
pub mod cifar100;
pub mod download;
pub mod fashion_mnist;
pub mod horse2zebra;
pub mod imdb_review;
pub mod mnist;
pub mod montgomery;
pub mod omniglot;
pub mod penn_treebank;
pub mod shakespeare;
pub mod skl_digits;
pub mod svhn_cropped;
pub mod synthetic_digits;
pub mod synthetic_shapes;
pub mod train_test_split;
pub mod usps;
