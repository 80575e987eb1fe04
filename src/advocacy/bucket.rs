use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::AdvocacyError;
use crate::clv::{ModelValuation, PurchaseModel};
use crate::consent::{Profiled, end_of_day};
use crate::{CustomerBase, EventKind, Money, Stage};

/// One period of the [`LeakingBucket`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketRow {
    /// The first day of the period.
    pub start: NaiveDate,
    /// The day after the period (exclusive).
    pub end: NaiveDate,
    /// Customers whose first purchase fell in the period.
    pub acquired: usize,
    /// Customers lost: moved to churned in the period, or whose P(alive)
    /// fell below the threshold over it (each counted once). P(alive) is
    /// the valuation's: with the default [`ModifiedBgNbd`](crate::clv::ModifiedBgNbd)
    /// a one-time buyer's falls with time, with a [`BgNbd`](crate::clv::BgNbd)
    /// it stays 1 and they are never lost this way.
    pub lost: usize,
    /// Of the lost, those who moved to churned.
    pub churned: usize,
    /// `acquired − lost`.
    pub net: i64,
    /// The CLV of the acquired customers at the period's end.
    pub value_gained: f64,
    /// The CLV of the lost customers at the period's start.
    pub value_lost: f64,
    /// Revenue from purchases in the period, in major units.
    pub revenue: f64,
    /// The share of that revenue from customers whose P(alive) fell over
    /// the period.
    pub revenue_at_risk: f64,
}

/// Per period: who came in, who leaked out, and what that was worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakingBucket {
    /// The periods, oldest first.
    pub rows: Vec<BucketRow>,
    /// The P(alive) below which a customer counts as lost.
    pub p_alive_threshold: f64,
    /// Customers left out because they withheld profiling consent.
    pub left_out: usize,
}

impl fmt::Display for LeakingBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<23} {:>8} {:>6} {:>7} {:>6} {:>12} {:>12} {:>12} {:>8}",
            "period", "acquired", "lost", "churned", "net", "value in", "value out", "revenue", "at risk"
        )?;
        for r in &self.rows {
            let period = format!("{} .. {}", r.start, r.end);
            writeln!(
                f,
                "{period:<23} {:>8} {:>6} {:>7} {:>6} {:>12.2} {:>12.2} {:>12.2} {:>7.1}%",
                r.acquired,
                r.lost,
                r.churned,
                r.net,
                r.value_gained,
                r.value_lost,
                r.revenue,
                100.0 * r.revenue_at_risk
            )?;
        }
        Ok(())
    }
}

/// The leaking bucket over consecutive periods: `boundaries` holds the first
/// day of each period and, last, the day after the final one.
///
/// A day's assessment is taken at the end of the day before the period
/// starts (for the start) and at the end of its last day (for the end).
/// Customers who withheld profiling consent at the end of the last period
/// or at their latest change are left out (absent from every assessment).
///
/// P(alive) comes from the valuation's purchase model. Value with the
/// default, the [`ModifiedBgNbd`](crate::clv::ModifiedBgNbd)
/// ([`ModelValuation::fit`]): the BG/NBD gives P(alive) = 1 to everyone who
/// bought only once, however long ago, so with it the bucket would never
/// count a one-time buyer lost until the base's rules churn them (see
/// [`ModelChoice`](crate::clv::ModelChoice)).
///
/// # Errors
///
/// [`AdvocacyError::InvalidOption`] for fewer than two boundaries, unsorted
/// boundaries or a threshold outside `[0, 1]`; [`AdvocacyError::Model`] when
/// valuing fails; [`AdvocacyError::Money`] when a
/// period's revenue overflows.
///
/// # Complexity
///
/// O(boundaries × (customers + events)).
pub fn leaking_bucket(
    base: &CustomerBase,
    boundaries: &[NaiveDate],
    valuation: &ModelValuation,
    p_alive_threshold: f64,
) -> Result<LeakingBucket, AdvocacyError> {
    if boundaries.len() < 2 || boundaries.windows(2).any(|w| w[0] >= w[1]) {
        return Err(AdvocacyError::InvalidOption { name: "boundaries", value: boundaries.len() as f64 });
    }
    if !(0.0..=1.0).contains(&p_alive_threshold) {
        return Err(AdvocacyError::InvalidOption { name: "p_alive_threshold", value: p_alive_threshold });
    }
    let last = boundaries[boundaries.len() - 1].pred_opt().unwrap_or(boundaries[boundaries.len() - 1]);
    let Profiled { customers: eligible, left_out } = Profiled::as_of(base, end_of_day(last));
    let mut assessments = Vec::with_capacity(boundaries.len());
    for day in boundaries {
        let end_of_previous = day.pred_opt().unwrap_or(*day);
        assessments.push(valuation.assess(base, end_of_previous)?);
    }
    let mut rows = Vec::with_capacity(boundaries.len() - 1);
    for (k, window) in boundaries.windows(2).enumerate() {
        let (start, end) = (window[0], window[1]);
        let (before, after) = (&assessments[k], &assessments[k + 1]);
        let mut row = BucketRow {
            start,
            end,
            acquired: 0,
            lost: 0,
            churned: 0,
            net: 0,
            value_gained: 0.0,
            value_lost: 0.0,
            revenue: 0.0,
            revenue_at_risk: 0.0,
        };
        let mut at_risk = 0.0;
        for customer in &eligible {
            let label = customer.label();
            let in_period = |d: NaiveDate| d >= start && d < end;
            if customer.first_purchase().is_some_and(|t| in_period(t.date_naive())) {
                row.acquired += 1;
                row.value_gained += after.get(&label).map_or(0.0, |a| a.clv);
            }
            let churned = customer.history().iter().any(|t| t.to == Stage::Churned && in_period(t.at.date_naive()));
            let (p0, p1) = (before.get(&label).map(|a| a.p_alive), after.get(&label).map(|a| a.p_alive));
            let faded = matches!((p0, p1), (Some(a), Some(b)) if a >= p_alive_threshold && b < p_alive_threshold);
            if churned || faded {
                row.lost += 1;
                row.churned += usize::from(churned);
                row.value_lost += before.get(&label).map_or(0.0, |a| a.clv);
            }
            let mut revenue = Money::ZERO;
            for event in base.events(customer.id()).into_iter().flatten() {
                if let EventKind::Purchase { amount } = event.kind
                    && in_period(event.at.date_naive())
                {
                    revenue = revenue.checked_add(amount)?;
                }
            }
            row.revenue += revenue.to_f64();
            if matches!((p0, p1), (Some(a), Some(b)) if b < a) {
                at_risk += revenue.to_f64();
            }
        }
        row.net = row.acquired as i64 - row.lost as i64;
        row.revenue_at_risk = if row.revenue > 0.0 { at_risk / row.revenue } else { 0.0 };
        rows.push(row);
    }
    Ok(LeakingBucket { rows, p_alive_threshold, left_out })
}

/// Which lever is worth more: raising retention or raising acquisition by
/// the same number of points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LeverComparison {
    /// The points (percentage points of retention; percent more new
    /// customers).
    pub points: f64,
    /// Extra revenue over the horizon from the retention lever.
    pub retention: f64,
    /// Extra revenue over the horizon from the acquisition lever.
    pub acquisition: f64,
}

impl LeverComparison {
    /// The lever worth more: `"retention"` or `"acquisition"`.
    pub fn better_lever(&self) -> &'static str {
        if self.retention >= self.acquisition { "retention" } else { "acquisition" }
    }
}

/// The revenue effect, over the valuation's horizon and undiscounted, of
/// raising retention by `points` percentage points versus acquiring
/// `points` percent more new customers.
///
/// # Formula
///
/// With `Pᵢ` the P(alive), `E[Xᵢ]` the expected purchases over the horizon
/// `H` and `vᵢ` the value per purchase of each current customer:
///
/// - retention: every `Pᵢ` rises by `k = points/100` (capped at 1), and a
///   customer alive buys `E[Xᵢ]/Pᵢ`:
///   `Σᵢ min(k, 1 − Pᵢ) · E[Xᵢ]/Pᵢ · vᵢ`;
/// - acquisition: `k · A` more new customers in each of the horizon's
///   periods, where `A` is `new_per_period`; one acquired at the start of
///   period `j` buys `1 + E[X_new(H − (j−1)·Δ)]` times the population mean
///   value per purchase `p·v/(q − 1)`.
///
/// # Errors
///
/// [`AdvocacyError::InvalidOption`] for negative or non-finite `points` or
/// `new_per_period`; [`AdvocacyError::Model`] when valuing fails.
pub fn retention_vs_acquisition(
    base: &CustomerBase,
    day: NaiveDate,
    valuation: &ModelValuation,
    new_per_period: f64,
    points: f64,
) -> Result<LeverComparison, AdvocacyError> {
    for (name, value) in [("points", points), ("new_per_period", new_per_period)] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(AdvocacyError::InvalidOption { name, value });
        }
    }
    let k = points / 100.0;
    let assessments = valuation.assess(base, day)?;
    let retention = assessments
        .values()
        .filter(|a| a.p_alive > 1e-12)
        .map(|a| k.min(1.0 - a.p_alive).max(0.0) * a.expected_purchases / a.p_alive * a.value_per_purchase)
        .sum();
    let mean_value = valuation.spend.expected_average_value(0, 0.0)?;
    let horizon = valuation.horizon();
    let acquisition = (0..valuation.periods)
        .map(|j| {
            let remaining = horizon - f64::from(j) * valuation.period_length;
            k * new_per_period * (1.0 + valuation.purchases.expected_purchases_new(remaining)) * mean_value
        })
        .sum();
    Ok(LeverComparison { points, retention, acquisition })
}
