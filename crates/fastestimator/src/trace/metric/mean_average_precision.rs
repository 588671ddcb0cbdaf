//! `MeanAveragePrecision`: COCO-style mAP, AP50 and AP75 of detected boxes over an epoch.

use crate::error::{FeError, Result};
use crate::op::{HasIo, OpIo};
use crate::summary::LogValue;

use super::metric_trace::MetricTrace;
use super::metric_trait::{Metric, MetricBatch};

/// COCO keeps at most this many detections per image and class.
const MAX_DETECTIONS: usize = 100;
/// Number of IoU thresholds, 0.5:0.05:0.95.
const NUM_IOU: usize = 10;
/// Number of recall thresholds, 0:0.01:1.
const NUM_RECALL: usize = 101;

/// COCO mean average precision of the detections `pred_key` against the boxes `true_key` over an
/// epoch (FE's `MeanAveragePrecision`), writing `"mAP"` (averaged over IoU 0.50:0.95), `"AP50"`
/// and `"AP75"`.
///
/// - `true_key` (default `"bbox"`): `[batch, boxes, 5]` rows `[x1, y1, w, h, label]`, padded;
///   rows with label ≤ 0 are padding (COCO labels start at 1).
/// - `pred_key` (default `"pred"`): `[batch, boxes, 7]` rows
///   `[x1, y1, w, h, label, score, select]`; only rows with `select` = 1 count.
///
/// Classes are `1..=num_classes` (COCO's 90 for its 80 classes). Per image and class,
/// detections are sorted by score (at most 100) and matched greedily to the unmatched ground
/// truth box of highest IoU at or above each threshold. Precision is made monotone and sampled
/// at 101 recall points; AP averages it over classes that have ground truth (and thresholds, for
/// mAP). A value is -1 when no class has ground truth. Detections on an image without any
/// ground truth box count as false positives, as in COCO.
///
/// ```
/// use fastestimator::trace::metric::MeanAveragePrecision;
/// let map = MeanAveragePrecision::new(90)?.keys("bbox", "pred").output_names(["map", "ap50", "ap75"]);
/// assert!(MeanAveragePrecision::new(0).is_err());
/// # let _ = map;
/// # Ok::<(), fastestimator::FeError>(())
/// ```
pub type MeanAveragePrecision = MetricTrace<MeanAveragePrecisionMetric>;

/// The metric behind [`MeanAveragePrecision`].
#[derive(Debug, Clone)]
pub struct MeanAveragePrecisionMetric {
    num_classes: usize,
}

/// An axis-aligned box `[x1, y1, w, h]` with a class.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Box4 {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    label: i64,
}

/// The ground truth and detections (with scores) of one image.
#[derive(Debug, Clone, Default)]
pub struct Image {
    truth: Vec<Box4>,
    detections: Vec<(Box4, f64)>,
}

/// IoU of two `[x, y, w, h]` boxes (pycocotools' `maskUtils.iou` without crowd regions).
fn iou(a: &Box4, b: &Box4) -> f64 {
    let iw = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
    let ih = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
    if iw <= 0.0 || ih <= 0.0 {
        return 0.0;
    }
    let inter = iw * ih;
    inter / (a.w * a.h + b.w * b.h - inter)
}

/// `np.linspace(.5, 0.95, 10)`, computed as numpy does.
fn iou_thresholds() -> [f64; NUM_IOU] {
    let step = (0.95 - 0.5) / (NUM_IOU - 1) as f64;
    let mut t = [0.0; NUM_IOU];
    for (i, v) in t.iter_mut().enumerate() {
        *v = i as f64 * step + 0.5;
    }
    t[NUM_IOU - 1] = 0.95;
    t
}

/// `np.linspace(0, 1, 101)`, computed as numpy does.
fn recall_thresholds() -> [f64; NUM_RECALL] {
    let step = 1.0 / (NUM_RECALL - 1) as f64;
    let mut t = [0.0; NUM_RECALL];
    for (i, v) in t.iter_mut().enumerate() {
        *v = i as f64 * step;
    }
    t[NUM_RECALL - 1] = 1.0;
    t
}

impl MeanAveragePrecision {
    /// mAP over classes `1..=num_classes`, reading `"bbox"` and `"pred"`, writing `"mAP"`,
    /// `"AP50"` and `"AP75"`.
    pub fn new(num_classes: usize) -> Result<Self> {
        if num_classes == 0 {
            return Err(FeError::param("MeanAveragePrecision", "num_classes", "must be at least 1"));
        }
        Ok(MetricTrace::from_metric(
            MeanAveragePrecisionMetric { num_classes },
            OpIo::new(["bbox", "pred"], ["mAP", "AP50", "AP75"]).with_default_mode("eval,test"),
        ))
    }

    /// Read the ground truth from `true_key` and the detections from `pred_key`.
    pub fn keys(mut self, true_key: &str, pred_key: &str) -> Self {
        self.io_mut().inputs = vec![true_key.to_string(), pred_key.to_string()];
        self
    }

    /// Write the three results under other names (mAP, AP50, AP75 in this order).
    pub fn output_names(mut self, names: [&str; 3]) -> Self {
        self.io_mut().outputs = names.iter().map(|s| s.to_string()).collect();
        self
    }
}

impl MeanAveragePrecisionMetric {
    /// The COCO precision table `[iou][recall][class]`, -1 where a class has no ground truth.
    fn precision_table(&self, images: &[Image]) -> Vec<Vec<Vec<f64>>> {
        let ious = iou_thresholds();
        let recalls = recall_thresholds();
        let mut table = vec![vec![vec![-1.0; self.num_classes]; NUM_RECALL]; NUM_IOU];
        for class in 1..=self.num_classes as i64 {
            let k = (class - 1) as usize;
            // (score, matched per threshold) of every kept detection, image by image
            let mut dets: Vec<(f64, [bool; NUM_IOU])> = Vec::new();
            let mut num_truth = 0usize;
            for image in images {
                let truth: Vec<&Box4> = image.truth.iter().filter(|b| b.label == class).collect();
                let mut mine: Vec<&(Box4, f64)> = image.detections.iter().filter(|d| d.0.label == class).collect();
                if truth.is_empty() && mine.is_empty() {
                    continue;
                }
                num_truth += truth.len();
                mine.sort_by(|a, b| b.1.total_cmp(&a.1));
                mine.truncate(MAX_DETECTIONS);
                let mut taken = vec![false; NUM_IOU * truth.len()];
                let mut matched = vec![[false; NUM_IOU]; mine.len()];
                for (t, &threshold) in ious.iter().enumerate() {
                    for (d, det) in mine.iter().enumerate() {
                        let mut best = threshold.min(1.0 - 1e-10);
                        let mut m = None;
                        for (g, gt) in truth.iter().enumerate() {
                            if taken[t * truth.len() + g] {
                                continue;
                            }
                            let v = iou(&det.0, gt);
                            if v >= best {
                                best = v;
                                m = Some(g);
                            }
                        }
                        if let Some(g) = m {
                            taken[t * truth.len() + g] = true;
                            matched[d][t] = true;
                        }
                    }
                }
                dets.extend(mine.iter().zip(matched).map(|(d, m)| (d.1, m)));
            }
            if num_truth == 0 {
                continue;
            }
            // stable sort by descending score, as numpy's mergesort on -score
            dets.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (t, row) in table.iter_mut().enumerate() {
                let (mut tp, mut fp) = (0.0, 0.0);
                let mut recall = Vec::with_capacity(dets.len());
                let mut precision = Vec::with_capacity(dets.len());
                for d in &dets {
                    if d.1[t] {
                        tp += 1.0;
                    } else {
                        fp += 1.0;
                    }
                    recall.push(tp / num_truth as f64);
                    precision.push(tp / (fp + tp + f64::EPSILON));
                }
                for i in (1..precision.len()).rev() {
                    if precision[i] > precision[i - 1] {
                        precision[i - 1] = precision[i];
                    }
                }
                for (r, &threshold) in recalls.iter().enumerate() {
                    let idx = recall.partition_point(|&x| x < threshold);
                    row[r][k] = if idx < precision.len() { precision[idx] } else { 0.0 };
                }
            }
        }
        table
    }

    fn results(&self, images: &[Image], outputs: &[String]) -> Vec<(String, LogValue)> {
        let table = self.precision_table(images);
        let mean_of = |rows: &[Vec<Vec<f64>>]| {
            let valid: Vec<f64> = rows.iter().flatten().flatten().copied().filter(|&v| v > -1.0).collect();
            if valid.is_empty() {
                -1.0
            } else {
                valid.iter().sum::<f64>() / valid.len() as f64
            }
        };
        let values = [mean_of(&table), mean_of(&table[0..1]), mean_of(&table[5..6])];
        outputs.iter().cloned().zip(values.map(LogValue::F64)).collect()
    }
}

fn rows3(a: &ndarray::ArrayD<f64>, width: usize, key: &str) -> Result<Vec<Vec<Vec<f64>>>> {
    if a.ndim() != 3 || a.shape()[2] != width {
        return Err(FeError::UnexpectedShape {
            op: "MeanAveragePrecision".into(),
            key: key.to_string(),
            expected: format!("[batch, boxes, {width}]"),
            got: a.shape().iter().map(|&d| d as i64).collect(),
        });
    }
    Ok(a.outer_iter().map(|img| img.outer_iter().map(|r| r.iter().copied().collect()).collect()).collect())
}

impl Metric for MeanAveragePrecisionMetric {
    type Batch = Vec<Image>;
    type State = Vec<Image>;

    fn name(&self) -> &str {
        "MeanAveragePrecision"
    }

    fn validate(&self, io: &OpIo) -> Result<()> {
        if io.outputs.len() != 3 {
            return Err(FeError::param(
                "MeanAveragePrecision",
                "output_names",
                format!("needs three names (mAP, AP50, AP75), got {:?}", io.outputs),
            ));
        }
        Ok(())
    }

    fn read(&self, batch: &MetricBatch<'_>) -> Result<Vec<Image>> {
        let truth = rows3(&batch.array(0)?, 5, batch.key(0)?)?;
        let preds = rows3(&batch.array(1)?, 7, batch.key(1)?)?;
        if truth.len() != preds.len() {
            return Err(FeError::LengthMismatch {
                context: "MeanAveragePrecision".into(),
                what: format!("images in {:?} (one per image in {:?})", batch.key(1)?, batch.key(0)?),
                expected: truth.len(),
                got: preds.len(),
            });
        }
        Ok(truth
            .iter()
            .zip(&preds)
            .map(|(t, p)| Image {
                truth: t
                    .iter()
                    .filter(|r| r[4] > 0.0)
                    .map(|r| Box4 { x: r[0], y: r[1], w: r[2], h: r[3], label: r[4] as i64 })
                    .collect(),
                detections: p
                    .iter()
                    .filter(|r| r[6] == 1.0)
                    .map(|r| (Box4 { x: r[0], y: r[1], w: r[2], h: r[3], label: r[4] as i64 }, r[5]))
                    .collect(),
            })
            .collect())
    }

    fn update(&self, all: &mut Vec<Image>, images: &Vec<Image>) -> Result<()> {
        all.extend(images.iter().cloned());
        Ok(())
    }

    fn result(&self, images: &Vec<Image>, io: &OpIo) -> Result<Vec<(String, LogValue)>> {
        Ok(self.results(images, &io.outputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_and_thresholds() {
        let a = Box4 { x: 0.0, y: 0.0, w: 2.0, h: 2.0, label: 1 };
        let b = Box4 { x: 1.0, y: 0.0, w: 2.0, h: 2.0, label: 1 };
        assert!((iou(&a, &b) - 2.0 / 6.0).abs() < 1e-15);
        assert_eq!(iou(&a, &a), 1.0);
        let t = iou_thresholds();
        assert_eq!((t[0], t[5], t[9]), (0.5, 0.75, 0.95));
        assert_eq!(recall_thresholds()[50], 0.5);
    }
}
