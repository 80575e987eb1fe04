//! Events: what a customer did, or what happened to them, at an instant on a
//! channel. A [`CustomerBase`](crate::CustomerBase) derives every customer's
//! stage from the events applied to it. [`Event`], [`EventKind`],
//! [`Channel`] and [`Purpose`] are also at the crate root.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use customer_lifecycle::event::{Feedback, NpsScore};
//! use customer_lifecycle::{Channel, CustomerId, Event, EventId, EventKind};
//!
//! let survey = Event {
//!     id: EventId::from_key("survey-17"),
//!     customer: CustomerId::from_key("ana"),
//!     at: Utc.with_ymd_and_hms(2024, 3, 9, 18, 0, 0).unwrap(),
//!     channel: Channel::Email,
//!     kind: EventKind::Feedback { feedback: Feedback::Nps(NpsScore::new(9)?) },
//! };
//! assert_eq!(survey.kind.name(), "feedback");
//! assert!(NpsScore::new(11).is_err()); // scores are checked where they are made
//! # Ok::<(), customer_lifecycle::Error>(())
//! ```

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ScoreRangeError;
use crate::{CampaignId, CustomerId, EventId, Money};

/// One thing that happened to one customer.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use customer_lifecycle::{Channel, CustomerId, Event, EventId, EventKind, Money};
///
/// let purchase = Event {
///     id: EventId::from_key("order-1001"),
///     customer: CustomerId::from_key("cust-42"),
///     at: Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap(),
///     channel: Channel::Web,
///     kind: EventKind::Purchase { amount: "19.99".parse()? },
/// };
/// let json = serde_json::to_string(&purchase)?;
/// assert!(json.contains(r#""kind":{"type":"purchase","amount":"19.99"}"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The event's id; re-sending the same event is a no-op.
    pub id: EventId,
    /// The customer it belongs to.
    pub customer: CustomerId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Where it happened.
    pub channel: Channel,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
///
/// Serialises internally tagged, `{"type": "purchase", "amount": "12.00"}`,
/// with snake-case tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A purchase. A zero amount is a valid free order; a negative one is an
    /// error (a return is a [`Refund`](EventKind::Refund)).
    Purchase {
        /// What the customer paid.
        amount: Money,
    },
    /// Money returned for an earlier purchase of the same customer. The
    /// refunds of one purchase never add up to more than it.
    Refund {
        /// How much was returned (not negative).
        amount: Money,
        /// The purchase refunded.
        purchase: EventId,
    },
    /// An interaction with the brand: a like, a visit, an opened email, …
    Engagement {
        /// The kind of interaction.
        action: EngagementAction,
    },
    /// An answer to a feedback survey.
    Feedback {
        /// The answer.
        feedback: Feedback,
    },
    /// A support ticket was opened (a question, not a complaint).
    TicketOpened,
    /// A complaint: it counts against the customer's standing until a
    /// [`TicketResolved`](EventKind::TicketResolved) names it.
    Complaint,
    /// A ticket or complaint was resolved.
    TicketResolved {
        /// The [`TicketOpened`](EventKind::TicketOpened) or
        /// [`Complaint`](EventKind::Complaint) event resolved; it must be the
        /// same customer's and still open.
        ticket: EventId,
    },
    /// The customer referred someone. The invitee must already be in the base
    /// (at least as a prospect) and must not be the customer.
    Referral {
        /// Who was referred.
        invitee: CustomerId,
    },
    /// The customer followed the brand (`of: None`) or another customer. A
    /// follower is not yet a customer.
    Follow {
        /// Whom they followed: `None` is the brand itself.
        of: Option<CustomerId>,
    },
    /// The customer granted or withdrew consent for a purpose.
    ConsentChange {
        /// The purpose.
        purpose: Purpose,
        /// Granted (`true`) or withdrawn (`false`).
        granted: bool,
    },
    /// A campaign reached the customer on the event's channel (a mail sent,
    /// an ad shown, a contest announced to them). A touch changes no
    /// lifecycle fact; the [`campaign`](crate::campaign) module reads it.
    Touch {
        /// The campaign.
        campaign: CampaignId,
    },
    /// The customer engaged with a campaign (opened its mail, clicked it,
    /// entered the contest). Like a touch it changes no lifecycle fact: the
    /// response is the campaign's, and an [`Engagement`](EventKind::Engagement)
    /// is what counts towards the customer's own standing.
    Response {
        /// The campaign.
        campaign: CampaignId,
        /// How they engaged.
        action: EngagementAction,
    },
}

impl EventKind {
    /// The snake-case name of the kind, as it appears in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Purchase { .. } => "purchase",
            EventKind::Refund { .. } => "refund",
            EventKind::Engagement { .. } => "engagement",
            EventKind::Feedback { .. } => "feedback",
            EventKind::TicketOpened => "ticket_opened",
            EventKind::Complaint => "complaint",
            EventKind::TicketResolved { .. } => "ticket_resolved",
            EventKind::Referral { .. } => "referral",
            EventKind::Follow { .. } => "follow",
            EventKind::ConsentChange { .. } => "consent_change",
            EventKind::Touch { .. } => "touch",
            EventKind::Response { .. } => "response",
        }
    }

    /// The campaign a [`Touch`](EventKind::Touch) or
    /// [`Response`](EventKind::Response) is attributed to; `None` for every
    /// other kind.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::{CampaignId, EventKind, event::EngagementAction};
    ///
    /// let spring = CampaignId::from_key("spring-sale");
    /// let kind = EventKind::Response { campaign: spring, action: EngagementAction::Click };
    /// assert_eq!(kind.campaign(), Some(spring));
    /// assert_eq!(EventKind::Complaint.campaign(), None);
    /// ```
    pub fn campaign(&self) -> Option<CampaignId> {
        match *self {
            EventKind::Touch { campaign } | EventKind::Response { campaign, .. } => Some(campaign),
            _ => None,
        }
    }
}

/// A kind of interaction with the brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EngagementAction {
    /// Liked a post.
    Like,
    /// Commented on a post.
    Comment,
    /// Shared the brand's content publicly.
    Share,
    /// Mentioned the brand publicly.
    Mention,
    /// Replied to the brand.
    Reply,
    /// Visited a page or a store.
    Visit,
    /// Opened a message.
    Open,
    /// Clicked a link.
    Click,
}

impl EngagementAction {
    /// Every action, in declaration order.
    pub const ALL: [EngagementAction; 8] = [
        EngagementAction::Like,
        EngagementAction::Comment,
        EngagementAction::Share,
        EngagementAction::Mention,
        EngagementAction::Reply,
        EngagementAction::Visit,
        EngagementAction::Open,
        EngagementAction::Click,
    ];

    /// Whether the action speaks for the brand in public (a share or a
    /// mention): advocacy, as the evangelist rule counts it.
    pub const fn is_public_advocacy(self) -> bool {
        matches!(self, EngagementAction::Share | EngagementAction::Mention)
    }
}

/// Where an event happened.
///
/// Serialises in snake case (`"web"`, `"youtube"`); [`Channel::Other`] as
/// `{"other": "name"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Channel {
    /// A physical store.
    Store,
    /// The brand's web site.
    Web,
    /// Email.
    Email,
    /// Facebook.
    Facebook,
    /// Twitter / X.
    Twitter,
    /// A blog.
    Blog,
    /// Youtube.
    Youtube,
    /// Foursquare.
    Foursquare,
    /// The telephone.
    Phone,
    /// The support desk.
    Support,
    /// Any other channel, by name.
    Other(String),
}

impl Channel {
    /// The named channels, in declaration order (without [`Channel::Other`]).
    pub const NAMED: [Channel; 10] = [
        Channel::Store,
        Channel::Web,
        Channel::Email,
        Channel::Facebook,
        Channel::Twitter,
        Channel::Blog,
        Channel::Youtube,
        Channel::Foursquare,
        Channel::Phone,
        Channel::Support,
    ];

    /// The channel's snake-case name; for [`Channel::Other`], its own name.
    pub fn name(&self) -> &str {
        match self {
            Channel::Store => "store",
            Channel::Web => "web",
            Channel::Email => "email",
            Channel::Facebook => "facebook",
            Channel::Twitter => "twitter",
            Channel::Blog => "blog",
            Channel::Youtube => "youtube",
            Channel::Foursquare => "foursquare",
            Channel::Phone => "phone",
            Channel::Support => "support",
            Channel::Other(name) => name,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A purpose a customer consents to, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Purpose {
    /// Being scored, predicted and segmented.
    Profiling,
    /// Being contacted by campaigns.
    Contact,
}

/// An answer to a feedback survey.
///
/// Serialises as `{"nps": 9}` or `{"csat": 4}`; out-of-range answers are
/// rejected when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Feedback {
    /// A Net Promoter answer, 0..=10.
    Nps(NpsScore),
    /// A customer-satisfaction answer, 1..=5.
    Csat(CsatScore),
}

macro_rules! bounded_score {
    ($(#[$doc:meta])* $name:ident, $scale:literal, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "u8")]
        pub struct $name(u8);

        impl $name {
            #[doc = concat!("The answer, if it lies in ", stringify!($min), "..=", stringify!($max), ".")]
            ///
            /// # Errors
            ///
            /// [`ScoreRangeError`] when it does not.
            pub fn new(value: u8) -> Result<Self, ScoreRangeError> {
                Self::try_from(i64::from(value))
            }

            /// The answer.
            pub const fn get(self) -> u8 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = ScoreRangeError;

            fn try_from(value: i64) -> Result<Self, ScoreRangeError> {
                if ($min..=$max).contains(&value) {
                    Ok(Self(value as u8))
                } else {
                    Err(ScoreRangeError { scale: $scale, value, min: $min, max: $max })
                }
            }
        }

        impl From<$name> for u8 {
            fn from(score: $name) -> u8 {
                score.0
            }
        }
    };
}

bounded_score!(
    /// A Net Promoter answer ("how likely are you to recommend us?"), 0..=10.
    ///
    /// ```
    /// use customer_lifecycle::event::NpsScore;
    /// assert_eq!(NpsScore::new(9)?.get(), 9);
    /// assert!(NpsScore::new(11).is_err());
    /// # Ok::<(), customer_lifecycle::error::ScoreRangeError>(())
    /// ```
    NpsScore,
    "NPS",
    0,
    10
);

bounded_score!(
    /// A customer-satisfaction answer, 1 (very dissatisfied) ..= 5 (very
    /// satisfied).
    CsatScore,
    "CSAT",
    1,
    5
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_snake_case() {
        let kind = EventKind::TicketResolved { ticket: EventId::from_key("t") };
        let json = serde_json::to_string(&kind).unwrap();
        assert!(json.starts_with(r#"{"type":"ticket_resolved""#), "{json}");
        assert_eq!(serde_json::to_string(&Channel::Youtube).unwrap(), r#""youtube""#);
        assert_eq!(serde_json::to_string(&Channel::Other("tiktok".into())).unwrap(), r#"{"other":"tiktok"}"#);
        assert_eq!(serde_json::to_string(&Feedback::Nps(NpsScore::new(3).unwrap())).unwrap(), r#"{"nps":3}"#);
        let touch = EventKind::Touch { campaign: CampaignId::from_key("c") };
        let json = serde_json::to_string(&touch).unwrap();
        assert_eq!(json, format!(r#"{{"type":"touch","campaign":"{}"}}"#, CampaignId::from_key("c")));
        let response = EventKind::Response { campaign: CampaignId::from_key("c"), action: EngagementAction::Click };
        assert!(serde_json::to_string(&response).unwrap().starts_with(r#"{"type":"response","campaign":"#));
        for kind in [EventKind::TicketOpened, EventKind::Complaint] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!(r#"{{"type":"{}"}}"#, kind.name()));
        }
    }

    #[test]
    fn out_of_range_answers_do_not_deserialise() {
        assert!(serde_json::from_str::<Feedback>(r#"{"nps":11}"#).is_err());
        assert!(serde_json::from_str::<Feedback>(r#"{"nps":-1}"#).is_err());
        assert!(serde_json::from_str::<Feedback>(r#"{"csat":0}"#).is_err());
        assert_eq!(
            serde_json::from_str::<Feedback>(r#"{"csat":5}"#).unwrap(),
            Feedback::Csat(CsatScore::new(5).unwrap())
        );
    }
}
