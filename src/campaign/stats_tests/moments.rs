//! [`Moments`]: the count, mean and variance of an arm, the input of the
//! tests on means, and Welford's running update that computes them.

use serde::{Deserialize, Serialize};

use super::super::CampaignError;

/// Count, mean and sample variance (divided by n − 1) of some values.
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::Moments;
///
/// let m = Moments::from_values([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
/// assert_eq!((m.n, m.mean), (8, 5.0));
/// assert!((m.variance - 32.0 / 7.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// How many values.
    pub n: u64,
    /// Their mean (0 when there are none).
    pub mean: f64,
    /// Their sample variance, Σ(x − mean)² / (n − 1) (0 for fewer than two).
    pub variance: f64,
}

impl Moments {
    /// The moments of `values`, by Welford's update.
    pub fn from_values<I: IntoIterator<Item = f64>>(values: I) -> Self {
        let mut w = Welford::default();
        for x in values {
            w.push(x);
        }
        w.moments()
    }

    /// A proportion, `conversions` out of `n`, as moments of 0/1 outcomes
    /// with the per-unit variance p(1 − p) (divided by n, not n − 1: the
    /// binomial variance).
    ///
    /// # Errors
    ///
    /// [`CampaignError::EmptyGroup`] for n = 0 and
    /// [`CampaignError::ConversionsAboveCount`].
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::campaign::Moments;
    ///
    /// let m = Moments::of_proportion(200, 50)?;
    /// assert_eq!((m.n, m.mean, m.variance), (200, 0.25, 0.1875));
    /// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
    /// ```
    pub fn of_proportion(n: u64, conversions: u64) -> Result<Self, CampaignError> {
        if n == 0 {
            return Err(CampaignError::EmptyGroup { group: "arm" });
        }
        if conversions > n {
            return Err(CampaignError::ConversionsAboveCount { group: "arm", conversions, n });
        }
        let p = conversions as f64 / n as f64;
        Ok(Moments { n, mean: p, variance: p * (1.0 - p) })
    }

    pub(crate) fn check(&self, group: &'static str) -> Result<(), CampaignError> {
        if self.n < 2 {
            return Err(CampaignError::TooFewValues { group, n: self.n });
        }
        if !self.mean.is_finite() {
            return Err(CampaignError::InvalidMoment { group, what: "mean", extra: "", value: self.mean });
        }
        if !(self.variance.is_finite() && self.variance >= 0.0) {
            let extra = " and not negative";
            return Err(CampaignError::InvalidMoment { group, what: "variance", extra, value: self.variance });
        }
        Ok(())
    }
}

/// Welford's running mean and sum of squared deviations.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    pub(crate) fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    pub(crate) fn moments(self) -> Moments {
        let variance = if self.n > 1 { self.m2 / (self.n - 1) as f64 } else { 0.0 };
        Moments { n: self.n, mean: self.mean, variance }
    }
}
