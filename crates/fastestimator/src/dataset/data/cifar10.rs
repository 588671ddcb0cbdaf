//! CIFAR-10: 60 000 32×32 colour images in 10 classes, from the "binary version" batches
//! (`cifar-10-binary.tar.gz`, see [`super::cifar`] for the format).

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array4, ArrayD, Axis};

use super::archive::ensure_from_tar_gz;
use super::cifar::{read_cifar_file, CifarBatch, CifarVariant};
use super::download::RemoteFile;
use crate::dataset::NumpyDataset;
use crate::error::Result;
use crate::value::Value;

/// The folder name under the data root.
pub const NAME: &str = "cifar10";

/// The archive, with the MD5 published alongside it.
pub const ARCHIVE: RemoteFile = RemoteFile {
    name: "cifar-10-binary.tar.gz",
    urls: &["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"],
    md5: Some("c32a1d4ab5d03f1284b67883e8d87530"),
    max_bytes: 256 << 20,
};

/// The batch files inside the archive (and, once extracted, under the data folder).
pub const TRAIN_FILES: [&str; 5] = [
    "cifar-10-batches-bin/data_batch_1.bin",
    "cifar-10-batches-bin/data_batch_2.bin",
    "cifar-10-batches-bin/data_batch_3.bin",
    "cifar-10-batches-bin/data_batch_4.bin",
    "cifar-10-batches-bin/data_batch_5.bin",
];
/// The test batch.
pub const TEST_FILE: &str = "cifar-10-batches-bin/test_batch.bin";

/// The class names, by label.
pub const CLASSES: [&str; 10] =
    ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

/// `[n, 3, 32, 32]` images as `[n, 32, 32, 3]` (channels last) or unchanged.
pub(crate) fn image_layout(images: Array4<u8>, channels_last: bool) -> ArrayD<u8> {
    if channels_last {
        images.permuted_axes([0, 2, 3, 1]).as_standard_layout().into_owned().into_dyn()
    } else {
        images.into_dyn()
    }
}

/// Concatenate batches (images and their fine/class labels, or coarse labels).
pub(crate) fn concat(batches: Vec<CifarBatch>, coarse: bool) -> (Array4<u8>, Array1<i64>) {
    let views: Vec<_> = batches.iter().map(|b| b.images.view()).collect();
    let images = ndarray::concatenate(Axis(0), &views).unwrap_or_else(|_| Array4::zeros((0, 3, 32, 32)));
    let labels = batches
        .iter()
        .flat_map(|b| if coarse { b.coarse_labels.iter() } else { b.labels.iter() })
        .map(|&l| i64::from(l))
        .collect();
    (images, labels)
}

/// Loader options (see [`load_data`]).
#[derive(Debug, Clone)]
pub struct Cifar10 {
    root_dir: Option<PathBuf>,
    download: bool,
    image_key: String,
    label_key: String,
    channels_last: bool,
}

impl Default for Cifar10 {
    fn default() -> Self {
        Cifar10 { root_dir: None, download: true, image_key: "x".into(), label_key: "y".into(), channels_last: true }
    }
}

loader_options!(Cifar10, NAME);
image_label_keys!(Cifar10);

impl Cifar10 {
    /// Images `[32, 32, 3]` (default, FE's `channels_last=True`) or `[3, 32, 32]`.
    pub fn channels_last(mut self, channels_last: bool) -> Self {
        self.channels_last = channels_last;
        self
    }

    /// `(train, eval)`: 50 000 and 10 000 samples, images `u8`, labels `i64` `0..10`. The
    /// extracted `.bin` files are used when present, else the archive is extracted (and
    /// downloaded first when missing and allowed).
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset)> {
        let dir = self.dir();
        let mut members: Vec<&str> = TRAIN_FILES.to_vec();
        members.push(TEST_FILE);
        ensure_from_tar_gz("cifar10", &dir, ARCHIVE, &members, self.download)?;
        let read = |files: &[&str]| -> Result<NumpyDataset> {
            let batches = files
                .iter()
                .map(|f| read_cifar_file(&dir.join(f), CifarVariant::Cifar10))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let (x, y) = concat(batches, false);
            NumpyDataset::new([
                (self.image_key.as_str(), Value::U8(image_layout(x, self.channels_last))),
                (self.label_key.as_str(), Value::I64(y.into_dyn())),
            ])
        };
        Ok((read(&TRAIN_FILES)?, read(&[TEST_FILE])?))
    }
}

/// FE's `cifar10.load_data(root_dir)`: `(train, eval)`, keys `x` (`[32, 32, 3]`) and `y`.
pub fn load_data(root_dir: Option<&Path>) -> Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = Cifar10::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dataset::data::cifar::{write_cifar_binary, IMAGE_BYTES};
    use crate::dataset::Dataset;
    use crate::error::FeError;

    /// A `.tar.gz` holding `members`.
    pub(crate) fn tar_gz(path: &Path, members: &[(&str, Vec<u8>)]) {
        let gz = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        for (name, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, &data[..]).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap();
    }

    fn batch(n: usize, label: u8) -> Vec<u8> {
        let images: Vec<u8> = (0..n * IMAGE_BYTES).map(|i| (i % 3 * 100) as u8).collect();
        write_cifar_binary(CifarVariant::Cifar10, &images, &vec![label; n], &[]).unwrap()
    }

    #[test]
    fn extracts_the_archive_and_loads() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(NAME);
        std::fs::create_dir_all(&dir).unwrap();
        let mut members: Vec<(&str, Vec<u8>)> =
            TRAIN_FILES.iter().enumerate().map(|(i, f)| (*f, batch(2, i as u8))).collect();
        members.push((TEST_FILE, batch(3, 9)));
        members.push(("cifar-10-batches-bin/readme.html", b"hi".to_vec()));
        tar_gz(&dir.join(ARCHIVE.name), &members);
        let (train, eval) = Cifar10::new().root_dir(root.path()).download(false).load().unwrap();
        assert_eq!((train.len(), eval.len()), (10, 3));
        assert_eq!(train.get(9).unwrap()["y"], Value::from(4i64));
        // Channels last: pixel (0, 0) has R = byte 0, G = byte 1024, B = byte 2048.
        let x = train.get(0).unwrap()["x"].clone();
        assert_eq!(x.shape(), &[32, 32, 3]);
        let Value::U8(x) = x else { panic!() };
        assert_eq!([x[[0, 0, 0]], x[[0, 0, 1]], x[[0, 0, 2]]], [0, 100, 200]);
        assert!(dir.join(TEST_FILE).is_file(), "extracted once, used next time");
        let (_, eval) = Cifar10::new().root_dir(root.path()).download(false).channels_last(false).load().unwrap();
        assert_eq!(eval.get(0).unwrap()["x"].shape(), &[3, 32, 32]);
    }

    #[test]
    fn corrupt_batch_and_missing_archive() {
        let root = tempfile::tempdir().unwrap();
        let err = Cifar10::new().root_dir(root.path()).download(false).load().unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, FeError::MissingData { .. }), "{msg}");
        assert!(msg.contains("cifar-10-binary.tar.gz") && msg.contains("test_batch.bin"), "{msg}");
        let dir = root.path().join(NAME).join("cifar-10-batches-bin");
        std::fs::create_dir_all(&dir).unwrap();
        for f in TRAIN_FILES.iter().chain([&TEST_FILE]) {
            std::fs::write(root.path().join(NAME).join(f), batch(1, 0)).unwrap();
        }
        let mut bad = batch(1, 0);
        bad.pop();
        std::fs::write(dir.join("data_batch_3.bin"), bad).unwrap();
        let msg = Cifar10::new().root_dir(root.path()).download(false).load().unwrap_err().to_string();
        assert!(msg.contains("data_batch_3.bin") && msg.contains("3073"), "{msg}");
    }
}
