//! Welch's t-test of two means with unequal variances, [`WelchTest`].

use serde::{Deserialize, Serialize};

use super::super::CampaignError;
use super::super::stats::{students_t_quantile, students_t_sf};
use super::Moments;

/// Welch's t-test of group B's mean against group A's, for unequal
/// variances, with the 95% confidence interval of the difference.
///
/// # Formula
///
/// With s² the sample variances and `F_df` Student's t distribution:
///
/// ```text
/// diff    = mean_b − mean_a,  se = √(s_a²/n_a + s_b²/n_b),  t = diff / se
/// df      = se⁴ / ((s_a²/n_a)²/(n_a − 1) + (s_b²/n_b)²/(n_b − 1))   (Welch–Satterthwaite)
/// p_value = 2(1 − F_df(|t|))
/// ci95    = diff ∓ t₀.₉₇₅,df · se
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::{Moments, WelchTest};
///
/// let a = Moments::from_values([19.0, 22.0, 16.0, 29.0, 24.0]);
/// let b = Moments::from_values([20.0, 11.0, 17.0, 12.0]);
/// let test = WelchTest::new(a, b)?;
/// assert!((test.t - -2.2831).abs() < 1e-4);
/// assert!((test.df - 6.9288).abs() < 1e-4);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WelchTest {
    /// `mean_b − mean_a`.
    pub diff: f64,
    /// The statistic.
    pub t: f64,
    /// The Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// The two-sided p-value.
    pub p_value: f64,
    /// The 95% confidence interval of `diff`.
    pub ci95: [f64; 2],
}

impl WelchTest {
    /// The test of `b` against `a`.
    ///
    /// # Errors
    ///
    /// [`CampaignError::TooFewValues`] for a group of fewer than two values,
    /// [`CampaignError::InvalidMoment`] for a non-finite mean or variance or
    /// a negative variance, [`CampaignError::ZeroVariance`] when both
    /// variances are zero.
    pub fn new(a: Moments, b: Moments) -> Result<Self, CampaignError> {
        a.check("a")?;
        b.check("b")?;
        let (va, vb) = (a.variance / a.n as f64, b.variance / b.n as f64);
        let se2 = va + vb;
        if se2 == 0.0 {
            return Err(CampaignError::ZeroVariance);
        }
        let se = se2.sqrt();
        let diff = b.mean - a.mean;
        let t = diff / se;
        let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
        let p_value = 2.0 * students_t_sf(t.abs(), df);
        let half = students_t_quantile(0.975, df) * se;
        Ok(WelchTest { diff, t, df, p_value, ci95: [diff - half, diff + half] })
    }
}
