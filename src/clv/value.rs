//! Customer lifetime value: discounted expected residual transactions
//! (DERT) times the margin on the expected value per purchase, and the
//! discrete sum over periods that other tools use.

use serde::{Deserialize, Serialize};

use crate::clv::{ClvError, History, PurchaseModel};

/// What a customer's purchases are worth and how the future is discounted,
/// for [`lifetime_value`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvTerms {
    /// The expected value of one purchase (for instance
    /// [`GammaGamma::expected_average_value`](crate::clv::GammaGamma::expected_average_value)),
    /// finite and `≥ 0`.
    pub value_per_purchase: f64,
    /// The share of that value kept as profit, in `[0, 1]` (1 for revenue).
    pub margin: f64,
    /// The continuous discount rate `δ` per time unit of the model, positive
    /// and finite: an annual rate `d` compounded yearly is
    /// `δ = ln(1 + d) / (time units in a year)` (15% a year is 0.0027 a
    /// week).
    pub discount_rate: f64,
}

/// A customer's residual lifetime value: the margin on their expected
/// value per purchase times their discounted expected residual
/// transactions ([`PurchaseModel::dert`]), over the whole future, each
/// purchase discounted continuously from the moment it happens.
///
/// # Formula
///
/// `CLV = m · v · DERT(δ)`, with `DERT(δ) = ∫₀^∞ e^(−δτ) dE[X(T, T+τ)]`.
///
/// **Against the discrete sum.** Tools such as lifetimes sum over months
/// (`Σ_{i=1}^{n} [E(iΔ) − E((i−1)Δ)] · v/(1+d)^i`, here
/// [`lifetime_value_by_periods`]): each purchase is discounted as if it
/// happened at the end of its period, and the sum stops after `n` periods.
/// Both make the sum smaller than the continuous value: with
/// `d = e^(δΔ) − 1`, the sum over a long horizon lies between
/// `e^(−δΔ) · m · v · DERT` and `m · v · DERT`, about half a period's discount
/// below the latter (0.6% for months at 15% a year), plus whatever lies
/// beyond the horizon.
///
/// # Errors
///
/// [`ClvError::InvalidParameter`] when `value_per_purchase` is negative or
/// not finite, `margin` is outside `[0, 1]`, or `discount_rate` is not
/// positive and finite; as [`PurchaseModel::dert`].
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{ClvTerms, GammaGamma, History, ParetoNbd, lifetime_value};
///
/// let purchases = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?; // CDNOW, weeks
/// let spend = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let customer = History { frequency: 2, recency: 30.43, age: 38.86 };
/// let value = spend.expected_average_value(customer.frequency, 22.35)?;
/// // 15% a year, compounded continuously per week; all of the revenue.
/// let terms = ClvTerms { value_per_purchase: value, margin: 1.0, discount_rate: 1.15f64.ln() / 52.0 };
/// let clv = lifetime_value(&purchases, customer, &terms)?;
/// assert!(clv > value && clv < 100.0 * value);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
pub fn lifetime_value<M: PurchaseModel + ?Sized>(
    model: &M,
    history: History,
    terms: &ClvTerms,
) -> Result<f64, ClvError> {
    let invalid = |name, value, reason| Err(ClvError::InvalidParameter { name, value, reason });
    if !(terms.value_per_purchase.is_finite() && terms.value_per_purchase >= 0.0) {
        return invalid("value_per_purchase", terms.value_per_purchase, "must be finite and >= 0");
    }
    if !(0.0..=1.0).contains(&terms.margin) {
        return invalid("margin", terms.margin, "must be in [0, 1]");
    }
    let dert = model.dert(history, terms.discount_rate)?;
    let value = terms.margin * terms.value_per_purchase * dert;
    if value.is_finite() { Ok(value) } else { Err(ClvError::NonFiniteResult { quantity: "lifetime value" }) }
}

/// The most periods [`lifetime_value_by_periods`] sums (10⁴): each is a
/// call of the expected-purchases function, some of which sum a series.
/// [`lifetime_value`] has no horizon and no cap.
pub const MAX_PERIODS: u32 = 10_000;

/// The discounted value of a customer's expected purchases over `periods`
/// periods of `period_length` time units each: the discrete sum other
/// tools use (see [`lifetime_value`] for the continuous value and how the
/// two differ).
///
/// `expected_purchases(t)` is the expected number of purchases in the next
/// `t` time units (for instance [`BgNbd::expected_purchases`] with the
/// customer's history bound), and `value_per_purchase` the expected value of
/// one (for instance [`GammaGamma::expected_average_value`]).
///
/// [`BgNbd::expected_purchases`]: crate::clv::BgNbd::expected_purchases
/// [`GammaGamma::expected_average_value`]: crate::clv::GammaGamma::expected_average_value
///
/// # Formula
///
/// `CLV = Σ_{i=1}^{n} [E(i·Δ) − E((i−1)·Δ)] · v / (1 + d)^i`, purchases in
/// period `i` discounted at the period's end.
///
/// # Errors
///
/// [`ClvError::InvalidParameter`] when `value_per_purchase` is negative or
/// not finite, `period_length` is not positive and finite, `discount_rate`
/// is not a finite number above −1, or `periods` exceeds [`MAX_PERIODS`];
/// [`ClvError::NonFiniteResult`] when `expected_purchases` returns a value
/// that is not finite or the sum overflows.
///
/// # Complexity
///
/// `periods` calls of `expected_purchases`, hence the cap of
/// [`MAX_PERIODS`].
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{BgNbd, GammaGamma, History, PurchaseModel, lifetime_value_by_periods};
///
/// let purchases = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let spend = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let customer = History { frequency: 2, recency: 30.43, age: 38.86 };
/// let value = spend.expected_average_value(customer.frequency, 22.35)?;
/// // Twelve four-week periods at 1% per period.
/// let clv = lifetime_value_by_periods(|h| purchases.expected_purchases(customer, h), value, 12, 4.0, 0.01)?;
/// let undiscounted = purchases.expected_purchases(customer, 48.0) * value;
/// assert!(clv > 0.0 && clv < undiscounted);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
pub fn lifetime_value_by_periods(
    expected_purchases: impl Fn(f64) -> f64,
    value_per_purchase: f64,
    periods: u32,
    period_length: f64,
    discount_rate: f64,
) -> Result<f64, ClvError> {
    let invalid = |name, value, reason| Err(ClvError::InvalidParameter { name, value, reason });
    if !(value_per_purchase.is_finite() && value_per_purchase >= 0.0) {
        return invalid("value_per_purchase", value_per_purchase, "must be finite and >= 0");
    }
    if !(period_length.is_finite() && period_length > 0.0) {
        return invalid("period_length", period_length, "must be positive and finite");
    }
    if !(discount_rate.is_finite() && discount_rate > -1.0) {
        return invalid("discount_rate", discount_rate, "must be finite and > -1");
    }
    if periods > MAX_PERIODS {
        return invalid("periods", f64::from(periods), "must be at most 10000 (lifetime_value has no horizon)");
    }
    let mut previous = 0.0;
    let mut total = 0.0;
    let mut factor = 1.0;
    for i in 1..=periods {
        let cumulative = expected_purchases(f64::from(i) * period_length);
        if !cumulative.is_finite() {
            return Err(ClvError::NonFiniteResult { quantity: "expected purchases" });
        }
        factor /= 1.0 + discount_rate;
        total += (cumulative - previous) * value_per_purchase * factor;
        previous = cumulative;
    }
    if total.is_finite() { Ok(total) } else { Err(ClvError::NonFiniteResult { quantity: "lifetime value" }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discounts_a_steady_stream() {
        // One purchase per period worth 10, at 10% per period for 2 periods.
        let clv = lifetime_value_by_periods(|t| t, 10.0, 2, 1.0, 0.1).unwrap();
        assert!((clv - (10.0 / 1.1 + 10.0 / 1.21)).abs() < 1e-12);
        assert_eq!(lifetime_value_by_periods(|t| t, 10.0, 3, 1.0, 0.0).unwrap(), 30.0);
        assert!(lifetime_value_by_periods(|t| t, -1.0, 3, 1.0, 0.0).is_err());
        assert!(lifetime_value_by_periods(|t| t, 1.0, 3, 0.0, 0.0).is_err());
        assert!(lifetime_value_by_periods(|t| t, 1.0, 3, 1.0, -1.0).is_err());
    }

    #[test]
    fn refuses_results_that_are_not_finite() {
        let inf = |r: Result<f64, ClvError>| matches!(r, Err(ClvError::NonFiniteResult { .. }));
        // Purchases that overflow, a function that returns NaN, and a value
        // whose products overflow.
        assert!(inf(lifetime_value_by_periods(|t| t * 1e308, 1.0, 3, 10.0, 0.0)));
        assert!(inf(lifetime_value_by_periods(|_| f64::NAN, 1.0, 3, 1.0, 0.0)));
        assert!(inf(lifetime_value_by_periods(|t| t * 1e300, 1e300, 3, 1.0, 0.0)));
        // A discount rate near −1 makes the discount factor overflow.
        assert!(inf(lifetime_value_by_periods(|t| t, 1.0, 200, 1.0, -0.999_999)));
    }

    #[test]
    fn counts_no_more_than_the_capped_periods() {
        let calls = std::cell::Cell::new(0u32);
        let count = |t: f64| {
            calls.set(calls.get() + 1);
            t
        };
        assert!(lifetime_value_by_periods(count, 1.0, MAX_PERIODS, 1.0, 0.01).is_ok());
        assert_eq!(calls.get(), MAX_PERIODS);
        calls.set(0);
        let err = lifetime_value_by_periods(count, 1.0, 1_000_000, 1.0, 0.01).unwrap_err();
        assert!(matches!(err, ClvError::InvalidParameter { name: "periods", .. }), "{err}");
        assert_eq!(calls.get(), 0, "a refused call does no work");
    }

    #[test]
    fn lifetime_value_is_dert_times_margin_and_value_and_bounds_the_monthly_sum() {
        use crate::clv::{BgNbd, ParetoNbd};
        let h = History { frequency: 2, recency: 30.43, age: 38.86 };
        // 15% a year; months of 52/12 weeks.
        let (annual, month) = (0.15f64, 52.0 / 12.0);
        let delta = annual.ln_1p() / 52.0;
        let terms = ClvTerms { value_per_purchase: 35.0, margin: 0.3, discount_rate: delta };
        let pn = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
        let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let models: [&dyn PurchaseModel; 2] = [&pn, &bg];
        for model in models {
            let clv = lifetime_value(model, h, &terms).unwrap();
            assert!((clv - 0.3 * 35.0 * model.dert(h, delta).unwrap()).abs() < 1e-12 * clv);
            // The monthly sum at the equivalent monthly rate over 10⁴ months
            // (833 years: nothing is left beyond): each month's purchases
            // discounted at the month's end, so between e^(−δΔ) · CLV and CLV.
            let monthly = (delta * month).exp_m1();
            let sum =
                lifetime_value_by_periods(|t| model.expected_purchases(h, t), 0.3 * 35.0, MAX_PERIODS, month, monthly)
                    .unwrap();
            assert!(sum < clv && sum > (-delta * month).exp() * clv, "{}: {sum} vs {clv}", model.name());
            // About half a month's discount below: 0.58% at 15% a year.
            let gap = 1.0 - sum / clv;
            assert!((gap - 0.5 * delta * month).abs() < 0.1 * delta * month, "{}: gap {gap}", model.name());
            // Over the usual three years the sum leaves out the long tail.
            let short =
                lifetime_value_by_periods(|t| model.expected_purchases(h, t), 0.3 * 35.0, 36, month, monthly).unwrap();
            assert!(short < 0.8 * clv, "{}: {short} vs {clv}", model.name());
        }
        let bad = |terms: ClvTerms| lifetime_value(&pn, h, &terms).is_err();
        assert!(bad(ClvTerms { margin: 1.5, ..terms }));
        assert!(bad(ClvTerms { value_per_purchase: -1.0, ..terms }));
        assert!(bad(ClvTerms { discount_rate: 0.0, ..terms }));
    }
}
