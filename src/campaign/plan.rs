//! [`Campaign`]: what ran, where, when, for whom and at what cost.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::CampaignError;
use crate::{CampaignId, Channel, CustomerId, Money};

/// What sort of campaign it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CampaignKind {
    /// A contest: entrants compete for a prize.
    Contest,
    /// A sweepstake: entrants win by chance.
    Sweepstake,
    /// A promotion: a discount or an offer.
    Promotion,
    /// A newsletter.
    Newsletter,
    /// A drive for feedback (surveys, reviews).
    FeedbackCollection,
    /// Paid advertising.
    Ad,
    /// Anything else.
    Other,
}

/// Whom a campaign was meant for: a set of customers (for instance the
/// members of a segment, taken when the campaign was planned).
///
/// Serialises as the sorted list of ids.
///
/// # Example
///
/// ```
/// use customer_lifecycle::CustomerId;
/// use customer_lifecycle::campaign::Audience;
///
/// let audience: Audience = ["ana", "bo", "ana"].into_iter().map(CustomerId::from_key).collect();
/// assert_eq!(audience.len(), 2);
/// assert!(audience.contains(CustomerId::from_key("bo")));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Audience(BTreeSet<CustomerId>);

impl Audience {
    /// Whether the customer is in the audience.
    pub fn contains(&self, customer: CustomerId) -> bool {
        self.0.contains(&customer)
    }

    /// How many customers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the audience is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The customers, in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = CustomerId> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<CustomerId> for Audience {
    fn from_iter<I: IntoIterator<Item = CustomerId>>(iter: I) -> Self {
        Audience(iter.into_iter().collect())
    }
}

/// A marketing campaign: a contest, a sweepstake, a promotion, a newsletter,
/// a feedback drive, an ad.
///
/// Its touches and responses are [`Touch`](crate::EventKind::Touch) and
/// [`Response`](crate::EventKind::Response) events naming its id. A report
/// counts the touches within its period (`start..=end`) and, when it has an
/// [`Audience`], only those of the audience's members. The channels describe
/// where it ran; a touch's own channel is what the
/// [`TimingProfile`](super::TimingProfile) reads.
///
/// Built with [`Campaign::builder`], which checks the settings; serialises
/// as a plain object and deserialises through the same checks.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use customer_lifecycle::campaign::{Campaign, CampaignKind};
/// use customer_lifecycle::{CampaignId, Channel};
///
/// let start = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
/// let quiz = Campaign::builder(CampaignId::from_key("quiz"), "Summer quiz", CampaignKind::Contest)
///     .channel(Channel::Facebook)
///     .channel(Channel::Twitter)
///     .period(start, start + chrono::TimeDelta::days(30))
///     .cost("1500.00".parse()?)
///     .build()?;
/// assert_eq!(quiz.channels(), &[Channel::Facebook, Channel::Twitter]);
/// assert!(Campaign::builder(quiz.id(), "", CampaignKind::Contest).build().is_err());
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CampaignBuilder", into = "CampaignBuilder")]
pub struct Campaign {
    id: CampaignId,
    name: String,
    kind: CampaignKind,
    channels: Vec<Channel>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    cost: Money,
    audience: Option<Audience>,
}

impl Campaign {
    /// A builder with no channels, the widest period, zero cost and no
    /// audience.
    pub fn builder(id: CampaignId, name: impl Into<String>, kind: CampaignKind) -> CampaignBuilder {
        CampaignBuilder {
            id,
            name: name.into(),
            kind,
            channels: Vec::new(),
            start: DateTime::<Utc>::MIN_UTC,
            end: DateTime::<Utc>::MAX_UTC,
            cost: Money::ZERO,
            audience: None,
        }
    }

    /// The id its touches and responses name.
    pub fn id(&self) -> CampaignId {
        self.id
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its kind.
    pub fn kind(&self) -> CampaignKind {
        self.kind
    }

    /// Where it ran.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// When it started: touches before are not counted.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// When it ended: touches after are not counted.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// What it cost.
    pub fn cost(&self) -> Money {
        self.cost
    }

    /// Whom it was for, if it was for some customers only.
    pub fn audience(&self) -> Option<&Audience> {
        self.audience.as_ref()
    }

    /// Whether a touch of `customer` at `at` counts for this campaign: within
    /// its period, and in its audience if it has one.
    pub(crate) fn counts(&self, customer: CustomerId, at: DateTime<Utc>) -> bool {
        at >= self.start && at <= self.end && self.audience.as_ref().is_none_or(|a| a.contains(customer))
    }
}

/// Builds a [`Campaign`]; also its serde form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignBuilder {
    id: CampaignId,
    name: String,
    kind: CampaignKind,
    #[serde(default)]
    channels: Vec<Channel>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    cost: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audience: Option<Audience>,
}

impl CampaignBuilder {
    /// Adds a channel it runs on (once; a repeat is ignored).
    #[must_use]
    pub fn channel(mut self, channel: Channel) -> Self {
        if !self.channels.contains(&channel) {
            self.channels.push(channel);
        }
        self
    }

    /// Sets the period, both ends included.
    #[must_use]
    pub fn period(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.start = start;
        self.end = end;
        self
    }

    /// Sets the cost.
    #[must_use]
    pub fn cost(mut self, cost: Money) -> Self {
        self.cost = cost;
        self
    }

    /// Limits it to an audience.
    #[must_use]
    pub fn audience(mut self, audience: Audience) -> Self {
        self.audience = Some(audience);
        self
    }

    /// The campaign.
    ///
    /// # Errors
    ///
    /// [`CampaignError::EmptyName`], [`CampaignError::EndBeforeStart`] or
    /// [`CampaignError::NegativeCost`].
    pub fn build(self) -> Result<Campaign, CampaignError> {
        let campaign = self.id;
        if self.name.trim().is_empty() {
            return Err(CampaignError::EmptyName { campaign });
        }
        if self.end < self.start {
            return Err(CampaignError::EndBeforeStart { campaign, start: self.start, end: self.end });
        }
        if self.cost.is_negative() {
            return Err(CampaignError::NegativeCost { campaign, cost: self.cost });
        }
        let CampaignBuilder { id, name, kind, channels, start, end, cost, audience } = self;
        Ok(Campaign { id, name, kind, channels, start, end, cost, audience })
    }
}

impl TryFrom<CampaignBuilder> for Campaign {
    type Error = CampaignError;

    fn try_from(builder: CampaignBuilder) -> Result<Self, CampaignError> {
        builder.build()
    }
}

impl From<Campaign> for CampaignBuilder {
    fn from(c: Campaign) -> Self {
        let Campaign { id, name, kind, channels, start, end, cost, audience } = c;
        CampaignBuilder { id, name, kind, channels, start, end, cost, audience }
    }
}
