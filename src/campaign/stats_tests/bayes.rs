//! A Bayesian reading of a test: the posterior of the lift, the chance that
//! B beats A and the expected loss of choosing B.

use serde::{Deserialize, Serialize};

use super::super::CampaignError;
use super::super::stats::{normal_cdf, normal_pdf, z_975};
use super::effect::{Effect, estimate};
use crate::campaign::Moments;

/// The normal posterior of B's effect over A, with the chance that B is
/// better and the risk of choosing it.
///
/// The prior is improper and flat (every effect equally likely), so the
/// posterior is the normal approximation of the likelihood: centred on the
/// estimated effect, with its standard error, as in `GrowthBook`'s Bayesian
/// engine without an informative prior. Read it as "given only this
/// experiment's data".
///
/// # Formula
///
/// With δ̂ and se the estimate and standard error of [`EffectTest`]
/// (for the relative effect, the delta method):
///
/// ```text
/// posterior     = N(δ̂, se²)
/// ci95          = δ̂ ∓ z₀.₉₇₅ · se                       (equal-tailed)
/// chance_to_win = P(δ > 0) = Φ(δ̂ / se)
/// risk          = E[max(0, −δ)] = se · φ(δ̂/se) − δ̂ · Φ(−δ̂/se)   (in effect units)
/// ```
///
/// [`EffectTest`]: crate::campaign::EffectTest
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::{BayesianEffect, Effect, Moments};
///
/// let a = Moments::of_proportion(1000, 100)?;
/// let b = Moments::of_proportion(1000, 130)?;
/// let post = BayesianEffect::new(a, b, Effect::Relative)?;
/// assert!(post.chance_to_win > 0.95);
/// assert!(post.risk > 0.0 && post.risk < 0.01);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BayesianEffect {
    /// Which effect.
    pub kind: Effect,
    /// The posterior mean.
    pub effect: f64,
    /// The posterior standard deviation.
    pub se: f64,
    /// The equal-tailed 95% credible interval.
    pub ci95: [f64; 2],
    /// The posterior probability that the effect is positive.
    pub chance_to_win: f64,
    /// The expected loss of choosing B, in the effect's units.
    pub risk: f64,
}

impl BayesianEffect {
    /// The posterior of `b` against `a`.
    ///
    /// # Errors
    ///
    /// As [`EffectTest::new`](crate::campaign::EffectTest::new).
    pub fn new(a: Moments, b: Moments, kind: Effect) -> Result<Self, CampaignError> {
        let (effect, se, _) = estimate(a, b, kind)?;
        let half = z_975() * se;
        let z = effect / se;
        Ok(BayesianEffect {
            kind,
            effect,
            se,
            ci95: [effect - half, effect + half],
            chance_to_win: normal_cdf(z),
            risk: se * normal_pdf(z) - effect * normal_cdf(-z),
        })
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn a_null_result_is_a_coin_flip() {
        let a = Moments::of_proportion(500, 50).unwrap();
        let post = BayesianEffect::new(a, a, Effect::Absolute).unwrap();
        assert_eq!(post.effect, 0.0);
        assert!((post.chance_to_win - 0.5).abs() < 1e-15);
        // E[max(0, −δ)] for δ ~ N(0, se²) is se/√(2π).
        assert!((post.risk - post.se / (2.0 * std::f64::consts::PI).sqrt()).abs() < 1e-15);
    }
}
