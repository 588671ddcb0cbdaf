//! SVHN (Street View House Numbers), "format 2": 32×32 crops centred on one digit, 73 257
//! training and 26 032 test images, in MATLAB files `train_32x32.mat` and `test_32x32.mat`
//! (level 5, read with [`super::mat5`]): `X` is `[32, 32, 3, n]` `uint8`, `y` is `[n, 1]` with
//! the digit 0 stored as 10.

use std::path::Path;

use ndarray::{Array2, Array4};

use super::download::{ensure_files, RemoteFile};
use super::mat5::{read_mat5_file, MatData};
use crate::dataset::NumpyDataset;
use crate::error::{FeError, Result};
use crate::value::Value;

/// The folder name under the data root (FE's).
pub const NAME: &str = "SVHN_Cropped";

/// The training file, with the MD5 torchvision checks.
pub const TRAIN_FILE: RemoteFile = RemoteFile {
    name: "train_32x32.mat",
    urls: &["http://ufldl.stanford.edu/housenumbers/train_32x32.mat"],
    md5: Some("e26dedcc434d2e4c54c9b2d4a06d8373"),
    max_bytes: 512 << 20,
};

/// The test file.
pub const TEST_FILE: RemoteFile = RemoteFile {
    name: "test_32x32.mat",
    urls: &["http://ufldl.stanford.edu/housenumbers/test_32x32.mat"],
    md5: Some("eb5a983be6a315427106f1b164d9cef3"),
    max_bytes: 512 << 20,
};

/// Read one file: images `[n, 32, 32, 3]` and labels `[n, 1]` (10 → 0, as FE does).
pub fn read_svhn(path: &Path) -> Result<(Array4<u8>, Array2<i64>)> {
    let file = read_mat5_file(path)?;
    let bad = |reason: String| FeError::Format { path: path.to_path_buf(), reason };
    let x = file.get("X").ok_or_else(|| bad("no variable X".into()))?;
    let y = file.get("y").ok_or_else(|| bad("no variable y".into()))?;
    let invalid = |what: &str, expected: &str, got: String| FeError::InvalidData {
        path: path.to_path_buf(),
        what: what.into(),
        expected: expected.into(),
        got,
    };
    let MatData::U8(x) = &x.data else {
        return Err(invalid("X", "uint8", format!("{:?}", x.class)));
    };
    let [h, w, c, n] = x.shape() else {
        return Err(invalid("X", "shape [32, 32, 3, n]", format!("shape {:?}", x.shape())));
    };
    if (*h, *w, *c) != (32, 32, 3) {
        return Err(invalid("X", "shape [32, 32, 3, n]", format!("shape {:?}", x.shape())));
    }
    let labels = y.data.to_f64();
    if labels.len() != *n {
        return Err(invalid("label count", &format!("{n} (one per image)"), labels.len().to_string()));
    }
    let mut out = Vec::with_capacity(*n);
    for (i, &l) in labels.iter().enumerate() {
        if l.fract() != 0.0 || !(0.0..=10.0).contains(&l) {
            return Err(bad(format!("label {l} at index {i} is not a digit (1..=10)")));
        }
        out.push(if l == 10.0 { 0 } else { l as i64 });
    }
    let images = x
        .view()
        .into_dimensionality::<ndarray::Ix4>()
        .map_err(|e| bad(e.to_string()))?
        .permuted_axes([3, 0, 1, 2])
        .as_standard_layout()
        .into_owned();
    let labels = Array2::from_shape_vec((*n, 1), out).map_err(|e| bad(e.to_string()))?;
    Ok((images, labels))
}

loader!(
    /// Loader options (see [`load_data`]).
    SvhnCropped,
    NAME,
);

impl SvhnCropped {
    /// FE's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// `(train, test)`: keys `x` (`u8` `[32, 32, 3]`) and `y` (`i64` `[1]`, digits 0–9).
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset)> {
        let paths = ensure_files("svhn_cropped", &self.dir(), &[TRAIN_FILE, TEST_FILE], self.download)?;
        let make = |path: &Path| -> Result<NumpyDataset> {
            let (x, y) = read_svhn(path)?;
            NumpyDataset::new([("x", Value::U8(x.into_dyn())), ("y", Value::I64(y.into_dyn()))])
        };
        Ok((make(&paths[0])?, make(&paths[1])?))
    }
}

/// FE's `svhn_cropped.load_data(root_dir)`.
pub fn load_data(root_dir: Option<&Path>) -> Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = SvhnCropped::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::data::mat5::{write_mat5, MatWriteData};
    use crate::dataset::Dataset;

    /// A MAT-file like SVHN's with `n` images; pixel (i, j, c) of image k is i + j + c + k.
    fn svhn_like(n: usize, labels: Vec<u8>) -> Vec<u8> {
        let mut x = vec![0u8; 32 * 32 * 3 * n];
        // Column-major: index = i + 32 j + 1024 c + 3072 k.
        for k in 0..n {
            for c in 0..3 {
                for j in 0..32 {
                    for i in 0..32 {
                        x[i + 32 * j + 1024 * c + 3072 * k] = (i + j + c + k) as u8;
                    }
                }
            }
        }
        write_mat5(&[("X", &[32, 32, 3, n], MatWriteData::U8(x)), ("y", &[n, 1], MatWriteData::F64AsU8(labels))], true)
    }

    #[test]
    fn reads_mat_files_like_fe() {
        let root = tempfile::tempdir().unwrap();
        let loader = SvhnCropped::new().root_dir(root.path()).download(false);
        std::fs::create_dir_all(loader.dir()).unwrap();
        std::fs::write(loader.dir().join(TRAIN_FILE.name), svhn_like(3, vec![10, 1, 9])).unwrap();
        std::fs::write(loader.dir().join(TEST_FILE.name), svhn_like(1, vec![5])).unwrap();
        let (train, test) = loader.load().unwrap();
        assert_eq!((train.len(), test.len()), (3, 1));
        let s = train.get(2).unwrap();
        assert_eq!(s["y"], Value::I64(ndarray::arr1(&[9i64]).into_dyn()));
        assert_eq!(train.get(0).unwrap()["y"], Value::I64(ndarray::arr1(&[0i64]).into_dyn()));
        let Value::U8(x) = &s["x"] else { panic!() };
        assert_eq!(x.shape(), &[32, 32, 3]);
        assert_eq!(x[[4, 5, 1]], (4 + 5 + 1 + 2) as u8);
    }

    #[test]
    fn wrong_content_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train_32x32.mat");
        let x = vec![0u8; 32 * 32 * 3 * 2];
        let two_images_one_label = write_mat5(
            &[("X", &[32, 32, 3, 2], MatWriteData::U8(x)), ("y", &[1, 1], MatWriteData::F64(vec![1.0]))],
            false,
        );
        std::fs::write(&path, two_images_one_label).unwrap();
        let err = read_svhn(&path).unwrap_err();
        assert!(
            matches!(&err, FeError::InvalidData { what, expected, got, .. }
                if what == "label count" && expected.starts_with('2') && got == "1"),
            "{err}"
        );
        std::fs::write(&path, write_mat5(&[("X", &[2, 2], MatWriteData::U8(vec![0; 4]))], false)).unwrap();
        let msg = read_svhn(&path).unwrap_err().to_string();
        assert!(msg.contains("train_32x32.mat") && msg.contains("no variable y"), "{msg}");
        let full = svhn_like(1, vec![1]);
        std::fs::write(&path, &full[..full.len() / 2]).unwrap();
        let msg = read_svhn(&path).unwrap_err().to_string();
        assert!(msg.contains("train_32x32.mat"), "{msg}");
    }
}
