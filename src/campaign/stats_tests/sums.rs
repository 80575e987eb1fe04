//! Sufficient statistics: what each arm needs to keep so that every test of
//! this module can be computed, and merged across partitions by addition.

use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

use super::super::CampaignError;
use crate::campaign::Moments;

/// Count, sum and sum of squares of one metric in one arm: the sufficient
/// statistics of its mean and variance.
///
/// Sums from partitions of an arm add up to the sums of the whole arm
/// ([`merge`](Sums::merge), `+`), so an arm can be summarised per day, per
/// shard or per executor and combined afterwards.
///
/// # Formula
///
/// ```text
/// mean = sum / n
/// s²   = (sum_sq − sum²/n) / (n − 1)     (clamped at 0 against rounding)
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::Sums;
///
/// let monday = Sums::from_values([2.0, 4.0, 4.0]);
/// let tuesday = Sums::from_values([4.0, 5.0, 5.0, 7.0, 9.0]);
/// let week = monday + tuesday;
/// assert_eq!(week, Sums::from_values([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]));
/// let m = week.moments();
/// assert_eq!((m.n, m.mean), (8, 5.0));
/// assert!((m.variance - 32.0 / 7.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Sums {
    /// How many units.
    pub n: u64,
    /// The sum of the metric.
    pub sum: f64,
    /// The sum of its squares.
    pub sum_sq: f64,
}

impl Sums {
    /// The sums of `values`.
    pub fn from_values<I: IntoIterator<Item = f64>>(values: I) -> Self {
        let mut sums = Sums::default();
        for x in values {
            sums.push(x);
        }
        sums
    }

    /// Adds one unit's value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sum_sq += x * x;
    }

    /// The sums of both partitions together.
    #[must_use]
    pub fn merge(self, other: Sums) -> Sums {
        Sums { n: self.n + other.n, sum: self.sum + other.sum, sum_sq: self.sum_sq + other.sum_sq }
    }

    /// The mean and sample variance (see the formula above); a mean of 0 for
    /// no units and a variance of 0 for fewer than two.
    pub fn moments(&self) -> Moments {
        let n = self.n as f64;
        let mean = if self.n > 0 { self.sum / n } else { 0.0 };
        let variance = if self.n > 1 { ((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0) } else { 0.0 };
        Moments { n: self.n, mean, variance }
    }
}

impl Add for Sums {
    type Output = Sums;

    fn add(self, other: Sums) -> Sums {
        self.merge(other)
    }
}

impl AddAssign for Sums {
    fn add_assign(&mut self, other: Sums) {
        *self = self.merge(other);
    }
}

/// The sufficient statistics of two metrics of the same units, `x` and `y`:
/// count, sums, sums of squares and the cross sum.
///
/// It serves a ratio metric (`y` = revenue, `x` = orders: revenue per order,
/// through [`ratio`](CrossSums::ratio)) and regression adjustment (`y` the
/// outcome, `x` a pre-period covariate, see
/// [`Cuped`](crate::campaign::Cuped)). Like [`Sums`], partitions merge by
/// addition.
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::CrossSums;
///
/// // (orders, revenue) per customer.
/// let arm = CrossSums::from_pairs([(1.0, 20.0), (2.0, 50.0), (1.0, 30.0)]);
/// let per_order = arm.ratio()?;
/// assert_eq!(per_order.mean, 25.0); // 100 of revenue over 4 orders
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CrossSums {
    /// How many units.
    pub n: u64,
    /// Σx.
    pub sum_x: f64,
    /// Σy.
    pub sum_y: f64,
    /// Σx².
    pub sum_xx: f64,
    /// Σy².
    pub sum_yy: f64,
    /// Σxy.
    pub sum_xy: f64,
}

impl CrossSums {
    /// The sums of `(x, y)` pairs.
    pub fn from_pairs<I: IntoIterator<Item = (f64, f64)>>(pairs: I) -> Self {
        let mut sums = CrossSums::default();
        for (x, y) in pairs {
            sums.push(x, y);
        }
        sums
    }

    /// Adds one unit's pair.
    pub fn push(&mut self, x: f64, y: f64) {
        self.n += 1;
        self.sum_x += x;
        self.sum_y += y;
        self.sum_xx += x * x;
        self.sum_yy += y * y;
        self.sum_xy += x * y;
    }

    /// The sums of both partitions together.
    #[must_use]
    pub fn merge(self, o: CrossSums) -> CrossSums {
        CrossSums {
            n: self.n + o.n,
            sum_x: self.sum_x + o.sum_x,
            sum_y: self.sum_y + o.sum_y,
            sum_xx: self.sum_xx + o.sum_xx,
            sum_yy: self.sum_yy + o.sum_yy,
            sum_xy: self.sum_xy + o.sum_xy,
        }
    }

    /// The sums of `x` alone.
    pub fn x(&self) -> Sums {
        Sums { n: self.n, sum: self.sum_x, sum_sq: self.sum_xx }
    }

    /// The sums of `y` alone.
    pub fn y(&self) -> Sums {
        Sums { n: self.n, sum: self.sum_y, sum_sq: self.sum_yy }
    }

    /// The sample covariance of `x` and `y`, `(Σxy − ΣxΣy/n)/(n − 1)`; 0 for
    /// fewer than two units.
    pub fn covariance(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        (self.sum_xy - self.sum_x * self.sum_y / n) / (n - 1.0)
    }

    /// The ratio metric `Σy / Σx` (revenue per order) as [`Moments`] whose
    /// `variance` is the per-unit variance of the delta method, so that
    /// `variance / n` is the ratio's squared standard error and every test
    /// on means (such as [`EffectTest`](crate::campaign::EffectTest)) takes
    /// it as it takes a mean.
    ///
    /// # Formula
    ///
    /// With means `m_x`, `m_y`, sample variances `s²_x`, `s²_y` and
    /// covariance `s_xy` (Deng, Knoblich & Lu 2018, "Applying the Delta
    /// Method in Metric Analytics"):
    ///
    /// ```text
    /// R  = m_y / m_x
    /// s² = (s²_y − 2 R s_xy + R² s²_x) / m_x²      Var(R) ≈ s² / n
    /// ```
    ///
    /// # Errors
    ///
    /// [`CampaignError::TooFewValues`] for fewer than two units,
    /// [`CampaignError::ZeroDenominator`] when Σx is 0, and
    /// [`CampaignError::InvalidMoment`] when a sum is not finite.
    pub fn ratio(&self) -> Result<Moments, CampaignError> {
        if self.n < 2 {
            return Err(CampaignError::TooFewValues { group: "arm", n: self.n });
        }
        for value in [self.sum_x, self.sum_y, self.sum_xx, self.sum_yy, self.sum_xy] {
            if !value.is_finite() {
                return Err(CampaignError::InvalidMoment { group: "arm", what: "sum", extra: "", value });
            }
        }
        if self.sum_x == 0.0 {
            return Err(CampaignError::ZeroDenominator);
        }
        let (x, y) = (self.x().moments(), self.y().moments());
        let ratio = self.sum_y / self.sum_x;
        let variance =
            ((y.variance - 2.0 * ratio * self.covariance() + ratio * ratio * x.variance) / (x.mean * x.mean)).max(0.0);
        Ok(Moments { n: self.n, mean: ratio, variance })
    }
}

impl Add for CrossSums {
    type Output = CrossSums;

    fn add(self, other: CrossSums) -> CrossSums {
        self.merge(other)
    }
}

impl AddAssign for CrossSums {
    fn add_assign(&mut self, other: CrossSums) {
        *self = self.merge(other);
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn sums_agree_with_welford() {
        let values = [3.5, -1.0, 8.25, 0.0, 2.0, 2.0, 11.0];
        let (a, b) = (Sums::from_values(values).moments(), Moments::from_values(values));
        assert_eq!(a.n, b.n);
        assert!((a.mean - b.mean).abs() < 1e-12 && (a.variance - b.variance).abs() < 1e-12);
        assert_eq!(Sums::default().moments(), Moments { n: 0, mean: 0.0, variance: 0.0 });
        assert_eq!(Sums::from_values([4.0]).moments(), Moments { n: 1, mean: 4.0, variance: 0.0 });
    }

    #[test]
    fn ratio_of_constant_per_unit_ratios_has_no_variance() {
        // Every customer spends exactly 10 per order: the ratio is certain.
        let arm = CrossSums::from_pairs([(1.0, 10.0), (3.0, 30.0), (2.0, 20.0)]);
        let r = arm.ratio().unwrap();
        assert_eq!(r.mean, 10.0);
        assert!(r.variance.abs() < 1e-9, "{}", r.variance);
        assert_eq!(CrossSums::from_pairs([(0.0, 1.0), (0.0, 2.0)]).ratio(), Err(CampaignError::ZeroDenominator));
    }
}
