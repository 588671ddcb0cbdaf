//! Loader for the MNIST handwritten digit data set (FE's `fe.dataset.data.mnist`).
//!
//! MNIST ships as four IDX files (see [`super::idx`]): training images and labels
//! (60 000 samples) and test images and labels (10 000 samples), each either gzip-compressed
//! (`<name>.gz`, as published) or uncompressed (`<name>`); when both exist the uncompressed file
//! is used.
//!
//! Files are found and fetched through [`super::download`] like every other loader's: missing
//! `.gz` files are downloaded (each mirror in [`MIRRORS`] in turn) when allowed, verified against
//! torchvision's published MD5s ([`FeError::Checksum`] on a mismatch) and written atomically.
//! Offline, [`FeError::MissingData`] lists each missing file, where to put it and where to get it.
//!
//! Every file is validated: images must be `u8` of shape `[n, 28, 28]`, labels `u8` of shape
//! `[n]` with values in `0..=9`, and the counts of a pair must match; anything else is an
//! [`FeError::InvalidData`] naming the file, what was expected and what it holds. A file that is
//! not valid IDX is an [`FeError::Idx`] naming the file.
//!
//! One shape, as every loader: the builder [`Mnist`] (`root_dir`, `download`, `image_key`,
//! `label_key`) and FE's [`load_data`]. Both follow FE's folder convention: the files live in
//! `root_dir/MNIST`, default `~/fastestimator_data/MNIST`.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array3, ArrayD, Ix1, Ix3};

use super::download::{dataset_dir, ensure_gz_files, find_file, RemoteFile};
use super::idx::read_idx_file;
use crate::dataset::NumpyDataset;
use crate::error::{FeError, Result};
use crate::value::Value;

/// The folder name under the data root.
pub const NAME: &str = "MNIST";

/// Image height and width of MNIST digits.
pub const IMAGE_SIZE: usize = 28;

/// Number of classes (digits 0–9).
pub const NUM_CLASSES: i64 = 10;

/// Mirrors tried in order when downloading (torchvision's primary mirror first). Every file's
/// [`RemoteFile::urls`] is these, each followed by the file name.
pub const MIRRORS: [&str; 2] =
    ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"];

/// Largest download accepted (the biggest MNIST file is about 9.9 MB compressed).
const MAX_BYTES: u64 = 32 << 20;

/// The [`RemoteFile`] of `<name>.gz` on both [`MIRRORS`], with its published MD5.
macro_rules! mnist_file {
    ($name:literal, $md5:literal) => {
        RemoteFile {
            name: concat!($name, ".gz"),
            urls: &[
                concat!("https://ossci-datasets.s3.amazonaws.com/mnist/", $name, ".gz"),
                concat!("https://storage.googleapis.com/cvdf-datasets/mnist/", $name, ".gz"),
            ],
            md5: Some($md5),
            max_bytes: MAX_BYTES,
        }
    };
}

/// Training images (`[60000, 28, 28]`), `train-images-idx3-ubyte.gz`.
pub const TRAIN_IMAGES: RemoteFile = mnist_file!("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873");
/// Training labels (`[60000]`), `train-labels-idx1-ubyte.gz`.
pub const TRAIN_LABELS: RemoteFile = mnist_file!("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432");
/// Test images (`[10000, 28, 28]`), `t10k-images-idx3-ubyte.gz`.
pub const TEST_IMAGES: RemoteFile = mnist_file!("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3");
/// Test labels (`[10000]`), `t10k-labels-idx1-ubyte.gz`.
pub const TEST_LABELS: RemoteFile = mnist_file!("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c");

/// All four files, in the order training images, training labels, test images, test labels.
pub const FILES: [RemoteFile; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

/// The MNIST arrays: 60 000 training and 10 000 test samples for the official files (any `n` is
/// accepted as long as images and labels agree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistArrays {
    /// Training images, `[n_train, 28, 28]`.
    pub train_images: Array3<u8>,
    /// Training labels, `[n_train]`, values in `0..=9`.
    pub train_labels: Array1<i64>,
    /// Test images, `[n_test, 28, 28]`.
    pub test_images: Array3<u8>,
    /// Test labels, `[n_test]`, values in `0..=9`.
    pub test_labels: Array1<i64>,
}

image_label_loader!(
    /// Loader options (see [`load_data`]).
    Mnist,
    NAME
);

impl Mnist {
    /// `(train, eval)`: 60 000 and 10 000 samples, images `u8` `[28, 28]`, labels `i64` `0..10`.
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset)> {
        self.datasets(self.load_arrays()?)
    }

    /// The four validated arrays, without building datasets.
    pub fn load_arrays(&self) -> Result<MnistArrays> {
        read_arrays(&self.dir(), self.download)
    }

    /// Whether all four files (plain or `.gz`) are in [`Mnist::dir`], so that loading needs no
    /// download.
    pub fn files_present(&self) -> bool {
        let dir = self.dir();
        FILES.iter().all(|f| find_file(&dir, f).is_some())
    }

    /// `(train, eval)` datasets of `arrays` under this loader's keys.
    fn datasets(&self, arrays: MnistArrays) -> Result<(NumpyDataset, NumpyDataset)> {
        let make = |x: Array3<u8>, y: Array1<i64>| {
            NumpyDataset::new([
                (self.image_key.as_str(), Value::U8(x.into_dyn())),
                (self.label_key.as_str(), Value::I64(y.into_dyn())),
            ])
        };
        Ok((make(arrays.train_images, arrays.train_labels)?, make(arrays.test_images, arrays.test_labels)?))
    }
}

/// The default MNIST folder, `~/fastestimator_data/MNIST` (or `./fastestimator_data/MNIST`
/// without a home directory), as for every loader.
pub fn default_root_dir() -> PathBuf {
    dataset_dir(None, NAME)
}

/// Finds (or downloads) the four files in `dir` and reads them.
fn read_arrays(dir: &Path, download: bool) -> Result<MnistArrays> {
    let paths = ensure_gz_files("mnist", dir, &FILES, download)?;
    let (train_images, train_labels) = load_pair(&paths[0], &paths[1])?;
    let (test_images, test_labels) = load_pair(&paths[2], &paths[3])?;
    Ok(MnistArrays { train_images, train_labels, test_images, test_labels })
}

/// Loads and cross-validates an image file and its label file.
pub(crate) fn load_pair(images: &Path, labels: &Path) -> Result<(Array3<u8>, Array1<i64>)> {
    let x = load_images(images)?;
    let y = load_labels(labels)?;
    if x.shape()[0] != y.len() {
        return Err(invalid(
            labels,
            "label count",
            format!("{} (the number of images in {})", x.shape()[0], images.display()),
            y.len().to_string(),
        ));
    }
    Ok((x, y))
}

/// An [`FeError::InvalidData`] for `path`.
fn invalid(path: &Path, what: &str, expected: impl Into<String>, got: impl Into<String>) -> FeError {
    FeError::InvalidData { path: path.to_path_buf(), what: what.into(), expected: expected.into(), got: got.into() }
}

/// Reads an IDX file that must hold `u8` data of a shape `shape_ok` accepts; `what` and
/// `expected` describe the file in the error.
fn read_u8(path: &Path, what: &str, expected: &str, shape_ok: impl Fn(&[usize]) -> bool) -> Result<ArrayD<u8>> {
    let array = read_idx_file(path)?;
    let got = format!("{:?} {}", array.shape, array.dtype());
    match array.into_u8() {
        Some(data) if shape_ok(data.shape()) => Ok(data),
        _ => Err(invalid(path, what, expected, got)),
    }
}

fn load_images(path: &Path) -> Result<Array3<u8>> {
    const EXPECTED: &str = "[n, 28, 28] u8";
    let ok = |s: &[usize]| s.len() == 3 && s[1] == IMAGE_SIZE && s[2] == IMAGE_SIZE;
    let data = read_u8(path, "images", EXPECTED, ok)?;
    data.into_dimensionality::<Ix3>().map_err(|e| invalid(path, "images", EXPECTED, e.to_string()))
}

fn load_labels(path: &Path) -> Result<Array1<i64>> {
    const EXPECTED: &str = "[n] u8";
    let data = read_u8(path, "labels", EXPECTED, |s| s.len() == 1)?;
    let data = data.into_dimensionality::<Ix1>().map_err(|e| invalid(path, "labels", EXPECTED, e.to_string()))?;
    if let Some((index, &value)) = data.iter().enumerate().find(|(_, &v)| i64::from(v) >= NUM_CLASSES) {
        return Err(invalid(path, &format!("label at index {index}"), "a digit 0..=9", value.to_string()));
    }
    Ok(data.mapv(i64::from))
}

// ---- fastestimator datasets -------------------------------------------------------------------

/// FE's `fe.dataset.data.mnist.load_data()`: `(train, eval)` datasets of 60 000 and 10 000
/// samples with keys `x` (`u8`, 28×28) and `y` (`i64`). Files are read from `root_dir/MNIST`
/// (default `~/fastestimator_data/MNIST`), plain or gzipped, and downloaded there with checksum
/// verification when missing and the internet is reachable. [`Mnist`] sets the keys and whether
/// to download; offline, missing files give [`FeError::MissingData`], which lists which files to
/// place where.
pub fn load_data(root_dir: Option<&Path>) -> Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = Mnist::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::super::download::{md5_file, store_stream};
    use super::super::idx::write_idx_u8;
    use super::*;
    use crate::dataset::Dataset;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    /// The file's name without `.gz`.
    fn plain(file: &RemoteFile) -> &'static str {
        file.name.strip_suffix(".gz").unwrap()
    }

    /// Writes `bytes` as `dir/<plain name>`, gzip-compressed to `dir/<name>.gz` when `gz`.
    fn put(dir: &Path, file: &RemoteFile, bytes: &[u8], gz: bool) {
        if gz {
            std::fs::write(dir.join(file.name), gzip(bytes)).unwrap();
        } else {
            std::fs::write(dir.join(plain(file)), bytes).unwrap();
        }
    }

    fn images(n: usize, h: usize, w: usize) -> Vec<u8> {
        let data: Vec<u8> = (0..n * h * w).map(|i| (i % 251) as u8).collect();
        write_idx_u8(&[n, h, w], &data).unwrap()
    }

    fn labels(values: &[u8]) -> Vec<u8> {
        write_idx_u8(&[values.len()], values).unwrap()
    }

    /// A valid small data set: 5 training and 3 test samples.
    fn write_dataset(dir: &Path, gz: bool) {
        put(dir, &TRAIN_IMAGES, &images(5, 28, 28), gz);
        put(dir, &TRAIN_LABELS, &labels(&[0, 1, 2, 9, 4]), gz);
        put(dir, &TEST_IMAGES, &images(3, 28, 28), gz);
        put(dir, &TEST_LABELS, &labels(&[7, 8, 3]), gz);
    }

    #[test]
    fn loads_plain_and_gz() {
        for gz in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            write_dataset(dir.path(), gz);
            let m = read_arrays(dir.path(), false).unwrap();
            assert_eq!(m.train_images.shape(), &[5, 28, 28]);
            assert_eq!(m.train_labels.to_vec(), vec![0, 1, 2, 9, 4]);
            assert_eq!(m.test_images.shape(), &[3, 28, 28]);
            assert_eq!(m.test_labels.to_vec(), vec![7, 8, 3]);
            assert_eq!(m.train_images[[0, 0, 5]], 5);
            assert_eq!(m.train_images[[1, 0, 0]], (784 % 251) as u8);
        }
    }

    #[test]
    fn builder_follows_the_folder_convention_and_keys() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(NAME);
        std::fs::create_dir_all(&dir).unwrap();
        write_dataset(&dir, true);
        let loader = Mnist::new().root_dir(root.path()).download(false).image_key("image").label_key("label");
        assert_eq!(loader.dir(), dir);
        let (train, eval) = loader.load().unwrap();
        assert_eq!((train.len(), eval.len()), (5, 3));
        let sample = train.get(3).unwrap();
        assert_eq!(sample["label"], Value::from(9i64));
        assert_eq!(sample["image"].shape(), &[28, 28]);
        assert_eq!(loader.load_arrays().unwrap(), read_arrays(&dir, false).unwrap());
        // The default keys are FE's.
        let (train, _) = Mnist::new().root_dir(root.path()).download(false).load().unwrap();
        assert_eq!(train.get(0).unwrap()["y"], Value::from(0i64));
        // The files in `root_dir` itself are not the builder's: it looks in `root_dir/MNIST`.
        let err = Mnist::new().root_dir(&dir).download(false).load().unwrap_err();
        assert!(matches!(&err, FeError::MissingData { dir: d, .. } if d == &dir.join(NAME)), "{err}");
    }

    #[test]
    fn mixed_compression_and_plain_preferred() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), true);
        // A plain file next to the .gz one wins.
        put(dir.path(), &TEST_LABELS, &labels(&[1, 1, 1]), false);
        let m = read_arrays(dir.path(), false).unwrap();
        assert_eq!(m.test_labels.to_vec(), vec![1, 1, 1]);
    }

    #[test]
    fn truncated_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        let full = images(5, 28, 28);
        put(dir.path(), &TRAIN_IMAGES, &full[..full.len() - 100], false);
        let err = read_arrays(dir.path(), false).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, FeError::Idx(_)), "{msg}");
        assert!(msg.contains(plain(&TRAIN_IMAGES)), "{msg}");
        assert!(msg.contains("truncated"), "{msg}");
    }

    #[test]
    fn corrupt_magic_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), true);
        let mut bad = labels(&[7, 8, 3]);
        bad[0] = 0x42;
        put(dir.path(), &TEST_LABELS, &bad, true);
        let msg = read_arrays(dir.path(), false).unwrap_err().to_string();
        assert!(msg.contains("t10k-labels-idx1-ubyte.gz"), "{msg}");
        assert!(msg.contains("magic"), "{msg}");
    }

    #[test]
    fn wrong_image_size() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        put(dir.path(), &TEST_IMAGES, &images(3, 27, 28), false);
        let err = read_arrays(dir.path(), false).unwrap_err();
        assert!(
            matches!(&err, FeError::InvalidData { what, expected, got, .. }
                if what == "images" && expected == "[n, 28, 28] u8" && got == "[3, 27, 28] u8"),
            "{err}"
        );
        assert!(err.to_string().contains(plain(&TEST_IMAGES)));

        // Rank 2 images.
        put(dir.path(), &TEST_IMAGES, &write_idx_u8(&[3, 784], &[0; 2352]).unwrap(), false);
        let err = read_arrays(dir.path(), false).unwrap_err();
        assert!(
            matches!(&err, FeError::InvalidData { what, got, .. } if what == "images" && got == "[3, 784] u8"),
            "{err}"
        );
    }

    #[test]
    fn wrong_label_rank_and_type() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        put(dir.path(), &TRAIN_LABELS, &write_idx_u8(&[5, 1], &[0; 5]).unwrap(), false);
        let err = read_arrays(dir.path(), false).unwrap_err();
        assert!(
            matches!(&err, FeError::InvalidData { what, got, .. } if what == "labels" && got == "[5, 1] u8"),
            "{err}"
        );
        assert!(err.to_string().contains(plain(&TRAIN_LABELS)));

        // i32 labels.
        let mut b = vec![0, 0, 0x0C, 1, 0, 0, 0, 5];
        b.extend(std::iter::repeat_n(0u8, 20));
        put(dir.path(), &TRAIN_LABELS, &b, false);
        let err = read_arrays(dir.path(), false).unwrap_err();
        assert!(
            matches!(&err, FeError::InvalidData { what, expected, got, .. }
                if what == "labels" && expected == "[n] u8" && got == "[5] i32"),
            "{err}"
        );
    }

    #[test]
    fn label_count_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        put(dir.path(), &TRAIN_LABELS, &labels(&[0, 1, 2, 3]), false);
        let err = read_arrays(dir.path(), false).unwrap_err();
        assert!(
            matches!(&err, FeError::InvalidData { what, expected, got, .. }
                if what == "label count" && expected.starts_with("5 (") && got == "4"),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains(plain(&TRAIN_IMAGES)) && msg.contains(plain(&TRAIN_LABELS)), "{msg}");
    }

    #[test]
    fn label_out_of_range() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), true);
        put(dir.path(), &TEST_LABELS, &labels(&[7, 10, 3]), true);
        let err = read_arrays(dir.path(), false).unwrap_err();
        assert!(
            matches!(&err, FeError::InvalidData { what, got, .. } if what == "label at index 1" && got == "10"),
            "{err}"
        );
        assert!(err.to_string().contains("t10k-labels-idx1-ubyte.gz"));
    }

    #[test]
    fn missing_files_without_download() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_arrays(dir.path(), false).unwrap_err();
        assert!(matches!(&err, FeError::MissingData { dataset, files, .. } if dataset == "mnist" && files.len() == 4));
        let msg = err.to_string();
        for f in FILES {
            assert!(msg.contains(f.name) && msg.contains(f.urls[0]), "{msg}");
        }
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        assert!(msg.contains("https://"), "{msg}");

        // Only the missing ones are listed.
        write_dataset(dir.path(), false);
        std::fs::remove_file(dir.path().join(plain(&TEST_IMAGES))).unwrap();
        let err = read_arrays(dir.path(), false).unwrap_err();
        assert!(
            matches!(&err, FeError::MissingData { files, .. }
                if files.iter().map(|f| f.name.as_str()).eq([TEST_IMAGES.name])),
            "{err}"
        );
        let msg = err.to_string();
        assert!(!msg.contains(plain(&TRAIN_IMAGES)), "{msg}");
        assert!(!FILES.iter().all(|f| find_file(dir.path(), f).is_some()));
    }

    #[test]
    fn md5_and_store_verified() {
        // MNIST's downloads go through download.rs: MD5-checked, atomic, nothing kept on a mismatch.
        let dir = tempfile::tempdir().unwrap();
        let good = "900150983cd24fb0d6963f7d28e17f72";
        store_stream(&b"abc"[..], "test://x", dir.path(), "x.gz", Some(good), MAX_BYTES).unwrap();
        assert_eq!(std::fs::read(dir.path().join("x.gz")).unwrap(), b"abc");
        assert_eq!(md5_file(&dir.path().join("x.gz")).unwrap(), good);

        let err = store_stream(&b"abd"[..], "test://y", dir.path(), "y.gz", Some(good), MAX_BYTES).unwrap_err();
        assert!(matches!(err, FeError::Checksum { .. }), "{err}");
        assert!(err.to_string().contains("test://y"));
        // An MNIST file with the wrong content is refused under its published MD5.
        let err =
            store_stream(&b"abc"[..], TRAIN_IMAGES.urls[0], dir.path(), TRAIN_IMAGES.name, TRAIN_IMAGES.md5, MAX_BYTES)
                .unwrap_err();
        assert!(
            matches!(&err, FeError::Checksum { url, expected, .. }
                if url == TRAIN_IMAGES.urls[0] && Some(expected.as_str()) == TRAIN_IMAGES.md5),
            "{err}"
        );
        // Nothing but the good file remains: no bad file, no temporary file.
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, vec!["x.gz".to_string()]);
    }

    #[test]
    fn default_dir_is_under_the_data_home() {
        assert!(default_root_dir().ends_with("fastestimator_data/MNIST"));
        assert_eq!(Mnist::new().dir(), default_root_dir());
    }

    #[test]
    fn published_checksums_and_mirrors_are_well_formed() {
        for f in FILES {
            let md5 = f.md5.unwrap();
            assert_eq!(md5.len(), 32);
            assert!(md5.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(f.name.ends_with("-ubyte.gz"), "{}", f.name);
            let expected: Vec<String> = MIRRORS.iter().map(|m| format!("{m}{}", f.name)).collect();
            assert_eq!(f.urls, expected.as_slice());
            assert_eq!(f.max_bytes, MAX_BYTES);
        }
    }
}
