//! [`Histogram`]: a tensor's values as TensorBoard's `HistogramProto`, with TensorFlow's default
//! buckets.
//!
//! `HistogramProto { min=1, max=2, num=3, sum=4, sum_squares=5 double, bucket_limit=6,
//! bucket=7 packed repeated double }`: bucket `i` counts the values in
//! `[bucket_limit[i-1], bucket_limit[i])` (from minus infinity for `i = 0`).

use std::sync::OnceLock;

use tch::{Device, Kind, Tensor};

use super::events::{EventWriter, SummaryValue};
use super::proto::{field_bytes, field_double, field_packed_doubles};
use crate::error::{FeError, Result};

/// TensorFlow's default bucket limits (`tensorflow/core/lib/histogram/histogram.cc`):
/// `-f64::MAX`, the negated limits, `0`, then `1e-12` growing by 10% while below `1e20`, and
/// `f64::MAX` (1,551 limits in all; torch's `add_histogram` uses the same edges between the two extremes).
fn default_limits() -> &'static [f64] {
    static LIMITS: OnceLock<Vec<f64>> = OnceLock::new();
    LIMITS.get_or_init(|| {
        let mut positive = Vec::new();
        let mut v = 1.0e-12;
        while v < 1.0e20 {
            positive.push(v);
            v *= 1.1;
        }
        positive.push(f64::MAX);
        let mut limits: Vec<f64> = positive.iter().rev().map(|v| -v).collect();
        limits.push(0.0);
        limits.extend_from_slice(&positive);
        limits
    })
}

/// A histogram of values as TensorBoard stores it (`HistogramProto`), built with TensorFlow's
/// default buckets and encoded as TensorFlow encodes them: each run of empty buckets is merged
/// into one empty bucket, so a histogram of a few hundred weights takes some dozens of buckets.
/// Non-finite values (NaN, ±inf) are left out of every field.
///
/// ```
/// use fastestimator::trace::io::Histogram;
/// let h = Histogram::from_values(&[-1.0, 0.5, 2.0]);
/// assert_eq!((h.min, h.max, h.num, h.sum, h.sum_squares), (-1.0, 2.0, 3.0, 1.5, 5.25));
/// assert_eq!(h.bucket.iter().sum::<f64>(), 3.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The smallest value (`f64::MAX` when there is none, as TensorFlow writes).
    pub min: f64,
    /// The largest value (`-f64::MAX` when there is none).
    pub max: f64,
    /// How many values.
    pub num: f64,
    /// Their sum.
    pub sum: f64,
    /// The sum of their squares.
    pub sum_squares: f64,
    /// The right (exclusive) edge of each bucket, ascending.
    pub bucket_limit: Vec<f64>,
    /// How many values fall in each bucket.
    pub bucket: Vec<f64>,
}

impl Histogram {
    /// The histogram of `values`.
    pub fn from_values(values: &[f64]) -> Self {
        let limits = default_limits();
        let mut counts = vec![0.0f64; limits.len()];
        let (mut min, mut max, mut num, mut sum, mut sum_squares) = (f64::MAX, -f64::MAX, 0.0, 0.0, 0.0);
        for &v in values.iter().filter(|v| v.is_finite()) {
            min = min.min(v);
            max = max.max(v);
            num += 1.0;
            sum += v;
            sum_squares += v * v;
            // The first limit above v closes v's bucket (finite v is below the last, f64::MAX).
            let bucket = limits.partition_point(|&l| l <= v).min(limits.len() - 1);
            counts[bucket] += 1.0;
        }
        let (mut bucket_limit, mut bucket) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < counts.len() {
            let (mut end, count) = (limits[i], counts[i]);
            i += 1;
            if count == 0.0 {
                while i < counts.len() && counts[i] == 0.0 {
                    end = limits[i];
                    i += 1;
                }
            }
            bucket_limit.push(end);
            bucket.push(count);
        }
        Histogram { min, max, num, sum, sum_squares, bucket_limit, bucket }
    }

    /// The histogram of a tensor's values (any shape, device and floating or integer kind).
    pub fn from_tensor(tensor: &Tensor) -> Result<Self> {
        if !tensor.defined() {
            return Err(FeError::param("Histogram", "tensor", "the tensor is undefined"));
        }
        let flat = tensor.detach().to_device(Device::Cpu).to_kind(Kind::Double).contiguous().reshape([-1]);
        let values = Vec::<f64>::try_from(&flat).map_err(|e| FeError::torch("reading a tensor for a histogram", e))?;
        Ok(Self::from_values(&values))
    }

    /// The encoded `HistogramProto`.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48 + 16 * self.bucket.len());
        field_double(1, self.min, &mut out);
        field_double(2, self.max, &mut out);
        field_double(3, self.num, &mut out);
        field_double(4, self.sum, &mut out);
        field_double(5, self.sum_squares, &mut out);
        field_packed_doubles(6, &self.bucket_limit, &mut out);
        field_packed_doubles(7, &self.bucket, &mut out);
        out
    }
}

impl EventWriter {
    /// Write histograms (`(tag, histogram)`) at `step`, in one event.
    pub fn add_histograms(&mut self, step: i64, histograms: &[(String, Histogram)]) -> Result<()> {
        let values: Vec<SummaryValue> = histograms
            .iter()
            .map(|(tag, h)| {
                let mut body = Vec::new();
                field_bytes(5, &h.encode(), &mut body);
                SummaryValue { tag: tag.clone(), body }
            })
            .collect();
        self.write_values(step, &values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_match_tensorflow() {
        let limits = default_limits();
        assert_eq!(limits.len(), 1551);
        assert_eq!(limits[0], -f64::MAX);
        assert_eq!(limits[limits.len() / 2], 0.0);
        assert_eq!(limits[limits.len() / 2 + 1], 1.0e-12);
        assert!(limits.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn buckets_merge_empty_runs_and_count_every_value() {
        let h = Histogram::from_values(&[0.0, 1.0, 1.0, -3.0, f64::NAN]);
        assert_eq!(h.num, 4.0);
        assert_eq!(h.bucket.iter().sum::<f64>(), 4.0);
        assert!(h.bucket.windows(2).all(|w| w[0] > 0.0 || w[1] > 0.0), "no two empty buckets in a row");
        assert_eq!(h.bucket_limit.last(), Some(&f64::MAX));
        // 1.0 lies in the bucket closed by the first limit above 1.0.
        let i = h.bucket_limit.iter().position(|&l| l > 1.0).unwrap();
        assert_eq!(h.bucket[i], 2.0);
        assert!(h.bucket_limit[i - 1] <= 1.0);
        let empty = Histogram::from_values(&[]);
        assert_eq!(
            (empty.num, empty.bucket.as_slice(), empty.bucket_limit.as_slice()),
            (0.0, &[0.0][..], &[f64::MAX][..])
        );
    }

    #[test]
    fn from_tensor_reads_any_shape() {
        let t = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]).reshape([2, 2]);
        let h = Histogram::from_tensor(&t).unwrap();
        assert_eq!((h.num, h.sum, h.min, h.max), (4.0, 10.0, 1.0, 4.0));
        assert!(Histogram::from_tensor(&Tensor::new()).is_err());
    }
}
