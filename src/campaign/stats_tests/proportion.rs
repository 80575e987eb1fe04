//! The two-proportion z-test of conversion rates, [`ProportionTest`].

use serde::{Deserialize, Serialize};

use super::super::CampaignError;
use super::super::stats::{normal_sf, z_975};

/// A group's conversions out of its size, one side of a
/// [`ProportionTest`] (named fields, so the two counts cannot be swapped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proportion {
    /// How many converted.
    pub conversions: u64,
    /// How many there were.
    pub n: u64,
}

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
/// use customer_lifecycle::campaign::{Proportion, ProportionTest};
///
/// let a = Proportion { conversions: 100, n: 1000 };
/// let b = Proportion { conversions: 130, n: 1000 };
/// let test = ProportionTest::new(a, b)?;
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
    /// The test of group `b`'s conversions against group `a`'s.
    ///
    /// # Errors
    ///
    /// [`CampaignError::EmptyGroup`] for n = 0,
    /// [`CampaignError::ConversionsAboveCount`], and
    /// [`CampaignError::DegeneratePooledRate`] when the pooled rate is 0 or 1.
    pub fn new(a: Proportion, b: Proportion) -> Result<Self, CampaignError> {
        let (n_a, conv_a, n_b, conv_b) = (a.n, a.conversions, b.n, b.conversions);
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
