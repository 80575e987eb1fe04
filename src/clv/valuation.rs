//! Valuing customers with fitted models: P(alive), expected purchases and
//! CLV for everyone in a base on a given day.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::CustomerBase;
use crate::clv::{
    BgNbd, ClvError, FitData, FitOptions, GammaGamma, ModifiedBgNbd, SpendData, Summary, TimeUnit, lifetime_value,
};

/// The purchase model behind a [`ModelValuation`]: what P(alive) and the
/// expected purchases come from.
///
/// [`ModifiedBgNbd`] is the default ([`ModelValuation::fit`] fits it, and
/// the crate's own computations are shown with it) because the BG/NBD takes
/// a customer who never came back for certainly alive: its P(alive) is 1
/// for everyone with one purchase, however long ago, so a P(alive) cut-off
/// would never find a one-time buyer lost — and where most buy once (as in
/// most bases) that is most of the lost. The MBG/NBD lets a customer drop
/// out right after the first purchase too, so their P(alive) falls with
/// time like everyone else's. The BG/NBD stays available for those who
/// compare with tools built on it.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{BgNbd, ModifiedBgNbd, PurchaseModel};
///
/// // One purchase, 52 weeks ago.
/// let mbg: PurchaseModel = ModifiedBgNbd::new(0.525, 6.183, 0.891, 1.614)?.into();
/// let bg: PurchaseModel = BgNbd::new(0.243, 4.414, 0.793, 2.426)?.into();
/// assert!(mbg.p_alive(0, 0.0, 52.0) < 0.5);
/// assert_eq!(bg.p_alive(0, 0.0, 52.0), 1.0);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PurchaseModel {
    /// The modified BG/NBD: the default.
    ModifiedBgNbd(ModifiedBgNbd),
    /// The BG/NBD: P(alive) is 1 for every customer with no repeat purchase.
    BgNbd(BgNbd),
}

impl PurchaseModel {
    /// The probability that a customer with history `(x, t_x, T)` is still
    /// alive at `T` ([`ModifiedBgNbd::p_alive`], [`BgNbd::p_alive`]).
    pub fn p_alive(&self, x: u32, t_x: f64, t: f64) -> f64 {
        match self {
            PurchaseModel::ModifiedBgNbd(m) => m.p_alive(x, t_x, t),
            PurchaseModel::BgNbd(m) => m.p_alive(x, t_x, t),
        }
    }

    /// Expected purchases in the next `horizon` time units for a customer
    /// with history `(x, t_x, T)`.
    pub fn expected_purchases(&self, x: u32, t_x: f64, t: f64, horizon: f64) -> f64 {
        match self {
            PurchaseModel::ModifiedBgNbd(m) => m.expected_purchases(x, t_x, t, horizon),
            PurchaseModel::BgNbd(m) => m.expected_purchases(x, t_x, t, horizon),
        }
    }

    /// Expected purchases in the first `horizon` time units after a new
    /// customer's first purchase.
    pub fn expected_purchases_new(&self, horizon: f64) -> f64 {
        match self {
            PurchaseModel::ModifiedBgNbd(m) => m.expected_purchases_new(horizon),
            PurchaseModel::BgNbd(m) => m.expected_purchases_new(horizon),
        }
    }
}

impl From<ModifiedBgNbd> for PurchaseModel {
    fn from(model: ModifiedBgNbd) -> Self {
        PurchaseModel::ModifiedBgNbd(model)
    }
}

impl From<BgNbd> for PurchaseModel {
    fn from(model: BgNbd) -> Self {
        PurchaseModel::BgNbd(model)
    }
}

/// Values customers with fitted models: P(alive) and expected purchases
/// from the purchase model (the [`ModifiedBgNbd`] by default: see
/// [`PurchaseModel`] for why not the BG/NBD), and CLV from those expected
/// purchases times the Gamma-Gamma expected value per purchase, discounted
/// ([`lifetime_value`]).
///
/// [`fit`](Self::fit) fits both models to a summary; a valuation can also be
/// written out from models fitted elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelValuation {
    /// The purchase model.
    pub purchases: PurchaseModel,
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
    /// Fits the default models to `summary` — the [`ModifiedBgNbd`] for
    /// purchases (see [`PurchaseModel`]) and the [`GammaGamma`] for spend —
    /// and values over `periods` periods of `period_length` time units at
    /// `discount_rate` a period, in the summary's time unit.
    ///
    /// # Errors
    ///
    /// [`ClvError`] when the summary cannot be fitted or a fit fails.
    ///
    /// # Example
    ///
    /// ```
    /// # #[cfg(not(feature = "sim"))]
    /// # fn main() {}
    /// # #[cfg(feature = "sim")]
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use customer_lifecycle::clv::{FitOptions, ModelValuation, PurchaseModel, Summary, TimeUnit};
    /// use customer_lifecycle::sim::{SimConfig, Simulator};
    /// use customer_lifecycle::{CustomerBase, Policy};
    ///
    /// let sim = Simulator::new(SimConfig { customers: 500, ..SimConfig::default() }, 7)?;
    /// let mut base = CustomerBase::new(Policy::default());
    /// sim.populate(&mut base)?;
    /// let day = sim.end().date_naive();
    /// let summary = Summary::from_base(&base, day, TimeUnit::Weeks)?;
    /// // A year ahead in thirteen four-week periods at 1% a period.
    /// let valuation = ModelValuation::fit(&summary, 13, 4.0, 0.01, &FitOptions::default())?;
    /// assert!(matches!(valuation.purchases, PurchaseModel::ModifiedBgNbd(_)));
    /// let assessed = valuation.assess(&base, day)?;
    /// assert!(assessed.values().all(|a| a.p_alive < 1.0));
    /// # Ok(())
    /// # }
    /// ```
    pub fn fit(
        summary: &Summary,
        periods: u32,
        period_length: f64,
        discount_rate: f64,
        options: &FitOptions,
    ) -> Result<ModelValuation, ClvError> {
        let purchases = ModifiedBgNbd::fit(&FitData::from_summary(&summary.customers)?, options)?.model;
        let spend = GammaGamma::fit(&SpendData::from_summary(&summary.customers)?, options)?.model;
        Ok(ModelValuation {
            purchases: purchases.into(),
            spend,
            time_unit: summary.time_unit,
            periods,
            period_length,
            discount_rate,
        })
    }

    /// The horizon in time units.
    pub fn horizon(&self) -> f64 {
        f64::from(self.periods) * self.period_length
    }

    /// Every customer who bought on or before `day`, by label (key or id),
    /// as the models see them at the end of `day`. Customers who withheld
    /// profiling consent then or at their latest change are left out, as in
    /// [`Summary::from_base`].
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
            out.insert(c.key.clone(), assessment);
        }
        Ok(out)
    }
}
