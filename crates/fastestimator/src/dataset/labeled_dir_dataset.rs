//! `LabeledDirDataset`: files sorted into one folder per class (FE's
//! `fe.dataset.LabeledDirDataset`).

use super::dir_builder::{dir_builder_options, label_mapping_option};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::dir_dataset::{list_files, path_column, read_key};
use super::file_reader::FileReader;
use super::summary::DatasetSummary;
use super::{Dataset, NumpyDataset, SplitSpec};
use crate::error::{FeError, Result};
use crate::value::{Sample, Value};

/// The files under `root`, grouped by their folder relative to `root` (`"a"`, `"a/b"`; `""` for
/// files directly in `root`), each group sorted.
pub(crate) fn files_by_class(root: &Path, extension: Option<&str>) -> Result<BTreeMap<String, Vec<PathBuf>>> {
    let mut classes: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for file in list_files(root, extension, true)? {
        let rel = file.parent().and_then(|p| p.strip_prefix(root).ok()).map(Path::to_path_buf).unwrap_or_default();
        let class =
            rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
        classes.entry(class).or_default().push(file);
    }
    Ok(classes)
}

/// Class name → label: the given mapping (which must cover every class found), or the sorted
/// class names numbered from 0.
pub(crate) fn class_mapping(
    classes: &BTreeMap<String, Vec<PathBuf>>,
    given: Option<&IndexMap<String, i64>>,
    root: &Path,
) -> Result<IndexMap<String, i64>> {
    match given {
        Some(mapping) => {
            let missing: Vec<&str> = classes.keys().filter(|c| !mapping.contains_key(*c)).map(String::as_str).collect();
            if !missing.is_empty() {
                return Err(FeError::param(
                    "LabeledDirDataset",
                    "label_mapping",
                    format!("the mapping is missing class folder(s) {missing:?} found in {}", root.display()),
                ));
            }
            Ok(mapping.clone())
        }
        None => Ok(classes.keys().enumerate().map(|(i, c)| (c.clone(), i as i64)).collect()),
    }
}

/// A dataset of files stored as `root/<class>/<file>`: each sample is `{data_key: path,
/// label_key: label}` (FE's `LabeledDirDataset(root_dir, data_key='x', label_key='y',
/// label_mapping=None, file_extension=None)`). Without a `label_mapping`, the sorted class
/// folder names are numbered 0, 1, .... Files are read only when a [`FileReader`] is set, in the
/// pipeline's workers.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # for f in ["cat/1.png", "cat/2.png", "dog/1.png"] {
/// #     std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
/// #     std::fs::write(dir.path().join(f), b"").unwrap();
/// # }
/// use fastestimator::dataset::{Dataset, LabeledDirDataset};
/// use fastestimator::Value;
/// let ds = LabeledDirDataset::builder(dir.path()).label_mapping([("cat", 1), ("dog", 0)]).build().unwrap();
/// assert_eq!(ds.len(), 3);
/// assert_eq!(ds.get(2).unwrap()["y"], Value::from(0i64));
/// ```
#[derive(Clone)]
pub struct LabeledDirDataset {
    data: NumpyDataset,
    mapping: IndexMap<String, i64>,
    data_key: String,
    label_key: String,
    reader: Option<FileReader>,
}

/// Builder for [`LabeledDirDataset`].
#[derive(Clone)]
pub struct LabeledDirDatasetBuilder {
    root_dir: PathBuf,
    data_key: String,
    label_key: String,
    label_mapping: Option<IndexMap<String, i64>>,
    file_extension: Option<String>,
    reader: Option<FileReader>,
}

impl LabeledDirDataset {
    /// All files under `root_dir/<class>/`, keys `x` and `y`.
    pub fn new(root_dir: impl AsRef<Path>) -> Result<LabeledDirDataset> {
        Self::builder(root_dir).build()
    }

    /// Start configuring a labeled folder dataset.
    pub fn builder(root_dir: impl AsRef<Path>) -> LabeledDirDatasetBuilder {
        LabeledDirDatasetBuilder {
            root_dir: root_dir.as_ref().to_path_buf(),
            data_key: "x".into(),
            label_key: "y".into(),
            label_mapping: None,
            file_extension: None,
            reader: None,
        }
    }

    /// Class folder → label (FE's `get_mapping()`).
    pub fn get_mapping(&self) -> &IndexMap<String, i64> {
        &self.mapping
    }

    /// The stored paths and labels, as an in-memory dataset.
    pub fn columns(&self) -> &NumpyDataset {
        &self.data
    }

    /// Split part of the files off into a new dataset with the same mapping (see
    /// [`NumpyDataset::split`]; `stratify` may name the label key).
    pub fn split(
        &mut self,
        spec: impl Into<SplitSpec>,
        seed: Option<u64>,
        stratify: Option<&str>,
    ) -> Result<LabeledDirDataset> {
        let part = self.data.split(spec, seed, stratify)?;
        Ok(LabeledDirDataset { data: part, ..self.clone() })
    }

    /// FE's `summary()`, with the class key, the number of classes and the mapping.
    pub fn summary(&self) -> DatasetSummary {
        let final_sample = if self.reader.is_none() || self.data.is_empty() { None } else { self.get(0).ok() };
        let mut summary = DatasetSummary::of_columns(&self.data, final_sample.as_ref());
        summary.class_key = Some(self.label_key.clone());
        summary.num_classes = Some(self.mapping.len());
        summary.class_key_mapping = Some(self.mapping.clone());
        summary
    }
}

impl LabeledDirDatasetBuilder {
    /// The key of the path (default `x`).
    pub fn data_key(mut self, key: &str) -> Self {
        self.data_key = key.to_string();
        self
    }

    /// The key of the label (default `y`).
    pub fn label_key(mut self, key: &str) -> Self {
        self.label_key = key.to_string();
        self
    }

    /// List the folders.
    pub fn build(self) -> Result<LabeledDirDataset> {
        let classes = files_by_class(&self.root_dir, self.file_extension.as_deref())?;
        let mapping = class_mapping(&classes, self.label_mapping.as_ref(), &self.root_dir)?;
        let mut paths = Vec::new();
        let mut labels = Vec::new();
        for (class, files) in &classes {
            let label = mapping[class];
            for f in files {
                paths.push(f.clone());
                labels.push(label);
            }
        }
        let data = NumpyDataset::new([
            (self.data_key.clone(), path_column(&paths)),
            (self.label_key.clone(), Value::from(labels)),
        ])?;
        Ok(LabeledDirDataset { data, mapping, data_key: self.data_key, label_key: self.label_key, reader: self.reader })
    }
}

impl Dataset for LabeledDirDataset {
    fn len(&self) -> usize {
        self.data.len()
    }

    fn get(&self, index: usize) -> Result<Sample> {
        let mut sample = self.data.get(index)?;
        read_key(&mut sample, &self.data_key, self.reader.as_ref())?;
        Ok(sample)
    }
}

impl std::fmt::Debug for LabeledDirDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledDirDataset")
            .field("len", &self.data.len())
            .field("mapping", &self.mapping)
            .field("keys", &(&self.data_key, &self.label_key))
            .field("reads_files", &self.reader.is_some())
            .finish()
    }
}

impl std::fmt::Debug for LabeledDirDatasetBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledDirDatasetBuilder").finish_non_exhaustive()
    }
}

dir_builder_options!(LabeledDirDatasetBuilder);
label_mapping_option!(LabeledDirDatasetBuilder);

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
        dir
    }

    #[test]
    fn labels_from_sorted_folders() {
        let dir = tree(&["b/1.png", "a/2.png", "a/1.png", "c/x.txt"]);
        let ds = LabeledDirDataset::builder(dir.path()).file_extension(".png").build().unwrap();
        assert_eq!(ds.get_mapping(), &IndexMap::from([("a".to_string(), 0), ("b".to_string(), 1)]));
        assert_eq!(ds.columns().column("y").unwrap(), &Value::from(vec![0i64, 0, 1]));
        let s = ds.summary();
        assert_eq!(s.num_classes, Some(2));
        assert!(s.to_string().starts_with("{\"num_instances\": 3, \"class_key\": \"y\", \"num_classes\": 2, \"class_key_mapping\": {\"a\": 0, \"b\": 1}"), "{s}");
    }

    #[test]
    fn label_mapping_must_cover_classes() {
        let dir = tree(&["a/1.png", "b/1.png"]);
        let ds =
            LabeledDirDataset::builder(dir.path()).label_mapping([("a", 10), ("b", 20), ("c", 30)]).build().unwrap();
        assert_eq!(ds.columns().column("y").unwrap(), &Value::from(vec![10i64, 20]));
        let err = LabeledDirDataset::builder(dir.path()).label_mapping([("a", 1)]).build().unwrap_err();
        assert!(err.to_string().contains("\"b\""), "{err}");
    }

    #[test]
    fn stratified_split_keeps_the_mapping() {
        let files: Vec<String> =
            (0..8).map(|i| format!("{}/{i}.png", if i % 2 == 0 { "even" } else { "odd" })).collect();
        let refs: Vec<&str> = files.iter().map(String::as_str).collect();
        let dir = tree(&refs);
        let mut ds = LabeledDirDataset::new(dir.path()).unwrap();
        let part = ds.split(0.5, Some(3), Some("y")).unwrap();
        assert_eq!(part.len(), 4);
        assert_eq!(part.get_mapping(), ds.get_mapping());
        assert_eq!(part.summary().keys["y"].num_unique_values, Some(2));
    }
}
