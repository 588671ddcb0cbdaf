//! `DirDataset`: one sample per file in a folder (FE's `fe.dataset.DirDataset`).

use super::dir_builder::dir_builder_options;
use std::path::{Path, PathBuf};

use super::file_reader::FileReader;
use super::summary::DatasetSummary;
use super::{Dataset, NumpyDataset, SplitSpec};
use crate::error::{FeError, Result};
use crate::value::{Sample, Value};

/// Every file under `root` whose name does not start with `.` and ends with `extension` (if
/// given), searching sub-folders when `recursive`, sorted by path.
pub(crate) fn list_files(root: &Path, extension: Option<&str>, recursive: bool) -> Result<Vec<PathBuf>> {
    if !root.is_dir() {
        return Err(FeError::io(
            "not a directory:",
            root,
            std::io::Error::new(std::io::ErrorKind::NotFound, "the dataset root must be a folder"),
        ));
    }
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| FeError::io("cannot read", &dir, e))? {
            let entry = entry.map_err(|e| FeError::io("cannot read", &dir, e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type().map_err(|e| FeError::io("cannot read", &path, e))?;
            let is_dir = kind.is_dir() || (kind.is_symlink() && path.is_dir());
            if is_dir {
                if recursive {
                    pending.push(path);
                }
            } else if !name.starts_with('.') && extension.is_none_or(|ext| name.ends_with(ext)) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Paths as a 1-D text column.
pub(crate) fn path_column(paths: &[PathBuf]) -> Value {
    Value::from(paths.iter().map(|p| p.display().to_string()).collect::<Vec<String>>())
}

/// Apply `reader` to the text value under `key`, if any.
pub(crate) fn read_key(sample: &mut Sample, key: &str, reader: Option<&FileReader>) -> Result<()> {
    if let (Some(reader), Some(Value::Str(p))) = (reader, sample.get(key)) {
        let path = PathBuf::from(p.iter().next().cloned().unwrap_or_default());
        let value = reader(&path)?;
        sample.insert(key.to_string(), value);
    }
    Ok(())
}

/// A dataset of the files in a folder: each sample is `{data_key: path}` (FE's
/// `DirDataset(root_dir, data_key='x', file_extension=None, recursive_search=True)`), or the
/// file's content when a [`FileReader`] is set. Paths are sorted, so splits are reproducible.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # std::fs::write(dir.path().join("b.png"), b"").unwrap();
/// # std::fs::write(dir.path().join("a.png"), b"").unwrap();
/// use fastestimator::dataset::{Dataset, DirDataset};
/// let ds = DirDataset::builder(dir.path()).file_extension(".png").build().unwrap();
/// assert_eq!(ds.len(), 2);
/// ```
#[derive(Clone)]
pub struct DirDataset {
    data: NumpyDataset,
    data_key: String,
    reader: Option<FileReader>,
}

/// Builder for [`DirDataset`].
#[derive(Clone)]
pub struct DirDatasetBuilder {
    root_dir: PathBuf,
    data_key: String,
    file_extension: Option<String>,
    recursive_search: bool,
    reader: Option<FileReader>,
}

impl DirDataset {
    /// All files under `root_dir`, recursively, under key `x`.
    pub fn new(root_dir: impl AsRef<Path>) -> Result<DirDataset> {
        Self::builder(root_dir).build()
    }

    /// Start configuring a folder dataset.
    pub fn builder(root_dir: impl AsRef<Path>) -> DirDatasetBuilder {
        DirDatasetBuilder {
            root_dir: root_dir.as_ref().to_path_buf(),
            data_key: "x".into(),
            file_extension: None,
            recursive_search: true,
            reader: None,
        }
    }

    /// The stored paths, as an in-memory dataset.
    pub fn columns(&self) -> &NumpyDataset {
        &self.data
    }

    /// Split part of the files off into a new dataset (see [`NumpyDataset::split`]).
    pub fn split(&mut self, spec: impl Into<SplitSpec>, seed: Option<u64>) -> Result<DirDataset> {
        let part = self.data.split(spec, seed, None)?;
        Ok(DirDataset { data: part, ..self.clone() })
    }

    /// FE's `summary()`.
    pub fn summary(&self) -> DatasetSummary {
        let final_sample = if self.reader.is_none() || self.data.is_empty() { None } else { self.get(0).ok() };
        DatasetSummary::of_columns(&self.data, final_sample.as_ref())
    }
}

impl DirDatasetBuilder {
    /// The key of the path (default `x`).
    pub fn data_key(mut self, key: &str) -> Self {
        self.data_key = key.to_string();
        self
    }

    /// Whether to look into sub-folders (default true).
    pub fn recursive_search(mut self, recursive: bool) -> Self {
        self.recursive_search = recursive;
        self
    }

    /// List the folder.
    pub fn build(self) -> Result<DirDataset> {
        let files = list_files(&self.root_dir, self.file_extension.as_deref(), self.recursive_search)?;
        let data = NumpyDataset::new([(self.data_key.clone(), path_column(&files))])?;
        Ok(DirDataset { data, data_key: self.data_key, reader: self.reader })
    }
}

impl Dataset for DirDataset {
    fn len(&self) -> usize {
        self.data.len()
    }

    fn get(&self, index: usize) -> Result<Sample> {
        let mut sample = self.data.get(index)?;
        read_key(&mut sample, &self.data_key, self.reader.as_ref())?;
        Ok(sample)
    }
}

impl std::fmt::Debug for DirDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirDataset")
            .field("len", &self.data.len())
            .field("data_key", &self.data_key)
            .field("reads_files", &self.reader.is_some())
            .finish()
    }
}

impl std::fmt::Debug for DirDatasetBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirDatasetBuilder").finish_non_exhaustive()
    }
}

dir_builder_options!(DirDatasetBuilder);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_sorted_filtered_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        for f in ["b.png", "a.png", ".hidden.png", "c.txt", "sub/d.png"] {
            std::fs::write(root.join(f), b"").unwrap();
        }
        let ds = DirDataset::builder(root).file_extension(".png").build().unwrap();
        assert_eq!(ds.len(), 3);
        let first = ds.get(0).unwrap();
        assert_eq!(first["x"], Value::from(root.join("a.png").display().to_string().as_str()));
        let ds =
            DirDataset::builder(root).data_key("A").recursive_search(false).file_extension(".png").build().unwrap();
        assert_eq!(ds.len(), 2);
        assert!(ds.get(0).unwrap().contains_key("A"));
        assert_eq!(DirDataset::new(root).unwrap().len(), 4);
        assert!(DirDataset::new(root.join("nope")).unwrap_err().to_string().contains("nope"));
    }

    #[test]
    fn reader_and_split() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5u8 {
            std::fs::write(dir.path().join(format!("{i}.bin")), [i]).unwrap();
        }
        let mut ds =
            DirDataset::builder(dir.path()).read_with(super::super::file_reader::bytes_reader()).build().unwrap();
        assert_eq!(ds.get(3).unwrap()["x"], Value::from(vec![3u8]));
        let part = ds.split(2usize, Some(0)).unwrap();
        assert_eq!((ds.len(), part.len()), (3, 2));
        assert_eq!(ds.summary().keys["x"].shape, vec![Some(1)]);
    }
}
