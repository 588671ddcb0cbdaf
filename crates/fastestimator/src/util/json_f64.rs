//! A float that survives JSON: trace states hold values such as an EarlyStopping's best, which is
//! infinite until the first epoch ends, and JSON has no infinity (serde_json writes `null`, which
//! then does not read back as a number). Use with `#[serde(with = "crate::util::json_f64")]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A finite value as a JSON number; infinities and NaN as the strings `"inf"`, `"-inf"`, `"nan"`.
pub(crate) fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    match *value {
        v if v.is_finite() => v.serialize(serializer),
        v if v.is_nan() => serializer.serialize_str("nan"),
        v if v > 0.0 => serializer.serialize_str("inf"),
        _ => serializer.serialize_str("-inf"),
    }
}

/// Read what [`serialize`] wrote.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }
    match Repr::deserialize(deserializer)? {
        Repr::Number(v) => Ok(v),
        Repr::Text(t) => match t.as_str() {
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            "nan" => Ok(f64::NAN),
            other => {
                Err(serde::de::Error::custom(format!("expected a number, \"inf\", \"-inf\" or \"nan\", got {other:?}")))
            }
        },
    }
}

/// An optional float that survives JSON, for trace states kept as tuples: `None` is `null`, a
/// value is written as [`serialize`] writes it, so a best of `inf` does not read back as "none yet".
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MaybeF64(pub Option<f64>);

impl Serialize for MaybeF64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(v) => serialize(v, serializer),
            None => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for MaybeF64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Present(#[serde(with = "crate::util::json_f64")] f64);
        Ok(MaybeF64(Option::<Present>::deserialize(deserializer)?.map(|p| p.0)))
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Holder {
        #[serde(with = "super")]
        v: f64,
    }

    #[test]
    fn every_float_reads_back_as_written() {
        for v in [1.5, -0.0, f64::INFINITY, f64::NEG_INFINITY] {
            let json = serde_json::to_value(Holder { v }).unwrap();
            assert_eq!(serde_json::from_value::<Holder>(json).unwrap(), Holder { v });
        }
        let nan = serde_json::to_value(Holder { v: f64::NAN }).unwrap();
        assert_eq!(nan["v"], "nan");
        assert!(serde_json::from_value::<Holder>(nan).unwrap().v.is_nan());
        assert!(serde_json::from_value::<Holder>(serde_json::json!({"v": "lots"})).is_err());
        assert!(serde_json::from_value::<Holder>(serde_json::json!({"v": null})).is_err());
    }

    #[test]
    fn optional_floats_read_back_as_written() {
        use super::MaybeF64;
        for v in [None, Some(2.5), Some(f64::INFINITY), Some(f64::NEG_INFINITY)] {
            let json = serde_json::to_value(MaybeF64(v)).unwrap();
            assert_eq!(serde_json::from_value::<MaybeF64>(json).unwrap(), MaybeF64(v));
        }
        assert_eq!(serde_json::to_value(MaybeF64(None)).unwrap(), serde_json::Value::Null);
        assert_eq!(serde_json::to_value(MaybeF64(Some(f64::INFINITY))).unwrap(), "inf");
        let nan = serde_json::from_value::<MaybeF64>(serde_json::json!("nan")).unwrap();
        assert!(nan.0.is_some_and(f64::is_nan));
        assert!(serde_json::from_value::<MaybeF64>(serde_json::json!("lots")).is_err());
    }
}
