//! The principal branch of the Lambert W function (FE's `lambertw`), used by SuperLoss.

use tch::{Kind, Tensor};

/// `-1/e`, the branch point: the smallest input with a real W.
const BRANCH_POINT: f64 = -1.0 / std::f64::consts::E;
/// Inputs below this start from the series around the branch point, others from Winitzki's
/// approximation (the better of the two on each side).
const SERIES_BELOW: f64 = -0.2649;
/// Relative distance below `-1/e` still taken as `-1/e` (the rounding of `f32` inputs).
const BRANCH_TOLERANCE: f64 = 1e-6;
const MAX_ITERATIONS: usize = 32;
const TOLERANCE: f64 = 1e-12;

/// Elementwise `W₀(z)`, the real principal branch of the Lambert W function: the `w >= -1` with
/// `w·eʷ = z`. Defined for `z >= -1/e`; smaller inputs give NaN, as do NaN inputs, except that
/// inputs less than a relative `1e-6` below `-1/e` (as rounding to `f32` can leave them) give -1.
///
/// Computed in `f64` by Halley's iteration on `w·eʷ - z = 0`, from a series expansion near the
/// branch point or Winitzki's approximation elsewhere, then returned in the input's floating
/// kind (`f32` for non-floating input). The result carries no gradient.
///
/// ```
/// use fastestimator::backend::lambertw;
/// use tch::Tensor;
/// let w = lambertw(&Tensor::from_slice(&[0.0f64, 1.0, std::f64::consts::E]));
/// let w = Vec::<f64>::try_from(w).unwrap();
/// assert!(w[0].abs() < 1e-10 && (w[1] - 0.567143290409784).abs() < 1e-10);
/// assert!((w[2] - 1.0).abs() < 1e-10);
/// ```
pub fn lambertw(z: &Tensor) -> Tensor {
    let out_kind = match z.kind() {
        k @ (Kind::Double | Kind::Float | Kind::Half | Kind::BFloat16) => k,
        _ => Kind::Float,
    };
    let z = z.detach().to_kind(Kind::Double);
    // Values that only rounding put below the branch point count as the branch point.
    let outside = z.lt(BRANCH_POINT * (1.0 + BRANCH_TOLERANCE));
    let zc = z.clamp_min(BRANCH_POINT);

    // Starting guesses.
    let p2 = ((&zc * std::f64::consts::E + 1.0) * 2.0).clamp_min(0.0);
    let p = p2.sqrt();
    let series = &p - 1.0 - &p2 / 3.0 + &p2 * &p * (11.0 / 72.0);
    let l = zc.log1p();
    let winitzki = &l * ((l.log1p() / (&l + 2.0)).neg() + 1.0);
    let mut w = series.where_self(&zc.lt(SERIES_BELOW), &winitzki);

    // Halley's step for F(w) = w eʷ - z (F' = eʷ(w+1), F'' = eʷ(w+2)), written with f = F e⁻ʷ:
    // delta = f / ((w+1) - (w+2) f / (2(w+1))).
    for _ in 0..MAX_ITERATIONS {
        let f = &w - &zc * (-&w).exp();
        // At the branch point w = -1 and f = 0: keep the denominator away from 0.
        let w1 = &w + (1.0 + 1e-12);
        let delta = &f / (&w1 - (&w + 2.0) * &f / (&w1 * 2.0));
        w = &w - &delta;
        let converged = delta.abs().le_tensor(&(w.abs() * TOLERANCE)).logical_or(&delta.eq(0.0));
        // NaN inputs never converge; they are masked below.
        let pending = converged.logical_not().logical_and(&zc.isnan().logical_not());
        if !bool::try_from(pending.any()).unwrap_or(false) {
            break;
        }
    }
    let w = w.clamp_min(-1.0);
    w.where_scalarother(&outside.logical_not(), f64::NAN).to_kind(out_kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: Tensor) -> Vec<f64> {
        Vec::<f64>::try_from(t.to_kind(Kind::Double)).unwrap()
    }

    #[test]
    fn known_values() {
        let e = std::f64::consts::E;
        let z = [-1.0 / e, -0.34, -0.2, 0.0, 0.12, 1.0, e, 5.0, (1.0 + e).exp(), 100.0];
        let want = [
            -1.0,
            -0.653_694_501_269_089_7,
            -0.259_171_101_819_073_7,
            0.0,
            0.107_742_998_162_276_95,
            0.567_143_290_409_783_8,
            1.0,
            1.326_724_665_242_200_2,
            e,
            3.385_630_140_290_05,
        ];
        let got = values(lambertw(&Tensor::from_slice(&z)));
        for ((g, w), z) in got.iter().zip(want).zip(z) {
            // Near the branch point W has a square-root singularity, so a rounding of z by
            // 1e-17 moves W by ~1e-8.
            let tol = if z < -0.36 { 1e-7 } else { 1e-10 };
            assert!((g - w).abs() < tol, "W({z}) = {g}, want {w}");
        }
    }

    #[test]
    fn inverts_w_exp_w_over_a_range() {
        let z = Tensor::linspace(-0.36, 50.0, 2001, (Kind::Double, tch::Device::Cpu));
        let w = lambertw(&z);
        let back = &w * w.exp();
        let err = (back - &z).abs().max().double_value(&[]);
        assert!(err < 1e-9, "max |w e^w - z| = {err}");
        assert!(w.min().double_value(&[]) >= -1.0);
    }

    #[test]
    fn float_kind_and_domain() {
        let below = (-1.0 / std::f64::consts::E) as f32 * (1.0 + 1e-7);
        let z = Tensor::from_slice(&[-1.0f32, f32::NAN, 1.0, below]);
        let w = lambertw(&z);
        assert_eq!(w.kind(), Kind::Float);
        let v = values(w);
        assert!(v[0].is_nan() && v[1].is_nan());
        assert!((v[2] - 0.567_143_3).abs() < 1e-6);
        assert!((v[3] + 1.0).abs() < 1e-6, "{v:?}");
        let ints = lambertw(&Tensor::from_slice(&[0i64, 1]));
        assert_eq!(ints.kind(), Kind::Float);
    }
}
