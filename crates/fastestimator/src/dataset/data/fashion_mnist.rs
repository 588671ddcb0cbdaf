//! Fashion-MNIST: 28×28 grayscale images of 10 kinds of clothing, in MNIST's IDX format
//! (Zalando Research). 60 000 training and 10 000 test images.

use std::path::Path;

use super::download::{ensure_gz_files, RemoteFile};
use crate::dataset::NumpyDataset;
use crate::error::Result;
use crate::value::Value;

/// The folder name under the data root.
pub const NAME: &str = "FashionMNIST";

const MAX_BYTES: u64 = 64 << 20;

/// The four files, gzip-compressed, with the MD5s torchvision publishes.
pub const FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        urls: &[concat!("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "train-images-idx3-ubyte.gz")],
        md5: Some("8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        max_bytes: MAX_BYTES,
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        urls: &[concat!("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "train-labels-idx1-ubyte.gz")],
        md5: Some("25c81989df183df01b3e8a0aad5dffbe"),
        max_bytes: MAX_BYTES,
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        urls: &[concat!("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "t10k-images-idx3-ubyte.gz")],
        md5: Some("bef4ecab320f06d8554ea6380940ec79"),
        max_bytes: MAX_BYTES,
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        urls: &[concat!("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "t10k-labels-idx1-ubyte.gz")],
        md5: Some("bb300cfdad3c16e7a12a480ee83cd310"),
        max_bytes: MAX_BYTES,
    },
];

/// The class names, by label.
pub const CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

image_label_loader!(
    /// Loader options (see [`load_data`]).
    FashionMnist,
    NAME
);

impl FashionMnist {
    /// `(train, eval)`: 60 000 and 10 000 samples, images `u8` `[28, 28]`, labels `i64`. Each
    /// file may also be present uncompressed (without `.gz`).
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset)> {
        let paths = ensure_gz_files("fashion_mnist", &self.dir(), &FILES, self.download)?;
        let make = |images: &Path, labels: &Path| -> Result<NumpyDataset> {
            let (x, y) = super::mnist::load_pair(images, labels)?;
            NumpyDataset::new([
                (self.image_key.as_str(), Value::U8(x.into_dyn())),
                (self.label_key.as_str(), Value::I64(y.into_dyn())),
            ])
        };
        Ok((make(&paths[0], &paths[1])?, make(&paths[2], &paths[3])?))
    }
}

/// FE-style `load_data(root_dir)`: `(train, eval)` with keys `x`, `y`, downloading missing
/// files from Zalando's mirror.
pub fn load_data(root_dir: Option<&Path>) -> Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = FashionMnist::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::data::idx::write_idx_u8;
    use crate::dataset::Dataset;
    use crate::error::FeError;
    use std::io::Write;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn loads_idx_files_plain_and_gz() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(NAME);
        std::fs::create_dir_all(&dir).unwrap();
        let img = |n: usize| write_idx_u8(&[n, 28, 28], &vec![7u8; n * 784]).unwrap();
        std::fs::write(dir.join("train-images-idx3-ubyte.gz"), gz(&img(3))).unwrap();
        std::fs::write(dir.join("train-labels-idx1-ubyte"), write_idx_u8(&[3], &[9, 0, 5]).unwrap()).unwrap();
        std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), gz(&img(2))).unwrap();
        std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), gz(&write_idx_u8(&[2], &[1, 2]).unwrap())).unwrap();
        let (train, eval) = FashionMnist::new().root_dir(root.path()).download(false).load().unwrap();
        assert_eq!((train.len(), eval.len()), (3, 2));
        assert_eq!(train.get(2).unwrap()["y"], Value::from(5i64));
        assert_eq!(train.get(0).unwrap()["x"].shape(), &[28, 28]);
        // A truncated file is an error naming it.
        std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), gz(&img(2)[..100])).unwrap();
        let msg = FashionMnist::new().root_dir(root.path()).download(false).load().unwrap_err().to_string();
        assert!(msg.contains("t10k-images-idx3-ubyte.gz"), "{msg}");
    }

    #[test]
    fn offline_without_files_lists_them() {
        let root = tempfile::tempdir().unwrap();
        let err = FashionMnist::new().root_dir(root.path()).download(false).load().unwrap_err();
        assert!(matches!(err, FeError::MissingData { ref files, .. } if files.len() == 4), "{err}");
        assert!(err.to_string().contains("fashion-mnist"), "{err}");
    }
}
