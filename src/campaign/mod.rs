//! Campaigns and experiments: what a contest, a promotion or a newsletter
//! did — in customers who bought, moved up the ladder or came back, not in
//! followers — and how to test the next one.
//!
//! The path from events to answers:
//!
//! 1. A [`Campaign`] says what ran: its kind, channels, period, cost and
//!    optional [`Audience`].
//! 2. [`Touch`](crate::EventKind::Touch) and
//!    [`Response`](crate::EventKind::Response) events, applied to a
//!    [`CustomerBase`](crate::CustomerBase) like any other, say whom it
//!    reached and who engaged.
//! 3. [`Campaign::report`] (or [`report`] for several campaigns that share
//!    the credit) attributes purchases to touches by an
//!    [`AttributionModel`] within a conversion window and returns a
//!    [`CampaignReport`]: reach, response and conversion rates, attributed
//!    revenue, [`Roi`], cost per new customer and the movement up the
//!    ladder, broken down by the stage each customer stood at when touched.
//! 4. An [`Experiment`] assigns customers to arms by a stable hash; its
//!    [`ArmOutcome`]s compare by [`ProportionTest`] (conversion),
//!    [`WelchTest`] (revenue per customer) and [`Uplift`];
//!    [`sample_size_per_arm`] plans the next test.
//! 5. A [`TimingProfile`] says at which hour of the week each channel's
//!    touches are answered, ranked by the lower bound of a Wilson interval.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use customer_lifecycle::campaign::{AttributionOptions, Campaign, CampaignKind};
//! use customer_lifecycle::{CampaignId, Channel, CustomerBase, Event, EventId, EventKind, Money, NewCustomer, Policy};
//!
//! let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
//! let spring = Campaign::builder(CampaignId::from_key("spring"), "Spring sale", CampaignKind::Promotion)
//!     .channel(Channel::Email)
//!     .period(t0, t0 + TimeDelta::days(14))
//!     .cost("100.00".parse()?)
//!     .build()?;
//!
//! let mut base = CustomerBase::new(Policy::default());
//! let ana = base.add_customer(NewCustomer::with_key("ana", t0))?;
//! let event = |key: &str, days: i64, kind| Event {
//!     id: EventId::from_key(key),
//!     customer: ana,
//!     at: t0 + TimeDelta::days(days),
//!     channel: Channel::Email,
//!     kind,
//! };
//! base.apply(&event("mail", 1, EventKind::Touch { campaign: spring.id() }))?;
//! base.apply(&event("order", 3, EventKind::Purchase { amount: "250.00".parse()? }))?;
//!
//! let report = spring.report(&base, AttributionOptions::default())?;
//! assert_eq!(report.reached, 1);
//! assert_eq!(report.new_customers, 1);
//! assert_eq!(report.attributed_revenue, Money::from_minor(25_000));
//! assert_eq!(report.roi.ratio(), Some(1.5)); // (250 − 100) / 100
//! # Ok::<(), customer_lifecycle::Error>(())
//! ```

// The statistics are written with the textbook's one-letter names (n, p, z).
#![allow(clippy::many_single_char_names)]

mod attribution;
mod experiment;
mod plan;
mod report;
pub(crate) mod stats;
mod stats_tests;
mod timing;

pub use attribution::{AttributionModel, AttributionOptions};
pub use experiment::{Arm, ArmOutcome, Covariate, Experiment, assignment_hash};
pub use plan::{Audience, Campaign, CampaignBuilder, CampaignKind};
pub use report::{CampaignReport, Roi, StageBreakdown, report};
pub use stats_tests::{
    BayesianEffect, ConfidenceSequence, Correction, CrossSums, Cuped, Effect, EffectTest, MidExperimentPower, Moments,
    Proportion, ProportionTest, SampleRatioTest, Sums, Uplift, WelchTest, adjust_p_values, sample_size_per_arm,
};
pub use timing::{HourOfWeek, TimingCell, TimingProfile};

use chrono::{DateTime, Utc};

use crate::{CampaignId, Money, MoneyError};

/// What went wrong in a campaign, a report or an experiment.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CampaignError {
    /// A campaign needs a name.
    #[error("campaign {campaign}: the name is empty")]
    EmptyName {
        /// The campaign.
        campaign: CampaignId,
    },
    /// A campaign ends before it starts.
    #[error("campaign {campaign}: ends at {end}, before it starts at {start}")]
    EndBeforeStart {
        /// The campaign.
        campaign: CampaignId,
        /// The start given.
        start: DateTime<Utc>,
        /// The end given.
        end: DateTime<Utc>,
    },
    /// A campaign's cost is negative.
    #[error("campaign {campaign}: negative cost {cost}")]
    NegativeCost {
        /// The campaign.
        campaign: CampaignId,
        /// The cost given.
        cost: Money,
    },
    /// The same campaign twice in one report.
    #[error("campaign {campaign} appears twice in one report")]
    DuplicateCampaign {
        /// The campaign.
        campaign: CampaignId,
    },
    /// A conversion or response window that is not positive.
    #[error("the {window} window must be positive, not {seconds} seconds")]
    InvalidWindow {
        /// Which window (`"conversion"`, `"response"`).
        window: &'static str,
        /// The length given, in seconds.
        seconds: i64,
    },
    /// An experiment needs at least one arm.
    #[error("an experiment needs at least one arm")]
    NoArms,
    /// An arm with a zero weight can never be assigned.
    #[error("arm {arm:?} has weight zero")]
    ZeroWeight {
        /// The arm's name.
        arm: String,
    },
    /// Two arms with one name.
    #[error("two arms are named {arm:?}")]
    DuplicateArm {
        /// The name.
        arm: String,
    },
    /// The weights add up to more than fit in 32 bits.
    #[error("arm weights add up to {total}, more than {max}", max = u32::MAX)]
    WeightsTooLarge {
        /// Their sum.
        total: u64,
    },
    /// A group with no customers in it.
    #[error("group {group} has no customers")]
    EmptyGroup {
        /// Which group (`"a"`, `"b"`).
        group: &'static str,
    },
    /// A group with fewer than two values has no sample variance.
    #[error("group {group} has {n} values; the test needs at least two")]
    TooFewValues {
        /// Which group (`"a"`, `"b"`).
        group: &'static str,
        /// How many values it has.
        n: u64,
    },
    /// More conversions than customers.
    #[error("group {group}: {conversions} conversions out of {n} customers")]
    ConversionsAboveCount {
        /// Which group (`"a"`, `"b"`).
        group: &'static str,
        /// The conversions given.
        conversions: u64,
        /// The customers given.
        n: u64,
    },
    /// Nobody, or everybody, converted: the pooled rate is 0 or 1 and the
    /// test statistic is undefined.
    #[error("the pooled conversion rate is {rate}: the z statistic is undefined")]
    DegeneratePooledRate {
        /// The pooled rate.
        rate: f64,
    },
    /// A rate or probability outside the open interval (0, 1).
    #[error("{name} must lie strictly between 0 and 1, not {value}")]
    OutsideUnitInterval {
        /// Which quantity (`"baseline"`, `"alpha"`, …).
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A lift of zero needs infinitely many customers.
    #[error("the lift must not be zero")]
    ZeroLift,
    /// A sample size beyond 2⁵³ per arm (or not finite): past that a float
    /// no longer counts customers one by one, and the lift is too small to
    /// detect with any real population.
    #[error(
        "baseline {baseline}, lift {lift}, alpha {alpha}, power {power} need {size:e} customers per arm, more than 2^53"
    )]
    SampleSizeTooLarge {
        /// The baseline given.
        baseline: f64,
        /// The lift given.
        lift: f64,
        /// The alpha given.
        alpha: f64,
        /// The power given.
        power: f64,
        /// The size computed, rounded up (may be infinite).
        size: f64,
    },
    /// A mean or variance that is not finite, or a negative variance.
    #[error("group {group}: {what} must be finite{extra}, not {value}")]
    InvalidMoment {
        /// Which group (`"a"`, `"b"`).
        group: &'static str,
        /// `"mean"` or `"variance"`.
        what: &'static str,
        /// `" and not negative"` for a variance.
        extra: &'static str,
        /// The value given.
        value: f64,
    },
    /// Both groups have zero variance: the t statistic is undefined.
    #[error("both groups have zero variance: the t statistic is undefined")]
    ZeroVariance,
    /// A relative effect over a control arm whose mean is zero.
    #[error("the control arm's mean is zero: a relative effect is undefined")]
    ZeroControlMean,
    /// A ratio metric whose denominator sums to zero.
    #[error("the ratio's denominator sums to zero")]
    ZeroDenominator,
    /// A regression adjustment on a covariate that does not vary.
    #[error("the covariate does not vary: the adjustment is undefined")]
    ZeroCovariateVariance,
    /// A computation whose result is not a finite number.
    #[error("the {what} is not a finite number")]
    NotFinite {
        /// Which quantity.
        what: &'static str,
    },
    /// A confidence sequence's tuning parameter that is not finite and positive.
    #[error("the tuning parameter N* must be finite and positive, not {value}")]
    InvalidTuning {
        /// The value given.
        value: f64,
    },
    /// A test across arms given fewer than two.
    #[error("the test needs at least two arms, not {arms}")]
    TooFewArms {
        /// How many were given.
        arms: usize,
    },
    /// Weights not one per arm.
    #[error("{weights} weights for {arms} arms")]
    WeightCount {
        /// How many weights.
        weights: usize,
        /// How many arms.
        arms: usize,
    },
    /// A weight that is not finite and positive.
    #[error("weight {index} must be finite and positive, not {value}")]
    InvalidWeight {
        /// Its position (0-based).
        index: usize,
        /// The value given.
        value: f64,
    },
    /// No p-values to adjust.
    #[error("no p-values to adjust")]
    NoPValues,
    /// A p-value outside [0, 1].
    #[error("p-value {index} must lie in [0, 1], not {value}")]
    InvalidPValue {
        /// Its position (0-based).
        index: usize,
        /// The value given.
        value: f64,
    },
    /// More units needed than fit in 64 bits.
    #[error("{needed:e} more units needed, more than fit in 64 bits")]
    TooManyUnits {
        /// The units computed (may be infinite).
        needed: f64,
    },
    /// A customer with no value of the covariate.
    #[error("customer {customer} has no covariate value")]
    MissingCovariate {
        /// The customer.
        customer: crate::CustomerId,
    },
    /// An amount overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}
