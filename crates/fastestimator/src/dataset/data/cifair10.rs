//! ciFAIR-10: CIFAR-10 with the test images that duplicate training images replaced
//! (Barz & Denzler, 2020). Published as the CIFAR "python version" (pickled batches, read with
//! [`super::pickle`]) in `ciFAIR-10.zip`.

use std::path::Path;

use ndarray::{Array2, Array4};

use super::archive::ensure_from_zip;
use super::cifar10::image_layout;
use super::download::RemoteFile;
use super::pickle::read_cifar_pickle_file;
use crate::dataset::NumpyDataset;
use crate::error::{FeError, Result};
use crate::value::Value;

/// The folder name under the data root.
pub const NAME: &str = "ciFAIR10";

/// The archive, with the MD5 FE checks.
pub const ARCHIVE: RemoteFile = RemoteFile {
    name: "ciFAIR-10.zip",
    urls: &["https://github.com/cvjena/cifair/releases/download/v1.0/ciFAIR-10.zip"],
    md5: Some("ca08fd390f0839693d3fc45c4e49585f"),
    max_bytes: 256 << 20,
};

/// The folder the archive extracts to.
pub const FOLDER: &str = "ciFAIR-10";

/// Read one pickled batch: images `[n, 3, 32, 32]` and the integer list under `label_key`
/// (checked against `classes`).
pub(crate) fn read_batch(path: &Path, label_key: &str, classes: i64) -> Result<(Array4<u8>, Vec<i64>)> {
    let batch = read_cifar_pickle_file(path)?;
    let bad = |reason: String| FeError::Format { path: path.to_path_buf(), reason };
    let (n, width) = batch.data.dim();
    let invalid = |what: &str, expected: String, got: String| FeError::InvalidData {
        path: path.to_path_buf(),
        what: what.into(),
        expected,
        got,
    };
    if width != 3072 {
        return Err(invalid("'data' row length", "3072 bytes".into(), format!("{width} bytes")));
    }
    let labels = batch.labels.get(label_key).ok_or_else(|| bad(format!("no '{label_key}' list")))?.clone();
    if labels.len() != n {
        return Err(invalid("label count", format!("{n} (one per image)"), labels.len().to_string()));
    }
    if let Some((i, l)) = labels.iter().enumerate().find(|(_, &l)| !(0..classes).contains(&l)) {
        return Err(bad(format!("label {l} at index {i} is outside 0..{classes}")));
    }
    let images = batch.data.into_shape_with_order((n, 3, 32, 32)).map_err(|e| bad(e.to_string()))?;
    Ok((images, labels))
}

/// Concatenate batches into FE's layout: images channels-last, labels `[n, 1]`.
pub(crate) fn to_dataset(parts: Vec<(Array4<u8>, Vec<i64>)>, image_key: &str, label_key: &str) -> Result<NumpyDataset> {
    let views: Vec<_> = parts.iter().map(|(x, _)| x.view()).collect();
    let images = ndarray::concatenate(ndarray::Axis(0), &views).map_err(|e| FeError::Dataset {
        dataset: "ciFAIR".into(),
        reason: format!("cannot join the batches' images under {image_key:?}: {e}"),
    })?;
    let labels: Vec<i64> = parts.iter().flat_map(|(_, y)| y.iter().copied()).collect();
    let n = labels.len();
    let labels = Array2::from_shape_vec((n, 1), labels).map_err(|e| FeError::Dataset {
        dataset: "ciFAIR".into(),
        reason: format!("cannot lay the labels under {label_key:?} out as [{n}, 1]: {e}"),
    })?;
    NumpyDataset::new([(image_key, Value::U8(image_layout(images, true))), (label_key, Value::I64(labels.into_dyn()))])
}

image_label_loader!(
    /// Loader options (see [`load_data`]).
    Cifair10,
    NAME
);

impl Cifair10 {
    /// `(train, test)`: 50 000 and 10 000 samples, images `u8` `[32, 32, 3]`, labels `i64`
    /// `[1]` (FE reshapes them to `(n, 1)`).
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset)> {
        let dir = self.dir();
        ensure_from_zip("cifair10", &dir, ARCHIVE, FOLDER, |n| n.starts_with(FOLDER), self.download)?;
        let folder = dir.join(FOLDER);
        let train = (1..=5)
            .map(|i| read_batch(&folder.join(format!("data_batch_{i}")), "labels", 10))
            .collect::<Result<Vec<_>>>()?;
        let test = vec![read_batch(&folder.join("test_batch"), "labels", 10)?];
        Ok((to_dataset(train, &self.image_key, &self.label_key)?, to_dataset(test, &self.image_key, &self.label_key)?))
    }
}

/// FE's `cifair10.load_data()`: `(train, test)` with keys `x`, `y`.
pub fn load_data(root_dir: Option<&Path>) -> Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = Cifair10::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dataset::data::pickle::write_cifar_pickle;
    use crate::dataset::Dataset;
    use std::io::Write;

    /// A `.zip` holding `members`.
    pub(crate) fn zip(path: &Path, members: &[(String, Vec<u8>)]) {
        let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        for (name, data) in members {
            w.start_file(name.as_str(), zip::write::FileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }

    pub(crate) fn pickled(n: usize, labels: &[(&str, &[i64])]) -> Vec<u8> {
        write_cifar_pickle(&Array2::from_shape_fn((n, 3072), |(i, j)| ((i + j) % 256) as u8), labels)
    }

    #[test]
    fn loads_pickled_batches_from_the_zip() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(NAME);
        std::fs::create_dir_all(&dir).unwrap();
        let mut members: Vec<(String, Vec<u8>)> =
            (1..=5).map(|i| (format!("{FOLDER}/data_batch_{i}"), pickled(2, &[("labels", &[i, 9])]))).collect();
        members.push((format!("{FOLDER}/test_batch"), pickled(1, &[("labels", &[3])])));
        zip(&dir.join(ARCHIVE.name), &members);
        let (train, test) = Cifair10::new().root_dir(root.path()).download(false).load().unwrap();
        assert_eq!((train.len(), test.len()), (10, 1));
        assert_eq!(train.get(2).unwrap()["y"], Value::I64(ndarray::arr1(&[2i64]).into_dyn()));
        let Value::U8(x) = &train.get(1).unwrap()["x"] else { panic!() };
        assert_eq!(x.shape(), &[32, 32, 3]);
        // Row 1 byte j is (1 + j) % 256; pixel (0, 1) green is byte 1024 + 1.
        assert_eq!(x[[0, 1, 1]], ((1 + 1025) % 256) as u8);

        // A wrong label is named with the file.
        std::fs::write(dir.join(FOLDER).join("test_batch"), pickled(1, &[("labels", &[10])])).unwrap();
        let msg = Cifair10::new().root_dir(root.path()).download(false).load().unwrap_err().to_string();
        assert!(msg.contains("test_batch") && msg.contains("outside"), "{msg}");
        std::fs::write(dir.join(FOLDER).join("test_batch"), &pickled(1, &[("labels", &[1])])[..50]).unwrap();
        let msg = Cifair10::new().root_dir(root.path()).download(false).load().unwrap_err().to_string();
        assert!(msg.contains("test_batch") && msg.contains("truncated"), "{msg}");
    }

    #[test]
    fn offline_error_names_the_zip() {
        let root = tempfile::tempdir().unwrap();
        let msg = Cifair10::new().root_dir(root.path()).download(false).load().unwrap_err().to_string();
        assert!(msg.contains("ciFAIR-10.zip") && msg.contains("github.com/cvjena"), "{msg}");
    }
}
