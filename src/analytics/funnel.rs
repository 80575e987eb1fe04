//! The funnel: where customers stand, how many move on from each ladder
//! step, how long they stay in each stage, and whether followers buy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analytics::quantile;
use crate::consent::Profiled;
use crate::{Customer, CustomerBase, EventKind, Phase, Stage, Window};

/// Of the customers who reached a ladder stage in the window, how many
/// later moved on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepConversion {
    /// The stage reached.
    pub from: Stage,
    /// The next ladder stage.
    pub to: Stage,
    /// Customers whose first arrival at `from` lies in the window.
    pub reached: u64,
    /// Of those, the ones who at that instant or later reached `to` or a
    /// stage above it (moves may skip a step).
    pub moved_on: u64,
}

impl StepConversion {
    /// `moved_on / reached`; `None` when nobody reached `from`.
    pub fn rate(&self) -> Option<f64> {
        (self.reached > 0).then(|| self.moved_on as f64 / self.reached as f64)
    }
}

/// How long customers stayed in one stage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageDwell {
    /// The stage.
    pub stage: Stage,
    /// Completed stays that ended in the window.
    pub stays: u64,
    /// Their median length in days (linear interpolation); `None` without stays.
    pub median_days: Option<f64>,
    /// Their 90th percentile in days; `None` without stays.
    pub p90_days: Option<f64>,
}

/// Followers versus customers: of the people who followed the brand in the
/// window, how many ever bought, and how fast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FollowerConversion {
    /// People whose first follow of the brand lies in the window.
    pub followers: u64,
    /// Of them, those who had bought before following.
    pub already_customers: u64,
    /// Of the others, those who bought after following (at any later time
    /// the base knows of).
    pub converted: u64,
    /// Median days from the follow to their first purchase after it.
    pub median_days_to_purchase: Option<f64>,
    /// The 90th percentile of the same.
    pub p90_days_to_purchase: Option<f64>,
}

impl FollowerConversion {
    /// `converted / (followers − already_customers)`; `None` when there are
    /// no followers who were not already customers.
    pub fn rate(&self) -> Option<f64> {
        let prospects = self.followers - self.already_customers;
        (prospects > 0).then(|| self.converted as f64 / prospects as f64)
    }
}

/// The funnel of a base over a window.
///
/// - `stages` and `phases`: how many customers stand at each stage and in
///   each phase now (the base's current state).
/// - `conversions`: for each consecutive pair of ladder stages, from the
///   transition histories — of the customers who first reached stage *k*
///   within the window (for prospects: were added), the share who then
///   reached *k + 1* or higher. This follows people, unlike a ratio of
///   current counts.
/// - `dwell`: the median and 90th percentile time spent in each stage, over
///   stays that ended within the window (stays still going on are not
///   counted: their length is not known yet).
/// - `followers`: see [`FollowerConversion`].
///
/// # Example
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::analytics::Funnel;
/// use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, Money, NewCustomer, Policy, Stage, Window};
///
/// let mut base = CustomerBase::new(Policy::default());
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// for (who, buy_on_day) in [("ana", Some(4)), ("bo", Some(10)), ("cy", None)] {
///     let id = base.add_customer(NewCustomer::with_key(who, t0))?;
///     base.apply(&Event { id: EventId::from_key(&format!("f-{who}")), customer: id, at: t0, channel: Channel::Twitter, kind: EventKind::Follow { of: None } })?;
///     if let Some(day) = buy_on_day {
///         base.apply(&Event { id: EventId::from_key(who), customer: id, at: t0 + TimeDelta::days(day), channel: Channel::Web, kind: EventKind::Purchase { amount: Money::from_minor(500) } })?;
///     }
/// }
/// let funnel = Funnel::from_base(&base, Window::quarter(2024, 1)?);
/// let first_step = funnel.conversions[0];
/// assert_eq!((first_step.from, first_step.reached, first_step.moved_on), (Stage::Prospect, 3, 2));
/// assert_eq!(funnel.dwell[0].median_days, Some(7.0)); // prospects for 4 and 10 days
/// assert_eq!((funnel.followers.followers, funnel.followers.converted), (3, 2));
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    /// The window.
    pub window: Window,
    /// Customers at each stage now, in [`Stage::ALL`] order.
    pub stages: Vec<(Stage, u64)>,
    /// Customers in each phase now, in [`Phase::ALL`] order.
    pub phases: Vec<(Phase, u64)>,
    /// The five ladder steps, bottom to top.
    pub conversions: Vec<StepConversion>,
    /// Time in each stage, in [`Stage::ALL`] order.
    pub dwell: Vec<StageDwell>,
    /// Followers versus customers.
    pub followers: FollowerConversion,
    /// Customers left out for withheld profiling consent.
    pub left_out: usize,
}

/// A customer's stays: `(stage, entered, left)` with `left = None` for the
/// current one.
fn stays(customer: &Customer) -> impl Iterator<Item = (Stage, DateTime<Utc>, Option<DateTime<Utc>>)> + '_ {
    let history = customer.history();
    let starts = std::iter::once((Stage::Prospect, customer.created_at())).chain(history.iter().map(|t| (t.to, t.at)));
    starts.enumerate().map(move |(i, (stage, at))| (stage, at, history.get(i).map(|t| t.at)))
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}

impl Funnel {
    /// The funnel of the consenting customers over `window`.
    ///
    /// # Complexity
    ///
    /// O(c + m + e + s log s) for c customers, m moves, e events (read for
    /// follows and purchases) and s stays ending in the window.
    pub fn from_base(base: &CustomerBase, window: Window) -> Funnel {
        let Profiled { customers, left_out } = Profiled::as_of(base, window.end());
        let mut stage_counts = [0u64; 8];
        let mut conversions: Vec<StepConversion> = Stage::LADDER
            .windows(2)
            .map(|pair| StepConversion { from: pair[0], to: pair[1], reached: 0, moved_on: 0 })
            .collect();
        let mut lengths: Vec<Vec<f64>> = vec![Vec::new(); 8];
        let mut followers = FollowerConversion {
            followers: 0,
            already_customers: 0,
            converted: 0,
            median_days_to_purchase: None,
            p90_days_to_purchase: None,
        };
        let mut to_purchase = Vec::new();
        for customer in customers {
            stage_counts[customer.stage() as usize] += 1;
            for step in &mut conversions {
                let Some(reached) = customer.first_reached(step.from) else { continue };
                if !window.contains(reached) {
                    continue;
                }
                step.reached += 1;
                let above = |s: Stage| s.ladder_rank() > step.from.ladder_rank();
                if customer.history().iter().any(|t| t.at >= reached && above(t.to)) {
                    step.moved_on += 1;
                }
            }
            for (stage, entered, left) in stays(customer) {
                if let Some(left) = left
                    && window.contains(left)
                {
                    lengths[stage as usize].push(days(entered, left));
                }
            }
            let mut followed = None;
            let mut purchases = Vec::new();
            for event in base.events(customer.id()).into_iter().flatten() {
                match event.kind {
                    EventKind::Follow { of: None } if followed.is_none() => followed = Some(event.at),
                    EventKind::Purchase { .. } => purchases.push(event.at),
                    _ => {}
                }
            }
            if let Some(at) = followed.filter(|&at| window.contains(at)) {
                followers.followers += 1;
                if purchases.iter().any(|&p| p < at) {
                    followers.already_customers += 1;
                } else if let Some(&first) = purchases.iter().find(|&&p| p >= at) {
                    followers.converted += 1;
                    to_purchase.push(days(at, first));
                }
            }
        }
        to_purchase.sort_by(f64::total_cmp);
        followers.median_days_to_purchase = quantile(&to_purchase, 0.5);
        followers.p90_days_to_purchase = quantile(&to_purchase, 0.9);
        let dwell = Stage::ALL
            .into_iter()
            .zip(&mut lengths)
            .map(|(stage, lengths)| {
                lengths.sort_by(f64::total_cmp);
                StageDwell {
                    stage,
                    stays: lengths.len() as u64,
                    median_days: quantile(lengths, 0.5),
                    p90_days: quantile(lengths, 0.9),
                }
            })
            .collect();
        let stages: Vec<(Stage, u64)> = Stage::ALL.into_iter().map(|s| (s, stage_counts[s as usize])).collect();
        let phases = Phase::ALL
            .into_iter()
            .map(|p| (p, stages.iter().filter(|(s, _)| s.phase() == Some(p)).map(|(_, n)| n).sum()))
            .collect();
        Funnel { window, stages, phases, conversions, dwell, followers, left_out }
    }
}
