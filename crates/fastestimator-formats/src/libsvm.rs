//! Parser for the libsvm sparse text format, plain or bzip2-compressed (the form of the USPS
//! files published on the libsvm site, `usps.bz2` and `usps.t.bz2`).
//!
//! One sample per line: a label, then `index:value` pairs with 1-based, distinct feature
//! indices. Features that are not listed are 0. A `#` starts a comment; blank lines are skipped.
//!
//! ```text
//! 6 1:-1 2:-0.998 3:-0.5 256:-1
//! ```
//!
//! The caller states the number of features, so the dense output never grows beyond
//! `lines × num_features` values, and an index beyond it is an error.

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use thiserror::Error;

use crate::limits::{read_limited, MAX_DECOMPRESSED_BYTES};

/// The three magic bytes that start a bzip2 stream.
pub const BZIP2_MAGIC: [u8; 3] = *b"BZh";

/// Largest number of features accepted, to bound the dense matrix.
pub const MAX_FEATURES: usize = 1 << 20;

/// Dense samples read from libsvm text.
#[derive(Debug, Clone, PartialEq)]
pub struct LibsvmData {
    /// One label per sample, as written (libsvm labels are numbers).
    pub labels: Vec<f64>,
    /// `[samples, num_features]`; unlisted features are 0.
    pub features: Array2<f32>,
}

/// Errors produced while reading libsvm data.
#[derive(Debug, Error)]
pub enum LibsvmError {
    /// A line is malformed.
    #[error("line {line}: {reason}")]
    Line {
        /// One-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The requested number of features is 0 or above [`MAX_FEATURES`].
    #[error("num_features {0} is outside 1..={MAX_FEATURES}")]
    BadFeatureCount(usize),
    /// The text is not UTF-8.
    #[error("line {line}: not valid UTF-8")]
    Utf8 {
        /// One-based line number.
        line: usize,
    },
    /// bzip2 decompression failed or exceeded the size limit.
    #[error("bzip2 decompression failed: {0}")]
    Bzip2(#[source] std::io::Error),
    /// Reading a file failed.
    #[error("cannot read libsvm file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its content is invalid.
    #[error("invalid libsvm file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: Box<LibsvmError>,
    },
}

/// Parse libsvm text into dense features.
pub fn parse_libsvm(text: &[u8], num_features: usize) -> Result<LibsvmData, LibsvmError> {
    if num_features == 0 || num_features > MAX_FEATURES {
        return Err(LibsvmError::BadFeatureCount(num_features));
    }
    let mut labels = Vec::new();
    let mut values: Vec<f32> = Vec::new();
    let mut seen = vec![false; num_features];
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        let raw = std::str::from_utf8(raw).map_err(|_| LibsvmError::Utf8 { line })?;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let bad = |reason: String| LibsvmError::Line { line, reason };
        let mut tokens = content.split_ascii_whitespace();
        let label_token = tokens.next().unwrap_or("");
        let label: f64 = label_token.parse().map_err(|_| bad(format!("label {label_token:?} is not a number")))?;
        if !label.is_finite() {
            return Err(bad(format!("label {label_token:?} is not finite")));
        }
        let start = values.len();
        values.resize(start + num_features, 0.0);
        seen.iter_mut().for_each(|s| *s = false);
        for token in tokens {
            let (index, value) =
                token.split_once(':').ok_or_else(|| bad(format!("{token:?} is not an index:value pair")))?;
            let index: usize = index.parse().map_err(|_| bad(format!("feature index {index:?} is not a number")))?;
            if index == 0 || index > num_features {
                return Err(bad(format!("feature index {index} is outside 1..={num_features}")));
            }
            if std::mem::replace(&mut seen[index - 1], true) {
                return Err(bad(format!("feature index {index} appears twice")));
            }
            let value: f32 = value.parse().map_err(|_| bad(format!("feature value {value:?} is not a number")))?;
            values[start + index - 1] = value;
        }
        labels.push(label);
    }
    let features = Array2::from_shape_vec((labels.len(), num_features), values)
        .map_err(|e| LibsvmError::Line { line: 0, reason: format!("internal shape error: {e}") })?;
    Ok(LibsvmData { labels, features })
}

/// Decompress a bzip2 stream (all members), up to [`MAX_DECOMPRESSED_BYTES`].
pub fn decompress_bzip2(bytes: &[u8]) -> Result<Vec<u8>, LibsvmError> {
    let decoder = bzip2::read::MultiBzDecoder::new(bytes);
    read_limited(decoder, MAX_DECOMPRESSED_BYTES).map_err(LibsvmError::Bzip2)
}

/// Parse libsvm data that may be bzip2-compressed (detected by the `BZh` magic).
pub fn parse_libsvm_maybe_bzip2(bytes: &[u8], num_features: usize) -> Result<LibsvmData, LibsvmError> {
    if bytes.starts_with(&BZIP2_MAGIC) {
        parse_libsvm(&decompress_bzip2(bytes)?, num_features)
    } else {
        parse_libsvm(bytes, num_features)
    }
}

/// Read and parse a libsvm file, plain or bzip2; errors name the file.
pub fn read_libsvm_file(path: &Path, num_features: usize) -> Result<LibsvmData, LibsvmError> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|source| LibsvmError::Io { path: path.to_path_buf(), source })?;
    parse_libsvm_maybe_bzip2(&bytes, num_features)
        .map_err(|e| LibsvmError::File { path: path.to_path_buf(), source: Box::new(e) })
}

/// Write dense samples as libsvm text (zero features are omitted).
pub fn write_libsvm(labels: &[f64], features: &Array2<f32>) -> String {
    let mut out = String::new();
    for (label, row) in labels.iter().zip(features.rows()) {
        out.push_str(&label.to_string());
        for (j, v) in row.iter().enumerate() {
            if *v != 0.0 {
                out.push_str(&format!(" {}:{}", j + 1, v));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn bzip2(bytes: &[u8]) -> Vec<u8> {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn parses_sparse_lines() {
        let text = b"6 1:-1 3:0.5\n\n# comment\n10 2:1e-1 4:-0.25 # trailing\n";
        let d = parse_libsvm(text, 4).unwrap();
        assert_eq!(d.labels, vec![6.0, 10.0]);
        assert_eq!(d.features.row(0).to_vec(), vec![-1.0, 0.0, 0.5, 0.0]);
        assert_eq!(d.features.row(1).to_vec(), vec![0.0, 0.1, 0.0, -0.25]);
    }

    #[test]
    fn roundtrip_and_bzip2() {
        let features =
            Array2::from_shape_fn((3, 5), |(i, j)| if (i + j) % 2 == 0 { (i * 5 + j) as f32 / 4.0 } else { 0.0 });
        let text = write_libsvm(&[1.0, 2.0, 3.0], &features);
        let d = parse_libsvm_maybe_bzip2(&bzip2(text.as_bytes()), 5).unwrap();
        assert_eq!(d.features, features);
        assert_eq!(d.labels, vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn rejects_bad_lines() {
        for (text, needle) in [
            (&b"x 1:1\n"[..], "label"),
            (b"1 1:1\n1 0:1\n", "line 2"),
            (b"1 5:1\n", "outside"),
            (b"1 1:1 1:2\n", "twice"),
            (b"1 1=2\n", "pair"),
            (b"1 a:2\n", "index"),
            (b"1 1:b\n", "value"),
            (b"nan 1:1\n", "finite"),
            (b"1 1:\xff\n", "UTF-8"),
        ] {
            let err = parse_libsvm(text, 4).unwrap_err().to_string();
            assert!(err.contains(needle), "{err} should contain {needle}");
        }
        assert!(matches!(parse_libsvm(b"", 0), Err(LibsvmError::BadFeatureCount(0))));
    }

    #[test]
    fn corrupt_bzip2_is_an_error() {
        let good = bzip2(b"1 1:1\n");
        assert!(matches!(parse_libsvm_maybe_bzip2(&good[..good.len() / 2], 2), Err(LibsvmError::Bzip2(_))));
        assert!(matches!(parse_libsvm_maybe_bzip2(b"BZh9garbage", 2), Err(LibsvmError::Bzip2(_))));
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("usps.bz2");
        std::fs::write(&path, bzip2(b"1 1:1\n2 9:1\n")).unwrap();
        let msg = read_libsvm_file(&path, 4).unwrap_err().to_string();
        assert!(msg.contains("usps.bz2") && msg.contains("line 2"), "{msg}");
        assert!(read_libsvm_file(&dir.path().join("missing"), 4).unwrap_err().to_string().contains("missing"));
    }
}
