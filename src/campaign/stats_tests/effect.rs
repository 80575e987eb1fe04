//! Absolute and relative effects of B against A on a mean, a proportion or a
//! ratio metric, with fixed-horizon or always-valid intervals.

use serde::{Deserialize, Serialize};

use super::super::CampaignError;
use super::super::stats::{students_t_quantile, students_t_sf};
use super::sequential::ConfidenceSequence;
use crate::campaign::Moments;

/// Which effect of B against A: the difference of the means or the lift.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// `m_B − m_A`, in the metric's units.
    #[default]
    Absolute,
    /// `m_B / m_A − 1`, the lift as a fraction of A's mean.
    Relative,
}

/// The effect of arm B against arm A, its standard error, a 95% interval and
/// a two-sided p-value.
///
/// Each arm is given as [`Moments`] (count, mean, per-unit variance), which
/// come from raw values ([`Moments::from_values`]), from merged
/// [`Sums`](crate::campaign::Sums), from a proportion
/// ([`Moments::of_proportion`]) or from a ratio metric
/// ([`CrossSums::ratio`](crate::campaign::CrossSums::ratio)).
///
/// # Formula
///
/// With means m, per-unit variances s² and counts n:
///
/// ```text
/// absolute:  effect = m_B − m_A         se² = s²_A/n_A + s²_B/n_B
/// relative:  effect = m_B/m_A − 1       se² = s²_B/(n_B m²_A) + m²_B s²_A/(n_A m⁴_A)   (delta method)
/// df      = (s²_A/n_A + s²_B/n_B)² / ((s²_A/n_A)²/(n_A − 1) + (s²_B/n_B)²/(n_B − 1))   (Welch–Satterthwaite, both effects)
/// p_value = 2(1 − F_df(|effect| / se))
/// ci95    = effect ∓ t₀.₉₇₅,df · se
/// ```
///
/// These are the frequentist effects of `GrowthBook`'s statistics engine
/// (gbstats); the relative variance is the first-order delta method
/// (Deng, Knoblich & Lu 2018). With [`EffectTest::sequential`] the interval
/// is an always-valid confidence sequence instead, and there is no p-value.
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::{Effect, EffectTest, Moments};
///
/// let a = Moments::of_proportion(2000, 200)?;
/// let b = Moments::of_proportion(2000, 260)?;
/// let lift = EffectTest::new(a, b, Effect::Relative)?;
/// assert!((lift.effect - 0.3).abs() < 1e-12); // 13% against 10%
/// assert!(lift.ci95[0] < 0.3 && 0.3 < lift.ci95[1]);
/// assert!(lift.p_value.unwrap() < 0.05);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EffectTest {
    /// Which effect.
    pub kind: Effect,
    /// Its estimate.
    pub effect: f64,
    /// Its standard error.
    pub se: f64,
    /// The Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// The 95% interval: fixed-horizon, or a confidence sequence.
    pub ci95: [f64; 2],
    /// The two-sided p-value; `None` for a sequential test.
    pub p_value: Option<f64>,
}

impl EffectTest {
    /// The fixed-horizon test of `b` against `a`.
    ///
    /// # Errors
    ///
    /// [`CampaignError::TooFewValues`] for an arm of fewer than two units,
    /// [`CampaignError::InvalidMoment`] for a non-finite mean or a
    /// non-finite or negative variance, [`CampaignError::ZeroControlMean`]
    /// for a relative effect over a control mean of zero, and
    /// [`CampaignError::ZeroVariance`] when the standard error is zero.
    ///
    /// # Complexity
    ///
    /// O(1): one Student's t quantile and distribution function.
    pub fn new(a: Moments, b: Moments, kind: Effect) -> Result<Self, CampaignError> {
        let (effect, se, df) = estimate(a, b, kind)?;
        let p_value = 2.0 * students_t_sf((effect / se).abs(), df);
        let half = students_t_quantile(0.975, df) * se;
        Ok(EffectTest { kind, effect, se, df, ci95: [effect - half, effect + half], p_value: Some(p_value) })
    }

    /// The same test watched continuously: `ci95` is the asymptotic
    /// confidence sequence `sequence` around the effect, valid at every look
    /// (see [`ConfidenceSequence`]), and `p_value` is `None`.
    ///
    /// # Errors
    ///
    /// As [`EffectTest::new`].
    pub fn sequential(
        a: Moments,
        b: Moments,
        kind: Effect,
        sequence: ConfidenceSequence,
    ) -> Result<Self, CampaignError> {
        let (effect, se, df) = estimate(a, b, kind)?;
        let half = sequence.half_width(se, a.n + b.n);
        Ok(EffectTest { kind, effect, se, df, ci95: [effect - half, effect + half], p_value: None })
    }
}

/// The effect, its standard error and the Welch–Satterthwaite degrees of
/// freedom, after checking both arms.
pub(crate) fn estimate(a: Moments, b: Moments, kind: Effect) -> Result<(f64, f64, f64), CampaignError> {
    a.check("a")?;
    b.check("b")?;
    let (va, vb) = (a.variance / a.n as f64, b.variance / b.n as f64);
    let (effect, se2) = match kind {
        Effect::Absolute => (b.mean - a.mean, va + vb),
        Effect::Relative => {
            if a.mean == 0.0 {
                return Err(CampaignError::ZeroControlMean);
            }
            let ma2 = a.mean * a.mean;
            (b.mean / a.mean - 1.0, vb / ma2 + b.mean * b.mean * va / (ma2 * ma2))
        }
    };
    if se2 == 0.0 {
        return Err(CampaignError::ZeroVariance);
    }
    let df = (va + vb) * (va + vb) / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    if !(effect.is_finite() && se2.is_finite() && df.is_finite()) {
        return Err(CampaignError::NotFinite { what: "effect" });
    }
    Ok((effect, se2.sqrt(), df))
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn relative_effect_over_zero_control_is_refused() {
        let zero = Moments { n: 10, mean: 0.0, variance: 1.0 };
        let one = Moments { n: 10, mean: 1.0, variance: 1.0 };
        assert_eq!(EffectTest::new(zero, one, Effect::Relative), Err(CampaignError::ZeroControlMean));
        assert!(EffectTest::new(zero, one, Effect::Absolute).is_ok());
        let flat = Moments { n: 10, mean: 1.0, variance: 0.0 };
        assert_eq!(EffectTest::new(flat, flat, Effect::Absolute), Err(CampaignError::ZeroVariance));
    }

    #[test]
    fn absolute_effect_is_welch() {
        // The Welch test of this module's parent on the same numbers.
        let a = Moments::from_values([19.0, 22.0, 16.0, 29.0, 24.0]);
        let b = Moments::from_values([20.0, 11.0, 17.0, 12.0]);
        let welch = crate::campaign::WelchTest::new(a, b).unwrap();
        let test = EffectTest::new(a, b, Effect::Absolute).unwrap();
        assert!((test.effect - welch.diff).abs() < 1e-12);
        assert!((test.df - welch.df).abs() < 1e-9);
        assert!((test.p_value.unwrap() - welch.p_value).abs() < 1e-12);
        assert_eq!(test.ci95, welch.ci95);
    }
}
