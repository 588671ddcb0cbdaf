//! `CSVDataset`: the rows of a CSV file (FE's `fe.dataset.CSVDataset`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

use super::file_reader::FileReader;
use super::summary::DatasetSummary;
use super::{Dataset, NumpyDataset, SplitSpec};
use crate::error::{FeError, Result};
use crate::value::{DType, Sample, Value};

/// The strings pandas reads as missing values (`read_csv`'s default `na_values`).
pub const PANDAS_NA_VALUES: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// One row of the file as `include_if` sees it: the raw text of each field, `None` when the
/// field is missing (a pandas NA value).
#[derive(Debug, Clone, Copy)]
pub struct CsvRow<'a> {
    headers: &'a [String],
    fields: &'a [Option<String>],
}

impl<'a> CsvRow<'a> {
    /// The raw text of column `name` (`None` if it is missing or the column does not exist).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let i = self.headers.iter().position(|h| h == name)?;
        self.fields.get(i)?.as_deref()
    }

    /// Column `name` as a number, if it parses as one.
    pub fn get_f64(&self, name: &str) -> Option<f64> {
        self.get(name)?.trim().parse().ok()
    }

    /// The column names.
    pub fn headers(&self) -> &'a [String] {
        self.headers
    }
}

type RowFilter = Arc<dyn Fn(&CsvRow<'_>) -> bool + Send + Sync>;

/// A dataset with one sample per CSV row and one key per column (FE's `CSVDataset(file_path,
/// delimiter=',', include_if=None, fill_na=...)`).
///
/// The table is parsed once, into typed columns: a column whose values are all integers is
/// `int64`, all numbers `float64`, all `True`/`False` `bool`, anything else `str` (override with
/// [`CSVDatasetBuilder::dtype`]). Missing values follow pandas: they make a numeric column
/// `float64` holding NaN, and are empty strings in a text column, unless
/// [`CSVDatasetBuilder::fill_na`] replaces them first.
///
/// Columns that hold file paths ([`CSVDatasetBuilder::path_columns`]) are resolved against the
/// CSV's folder (FE's `parent_path`). The files are not opened: samples carry the path, or, with
/// [`CSVDatasetBuilder::read_with`], the pipeline's workers read the file when the sample is
/// requested.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("data.csv");
/// # std::fs::write(&path, "image,label,split\nimg/a.png,1,train\nimg/b.png,0,eval\n").unwrap();
/// use fastestimator::dataset::{CSVDataset, Dataset};
/// use fastestimator::Value;
/// let ds = CSVDataset::builder(&path).include_if_equals("split", ["train"]).path_columns(["image"]).build().unwrap();
/// assert_eq!(ds.len(), 1);
/// assert_eq!(ds.get(0).unwrap()["label"], Value::from(1i64));
/// assert_eq!(ds.get(0).unwrap()["image"], Value::from(dir.path().join("img/a.png").display().to_string().as_str()));
/// ```
#[derive(Clone)]
pub struct CSVDataset {
    data: NumpyDataset,
    file_path: PathBuf,
    parent_path: PathBuf,
    readers: Vec<(String, FileReader)>,
}

/// Builder for [`CSVDataset`]; `build()` reads and validates the file.
#[derive(Clone)]
pub struct CSVDatasetBuilder {
    file_path: PathBuf,
    delimiter: u8,
    filters: Vec<RowFilter>,
    fill_na: Option<String>,
    dtypes: IndexMap<String, DType>,
    path_columns: Vec<String>,
    readers: Vec<(String, FileReader)>,
}

impl CSVDataset {
    /// Read a comma-separated file with a header row, with FE's defaults.
    pub fn new(file_path: impl AsRef<Path>) -> Result<CSVDataset> {
        Self::builder(file_path).build()
    }

    /// Start configuring a CSV dataset.
    pub fn builder(file_path: impl AsRef<Path>) -> CSVDatasetBuilder {
        CSVDatasetBuilder {
            file_path: file_path.as_ref().to_path_buf(),
            delimiter: b',',
            filters: Vec::new(),
            fill_na: None,
            dtypes: IndexMap::new(),
            path_columns: Vec::new(),
            readers: Vec::new(),
        }
    }

    /// The folder of the CSV file (FE's `parent_path`).
    pub fn parent_path(&self) -> &Path {
        &self.parent_path
    }

    /// The CSV file.
    pub fn file_path(&self) -> &Path {
        &self.file_path
    }

    /// The stored columns (paths, not file contents), as an in-memory dataset.
    pub fn columns(&self) -> &NumpyDataset {
        &self.data
    }

    /// Column `key` (FE's `ds["key"]`).
    pub fn column(&self, key: &str) -> Option<&Value> {
        self.data.column(key)
    }

    /// Split part of the rows off into a new dataset (see [`NumpyDataset::split`]).
    pub fn split(
        &mut self,
        spec: impl Into<SplitSpec>,
        seed: Option<u64>,
        stratify: Option<&str>,
    ) -> Result<CSVDataset> {
        let part = self.data.split(spec, seed, stratify)?;
        Ok(CSVDataset { data: part, ..self.clone() })
    }

    /// Keys, dtypes, shapes and unique-value counts (FE's `summary()`).
    pub fn summary(&self) -> DatasetSummary {
        let final_sample = if self.readers.is_empty() || self.data.is_empty() { None } else { self.get(0).ok() };
        DatasetSummary::of_columns(&self.data, final_sample.as_ref())
    }
}

impl CSVDatasetBuilder {
    /// The field delimiter (default `,`).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Keep only the rows for which `filter` returns true (FE's `include_if` as a function).
    /// Several filters must all pass.
    pub fn include_if(mut self, filter: impl Fn(&CsvRow<'_>) -> bool + Send + Sync + 'static) -> Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Keep only the rows whose `column` equals one of `values` (FE's `include_if` as a
    /// `{column: value(s)}` dict). Values compare as numbers when both sides are numbers
    /// (`"1"` matches `1.0`), else as text.
    pub fn include_if_equals<S: Into<String>>(mut self, column: &str, values: impl IntoIterator<Item = S>) -> Self {
        let column = column.to_string();
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        self.filters.push(Arc::new(move |row: &CsvRow<'_>| {
            let Some(field) = row.get(&column) else { return false };
            values.iter().any(|v| match (field.trim().parse::<f64>(), v.trim().parse::<f64>()) {
                (Ok(a), Ok(b)) => a == b,
                _ => field == v,
            })
        }));
        self
    }

    /// Replace missing values with `value` before the columns are typed (FE's `fill_na`;
    /// without it, pandas' default applies: NaN, see [`CSVDataset`]).
    pub fn fill_na(mut self, value: impl Into<String>) -> Self {
        self.fill_na = Some(value.into());
        self
    }

    /// Force a column's dtype instead of inferring it. Every value must parse as that type.
    pub fn dtype(mut self, column: &str, dtype: DType) -> Self {
        self.dtypes.insert(column.to_string(), dtype);
        self
    }

    /// Columns holding file paths: relative paths are resolved against the CSV's folder.
    pub fn path_columns<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.path_columns.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Read the file named in `column` with `reader` whenever a sample is requested (the
    /// column is also treated as a path column).
    pub fn read_with(mut self, column: &str, reader: FileReader) -> Self {
        if !self.path_columns.iter().any(|c| c == column) {
            self.path_columns.push(column.to_string());
        }
        self.readers.push((column.to_string(), reader));
        self
    }

    /// Read and type the file.
    pub fn build(self) -> Result<CSVDataset> {
        let path = &self.file_path;
        let csv_err = |e: csv::Error| {
            let line = e.position().map(|p| p.line());
            let reason = match e.kind() {
                csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                    format!("row has {len} fields but the header has {expected_len}")
                }
                _ => e.to_string(),
            };
            FeError::Csv { path: path.clone(), line, reason }
        };
        let mut reader =
            csv::ReaderBuilder::new().delimiter(self.delimiter).has_headers(true).from_path(path).map_err(
                |e| match e.into_kind() {
                    csv::ErrorKind::Io(io) => FeError::io("cannot read", path, io),
                    other => FeError::Csv { path: path.clone(), line: None, reason: format!("{other:?}") },
                },
            )?;
        let headers: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(|h| h.trim().to_string()).collect();
        if headers.is_empty() || headers.iter().all(String::is_empty) {
            return Err(FeError::Csv { path: path.clone(), line: Some(1), reason: "no header row".into() });
        }
        for (i, h) in headers.iter().enumerate() {
            if headers[..i].contains(h) {
                return Err(FeError::Csv {
                    path: path.clone(),
                    line: Some(1),
                    reason: format!("column {h:?} appears twice"),
                });
            }
        }
        for name in self.dtypes.keys().chain(&self.path_columns) {
            if !headers.contains(name) {
                return Err(FeError::param(
                    "CSVDataset",
                    "column",
                    format!("{name:?} is not a column of {}", path.display()),
                ));
            }
        }
        let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); headers.len()];
        let mut lines: Vec<u64> = Vec::new();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(csv_err)? {
            let fields: Vec<Option<String>> = record
                .iter()
                .map(|f| if PANDAS_NA_VALUES.contains(&f.trim()) { None } else { Some(f.to_string()) })
                .collect();
            let row = CsvRow { headers: &headers, fields: &fields };
            if !self.filters.iter().all(|f| f(&row)) {
                continue;
            }
            lines.push(record.position().map_or(0, |p| p.line()));
            for (column, field) in columns.iter_mut().zip(fields) {
                column.push(field.or_else(|| self.fill_na.clone()));
            }
        }
        let parent_path = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut typed = Vec::with_capacity(headers.len());
        for (name, column) in headers.iter().zip(columns) {
            let mut value = match self.dtypes.get(name) {
                Some(&dtype) => parse_as(dtype, &column, path, name, &lines)?,
                None => infer(&column),
            };
            if self.path_columns.contains(name) {
                value = resolve_paths(value, &parent_path);
            }
            typed.push((name.clone(), value));
        }
        let data = NumpyDataset::new(typed)?;
        Ok(CSVDataset { data, file_path: self.file_path, parent_path, readers: self.readers })
    }
}

fn resolve_paths(value: Value, parent: &Path) -> Value {
    match value {
        Value::Str(a) => Value::Str(a.mapv(|p| {
            if p.is_empty() || Path::new(&p).is_absolute() {
                p
            } else {
                parent.join(&p).display().to_string()
            }
        })),
        other => other,
    }
}

fn is_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "True" | "TRUE" | "true" => Some(true),
        "False" | "FALSE" | "false" => Some(false),
        _ => None,
    }
}

/// pandas-style type inference.
fn infer(column: &[Option<String>]) -> Value {
    let present = || column.iter().flatten();
    let any_missing = column.iter().any(Option::is_none);
    if present().count() > 0 && present().all(|s| s.trim().parse::<i64>().is_ok()) && !any_missing {
        let v: Vec<i64> = present().map(|s| s.trim().parse().unwrap_or_default()).collect();
        return Value::from(v);
    }
    if present().count() > 0 && present().all(|s| s.trim().parse::<f64>().is_ok()) {
        let v: Vec<f64> =
            column.iter().map(|s| s.as_ref().and_then(|s| s.trim().parse().ok()).unwrap_or(f64::NAN)).collect();
        return Value::from(v);
    }
    if present().count() > 0 && !any_missing && present().all(|s| is_bool(s).is_some()) {
        return Value::from(present().map(|s| is_bool(s).unwrap_or_default()).collect::<Vec<bool>>());
    }
    if present().count() == 0 {
        // An all-missing column is float NaN, as in pandas.
        return Value::from(vec![f64::NAN; column.len()]);
    }
    Value::from(column.iter().map(|s| s.clone().unwrap_or_default()).collect::<Vec<String>>())
}

fn parse_as(dtype: DType, column: &[Option<String>], path: &Path, name: &str, lines: &[u64]) -> Result<Value> {
    let fail = |i: usize, what: &str| FeError::Csv {
        path: path.to_path_buf(),
        line: lines.get(i).copied(),
        reason: format!("column {name:?}: {what} is not a valid {dtype}"),
    };
    macro_rules! typed {
        ($t:ty, $missing:expr, $parse:expr) => {{
            let mut out: Vec<$t> = Vec::with_capacity(column.len());
            for (i, field) in column.iter().enumerate() {
                out.push(match field {
                    None => $missing.ok_or_else(|| fail(i, "a missing value"))?,
                    Some(s) => ($parse)(s.trim()).ok_or_else(|| fail(i, &format!("{s:?}")))?,
                });
            }
            Value::from(out)
        }};
    }
    Ok(match dtype {
        DType::U8 => typed!(u8, None::<u8>, |s: &str| s.parse::<u8>().ok()),
        DType::I64 => typed!(i64, None::<i64>, |s: &str| s.parse::<i64>().ok()),
        DType::F32 => typed!(f32, Some(f32::NAN), |s: &str| s.parse::<f32>().ok()),
        DType::F64 => typed!(f64, Some(f64::NAN), |s: &str| s.parse::<f64>().ok()),
        DType::Bool => typed!(bool, None::<bool>, is_bool),
        DType::Str => Value::from(column.iter().map(|s| s.clone().unwrap_or_default()).collect::<Vec<String>>()),
    })
}

impl Dataset for CSVDataset {
    fn len(&self) -> usize {
        self.data.len()
    }

    fn get(&self, index: usize) -> Result<Sample> {
        let mut sample = self.data.get(index)?;
        for (column, reader) in &self.readers {
            if let Some(Value::Str(p)) = sample.get(column) {
                let path = PathBuf::from(p.iter().next().cloned().unwrap_or_default());
                let value = reader(&path)?;
                sample.insert(column.clone(), value);
            }
        }
        Ok(sample)
    }
}

impl std::fmt::Debug for CSVDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CSVDataset")
            .field("file_path", &self.file_path)
            .field("len", &self.data.len())
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .field("read", &self.readers.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .finish()
    }
}

impl std::fmt::Debug for CSVDatasetBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CSVDatasetBuilder").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("data.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn types_are_inferred_like_pandas() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a,b,c,d,e\n1,1.5,x,True,1\n2,,y,False,NA\n");
        let ds = CSVDataset::new(&p).unwrap();
        assert_eq!(ds.column("a").unwrap(), &Value::from(vec![1i64, 2]));
        let Value::F64(b) = ds.column("b").unwrap() else { panic!() };
        assert_eq!(b[0], 1.5);
        assert!(b[1].is_nan());
        assert_eq!(ds.column("c").unwrap(), &Value::from(vec!["x".to_string(), "y".to_string()]));
        assert_eq!(ds.column("d").unwrap(), &Value::from(vec![true, false]));
        // An integer column with a missing value becomes float with NaN.
        assert_eq!(ds.column("e").unwrap().dtype(), DType::F64);
    }

    #[test]
    fn fill_na_dtype_and_delimiter() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a;b\n1;\n2;7\n");
        let ds = CSVDataset::builder(&p).delimiter(b';').fill_na("0").dtype("a", DType::F32).build().unwrap();
        assert_eq!(ds.column("b").unwrap(), &Value::from(vec![0i64, 7]));
        assert_eq!(ds.column("a").unwrap(), &Value::from(vec![1.0f32, 2.0]));
        // A missing value in a forced integer column is an error naming the line.
        let err = CSVDataset::builder(&p).delimiter(b';').dtype("b", DType::I64).build().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("data.csv, line 2") && msg.contains("\"b\""), "{msg}");
        let err = CSVDataset::builder(&p).delimiter(b';').dtype("nope", DType::I64).build().unwrap_err();
        assert!(err.to_string().contains("nope"));
    }

    #[test]
    fn include_if_closure_and_map() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "x,mode\n1,train\n2,eval\n3,train\n4,test\n");
        let ds = CSVDataset::builder(&p).include_if(|r| r.get_f64("x").is_some_and(|x| x > 1.5)).build().unwrap();
        assert_eq!(ds.column("x").unwrap(), &Value::from(vec![2i64, 3, 4]));
        let ds = CSVDataset::builder(&p).include_if_equals("mode", ["train", "test"]).build().unwrap();
        assert_eq!(ds.column("x").unwrap(), &Value::from(vec![1i64, 3, 4]));
        let ds = CSVDataset::builder(&p).include_if_equals("x", ["2.0"]).build().unwrap();
        assert_eq!(ds.len(), 1);
        let ds = CSVDataset::builder(&p)
            .include_if_equals("mode", ["train"])
            .include_if(|r| r.get("x") == Some("3"))
            .build()
            .unwrap();
        assert_eq!(ds.column("x").unwrap(), &Value::from(vec![3i64]));
    }

    #[test]
    fn paths_resolve_against_the_csv_folder_and_read_lazily() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("img")).unwrap();
        std::fs::write(dir.path().join("img/a.bin"), [1u8, 2, 3]).unwrap();
        let p = write(dir.path(), "file,y\nimg/a.bin,0\nimg/missing.bin,1\n/abs/path,1\n");
        let ds = CSVDataset::builder(&p).read_with("file", super::super::file_reader::bytes_reader()).build().unwrap();
        assert_eq!(ds.parent_path(), dir.path());
        assert_eq!(ds.get(0).unwrap()["file"], Value::from(vec![1u8, 2, 3]));
        // The missing file is only noticed when its sample is read, and the error names it.
        let msg = ds.get(1).unwrap_err().to_string();
        assert!(msg.contains("missing.bin"), "{msg}");
        let Value::Str(col) = ds.column("file").unwrap() else { panic!() };
        assert_eq!(col[2], "/abs/path");
        assert_eq!(ds.summary().keys["file"].dtype, "uint8");
    }

    #[test]
    fn malformed_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a,b\n1,2\n3\n");
        let msg = CSVDataset::new(&p).unwrap_err().to_string();
        assert!(msg.contains("line 3") && msg.contains("1 fields"), "{msg}");
        let p = write(dir.path(), "a,a\n1,2\n");
        assert!(CSVDataset::new(&p).unwrap_err().to_string().contains("twice"));
        let msg = CSVDataset::new(dir.path().join("none.csv")).unwrap_err().to_string();
        assert!(msg.contains("none.csv"), "{msg}");
        let p = write(dir.path(), "a\n\u{0}\n");
        assert!(CSVDataset::new(&p).is_ok());
    }

    #[test]
    fn split_and_summary() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("x,y\n");
        for i in 0..10 {
            text.push_str(&format!("{i},{}\n", i % 2));
        }
        let p = write(dir.path(), &text);
        let mut ds = CSVDataset::new(&p).unwrap();
        let part = ds.split(0.2, Some(1), Some("y")).unwrap();
        assert_eq!((ds.len(), part.len()), (8, 2));
        assert_eq!(part.parent_path(), dir.path());
        assert_eq!(ds.summary().keys["y"].num_unique_values, Some(2));
    }
}
