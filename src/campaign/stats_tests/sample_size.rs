//! Planning a test: [`sample_size_per_arm`], the customers each of two arms
//! needs to detect a lift in a conversion rate.

use super::super::CampaignError;
use super::super::stats::normal_quantile;

/// The customers needed in each of two arms to detect an absolute `lift`
/// over a `baseline` conversion rate with a two-sided test at level `alpha`
/// and the given `power`.
///
/// # Formula
///
/// ```text
/// p₁ = baseline,  p₂ = baseline + lift,  p̄ = (p₁ + p₂)/2
/// n  = ⌈(z₁₋α/₂ √(2p̄(1 − p̄)) + z_power √(p₁(1 − p₁) + p₂(1 − p₂)))² / (p₂ − p₁)²⌉
/// ```
///
/// # Errors
///
/// [`CampaignError::OutsideUnitInterval`] when the baseline, baseline +
/// lift, alpha or power is not strictly between 0 and 1;
/// [`CampaignError::ZeroLift`]; [`CampaignError::SampleSizeTooLarge`] when
/// the size is above 2⁵³ (a lift too small for any real population), or not
/// finite.
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::sample_size_per_arm;
///
/// // From 10% to 15% at α = 0.05 with 80% power.
/// assert_eq!(sample_size_per_arm(0.10, 0.05, 0.05, 0.80)?, 686);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
pub fn sample_size_per_arm(baseline: f64, lift: f64, alpha: f64, power: f64) -> Result<u64, CampaignError> {
    let p1 = baseline;
    let p2 = baseline + lift;
    for (name, value) in [("baseline", p1), ("baseline + lift", p2), ("alpha", alpha), ("power", power)] {
        // Written so that NaN fails too.
        if !(value > 0.0 && value < 1.0) {
            return Err(CampaignError::OutsideUnitInterval { name, value });
        }
    }
    // A lift too small to change the baseline's float is no lift either.
    #[allow(clippy::float_cmp)]
    if p1 == p2 {
        return Err(CampaignError::ZeroLift);
    }
    let mean = p1.midpoint(p2);
    let z_alpha = normal_quantile(1.0 - alpha / 2.0);
    let z_power = normal_quantile(power);
    let root = z_alpha * (2.0 * mean * (1.0 - mean)).sqrt() + z_power * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    let n = (root * root / ((p2 - p1) * (p2 - p1))).ceil();
    // Past 2^53 a float skips whole customers, and beyond u64 the cast
    // would saturate: refuse rather than print a wrong count.
    if n.is_nan() || n > 2f64.powi(53) {
        return Err(CampaignError::SampleSizeTooLarge { baseline, lift, alpha, power, size: n });
    }
    Ok(n as u64)
}
