//! F.R.Y.: frequency (purchases per customer in a period), reach (how many
//! customers are active, and how far each one's word travels) and yield
//! (value per purchase), and the split of a revenue change between two
//! periods into the three.

use serde::{Deserialize, Serialize};

use crate::consent::Profiled;
use crate::score::ScoreError;
use crate::{CustomerBase, CustomerId, EventKind, Money, Window};

/// How far a customer's word travels: the number of distinct people within
/// one hop and within two hops of them in the relationship graph.
///
/// The graph is not this module's: the caller computes reach (with the
/// relationship module, or their own graph) and passes it in, so that scores
/// do not depend on the graph (see [layers point down](crate#layers-point-down)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reach {
    /// People one hop away.
    pub one_hop: u64,
    /// People at most two hops away (the one-hop people included), the
    /// customer not counted.
    pub two_hops: u64,
}

/// One customer's F.R.Y. figures over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FryCustomer {
    /// The customer.
    pub customer: CustomerId,
    /// Frequency: purchases in the window.
    pub purchases: u64,
    /// Their sum.
    pub revenue: Money,
    /// Yield: mean value per purchase in major units (0 without purchases).
    pub yield_per_purchase: f64,
    /// Reach, as the caller's function gave it (`None` when it gave none).
    pub reach: Option<Reach>,
}

/// A base's F.R.Y. figures over a window: reach as the number of active
/// customers, frequency as purchases per active customer, yield as revenue
/// per purchase.
///
/// # Formula
///
/// With `A` the customers with at least one purchase in the window, `P`
/// their purchases and `R` their sum: frequency `F = P / A`, yield
/// `Y = R / P` (each 0 when its denominator is), and `R = A × F × Y`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FryFigures {
    /// The window.
    pub window: Window,
    /// Reach: customers with at least one purchase in the window.
    pub active: u64,
    /// Purchases in the window.
    pub purchases: u64,
    /// Their sum (purchases only; refunds are not subtracted).
    pub revenue: Money,
    /// Customers left out for withheld profiling consent.
    pub left_out: usize,
}

impl FryFigures {
    /// Purchases per active customer (0 without active customers).
    pub fn frequency(&self) -> f64 {
        if self.active == 0 { 0.0 } else { self.purchases as f64 / self.active as f64 }
    }

    /// Revenue per purchase in major units (0 without purchases).
    pub fn yield_per_purchase(&self) -> f64 {
        if self.purchases == 0 { 0.0 } else { self.revenue.to_f64() / self.purchases as f64 }
    }
}

/// F.R.Y. over one window: the base's figures and each customer's.
///
/// # Example
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::score::{Fry, FryDecomposition, Reach};
/// use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, Money, NewCustomer, Policy, Window};
///
/// let mut base = CustomerBase::new(Policy::default());
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let ana = base.add_customer(NewCustomer::with_key("ana", t0))?;
/// for (n, day, cents) in [(1, 10, 2_000), (2, 100, 3_000), (3, 120, 5_000)] {
///     let kind = EventKind::Purchase { amount: Money::from_minor(cents) };
///     base.apply(&Event { id: EventId::from_key(&format!("o{n}")), customer: ana, at: t0 + TimeDelta::days(day), channel: Channel::Web, kind })?;
/// }
/// let q1 = Window::quarter(2024, 1)?;
/// let (before, after) = (Fry::from_base(&base, q1, |_| None)?, Fry::from_base(&base, q1.next(), |_| Some(Reach { one_hop: 3, two_hops: 7 }))?);
/// assert_eq!(after.customers[0].purchases, 2);
/// assert_eq!(after.customers[0].reach, Some(Reach { one_hop: 3, two_hops: 7 }));
/// let split = FryDecomposition::between(&before.figures, &after.figures);
/// assert_eq!(split.change, Money::from_minor(6_000));
/// assert_eq!(split.reach_effect.minor_units() + split.frequency_effect.minor_units() + split.yield_effect.minor_units(), 6_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fry {
    /// The base's figures.
    pub figures: FryFigures,
    /// One entry per consenting customer with a purchase in the window, in
    /// the order they were added.
    pub customers: Vec<FryCustomer>,
}

impl Fry {
    /// F.R.Y. of the purchase events in `window`, each customer's reach from
    /// the caller's `reach` function (pass `|_| None` to leave it out).
    /// Customers who withheld profiling consent are left out and counted.
    ///
    /// # Errors
    ///
    /// [`ScoreError::Money`] when a sum overflows.
    ///
    /// # Complexity
    ///
    /// O(e) for e events, plus one call of `reach` per active customer.
    pub fn from_base(
        base: &CustomerBase,
        window: Window,
        mut reach: impl FnMut(CustomerId) -> Option<Reach>,
    ) -> Result<Fry, ScoreError> {
        let Profiled { customers, left_out } = Profiled::as_of(base, window.end());
        let mut figures = FryFigures { window, active: 0, purchases: 0, revenue: Money::ZERO, left_out };
        let mut out = Vec::new();
        for customer in customers {
            let (mut purchases, mut revenue) = (0u64, Money::ZERO);
            for event in base.events(customer.id()).into_iter().flatten() {
                if let EventKind::Purchase { amount } = event.kind
                    && window.contains(event.at)
                {
                    purchases += 1;
                    revenue = revenue.checked_add(amount)?;
                }
            }
            if purchases == 0 {
                continue;
            }
            figures.active += 1;
            figures.purchases += purchases;
            figures.revenue = figures.revenue.checked_add(revenue)?;
            out.push(FryCustomer {
                customer: customer.id(),
                purchases,
                revenue,
                yield_per_purchase: revenue.to_f64() / purchases as f64,
                reach: reach(customer.id()),
            });
        }
        Ok(Fry { figures, customers: out })
    }
}

/// The change in revenue between two periods, split into the parts due to
/// reach (active customers), frequency and yield.
///
/// # Formula
///
/// Revenue is `R = A × F × Y` (see [`FryFigures`]). The split is the Shapley
/// value of the three factors: each factor's effect is its change times the
/// average, over the six orders in which the factors could change one at a
/// time, of the product of the other two at that moment:
///
/// `effect_A = ΔA × [(F₀Y₀ + F₁Y₁)/3 + (F₀Y₁ + F₁Y₀)/6]`, and likewise for
/// `F` and `Y`. The three add up to `R₁ − R₀` exactly in real arithmetic;
/// they are then rounded to cents by the largest-remainder rule, so the
/// three [`Money`] effects add up to [`change`](Self::change) to the cent.
/// The split is symmetric: no factor is favoured by being taken first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FryDecomposition {
    /// Revenue after minus revenue before.
    pub change: Money,
    /// The part due to the change in active customers.
    pub reach_effect: Money,
    /// The part due to the change in purchases per active customer.
    pub frequency_effect: Money,
    /// The part due to the change in value per purchase.
    pub yield_effect: Money,
}

impl FryDecomposition {
    /// The split of the change from `before` to `after`.
    ///
    /// # Complexity
    ///
    /// O(1).
    pub fn between(before: &FryFigures, after: &FryFigures) -> FryDecomposition {
        // In cents, so that rounding to whole cents is rounding to integers.
        let factors = |f: &FryFigures| {
            let y = if f.purchases == 0 { 0.0 } else { f.revenue.minor_units() as f64 / f.purchases as f64 };
            [f.active as f64, f.frequency(), y]
        };
        let (x0, x1) = (factors(before), factors(after));
        let effect = |i: usize| {
            let (j, k) = ((i + 1) % 3, (i + 2) % 3);
            let same = x0[j] * x0[k] + x1[j] * x1[k];
            let mixed = x0[j] * x1[k] + x1[j] * x0[k];
            (x1[i] - x0[i]) * (same / 3.0 + mixed / 6.0)
        };
        let change = after.revenue.minor_units() - before.revenue.minor_units();
        let [a, f, y] = apportion([effect(0), effect(1), effect(2)], change);
        FryDecomposition {
            change: Money::from_minor(change),
            reach_effect: Money::from_minor(a),
            frequency_effect: Money::from_minor(f),
            yield_effect: Money::from_minor(y),
        }
    }
}

/// Rounds `values` to integers that add up to `total`: each is floored, and
/// the units still missing go to the largest fractional parts (or, when the
/// floors overshoot through float error, are taken from the smallest).
fn apportion(values: [f64; 3], total: i64) -> [i64; 3] {
    let mut out = values.map(|v| v.floor() as i64);
    let remainders = [0, 1, 2].map(|i| values[i] - values[i].floor());
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| remainders[b].total_cmp(&remainders[a]).then(a.cmp(&b)));
    let missing = total - out.iter().sum::<i64>();
    let (step, order) = if missing >= 0 { (1, order) } else { (-1, [order[2], order[1], order[0]]) };
    for n in 0..missing.unsigned_abs() {
        out[order[(n % 3) as usize]] += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn figures(active: u64, purchases: u64, cents: i64) -> FryFigures {
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let window = Window::new(start, start + chrono::TimeDelta::days(1)).unwrap();
        FryFigures { window, active, purchases, revenue: Money::from_minor(cents), left_out: 0 }
    }

    #[test]
    fn a_change_in_one_factor_is_all_that_factor() {
        // Twice the customers, same frequency and yield.
        let d = FryDecomposition::between(&figures(10, 20, 2_000), &figures(20, 40, 4_000));
        assert_eq!((d.change.minor_units(), d.reach_effect.minor_units()), (2_000, 2_000));
        assert_eq!((d.frequency_effect, d.yield_effect), (Money::ZERO, Money::ZERO));
        // Same customers and purchases, dearer purchases.
        let d = FryDecomposition::between(&figures(10, 20, 2_000), &figures(10, 20, 3_000));
        assert_eq!(d.yield_effect.minor_units(), 1_000);
    }

    #[test]
    fn hand_computed_shapley_split() {
        // A 2 -> 4, F 1 -> 2, Y 100 -> 100 cents: R 200 -> 800.
        // effect_A = 2 × [(1·100 + 2·100)/3 + (1·100 + 2·100)/6] = 2 × 150 = 300
        // effect_F = 1 × [(2·100 + 4·100)/3 + (2·100 + 4·100)/6] = 300
        let d = FryDecomposition::between(&figures(2, 2, 200), &figures(4, 8, 800));
        assert_eq!(
            (d.reach_effect.minor_units(), d.frequency_effect.minor_units(), d.yield_effect.minor_units()),
            (300, 300, 0)
        );
    }

    #[test]
    fn rounding_keeps_the_total() {
        assert_eq!(apportion([0.5, 0.5, 0.0], 1), [1, 0, 0]);
        assert_eq!(apportion([1.4, 1.4, 1.2], 4), [2, 1, 1]);
        assert_eq!(apportion([-0.4, -0.4, -0.2], -1), [0, -1, 0]);
        assert_eq!(apportion([1.0, 2.0, 3.0], 6), [1, 2, 3]);
        assert_eq!(apportion([1.0, 2.0, 3.0], 5), [1, 2, 2]);
    }
}
