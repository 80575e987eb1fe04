//! Discounted expected residual transactions (DERT) and the numerical
//! pieces behind them: adaptive Gauss–Kronrod quadrature and Tricomi's
//! confluent hypergeometric function `U(1, b; z)`.

use crate::clv::ClvError;

/// Gauss–Kronrod 15-point abscissae on `[−1, 1]` (the non-negative half;
/// the odd-indexed ones are the 7-point Gauss abscissae).
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];

/// The Kronrod weights of [`XGK`].
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_18,
    0.140_653_259_715_525_92,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_83,
];

/// The Gauss weights of `XGK[1], XGK[3], XGK[5], XGK[7]`.
const WG: [f64; 4] =
    [0.129_484_966_168_869_7, 0.279_705_391_489_276_7, 0.381_830_050_505_118_9, 0.417_959_183_673_469_4];

/// The most subintervals [`integrate`] splits a range into.
const MAX_INTERVALS: usize = 400;

/// The largest relative error estimate [`by_parts`] accepts when the
/// quadrature stops at [`MAX_INTERVALS`] short of its tolerance (where the
/// expected purchases are themselves only that accurate, as near the
/// BG/NBD's removable singularity at `a = 1`).
const ACCEPTED_ERROR: f64 = 1e-6;

/// One 15-point Kronrod estimate of `∫_lo^hi f` and its error estimate
/// (the difference from the embedded 7-point Gauss rule).
fn gauss_kronrod(f: &impl Fn(f64) -> f64, lo: f64, hi: f64) -> (f64, f64) {
    let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    let centre = f(mid);
    let (mut kronrod, mut gauss) = (WGK[7] * centre, WG[3] * centre);
    for i in 0..7 {
        let pair = f(mid - half * XGK[i]) + f(mid + half * XGK[i]);
        kronrod += WGK[i] * pair;
        if i % 2 == 1 {
            gauss += WG[i / 2] * pair;
        }
    }
    (kronrod * half, ((kronrod - gauss) * half).abs())
}

/// `∫_lo^hi f(x) dx` by adaptive Gauss–Kronrod (7–15) quadrature: the
/// subinterval with the largest error estimate is halved until the summed
/// estimate is within `rel_tol` of the total. `None` when `f` returns a
/// value that is not finite or the tolerance is not met within
/// [`MAX_INTERVALS`] subintervals. `f` is never evaluated at the ends.
pub(crate) fn integrate(f: impl Fn(f64) -> f64, lo: f64, hi: f64, rel_tol: f64) -> Option<f64> {
    integrate_with_error(f, lo, hi, rel_tol).filter(|&(total, error)| error <= rel_tol * total.abs()).map(|r| r.0)
}

/// [`integrate`]'s estimate and its error estimate, however far the error
/// is from the tolerance when the subintervals run out; `None` only when
/// `f` returns a value that is not finite.
pub(crate) fn integrate_with_error(f: impl Fn(f64) -> f64, lo: f64, hi: f64, rel_tol: f64) -> Option<(f64, f64)> {
    let mut parts = vec![(lo, hi, gauss_kronrod(&f, lo, hi))];
    loop {
        let total: f64 = parts.iter().map(|p| p.2.0).sum();
        let error: f64 = parts.iter().map(|p| p.2.1).sum();
        if !(total.is_finite() && error.is_finite()) {
            return None;
        }
        if error <= rel_tol * total.abs() || parts.len() >= MAX_INTERVALS {
            return Some((total, error));
        }
        let (worst, _) = parts.iter().enumerate().max_by(|a, b| a.1.2.1.total_cmp(&b.1.2.1))?;
        let (a, b, _) = parts.swap_remove(worst);
        let m = 0.5 * (a + b);
        if !(a < m && m < b) {
            // The interval cannot be split further.
            return Some((total, error));
        }
        parts.push((a, m, gauss_kronrod(&f, a, m)));
        parts.push((m, b, gauss_kronrod(&f, m, b)));
    }
}

/// `Ok` when `discount_rate` (continuous, per time unit) is positive and
/// finite.
pub(crate) fn check_rate(discount_rate: f64) -> Result<(), ClvError> {
    if discount_rate.is_finite() && discount_rate > 0.0 {
        Ok(())
    } else {
        Err(ClvError::InvalidParameter {
            name: "discount_rate",
            value: discount_rate,
            reason: "must be a positive finite continuous rate",
        })
    }
}

/// DERT from a customer's conditional expected purchases `E(τ)` in the
/// next `τ` time units: `δ ∫₀^∞ e^(−δτ) E(τ) dτ = ∫₀¹ E(−ln(1−v)/δ) dv`,
/// to a relative tolerance of 1e-9, or [`ACCEPTED_ERROR`] where `E` is not
/// accurate enough for that.
pub(crate) fn by_parts(expected: impl Fn(f64) -> f64, discount_rate: f64) -> Result<f64, ClvError> {
    check_rate(discount_rate)?;
    match integrate_with_error(|v| expected(-(-v).ln_1p() / discount_rate), 0.0, 1.0, 1e-9) {
        Some((total, error)) if error <= ACCEPTED_ERROR * total.abs() || error == 0.0 => Ok(total),
        _ => Err(ClvError::NonFiniteResult { quantity: "DERT" }),
    }
}

/// Tricomi's `U(1, 2−s; z) = ∫₀^∞ e^(−zu) (1+u)^(−s) du = e^z E_s(z)`, for
/// `s > 0` and `z > 0`.
///
/// For `z ≥ 1`, the continued fraction of `e^z E_s(z)` (modified Lentz),
/// which converges in a few dozen steps there for any `s`; below, the
/// integral after `w = 1 − e^(−zu)`, `(1/z) ∫₀¹ (1 + u(w))^(−s) dw`, whose
/// integrand lies in `(0, 1]`, by adaptive quadrature.
pub(crate) fn tricomi_u1(s: f64, z: f64) -> Result<f64, ClvError> {
    let not_finite = ClvError::NonFiniteResult { quantity: "Tricomi U" };
    if !(s > 0.0 && z > 0.0 && s.is_finite() && z.is_finite()) {
        return Err(not_finite);
    }
    if z >= 1.0 {
        let tiny = 1e-300;
        let mut b = z + s;
        let (mut c, mut d) = (1.0 / tiny, 1.0 / b);
        let mut h = d;
        for i in 1..10_000 {
            let fi = f64::from(i);
            let an = -fi * (s - 1.0 + fi);
            b += 2.0;
            d = an * d + b;
            d = 1.0 / if d.abs() < tiny { tiny } else { d };
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            let step = c * d;
            h *= step;
            if (step - 1.0).abs() < 1e-16 {
                return Ok(h);
            }
        }
        return Err(not_finite);
    }
    integrate(|w| (-s * (-(-w).ln_1p() / z).ln_1p()).exp(), 0.0, 1.0, 1e-11).map(|v| v / z).ok_or(not_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadrature_integrates_polynomials_exactly_and_adapts_to_peaks() {
        // The Kronrod rule is exact to degree 22, the Gauss rule to degree 13.
        let (k, e) = gauss_kronrod(&|x: f64| x.powi(12) + 3.0 * x.powi(5), -1.0, 1.0);
        assert!((k - 2.0 / 13.0).abs() < 1e-15 && e < 1e-14, "{k} {e}");
        let (k, _) = gauss_kronrod(&|_| 1.0, 0.0, 3.0);
        assert!((k - 3.0).abs() < 1e-14);
        // A narrow peak and an integrable endpoint singularity.
        let peak = integrate(|x| 1.0 / (1e-6 + (x - 0.3).powi(2)), 0.0, 1.0, 1e-10).unwrap();
        let exact = 1e3 * ((0.7f64 / 1e-3).atan() + (0.3f64 / 1e-3).atan());
        assert!((peak - exact).abs() < 1e-8 * exact, "{peak} vs {exact}");
        let root = integrate(|x: f64| x.powf(-0.5), 0.0, 1.0, 1e-10).unwrap();
        assert!((root - 2.0).abs() < 1e-8, "{root}");
        assert!(integrate(|_| f64::NAN, 0.0, 1.0, 1e-9).is_none());
    }

    #[test]
    fn tricomi_u_agrees_between_its_methods_and_with_closed_forms() {
        // s = 1: e^z E_1(z); s = 2: 1 − z e^z E_1(z). Check against the
        // quadrature branch at z ≥ 1, where the continued fraction is used.
        for s in [0.3, 0.606, 1.0, 2.5, 40.0, 400.0] {
            for z in [1.0, 1.7, 5.0, 60.0] {
                let cf = tricomi_u1(s, z).unwrap();
                let quad = integrate(|w| (-s * (-(-w).ln_1p() / z).ln_1p()).exp(), 0.0, 1.0, 1e-12).unwrap() / z;
                assert!((cf - quad).abs() < 1e-9 * quad, "s {s} z {z}: {cf} vs {quad}");
            }
        }
        for z in [0.001, 0.3, 1.0, 3.0] {
            let e1 = tricomi_u1(1.0, z).unwrap();
            assert!((tricomi_u1(2.0, z).unwrap() - (1.0 - z * e1)).abs() < 1e-9, "{z}");
        }
        // Large z: U ≈ 1/z − s/z² + s(s+1)/z³.
        let (s, z) = (0.6, 1e4);
        let asymptotic = 1.0 / z - s / (z * z) + s * (s + 1.0) / (z * z * z);
        assert!((tricomi_u1(s, z).unwrap() - asymptotic).abs() < 1e-14);
        assert!(tricomi_u1(0.0, 1.0).is_err() && tricomi_u1(1.0, f64::NAN).is_err());
    }
}
