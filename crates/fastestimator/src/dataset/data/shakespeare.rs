//! The complete works of Shakespeare as one text file (TensorFlow's copy of Andrej Karpathy's
//! char-rnn corpus), for character-level language models.

use std::collections::HashMap;
use std::path::Path;

use ndarray::Array2;

use super::download::{ensure_files, RemoteFile};
use crate::dataset::NumpyDataset;
use crate::error::{FeError, Result};
use crate::value::Value;

/// The folder name under the data root (FE's).
pub const NAME: &str = "Shakespeare";

/// The text (no published checksum; any UTF-8 text is accepted).
pub const FILE: RemoteFile = RemoteFile {
    name: "shakespeare.txt",
    urls: &["https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt"],
    md5: None,
    max_bytes: 16 << 20,
};

loader!(
    /// Loader options (see [`load_data`]).
    Shakespeare,
    NAME,
    seq_length: usize = 100,
);

impl Shakespeare {
    /// FE's defaults (`seq_length = 100`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Characters per sample (default 100).
    pub fn seq_length(mut self, seq_length: usize) -> Self {
        self.seq_length = seq_length;
        self
    }

    /// `(train, vocab)`: key `x`, `i64` `[seq_length]` indices into `vocab` (the sorted distinct
    /// characters); the last sequence is padded with 0, as FE does.
    pub fn load(&self) -> Result<(NumpyDataset, Vec<char>)> {
        if self.seq_length == 0 {
            return Err(FeError::param("shakespeare", "seq_length", "must be positive"));
        }
        let path = ensure_files("shakespeare", &self.dir(), &[FILE], self.download)?.remove(0);
        let bytes = std::fs::read(&path).map_err(|e| FeError::io("cannot read", &path, e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| FeError::Format { path: path.clone(), reason: "not UTF-8 text".into() })?;
        let mut vocab: Vec<char> = text.chars().collect();
        vocab.sort_unstable();
        vocab.dedup();
        let index: HashMap<char, i64> = vocab.iter().enumerate().map(|(i, &c)| (c, i as i64)).collect();
        let mut ids: Vec<i64> = text.chars().map(|c| index[&c]).collect();
        let rows = ids.len().div_ceil(self.seq_length);
        ids.resize(rows * self.seq_length, 0);
        let x = Array2::from_shape_vec((rows, self.seq_length), ids)
            .map_err(|e| FeError::Format { path, reason: e.to_string() })?;
        Ok((NumpyDataset::new([("x", Value::I64(x.into_dyn()))])?, vocab))
    }
}

/// FE's `shakespeare.load_data(root_dir, seq_length=100)`.
pub fn load_data(root_dir: Option<&Path>, seq_length: usize) -> Result<(NumpyDataset, Vec<char>)> {
    let mut loader = Shakespeare::new().seq_length(seq_length);
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;

    #[test]
    fn character_sequences() {
        let root = tempfile::tempdir().unwrap();
        let loader = Shakespeare::new().seq_length(4).root_dir(root.path()).download(false);
        assert!(loader.load().unwrap_err().to_string().contains("shakespeare.txt"));
        std::fs::create_dir_all(loader.dir()).unwrap();
        std::fs::write(loader.dir().join(FILE.name), "To be, or").unwrap();
        let (ds, vocab) = loader.load().unwrap();
        assert_eq!(vocab, vec![' ', ',', 'T', 'b', 'e', 'o', 'r']);
        assert_eq!(ds.len(), 3);
        assert_eq!(ds.get(0).unwrap()["x"], Value::from(vec![2i64, 5, 0, 3]));
        assert_eq!(ds.get(2).unwrap()["x"], Value::from(vec![6i64, 0, 0, 0]));
        std::fs::write(loader.dir().join(FILE.name), [0xffu8, 0xfe]).unwrap();
        assert!(loader.load().unwrap_err().to_string().contains("UTF-8"));
    }
}
