//! Health: one composite 0..=100 per customer, built from recency,
//! frequency, engagement, sentiment and standing, with every component
//! shown so a user can see why.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::Profiled;
use crate::score::EngagementConfig;
use crate::{CustomerBase, CustomerId, EventKind, Feedback};

/// The components of a health score, each in 0..=1, 1 healthiest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthComponents {
    /// `2^(−days since the last purchase / 90)`; 0 without a purchase.
    pub recency: f64,
    /// Purchases in the 365 days up to the as-of instant, over 4, capped at 1.
    pub frequency: f64,
    /// `1 − 2^(−engagement / 5)`, from the decayed engagement score.
    pub engagement: f64,
    /// The latest survey answer: NPS `n / 10` or CSAT `(c − 1) / 4`; 0.5
    /// (neutral) without one.
    pub sentiment: f64,
    /// 1 without unresolved complaints, 0.5 with one, 0 with more.
    pub standing: f64,
}

impl HealthComponents {
    /// The weights of the components, in field order; they sum to 1.
    pub const WEIGHTS: [f64; 5] = [0.30, 0.25, 0.15, 0.20, 0.10];

    /// The composite, 0..=100.
    ///
    /// # Formula
    ///
    /// `100 × (0.30 recency + 0.25 frequency + 0.15 engagement + 0.20
    /// sentiment + 0.10 standing)`.
    pub fn score(&self) -> f64 {
        let parts = [self.recency, self.frequency, self.engagement, self.sentiment, self.standing];
        100.0 * parts.iter().zip(Self::WEIGHTS).map(|(p, w)| p * w).sum::<f64>()
    }
}

/// One customer's health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthScore {
    /// The customer.
    pub customer: CustomerId,
    /// The composite, 0..=100.
    pub score: f64,
    /// Why.
    pub components: HealthComponents,
}

/// Health scores of a base as of an instant.
///
/// # Formula
///
/// See [`HealthComponents`]: a weighted mean of five components, each in
/// 0..=1, times 100. Only events at or before the as-of instant count.
///
/// # Example
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::score::{EngagementConfig, Health};
/// use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, Money, NewCustomer, Policy};
///
/// let mut base = CustomerBase::new(Policy::default());
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let ana = base.add_customer(NewCustomer::with_key("ana", t0))?;
/// base.apply(&Event { id: EventId::from_key("o1"), customer: ana, at: t0, channel: Channel::Web, kind: EventKind::Purchase { amount: Money::from_minor(100) } })?;
/// let health = Health::from_base(&base, &EngagementConfig::default(), t0 + TimeDelta::days(90));
/// let c = health.scores[0].components;
/// assert_eq!((c.recency, c.frequency, c.engagement, c.sentiment, c.standing), (0.5, 0.25, 0.0, 0.5, 1.0));
/// assert!((health.scores[0].score - 100.0 * (0.15 + 0.0625 + 0.1 + 0.1)).abs() < 1e-9);
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// The as-of instant.
    pub as_of: DateTime<Utc>,
    /// Every consenting customer, in the order added.
    pub scores: Vec<HealthScore>,
    /// Customers left out for withheld profiling consent.
    pub left_out: usize,
}

impl Health {
    /// Scores every consenting customer, with engagement weighted by `engagement`.
    ///
    /// # Complexity
    ///
    /// O(e) for e events.
    pub fn from_base(base: &CustomerBase, engagement: &EngagementConfig, as_of: DateTime<Utc>) -> Health {
        let Profiled { customers, left_out } = Profiled::as_of(base, as_of);
        let year_ago = as_of - TimeDelta::days(365);
        let scores = customers
            .into_iter()
            .map(|customer| {
                let (mut last_purchase, mut recent, mut engaged, mut sentiment) = (None, 0u32, 0.0, 0.5);
                let mut open_complaints = HashSet::new();
                for event in base.events(customer.id()).into_iter().flatten() {
                    if event.at > as_of {
                        break;
                    }
                    match event.kind {
                        EventKind::Purchase { .. } => {
                            last_purchase = Some(event.at);
                            recent += u32::from(event.at > year_ago);
                        }
                        EventKind::Engagement { action } => {
                            engaged += engagement.value(action, &event.channel, event.at, as_of);
                        }
                        EventKind::Feedback { feedback: Feedback::Nps(n) } => sentiment = f64::from(n.get()) / 10.0,
                        EventKind::Feedback { feedback: Feedback::Csat(c) } => sentiment = f64::from(c.get() - 1) / 4.0,
                        EventKind::Complaint => {
                            open_complaints.insert(event.id);
                        }
                        EventKind::TicketResolved { ticket } => {
                            open_complaints.remove(&ticket);
                        }
                        _ => {}
                    }
                }
                let components = HealthComponents {
                    recency: last_purchase
                        .map_or(0.0, |t| (-((as_of - t).num_milliseconds() as f64) / (90.0 * 86_400_000.0)).exp2()),
                    frequency: (f64::from(recent) / 4.0).min(1.0),
                    engagement: 1.0 - (-engaged / 5.0).exp2(),
                    sentiment,
                    standing: match open_complaints.len() {
                        0 => 1.0,
                        1 => 0.5,
                        _ => 0.0,
                    },
                };
                HealthScore { customer: customer.id(), score: components.score(), components }
            })
            .collect();
        Health { as_of, scores, left_out }
    }
}
