//! Breast Cancer Wisconsin (Diagnostic): 569 tumours, 30 real-valued features each, labeled
//! malignant (0) or benign (1). FE loads it from scikit-learn, whose copy is the CSV file
//! `breast_cancer.csv` read here.
//!
//! The file's first line is `569,30,malignant,benign` (samples, features, class names; some
//! scikit-learn releases pad it with empty fields to 31 columns); every other line holds 30
//! feature values and the label. [`read_csv`] also accepts a file whose first
//! line names the 31 columns, for example one exported with pandas.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Axis};

use super::download::{ensure_files, RemoteFile};
use super::train_test_split::train_test_split_indices;
use crate::dataset::NumpyDataset;
use crate::error::{FeError, Result};
use crate::value::Value;

/// The folder name under the data root.
pub const NAME: &str = "breast_cancer";

/// Number of features per sample.
pub const NUM_FEATURES: usize = 30;

/// scikit-learn's copy, at a fixed release. scikit-learn publishes no checksum for it; the MD5 is
/// that of the file in the scikit-learn 1.5.2 wheel (unchanged up to 1.9.1), and the parser also
/// checks the content (569 rows of 30 numbers and a 0/1 label).
pub const FILE: RemoteFile = RemoteFile {
    name: "breast_cancer.csv",
    urls: &[
        "https://raw.githubusercontent.com/scikit-learn/scikit-learn/1.5.2/sklearn/datasets/data/breast_cancer.csv",
    ],
    md5: Some("36ef90874abc87f4b4a8554dcc17cf6f"),
    max_bytes: 1 << 20,
};

/// The 30 feature names, in column order (as scikit-learn names them).
pub const FEATURE_NAMES: [&str; 30] = [
    "mean radius",
    "mean texture",
    "mean perimeter",
    "mean area",
    "mean smoothness",
    "mean compactness",
    "mean concavity",
    "mean concave points",
    "mean symmetry",
    "mean fractal dimension",
    "radius error",
    "texture error",
    "perimeter error",
    "area error",
    "smoothness error",
    "compactness error",
    "concavity error",
    "concave points error",
    "symmetry error",
    "fractal dimension error",
    "worst radius",
    "worst texture",
    "worst perimeter",
    "worst area",
    "worst smoothness",
    "worst compactness",
    "worst concavity",
    "worst concave points",
    "worst symmetry",
    "worst fractal dimension",
];

/// Parse the CSV: features `[n, 30]` (`f64`) and labels `[n]` (0 malignant, 1 benign).
pub fn read_csv(path: &Path) -> Result<(Array2<f64>, Array1<i64>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| FeError::Csv { path: path.to_path_buf(), line: None, reason: e.to_string() })?;
    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut declared = None;
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 1;
        let bad = |reason: String| FeError::Csv { path: path.to_path_buf(), line: Some(line), reason };
        let record = record.map_err(|e| bad(e.to_string()))?;
        if i == 0 {
            // scikit-learn's header: `569,30,malignant,benign`, in some releases padded with
            // empty fields to the row width.
            let fields: Vec<&str> = record.iter().map(str::trim).filter(|f| !f.is_empty()).collect();
            if fields.len() == 4 && fields[2].parse::<f64>().is_err() {
                let n: usize =
                    fields[0].parse().map_err(|_| bad("the header's sample count is not a number".into()))?;
                if fields[1] != "30" {
                    return Err(bad(format!("the header declares {} features, expected 30", fields[1])));
                }
                declared = Some(n);
                continue;
            }
            if record.len() == NUM_FEATURES + 1 && record[0].trim().parse::<f64>().is_err() {
                continue; // a row of column names
            }
        }
        if record.len() != NUM_FEATURES + 1 {
            return Err(bad(format!("{} fields, expected 30 features and a label", record.len())));
        }
        for field in record.iter().take(NUM_FEATURES) {
            let v: f64 = field.trim().parse().map_err(|_| bad(format!("feature {field:?} is not a number")))?;
            features.push(v);
        }
        let label = record[NUM_FEATURES].trim();
        let label: i64 = label
            .parse::<f64>()
            .ok()
            .filter(|l| *l == 0.0 || *l == 1.0)
            .map(|l| l as i64)
            .ok_or_else(|| bad(format!("label {label:?} is neither 0 nor 1")))?;
        labels.push(label);
    }
    if let Some(n) = declared {
        if n != labels.len() {
            return Err(FeError::Csv {
                path: path.to_path_buf(),
                line: None,
                reason: format!("the header declares {n} samples but the file has {}", labels.len()),
            });
        }
    }
    if labels.is_empty() {
        return Err(FeError::Csv { path: path.to_path_buf(), line: None, reason: "no samples".into() });
    }
    let n = labels.len();
    let features = Array2::from_shape_vec((n, NUM_FEATURES), features).map_err(|e| FeError::Csv {
        path: path.to_path_buf(),
        line: None,
        reason: e.to_string(),
    })?;
    Ok((features, Array1::from(labels)))
}

loader!(
    /// Loader options (see [`load_data`]).
    BreastCancer,
    NAME,
);

impl BreastCancer {
    /// FE's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The path of the CSV file.
    pub fn csv_path(&self) -> PathBuf {
        self.dir().join(FILE.name)
    }

    /// `(train, eval)` exactly as FE: scikit-learn's `train_test_split(test_size=0.2,
    /// random_state=42)`, so 455 and 114 samples; `x` is `float32` `[30]`, `y` is `int64`.
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset)> {
        let path = ensure_files("breast_cancer", &self.dir(), &[FILE], self.download)?.remove(0);
        let (x, y) = read_csv(&path)?;
        let (train, eval) = train_test_split_indices(y.len(), 0.2, 42);
        let make = |rows: &[usize]| {
            NumpyDataset::new([
                ("x", Value::F32(x.select(Axis(0), rows).mapv(|v| v as f32).into_dyn())),
                ("y", Value::I64(y.select(Axis(0), rows).into_dyn())),
            ])
        };
        Ok((make(&train)?, make(&eval)?))
    }
}

/// FE's `breast_cancer.load_data()`: `(train, eval)`.
pub fn load_data(root_dir: Option<&Path>) -> Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = BreastCancer::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

/// Write a CSV in scikit-learn's layout (header line, then 30 features and a label per row).
pub fn write_csv(path: &Path, features: &Array2<f64>, labels: &[i64]) -> Result<()> {
    let mut text = format!("{},30,malignant,benign\n", labels.len());
    for (row, label) in features.rows().into_iter().zip(labels) {
        let fields: Vec<String> = row.iter().map(|v| format!("{v:e}")).collect();
        text.push_str(&fields.join(","));
        text.push_str(&format!(",{label}\n"));
    }
    std::fs::write(path, text).map_err(|e| FeError::io("cannot write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;

    #[test]
    fn sklearn_layout_and_fe_split() {
        let root = tempfile::tempdir().unwrap();
        let loader = BreastCancer::new().root_dir(root.path()).download(false);
        std::fs::create_dir_all(loader.dir()).unwrap();
        let x = Array2::from_shape_fn((20, 30), |(i, j)| (i * 30 + j) as f64 / 7.0);
        let y: Vec<i64> = (0..20).map(|i| i % 2).collect();
        write_csv(&loader.csv_path(), &x, &y).unwrap();
        let (train, eval) = loader.load().unwrap();
        assert_eq!((train.len(), eval.len()), (16, 4));
        // The eval rows are the first 4 of numpy's RandomState(42).permutation(20).
        let (_, test_rows) = train_test_split_indices(20, 0.2, 42);
        let first = eval.get(0).unwrap();
        assert_eq!(first["y"], Value::from(test_rows[0] as i64 % 2));
        let Value::F32(f) = &first["x"] else { panic!() };
        assert_eq!(f.shape(), &[30]);
        assert!((f[[1]] - ((test_rows[0] * 30 + 1) as f64 / 7.0) as f32).abs() < 1e-5);
    }

    #[test]
    fn named_header_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.csv");
        // scikit-learn's header padded with empty fields, as in some releases.
        let padded = format!("2,30,malignant,benign{}\n", ",".repeat(27)) + &vec!["1"; 30].join(",") + ",0\n";
        std::fs::write(&path, padded + &(vec!["2"; 30].join(",") + ",1\n")).unwrap();
        let (x, y) = read_csv(&path).unwrap();
        assert_eq!((x.dim(), y.to_vec()), ((2, 30), vec![0, 1]));
        let mut text = FEATURE_NAMES.join(",") + ",target\n";
        text.push_str(&(vec!["1.5"; 30].join(",") + ",1\n"));
        std::fs::write(&path, &text).unwrap();
        let (x, y) = read_csv(&path).unwrap();
        assert_eq!((x.dim(), y.to_vec()), ((1, 30), vec![1]));
        for (content, needle) in [
            ("3,30,malignant,benign\n".to_string() + &vec!["1"; 31].join(",") + "\n", "declares 3"),
            (vec!["1"; 30].join(",") + "\n", "30 features and a label"),
            (vec!["1"; 30].join(",") + ",2\n", "neither 0 nor 1"),
            (vec!["x"; 31].join(",") + "\n" + &vec!["a"; 31].join(",") + "\n", "not a number"),
            (String::new(), "no samples"),
        ] {
            std::fs::write(&path, content).unwrap();
            let msg = read_csv(&path).unwrap_err().to_string();
            assert!(msg.contains(needle) && msg.contains("b.csv"), "{msg} should mention {needle}");
        }
    }

    #[test]
    fn offline_error() {
        let root = tempfile::tempdir().unwrap();
        let msg = BreastCancer::new().root_dir(root.path()).download(false).load().unwrap_err().to_string();
        assert!(msg.contains("breast_cancer.csv") && msg.contains("scikit-learn"), "{msg}");
    }
}
