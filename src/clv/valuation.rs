//! Valuing customers with fitted models: P(alive), expected purchases and
//! CLV for everyone in a base on a given day.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::CustomerBase;
use crate::clv::{BgNbd, ClvError, GammaGamma, Summary, TimeUnit, lifetime_value};

/// Values customers with fitted models: P(alive) from BG/NBD, and CLV from
/// BG/NBD expected purchases times the Gamma-Gamma expected value per
/// purchase, discounted ([`lifetime_value`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelValuation {
    /// The purchase model.
    pub purchases: BgNbd,
    /// The spend model.
    pub spend: GammaGamma,
    /// The time unit both were fitted in.
    pub time_unit: TimeUnit,
    /// How many periods CLV looks ahead.
    pub periods: u32,
    /// A period's length in `time_unit`s.
    pub period_length: f64,
    /// The discount rate per period.
    pub discount_rate: f64,
}

/// One customer as the models see them on a day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The probability they are still a customer.
    pub p_alive: f64,
    /// Their expected purchases over the CLV horizon.
    pub expected_purchases: f64,
    /// The expected value of one of their purchases.
    pub value_per_purchase: f64,
    /// Their CLV over the horizon.
    pub clv: f64,
}

impl ModelValuation {
    /// The horizon in time units.
    pub fn horizon(&self) -> f64 {
        f64::from(self.periods) * self.period_length
    }

    /// Every customer who bought on or before `day`, by label (key or id),
    /// as the models see them at the end of `day`.
    ///
    /// # Errors
    ///
    /// [`ClvError`] when the summary or a model call fails.
    pub fn assess(&self, base: &CustomerBase, day: NaiveDate) -> Result<HashMap<String, Assessment>, ClvError> {
        let summary = Summary::from_base(base, day, self.time_unit)?;
        let mut out = HashMap::with_capacity(summary.customers.len());
        for c in &summary.customers {
            let (x, t_x, t) = (c.frequency, c.recency, c.t);
            let value = self.spend.expected_average_value(x, c.monetary_value)?;
            let clv = lifetime_value(
                |h| self.purchases.expected_purchases(x, t_x, t, h),
                value,
                self.periods,
                self.period_length,
                self.discount_rate,
            )?;
            let assessment = Assessment {
                p_alive: self.purchases.p_alive(x, t_x, t),
                expected_purchases: self.purchases.expected_purchases(x, t_x, t, self.horizon()),
                value_per_purchase: value,
                clv,
            };
            out.insert(c.customer_id.clone(), assessment);
        }
        Ok(out)
    }
}
