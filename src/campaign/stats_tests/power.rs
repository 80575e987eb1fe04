//! Power in the middle of an experiment: how likely the test is to detect
//! the effect it was planned for with the units it has, and how many more
//! it needs.

use serde::{Deserialize, Serialize};

use super::super::CampaignError;
use super::super::stats::{normal_cdf, normal_quantile};
use crate::campaign::Moments;

/// The power a two-arm test has reached and the units per arm it still
/// needs, for an absolute effect it should detect.
///
/// It takes the arms' observed variances as the truth and assumes the
/// remaining units split between the arms as the current ones did.
///
/// # Formula
///
/// With `v = s²_A/n_A + s²_B/n_B` the current squared standard error,
/// z = z₁₋α/₂ and the effect δ to detect (two-sided test, normal
/// approximation):
///
/// ```text
/// power        = Φ(|δ|/√v − z) + Φ(−|δ|/√v − z)
/// needed scale = ((z + z_target) / |δ|)² · v          (how many times the current n each arm needs)
/// more per arm = ⌈n_i · (scale − 1)⌉  when scale > 1, else 0
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::{MidExperimentPower, Moments};
///
/// let a = Moments { n: 500, mean: 10.0, variance: 100.0 };
/// let b = Moments { n: 500, mean: 10.5, variance: 100.0 };
/// let power = MidExperimentPower::new(a, b, 1.0, 0.05, 0.8)?;
/// assert!(power.power < 0.8);
/// assert!(power.more_a > 0 && power.more_b > 0);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MidExperimentPower {
    /// The probability of a significant result if the true effect is the
    /// one to detect, with the units so far.
    pub power: f64,
    /// More units arm A needs to reach the target power (0 when reached).
    pub more_a: u64,
    /// More units arm B needs.
    pub more_b: u64,
}

impl MidExperimentPower {
    /// The power to detect an absolute `effect` at level `alpha`, and the
    /// units still needed to reach `target` power.
    ///
    /// # Errors
    ///
    /// [`CampaignError::TooFewValues`] or [`CampaignError::InvalidMoment`]
    /// for a bad arm, [`CampaignError::ZeroLift`] for a zero or non-finite
    /// effect, [`CampaignError::OutsideUnitInterval`] for `alpha` or
    /// `target` outside (0, 1), [`CampaignError::ZeroVariance`] when both
    /// arms have no spread, and [`CampaignError::TooManyUnits`] when
    /// the units needed do not fit in 64 bits.
    pub fn new(a: Moments, b: Moments, effect: f64, alpha: f64, target: f64) -> Result<Self, CampaignError> {
        a.check("a")?;
        b.check("b")?;
        if !(effect.is_finite() && effect != 0.0) {
            return Err(CampaignError::ZeroLift);
        }
        for (name, value) in [("alpha", alpha), ("power", target)] {
            if !(value > 0.0 && value < 1.0) {
                return Err(CampaignError::OutsideUnitInterval { name, value });
            }
        }
        let v = a.variance / a.n as f64 + b.variance / b.n as f64;
        if v == 0.0 {
            return Err(CampaignError::ZeroVariance);
        }
        let z = normal_quantile(1.0 - alpha / 2.0);
        let shift = effect.abs() / v.sqrt();
        let power = normal_cdf(shift - z) + normal_cdf(-shift - z);
        let scale = ((z + normal_quantile(target)) / effect.abs()).powi(2) * v;
        let more = |n: u64| -> Result<u64, CampaignError> {
            if scale <= 1.0 {
                return Ok(0);
            }
            let extra = (n as f64 * (scale - 1.0)).ceil();
            // 2⁶⁴ is exactly representable; anything at or above it does not fit.
            if extra < 18_446_744_073_709_551_616.0 {
                Ok(extra as u64)
            } else {
                Err(CampaignError::TooManyUnits { needed: extra })
            }
        };
        Ok(MidExperimentPower { power, more_a: more(a.n)?, more_b: more(b.n)? })
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn at_the_planned_size_the_power_is_the_target() {
        // Plan with the formula, then ask mid-experiment at exactly that size.
        let (sd, delta) = (10.0_f64, 1.0_f64);
        let z = normal_quantile(0.975) + normal_quantile(0.8);
        let n = (2.0 * sd * sd * z * z / (delta * delta)).ceil() as u64;
        let arm = Moments { n, mean: 0.0, variance: sd * sd };
        let p = MidExperimentPower::new(arm, arm, delta, 0.05, 0.8).unwrap();
        assert!((p.power - 0.8).abs() < 1e-3, "{}", p.power);
        assert_eq!((p.more_a, p.more_b), (0, 0));
        let half = Moments { n: n / 2, ..arm };
        let p = MidExperimentPower::new(half, half, delta, 0.05, 0.8).unwrap();
        assert!(p.power < 0.6);
        assert!(p.more_a.abs_diff(n - n / 2) <= 2, "{} vs {}", p.more_a, n - n / 2);
    }
}
