//! Modes (`train`, `eval`, `test`, `infer`) and FE's mode sets (`None` = all, `"!train"` = all but train).

use std::fmt;
use std::str::FromStr;

use crate::error::FeError;

/// One of FE's four execution modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Training: weights are updated.
    Train,
    /// Evaluation after each training epoch.
    Eval,
    /// The final test run.
    Test,
    /// Inference on new data.
    Infer,
}

impl Mode {
    /// All modes in FE's order.
    pub const ALL: [Mode; 4] = [Mode::Train, Mode::Eval, Mode::Test, Mode::Infer];

    /// The lower-case name FE uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Train => "train",
            Mode::Eval => "eval",
            Mode::Test => "test",
            Mode::Infer => "infer",
        }
    }

    /// The capitalised name FE prints in its log headers (`Train`, `Eval`, ...).
    pub fn title(self) -> &'static str {
        match self {
            Mode::Train => "Train",
            Mode::Eval => "Eval",
            Mode::Test => "Test",
            Mode::Infer => "Infer",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = FeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "train" => Ok(Mode::Train),
            "eval" => Ok(Mode::Eval),
            "test" => Ok(Mode::Test),
            "infer" => Ok(Mode::Infer),
            other => Err(FeError::InvalidMode {
                mode: other.to_string(),
                reason: "expected one of train, eval, test, infer (optionally prefixed by '!')".into(),
            }),
        }
    }
}

/// The set of modes an op or trace runs in.
///
/// ```
/// use fastestimator::util::{Mode, ModeSet};
/// let m = ModeSet::parse(&["!train", "!infer"]).unwrap();
/// assert!(m.contains(Mode::Eval) && m.contains(Mode::Test) && !m.contains(Mode::Train));
/// assert!(ModeSet::all().contains(Mode::Infer));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModeSet(u8);

impl ModeSet {
    /// Every mode (FE's `mode=None`).
    pub fn all() -> Self {
        ModeSet(0b1111)
    }

    /// Exactly the given modes.
    pub fn of(modes: &[Mode]) -> Self {
        ModeSet(modes.iter().fold(0, |acc, m| acc | m.bit()))
    }

    /// Parse FE's mode strings: plain names are a whitelist, `!name` entries a blacklist (the
    /// intersection of their complements). Mixing the two, or an empty list, is an error.
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<Self, FeError> {
        if specs.is_empty() {
            return Ok(Self::all());
        }
        let negated = specs.iter().filter(|s| s.as_ref().starts_with('!')).count();
        if negated != 0 && negated != specs.len() {
            let joined: Vec<&str> = specs.iter().map(|s| s.as_ref()).collect();
            return Err(FeError::InvalidMode {
                mode: joined.join(","),
                reason: "cannot mix negated ('!mode') and plain modes".into(),
            });
        }
        if negated == 0 {
            let mut bits = 0;
            for s in specs {
                bits |= s.as_ref().parse::<Mode>()?.bit();
            }
            Ok(ModeSet(bits))
        } else {
            let mut bits = 0b1111;
            for s in specs {
                bits &= !s.as_ref()[1..].parse::<Mode>()?.bit();
            }
            Ok(ModeSet(bits))
        }
    }

    /// Whether `mode` is in the set.
    pub fn contains(self, mode: Mode) -> bool {
        self.0 & mode.bit() != 0
    }

    /// The modes in the set, in FE's order.
    pub fn modes(self) -> Vec<Mode> {
        Mode::ALL.into_iter().filter(|m| self.contains(*m)).collect()
    }
}

impl From<Mode> for ModeSet {
    fn from(m: Mode) -> Self {
        ModeSet(m.bit())
    }
}

impl FromStr for ModeSet {
    type Err = FeError;
    /// Parse one spec, or several separated by commas: `"train"`, `"!infer"`, `"eval,test"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        ModeSet::parse(&parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negations_intersect_as_fe_does() {
        let m = ModeSet::parse(&["!train", "!infer"]).unwrap();
        assert_eq!(m.modes(), vec![Mode::Eval, Mode::Test]);
        assert_eq!("!infer".parse::<ModeSet>().unwrap().modes(), vec![Mode::Train, Mode::Eval, Mode::Test]);
    }

    #[test]
    fn mixing_plain_and_negated_is_an_error() {
        assert!(ModeSet::parse(&["!train", "eval"]).is_err());
        assert!(ModeSet::parse(&["training"]).is_err());
    }
}
