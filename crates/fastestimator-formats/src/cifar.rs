//! Parser and writer for the CIFAR-10 / CIFAR-100 "binary version" batches.
//!
//! A batch file is a plain sequence of fixed-size records, with no header:
//!
//! ```text
//! CIFAR-10   <1 byte label 0..9>                      <3072 bytes image>
//! CIFAR-100  <1 byte coarse label 0..19> <1 byte fine label 0..99> <3072 bytes image>
//! ```
//!
//! The image is channel-major: 1024 red bytes, 1024 green, 1024 blue, each 32 rows of 32
//! pixels. CIFAR-10 ships `data_batch_1.bin` … `data_batch_5.bin` (10 000 records each) and
//! `test_batch.bin`; CIFAR-100 ships `train.bin` (50 000) and `test.bin` (10 000).

use std::path::{Path, PathBuf};

use ndarray::Array4;
use thiserror::Error;

/// Bytes of one image (3 × 32 × 32).
pub const IMAGE_BYTES: usize = 3 * 32 * 32;

/// Which of the two layouts a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CifarVariant {
    /// One label byte (10 classes).
    Cifar10,
    /// A coarse (20 classes) and a fine (100 classes) label byte.
    Cifar100,
}

impl CifarVariant {
    /// Number of label bytes before each image.
    pub fn label_bytes(self) -> usize {
        match self {
            CifarVariant::Cifar10 => 1,
            CifarVariant::Cifar100 => 2,
        }
    }

    /// Bytes per record (labels + image).
    pub fn record_len(self) -> usize {
        self.label_bytes() + IMAGE_BYTES
    }
}

/// The records of one batch file.
#[derive(Debug, Clone, PartialEq)]
pub struct CifarBatch {
    /// Images, `[n, 3, 32, 32]` (channels first, as stored).
    pub images: Array4<u8>,
    /// The label of each image: the class for CIFAR-10, the fine label for CIFAR-100.
    pub labels: Vec<u8>,
    /// CIFAR-100's coarse (super-class) labels; empty for CIFAR-10.
    pub coarse_labels: Vec<u8>,
}

/// Errors produced while reading CIFAR binary batches.
#[derive(Debug, Error)]
pub enum CifarError {
    /// The input holds no record at all.
    #[error("empty CIFAR batch (no records)")]
    Empty,
    /// The length is not a whole number of records.
    #[error("CIFAR batch of {len} bytes is not a whole number of {record_len}-byte records")]
    WrongSize {
        /// Input length in bytes.
        len: usize,
        /// Expected record length.
        record_len: usize,
    },
    /// A label byte is outside its range.
    #[error("record {record}: {kind} label {value} is outside 0..{limit}")]
    LabelOutOfRange {
        /// Zero-based record number.
        record: usize,
        /// `"fine"`, `"coarse"` or `"class"`.
        kind: &'static str,
        /// The byte found.
        value: u8,
        /// The number of classes.
        limit: u8,
    },
    /// The writer was given inconsistent arguments.
    #[error("cannot encode CIFAR batch: {0}")]
    Encode(String),
    /// Reading a file failed.
    #[error("cannot read CIFAR file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but is not a valid batch.
    #[error("invalid CIFAR file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: Box<CifarError>,
    },
}

/// Parse one batch. The length must be a positive multiple of the record length and every
/// label must be in range.
pub fn parse_cifar_binary(bytes: &[u8], variant: CifarVariant) -> Result<CifarBatch, CifarError> {
    let record_len = variant.record_len();
    if bytes.is_empty() {
        return Err(CifarError::Empty);
    }
    if !bytes.len().is_multiple_of(record_len) {
        return Err(CifarError::WrongSize { len: bytes.len(), record_len });
    }
    let n = bytes.len() / record_len;
    let mut images = Vec::with_capacity(n * IMAGE_BYTES);
    let mut labels = Vec::with_capacity(n);
    let mut coarse_labels = Vec::new();
    for (record, chunk) in bytes.chunks_exact(record_len).enumerate() {
        let check = |kind: &'static str, value: u8, limit: u8| {
            if value >= limit {
                Err(CifarError::LabelOutOfRange { record, kind, value, limit })
            } else {
                Ok(value)
            }
        };
        match variant {
            CifarVariant::Cifar10 => labels.push(check("class", chunk[0], 10)?),
            CifarVariant::Cifar100 => {
                coarse_labels.push(check("coarse", chunk[0], 20)?);
                labels.push(check("fine", chunk[1], 100)?);
            }
        }
        images.extend_from_slice(&chunk[variant.label_bytes()..]);
    }
    let images = Array4::from_shape_vec((n, 3, 32, 32), images)
        .map_err(|e| CifarError::Encode(format!("internal shape error: {e}")))?;
    Ok(CifarBatch { images, labels, coarse_labels })
}

/// Read and parse a batch file; errors name the file.
pub fn read_cifar_file(path: &Path, variant: CifarVariant) -> Result<CifarBatch, CifarError> {
    let bytes = std::fs::read(path).map_err(|source| CifarError::Io { path: path.to_path_buf(), source })?;
    parse_cifar_binary(&bytes, variant).map_err(|e| CifarError::File { path: path.to_path_buf(), source: Box::new(e) })
}

/// Encode records as a batch file. `images` holds `n × 3072` channel-major bytes; `labels` the
/// `n` class (CIFAR-10) or fine (CIFAR-100) labels; `coarse` the `n` coarse labels for CIFAR-100
/// (ignored for CIFAR-10).
pub fn write_cifar_binary(
    variant: CifarVariant,
    images: &[u8],
    labels: &[u8],
    coarse: &[u8],
) -> Result<Vec<u8>, CifarError> {
    let n = labels.len();
    if images.len() != n * IMAGE_BYTES {
        return Err(CifarError::Encode(format!(
            "{n} labels need {} image bytes, got {}",
            n * IMAGE_BYTES,
            images.len()
        )));
    }
    if variant == CifarVariant::Cifar100 && coarse.len() != n {
        return Err(CifarError::Encode(format!("{n} fine labels but {} coarse labels", coarse.len())));
    }
    let mut out = Vec::with_capacity(n * variant.record_len());
    for (i, image) in images.chunks_exact(IMAGE_BYTES).enumerate() {
        if variant == CifarVariant::Cifar100 {
            out.push(coarse[i]);
        }
        out.push(labels[i]);
        out.extend_from_slice(image);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: usize) -> Vec<u8> {
        (0..n * IMAGE_BYTES).map(|i| (i % 253) as u8).collect()
    }

    #[test]
    fn roundtrip_cifar10() {
        let bytes = write_cifar_binary(CifarVariant::Cifar10, &images(3), &[0, 9, 4], &[]).unwrap();
        assert_eq!(bytes.len(), 3 * 3073);
        let batch = parse_cifar_binary(&bytes, CifarVariant::Cifar10).unwrap();
        assert_eq!(batch.images.shape(), &[3, 3, 32, 32]);
        assert_eq!(batch.labels, vec![0, 9, 4]);
        assert!(batch.coarse_labels.is_empty());
        // Channel-major: the green plane of image 1 starts at byte 3072 + 1024.
        assert_eq!(batch.images[[1, 1, 0, 0]], ((IMAGE_BYTES + 1024) % 253) as u8);
        assert_eq!(batch.images[[2, 2, 31, 31]], ((3 * IMAGE_BYTES - 1) % 253) as u8);
    }

    #[test]
    fn roundtrip_cifar100() {
        let bytes = write_cifar_binary(CifarVariant::Cifar100, &images(2), &[99, 3], &[19, 0]).unwrap();
        let batch = parse_cifar_binary(&bytes, CifarVariant::Cifar100).unwrap();
        assert_eq!(batch.labels, vec![99, 3]);
        assert_eq!(batch.coarse_labels, vec![19, 0]);
    }

    #[test]
    fn rejects_empty_and_wrong_sizes() {
        assert!(matches!(parse_cifar_binary(&[], CifarVariant::Cifar10), Err(CifarError::Empty)));
        let bytes = write_cifar_binary(CifarVariant::Cifar10, &images(2), &[1, 2], &[]).unwrap();
        let err = parse_cifar_binary(&bytes[..bytes.len() - 1], CifarVariant::Cifar10).unwrap_err();
        assert!(matches!(err, CifarError::WrongSize { len: 6145, record_len: 3073 }), "{err}");
        // A CIFAR-10 file read as CIFAR-100 has the wrong record size.
        assert!(matches!(parse_cifar_binary(&bytes, CifarVariant::Cifar100), Err(CifarError::WrongSize { .. })));
    }

    #[test]
    fn rejects_labels_out_of_range() {
        let mut bytes = write_cifar_binary(CifarVariant::Cifar10, &images(2), &[1, 2], &[]).unwrap();
        bytes[3073] = 10;
        let err = parse_cifar_binary(&bytes, CifarVariant::Cifar10).unwrap_err();
        assert!(matches!(err, CifarError::LabelOutOfRange { record: 1, value: 10, .. }), "{err}");
        let mut bytes = write_cifar_binary(CifarVariant::Cifar100, &images(1), &[5], &[7]).unwrap();
        bytes[0] = 20;
        assert!(matches!(
            parse_cifar_binary(&bytes, CifarVariant::Cifar100),
            Err(CifarError::LabelOutOfRange { kind: "coarse", .. })
        ));
        bytes[0] = 1;
        bytes[1] = 100;
        assert!(matches!(
            parse_cifar_binary(&bytes, CifarVariant::Cifar100),
            Err(CifarError::LabelOutOfRange { kind: "fine", .. })
        ));
    }

    #[test]
    fn writer_checks_lengths() {
        assert!(write_cifar_binary(CifarVariant::Cifar10, &images(1), &[1, 2], &[]).is_err());
        assert!(write_cifar_binary(CifarVariant::Cifar100, &images(1), &[1], &[]).is_err());
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data_batch_1.bin");
        std::fs::write(&path, [1u8; 100]).unwrap();
        let msg = read_cifar_file(&path, CifarVariant::Cifar10).unwrap_err().to_string();
        assert!(msg.contains("data_batch_1.bin") && msg.contains("3073"), "{msg}");
        let msg = read_cifar_file(&dir.path().join("nope.bin"), CifarVariant::Cifar10).unwrap_err().to_string();
        assert!(msg.contains("nope.bin"), "{msg}");
    }
}
