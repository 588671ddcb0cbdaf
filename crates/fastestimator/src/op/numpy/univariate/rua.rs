//! `RUA`: FE's Random Unified Augmentation.

use rand::Rng;

use super::{
    AutoContrast, Brightness, Color, Contrast, Equalize, Identity, Posterize, Rotate, Sharpness, ShearX, ShearY,
    Solarize, TranslateX, TranslateY,
};
use crate::error::{FeError, Result};
use crate::op::numpy::meta::{as_map, outputs_of, run_child, unwrap_output};
use crate::op::numpy::{Applied, NumpyOp, OpOutput, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// The default choices, in FE's order.
pub const RUA_DEFAULTS: [&str; 14] = [
    "Rotate",
    "Identity",
    "AutoContrast",
    "Equalize",
    "Posterize",
    "Solarize",
    "Sharpness",
    "Contrast",
    "Color",
    "Brightness",
    "ShearX",
    "ShearY",
    "TranslateX",
    "TranslateY",
];

/// One entry of RUA's `choices`: `"defaults"`, a default op's name (`"Rotate"`), a negated
/// name (`"!Rotate"`, meaning all defaults but that one), or a custom op with `set_rua_level`.
pub enum RuaChoice {
    /// A name, a negated name, or `"defaults"`.
    Name(String),
    /// A custom augmentation.
    Op(Box<dyn NumpyOp>),
}

impl From<&str> for RuaChoice {
    fn from(s: &str) -> Self {
        RuaChoice::Name(s.to_string())
    }
}

impl From<Box<dyn NumpyOp>> for RuaChoice {
    fn from(op: Box<dyn NumpyOp>) -> Self {
        RuaChoice::Op(op)
    }
}

/// Random Unified Augmentation (FE's `RUA`) for `u8` (and float) images.
///
/// `level` ∈ [0, 30] sets both the strength and the number of augmentations: every choice gets
/// `set_rua_level(level / 30)`, and each sample receives `N = level·(N_max − 1)/30 + 1` random
/// choices with `N_max = min(#choices, 5)`: `floor(N)` guaranteed picks plus one more with
/// probability `frac(N)`. The defaults are Rotate(90), Identity, AutoContrast, Equalize,
/// Posterize(7), Solarize(256), Sharpness(0.9), Contrast(0.9), Color(0.9), Brightness(0.9),
/// ShearX(0.5), ShearY(0.5), TranslateX(0.33) and TranslateY(0.33).
///
/// ```
/// use fastestimator::op::numpy::univariate::RUA;
/// let rua = RUA::new("x", "x").unwrap(); // defaults, level 18
/// let gentle = RUA::with_choices("x", "x", vec!["!Rotate".into(), "!Solarize".into()], 6.0).unwrap();
/// ```
pub struct RUA {
    io: OpIo,
    choices: Vec<Box<dyn NumpyOp>>,
    guaranteed: usize,
    extra_prob: f64,
}
impl_has_io!(RUA);

fn default_op(name: &str, inputs: &Keys, outputs: &Keys) -> Option<Box<dyn NumpyOp>> {
    let (i, o) = (inputs.clone(), outputs.clone());
    Some(match name {
        "Rotate" => Box::new(Rotate::new(i, o).limit(90.0)),
        "Identity" => Box::new(Identity::new(i, o)),
        "AutoContrast" => Box::new(AutoContrast::new(i, o)),
        "Equalize" => Box::new(Equalize::new(i, o)),
        "Posterize" => Box::new(Posterize::new(i, o).num_bits(7)),
        "Solarize" => Box::new(Solarize::new(i, o).threshold(256.0)),
        "Sharpness" => Box::new(Sharpness::new(i, o).limit(0.9)),
        "Contrast" => Box::new(Contrast::new(i, o).limit(0.9)),
        "Color" => Box::new(Color::new(i, o).limit(0.9)),
        "Brightness" => Box::new(Brightness::new(i, o).limit(0.9)),
        "ShearX" => Box::new(ShearX::new(i, o).shear_coef(0.5)),
        "ShearY" => Box::new(ShearY::new(i, o).shear_coef(0.5)),
        "TranslateX" => Box::new(TranslateX::new(i, o).shift_limit(0.33)),
        "TranslateY" => Box::new(TranslateY::new(i, o).shift_limit(0.33)),
        _ => return None,
    })
}

impl RUA {
    /// The default choices at level 18.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Result<Self> {
        Self::with_choices(inputs, outputs, vec!["defaults".into()], 18.0)
    }

    /// Choose the augmentations and the level (FE's rules: names to add or `!names` to remove,
    /// never both, and `"defaults"` only alone or with custom ops).
    pub fn with_choices(
        inputs: impl Into<Keys>,
        outputs: impl Into<Keys>,
        choices: Vec<RuaChoice>,
        level: f64,
    ) -> Result<Self> {
        if !(0.0..=30.0).contains(&level) {
            return Err(FeError::param("RUA", "level", format!("{level} is outside [0, 30]")));
        }
        let (inputs, outputs) = (inputs.into(), outputs.into());
        let mut names = Vec::new();
        let mut custom = Vec::new();
        for c in choices {
            match c {
                RuaChoice::Name(n) => names.push(n),
                RuaChoice::Op(op) => custom.push(op),
            }
        }
        let defaults = names.iter().any(|n| n == "defaults");
        let remove: Vec<&str> = names.iter().filter_map(|n| n.strip_prefix('!')).collect();
        let add: Vec<&str> =
            names.iter().map(String::as_str).filter(|n| !n.starts_with('!') && *n != "defaults").collect();
        if !remove.is_empty() && !add.is_empty() {
            return Err(FeError::param(
                "RUA",
                "choices",
                format!("RUA supports either add or remove ops, but not both; found {add:?} and {remove:?}"),
            ));
        }
        let unknown = |n: &str| {
            FeError::param(
                "RUA",
                "choices",
                format!("unknown augmentation {n:?}; available: {}", RUA_DEFAULTS.join(", ")),
            )
        };
        let selected: Vec<&str> = if !remove.is_empty() {
            if defaults {
                return Err(FeError::param("RUA", "choices", "'defaults' cannot be combined with ops to remove"));
            }
            if let Some(n) = remove.iter().find(|n| !RUA_DEFAULTS.contains(n)) {
                return Err(unknown(n));
            }
            RUA_DEFAULTS.iter().copied().filter(|n| !remove.contains(n)).collect()
        } else if defaults {
            if !add.is_empty() {
                return Err(FeError::param("RUA", "choices", format!("'defaults' already includes {add:?}")));
            }
            RUA_DEFAULTS.to_vec()
        } else {
            if let Some(n) = add.iter().find(|n| !RUA_DEFAULTS.contains(n)) {
                return Err(unknown(n));
            }
            add
        };
        let mut ops: Vec<Box<dyn NumpyOp>> =
            selected.iter().map(|n| default_op(n, &inputs, &outputs).expect("checked name")).collect();
        ops.extend(custom);
        if ops.is_empty() {
            return Err(FeError::param("RUA", "choices", "no augmentations selected"));
        }
        let coef = level / 30.0;
        for op in ops.iter_mut() {
            op.io().validate(&op.name())?;
            op.set_rua_level(coef)?;
        }
        let mut io = OpIo::new(inputs.clone(), outputs.clone());
        for k in outputs.0.iter().chain(ops.iter().flat_map(|o| o.io().inputs.iter().chain(&o.io().outputs))) {
            if !io.inputs.contains(k) {
                io.inputs.push(k.clone());
            }
        }
        for k in ops.iter().flat_map(|o| o.io().outputs.iter()) {
            if !io.outputs.contains(k) {
                io.outputs.push(k.clone());
            }
        }
        let n_max = ops.len().min(5) as f64;
        let n = level * (n_max - 1.0) / 30.0 + 1.0;
        Ok(RUA { io, choices: ops, guaranteed: n.floor() as usize, extra_prob: n.fract() })
    }

    /// `(guaranteed picks, probability of one more)` per sample.
    pub fn picks(&self) -> (usize, f64) {
        (self.guaranteed, self.extra_prob)
    }

    fn run(&self, data: Vec<Value>, state: &mut OpState, batched: bool) -> Result<OpOutput> {
        let mut map = as_map(&self.io.inputs, data);
        let extra = {
            let rng = state.rng();
            self.extra_prob > 0.0 && self.extra_prob > rng.gen::<f64>()
        };
        for k in 0..(self.guaranteed + usize::from(extra)) as u64 {
            let pick = state.rng().gen_range(0..self.choices.len());
            if let Applied::Filtered { replacement } =
                run_child(self.choices[pick].as_ref(), &mut map, state, k, batched)?
            {
                return Ok(OpOutput::Filtered { replacement });
            }
        }
        outputs_of(&self.io.outputs, &mut map, "RUA", state).map(OpOutput::Data)
    }
}

impl NumpyOp for RUA {
    fn name(&self) -> String {
        "RUA".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        unwrap_output("RUA", self.run(data, state, false)?)
    }

    fn forward_batch(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        unwrap_output("RUA", self.run(data, state, true)?)
    }

    fn forward_or_filter(&self, data: Vec<Value>, state: &mut OpState) -> Result<OpOutput> {
        self.run(data, state, false)
    }

    fn may_filter(&self) -> bool {
        self.choices.iter().any(|o| o.may_filter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::numpy::LambdaOp;
    use crate::util::Mode;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn level_rule_and_choice_rules() {
        let rua = RUA::new("x", "x").unwrap();
        // N = 18 * (5 - 1) / 30 + 1 = 3.4
        let (g, p) = rua.picks();
        assert_eq!(g, 3);
        assert!((p - 0.4).abs() < 1e-9);
        assert_eq!(RUA::with_choices("x", "x", vec!["defaults".into()], 0.0).unwrap().picks(), (1, 0.0));
        assert_eq!(RUA::with_choices("x", "x", vec!["Rotate".into(), "Color".into()], 30.0).unwrap().picks(), (2, 0.0));
        for bad in [vec!["defaults", "Rotate"], vec!["defaults", "!Rotate"], vec!["!Solarize", "Rotate"], vec!["Nope"]]
        {
            let choices = bad.into_iter().map(RuaChoice::from).collect();
            let err = RUA::with_choices("x", "x", choices, 18.0).err().unwrap().to_string();
            assert!(err.contains("RUA") && err.contains("choices"), "{err}");
        }
        assert!(RUA::with_choices("x", "x", vec!["defaults".into()], 31.0).is_err());
        let no_level: Box<dyn NumpyOp> = Box::new(LambdaOp::new("x", "x", Ok));
        let err = RUA::with_choices("x", "x", vec![no_level.into()], 18.0).err().unwrap().to_string();
        assert!(err.contains("set_rua_level"), "{err}");
    }

    #[test]
    fn augments_u8_images_deterministically() {
        let rua = RUA::new("x", "x").unwrap();
        let img: Vec<u8> = (0..32 * 32 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let x = Value::U8(ArrayD::from_shape_vec(IxDyn(&[32, 32, 3]), img).unwrap());
        let run = |pos| {
            let mut st = OpState::new(Mode::Train, 1, "", 5, pos, 0);
            rua.forward(vec![x.clone()], &mut st).unwrap().remove(0)
        };
        assert_eq!(run(3), run(3));
        assert_eq!(run(3).shape(), &[32, 32, 3]);
        assert!((0..8).any(|p| run(p) != x));
    }
}
