//! `BleuScore`: corpus BLEU of predicted token sequences over an epoch (nltk's BLEU with Chen and
//! Cherry's smoothing method 4, as FE computes it).

use std::collections::HashMap;

use ndarray::{ArrayD, Axis};

use crate::distributed::ProcessGroup;
use crate::error::{FeError, Result};
use crate::op::OpIo;
use crate::summary::LogValue;

use super::input::argmax_last;
use super::metric_trace::MetricTrace;
use super::metric_trait::{Metric, MetricBatch};

/// nltk's `SmoothingFunction` default `k` used by method 4.
const SMOOTHING_K: f64 = 5.0;

/// Corpus BLEU of the token sequences `pred_key` against the references `true_key` over an epoch
/// (FE's `BleuScore`; Papineni et al., 2002).
///
/// Both inputs are `[batch, length]` token ids; `[batch, length, vocabulary]` scores or one-hot
/// rows are argmaxed first. Token 0 is padding and is dropped. Each sequence has one reference.
/// Clipped n-gram matches (n = 1..`n_gram`, uniform weights) and lengths are summed over the
/// epoch; zero n-gram precisions are smoothed with Chen and Cherry's method 4 (nltk's
/// `SmoothingFunction().method4`: `ln(hyp_len) / (5·2^i)` matches, `i` counting the smoothed
/// orders from 1, with `hyp_len` the epoch's total hypothesis length) and the brevity penalty uses
/// the summed lengths. The score is 0 without any unigram match, rounded to 5 decimals, and
/// written as `"bleu_score"`. Per-instance logs hold each sentence's smoothed BLEU.
///
/// ```
/// use fastestimator::trace::metric::BleuScore;
/// let bleu = BleuScore::new("target", "pred").n_gram(2);
/// // an invalid order is reported when the trace is bound (or validated)
/// assert!(BleuScore::new("target", "pred").n_gram(0).validate().is_err());
/// # let _ = bleu;
/// ```
pub type BleuScore = MetricTrace<BleuScoreMetric>;

/// The metric behind [`BleuScore`].
#[derive(Debug, Clone)]
pub struct BleuScoreMetric {
    n_gram: usize,
}

/// The epoch state of [`BleuScore`]: clipped matches and totals per n-gram order, and the summed
/// lengths.
#[derive(Debug, Clone, Default)]
pub struct BleuCounts {
    correct: Vec<u64>,
    total: Vec<u64>,
    hyp_len: u64,
    ref_len: u64,
}

/// One sentence's statistics and its smoothed BLEU.
#[derive(Debug, Clone)]
pub struct Sentence {
    correct: Vec<u64>,
    total: Vec<u64>,
    hyp_len: u64,
    ref_len: u64,
    score: f64,
}

impl BleuScore {
    /// BLEU-4 written as `"bleu_score"`.
    pub fn new(true_key: &str, pred_key: &str) -> Self {
        MetricTrace::from_metric(
            BleuScoreMetric { n_gram: 4 },
            OpIo::new([true_key, pred_key], "bleu_score").with_default_mode("eval,test"),
        )
    }

    /// The largest n-gram order (default 4; at least 1); the weights are uniform, `1/n_gram` each.
    pub fn n_gram(self, n_gram: usize) -> Self {
        self.with_metric(|m| m.n_gram = n_gram)
    }
}

/// Token sequences without padding, one per sample.
fn sequences(a: &ArrayD<f64>) -> Vec<Vec<i64>> {
    let ids = if a.ndim() > 2 && a.shape()[a.ndim() - 1] > 1 {
        let shape: Vec<usize> = a.shape()[..a.ndim() - 1].to_vec();
        ArrayD::from_shape_vec(shape, argmax_last(a).into_iter().map(|v| v as f64).collect())
            .unwrap_or_else(|_| ArrayD::zeros(vec![0]))
    } else {
        a.clone()
    };
    let ids = if ids.ndim() == 0 { ids.insert_axis(Axis(0)) } else { ids };
    ids.outer_iter().map(|row| row.iter().map(|&v| v.round() as i64).filter(|&v| v != 0).collect()).collect()
}

/// nltk's `modified_precision` for one reference: (clipped matches, max(1, hypothesis n-grams)).
fn modified_precision(reference: &[i64], hypothesis: &[i64], n: usize) -> (u64, u64) {
    fn counts(tokens: &[i64], n: usize) -> HashMap<&[i64], u64> {
        let mut m = HashMap::new();
        if tokens.len() >= n {
            for g in tokens.windows(n) {
                *m.entry(g).or_insert(0) += 1;
            }
        }
        m
    }
    let hyp = counts(hypothesis, n);
    let refs = counts(reference, n);
    let matches = hyp.iter().map(|(g, &c)| c.min(refs.get(g).copied().unwrap_or(0))).sum();
    let total: u64 = hyp.values().sum();
    (matches, total.max(1))
}

/// nltk's `brevity_penalty(closest_ref_len, hyp_len)`.
fn brevity_penalty(ref_len: u64, hyp_len: u64) -> f64 {
    if hyp_len > ref_len {
        1.0
    } else if hyp_len == 0 {
        0.0
    } else {
        (1.0 - ref_len as f64 / hyp_len as f64).exp()
    }
}

/// BLEU from n-gram (matches, totals), smoothed with method 4, times the brevity penalty.
fn bleu(correct: &[u64], total: &[u64], hyp_len: u64, ref_len: u64) -> f64 {
    if correct.first().copied().unwrap_or(0) == 0 {
        return 0.0;
    }
    let weight = 1.0 / correct.len() as f64;
    let mut smoothed_orders = 0;
    let mut log_sum = 0.0;
    for (&c, &t) in correct.iter().zip(total) {
        let p = if c == 0 && hyp_len > 1 {
            smoothed_orders += 1;
            let numerator = 1.0 / (2f64.powi(smoothed_orders) * SMOOTHING_K / (hyp_len as f64).ln());
            numerator / t as f64
        } else {
            c as f64 / t as f64
        };
        if p > 0.0 {
            log_sum += weight * p.ln();
        }
    }
    brevity_penalty(ref_len, hyp_len) * log_sum.exp()
}

impl Sentence {
    fn new(reference: &[i64], hypothesis: &[i64], n_gram: usize) -> Self {
        let (correct, total) = (1..=n_gram).map(|n| modified_precision(reference, hypothesis, n)).unzip();
        let (hyp_len, ref_len) = (hypothesis.len() as u64, reference.len() as u64);
        let mut sentence = Sentence { correct, total, hyp_len, ref_len, score: 0.0 };
        sentence.score = bleu(&sentence.correct, &sentence.total, hyp_len, ref_len);
        sentence
    }
}

impl BleuCounts {
    fn add(&mut self, sentence: &Sentence) {
        let n_gram = sentence.correct.len();
        self.correct.resize(n_gram, 0);
        self.total.resize(n_gram, 0);
        for (n, (&c, &t)) in sentence.correct.iter().zip(&sentence.total).enumerate() {
            self.correct[n] += c;
            self.total[n] += t;
        }
        self.hyp_len += sentence.hyp_len;
        self.ref_len += sentence.ref_len;
    }

    fn score(&self) -> f64 {
        let value = bleu(&self.correct, &self.total, self.hyp_len, self.ref_len);
        (value * 1e5).round_ties_even() / 1e5
    }
}

impl Metric for BleuScoreMetric {
    type Batch = Vec<Sentence>;
    type State = BleuCounts;

    fn name(&self) -> &str {
        "BleuScore"
    }

    fn validate(&self, _io: &OpIo) -> Result<()> {
        if self.n_gram == 0 {
            return Err(FeError::param("BleuScore", "n_gram", "should be a positive integer"));
        }
        Ok(())
    }

    fn read(&self, batch: &MetricBatch<'_>) -> Result<Vec<Sentence>> {
        let references = sequences(&batch.array(0)?);
        let hypotheses = sequences(&batch.array(1)?);
        if references.len() != hypotheses.len() {
            return Err(FeError::LengthMismatch {
                context: "BleuScore".into(),
                what: format!("hypotheses in {:?} (one per reference in {:?})", batch.key(1)?, batch.key(0)?),
                expected: references.len(),
                got: hypotheses.len(),
            });
        }
        Ok(references.iter().zip(&hypotheses).map(|(r, h)| Sentence::new(r, h, self.n_gram)).collect())
    }

    fn instance_logs(&self, batch: &Vec<Sentence>, io: &OpIo) -> Vec<(String, Vec<f64>)> {
        vec![(io.outputs[0].clone(), batch.iter().map(|s| s.score).collect())]
    }

    fn reduce(&self, counts: &mut BleuCounts, group: &ProcessGroup) -> Result<()> {
        let n = counts.correct.len().max(counts.total.len());
        let mut lengths = [n as f64];
        group.max_f64(&mut lengths)?;
        let n = lengths[0] as usize;
        counts.correct.resize(n, 0);
        counts.total.resize(n, 0);
        let mut all: Vec<i64> = counts.correct.iter().chain(&counts.total).map(|&c| c as i64).collect();
        all.extend([counts.hyp_len as i64, counts.ref_len as i64]);
        group.sum_i64(&mut all)?;
        counts.correct = all[..n].iter().map(|&c| c as u64).collect();
        counts.total = all[n..2 * n].iter().map(|&c| c as u64).collect();
        (counts.hyp_len, counts.ref_len) = (all[2 * n] as u64, all[2 * n + 1] as u64);
        Ok(())
    }

    fn update(&self, counts: &mut BleuCounts, batch: &Vec<Sentence>) -> Result<()> {
        for sentence in batch {
            counts.add(sentence);
        }
        Ok(())
    }

    fn result(&self, counts: &BleuCounts, io: &OpIo) -> Result<Vec<(String, LogValue)>> {
        Ok(vec![(io.outputs[0].clone(), LogValue::F64(counts.score()))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nltk_facts() {
        // nltk doc: 'the the the ...' against 'the cat is on the mat' clips to 2/7.
        let the = [1i64; 7];
        assert_eq!(modified_precision(&[1, 2, 3, 4, 1, 5], &the, 1), (2, 7));
        assert_eq!(modified_precision(&[1, 2], &[1], 2), (0, 1));
        assert!((brevity_penalty(28, 12) - 0.2635971381157267).abs() < 1e-15);
        assert!((brevity_penalty(13, 12) - 0.9200444146293233).abs() < 1e-12);
        assert_eq!(brevity_penalty(12, 12), 1.0);
    }
}
