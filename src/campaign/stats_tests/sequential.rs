//! Always-valid intervals: the asymptotic confidence sequence, so that a
//! campaign can be looked at every day without inflating false positives.

use serde::{Deserialize, Serialize};

use super::super::CampaignError;

/// The asymptotic confidence sequence of Waudby-Smith et al. (2023, "Time-
/// uniform central limit theory and asymptotic confidence sequences"), in
/// the form `GrowthBook`'s statistics engine uses for sequential testing.
///
/// A fixed-horizon 95% interval is right 95% of the time when it is looked
/// at once, at the planned end. Looked at every day and acted on the first
/// time it excludes zero, it is wrong far more often. A confidence sequence
/// holds at every look at once: with probability `1 − alpha` it contains the
/// true effect at all sample sizes simultaneously. It is wider; the tuning
/// parameter `n_star` (N*) is the total sample size at which it is
/// narrowest relative to the fixed-horizon interval — set it near the
/// sample size you expect to decide at.
///
/// # Formula
///
/// With `N = n_A + n_B` the units so far and se the effect's standard error:
///
/// ```text
/// ρ          = √((−2 ln α + ln(1 − 2 ln α)) / N*)
/// half-width = se · √N · √(2(Nρ² + 1) / (N²ρ²) · ln(√(Nρ² + 1) / α))
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::ConfidenceSequence;
///
/// let sequence = ConfidenceSequence::new(5000.0, 0.05)?;
/// let fixed = 1.959_963_985 * 0.01; // the fixed-horizon half-width at se = 0.01
/// assert!(sequence.half_width(0.01, 5000) > fixed);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceSequence {
    n_star: f64,
    alpha: f64,
}

impl ConfidenceSequence {
    /// A sequence tuned for `n_star` total units, at level `1 − alpha`.
    ///
    /// # Errors
    ///
    /// [`CampaignError::InvalidTuning`] unless `n_star` is finite and
    /// positive; [`CampaignError::OutsideUnitInterval`] unless `alpha` is in
    /// (0, 1).
    pub fn new(n_star: f64, alpha: f64) -> Result<Self, CampaignError> {
        if !(n_star.is_finite() && n_star > 0.0) {
            return Err(CampaignError::InvalidTuning { value: n_star });
        }
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(CampaignError::OutsideUnitInterval { name: "alpha", value: alpha });
        }
        Ok(ConfidenceSequence { n_star, alpha })
    }

    /// The tuning parameter N*.
    pub fn n_star(&self) -> f64 {
        self.n_star
    }

    /// The level's complement α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// ρ, from α and N* (see the formula above).
    pub fn rho(&self) -> f64 {
        let ln_alpha = self.alpha.ln();
        ((-2.0 * ln_alpha + (1.0 - 2.0 * ln_alpha).ln()) / self.n_star).sqrt()
    }

    /// The half-width around an effect with standard error `se` after `n`
    /// units in all (see the formula above); infinite for `n = 0`.
    pub fn half_width(&self, se: f64, n: u64) -> f64 {
        let n = n as f64;
        let rho2 = self.rho() * self.rho();
        let growth = n * rho2 + 1.0;
        se * n.sqrt() * (2.0 * growth / (n * n * rho2) * (growth.sqrt() / self.alpha).ln()).sqrt()
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_tuning() {
        assert!(ConfidenceSequence::new(0.0, 0.05).is_err());
        assert!(ConfidenceSequence::new(f64::NAN, 0.05).is_err());
        assert!(ConfidenceSequence::new(100.0, 1.0).is_err());
    }

    #[test]
    fn is_wider_than_the_fixed_interval_and_narrows_with_n() {
        let cs = ConfidenceSequence::new(10_000.0, 0.05).unwrap();
        // With se shrinking like 1/√n, the width shrinks too, but more slowly
        // than the fixed-horizon one, which it always exceeds.
        let mut previous = f64::INFINITY;
        for n in [100_u64, 1_000, 10_000, 100_000] {
            let se = 1.0 / (n as f64).sqrt();
            let h = cs.half_width(se, n);
            assert!(h > 1.959_963_985 * se, "{n}: {h}");
            assert!(h < previous);
            previous = h;
        }
    }
}
