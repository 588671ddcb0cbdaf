//! Reading FE's console log format back into [`Summary`]s (FE's `parse_log_file`,
//! `parse_log_files`, `parse_log_dir`).
//!
//! A record starts with `FastEstimator-Train:`, `FastEstimator-Eval:`, `FastEstimator-Test:` or
//! `FastEstimator-Finish:` (recorded as train) and holds `key: value;` pairs, the first of which
//! must be `step`. A value is a number, `None`, a `(low, mid, high)` triple, or an array, which
//! FE prints on the following lines (`key:` then `[[...]]`). Every other line (FE's banner,
//! TensorFlow's noise, `Eval Progress` lines, BestModelSaver messages) is ignored, so logs from
//! FastEstimator itself parse as well as ours.

use std::path::{Path, PathBuf};

use ndarray::ArrayD;

use crate::error::{FeError, Result};
use crate::summary::{LogValue, Summary};
use crate::util::Mode;

const PREFIXES: [(&str, Mode); 4] = [
    ("FastEstimator-Train:", Mode::Train),
    ("FastEstimator-Finish:", Mode::Train),
    ("FastEstimator-Eval:", Mode::Eval),
    ("FastEstimator-Test:", Mode::Test),
];

/// Parse one log file into a [`Summary`] named after the file (its name without the
/// extension), as FE's `parse_log_file` does.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("run_1.txt");
/// std::fs::write(&path, "FastEstimator-Train: step: 100; ce: 0.5; steps/sec: 76.05;\n").unwrap();
/// let summary = fastestimator::summary::parse_log_file(&path).unwrap();
/// assert_eq!(summary.name, "run_1");
/// assert_eq!(summary.last(fastestimator::Mode::Train, "ce"), Some(0.5));
/// ```
pub fn parse_log_file(path: impl AsRef<Path>) -> Result<Summary> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| FeError::io("cannot read", path, e))?;
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(parse_log_text(&name, &String::from_utf8_lossy(&bytes)))
}

/// Parse the text of a log into a [`Summary`] called `name`.
pub fn parse_log_text(name: &str, text: &str) -> Summary {
    let mut summary = Summary::new(name);
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_start();
        let Some((mode, rest)) =
            PREFIXES.iter().find_map(|(prefix, mode)| line.strip_prefix(prefix).map(|rest| (*mode, rest)))
        else {
            continue;
        };
        // An array value is printed as `\nkey:\n[...];`, so a record continues on the lines that
        // follow while its brackets are open, a pair is unfinished, or the next line starts an
        // array pair (`key:` alone) or an array (`[`).
        let mut record = rest.trim().to_string();
        while let Some(next) = lines.peek() {
            let next = next.trim();
            let continues = !record_complete(&record) || next.ends_with(':') || next.starts_with('[');
            if !continues || PREFIXES.iter().any(|(p, _)| next.starts_with(p)) {
                break;
            }
            record.push(' ');
            record.push_str(next);
            lines.next();
        }
        record_pairs(&mut summary, mode, &record);
    }
    summary
}

/// Whether a record's brackets are closed and it ends a pair.
fn record_complete(record: &str) -> bool {
    depth_at_end(record) == 0 && (record.ends_with(';') || record.is_empty())
}

fn depth_at_end(text: &str) -> i32 {
    text.chars().fold(0, |d, c| match c {
        '[' | '(' => d + 1,
        ']' | ')' => d - 1,
        _ => d,
    })
}

/// Split a record into `key: value` pairs at the `;` outside brackets, and record them at the
/// step the first pair gives. A record whose first pair is not `step` is ignored.
fn record_pairs(summary: &mut Summary, mode: Mode, record: &str) {
    let mut pairs = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in record.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            ';' if depth == 0 => {
                pairs.push(&record[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    let mut pairs = pairs.into_iter().filter_map(|p| p.split_once(':')).map(|(k, v)| (k.trim(), v.trim()));
    let Some(("step", step)) = pairs.next() else { return };
    let Ok(step) = step.parse::<u64>() else { return };
    for (key, value) in pairs {
        if !key.is_empty() {
            summary.record(mode, key, step, parse_value(value));
        }
    }
}

/// One value: an integer, a float, `(low, mid, high)`, an array, or text (`None` included).
fn parse_value(text: &str) -> LogValue {
    if let Ok(i) = text.parse::<i64>() {
        return LogValue::Int(i);
    }
    if let Ok(x) = text.parse::<f64>() {
        return LogValue::F64(x);
    }
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        let parts: Vec<f64> = inner.split(',').filter_map(|p| p.trim().parse().ok()).collect();
        if let [low, mid, high] = parts[..] {
            return LogValue::ValWithError(low, mid, high);
        }
    }
    if text.starts_with('[') {
        if let Some(array) = parse_array(text) {
            return LogValue::Array(array);
        }
    }
    LogValue::Text(text.to_string())
}

/// A numpy-printed array (`[[1. 2.] [3. 4.]]`, commas optional) as an `ArrayD<f64>`.
fn parse_array(text: &str) -> Option<ArrayD<f64>> {
    let rank = text.chars().take_while(|&c| c == '[').count();
    let mut shape = vec![0usize; rank];
    let mut counts = vec![0usize; rank];
    let mut values = Vec::new();
    let (mut depth, mut token) = (0usize, String::new());
    let flush = |token: &mut String, values: &mut Vec<f64>, counts: &mut Vec<usize>, depth: usize| -> Option<()> {
        if !token.is_empty() {
            values.push(token.parse().ok()?);
            token.clear();
            counts[depth - 1] += 1;
        }
        Some(())
    };
    for c in text.chars() {
        match c {
            '[' => {
                depth += 1;
                if depth > rank {
                    return None;
                }
                counts[depth - 1] = 0;
            }
            ']' => {
                if depth == 0 {
                    return None;
                }
                flush(&mut token, &mut values, &mut counts, depth)?;
                let n = counts[depth - 1];
                if shape[depth - 1] != 0 && shape[depth - 1] != n {
                    return None;
                }
                shape[depth - 1] = n;
                depth = depth.checked_sub(1)?;
                if depth > 0 {
                    counts[depth - 1] += 1;
                }
            }
            ',' | ' ' => {
                if depth > 0 {
                    flush(&mut token, &mut values, &mut counts, depth)?;
                }
            }
            _ if depth == 0 => return None,
            _ => token.push(c),
        }
    }
    if depth != 0 {
        return None;
    }
    ArrayD::from_shape_vec(shape, values).ok()
}

/// Parse several log files (FE's `parse_log_files`), one [`Summary`] each, in the order given.
pub fn parse_log_files<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<Summary>> {
    paths.iter().map(parse_log_file).collect()
}

/// Parse every file with extension `extension` (e.g. `".txt"`) in `dir` (FE's `parse_log_dir`),
/// and in its subfolders when `recursive`, sorted by path.
pub fn parse_log_dir(dir: impl AsRef<Path>, extension: &str, recursive: bool) -> Result<Vec<Summary>> {
    let mut files = Vec::new();
    collect_files(dir.as_ref(), extension.trim_start_matches('.'), recursive, &mut files)?;
    files.sort();
    parse_log_files(&files)
}

fn collect_files(dir: &Path, extension: &str, recursive: bool, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| FeError::io("cannot list", dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| FeError::io("cannot list", dir, e))?.path();
        if path.is_dir() {
            if recursive {
                collect_files(&path, extension, recursive, out)?;
            }
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_every_kind() {
        assert_eq!(parse_value("0.32775605"), LogValue::F64(0.32775605));
        assert_eq!(parse_value("12"), LogValue::Int(12));
        assert_eq!(parse_value("None"), LogValue::Text("None".into()));
        assert_eq!(parse_value("(0.5, 0.6, 0.7)"), LogValue::ValWithError(0.5, 0.6, 0.7));
        let a = parse_value("[[1. 2.] [3. 4.] [5. 6.]]");
        assert_eq!(a, LogValue::Array(ArrayD::from_shape_vec(vec![3, 2], vec![1., 2., 3., 4., 5., 6.]).unwrap()));
        assert_eq!(
            parse_value("[0.9, 0.8]"),
            LogValue::Array(ArrayD::from_shape_vec(vec![2], vec![0.9, 0.8]).unwrap())
        );
        assert_eq!(parse_value("[[1. 2.] [3.]]"), LogValue::Text("[[1. 2.] [3.]]".into()));
        for bad in ["[1]]", "[[1]", "[1] x", "[a b]", "[]]]["] {
            assert_eq!(parse_value(bad), LogValue::Text(bad.into()), "{bad}");
        }
    }

    #[test]
    fn records_need_step_first_and_arrays_span_lines() {
        let s = parse_log_text(
            "x",
            "FastEstimator-Eval: epoch: 1; step: 5;\nFastEstimator-Eval: step: 10; \nf1_score:\n[0.5 0.25];acc: 0.5; \nf2:\n[[1, 2],\n [3, 4]];\nEval Progress: 1/3;\n",
        );
        assert!(s.get(Mode::Eval, "epoch").is_none(), "a record must start with step");
        assert_eq!(
            s.get(Mode::Eval, "f1_score").unwrap()[&10],
            LogValue::Array(ndarray::arr1(&[0.5, 0.25]).into_dyn())
        );
        assert_eq!(s.last(Mode::Eval, "acc"), Some(0.5));
        let f2 = ArrayD::from_shape_vec(vec![2, 2], vec![1., 2., 3., 4.]).unwrap();
        assert_eq!(s.get(Mode::Eval, "f2").unwrap()[&10], LogValue::Array(f2));
    }
}
