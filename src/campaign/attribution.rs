//! Attribution: which touches earn the credit for a purchase.

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::CampaignError;

/// How a purchase's credit is shared among the touches that preceded it
/// within the conversion window.
///
/// Whatever the model, a purchase is credited at most once in total: its
/// shares add up to the whole purchase (or to nothing, when no counted
/// touch preceded it within the window), to the cent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributionModel {
    /// The latest touch before the purchase takes all the credit.
    #[default]
    LastTouch,
    /// The earliest touch still within the window takes all the credit.
    FirstTouch,
    /// Every touch within the window takes an equal share; the cents that do
    /// not divide evenly go one each to the earliest touches.
    Linear,
}

/// How a report attributes purchases to touches. A small per-call option.
///
/// # Example
///
/// ```
/// use chrono::TimeDelta;
/// use customer_lifecycle::campaign::{AttributionModel, AttributionOptions};
///
/// let options = AttributionOptions::default();
/// assert_eq!(options.model, AttributionModel::LastTouch);
/// assert_eq!(options.window, TimeDelta::days(7));
/// let linear = AttributionOptions { model: AttributionModel::Linear, window: TimeDelta::days(30) };
/// assert!(linear.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributionOptions {
    /// The model; default [`AttributionModel::LastTouch`].
    pub model: AttributionModel,
    /// The conversion window: a purchase at `t` can be credited to touches
    /// applied before it at `s` with `s ≤ t < s + window`. Also the window in
    /// which a touched customer's movement up the ladder is counted. Default
    /// seven days.
    pub window: TimeDelta,
}

crate::util::options_setters!(AttributionOptions { model: AttributionModel, window: TimeDelta });

impl Default for AttributionOptions {
    fn default() -> Self {
        AttributionOptions { model: AttributionModel::LastTouch, window: TimeDelta::days(7) }
    }
}

impl AttributionOptions {
    /// Checks the options.
    ///
    /// # Errors
    ///
    /// [`CampaignError::InvalidWindow`] for a window that is not positive.
    pub fn validate(&self) -> Result<(), CampaignError> {
        if self.window <= TimeDelta::zero() {
            return Err(CampaignError::InvalidWindow { window: "conversion", seconds: self.window.num_seconds() });
        }
        Ok(())
    }
}

/// One customer's open touches, in time order, and the rule that shares a
/// purchase among them. Reused from customer to customer.
#[derive(Debug)]
pub(crate) struct Attributor {
    options: AttributionOptions,
    /// (campaign index, when).
    open: VecDeque<(usize, DateTime<Utc>)>,
}

impl Attributor {
    pub(crate) fn new(options: AttributionOptions) -> Self {
        Attributor { options, open: VecDeque::new() }
    }

    /// Starts on another customer.
    pub(crate) fn reset(&mut self) {
        self.open.clear();
    }

    /// A counted touch of campaign `campaign`.
    pub(crate) fn touch(&mut self, campaign: usize, at: DateTime<Utc>) {
        self.open.push_back((campaign, at));
    }

    /// A purchase of `amount_minor` cents at `at`: calls `credit(campaign,
    /// cents, fraction)` once per share. The shares' cents add up to the
    /// amount and their fractions to one, or nothing is called.
    pub(crate) fn purchase(&mut self, at: DateTime<Utc>, amount_minor: i64, mut credit: impl FnMut(usize, i64, f64)) {
        let window = self.options.window;
        while self.open.front().is_some_and(|&(_, s)| at - s >= window) {
            self.open.pop_front();
        }
        match self.options.model {
            AttributionModel::LastTouch => {
                if let Some(&(campaign, _)) = self.open.back() {
                    credit(campaign, amount_minor, 1.0);
                }
            }
            AttributionModel::FirstTouch => {
                if let Some(&(campaign, _)) = self.open.front() {
                    credit(campaign, amount_minor, 1.0);
                }
            }
            AttributionModel::Linear => {
                let k = self.open.len() as i64;
                if k == 0 {
                    return;
                }
                let (share, rest) = (amount_minor / k, amount_minor % k);
                for (i, &(campaign, _)) in self.open.iter().enumerate() {
                    credit(campaign, share + i64::from((i as i64) < rest), 1.0 / k as f64);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + TimeDelta::hours(hours)
    }

    fn shares(model: AttributionModel, touches: &[(usize, i64)], purchase: i64, amount: i64) -> Vec<(usize, i64)> {
        let mut a = Attributor::new(AttributionOptions { model, window: TimeDelta::hours(48) });
        for &(c, h) in touches {
            a.touch(c, at(h));
        }
        let mut out = Vec::new();
        a.purchase(at(purchase), amount, |c, cents, _| out.push((c, cents)));
        out
    }

    #[test]
    fn each_model_shares_a_purchase_once() {
        let touches = [(0, 0), (1, 10), (2, 20)];
        assert_eq!(shares(AttributionModel::LastTouch, &touches, 30, 1000), vec![(2, 1000)]);
        assert_eq!(shares(AttributionModel::FirstTouch, &touches, 30, 1000), vec![(0, 1000)]);
        // 10.00 in three: 3.34, 3.33, 3.33.
        assert_eq!(shares(AttributionModel::Linear, &touches, 30, 1000), vec![(0, 334), (1, 333), (2, 333)]);
        // At hour 50 the touch at hour 0 has left the 48-hour window; at 68
        // the one at 20 is the last to go (the window is half-open).
        assert_eq!(shares(AttributionModel::FirstTouch, &touches, 50, 1000), vec![(1, 1000)]);
        assert_eq!(shares(AttributionModel::LastTouch, &touches, 68, 1000), vec![]);
        assert_eq!(shares(AttributionModel::LastTouch, &touches, 67, 1000), vec![(2, 1000)]);
    }
}
