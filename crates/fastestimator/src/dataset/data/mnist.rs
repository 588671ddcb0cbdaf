//! Loader for the MNIST handwritten digit data set (FE's `fe.dataset.data.mnist`).
//!
//! MNIST ships as four IDX files (see [`super::idx`]): training images and labels
//! (60 000 samples) and test images and labels (10 000 samples). [`load_arrays`] looks for them in
//! a directory (by default `$HOME/fastestimator_data/MNIST`), each either uncompressed or
//! gzip-compressed with a `.gz` suffix; when both exist the uncompressed file is used.
//!
//! When files are missing and downloading is allowed, the `.gz` files are fetched from a public
//! mirror, verified against torchvision's published MD5 checksums, and written atomically
//! (temporary file in the same directory, then rename), so an interrupted or corrupt download never
//! leaves a file that looks valid. Without network access the error message says exactly which
//! files to put where.
//!
//! Every file is validated: images must be `u8` of shape `[n, 28, 28]`, labels `u8` of shape
//! `[n]` with values in `0..=9`, and the counts of a pair must match. Errors name the file.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use md5::{Digest, Md5};
use ndarray::{Array1, Array3, Ix1, Ix3};
use thiserror::Error;

use super::idx::{read_idx_file, IdxError, IdxType};

/// Image height and width of MNIST digits.
pub const IMAGE_SIZE: usize = 28;

/// Number of classes (digits 0–9).
pub const NUM_CLASSES: i64 = 10;

/// Mirrors tried in order when downloading (torchvision's primary mirror first).
pub const MIRRORS: [&str; 2] =
    ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"];

/// Connect timeout for downloads.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Read timeout for downloads (per read call, not for the whole file).
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest download accepted (the biggest MNIST file is about 9.9 MB compressed).
const MAX_DOWNLOAD_BYTES: u64 = 32 << 20;

/// One of the four MNIST files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistFile {
    /// File name without the `.gz` suffix, e.g. `train-images-idx3-ubyte`.
    pub name: &'static str,
    /// MD5 of the gzip-compressed file (`<name>.gz`), as published by torchvision.
    pub md5_gz: &'static str,
}

/// Training images (`[60000, 28, 28]`).
pub const TRAIN_IMAGES: MnistFile =
    MnistFile { name: "train-images-idx3-ubyte", md5_gz: "f68b3c2dcbeaaa9fbdd348bbdeb94873" };
/// Training labels (`[60000]`).
pub const TRAIN_LABELS: MnistFile =
    MnistFile { name: "train-labels-idx1-ubyte", md5_gz: "d53e105ee54ea40749a09fcbcd1e9432" };
/// Test images (`[10000, 28, 28]`).
pub const TEST_IMAGES: MnistFile =
    MnistFile { name: "t10k-images-idx3-ubyte", md5_gz: "9fb629c4189551a2d022fa330f9573f3" };
/// Test labels (`[10000]`).
pub const TEST_LABELS: MnistFile =
    MnistFile { name: "t10k-labels-idx1-ubyte", md5_gz: "ec29112dd5afa0611ce80d1b7f02629c" };

/// All four files, in the order training images, training labels, test images, test labels.
pub const FILES: [MnistFile; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

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

/// Errors produced by [`load_arrays`].
#[derive(Debug, Error)]
pub enum MnistError {
    /// No `root_dir` was given and `$HOME` is not set.
    #[error("cannot find the default MNIST directory: $HOME is not set (pass root_dir explicitly)")]
    NoHome,
    /// Some files are absent (and downloading was disabled or failed).
    #[error("{}", missing_message(dir, files, cause.as_deref()))]
    Missing {
        /// Directory that was searched.
        dir: PathBuf,
        /// Names (without `.gz`) of the missing files.
        files: Vec<String>,
        /// Why downloading did not help, if it was attempted.
        cause: Option<String>,
    },
    /// A downloaded file did not have the expected checksum; it was not kept.
    #[error("checksum mismatch for {url}: expected md5 {expected}, got {actual}; the download was discarded")]
    Checksum {
        /// Where the file came from.
        url: String,
        /// Expected MD5 (hex).
        expected: String,
        /// MD5 of what was received (hex).
        actual: String,
    },
    /// A file is not a valid IDX file (the error names the file).
    #[error(transparent)]
    Idx(#[from] IdxError),
    /// A file holds a non-`u8` element type.
    #[error("{}: expected u8 data, found {found}", path.display())]
    WrongType {
        /// The offending file.
        path: PathBuf,
        /// The element type found.
        found: IdxType,
    },
    /// An image file does not have shape `[n, 28, 28]`.
    #[error("{}: expected images of shape [n, 28, 28], found {shape:?}", path.display())]
    BadImageShape {
        /// The offending file.
        path: PathBuf,
        /// The shape found.
        shape: Vec<usize>,
    },
    /// A label file does not have shape `[n]`.
    #[error("{}: expected labels of shape [n], found {shape:?}", path.display())]
    BadLabelShape {
        /// The offending file.
        path: PathBuf,
        /// The shape found.
        shape: Vec<usize>,
    },
    /// An image file and its label file hold different numbers of samples.
    #[error(
        "{} holds {n_images} images but {} holds {n_labels} labels",
        images.display(),
        labels.display()
    )]
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// Number of images.
        n_images: usize,
        /// The label file.
        labels: PathBuf,
        /// Number of labels.
        n_labels: usize,
    },
    /// A label is not a digit.
    #[error("{}: label {value} at index {index} is outside 0..=9", path.display())]
    LabelOutOfRange {
        /// The offending file.
        path: PathBuf,
        /// Position of the bad label.
        index: usize,
        /// The bad value.
        value: u8,
    },
    /// Creating the directory or writing a downloaded file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path being written.
        path: PathBuf,
        /// The underlying IO error.
        #[source]
        source: std::io::Error,
    },
}

/// The default data directory, `$HOME/fastestimator_data/MNIST`.
pub fn default_root_dir() -> Result<PathBuf, MnistError> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).ok_or(MnistError::NoHome)?;
    Ok(PathBuf::from(home).join("fastestimator_data").join("MNIST"))
}

/// Loads MNIST from `root_dir` (default `$HOME/fastestimator_data/MNIST`).
///
/// Each file may be plain or `.gz`. Missing files are downloaded when `download` is true;
/// otherwise, or when the download fails, the error lists the files to place in the directory
/// and where to get them.
pub fn load_arrays(root_dir: Option<&Path>, download: bool) -> Result<MnistArrays, MnistError> {
    let dir = match root_dir {
        Some(d) => d.to_path_buf(),
        None => default_root_dir()?,
    };

    let missing: Vec<MnistFile> = FILES.iter().copied().filter(|f| locate(&dir, f).is_none()).collect();
    if !missing.is_empty() {
        if download {
            download_files(&dir, &missing)?;
        } else {
            return Err(missing_error(&dir, &missing, None));
        }
    }

    let path_of =
        |f: &MnistFile| locate(&dir, f).ok_or_else(|| missing_error(&dir, &[*f], Some("file vanished".into())));
    let (train_images, train_labels) = load_pair(&path_of(&TRAIN_IMAGES)?, &path_of(&TRAIN_LABELS)?)?;
    let (test_images, test_labels) = load_pair(&path_of(&TEST_IMAGES)?, &path_of(&TEST_LABELS)?)?;
    Ok(MnistArrays { train_images, train_labels, test_images, test_labels })
}

/// Finds `name` or `name.gz` in `dir` (plain file preferred).
fn locate(dir: &Path, file: &MnistFile) -> Option<PathBuf> {
    let plain = dir.join(file.name);
    if plain.is_file() {
        return Some(plain);
    }
    let gz = dir.join(format!("{}.gz", file.name));
    gz.is_file().then_some(gz)
}

/// Loads and cross-validates an image file and its label file.
pub(crate) fn load_pair(images: &Path, labels: &Path) -> Result<(Array3<u8>, Array1<i64>), MnistError> {
    let x = load_images(images)?;
    let y = load_labels(labels)?;
    if x.shape()[0] != y.len() {
        return Err(MnistError::CountMismatch {
            images: images.to_path_buf(),
            n_images: x.shape()[0],
            labels: labels.to_path_buf(),
            n_labels: y.len(),
        });
    }
    Ok((x, y))
}

/// Reads an IDX file that must hold `u8` data.
fn read_u8(path: &Path) -> Result<ndarray::ArrayD<u8>, MnistError> {
    let array = read_idx_file(path)?;
    let found = array.dtype();
    array.into_u8().ok_or_else(|| MnistError::WrongType { path: path.to_path_buf(), found })
}

fn load_images(path: &Path) -> Result<Array3<u8>, MnistError> {
    let data = read_u8(path)?;
    let shape = data.shape().to_vec();
    let bad = || MnistError::BadImageShape { path: path.to_path_buf(), shape: shape.clone() };
    if shape.len() != 3 || shape[1] != IMAGE_SIZE || shape[2] != IMAGE_SIZE {
        return Err(bad());
    }
    data.into_dimensionality::<Ix3>().map_err(|_| bad())
}

fn load_labels(path: &Path) -> Result<Array1<i64>, MnistError> {
    let data = read_u8(path)?;
    let shape = data.shape().to_vec();
    let data =
        data.into_dimensionality::<Ix1>().map_err(|_| MnistError::BadLabelShape { path: path.to_path_buf(), shape })?;
    if let Some((index, &value)) = data.iter().enumerate().find(|(_, &v)| i64::from(v) >= NUM_CLASSES) {
        return Err(MnistError::LabelOutOfRange { path: path.to_path_buf(), index, value });
    }
    Ok(data.mapv(i64::from))
}

/// Builds the [`MnistError::Missing`] error for `files`.
fn missing_error(dir: &Path, files: &[MnistFile], cause: Option<String>) -> MnistError {
    MnistError::Missing { dir: dir.to_path_buf(), files: files.iter().map(|f| f.name.to_string()).collect(), cause }
}

/// The message of [`MnistError::Missing`]: what to put where, and where to get it.
fn missing_message(dir: &Path, files: &[String], cause: Option<&str>) -> String {
    let mut msg = format!(
        "MNIST files missing from {}: {}.\nPlace these files in {} (uncompressed, or gzip-compressed with a .gz suffix):",
        dir.display(),
        files.join(", "),
        dir.display()
    );
    for f in files {
        let _ = write!(msg, "\n  {}/{f}  (or {f}.gz), from {}{f}.gz", dir.display(), MIRRORS[0]);
    }
    msg.push_str("\nor call load_arrays with download = true on a machine with internet access.");
    if let Some(cause) = cause {
        let _ = write!(msg, "\nDownload failed: {cause}");
    }
    msg
}

/// Downloads `files` (as `.gz`) into `dir`, trying each mirror in turn.
fn download_files(dir: &Path, files: &[MnistFile]) -> Result<(), MnistError> {
    std::fs::create_dir_all(dir).map_err(|source| MnistError::Io { path: dir.to_path_buf(), source })?;
    let agent = ureq::AgentBuilder::new().timeout_connect(CONNECT_TIMEOUT).timeout_read(READ_TIMEOUT).build();
    for (i, file) in files.iter().enumerate() {
        let mut failures = Vec::new();
        let mut checksum_error = None;
        let mut stored = false;
        for mirror in MIRRORS {
            let url = format!("{mirror}{}.gz", file.name);
            match fetch(&agent, &url) {
                Ok(bytes) => match store_verified(dir, &format!("{}.gz", file.name), &bytes, file.md5_gz, &url) {
                    Ok(_) => {
                        stored = true;
                        break;
                    }
                    Err(e @ MnistError::Checksum { .. }) => checksum_error = Some(e),
                    Err(e) => return Err(e),
                },
                Err(e) => failures.push(format!("{url}: {e}")),
            }
        }
        if !stored {
            if let Some(e) = checksum_error {
                return Err(e);
            }
            return Err(missing_error(dir, &files[i..], Some(failures.join("; "))));
        }
    }
    Ok(())
}

/// Fetches `url` into memory (at most [`MAX_DOWNLOAD_BYTES`]).
fn fetch(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>, String> {
    let response = agent.get(url).call().map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    response.into_reader().take(MAX_DOWNLOAD_BYTES + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_DOWNLOAD_BYTES {
        return Err(format!("response larger than {MAX_DOWNLOAD_BYTES} bytes"));
    }
    Ok(bytes)
}

/// Lowercase hex MD5 of `bytes`.
fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Verifies `bytes` against `expected_md5` and, if it matches, writes them atomically to
/// `dir/name` (temporary file in `dir`, then rename). Nothing is written on a mismatch.
fn store_verified(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    expected_md5: &str,
    source: &str,
) -> Result<PathBuf, MnistError> {
    let actual = md5_hex(bytes);
    if !actual.eq_ignore_ascii_case(expected_md5) {
        return Err(MnistError::Checksum { url: source.to_string(), expected: expected_md5.to_string(), actual });
    }
    let dest = dir.join(name);
    let tmp = dir.join(format!(".{name}.part-{}", std::process::id()));
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MnistError::Io { path, source }
    };
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .map_err(io_err(&tmp))
        .and_then(|()| std::fs::rename(&tmp, &dest).map_err(io_err(&dest)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| dest)
}

// ---- fastestimator datasets -------------------------------------------------------------------

/// FE's `fe.dataset.data.mnist.load_data()`: `(train, eval)` datasets of 60 000 and 10 000
/// samples with keys `x` (`u8`, 28×28) and `y` (`i64`). Files are read from `root_dir`
/// (default `~/fastestimator_data/MNIST`), plain or gzipped, and downloaded there with checksum
/// verification when missing and the internet is reachable.
pub fn load_data(
    root_dir: Option<&Path>,
) -> crate::Result<(crate::dataset::NumpyDataset, crate::dataset::NumpyDataset)> {
    load_data_with(root_dir, true)
}

/// [`load_data`], choosing whether a missing file may be downloaded. Offline or with
/// `download = false`, missing files give an error that lists which files to place where.
pub fn load_data_with(
    root_dir: Option<&Path>,
    download: bool,
) -> crate::Result<(crate::dataset::NumpyDataset, crate::dataset::NumpyDataset)> {
    use crate::Value;
    let a = load_arrays(root_dir, download)?;
    let make = |x: Array3<u8>, y: Array1<i64>| {
        crate::dataset::NumpyDataset::new([("x", Value::U8(x.into_dyn())), ("y", Value::I64(y.into_dyn()))])
    };
    Ok((make(a.train_images, a.train_labels)?, make(a.test_images, a.test_labels)?))
}

/// Whether all four MNIST files (plain or `.gz`) are in `root_dir` (default: the default root).
pub fn files_present(root_dir: Option<&Path>) -> bool {
    let dir = match root_dir {
        Some(d) => d.to_path_buf(),
        None => match default_root_dir() {
            Ok(d) => d,
            Err(_) => return false,
        },
    };
    FILES.iter().all(|f| locate(&dir, f).is_some())
}

/// The default MNIST folder, `~/fastestimator_data/MNIST` (or `./fastestimator_data/MNIST`
/// without a home directory).
pub fn default_root() -> PathBuf {
    default_root_dir().unwrap_or_else(|_| PathBuf::from("fastestimator_data").join("MNIST"))
}

#[cfg(test)]
mod tests {
    use super::super::idx::write_idx_u8;
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    /// Writes `bytes` as `dir/name`, gzip-compressed to `dir/name.gz` when `gz`.
    fn put(dir: &Path, name: &str, bytes: &[u8], gz: bool) {
        if gz {
            std::fs::write(dir.join(format!("{name}.gz")), gzip(bytes)).unwrap();
        } else {
            std::fs::write(dir.join(name), bytes).unwrap();
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
        put(dir, TRAIN_IMAGES.name, &images(5, 28, 28), gz);
        put(dir, TRAIN_LABELS.name, &labels(&[0, 1, 2, 9, 4]), gz);
        put(dir, TEST_IMAGES.name, &images(3, 28, 28), gz);
        put(dir, TEST_LABELS.name, &labels(&[7, 8, 3]), gz);
    }

    #[test]
    fn loads_plain_and_gz() {
        for gz in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            write_dataset(dir.path(), gz);
            let m = load_arrays(Some(dir.path()), false).unwrap();
            assert_eq!(m.train_images.shape(), &[5, 28, 28]);
            assert_eq!(m.train_labels.to_vec(), vec![0, 1, 2, 9, 4]);
            assert_eq!(m.test_images.shape(), &[3, 28, 28]);
            assert_eq!(m.test_labels.to_vec(), vec![7, 8, 3]);
            assert_eq!(m.train_images[[0, 0, 5]], 5);
            assert_eq!(m.train_images[[1, 0, 0]], (784 % 251) as u8);
        }
    }

    #[test]
    fn mixed_compression_and_plain_preferred() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), true);
        // A plain file next to the .gz one wins.
        put(dir.path(), TEST_LABELS.name, &labels(&[1, 1, 1]), false);
        let m = load_arrays(Some(dir.path()), false).unwrap();
        assert_eq!(m.test_labels.to_vec(), vec![1, 1, 1]);
    }

    #[test]
    fn truncated_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        let full = images(5, 28, 28);
        put(dir.path(), TRAIN_IMAGES.name, &full[..full.len() - 100], false);
        let err = load_arrays(Some(dir.path()), false).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, MnistError::Idx(_)), "{msg}");
        assert!(msg.contains(TRAIN_IMAGES.name), "{msg}");
        assert!(msg.contains("truncated"), "{msg}");
    }

    #[test]
    fn corrupt_magic_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), true);
        let mut bad = labels(&[7, 8, 3]);
        bad[0] = 0x42;
        put(dir.path(), TEST_LABELS.name, &bad, true);
        let msg = load_arrays(Some(dir.path()), false).unwrap_err().to_string();
        assert!(msg.contains("t10k-labels-idx1-ubyte.gz"), "{msg}");
        assert!(msg.contains("magic"), "{msg}");
    }

    #[test]
    fn wrong_image_size() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        put(dir.path(), TEST_IMAGES.name, &images(3, 27, 28), false);
        let err = load_arrays(Some(dir.path()), false).unwrap_err();
        assert!(matches!(&err, MnistError::BadImageShape { shape, .. } if shape == &[3, 27, 28]), "{err}");
        assert!(err.to_string().contains(TEST_IMAGES.name));

        // Rank 2 images.
        put(dir.path(), TEST_IMAGES.name, &write_idx_u8(&[3, 784], &[0; 2352]).unwrap(), false);
        let err = load_arrays(Some(dir.path()), false).unwrap_err();
        assert!(matches!(err, MnistError::BadImageShape { .. }), "{err}");
    }

    #[test]
    fn wrong_label_rank_and_type() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        put(dir.path(), TRAIN_LABELS.name, &write_idx_u8(&[5, 1], &[0; 5]).unwrap(), false);
        let err = load_arrays(Some(dir.path()), false).unwrap_err();
        assert!(matches!(err, MnistError::BadLabelShape { .. }), "{err}");
        assert!(err.to_string().contains(TRAIN_LABELS.name));

        // i32 labels.
        let mut b = vec![0, 0, 0x0C, 1, 0, 0, 0, 5];
        b.extend(std::iter::repeat_n(0u8, 20));
        put(dir.path(), TRAIN_LABELS.name, &b, false);
        let err = load_arrays(Some(dir.path()), false).unwrap_err();
        assert!(matches!(err, MnistError::WrongType { found: IdxType::I32, .. }), "{err}");
    }

    #[test]
    fn label_count_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        put(dir.path(), TRAIN_LABELS.name, &labels(&[0, 1, 2, 3]), false);
        let err = load_arrays(Some(dir.path()), false).unwrap_err();
        assert!(matches!(err, MnistError::CountMismatch { n_images: 5, n_labels: 4, .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains(TRAIN_IMAGES.name) && msg.contains(TRAIN_LABELS.name), "{msg}");
    }

    #[test]
    fn label_out_of_range() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), true);
        put(dir.path(), TEST_LABELS.name, &labels(&[7, 10, 3]), true);
        let err = load_arrays(Some(dir.path()), false).unwrap_err();
        assert!(matches!(err, MnistError::LabelOutOfRange { index: 1, value: 10, .. }), "{err}");
        assert!(err.to_string().contains("t10k-labels-idx1-ubyte.gz"));
    }

    #[test]
    fn missing_files_without_download() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_arrays(Some(dir.path()), false).unwrap_err();
        assert!(matches!(&err, MnistError::Missing { files, .. } if files.len() == 4));
        let msg = err.to_string();
        for f in FILES {
            assert!(msg.contains(f.name), "{msg}");
        }
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        assert!(msg.contains("https://"), "{msg}");

        // Only the missing ones are listed.
        write_dataset(dir.path(), false);
        std::fs::remove_file(dir.path().join(TEST_IMAGES.name)).unwrap();
        let err = load_arrays(Some(dir.path()), false).unwrap_err();
        assert!(matches!(&err, MnistError::Missing { files, .. } if files == &[TEST_IMAGES.name.to_string()]), "{err}");
        let msg = err.to_string();
        assert!(!msg.contains(TRAIN_IMAGES.name), "{msg}");
    }

    #[test]
    fn md5_and_store_verified() {
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        let dir = tempfile::tempdir().unwrap();
        let good = "900150983cd24fb0d6963f7d28e17f72";
        let path = store_verified(dir.path(), "x.gz", b"abc", good, "test://x").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");

        let err = store_verified(dir.path(), "y.gz", b"abd", good, "test://y").unwrap_err();
        assert!(matches!(err, MnistError::Checksum { .. }), "{err}");
        assert!(err.to_string().contains("test://y"));
        // Nothing but the good file remains: no bad file, no temporary file.
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, vec!["x.gz".to_string()]);
    }

    #[test]
    fn default_dir_is_under_home() {
        if let Ok(dir) = default_root_dir() {
            assert!(dir.ends_with("fastestimator_data/MNIST"));
        }
    }

    #[test]
    fn published_checksums_are_well_formed() {
        for f in FILES {
            assert_eq!(f.md5_gz.len(), 32);
            assert!(f.md5_gz.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}
