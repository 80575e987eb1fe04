//! Customer lifetime value: expected purchases per period, times the
//! expected value per purchase, discounted.

use crate::clv::ClvError;

/// The most periods [`lifetime_value`] sums (10⁴): each is a call of the
/// expected-purchases function, some of which sum a series. A closed form,
/// the discounted expected residual transactions of each model, will
/// replace the sum and lift the cap.
pub const MAX_PERIODS: u32 = 10_000;

/// The discounted value of a customer's expected purchases over `periods`
/// periods of `period_length` time units each.
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
/// [`MAX_PERIODS`]: a closed form, the models' discounted expected residual
/// transactions, will replace the sum and lift it.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{BgNbd, GammaGamma, lifetime_value};
///
/// let purchases = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let spend = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let (x, t_x, t, mean) = (2, 30.43, 38.86, 22.35);
/// let value = spend.expected_average_value(x, mean)?;
/// // Twelve four-week periods at 1% per period.
/// let clv = lifetime_value(|h| purchases.expected_purchases(x, t_x, t, h), value, 12, 4.0, 0.01)?;
/// let undiscounted = purchases.expected_purchases(x, t_x, t, 48.0) * value;
/// assert!(clv > 0.0 && clv < undiscounted);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
pub fn lifetime_value(
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
        return invalid("periods", f64::from(periods), "must be at most 10000 until a closed form replaces the sum");
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
        let clv = lifetime_value(|t| t, 10.0, 2, 1.0, 0.1).unwrap();
        assert!((clv - (10.0 / 1.1 + 10.0 / 1.21)).abs() < 1e-12);
        assert_eq!(lifetime_value(|t| t, 10.0, 3, 1.0, 0.0).unwrap(), 30.0);
        assert!(lifetime_value(|t| t, -1.0, 3, 1.0, 0.0).is_err());
        assert!(lifetime_value(|t| t, 1.0, 3, 0.0, 0.0).is_err());
        assert!(lifetime_value(|t| t, 1.0, 3, 1.0, -1.0).is_err());
    }

    #[test]
    fn refuses_results_that_are_not_finite() {
        let inf = |r: Result<f64, ClvError>| matches!(r, Err(ClvError::NonFiniteResult { .. }));
        // Purchases that overflow, a function that returns NaN, and a value
        // whose products overflow.
        assert!(inf(lifetime_value(|t| t * 1e308, 1.0, 3, 10.0, 0.0)));
        assert!(inf(lifetime_value(|_| f64::NAN, 1.0, 3, 1.0, 0.0)));
        assert!(inf(lifetime_value(|t| t * 1e300, 1e300, 3, 1.0, 0.0)));
        // A discount rate near −1 makes the discount factor overflow.
        assert!(inf(lifetime_value(|t| t, 1.0, 200, 1.0, -0.999_999)));
    }

    #[test]
    fn counts_no_more_than_the_capped_periods() {
        let calls = std::cell::Cell::new(0u32);
        let count = |t: f64| {
            calls.set(calls.get() + 1);
            t
        };
        assert!(lifetime_value(count, 1.0, MAX_PERIODS, 1.0, 0.01).is_ok());
        assert_eq!(calls.get(), MAX_PERIODS);
        calls.set(0);
        let err = lifetime_value(count, 1.0, 1_000_000, 1.0, 0.01).unwrap_err();
        assert!(matches!(err, ClvError::InvalidParameter { name: "periods", .. }), "{err}");
        assert_eq!(calls.get(), 0, "a refused call does no work");
    }
}
