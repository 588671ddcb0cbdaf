//! Hyperparameters for TensorBoard's HParams plugin.
//!
//! A run's hyperparameters are a `Summary.Value` tagged `_hparams_/session_start_info` whose
//! `metadata=9` is `SummaryMetadata { plugin_data=1 PluginData { plugin_name=1 "hparams",
//! content=2 } }`, the content being `HParamsPluginData { version=1 int32 (0),
//! session_start_info=3 SessionStartInfo { hparams=1 map<string, google.protobuf.Value>,
//! start_time_secs=5 double }, session_end_info=4 SessionEndInfo { status=1 enum,
//! end_time_secs=2 double } }`, with `Value { number_value=2 double, string_value=3,
//! bool_value=4 }`. Each such value also carries the plugin's empty float tensor (`tensor=8`).

use indexmap::IndexMap;

use super::events::{EventWriter, SummaryValue};
use super::proto::{field_bytes, field_double, field_varint};
use crate::error::Result;

/// The tag of the hyperparameters' summary.
const SESSION_START_INFO_TAG: &str = "_hparams_/session_start_info";
/// The tag of the summary that marks the run's end.
const SESSION_END_INFO_TAG: &str = "_hparams_/session_end_info";
/// `TensorProto { dtype=1: DT_FLOAT, tensor_shape=2: { dim { } } }`, the plugin's `NULL_TENSOR`.
const NULL_TENSOR: [u8; 6] = [0x08, 0x01, 0x12, 0x02, 0x12, 0x00];
/// `tensorboard.hparams.Status.STATUS_SUCCESS`.
const STATUS_SUCCESS: u64 = 1;

/// One hyperparameter's value, as TensorBoard's HParams plugin shows it: a number, a string or
/// a bool. Numbers, strings and bools convert into it, so a trace takes
/// `[("lr", HParamValue::from(1e-3)), ("optimizer", "adam".into())]`.
///
/// ```
/// use fastestimator::trace::io::HParamValue;
/// assert_eq!(HParamValue::from(32), HParamValue::Number(32.0));
/// assert_eq!(HParamValue::from("adam"), HParamValue::Text("adam".into()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum HParamValue {
    /// A number (TensorBoard stores every number as a double).
    Number(f64),
    /// A string.
    Text(String),
    /// A bool.
    Bool(bool),
}

macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for HParamValue {
            fn from(v: $t) -> Self {
                HParamValue::Number(v as f64)
            }
        }
    )*};
}
number_from!(f64, f32, i32, i64, u32, u64, usize);

impl From<bool> for HParamValue {
    fn from(v: bool) -> Self {
        HParamValue::Bool(v)
    }
}

impl From<&str> for HParamValue {
    fn from(v: &str) -> Self {
        HParamValue::Text(v.to_string())
    }
}

impl From<String> for HParamValue {
    fn from(v: String) -> Self {
        HParamValue::Text(v)
    }
}

impl HParamValue {
    /// The encoded `google.protobuf.Value`.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            HParamValue::Number(x) => field_double(2, *x, &mut out),
            HParamValue::Text(s) => field_bytes(3, s.as_bytes(), &mut out),
            HParamValue::Bool(b) => field_varint(4, u64::from(*b), &mut out),
        }
        out
    }
}

/// A `Summary.Value` body holding `HParamsPluginData` whose only set field is `field`.
fn plugin_value(field: u32, message: &[u8]) -> Vec<u8> {
    let mut content = Vec::new();
    field_varint(1, 0, &mut content);
    field_bytes(field, message, &mut content);
    let mut plugin_data = Vec::new();
    field_bytes(1, b"hparams", &mut plugin_data);
    field_bytes(2, &content, &mut plugin_data);
    let mut metadata = Vec::new();
    field_bytes(1, &plugin_data, &mut metadata);
    let mut body = Vec::new();
    field_bytes(8, &NULL_TENSOR, &mut body);
    field_bytes(9, &metadata, &mut body);
    body
}

impl EventWriter {
    /// Start an HParams session: write the run's hyperparameters, started at `start_time_secs`
    /// (seconds since the Unix epoch), at step 0. TensorBoard's HParams plugin treats the
    /// directory of this file as one run and the directories below it as its metric groups.
    pub fn add_hparams(&mut self, hparams: &IndexMap<String, HParamValue>, start_time_secs: f64) -> Result<()> {
        let mut info = Vec::new();
        for (name, value) in hparams {
            let mut entry = Vec::new();
            field_bytes(1, name.as_bytes(), &mut entry);
            field_bytes(2, &value.encode(), &mut entry);
            field_bytes(1, &entry, &mut info);
        }
        field_double(5, start_time_secs, &mut info);
        let body = plugin_value(3, &info);
        self.write_values(0, &[SummaryValue { tag: SESSION_START_INFO_TAG.into(), body }])
    }

    /// End the HParams session started by [`EventWriter::add_hparams`]: a successful run that
    /// ended at `end_time_secs`, written at `step`.
    pub fn end_hparams(&mut self, step: i64, end_time_secs: f64) -> Result<()> {
        let mut info = Vec::new();
        field_varint(1, STATUS_SUCCESS, &mut info);
        field_double(2, end_time_secs, &mut info);
        let body = plugin_value(4, &info);
        self.write_values(step, &[SummaryValue { tag: SESSION_END_INFO_TAG.into(), body }])
    }
}
