//! Valuing customers with fitted models: P(alive), expected purchases and
//! CLV for everyone in a base on a given day.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::CustomerBase;
use crate::clv::{
    BgNbd, ClvError, Fit, FitData, FitOptions, GammaGamma, History, ModifiedBgNbd, ParetoNbd, PurchaseModel, SpendData,
    Summary, TimeUnit, lifetime_value_by_periods,
};

/// The run-time choice of purchase model behind a [`ModelValuation`]:
/// what P(alive) and the expected purchases come from. It implements
/// [`PurchaseModel`] by handing each call to the model it holds.
///
/// [`ModifiedBgNbd`] is the default ([`ModelValuation::fit`] fits it, and
/// the crate's own computations are shown with it) because the BG/NBD takes
/// a customer who never came back for certainly alive: its P(alive) is 1
/// for everyone with one purchase, however long ago, so a P(alive) cut-off
/// would never find a one-time buyer lost — and where most buy once (as in
/// most bases) that is most of the lost. The MBG/NBD lets a customer drop
/// out right after the first purchase too, so their P(alive) falls with
/// time like everyone else's. The BG/NBD stays available for those who
/// compare with tools built on it, and the Pareto/NBD for those who
/// prefer its dropout at any moment.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{BgNbd, History, ModelChoice, ModifiedBgNbd, PurchaseModel};
///
/// // One purchase, 52 weeks ago.
/// let once = History { frequency: 0, recency: 0.0, age: 52.0 };
/// let mbg: ModelChoice = ModifiedBgNbd::new(0.525, 6.183, 0.891, 1.614)?.into();
/// let bg: ModelChoice = BgNbd::new(0.243, 4.414, 0.793, 2.426)?.into();
/// assert!(mbg.p_alive(once) < 0.5);
/// assert_eq!(bg.p_alive(once), 1.0);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelChoice {
    /// The modified BG/NBD: the default.
    ModifiedBgNbd(ModifiedBgNbd),
    /// The BG/NBD: P(alive) is 1 for every customer with no repeat purchase.
    BgNbd(BgNbd),
    /// The Pareto/NBD.
    ParetoNbd(ParetoNbd),
}

/// Hands a call to the model a [`ModelChoice`] holds.
macro_rules! each {
    ($choice:expr, $m:ident => $call:expr) => {
        match $choice {
            ModelChoice::ModifiedBgNbd($m) => $call,
            ModelChoice::BgNbd($m) => $call,
            ModelChoice::ParetoNbd($m) => $call,
        }
    };
}

impl PurchaseModel for ModelChoice {
    fn name(&self) -> &'static str {
        each!(self, m => m.name())
    }

    fn parameters(&self) -> Vec<(&'static str, f64)> {
        each!(self, m => m.parameters())
    }

    /// Fits the default, the [`ModifiedBgNbd`]: a choice is made by
    /// fitting the model chosen and converting it (`into()`).
    fn fit(data: &FitData, options: &FitOptions) -> Result<Fit<ModelChoice>, ClvError> {
        Ok(ModifiedBgNbd::fit(data, options)?.map(ModelChoice::from))
    }

    fn log_likelihood(&self, data: &FitData) -> f64 {
        each!(self, m => m.log_likelihood(data))
    }

    fn p_alive(&self, history: History) -> f64 {
        each!(self, m => m.p_alive(history))
    }

    fn expected_purchases(&self, history: History, horizon: f64) -> f64 {
        each!(self, m => m.expected_purchases(history, horizon))
    }

    fn expected_purchases_new(&self, horizon: f64) -> f64 {
        each!(self, m => m.expected_purchases_new(horizon))
    }

    fn purchases_pmf(&self, purchases: u32, horizon: f64) -> f64 {
        each!(self, m => m.purchases_pmf(purchases, horizon))
    }

    fn dert(&self, history: History, discount_rate: f64) -> Result<f64, ClvError> {
        each!(self, m => m.dert(history, discount_rate))
    }

    #[cfg(feature = "sim")]
    fn simulate(&self, customers: usize, age: f64, seed: u64) -> Result<FitData, ClvError> {
        each!(self, m => m.simulate(customers, age, seed))
    }
}

impl From<ModifiedBgNbd> for ModelChoice {
    fn from(model: ModifiedBgNbd) -> Self {
        ModelChoice::ModifiedBgNbd(model)
    }
}

impl From<BgNbd> for ModelChoice {
    fn from(model: BgNbd) -> Self {
        ModelChoice::BgNbd(model)
    }
}

impl From<ParetoNbd> for ModelChoice {
    fn from(model: ParetoNbd) -> Self {
        ModelChoice::ParetoNbd(model)
    }
}

/// Values customers with fitted models: P(alive) and expected purchases
/// from the purchase model `M` (any [`PurchaseModel`]; by default the
/// run-time [`ModelChoice`], which [`fit`](Self::fit) sets to the
/// [`ModifiedBgNbd`]: see [`ModelChoice`] for why not the BG/NBD), and CLV
/// from those expected purchases times the Gamma-Gamma expected value per
/// purchase, discounted period by period ([`lifetime_value_by_periods`]).
///
/// The model is a type parameter, not a boxed trait object, so that a
/// valuation stays a small `Copy` serde value (saved as before, with the
/// model under its [`ModelChoice`] tag) and the per-customer loop calls the
/// model directly; [`ModelChoice`] is the run-time choice among the
/// crate's models.
///
/// [`fit`](Self::fit) fits both models to a summary, [`fit_model`](Self::fit_model)
/// the purchase model of the caller's choice; a valuation can also be
/// written out from models fitted elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelValuation<M = ModelChoice> {
    /// The purchase model.
    pub purchases: M,
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
    /// purchases (see [`ModelChoice`]) and the [`GammaGamma`] for spend —
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
    /// use customer_lifecycle::clv::{FitOptions, ModelChoice, ModelValuation, Summary, TimeUnit};
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
    /// assert!(matches!(valuation.purchases, ModelChoice::ModifiedBgNbd(_)));
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
        ModelValuation::fit_model(summary, periods, period_length, discount_rate, options)
    }
}

impl<M: PurchaseModel> ModelValuation<M> {
    /// Fits the purchase model `M` and the [`GammaGamma`] to `summary`, and
    /// values as [`fit`](ModelValuation::fit) does.
    ///
    /// # Errors
    ///
    /// [`ClvError`] when the summary cannot be fitted or a fit fails.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::{FitOptions, ModelValuation, ParetoNbd, Summary, TimeUnit};
    /// use customer_lifecycle::Money;
    ///
    /// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    /// let cent = |c| Money::from_minor(c);
    /// let log = [
    ///     ("a", d("2024-01-01"), cent(1000)), ("a", d("2024-02-01"), cent(1500)), ("a", d("2024-03-20"), cent(900)),
    ///     ("b", d("2024-01-05"), cent(2000)), ("b", d("2024-01-25"), cent(2600)),
    ///     ("c", d("2024-01-10"), cent(700)),
    ///     ("e", d("2024-02-01"), cent(1200)), ("e", d("2024-02-15"), cent(1100)), ("e", d("2024-02-20"), cent(1300)),
    ///     ("f", d("2024-01-15"), cent(500)),
    /// ];
    /// let summary = Summary::from_records(log, d("2024-04-01"), TimeUnit::Weeks)?;
    /// match ModelValuation::<ParetoNbd>::fit_model(&summary, 13, 4.0, 0.01, &FitOptions::default()) {
    ///     Ok(valuation) => assert!(valuation.horizon() == 52.0),
    ///     // So few customers may not pin a model down; the error says which parameter.
    ///     Err(e) => println!("{e}"),
    /// }
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    pub fn fit_model(
        summary: &Summary,
        periods: u32,
        period_length: f64,
        discount_rate: f64,
        options: &FitOptions,
    ) -> Result<ModelValuation<M>, ClvError> {
        let purchases = M::fit(&FitData::from_summary(&summary.customers)?, options)?.model;
        let spend = GammaGamma::fit(&SpendData::from_summary(&summary.customers)?, options)?.model;
        Ok(ModelValuation { purchases, spend, time_unit: summary.time_unit, periods, period_length, discount_rate })
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
            let history = History::from(c);
            let value = self.spend.expected_average_value(c.frequency, c.monetary_value)?;
            let clv = lifetime_value_by_periods(
                |h| self.purchases.expected_purchases(history, h),
                value,
                self.periods,
                self.period_length,
                self.discount_rate,
            )?;
            let assessment = Assessment {
                p_alive: self.purchases.p_alive(history),
                expected_purchases: self.purchases.expected_purchases(history, self.horizon()),
                value_per_purchase: value,
                clv,
            };
            out.insert(c.key.clone(), assessment);
        }
        Ok(out)
    }
}
