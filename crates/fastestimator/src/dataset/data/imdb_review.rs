//! IMDB movie reviews (Maas et al., 2011): 25 000 training and 25 000 test reviews labeled
//! positive or negative, from the Stanford archive `aclImdb_v1.tar.gz`
//! (`aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`).
//!
//! FE used to load Keras' pre-tokenized copy; its current `imdb_review.load_data` raises
//! `NotImplementedError` ("TensorFlow backend removed - use torchtext or download IMDB data
//! manually"). Keras' word indices cannot be rebuilt from the raw text, so this loader reads the
//! Stanford archive and tokenizes the text itself with Keras' conventions: lower-cased words (HTML line
//! breaks removed, split on anything but letters, digits and apostrophes), ranked by training-set
//! frequency, index = rank + 3 (0 pads, 1 starts a review, 2 replaces words outside
//! `vocab_size`). Each review becomes `[1, w1, w2, ...]`, cut to `max_len` and padded with 0 at
//! the end (FE's `pad`).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::Array2;

use super::download::{ensure_files, RemoteFile};
use crate::dataset::{Dataset, NumpyDataset};
use crate::error::{FeError, Result};
use crate::value::Value;

/// The folder name under the data root.
pub const NAME: &str = "IMDB";

/// The archive, with its published MD5.
pub const ARCHIVE: RemoteFile = RemoteFile {
    name: "aclImdb_v1.tar.gz",
    urls: &["https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"],
    md5: Some("7c2ac02c03563afcf9b574c7e56c153a"),
    max_bytes: 128 << 20,
};

/// Index of the padding value.
pub const PAD: i64 = 0;
/// Index that starts every review.
pub const START: i64 = 1;
/// Index of words outside the vocabulary.
pub const OOV: i64 = 2;
/// Offset from a word's frequency rank to its index.
pub const INDEX_FROM: i64 = 3;

/// One review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// `"train"` or `"test"`.
    pub split: String,
    /// 1 for positive, 0 for negative.
    pub label: i64,
    /// The raw text.
    pub text: String,
}

/// Lower-cased words of a review (Keras-style: HTML breaks dropped, split on anything but
/// letters, digits and apostrophes).
pub fn tokenize(text: &str) -> Vec<String> {
    text.replace("<br />", " ")
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Classify an archive path like `aclImdb/train/pos/0_9.txt`.
fn classify(name: &str) -> Option<(String, i64)> {
    let parts: Vec<&str> = name.trim_start_matches("./").split('/').collect();
    match parts.as_slice() {
        ["aclImdb", split @ ("train" | "test"), label @ ("pos" | "neg"), file] if file.ends_with(".txt") => {
            Some((split.to_string(), i64::from(*label == "pos")))
        }
        _ => None,
    }
}

/// Read every labeled review from the archive (or from an extracted `aclImdb/` folder next to
/// it), sorted by path.
pub fn read_reviews(archive: &Path) -> Result<Vec<Review>> {
    let mut found: Vec<(String, Review)> = Vec::new();
    let bad =
        |e: std::io::Error| FeError::Format { path: archive.to_path_buf(), reason: format!("corrupt tar.gz: {e}") };
    let file = std::fs::File::open(archive).map_err(|e| FeError::io("cannot read", archive, e))?;
    let mut tar = tar::Archive::new(flate2::read::MultiGzDecoder::new(file));
    for entry in tar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let Some((split, label)) = classify(&name) else { continue };
        let mut bytes = Vec::new();
        (&mut entry).take(1 << 24).read_to_end(&mut bytes).map_err(bad)?;
        found.push((name, Review { split, label, text: String::from_utf8_lossy(&bytes).into_owned() }));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found.into_iter().map(|(_, r)| r).collect())
}

/// Read the reviews from an extracted `aclImdb/` folder.
pub fn read_review_dir(root: &Path) -> Result<Vec<Review>> {
    let mut out = Vec::new();
    for split in ["test", "train"] {
        for (label_name, label) in [("neg", 0), ("pos", 1)] {
            let dir = root.join(split).join(label_name);
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| FeError::io("cannot read", &dir, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect();
            files.sort();
            for f in files {
                let bytes = std::fs::read(&f).map_err(|e| FeError::io("cannot read", &f, e))?;
                out.push(Review { split: split.into(), label, text: String::from_utf8_lossy(&bytes).into_owned() });
            }
        }
    }
    Ok(out)
}

/// Word → index (rank + 3) from the training reviews: most frequent first, ties in order of
/// first appearance.
pub fn build_vocab(reviews: &[Review]) -> HashMap<String, i64> {
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    let mut order = 0;
    for r in reviews.iter().filter(|r| r.split == "train") {
        for w in tokenize(&r.text) {
            let e = counts.entry(w).or_insert_with(|| {
                order += 1;
                (0, order)
            });
            e.0 += 1;
        }
    }
    let mut words: Vec<(String, (usize, usize))> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.1 .1.cmp(&b.1 .1)));
    words.into_iter().enumerate().map(|(rank, (w, _))| (w, rank as i64 + 1 + INDEX_FROM)).collect()
}

/// Loader options (see [`load_data`]).
#[derive(Debug, Clone)]
pub struct ImdbReview {
    root_dir: Option<PathBuf>,
    download: bool,
    max_len: usize,
    vocab_size: usize,
}

loader_options!(ImdbReview, NAME);

impl ImdbReview {
    /// Reviews cut or padded to `max_len` tokens, with indices below `vocab_size` (FE's two
    /// required arguments).
    pub fn new(max_len: usize, vocab_size: usize) -> Self {
        ImdbReview { root_dir: None, download: true, max_len, vocab_size }
    }

    /// `(train, eval)`: 25 000 reviews each, `x` `i64` `[max_len]`, `y` `i64` (1 positive).
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset)> {
        if self.max_len == 0 || self.vocab_size <= INDEX_FROM as usize {
            return Err(FeError::param(
                "imdb_review",
                "max_len/vocab_size",
                "max_len must be positive and vocab_size above 3",
            ));
        }
        let dir = self.dir();
        let extracted = dir.join("aclImdb");
        let reviews = if extracted.join("train").is_dir() && extracted.join("test").is_dir() {
            read_review_dir(&extracted)?
        } else {
            let archive = ensure_files("imdb_review", &dir, &[ARCHIVE], self.download)?.remove(0);
            read_reviews(&archive)?
        };
        let vocab = build_vocab(&reviews);
        let encode = |split: &str| -> Result<NumpyDataset> {
            let chosen: Vec<&Review> = reviews.iter().filter(|r| r.split == split).collect();
            let mut x = Array2::<i64>::from_elem((chosen.len(), self.max_len), PAD);
            for (mut row, r) in x.rows_mut().into_iter().zip(&chosen) {
                let words = tokenize(&r.text);
                let ids = std::iter::once(START).chain(words.iter().map(|w| match vocab.get(w) {
                    Some(&i) if (i as usize) < self.vocab_size => i,
                    _ => OOV,
                }));
                for (slot, id) in row.iter_mut().zip(ids) {
                    *slot = id;
                }
            }
            let y: Vec<i64> = chosen.iter().map(|r| r.label).collect();
            NumpyDataset::new([("x", Value::I64(x.into_dyn())), ("y", Value::from(y))])
        };
        let train = encode("train")?;
        let eval = encode("test")?;
        if train.is_empty() || eval.is_empty() {
            return Err(FeError::Format { path: dir, reason: "no labeled train/test reviews found".into() });
        }
        Ok((train, eval))
    }
}

/// FE's `imdb_review.load_data(max_len, vocab_size)`.
pub fn load_data(root_dir: Option<&Path>, max_len: usize, vocab_size: usize) -> Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = ImdbReview::new(max_len, vocab_size);
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::data::cifar10::tests::tar_gz;
    use crate::dataset::Dataset;

    #[test]
    fn tokenizes_like_keras() {
        assert_eq!(tokenize("Great film!<br />Isn't it? 10/10"), vec!["great", "film", "isn't", "it", "10", "10"]);
    }

    #[test]
    fn encodes_reviews_from_the_archive() {
        let root = tempfile::tempdir().unwrap();
        let loader = ImdbReview::new(6, 6).root_dir(root.path()).download(false);
        std::fs::create_dir_all(loader.dir()).unwrap();
        fn m<'a>(n: &'a str, t: &str) -> (&'a str, Vec<u8>) {
            (n, t.as_bytes().to_vec())
        }
        tar_gz(
            &loader.dir().join(ARCHIVE.name),
            &[
                m("aclImdb/train/pos/0_9.txt", "good good movie"),
                m("aclImdb/train/neg/0_1.txt", "bad bad bad movie plot"),
                m("aclImdb/test/pos/0_8.txt", "good plot twist"),
                m("aclImdb/test/neg/0_2.txt", "bad"),
                m("aclImdb/train/unsup/0_0.txt", "ignored"),
                m("aclImdb/README", "x"),
            ],
        );
        let (train, eval) = loader.load().unwrap();
        assert_eq!((train.len(), eval.len()), (2, 2));
        // Sorted paths put train/neg before train/pos. Vocabulary by training frequency (ties:
        // first seen first): bad 4, movie 5, good 6, plot 7; vocab_size 6 keeps 4 and 5.
        let row = |ds: &NumpyDataset, i| ds.get(i).unwrap()["x"].clone();
        assert_eq!(row(&train, 0), Value::from(vec![1i64, 4, 4, 4, 5, 2]));
        assert_eq!(train.get(0).unwrap()["y"], Value::from(0i64));
        assert_eq!(row(&train, 1), Value::from(vec![1i64, 2, 2, 5, 0, 0]));
        assert_eq!(row(&eval, 1), Value::from(vec![1i64, 2, 2, 2, 0, 0]));
        assert_eq!(eval.get(1).unwrap()["y"], Value::from(1i64));
        // The extracted folder is read when present.
        let ex = loader.dir().join("aclImdb");
        for (p, t) in [
            ("train/pos/a.txt", "good"),
            ("train/neg/b.txt", "bad"),
            ("test/pos/c.txt", "good"),
            ("test/neg/d.txt", "bad"),
        ] {
            std::fs::create_dir_all(ex.join(p).parent().unwrap()).unwrap();
            std::fs::write(ex.join(p), t).unwrap();
        }
        let (train, _) = loader.load().unwrap();
        assert_eq!(train.len(), 2);
    }

    #[test]
    fn bad_archive_and_arguments() {
        let root = tempfile::tempdir().unwrap();
        let loader = ImdbReview::new(5, 100).root_dir(root.path()).download(false);
        assert!(loader.load().unwrap_err().to_string().contains("aclImdb_v1.tar.gz"));
        std::fs::create_dir_all(loader.dir()).unwrap();
        std::fs::write(loader.dir().join(ARCHIVE.name), b"\x1f\x8b\x08garbage").unwrap();
        let msg = loader.load().unwrap_err().to_string();
        assert!(msg.contains("aclImdb_v1.tar.gz") && msg.contains("corrupt"), "{msg}");
        assert!(ImdbReview::new(0, 10).root_dir(root.path()).load().is_err());
    }
}
