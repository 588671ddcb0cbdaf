//! The samples an XAI trace draws: the first `n` of an epoch, gathered batch by batch, and
//! their labels as text.

use indexmap::IndexMap;
use tch::{Kind, Tensor};

use crate::error::{FeError, Result};
use crate::summary::System;
use crate::trace::Data;
use crate::util::missing_key;

/// The first `limit` samples (all when `None`) of an epoch under some keys.
pub(crate) struct Samples {
    limit: Option<usize>,
    found: usize,
    parts: IndexMap<String, Vec<Tensor>>,
}

impl Samples {
    pub(crate) fn new(limit: Option<usize>) -> Samples {
        Samples { limit, found: 0, parts: IndexMap::new() }
    }

    /// Whether the epoch has not yet given `limit` samples.
    pub(crate) fn wants_more(&self) -> bool {
        self.limit.is_none_or(|n| self.found < n)
    }

    /// How many samples are kept (at most `limit`).
    pub(crate) fn len(&self) -> usize {
        self.limit.map_or(self.found, |n| self.found.min(n))
    }

    /// Keep this batch's tensors under `keys` (moved to the CPU, detached). A missing key, or
    /// keys whose batch sizes differ, are errors naming `op`.
    pub(crate) fn add(&mut self, data: &Data, keys: &[&str], op: &str, system: &System) -> Result<()> {
        if !self.wants_more() {
            return Ok(());
        }
        let mut batch = None;
        for &key in keys {
            let t = data.tensor(key).ok_or_else(|| {
                let available = data.batch().keys().map(String::as_str);
                missing_key(op, key, available, system.mode, system.epoch_idx, &system.ds_id)
            })?;
            let n = if t.dim() == 0 { 1 } else { t.size()[0] };
            match batch {
                None => batch = Some((key, n)),
                Some((first, m)) if m != n => {
                    return Err(FeError::LengthMismatch {
                        context: op.into(),
                        what: format!("samples in {key:?} (as many as {first:?} has in this batch)"),
                        expected: m as usize,
                        got: n as usize,
                    })
                }
                Some(_) => {}
            }
            let t = t.detach().to_device(tch::Device::Cpu);
            self.parts.entry(key.to_string()).or_default().push(if t.dim() == 0 { t.reshape([1]) } else { t });
        }
        self.found += batch.map_or(0, |(_, n)| n as usize);
        Ok(())
    }

    /// The kept samples under `key`, concatenated (`None` if the key was never given).
    pub(crate) fn get(&self, key: &str) -> Option<Tensor> {
        let parts = self.parts.get(key)?;
        let all = Tensor::cat(parts, 0);
        Some(all.narrow(0, 0, self.len() as i64))
    }

    /// Forget this epoch's samples.
    pub(crate) fn clear(&mut self) {
        self.found = 0;
        self.parts.clear();
    }
}

/// Class labels of `t` as text: one-hot or score rows are arg-maxed, anything else read as one
/// class id per sample, then named through `mapping` (FE's `label_mapping`, name → class id)
/// when it has the class.
pub(crate) fn label_names(t: &Tensor, mapping: &IndexMap<String, i64>) -> Vec<String> {
    let ids = if t.dim() > 1 && t.size()[t.dim() - 1] > 1 {
        t.argmax(-1, false)
    } else {
        t.reshape([-1]).to_kind(Kind::Double).round().to_kind(Kind::Int64)
    };
    let ids = Vec::<i64>::try_from(ids.reshape([-1])).unwrap_or_default();
    ids.into_iter()
        .map(|id| mapping.iter().find(|(_, &v)| v == id).map_or_else(|| id.to_string(), |(name, _)| name.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::TensorMap;

    fn batch(n: i64, start: f64) -> Data {
        let mut map = TensorMap::new();
        map.insert("x".into(), Tensor::arange(n, (Kind::Float, tch::Device::Cpu)) + start);
        map.insert("y".into(), Tensor::zeros([n], (Kind::Int64, tch::Device::Cpu)));
        Data::new(map)
    }

    #[test]
    fn keeps_the_first_samples_across_batches() {
        let system = System::standalone();
        let mut samples = Samples::new(Some(5));
        samples.add(&batch(3, 0.0), &["x", "y"], "T", &system).expect("first");
        assert!(samples.wants_more());
        samples.add(&batch(3, 10.0), &["x", "y"], "T", &system).expect("second");
        assert!(!samples.wants_more());
        samples.add(&batch(3, 20.0), &["x", "y"], "T", &system).expect("ignored");
        let x = Vec::<f32>::try_from(samples.get("x").expect("x")).expect("vec");
        assert_eq!(x, vec![0.0, 1.0, 2.0, 10.0, 11.0]);
        samples.clear();
        assert!(samples.get("x").is_none() && samples.wants_more());
    }

    #[test]
    fn a_missing_key_or_uneven_batch_is_an_error_naming_it() {
        let system = System::standalone();
        let mut samples = Samples::new(None);
        let err = samples.add(&batch(2, 0.0), &["x", "pred"], "GradCAM", &system).expect_err("missing");
        assert!(
            matches!(err, FeError::MissingKey { ref key, ref consumer, .. } if key == "pred" && consumer == "GradCAM")
        );
        let err = samples.add(&batch(2, 0.0), &["x", "y_"], "GradCAM", &system).expect_err("missing");
        assert!(matches!(err, FeError::MissingKey { ref closest, .. } if closest.as_deref() == Some("y")), "{err}");
        let mut data = batch(2, 0.0);
        data.batch_mut().insert("z".into(), Tensor::zeros([3], (Kind::Float, tch::Device::Cpu)));
        let err = samples.add(&data, &["x", "z"], "GradCAM", &system).expect_err("uneven");
        assert!(
            matches!(err, FeError::LengthMismatch { ref what, expected: 2, got: 3, .. } if what.contains("\"z\"")),
            "{err}"
        );
    }

    #[test]
    fn labels_are_argmaxed_and_named_through_the_mapping() {
        let mapping: IndexMap<String, i64> = [("cat".to_string(), 1)].into_iter().collect();
        let onehot = Tensor::from_slice(&[0.1f32, 0.9, 0.8, 0.2]).reshape([2, 2]);
        assert_eq!(label_names(&onehot, &mapping), vec!["cat", "0"]);
        let ids = Tensor::from_slice(&[2i64, 1]);
        assert_eq!(label_names(&ids, &mapping), vec!["2", "cat"]);
    }
}
