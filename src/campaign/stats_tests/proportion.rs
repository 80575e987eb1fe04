//! The two-proportion z-test of conversion rates, [`ProportionTest`].

use serde::{Deserialize, Serialize};

use super::super::CampaignError;
use super::super::stats::{normal_sf, z_975};

/// The two-proportion z-test of group B against group A, with the 95%
/// confidence interval of the difference.
///
/// Serialises with exactly the fields below, `ci95` as `[lo, hi]`.
///
/// # Formula
///
/// ```text
/// rate_a = conv_a / n_a,  rate_b = conv_b / n_b,  p̄ = (conv_a + conv_b) / (n_a + n_b)
/// diff    = rate_b − rate_a
/// z       = diff / √(p̄(1 − p̄)(1/n_a + 1/n_b))
/// p_value = 2(1 − Φ(|z|))
/// ci95    = diff ∓ z₀.₉₇₅ √(rate_a(1 − rate_a)/n_a + rate_b(1 − rate_b)/n_b)
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::ProportionTest;
///
/// let test = ProportionTest::new(1000, 100, 1000, 130)?;
/// assert_eq!(test.rate_a, 0.1);
/// assert!((test.diff - 0.03).abs() < 1e-12);
/// assert!((test.z - 2.1027).abs() < 1e-4);
/// assert!(test.p_value < 0.05);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProportionTest {
    /// Group A's conversion rate, `conv_a / n_a`.
    pub rate_a: f64,
    /// Group B's conversion rate, `conv_b / n_b`.
    pub rate_b: f64,
    /// `rate_b − rate_a`.
    pub diff: f64,
    /// The statistic, with the pooled standard error.
    pub z: f64,
    /// The two-sided p-value.
    pub p_value: f64,
    /// The 95% confidence interval of `diff`, with the unpooled standard error.
    pub ci95: [f64; 2],
}

impl ProportionTest {
    /// The test of `conv_b` conversions out of `n_b` against `conv_a` out of
    /// `n_a`.
    ///
    /// # Errors
    ///
    /// [`CampaignError::EmptyGroup`] for n = 0,
    /// [`CampaignError::ConversionsAboveCount`], and
    /// [`CampaignError::DegeneratePooledRate`] when the pooled rate is 0 or 1.
    pub fn new(n_a: u64, conv_a: u64, n_b: u64, conv_b: u64) -> Result<Self, CampaignError> {
        for (group, n, conversions) in [("a", n_a, conv_a), ("b", n_b, conv_b)] {
            if n == 0 {
                return Err(CampaignError::EmptyGroup { group });
            }
            if conversions > n {
                return Err(CampaignError::ConversionsAboveCount { group, conversions, n });
            }
        }
        let (na, nb) = (n_a as f64, n_b as f64);
        let (rate_a, rate_b) = (conv_a as f64 / na, conv_b as f64 / nb);
        let pooled = (conv_a as f64 + conv_b as f64) / (na + nb);
        if conv_a + conv_b == 0 || conv_a + conv_b == n_a + n_b {
            return Err(CampaignError::DegeneratePooledRate { rate: pooled });
        }
        let diff = rate_b - rate_a;
        let z = diff / (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
        let p_value = 2.0 * normal_sf(z.abs());
        let half = z_975() * (rate_a * (1.0 - rate_a) / na + rate_b * (1.0 - rate_b) / nb).sqrt();
        Ok(ProportionTest { rate_a, rate_b, diff, z, p_value, ci95: [diff - half, diff + half] })
    }
}
