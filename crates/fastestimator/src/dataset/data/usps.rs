//! USPS: 16×16 grayscale handwritten digits scanned from US Postal Service envelopes, 7 291
//! training and 2 007 test images, as published on the libsvm site (`usps.bz2`, `usps.t.bz2`:
//! libsvm text, labels 1–10 for digits 0–9, pixels scaled to [-1, 1]; see [`super::libsvm`]).
//!
//! FE writes the images as PNG files into `USPS/train/<digit>/` and `USPS/test/<digit>/` once,
//! and returns [`LabeledDirDataset`]s over those folders; so does this loader. The folders are
//! built in a temporary folder and renamed into place, so an interrupted run never leaves a
//! partial cache. [`Usps::load_arrays`] gives the images in memory instead.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array3, Axis};

use super::download::{ensure_files, RemoteFile};
use super::libsvm::read_libsvm_file;
use crate::dataset::{image_reader, write_png, ImageColor, LabeledDirDataset};
use crate::error::{FeError, Result};

/// The folder name under the data root.
pub const NAME: &str = "USPS";

/// The training file, with the MD5 torchvision checks.
pub const TRAIN_FILE: RemoteFile = RemoteFile {
    name: "usps.bz2",
    urls: &["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.bz2"],
    md5: Some("ec16c51db3855ca6c91edd34d0e9b197"),
    max_bytes: 64 << 20,
};

/// The test file.
pub const TEST_FILE: RemoteFile = RemoteFile {
    name: "usps.t.bz2",
    urls: &["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.t.bz2"],
    md5: Some("8ea070ee2aca1ac39742fdd1ef5ed118"),
    max_bytes: 64 << 20,
};

/// Images and labels of one split.
#[derive(Debug, Clone, PartialEq)]
pub struct UspsArrays {
    /// `[n, 16, 16]` pixels, each image stretched to 0–255 (FE's min-max scaling).
    pub images: Array3<u8>,
    /// Digits 0–9.
    pub labels: Array1<i64>,
}

/// Read a libsvm USPS file into images and labels.
pub fn read_usps(path: &Path) -> Result<UspsArrays> {
    let data = read_libsvm_file(path, 256)?;
    let bad = |reason: String| FeError::Format { path: path.to_path_buf(), reason };
    let mut labels = Vec::with_capacity(data.labels.len());
    for (i, &l) in data.labels.iter().enumerate() {
        if l.fract() != 0.0 || !(1.0..=10.0).contains(&l) {
            return Err(bad(format!("sample {i}: label {l} is not in 1..=10")));
        }
        labels.push(l as i64 - 1);
    }
    let n = labels.len();
    let mut images = Array3::<u8>::zeros((n, 16, 16));
    for (mut out, row) in images.axis_iter_mut(Axis(0)).zip(data.features.rows()) {
        let (lo, hi) = row.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let span = (hi - lo).max(1e-8);
        for (o, &v) in out.iter_mut().zip(row) {
            *o = ((v - lo) / span * 255.0) as u8;
        }
    }
    Ok(UspsArrays { images, labels: Array1::from(labels) })
}

/// Write `arrays` as `dest/<digit>/<split>_<i>.png`, atomically (built beside `dest`, renamed).
fn write_split(arrays: &UspsArrays, dir: &Path, split: &str) -> Result<()> {
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{split}-"))
        .tempdir_in(dir)
        .map_err(|e| FeError::io("cannot create a temporary folder in", dir, e))?;
    for d in 0..10 {
        let sub = staging.path().join(d.to_string());
        std::fs::create_dir_all(&sub).map_err(|e| FeError::io("cannot create", &sub, e))?;
    }
    for (i, (image, label)) in arrays.images.axis_iter(Axis(0)).zip(&arrays.labels).enumerate() {
        let path = staging.path().join(label.to_string()).join(format!("{split}_{i}.png"));
        write_png(&path, &image.to_owned().into_dyn())?;
    }
    let dest = dir.join(split);
    let staged = staging.keep();
    std::fs::rename(&staged, &dest).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        FeError::io("cannot move into place", &dest, e)
    })
}

/// Loader options (see [`load_data`]).
#[derive(Debug, Clone)]
pub struct Usps {
    root_dir: Option<PathBuf>,
    download: bool,
    read_images: bool,
}

impl Default for Usps {
    fn default() -> Self {
        Usps { root_dir: None, download: true, read_images: false }
    }
}

loader_options!(
    Usps,
    NAME,
    read_images = "Return decoded images (`u8` `[16, 16, 1]`) instead of PNG paths (FE returns paths and \
                   reads them with a `ReadImage` op).",
);

impl Usps {
    /// FE's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The training and test images in memory, from the libsvm files.
    pub fn load_arrays(&self) -> Result<(UspsArrays, UspsArrays)> {
        let dir = self.dir();
        let paths = ensure_files("usps", &dir, &[TRAIN_FILE, TEST_FILE], self.download)?;
        Ok((read_usps(&paths[0])?, read_usps(&paths[1])?))
    }

    /// `(train, test)` [`LabeledDirDataset`]s over the PNG folders (keys `x`: path, `y`:
    /// digit), creating the folders from the libsvm files the first time.
    pub fn load(&self) -> Result<(LabeledDirDataset, LabeledDirDataset)> {
        let dir = self.dir();
        let (train_dir, test_dir) = (dir.join("train"), dir.join("test"));
        if !train_dir.is_dir() || !test_dir.is_dir() {
            let (train, test) = self.load_arrays()?;
            if !train_dir.is_dir() {
                write_split(&train, &dir, "train")?;
            }
            if !test_dir.is_dir() {
                write_split(&test, &dir, "test")?;
            }
        }
        let open = |folder: &Path| {
            let digits = (0..10).map(|d| (d.to_string(), d));
            let mut b = LabeledDirDataset::builder(folder).file_extension(".png").label_mapping(digits);
            if self.read_images {
                b = b.read_with(image_reader(ImageColor::Gray));
            }
            b.build()
        };
        Ok((open(&train_dir)?, open(&test_dir)?))
    }
}

/// FE's `usps.load_data(root_dir)`: `(train, test)` folders of PNGs.
pub fn load_data(root_dir: Option<&Path>) -> Result<(LabeledDirDataset, LabeledDirDataset)> {
    let mut loader = Usps::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::data::libsvm::write_libsvm;
    use crate::dataset::Dataset;
    use crate::value::Value;
    use std::io::Write;

    fn bz2(text: &str) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn split(labels: &[f64]) -> String {
        let features = ndarray::Array2::from_shape_fn((labels.len(), 256), |(i, j)| ((i + j) % 5) as f32 / 2.0 - 1.0);
        write_libsvm(labels, &features)
    }

    #[test]
    fn builds_png_folders_once() {
        let root = tempfile::tempdir().unwrap();
        let loader = Usps::new().root_dir(root.path()).download(false);
        std::fs::create_dir_all(loader.dir()).unwrap();
        std::fs::write(loader.dir().join(TRAIN_FILE.name), bz2(&split(&[1.0, 10.0, 3.0]))).unwrap();
        std::fs::write(loader.dir().join(TEST_FILE.name), bz2(&split(&[2.0]))).unwrap();
        let (train, test) = loader.load().unwrap();
        assert_eq!((train.len(), test.len()), (3, 1));
        assert!(loader.dir().join("train/9/train_1.png").is_file());
        // Labels: libsvm 1..10 are digits 0..9; folders 0..9 map to themselves.
        let labels: Vec<Value> = (0..3).map(|i| train.get(i).unwrap()["y"].clone()).collect();
        assert_eq!(labels, vec![Value::from(0i64), Value::from(2i64), Value::from(9i64)]);
        let (train, _) = loader.clone().read_images(true).load().unwrap();
        let Value::U8(img) = &train.get(0).unwrap()["x"] else { panic!() };
        assert_eq!(img.shape(), &[16, 16, 1]);
        // Min-max scaled: values -1 .. 1 become 0 .. 255.
        assert_eq!((img[[0, 0, 0]], img[[0, 4, 0]]), (0, 255));
        let (arrays, _) = loader.load_arrays().unwrap();
        assert_eq!(arrays.images.shape(), &[3, 16, 16]);
    }

    #[test]
    fn bad_labels_and_corrupt_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("usps.bz2");
        std::fs::write(&path, bz2(&split(&[11.0]))).unwrap();
        assert!(read_usps(&path).unwrap_err().to_string().contains("1..=10"));
        std::fs::write(&path, &bz2(&split(&[1.0]))[..40]).unwrap();
        let msg = read_usps(&path).unwrap_err().to_string();
        assert!(msg.contains("usps.bz2") && msg.contains("bzip2"), "{msg}");
        let root = tempfile::tempdir().unwrap();
        let msg = Usps::new().root_dir(root.path()).download(false).load().unwrap_err().to_string();
        assert!(msg.contains("usps.bz2") && msg.contains("usps.t.bz2"), "{msg}");
    }
}
