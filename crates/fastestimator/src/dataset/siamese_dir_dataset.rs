//! `SiameseDirDataset`: pairs of files from class folders, labeled 1 when both come from the
//! same class (FE's `fe.dataset.SiameseDirDataset`).

use super::dir_builder::{dir_builder_options, label_mapping_option};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use indexmap::IndexMap;
use rand::seq::SliceRandom;
use rand::Rng;

use super::file_reader::FileReader;
use super::labeled_dir_dataset::{class_mapping, files_by_class};
use super::summary::DatasetSummary;
use super::{Dataset, NumpyDataset, SplitSpec};
use crate::error::{FeError, Result};
use crate::util::seeded_rng;
use crate::value::{Sample, Value};

/// A dataset of pairs drawn from `root/<class>/<file>` (FE's `SiameseDirDataset(root_dir,
/// data_key_left='x_a', data_key_right='x_b', label_key='y', percent_matching_data=0.5,
/// label_mapping=None, file_extension=None)`).
///
/// An epoch visits every file once as the left element. The right element is another file of
/// the same class (label 1) with probability `percent_matching_data`, else a file of another
/// class (label 0). The draw for sample `i` is seeded by the dataset seed, `i` and how many times
/// sample `i` was requested before, so each epoch pairs differently while the result does not
/// depend on the number of pipeline workers. [`SiameseDirDataset::split`] splits by class, as in
/// FE.
pub struct SiameseDirDataset {
    paths: Vec<String>,
    classes: Vec<i64>,
    class_data: BTreeMap<i64, Vec<usize>>,
    mapping: IndexMap<String, i64>,
    keys: (String, String, String),
    percent_matching_data: f64,
    reader: Option<FileReader>,
    seed: u64,
    draws: Arc<Vec<AtomicU32>>,
}

/// Builder for [`SiameseDirDataset`].
#[derive(Clone)]
pub struct SiameseDirDatasetBuilder {
    root_dir: PathBuf,
    keys: (String, String, String),
    percent_matching_data: f64,
    label_mapping: Option<IndexMap<String, i64>>,
    file_extension: Option<String>,
    reader: Option<FileReader>,
    seed: Option<u64>,
}

impl SiameseDirDataset {
    /// Pairs from `root_dir/<class>/`, keys `x_a`, `x_b`, `y`, half of them matching.
    pub fn new(root_dir: impl AsRef<Path>) -> Result<SiameseDirDataset> {
        Self::builder(root_dir).build()
    }

    /// Start configuring a Siamese dataset.
    pub fn builder(root_dir: impl AsRef<Path>) -> SiameseDirDatasetBuilder {
        SiameseDirDatasetBuilder {
            root_dir: root_dir.as_ref().to_path_buf(),
            keys: ("x_a".into(), "x_b".into(), "y".into()),
            percent_matching_data: 0.5,
            label_mapping: None,
            file_extension: None,
            reader: None,
            seed: None,
        }
    }

    fn with_parts(&self, paths: Vec<String>, classes: Vec<i64>) -> SiameseDirDataset {
        let mut class_data: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, &c) in classes.iter().enumerate() {
            class_data.entry(c).or_default().push(i);
        }
        let draws = Arc::new((0..paths.len()).map(|_| AtomicU32::new(0)).collect());
        SiameseDirDataset {
            paths,
            classes,
            class_data,
            mapping: self.mapping.clone(),
            keys: self.keys.clone(),
            percent_matching_data: self.percent_matching_data,
            reader: self.reader.clone(),
            seed: self.seed,
            draws,
        }
    }

    /// Class folder → label (FE's `get_mapping()`).
    pub fn get_mapping(&self) -> &IndexMap<String, i64> {
        &self.mapping
    }

    /// The number of classes present.
    pub fn num_classes(&self) -> usize {
        self.class_data.len()
    }

    /// Split whole classes off into a new dataset (FE splits a Siamese dataset by class index:
    /// a fraction or count refers to classes, not files).
    pub fn split(&mut self, spec: impl Into<SplitSpec>, seed: Option<u64>) -> Result<SiameseDirDataset> {
        let class_ids: Vec<i64> = self.class_data.keys().copied().collect();
        let mut classes = NumpyDataset::new([("c", Value::from(class_ids))])?;
        let chosen = classes.split(spec, seed, None)?;
        let Some(Value::I64(chosen)) = chosen.column("c") else {
            return Err(FeError::Worker("class split lost its column".into()));
        };
        let chosen: Vec<i64> = chosen.iter().copied().collect();
        let (mut keep, mut take) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
        for (path, &class) in self.paths.iter().zip(&self.classes) {
            let side = if chosen.contains(&class) { &mut take } else { &mut keep };
            side.0.push(path.clone());
            side.1.push(class);
        }
        let part = self.with_parts(take.0, take.1);
        *self = self.with_parts(keep.0, keep.1);
        Ok(part)
    }

    /// FE's `one_shot_trial(n)`: `n` copies of one file of a random class, and `n` files of
    /// which the first is another file of that class and the rest come from `n - 1` other
    /// classes. A model should rate the first pair the most similar.
    pub fn one_shot_trial(&self, n: usize, seed: u64) -> Result<(Vec<String>, Vec<String>)> {
        if n < 2 {
            return Err(FeError::param("one_shot_trial", "n", "needs at least 2"));
        }
        if n > self.class_data.len() {
            return Err(FeError::param(
                "one_shot_trial",
                "n",
                format!("only supports up to {} comparisons, but n = {n}", self.class_data.len()),
            ));
        }
        let mut rng = seeded_rng(seed, &[0x0157_7a1a]);
        let mut class_ids: Vec<i64> = self.class_data.keys().copied().collect();
        class_ids.shuffle(&mut rng);
        let first = &self.class_data[&class_ids[0]];
        if first.len() < 2 {
            return Err(FeError::Dataset {
                dataset: "SiameseDirDataset.one_shot_trial".into(),
                reason: format!("class {} has a single file; a one-shot trial needs two", class_ids[0]),
            });
        }
        let pair: Vec<&usize> = first.choose_multiple(&mut rng, 2).collect();
        let left = vec![self.paths[*pair[0]].clone(); n];
        let mut right = vec![self.paths[*pair[1]].clone()];
        for class in &class_ids[1..n] {
            let members = &self.class_data[class];
            let pick = members[rng.gen_range(0..members.len())];
            right.push(self.paths[pick].clone());
        }
        Ok((left, right))
    }

    /// FE's `summary()` (the class mapping is left out, as in FE, since labels are 0/1).
    pub fn summary(&self) -> DatasetSummary {
        let data = NumpyDataset::new([
            (self.keys.0.clone(), Value::from(self.paths.clone())),
            (
                self.keys.2.clone(),
                Value::from(vec![0i64, 1].into_iter().cycle().take(self.paths.len()).collect::<Vec<_>>()),
            ),
            (self.keys.1.clone(), Value::from(self.paths.clone())),
        ]);
        let final_sample = if self.paths.is_empty() { None } else { self.get(0).ok() };
        let mut summary = match data {
            Ok(d) => DatasetSummary::of_columns(&d, final_sample.as_ref()),
            Err(_) => DatasetSummary::default(),
        };
        summary.num_instances = self.paths.len();
        summary.class_key = Some(self.keys.2.clone());
        summary.num_classes = Some(2);
        summary
    }

    fn value(&self, index: usize) -> Result<Value> {
        let path = &self.paths[index];
        match &self.reader {
            Some(reader) => reader(Path::new(path)),
            None => Ok(Value::from(path.as_str())),
        }
    }
}

impl SiameseDirDatasetBuilder {
    /// The key of the left element (default `x_a`).
    pub fn data_key_left(mut self, key: &str) -> Self {
        self.keys.0 = key.to_string();
        self
    }

    /// The key of the right element (default `x_b`).
    pub fn data_key_right(mut self, key: &str) -> Self {
        self.keys.1 = key.to_string();
        self
    }

    /// The key of the 0/1 label (default `y`).
    pub fn label_key(mut self, key: &str) -> Self {
        self.keys.2 = key.to_string();
        self
    }

    /// The probability that a pair is matching (default 0.5).
    pub fn percent_matching_data(mut self, p: f64) -> Self {
        self.percent_matching_data = p;
        self
    }

    /// The seed of the pair draws (default: the global deterministic seed if set, else random).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// List the folders.
    pub fn build(self) -> Result<SiameseDirDataset> {
        if !(0.0..=1.0).contains(&self.percent_matching_data) {
            return Err(FeError::param("SiameseDirDataset", "percent_matching_data", "must be in [0, 1]"));
        }
        let by_class = files_by_class(&self.root_dir, self.file_extension.as_deref())?;
        let mapping = class_mapping(&by_class, self.label_mapping.as_ref(), &self.root_dir)?;
        let mut paths = Vec::new();
        let mut classes = Vec::new();
        for (class, files) in &by_class {
            for f in files {
                paths.push(f.display().to_string());
                classes.push(mapping[class]);
            }
        }
        let template = SiameseDirDataset {
            paths: Vec::new(),
            classes: Vec::new(),
            class_data: BTreeMap::new(),
            mapping,
            keys: self.keys,
            percent_matching_data: self.percent_matching_data,
            reader: self.reader,
            seed: self.seed.or_else(crate::runtime::deterministic_seed).unwrap_or_else(rand::random),
            draws: Arc::new(Vec::new()),
        };
        Ok(template.with_parts(paths, classes))
    }
}

impl Dataset for SiameseDirDataset {
    fn len(&self) -> usize {
        self.paths.len()
    }

    fn get(&self, index: usize) -> Result<Sample> {
        if index >= self.paths.len() {
            return Err(FeError::IndexOutOfRange { dataset: "SiameseDirDataset".into(), index, len: self.paths.len() });
        }
        let draw = self.draws[index].fetch_add(1, Ordering::Relaxed);
        let mut rng = seeded_rng(self.seed, &[index as u64, u64::from(draw)]);
        let class = self.classes[index];
        let matching = rng.gen::<f64>() < self.percent_matching_data;
        let other = if matching {
            let candidates: Vec<usize> = self.class_data[&class].iter().copied().filter(|&i| i != index).collect();
            *candidates.choose(&mut rng).ok_or_else(|| FeError::Dataset {
                dataset: "SiameseDirDataset".into(),
                reason: format!("class {class} has a single file, so no matching pair can be drawn"),
            })?
        } else {
            let others: Vec<i64> = self.class_data.keys().copied().filter(|&c| c != class).collect();
            let other_class = others.choose(&mut rng).ok_or_else(|| FeError::Dataset {
                dataset: "SiameseDirDataset".into(),
                reason: "a non-matching pair needs at least two classes".into(),
            })?;
            *self.class_data[other_class].choose(&mut rng).unwrap_or(&index)
        };
        let mut sample = Sample::new();
        sample.insert(self.keys.0.clone(), self.value(index)?);
        sample.insert(self.keys.2.clone(), Value::from(i64::from(matching)));
        sample.insert(self.keys.1.clone(), self.value(other)?);
        Ok(sample)
    }
}

impl std::fmt::Debug for SiameseDirDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiameseDirDataset")
            .field("len", &self.paths.len())
            .field("num_classes", &self.class_data.len())
            .field("keys", &self.keys)
            .field("percent_matching_data", &self.percent_matching_data)
            .finish()
    }
}

impl std::fmt::Debug for SiameseDirDatasetBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiameseDirDatasetBuilder").finish_non_exhaustive()
    }
}

dir_builder_options!(SiameseDirDatasetBuilder);
label_mapping_option!(SiameseDirDatasetBuilder);

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(classes: usize, per_class: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for c in 0..classes {
            let d = dir.path().join(format!("alphabet/char{c:02}"));
            std::fs::create_dir_all(&d).unwrap();
            for i in 0..per_class {
                std::fs::write(d.join(format!("{i}.png")), b"").unwrap();
            }
        }
        dir
    }

    fn class_of(path: &Value) -> String {
        let Value::Str(a) = path else { panic!() };
        Path::new(a.iter().next().unwrap()).parent().unwrap().file_name().unwrap().to_string_lossy().into_owned()
    }

    #[test]
    fn pairs_match_their_labels_and_vary_by_epoch() {
        let dir = tree(4, 3);
        let ds = SiameseDirDataset::builder(dir.path()).seed(7).build().unwrap();
        assert_eq!((ds.len(), ds.num_classes()), (12, 4));
        let mut matching = 0;
        let mut first = Vec::new();
        for epoch in 0..3 {
            for i in 0..ds.len() {
                let s = ds.get(i).unwrap();
                assert_eq!(s.keys().cloned().collect::<Vec<_>>(), vec!["x_a", "y", "x_b"]);
                let same = class_of(&s["x_a"]) == class_of(&s["x_b"]);
                assert_eq!(s["y"], Value::from(i64::from(same)));
                assert_ne!(s["x_a"], s["x_b"]);
                matching += i64::from(same);
                if epoch == 0 {
                    first.push(s);
                } else if epoch == 1 && i == 0 {
                    // Deterministic: a fresh dataset with the same seed repeats epoch 0.
                    let again = SiameseDirDataset::builder(dir.path()).seed(7).build().unwrap();
                    assert_eq!(again.get(0).unwrap(), first[0]);
                }
            }
        }
        assert!((8..=28).contains(&matching), "{matching} of 36 pairs matched");
        let all = SiameseDirDataset::builder(dir.path()).percent_matching_data(1.0).seed(1).build().unwrap();
        assert!((0..12).all(|i| all.get(i).unwrap()["y"] == Value::from(1i64)));
    }

    #[test]
    fn split_by_class_and_one_shot_trial() {
        let dir = tree(5, 2);
        let mut ds = SiameseDirDataset::builder(dir.path()).seed(3).build().unwrap();
        let part = ds.split(2usize, Some(0)).unwrap();
        assert_eq!((ds.num_classes(), part.num_classes()), (3, 2));
        assert_eq!((ds.len(), part.len()), (6, 4));
        let (l, r) = ds.one_shot_trial(3, 9).unwrap();
        assert_eq!((l.len(), r.len()), (3, 3));
        assert!(l.iter().all(|p| p == &l[0]));
        let class = |p: &str| Path::new(p).parent().unwrap().to_path_buf();
        assert_eq!(class(&l[0]), class(&r[0]));
        assert_ne!(l[0], r[0]);
        assert!(r[1..].iter().all(|p| class(p) != class(&l[0])));
        assert!(ds.one_shot_trial(4, 0).is_err());
        assert!(ds.one_shot_trial(1, 0).is_err());
        assert_eq!(ds.summary().num_instances, 6);
    }

    #[test]
    fn single_file_class_is_a_clear_error() {
        let dir = tree(2, 1);
        let ds = SiameseDirDataset::builder(dir.path()).percent_matching_data(1.0).seed(0).build().unwrap();
        assert!(ds.get(0).unwrap_err().to_string().contains("single file"));
        assert!(SiameseDirDataset::builder(dir.path()).percent_matching_data(2.0).build().is_err());
    }
}
