//! CUPED: regression adjustment on a pre-period covariate, which removes the
//! part of each unit's outcome that was predictable before the experiment.

use serde::{Deserialize, Serialize};

use super::super::CampaignError;
use super::effect::{Effect, EffectTest};
use super::sums::CrossSums;
use crate::campaign::Moments;

/// The regression-adjusted (CUPED) difference of B against A.
///
/// Customers who spent a lot last quarter tend to spend a lot this quarter,
/// whatever arm they are in; that spread is noise to the experiment. CUPED
/// (Deng, Xu, Kohavi & Walker 2013, "Improving the Sensitivity of Online
/// Controlled Experiments by Utilizing Pre-Experiment Data") subtracts the
/// part of each outcome that a covariate measured before the experiment
/// predicts. Randomisation makes the covariate independent of the arm, so
/// the effect is unbiased and its variance shrinks by the squared
/// correlation. Any pre-period quantity serves; this crate has the best
/// ones at hand: pre-period spend and purchases (see
/// [`Experiment::revenue_sums`](crate::campaign::Experiment::revenue_sums)),
/// an RFM score, or purchases or value predicted by a fitted model (the
/// "CUPAC" idea).
///
/// Each arm is given as [`CrossSums`] with `x` the covariate and `y` the
/// outcome, so arms summarised in partitions merge first.
///
/// # Formula
///
/// Over all units of both arms together (sample moments, n − 1):
///
/// ```text
/// θ   = Cov(Y, X) / Var(X)
/// y'  = y − θ (x − X̄)                      X̄ the mean of x over all units
/// effect = mean_B(y') − mean_A(y')
/// se     = √(s²_A(y')/n_A + s²_B(y')/n_B)
/// variance_reduction = 1 − (se / se of the unadjusted difference)²
/// ```
///
/// The interval and p-value are those of [`EffectTest`] (Welch–Satterthwaite
/// degrees of freedom) on the adjusted values.
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::{CrossSums, Cuped};
///
/// // (pre-period spend, spend during the test) per customer.
/// let a = CrossSums::from_pairs([(10.0, 12.0), (50.0, 49.0), (30.0, 33.0), (5.0, 4.0)]);
/// let b = CrossSums::from_pairs([(12.0, 16.0), (45.0, 50.0), (28.0, 33.0), (7.0, 10.0)]);
/// let cuped = Cuped::new(a, b)?;
/// assert!(cuped.variance_reduction > 0.9); // last quarter explains most of the spread
/// assert!(cuped.ci95[0] > 0.0); // significant once adjusted
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cuped {
    /// The pooled regression coefficient θ.
    pub theta: f64,
    /// The difference of the adjusted means, B − A.
    pub effect: f64,
    /// Its standard error.
    pub se: f64,
    /// The Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// The 95% confidence interval of the effect.
    pub ci95: [f64; 2],
    /// The two-sided p-value.
    pub p_value: f64,
    /// The share of the unadjusted difference's variance removed.
    pub variance_reduction: f64,
    /// Arm A's adjusted outcome.
    pub adjusted_a: Moments,
    /// Arm B's adjusted outcome.
    pub adjusted_b: Moments,
}

impl Cuped {
    /// The adjusted test of `b` against `a` (`x` the covariate, `y` the
    /// outcome).
    ///
    /// # Errors
    ///
    /// [`CampaignError::TooFewValues`] for an arm of fewer than two units,
    /// [`CampaignError::InvalidMoment`] for a non-finite sum,
    /// [`CampaignError::ZeroCovariateVariance`] when the covariate does not
    /// vary, and [`CampaignError::ZeroVariance`] when the outcomes do not.
    ///
    /// # Complexity
    ///
    /// O(1).
    pub fn new(a: CrossSums, b: CrossSums) -> Result<Self, CampaignError> {
        for (group, arm) in [("a", a), ("b", b)] {
            if arm.n < 2 {
                return Err(CampaignError::TooFewValues { group, n: arm.n });
            }
            for value in [arm.sum_x, arm.sum_y, arm.sum_xx, arm.sum_yy, arm.sum_xy] {
                if !value.is_finite() {
                    return Err(CampaignError::InvalidMoment { group, what: "sum", extra: "", value });
                }
            }
        }
        let all = a + b;
        let var_x = all.x().moments().variance;
        if var_x <= 0.0 {
            return Err(CampaignError::ZeroCovariateVariance);
        }
        let theta = all.covariance() / var_x;
        let x_bar = all.sum_x / all.n as f64;
        let adjust = |arm: CrossSums| {
            let (x, y) = (arm.x().moments(), arm.y().moments());
            let variance = (y.variance - 2.0 * theta * arm.covariance() + theta * theta * x.variance).max(0.0);
            Moments { n: arm.n, mean: y.mean - theta * (x.mean - x_bar), variance }
        };
        let (adjusted_a, adjusted_b) = (adjust(a), adjust(b));
        let adjusted = EffectTest::new(adjusted_a, adjusted_b, Effect::Absolute)?;
        let raw = EffectTest::new(a.y().moments(), b.y().moments(), Effect::Absolute)?;
        Ok(Cuped {
            theta,
            effect: adjusted.effect,
            se: adjusted.se,
            df: adjusted.df,
            ci95: adjusted.ci95,
            p_value: adjusted.p_value.expect("a fixed-horizon test has a p-value"),
            variance_reduction: 1.0 - (adjusted.se / raw.se).powi(2),
            adjusted_a,
            adjusted_b,
        })
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn an_unrelated_covariate_changes_little_and_a_constant_one_is_refused() {
        let a = CrossSums::from_pairs([(1.0, 3.0), (1.0, 5.0), (1.0, 4.0)]);
        let b = CrossSums::from_pairs([(1.0, 6.0), (1.0, 7.0), (1.0, 5.0)]);
        assert_eq!(Cuped::new(a, b), Err(CampaignError::ZeroCovariateVariance));
    }

    #[test]
    fn adjusted_moments_are_those_of_the_adjusted_values() {
        let a_pairs = [(3.0, 10.0), (8.0, 17.0), (1.0, 9.5), (6.0, 12.0), (4.0, 13.0)];
        let b_pairs = [(2.0, 12.0), (9.0, 21.0), (5.0, 14.0), (7.0, 19.0)];
        let cuped = Cuped::new(CrossSums::from_pairs(a_pairs), CrossSums::from_pairs(b_pairs)).unwrap();
        let all: Vec<(f64, f64)> = a_pairs.iter().chain(&b_pairs).copied().collect();
        let x_bar = all.iter().map(|p| p.0).sum::<f64>() / all.len() as f64;
        let by_hand =
            |pairs: &[(f64, f64)]| Moments::from_values(pairs.iter().map(|&(x, y)| y - cuped.theta * (x - x_bar)));
        for (got, want) in [(cuped.adjusted_a, by_hand(&a_pairs)), (cuped.adjusted_b, by_hand(&b_pairs))] {
            assert_eq!(got.n, want.n);
            assert!((got.mean - want.mean).abs() < 1e-12 && (got.variance - want.variance).abs() < 1e-10);
        }
    }
}
