//! [`OpIo`]: what an op (or trace) reads, writes, and when it runs.

use crate::error::{FeError, Result};
use crate::util::{check_key, DsIdFilter, Mode, ModeSet};

/// A list of keys, built from `"x"`, `["x", "y"]`, `vec!["x"]` or `()` (no keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys(pub Vec<String>);

impl From<&str> for Keys {
    fn from(k: &str) -> Self {
        Keys(vec![k.to_string()])
    }
}
impl From<String> for Keys {
    fn from(k: String) -> Self {
        Keys(vec![k])
    }
}
impl From<()> for Keys {
    fn from(_: ()) -> Self {
        Keys(Vec::new())
    }
}
impl<const N: usize> From<[&str; N]> for Keys {
    fn from(ks: [&str; N]) -> Self {
        Keys(ks.iter().map(|k| k.to_string()).collect())
    }
}
impl From<Vec<&str>> for Keys {
    fn from(ks: Vec<&str>) -> Self {
        Keys(ks.into_iter().map(String::from).collect())
    }
}
impl From<Vec<String>> for Keys {
    fn from(ks: Vec<String>) -> Self {
        Keys(ks)
    }
}
impl From<&[String]> for Keys {
    fn from(ks: &[String]) -> Self {
        Keys(ks.to_vec())
    }
}

/// Input keys, output keys, modes and ds_ids of an op or trace (FE's `Op(inputs, outputs, mode, ds_id)`).
#[derive(Debug, Clone)]
pub struct OpIo {
    /// Keys read, in order.
    pub inputs: Vec<String>,
    /// Keys written, in order.
    pub outputs: Vec<String>,
    /// Modes the op runs in.
    pub mode: ModeSet,
    /// Datasets the op applies to.
    pub ds_id: DsIdFilter,
    invalid: Option<String>,
    rejected: Option<(String, String)>,
}

impl OpIo {
    /// An op running in every mode on every dataset.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        OpIo {
            inputs: inputs.into().0,
            outputs: outputs.into().0,
            mode: ModeSet::all(),
            ds_id: DsIdFilter::All,
            invalid: None,
            rejected: None,
        }
    }

    /// The same, restricted to `mode` (FE's default mode argument of many ops).
    pub fn with_default_mode(mut self, mode: &str) -> Self {
        self.set_mode(mode);
        self
    }

    /// Set the modes from FE's spec (`"train"`, `"!infer"`, `"eval,test"`); an invalid spec is
    /// remembered and reported by [`OpIo::validate`].
    pub fn set_mode(&mut self, spec: &str) {
        match spec.parse::<ModeSet>() {
            Ok(m) => self.mode = m,
            Err(e) => self.invalid = Some(e.to_string()),
        }
    }

    /// Set the ds_id filter from FE's spec (`"ds1"`, `"!ds1"`, `"ds1,ds2"`).
    pub fn set_ds_id(&mut self, spec: &str) {
        let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
        match DsIdFilter::parse(&parts) {
            Ok(f) => self.ds_id = f,
            Err(e) => self.invalid = Some(e.to_string()),
        }
    }

    /// Record that a builder setter got an invalid value for `param`. Setters never fail; the first
    /// such error is reported by [`OpIo::validate`] (run by `Pipeline::build` and by meta-op
    /// constructors) as an [`FeError::InvalidParameter`] naming the op and the parameter.
    pub fn reject(&mut self, param: &str, reason: impl Into<String>) {
        if self.rejected.is_none() {
            self.rejected = Some((param.to_string(), reason.into()));
        }
    }

    /// The io of ops run in order as one op (`Fuse`, in the Pipeline and in the Network): this
    /// io's modes and ds_ids (the first op's), the inputs that no earlier op produces, and the
    /// union of the outputs, each key once, in the order first met.
    pub(crate) fn fused<'a>(&self, ops: impl IntoIterator<Item = &'a OpIo>) -> OpIo {
        let mut io = self.clone();
        io.inputs.clear();
        io.outputs.clear();
        for op in ops {
            for k in &op.inputs {
                if !io.outputs.contains(k) && !io.inputs.contains(k) {
                    io.inputs.push(k.clone());
                }
            }
            for k in &op.outputs {
                if !io.outputs.contains(k) {
                    io.outputs.push(k.clone());
                }
            }
        }
        io
    }

    /// Whether the op runs for this mode and dataset.
    pub fn applies(&self, mode: Mode, ds_id: &str) -> bool {
        self.mode.contains(mode) && self.ds_id.matches(ds_id)
    }

    /// Check every key name and any mode/ds_id spec given earlier. `owner` names the op in errors.
    pub fn validate(&self, owner: &str) -> Result<()> {
        if let Some(reason) = &self.invalid {
            return Err(FeError::param(owner, "mode/ds_id", reason.clone()));
        }
        if let Some((param, reason)) = &self.rejected {
            return Err(FeError::param(owner, param.clone(), reason.clone()));
        }
        for k in self.inputs.iter().chain(&self.outputs) {
            if k == "*" {
                continue;
            }
            check_key(k).map_err(|e| FeError::param(owner, "inputs/outputs", e.to_string()))?;
        }
        Ok(())
    }
}

/// Anything with an [`OpIo`]: ops and traces.
pub trait HasIo {
    /// The op's keys and filters.
    fn io(&self) -> &OpIo;
    /// Mutable access, used by the [`Configure`] methods.
    fn io_mut(&mut self) -> &mut OpIo;
}

/// Chaining setters for mode and ds_id, available on every op and trace.
///
/// ```
/// use fastestimator::op::Configure;
/// use fastestimator::op::numpy::Minmax;
/// let op = Minmax::new("x", "x").mode("!infer").ds_id("ds1");
/// ```
pub trait Configure: HasIo + Sized {
    /// Restrict the modes (`"train"`, `"!train"`, `"eval,test"`).
    fn mode(mut self, spec: &str) -> Self {
        self.io_mut().set_mode(spec);
        self
    }
    /// Restrict the datasets (`"ds1"`, `"!ds1"`).
    fn ds_id(mut self, spec: &str) -> Self {
        self.io_mut().set_ds_id(spec);
        self
    }
}

impl<T: HasIo + Sized> Configure for T {}

/// Implement [`HasIo`] for a type with an `io: OpIo` field.
macro_rules! impl_has_io {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::op::HasIo for $t {
            fn io(&self) -> &$crate::op::OpIo { &self.io }
            fn io_mut(&mut self) -> &mut $crate::op::OpIo { &mut self.io }
        }
    )*};
}
pub(crate) use impl_has_io;
