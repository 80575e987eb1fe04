//! The distribution functions the tests and intervals need, from `statrs`
//! (a maintained crate, checked against published tables), and the Wilson
//! score interval on top of them.

use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};

/// Φ(x), the standard normal distribution function.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

/// φ(x), the standard normal density.
pub(crate) fn normal_pdf(x: f64) -> f64 {
    Normal::standard().pdf(x)
}

/// The upper tail of the χ² distribution with `df` degrees of freedom
/// (`df` > 0 and finite).
pub(crate) fn chi_squared_sf(x: f64, df: f64) -> f64 {
    ChiSquared::new(df).expect("positive degrees of freedom").sf(x)
}

/// 1 − Φ(x), accurate in the far tail.
pub(crate) fn normal_sf(x: f64) -> f64 {
    Normal::standard().sf(x)
}

/// Φ⁻¹(p) for p in (0, 1).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// z₀.₉₇₅, the two-sided 95% critical value of the standard normal.
pub(crate) fn z_975() -> f64 {
    normal_quantile(0.975)
}

/// The upper tail 1 − F(t) of Student's t with `df` degrees of freedom
/// (`df` > 0 and finite).
pub(crate) fn students_t_sf(t: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).expect("positive degrees of freedom").sf(t)
}

/// The quantile of Student's t with `df` degrees of freedom.
///
/// statrs' inverse is only good to about 1e-7 at large `df`; two Newton
/// steps on its (accurate) distribution function take it to rounding.
pub(crate) fn students_t_quantile(p: f64, df: f64) -> f64 {
    let t = StudentsT::new(0.0, 1.0, df).expect("positive degrees of freedom");
    let mut q = t.inverse_cdf(p);
    for _ in 0..2 {
        let density = t.pdf(q);
        if density > 0.0 && density.is_finite() {
            q -= (t.cdf(q) - p) / density;
        }
    }
    q
}

/// The Wilson score interval for `k` successes in `n` trials at critical
/// value `z`; `(0, 1)` when `n` is zero.
///
/// centre = (p̂ + z²/2n) / (1 + z²/n),
/// half = z √(p̂(1 − p̂)/n + z²/4n²) / (1 + z²/n).
pub(crate) fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// `part / whole`, or `None` for an empty whole.
pub(crate) fn rate(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Abramowitz & Stegun (1964), Table 26.1: Φ(1) = 0.8413447461,
    // Φ(1.96) = 0.9750021048; Table 26.5: z₀.₉₇₅ = 1.959963985.
    #[test]
    fn normal_matches_abramowitz_and_stegun() {
        assert!((normal_cdf(1.0) - 0.841_344_746_1).abs() < 1e-10);
        assert!((normal_cdf(1.96) - 0.975_002_104_8).abs() < 1e-10);
        assert!((z_975() - 1.959_963_985).abs() < 1e-9);
        assert!((normal_quantile(0.8) - 0.841_621_234).abs() < 1e-9);
        assert!((normal_sf(1.96) - (1.0 - 0.975_002_104_8)).abs() < 1e-10);
    }

    // Student's t table (e.g. Abramowitz & Stegun Table 26.10):
    // t₀.₉₇₅ with 10 degrees of freedom is 2.228139, with 30 it is 2.042272
    // (scipy's t.ppf gives the further digits checked here).
    #[test]
    fn students_t_matches_the_table() {
        assert!((students_t_quantile(0.975, 10.0) - 2.228_138_851_986_274).abs() < 1e-12);
        assert!((students_t_quantile(0.975, 30.0) - 2.042_272_456_301_238).abs() < 1e-12);
        assert!((students_t_sf(2.228_138_852, 10.0) - 0.025).abs() < 1e-9);
        // At large df the quantile approaches the normal one; scipy's
        // t.ppf(0.975, 30000) = 1.9600430633839347.
        assert!((students_t_quantile(0.975, 30_000.0) - 1.960_043_063_383_934_7).abs() < 1e-10);
    }

    // Newcombe (1998), "Two-sided confidence intervals for the single
    // proportion", Statistics in Medicine 17, Table II, method 3 (Wilson
    // score without continuity correction).
    #[test]
    fn wilson_matches_newcombe() {
        let z = z_975();
        let cases =
            [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)];
        for (k, n, lo, hi) in cases {
            let (l, h) = wilson(k, n, z);
            assert!((l - lo).abs() < 5e-5 && (h - hi).abs() < 5e-5, "{k}/{n}: {l} {h}");
        }
        assert_eq!(wilson(0, 0, z), (0.0, 1.0));
    }
}
