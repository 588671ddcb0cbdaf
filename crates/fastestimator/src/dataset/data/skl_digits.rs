//! scikit-learn's digits: 1 797 8×8 images of handwritten digits with 17 gray levels (the UCI
//! optical recognition test set), read from scikit-learn's `digits.csv.gz`: one row per image,
//! 64 pixel values then the label.

use std::io::Read;
use std::path::Path;

use super::download::{ensure_files, RemoteFile};
use crate::dataset::NumpyDataset;
use crate::error::{FeError, Result};
use crate::value::Value;

/// The folder name under the data root.
pub const NAME: &str = "skl_digits";

/// scikit-learn's copy at a fixed release. scikit-learn publishes no checksum; the MD5 is that of
/// the file in the scikit-learn 1.5.2 wheel (unchanged up to 1.9.1), and the parser checks 65
/// numbers per row, pixels in 0..=16 and labels in 0..=9.
pub const FILE: RemoteFile = RemoteFile {
    name: "digits.csv.gz",
    urls: &["https://raw.githubusercontent.com/scikit-learn/scikit-learn/1.5.2/sklearn/datasets/data/digits.csv.gz"],
    md5: Some("9b335364a7bfd63947c7480a5bd51f2d"),
    max_bytes: 4 << 20,
};

/// Parse `digits.csv.gz` (or an uncompressed copy): images `[n, 8, 8]` `f64` and labels.
pub fn read_digits(path: &Path) -> Result<(ndarray::Array3<f64>, Vec<i64>)> {
    let raw = std::fs::read(path).map_err(|e| FeError::io("cannot read", path, e))?;
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .take(fastestimator_formats::MAX_DECOMPRESSED_BYTES)
            .read_to_end(&mut out)
            .map_err(|e| FeError::Format { path: path.to_path_buf(), reason: format!("gzip: {e}") })?;
        out
    } else {
        raw
    };
    let text = String::from_utf8(text)
        .map_err(|_| FeError::Format { path: path.to_path_buf(), reason: "not UTF-8 text".into() })?;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| FeError::Csv { path: path.to_path_buf(), line: Some(i as u64 + 1), reason };
        let values: Vec<f64> = line
            .split(',')
            .map(|f| f.trim().parse::<f64>().map_err(|_| bad(format!("{f:?} is not a number"))))
            .collect::<Result<_>>()?;
        if values.len() != 65 {
            return Err(bad(format!("{} values, expected 64 pixels and a label", values.len())));
        }
        if let Some(p) = values[..64].iter().find(|p| !(0.0..=16.0).contains(*p)) {
            return Err(bad(format!("pixel {p} is outside 0..=16")));
        }
        let label = values[64];
        if label.fract() != 0.0 || !(0.0..=9.0).contains(&label) {
            return Err(bad(format!("label {label} is not a digit")));
        }
        pixels.extend_from_slice(&values[..64]);
        labels.push(label as i64);
    }
    let n = labels.len();
    let images = ndarray::Array3::from_shape_vec((n, 8, 8), pixels)
        .map_err(|e| FeError::Format { path: path.to_path_buf(), reason: e.to_string() })?;
    Ok((images, labels))
}

image_label_loader!(
    /// Loader options (see [`load_data`]).
    SklDigits,
    NAME
);

impl SklDigits {
    /// One dataset of all 1 797 images (FE returns a single `NumpyDataset`): images `f64`
    /// `[8, 8]` with values 0–16, labels `i64`. An uncompressed `digits.csv` is used when present.
    pub fn load(&self) -> Result<NumpyDataset> {
        let dir = self.dir();
        let plain = dir.join("digits.csv");
        let path =
            if plain.is_file() { plain } else { ensure_files("skl_digits", &dir, &[FILE], self.download)?.remove(0) };
        let (images, labels) = read_digits(&path)?;
        NumpyDataset::new([
            (self.image_key.as_str(), Value::F64(images.into_dyn())),
            (self.label_key.as_str(), Value::from(labels)),
        ])
    }
}

/// FE's `skl_digits.load_data()`.
pub fn load_data(root_dir: Option<&Path>) -> Result<NumpyDataset> {
    let mut loader = SklDigits::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;
    use std::io::Write;

    #[test]
    fn reads_gzipped_rows() {
        let root = tempfile::tempdir().unwrap();
        let loader = SklDigits::new().root_dir(root.path()).download(false);
        std::fs::create_dir_all(loader.dir()).unwrap();
        let mut text = String::new();
        for d in 0..3 {
            let row: Vec<String> = (0..64).map(|p| format!("{}.0", (p + d) % 17)).collect();
            text.push_str(&format!("{},{d}\n", row.join(",")));
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(loader.dir().join(FILE.name), gz.finish().unwrap()).unwrap();
        let ds = loader.load().unwrap();
        assert_eq!(ds.len(), 3);
        let s = ds.get(2).unwrap();
        assert_eq!(s["y"], Value::from(2i64));
        let Value::F64(x) = &s["x"] else { panic!() };
        assert_eq!((x.shape(), x[[0, 1]]), (&[8usize, 8][..], 3.0));
    }

    #[test]
    fn bad_rows_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digits.csv");
        for (text, needle) in [
            ("1,2\n", "expected 64"),
            (&*format!("{}0\n", "17,".repeat(64)), "outside"),
            (&*format!("{}10\n", "1,".repeat(64)), "digit"),
        ] {
            std::fs::write(&path, text).unwrap();
            let msg = read_digits(&path).unwrap_err().to_string();
            assert!(msg.contains("digits.csv, line 1") && msg.contains(needle), "{msg}");
        }
        std::fs::write(&path, [0x1f, 0x8b, 1, 2]).unwrap();
        assert!(read_digits(&path).unwrap_err().to_string().contains("gzip"));
    }
}
