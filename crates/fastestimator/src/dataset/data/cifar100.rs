//! CIFAR-100: 60 000 32×32 colour images in 100 fine classes grouped into 20 coarse ones, from
//! the "binary version" (`cifar-100-binary.tar.gz`, see [`super::cifar`]).

use std::path::{Path, PathBuf};

use super::archive::ensure_from_tar_gz;
use super::cifar::{read_cifar_file, CifarVariant};
use super::cifar10::{concat, image_layout};
use super::download::RemoteFile;
use crate::dataset::NumpyDataset;
use crate::error::Result;
use crate::util::option_strings;
use crate::value::Value;

/// The folder name under the data root.
pub const NAME: &str = "cifar100";

/// The archive, with its published MD5.
pub const ARCHIVE: RemoteFile = RemoteFile {
    name: "cifar-100-binary.tar.gz",
    urls: &["https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"],
    md5: Some("03b5dce01913d631647c71ecec9e9cb8"),
    max_bytes: 256 << 20,
};

/// The training batch inside the archive.
pub const TRAIN_FILE: &str = "cifar-100-binary/train.bin";
/// The test batch inside the archive.
pub const TEST_FILE: &str = "cifar-100-binary/test.bin";

/// Which labels CIFAR-100 loaders return (FE's `label_mode`).
///
/// Parses from FE's strings `"fine"`, `"coarse"` (and prints as them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LabelMode {
    /// The 100 classes (FE's `"fine"`, the default).
    #[default]
    Fine,
    /// The 20 super-classes (`"coarse"`).
    Coarse,
}

option_strings!(LabelMode, "cifar100", "label_mode", {
    LabelMode::Fine => "fine",
    LabelMode::Coarse => "coarse",
});

/// Loader options (see [`load_data`]).
#[derive(Debug, Clone)]
pub struct Cifar100 {
    root_dir: Option<PathBuf>,
    download: bool,
    image_key: String,
    label_key: String,
    label_mode: LabelMode,
    channels_last: bool,
}

impl Default for Cifar100 {
    fn default() -> Self {
        Cifar100 {
            root_dir: None,
            download: true,
            image_key: "x".into(),
            label_key: "y".into(),
            label_mode: LabelMode::Fine,
            channels_last: true,
        }
    }
}

loader_options!(Cifar100, NAME);
image_label_keys!(Cifar100);

impl Cifar100 {
    /// Fine (100) or coarse (20) labels.
    pub fn label_mode(mut self, mode: LabelMode) -> Self {
        self.label_mode = mode;
        self
    }

    /// Images `[32, 32, 3]` (default) or `[3, 32, 32]`.
    pub fn channels_last(mut self, channels_last: bool) -> Self {
        self.channels_last = channels_last;
        self
    }

    /// `(train, eval)`: 50 000 and 10 000 samples.
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset)> {
        let dir = self.dir();
        ensure_from_tar_gz("cifar100", &dir, ARCHIVE, &[TRAIN_FILE, TEST_FILE], self.download)?;
        let read = |file: &str| -> Result<NumpyDataset> {
            let batch = read_cifar_file(&dir.join(file), CifarVariant::Cifar100)?;
            let (x, y) = concat(vec![batch], self.label_mode == LabelMode::Coarse);
            NumpyDataset::new([
                (self.image_key.as_str(), Value::U8(image_layout(x, self.channels_last))),
                (self.label_key.as_str(), Value::I64(y.into_dyn())),
            ])
        };
        Ok((read(TRAIN_FILE)?, read(TEST_FILE)?))
    }
}

/// FE's `cifar100.load_data(root_dir)` with fine labels.
pub fn load_data(root_dir: Option<&Path>) -> Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = Cifar100::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::data::cifar::{write_cifar_binary, IMAGE_BYTES};
    use crate::dataset::data::cifar10::tests::tar_gz;
    use crate::dataset::Dataset;

    #[test]
    fn fine_and_coarse_labels() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(NAME);
        std::fs::create_dir_all(&dir).unwrap();
        let batch = |fine: &[u8], coarse: &[u8]| {
            write_cifar_binary(CifarVariant::Cifar100, &vec![1u8; fine.len() * IMAGE_BYTES], fine, coarse).unwrap()
        };
        tar_gz(&dir.join(ARCHIVE.name), &[(TRAIN_FILE, batch(&[99, 3], &[19, 1])), (TEST_FILE, batch(&[7], &[2]))]);
        let (train, eval) = Cifar100::new().root_dir(root.path()).download(false).load().unwrap();
        assert_eq!(train.get(0).unwrap()["y"], Value::from(99i64));
        assert_eq!(eval.len(), 1);
        let (train, _) =
            Cifar100::new().root_dir(root.path()).download(false).label_mode(LabelMode::Coarse).load().unwrap();
        assert_eq!(train.get(0).unwrap()["y"], Value::from(19i64));
        // A CIFAR-10 file in its place has the wrong record size.
        std::fs::write(dir.join(TEST_FILE), vec![0u8; 3073]).unwrap();
        let msg = Cifar100::new().root_dir(root.path()).download(false).load().unwrap_err().to_string();
        assert!(msg.contains("test.bin") && msg.contains("3074"), "{msg}");
    }
}
