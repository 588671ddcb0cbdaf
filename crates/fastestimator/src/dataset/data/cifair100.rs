//! ciFAIR-100: CIFAR-100 with duplicated test images replaced, published as pickled CIFAR
//! "python version" batches in `ciFAIR-100.zip`.

use std::path::{Path, PathBuf};

use super::archive::ensure_from_zip;
use super::cifair10::{read_batch, to_dataset};
use super::cifar100::LabelMode;
use super::download::RemoteFile;
use crate::dataset::NumpyDataset;
use crate::error::Result;

/// The folder name under the data root.
pub const NAME: &str = "ciFAIR100";

/// The archive, with the MD5 FE checks.
pub const ARCHIVE: RemoteFile = RemoteFile {
    name: "ciFAIR-100.zip",
    urls: &["https://github.com/cvjena/cifair/releases/download/v1.0/ciFAIR-100.zip"],
    md5: Some("ddc236ab4b12eeb8b20b952614861a33"),
    max_bytes: 256 << 20,
};

/// The folder the archive extracts to.
pub const FOLDER: &str = "ciFAIR-100";

/// Loader options (see [`load_data`]).
#[derive(Debug, Clone)]
pub struct Cifair100 {
    root_dir: Option<PathBuf>,
    download: bool,
    image_key: String,
    label_key: String,
    label_mode: LabelMode,
}

impl Default for Cifair100 {
    fn default() -> Self {
        Cifair100 {
            root_dir: None,
            download: true,
            image_key: "x".into(),
            label_key: "y".into(),
            label_mode: LabelMode::Fine,
        }
    }
}

loader_options!(Cifair100, NAME);
image_label_keys!(Cifair100);

impl Cifair100 {
    /// Fine (100) or coarse (20) labels (FE's `label_mode`).
    pub fn label_mode(mut self, mode: LabelMode) -> Self {
        self.label_mode = mode;
        self
    }

    /// `(train, test)`: 50 000 and 10 000 samples, images `[32, 32, 3]`, labels `[1]`.
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset)> {
        let dir = self.dir();
        ensure_from_zip("cifair100", &dir, ARCHIVE, FOLDER, |n| n.starts_with(FOLDER), self.download)?;
        let (key, classes) = match self.label_mode {
            LabelMode::Fine => ("fine_labels", 100),
            LabelMode::Coarse => ("coarse_labels", 20),
        };
        let read = |name: &str| -> Result<NumpyDataset> {
            let part = read_batch(&dir.join(FOLDER).join(name), key, classes)?;
            to_dataset(vec![part], &self.image_key, &self.label_key)
        };
        Ok((read("train")?, read("test")?))
    }
}

/// FE's `cifair100.load_data()` with fine labels.
pub fn load_data(root_dir: Option<&Path>) -> Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = Cifair100::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::data::cifair10::tests::{pickled, zip};
    use crate::dataset::Dataset;
    use crate::value::Value;

    #[test]
    fn fine_and_coarse() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(NAME);
        std::fs::create_dir_all(&dir).unwrap();
        let batch =
            |fine: &[i64], coarse: &[i64]| pickled(fine.len(), &[("fine_labels", fine), ("coarse_labels", coarse)]);
        zip(
            &dir.join(ARCHIVE.name),
            &[(format!("{FOLDER}/train"), batch(&[99, 5], &[19, 2])), (format!("{FOLDER}/test"), batch(&[1], &[0]))],
        );
        let (train, test) = Cifair100::new().root_dir(root.path()).download(false).load().unwrap();
        assert_eq!((train.len(), test.len()), (2, 1));
        assert_eq!(train.get(0).unwrap()["y"], Value::I64(ndarray::arr1(&[99i64]).into_dyn()));
        let (train, _) =
            Cifair100::new().root_dir(root.path()).download(false).label_mode(LabelMode::Coarse).load().unwrap();
        assert_eq!(train.get(0).unwrap()["y"], Value::I64(ndarray::arr1(&[19i64]).into_dyn()));
    }
}
