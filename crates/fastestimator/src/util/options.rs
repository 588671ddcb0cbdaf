//! Options that FE passes as strings: the [`option_strings!`] macro that makes an option enum
//! parse from FE's strings and print as them, and [`BestMode`], the min/max choice that FE calls
//! `compare`, `save_best_mode` and `best_mode`.

/// Implement `FromStr` (FE's strings; anything else is
/// [`FeError::InvalidParameter`](crate::FeError) for `$param` of `$component`, naming every
/// accepted string) and `Display` (the first string of each variant) for an option enum.
macro_rules! option_strings {
    ($ty:ty, $component:literal, $param:literal, { $($variant:path => $($s:literal)|+),+ $(,)? }) => {
        impl std::str::FromStr for $ty {
            type Err = $crate::FeError;
            fn from_str(s: &str) -> $crate::Result<Self> {
                match s {
                    $($($s)|+ => Ok($variant),)+
                    other => Err($crate::FeError::param(
                        $component,
                        $param,
                        format!(
                            "expected one of {:?}, got {other:?}",
                            [$($($s),+),+]
                        ),
                    )),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $($variant => $crate::util::option_strings!(@first $($s)|+),)+
                })
            }
        }
    };
    (@first $first:literal $(| $rest:literal)*) => {
        $first
    };
}
pub(crate) use option_strings;

/// Whether the largest or the smallest value of a monitored metric or result is the best: FE's
/// `"max"` and `"min"`, given as `compare` to `EarlyStopping` and `ReduceLROnPlateau`, as
/// `save_best_mode` to `BestModelSaver`, and as `best_mode` to a search.
///
/// ```
/// use fastestimator::util::BestMode;
/// let mode: BestMode = "max".parse()?;
/// assert_eq!(mode, BestMode::Max);
/// assert_eq!(BestMode::Min.to_string(), "min");
/// assert!(BestMode::Max.is_better(2.0, 1.0));
/// assert!(BestMode::Min.improves(0.5, 1.0, 0.1));
/// assert!("mean".parse::<BestMode>().unwrap_err().to_string().contains(r#"["min", "max"]"#));
/// # Ok::<(), fastestimator::FeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BestMode {
    /// Smaller is better (losses; FE's `"min"`).
    Min,
    /// Larger is better (accuracy; FE's `"max"`).
    Max,
}

option_strings!(BestMode, "BestMode", "best_mode", {
    BestMode::Min => "min",
    BestMode::Max => "max",
});

impl BestMode {
    /// `"min"` or `"max"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BestMode::Min => "min",
            BestMode::Max => "max",
        }
    }

    /// Whether `a` is better than `b` (NaN is never better, and anything beats NaN).
    pub fn is_better(self, a: f64, b: f64) -> bool {
        match (a.is_nan(), b.is_nan()) {
            (true, _) => false,
            (false, true) => true,
            _ => match self {
                BestMode::Max => a > b,
                BestMode::Min => a < b,
            },
        }
    }

    /// Whether `current` beats `best` by more than `min_delta`.
    pub fn improves(self, current: f64, best: f64, min_delta: f64) -> bool {
        match self {
            BestMode::Min => current + min_delta < best,
            BestMode::Max => current - min_delta > best,
        }
    }

    /// The worst possible value (the starting "best").
    pub fn worst(self) -> f64 {
        match self {
            BestMode::Min => f64::INFINITY,
            BestMode::Max => f64::NEG_INFINITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::str::FromStr;

    use super::BestMode;
    use crate::backend::LossReduction;
    use crate::dataset::data::cifar100::LabelMode;
    use crate::op::numpy::multivariate::BboxFormat;
    use crate::op::numpy::univariate::ColorFlag;
    use crate::op::tensor::loss::CrossEntropyForm;
    use crate::op::tensor::{L1LossType, ResizeMode, SuperLossThreshold};
    use crate::trace::xai::Bounds;
    use crate::DType;
    use crate::FeError;

    /// `T` parses each of FE's strings to its variant and prints back the first spelling, and a
    /// bad string is an `InvalidParameter` for `param` that names every accepted string.
    fn parses_fe<T>(param: &str, cases: &[(&str, T)], accepted: &[&str])
    where
        T: FromStr<Err = FeError> + Debug + PartialEq + ToString,
    {
        for (text, want) in cases {
            assert_eq!(&text.parse::<T>().unwrap(), want, "{text}");
            assert!(accepted.contains(&want.to_string().as_str()), "{want:?} prints as one of FE's strings");
        }
        let err = "no-such-option".parse::<T>().unwrap_err();
        assert!(matches!(&err, FeError::InvalidParameter { param: p, .. } if p == param), "{err}");
        let text = err.to_string();
        for s in accepted {
            assert!(text.contains(&format!("{s:?}")), "{text} names {s:?}");
        }
        assert!(text.contains("\"no-such-option\""), "{text}");
    }

    #[test]
    fn every_option_enum_parses_fes_strings() {
        use BestMode::{Max, Min};
        parses_fe("best_mode", &[("min", Min), ("max", Max)], &["min", "max"]);
        parses_fe(
            "bounds",
            &[("std", Bounds::Std), ("range", Bounds::Range), ("none", Bounds::None), ("None", Bounds::None)],
            &["std", "range", "none", "None"],
        );
        parses_fe(
            "dtype",
            &[("uint8", DType::U8), ("int64", DType::I64), ("float32", DType::F32), ("float64", DType::F64)],
            &["uint8", "int64", "float32", "float64", "bool", "str"],
        );
        parses_fe(
            "format",
            &[
                ("pascal_voc", BboxFormat::PascalVoc),
                ("coco", BboxFormat::Coco),
                ("albumentations", BboxFormat::Albumentations),
                ("yolo", BboxFormat::Yolo),
            ],
            &["pascal_voc", "coco", "albumentations", "yolo"],
        );
        parses_fe(
            "form",
            &[
                ("categorical", CrossEntropyForm::Categorical),
                ("sparse", CrossEntropyForm::Sparse),
                ("binary", CrossEntropyForm::Binary),
            ],
            &["categorical", "sparse", "binary"],
        );
        parses_fe(
            "reduction",
            &[("none", LossReduction::None), ("mean", LossReduction::Mean), ("sum", LossReduction::Sum)],
            &["none", "mean", "sum"],
        );
        parses_fe(
            "loss_type",
            &[("L1", L1LossType::L1), ("Smooth", L1LossType::Smooth), ("Huber", L1LossType::Huber)],
            &["L1", "Smooth", "Huber"],
        );
        parses_fe(
            "resize_mode",
            &[("nearest", ResizeMode::Nearest), ("area", ResizeMode::Area), ("trilinear", ResizeMode::Trilinear)],
            &["nearest", "area", "trilinear"],
        );
        parses_fe(
            "color_flag",
            &[
                ("color", ColorFlag::Color),
                ("gray", ColorFlag::Grayscale),
                ("grey", ColorFlag::Grayscale),
                ("unchanged", ColorFlag::Unchanged),
            ],
            &["color", "gray", "grey", "unchanged"],
        );
        parses_fe("label_mode", &[("fine", LabelMode::Fine), ("coarse", LabelMode::Coarse)], &["fine", "coarse"]);

        // SuperLoss's threshold is "exp" or a number.
        assert_eq!("exp".parse::<SuperLossThreshold>().unwrap(), SuperLossThreshold::Exp);
        assert_eq!("0.7".parse::<SuperLossThreshold>().unwrap(), SuperLossThreshold::Fixed(0.7));
        assert_eq!(SuperLossThreshold::Exp.to_string(), "exp");
        let err = "expo".parse::<SuperLossThreshold>().unwrap_err();
        assert!(matches!(&err, FeError::InvalidParameter { param, .. } if param == "threshold"), "{err}");
        assert!(err.to_string().contains("\"exp\" or a finite number"), "{err}");
        assert!("inf".parse::<SuperLossThreshold>().is_err());
    }

    #[test]
    fn best_mode_keeps_each_users_comparison() {
        // EarlyStopping / ReduceLROnPlateau: by more than min_delta.
        assert!(BestMode::Min.improves(0.8, 1.0, 0.1) && !BestMode::Min.improves(0.95, 1.0, 0.1));
        assert!(BestMode::Max.improves(1.2, 1.0, 0.1) && !BestMode::Max.improves(1.05, 1.0, 0.1));
        assert_eq!((BestMode::Min.worst(), BestMode::Max.worst()), (f64::INFINITY, f64::NEG_INFINITY));
        // Search: NaN is never better, and anything beats NaN.
        assert!(!BestMode::Max.is_better(f64::NAN, 1.0) && BestMode::Min.is_better(1.0, f64::NAN));
        assert_eq!(BestMode::Max.as_str(), "max");
    }
}
