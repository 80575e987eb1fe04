//! Customer lifetime value: the "buy till you die" models and what they
//! predict.
//!
//! The path from a transaction log to a value per customer:
//!
//! 1. [`Summary`] (or the mergeable [`PurchaseAggregate`]) turns purchases
//!    into frequency, recency, age `T` and mean repeat value per customer;
//! 2. [`FitData`] compresses the summaries into distinct `(x, t_x, T)`
//!    patterns with counts, and [`SpendData`] does the same for spend;
//! 3. [`BgNbd`], [`ModifiedBgNbd`] and [`ParetoNbd`] fit the purchase
//!    process (how often, and for how long, a customer buys) and
//!    [`GammaGamma`] the spend per purchase, each by maximum likelihood with
//!    [`FitOptions`];
//! 4. each model, through the [`PurchaseModel`] trait and a customer's
//!    [`History`], predicts expected purchases, the probability that a
//!    customer is still alive, the distribution of a new customer's
//!    purchases and the discounted expected residual transactions
//!    ([`PurchaseModel::dert`]); [`GammaGamma`] predicts the expected value
//!    per purchase, and [`lifetime_value`] combines the two;
//! 5. `HoldoutData` and `holdout_table` check the predictions against a
//!    holdout period, the standard check in the literature.
//!
//! **Which purchase model.** The [`BgNbd`] gives every customer who never
//! came back after the first purchase (`x = 0`) a probability of being
//! alive of exactly 1, however long ago that purchase was: in it a customer
//! drops out only right after a repeat purchase. That is a known property
//! of the model, and it makes the BG/NBD's [`PurchaseModel::p_alive`] useless for finding lost
//! one-time buyers. The [`ModifiedBgNbd`] (which lets a customer drop out
//! right after the first purchase too) and the [`ParetoNbd`] do not share
//! it; prefer the [`ModifiedBgNbd`] where many customers buy once.
//!
//! **Units.** The fits do not depend on the unit of time, the unit of
//! money or the scale of the weights: they search the data in canonical
//! units and map the result back, so that multiplying every time by `c`
//! multiplies `α` (and `β`) by `c` and leaves the shapes alone, and
//! multiplying the weights by `c` multiplies the log-likelihood by `c`.
//! A fit that runs off along a ridge or to a boundary is an error
//! ([`ClvError::Unbounded`] or [`ClvError::NotConverged`], naming the
//! parameter), never a fit; [`FitReport::stop`] says how a fit's stop was
//! decided.
//!
//! Fitted models are small serde values: saved as JSON and loaded back, they
//! give the same predictions. With the `sim` feature, each model simulates
//! customers from its parameters, which the tests use to check that fits
//! recover known parameters.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::clv::{BgNbd, FitData, FitOptions, History, PurchaseModel};
//!
//! // (x, t_x, T, how many customers have this history), in weeks.
//! let data = FitData::from_rows([(0, 0.0, 30.0, 60.0), (1, 10.0, 30.0, 25.0), (4, 28.0, 30.0, 15.0), (2, 5.0, 30.0, 10.0)])?;
//! let fit = BgNbd::fit(&data, &FitOptions::default())?;
//! let model = fit.model;
//! let recent = History { frequency: 4, recency: 28.0, age: 30.0 };
//! assert!(model.p_alive(recent) > model.p_alive(History { recency: 5.0, ..recent }));
//! # Ok::<(), customer_lifecycle::clv::ClvError>(())
//! ```
//!
//! # Which model should I use
//!
//! Ask first how your customers can buy; the answer picks the family, and
//! the list below the model. Where two fit, the first is the better default.
//!
//! - **They buy whenever they like, with no contract (a shop, an app, a
//!   restaurant): [`ModifiedBgNbd`].** It is the default of
//!   [`ModelValuation`], fits as quickly as the BG/NBD, and lets a customer
//!   drop out right after their first purchase, so someone who bought once
//!   long ago is not taken for certainly alive.
//! - **The same, when a customer may drop out at any moment, not only
//!   right after a purchase: [`ParetoNbd`].** The model the literature
//!   started from, and the benchmark the others are checked against. Its
//!   likelihood needs hypergeometric series, so it fits more slowly; use it
//!   to check the modified BG/NBD on your data, or when it fits the holdout
//!   ([`holdout_table`]) better.
//! - **The same, to match published results or other tools: [`BgNbd`].**
//!   Widely used and quick, but its P(alive) of a customer who never bought
//!   again is always 1: do not use it to find lost one-time buyers.
//! - **They can buy only at fixed occasions (a yearly donation drive, an
//!   annual event, each issue of a magazine): [`BgBb`].** It counts
//!   opportunities taken out of opportunities offered; a model of
//!   continuous time would read the gaps between occasions as signs of
//!   leaving.
//! - **They hold a contract they renew or cancel each period (a
//!   subscription): [`RetentionModel`].** Leaving is observed, so the
//!   question is only when: [`RetentionModel::sbg`] when each subscriber's
//!   chance of cancelling stays the same over their tenure,
//!   [`RetentionModel::bdw`] when it changes with tenure (falling, as
//!   subscribers settle in, is the usual case).
//! - **What each purchase is worth: [`GammaGamma`],** next to any of the
//!   first three. It assumes that how much a customer spends does not depend
//!   on how often they buy: check that the two are not correlated across
//!   your repeat customers before trusting its values.

// The models are written with the literature's one-letter parameter names
// (r, α, a, b, s, β, p, q, x, T), compare floats exactly where an exact
// match is meant (equal histories are one pattern), and index small dense
// matrices and parallel columns by position, as the formulas do.
#![allow(clippy::many_single_char_names, clippy::float_cmp, clippy::needless_range_loop)]

mod bgbb;
mod bgnbd;
mod covariates;
pub(crate) mod data;
mod dert;
mod gamma_gamma;
mod holdout;
mod intervals;
mod model;
mod modified_bgnbd;
mod optim;
mod pareto_nbd;
mod retention;
mod special;
mod summary;
mod valuation;
mod value;

use chrono::NaiveDate;

pub use bgbb::{BgBb, BgBbFit, DiscretePattern};
pub use bgnbd::{BgNbd, BgNbdFit};
pub use covariates::{
    Coefficient, CovariateData, CovariateError, CovariateFit, CovariateKind, CovariateModel, CovariateOptions,
    CovariateSpec, CovariateTable, IndividualModel, LikelihoodRatio, MAX_COEFFICIENTS, Process, likelihood_ratio_test,
};
pub use data::{FitData, SpendData};
pub use gamma_gamma::{GammaGamma, GammaGammaFit};
pub use holdout::{HoldoutData, HoldoutRow, holdout_table};
pub use intervals::{
    Interval, IntervalOptions, PurchaseIntervals, customer_bootstrap_draws, intervals, parametric_draws, percentile,
    purchase_intervals, spend_draws, value_intervals,
};
pub use model::{Fit, History, PurchaseModel};
pub use modified_bgnbd::{ModifiedBgNbd, ModifiedBgNbdFit};
pub use optim::{FitOptions, FitReport, RIDGE_PENALTIES, Stop, fit_on_ridge};
pub use pareto_nbd::{ParetoNbd, ParetoNbdFit};
pub use retention::{MAX_RETENTION_COVARIATES, RetentionCovariateFit, RetentionFit, RetentionModel};
pub use summary::{CustomerPurchases, CustomerSummary, PurchaseAggregate, Summary, TimeUnit};
pub use valuation::{Assessment, ModelChoice, ModelValuation};
pub use value::{ClvTerms, MAX_PERIODS, lifetime_value, lifetime_value_by_periods};

use crate::{Money, MoneyError};

/// What went wrong in a summary, a fit or a prediction.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClvError {
    /// A purchase had a negative amount.
    #[error("negative purchase amount {amount} for customer {key:?} on {date}")]
    NegativeAmount {
        /// The customer's key (the shop's own, as in the log).
        key: String,
        /// The purchase day.
        date: NaiveDate,
        /// The amount.
        amount: Money,
    },
    /// An amount overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Two aggregates to merge cover overlapping date ranges.
    #[error("cannot merge overlapping date ranges {}..={} and {}..={}", left.0, left.1, right.0, right.1)]
    OverlappingRanges {
        /// The left aggregate's first and last purchase day.
        left: (NaiveDate, NaiveDate),
        /// The right aggregate's first and last purchase day.
        right: (NaiveDate, NaiveDate),
    },
    /// An aggregate holds a purchase after the calibration end asked for.
    #[error("purchase on {date} is after the calibration end {calibration_end}")]
    PurchaseAfterCalibrationEnd {
        /// The latest purchase day.
        date: NaiveDate,
        /// The calibration end asked for.
        calibration_end: NaiveDate,
    },
    /// The holdout end is not after the calibration end.
    #[error("holdout end {holdout_end} is not after the calibration end {calibration_end}")]
    EmptyHoldout {
        /// The calibration end.
        calibration_end: NaiveDate,
        /// The holdout end.
        holdout_end: NaiveDate,
    },
    /// A fit setting is out of range.
    #[error("invalid fit option {name} = {value}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A model parameter is not a positive finite number (or, for a
    /// prediction that needs it, out of the range where it is defined).
    #[error("invalid model parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The range it must lie in.
        reason: &'static str,
    },
    /// A data row is impossible (non-finite, negative, recency after `T`, …).
    #[error("invalid data row {row}: {reason}")]
    InvalidData {
        /// The 0-based row in the input.
        row: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The data cannot identify the model's parameters.
    #[error("the data cannot identify the model: {reason}")]
    Unidentifiable {
        /// Why not.
        reason: &'static str,
    },
    /// A prediction's inputs are valid but its result is not a finite
    /// number (it overflowed), or a function it was given returned one that
    /// is not.
    #[error("{quantity} is not finite for these inputs")]
    NonFiniteResult {
        /// What was being computed.
        quantity: &'static str,
    },
    /// The likelihood is not finite at the start point.
    #[error("the log-likelihood is not finite at the start point")]
    NonFiniteLikelihood,
    /// The likelihood keeps rising as a parameter runs off to zero or
    /// infinity: the data cannot pin that parameter down, and no finite
    /// model is the best fit. For the Gamma-Gamma model this is spend with
    /// no heterogeneity between customers (q and v run to infinity) or none
    /// within them (p runs to infinity); for the BG models, dropout the
    /// data show no sign of; for the purchase models, purchase rates that
    /// do not vary between customers (r and α run to infinity together).
    /// A search that stops with a parameter more than 10⁶ times (or less
    /// than 10⁻⁶ times) the data's own scale (1 for shapes, the mean `T`
    /// or the mean spend for rates) is reported this way too: that far out
    /// the likelihood differs from its limit by less than the data can
    /// tell, and such a stop is a ridge or a boundary, not a maximum.
    #[error("the data cannot pin down {parameter}: the likelihood keeps rising as it runs to {towards}")]
    Unbounded {
        /// The parameter running off, by its name in the model.
        parameter: &'static str,
        /// `"zero"` or `"infinity"`.
        towards: &'static str,
    },
    /// The maximum-likelihood search did not converge.
    #[error(
        "the fit did not converge after {iterations} iterations (gradient norm {gradient_norm:e}, steepest in {parameter})"
    )]
    NotConverged {
        /// Iterations done.
        iterations: u32,
        /// The gradient norm at the last point, in the terms of
        /// [`FitOptions::tolerance`].
        gradient_norm: f64,
        /// The parameter whose log has the largest gradient component at
        /// the last point: the one the search could not settle.
        parameter: &'static str,
    },
}

/// `Ok` when `value` is positive and finite.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<(), ClvError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ClvError::InvalidParameter { name, value, reason: "must be positive and finite" })
    }
}

/// `ln(1 + e^x)` without overflow.
pub(crate) fn softplus(x: f64) -> f64 {
    if x > 30.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }
}
