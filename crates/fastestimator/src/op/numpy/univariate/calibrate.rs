//! `Calibrate`: apply a saved calibration function to predicted probabilities.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ndarray::{ArrayD, Axis};

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

type CalFn = dyn Fn(ArrayD<f32>) -> std::result::Result<ArrayD<f32>, String> + Send + Sync;

/// Where [`Calibrate`] gets its calibration function.
#[derive(Clone)]
pub enum CalibrationFn {
    /// An in-memory function from probabilities `[..., classes]` to calibrated ones.
    Fn(Arc<CalFn>),
    /// A [`PlattBinner`] saved with [`PlattBinner::save`], loaded on first use (so the file may
    /// be written during training, as FE's lazily loaded pickle).
    Path(PathBuf),
}

impl CalibrationFn {
    /// Wrap a function.
    pub fn from_fn<F>(f: F) -> Self
    where
        F: Fn(ArrayD<f32>) -> std::result::Result<ArrayD<f32>, String> + Send + Sync + 'static,
    {
        CalibrationFn::Fn(Arc::new(f))
    }
}

/// Calibrate predictions (FE's `Calibrate`, default modes test and infer, multi-io). Each input
/// is an array of class probabilities along its last axis, per sample or per batch.
///
/// ```no_run
/// use fastestimator::op::numpy::univariate::{Calibrate, CalibrationFn};
/// let op = Calibrate::new("y_pred", "y_pred_calibrated", CalibrationFn::Path("calibrator.txt".into()));
/// ```
pub struct Calibrate {
    io: OpIo,
    calibration_fn: CalibrationFn,
    loaded: OnceLock<std::result::Result<PlattBinner, String>>,
}
impl_has_io!(Calibrate);

impl Calibrate {
    /// Calibrate `inputs` into `outputs` in the test and infer modes.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, calibration_fn: CalibrationFn) -> Self {
        Calibrate {
            io: OpIo::new(inputs, outputs).with_default_mode("test,infer"),
            calibration_fn,
            loaded: OnceLock::new(),
        }
    }

    fn apply(&self, key: &str, x: ArrayD<f32>) -> Result<ArrayD<f32>> {
        match &self.calibration_fn {
            CalibrationFn::Fn(f) => {
                f(x).map_err(|reason| FeError::User { context: format!("Calibrate({key:?})"), reason })
            }
            CalibrationFn::Path(path) => {
                let cal = self.loaded.get_or_init(|| {
                    let c = PlattBinner::load(path).map_err(|e| e.to_string());
                    if c.is_ok() {
                        crate::output::log(&format!(
                            "FastEstimator-Calibrate: calibration function loaded from {}",
                            path.display()
                        ));
                    }
                    c
                });
                match cal {
                    Ok(c) => c.calibrate(key, x),
                    Err(e) => Err(FeError::Format { path: path.clone(), reason: e.clone() }),
                }
            }
        }
    }
}

impl NumpyOp for Calibrate {
    fn name(&self) -> String {
        "Calibrate".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("Calibrate", &self.io, data, |v, key| {
            let x =
                v.to_f32().ok_or_else(|| FeError::unexpected_dtype("Calibrate", key, "a numeric array", v.dtype()))?;
            Ok(Value::F32(self.apply(key, x)?))
        })
    }

    fn forward_batch(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        self.forward(data, state)
    }
}

/// One class's calibration: Platt scaling `σ(a·logit(p) + b)`, then the bin mean of the bin the
/// result falls in.
#[derive(Debug, Clone, PartialEq)]
struct ClassCalibration {
    a: f64,
    b: f64,
    /// Upper edges of all bins but the last, ascending.
    edges: Vec<f64>,
    /// One value per bin.
    values: Vec<f64>,
}

impl ClassCalibration {
    fn platt(&self, p: f64) -> f64 {
        let p = p.clamp(1e-12, 1.0 - 1e-12);
        1.0 / (1.0 + (-(self.a * (p / (1.0 - p)).ln() + self.b)).exp())
    }

    fn apply(&self, p: f64) -> f64 {
        let z = self.platt(p);
        self.values[self.edges.partition_point(|&e| e < z)]
    }
}

/// A marginal Platt-binning calibrator (the method of FE's `PBMCalibrator`): per class, Platt
/// scaling fitted by Newton's method, then equal-mass bins whose value is the mean scaled
/// probability inside them. It saves to and loads from a small text file for [`Calibrate`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlattBinner {
    classes: Vec<ClassCalibration>,
}

const HEADER: &str = "fastestimator PlattBinner v1";

impl PlattBinner {
    /// Fit on `probs` (`[n, classes]`) and integer `labels` (`n`), with `num_bins` bins per
    /// class (at least 1).
    pub fn fit(probs: &ArrayD<f32>, labels: &[i64], num_bins: usize) -> Result<Self> {
        if probs.ndim() != 2 || probs.shape()[0] != labels.len() || labels.is_empty() {
            return Err(FeError::param("PlattBinner", "probs", "expected [n, classes] probabilities and n labels"));
        }
        if num_bins == 0 {
            return Err(FeError::param("PlattBinner", "num_bins", "must be at least 1"));
        }
        let classes = (0..probs.shape()[1])
            .map(|k| {
                let p: Vec<f64> = probs.index_axis(Axis(1), k).iter().map(|&v| f64::from(v)).collect();
                let y: Vec<f64> = labels.iter().map(|&l| if l == k as i64 { 1.0 } else { 0.0 }).collect();
                fit_class(&p, &y, num_bins)
            })
            .collect();
        Ok(PlattBinner { classes })
    }

    /// Calibrate probabilities along the last axis; `key` names the value in errors.
    pub fn calibrate(&self, key: &str, x: ArrayD<f32>) -> Result<ArrayD<f32>> {
        let classes = x.shape().last().copied().unwrap_or(0);
        if classes != self.classes.len() {
            return Err(FeError::unexpected_shape(
                "Calibrate",
                key,
                format!("{} classes on the last axis (as the calibrator has)", self.classes.len()),
                x.shape(),
            ));
        }
        let mut x = x;
        for mut lane in x.lanes_mut(Axis(x.ndim() - 1)) {
            for (v, c) in lane.iter_mut().zip(&self.classes) {
                *v = c.apply(f64::from(*v)) as f32;
            }
        }
        Ok(x)
    }

    /// Write to a text file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut s = format!("{HEADER}\nclasses {}\n", self.classes.len());
        for c in &self.classes {
            let join = |v: &[f64]| v.iter().map(|x| format!("{x:e}")).collect::<Vec<_>>().join(" ");
            s.push_str(&format!("{:e} {:e} {}\n{}\n{}\n", c.a, c.b, c.values.len(), join(&c.edges), join(&c.values)));
        }
        std::fs::write(path.as_ref(), s).map_err(|e| FeError::io("cannot write calibrator", path.as_ref(), e))
    }

    /// Read a file written by [`PlattBinner::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| FeError::io("cannot read calibrator", path, e))?;
        let bad = |reason: &str| FeError::Format { path: path.to_path_buf(), reason: reason.to_string() };
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(bad("not a fastestimator PlattBinner file"));
        }
        let n: usize = lines
            .next()
            .and_then(|l| l.strip_prefix("classes "))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| bad("missing class count"))?;
        let nums = |l: Option<&str>| -> Result<Vec<f64>> {
            l.ok_or_else(|| bad("truncated file"))?
                .split_whitespace()
                .map(|t| t.parse::<f64>().map_err(|_| bad("bad number")))
                .collect()
        };
        let mut classes = Vec::with_capacity(n);
        for _ in 0..n {
            let head = nums(lines.next())?;
            let [a, b, bins] = head[..] else { return Err(bad("bad class header")) };
            let (edges, values) = (nums(lines.next())?, nums(lines.next())?);
            if values.len() != bins as usize || edges.len() + 1 != values.len() {
                return Err(bad("bin counts do not match"));
            }
            classes.push(ClassCalibration { a, b, edges, values });
        }
        Ok(PlattBinner { classes })
    }
}

fn fit_class(p: &[f64], y: &[f64], num_bins: usize) -> ClassCalibration {
    let x: Vec<f64> = p.iter().map(|&v| v.clamp(1e-12, 1.0 - 1e-12)).map(|v| (v / (1.0 - v)).ln()).collect();
    let (mut a, mut b) = (1.0f64, 0.0f64);
    for _ in 0..50 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-6, 0.0, 1e-6);
        for (&xi, &yi) in x.iter().zip(y) {
            let q = 1.0 / (1.0 + (-(a * xi + b)).exp());
            let w = q * (1.0 - q);
            ga += (q - yi) * xi;
            gb += q - yi;
            haa += w * xi * xi;
            hab += w * xi;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
        a -= da;
        b -= db;
        if da.abs() + db.abs() < 1e-10 {
            break;
        }
    }
    let mut c = ClassCalibration { a, b, edges: Vec::new(), values: Vec::new() };
    let mut z: Vec<f64> = p.iter().map(|&v| c.platt(v)).collect();
    z.sort_by(f64::total_cmp);
    let bins = num_bins.min(z.len()).max(1);
    let chunks: Vec<&[f64]> = (0..bins).map(|i| &z[i * z.len() / bins..(i + 1) * z.len() / bins]).collect();
    c.values = chunks.iter().map(|ch| ch.iter().sum::<f64>() / ch.len().max(1) as f64).collect();
    c.edges = chunks[..bins - 1].iter().map(|ch| ch.last().copied().unwrap_or(0.0)).collect();
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;
    use ndarray::IxDyn;

    #[test]
    fn fit_save_load_and_apply() {
        let probs = ArrayD::from_shape_vec(IxDyn(&[4, 2]), vec![0.9f32, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6]).unwrap();
        let cal = PlattBinner::fit(&probs, &[0, 0, 1, 0], 2).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cal.txt");
        cal.save(&path).unwrap();
        assert_eq!(PlattBinner::load(&path).unwrap(), cal);
        let op = Calibrate::new("p", "p", CalibrationFn::Path(path));
        assert!(op.io.mode.contains(Mode::Test) && !op.io.mode.contains(Mode::Train));
        let mut st = OpState::new(Mode::Test, 1, "", 0, 0, 0);
        let out = op.forward(vec![Value::from(vec![0.9f32, 0.1])], &mut st).unwrap();
        assert_eq!(out[0].shape(), &[2]);
        let missing = Calibrate::new("p", "p", CalibrationFn::Path(dir.path().join("none.txt")));
        assert!(missing.forward(vec![Value::from(vec![0.5f32, 0.5])], &mut st).is_err());
        let f = Calibrate::new("p", "p", CalibrationFn::from_fn(|x| Ok(x * 2.0)));
        assert_eq!(f.forward(vec![Value::from(vec![0.25f32])], &mut st).unwrap()[0], Value::from(vec![0.5f32]));
    }
}
