//! Seeded synthetic customer bases, for examples, tests and benches.
//!
//! # The generative story
//!
//! People arrive uniformly over the simulated period. On arrival each one may
//! follow the brand, and follows a few earlier people chosen by preferential
//! attachment (the chance of being followed grows with the followers one
//! already has), which gives the follow graph its power-law in-degrees. Some
//! arrivals were referred by someone they follow who already buys; the
//! referral is an event on the referrer's timeline.
//!
//! A share of the people ever buy (more of the referred ones), after an
//! exponential delay. Buyers then purchase as in the Pareto/NBD model: each
//! has a purchase rate λ ~ Gamma(r, α) and a dropout rate μ ~ Gamma(s, β);
//! they stay alive for an exponential lifetime of rate μ and, while alive,
//! purchase as a Poisson process of rate λ. Spend per purchase follows the
//! Gamma-Gamma model: each buyer's ν ~ Gamma(q, γ), each amount ~ Gamma(p, ν).
//!
//! Around the purchases: feedback (NPS answers that lean positive; a
//! detractor's share is configurable), occasional complaints (most resolved
//! within days), support tickets and refunds; engagement (visits, opens,
//! clicks, likes, comments, shares, mentions, replies) as a Poisson process
//! across channels while the person is interested; consent to contact
//! granted by some on arrival, and profiling consent withdrawn by a few.
//!
//! [`CampaignSim`] runs a campaign on top: touches to an audience, with a
//! response rate and a conversion lift (and holdout arms left untouched).
//!
//! All rates are per day. The same configuration and seed give the same
//! customers and events, bit for bit, on every platform: every person draws
//! from their own `ChaCha8` stream.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::sim::{SimOptions, Simulator};
//! use customer_lifecycle::{CustomerBase, Policy};
//!
//! let sim = Simulator::new(SimOptions { customers: 200, ..SimOptions::default() }, 7)?;
//! let mut base = CustomerBase::new(Policy::default());
//! let events = sim.populate(&mut base)?;
//! base.advance_to(sim.end());
//! assert_eq!(base.len(), 200);
//! assert_eq!(base.event_count(), events);
//! # Ok::<(), customer_lifecycle::Error>(())
//! ```

mod campaign;

pub use campaign::CampaignSim;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma};
use serde::{Deserialize, Serialize};

use crate::{
    BaseError, Channel, Consent, CustomerBase, CustomerId, EngagementAction, Event, EventId, EventKind, Feedback,
    Money, NewCustomer, NpsScore, Purpose,
};

/// The simulator's settings. Every rate is per day; every share lies in 0..=1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimOptions {
    /// How many people.
    pub customers: usize,
    /// The start of the simulated period.
    pub start: DateTime<Utc>,
    /// The length of the period, in days.
    pub days: u32,
    /// Share of people who follow the brand on arrival.
    pub follower_share: f64,
    /// Mean number of earlier people each arrival follows.
    pub mean_follows: f64,
    /// Share of arrivals referred by someone they follow (when such a buyer exists).
    pub referred_share: f64,
    /// Share of people who ever buy, among those not referred.
    pub buyer_share: f64,
    /// Share of referred people who ever buy.
    pub referred_buyer_share: f64,
    /// Mean days from arrival to the first purchase.
    pub first_purchase_delay_days: f64,
    /// Shape r of the purchase-rate distribution.
    pub purchase_shape: f64,
    /// Rate α of the purchase-rate distribution (mean rate r / α per day).
    pub purchase_rate: f64,
    /// Shape s of the dropout-rate distribution.
    pub dropout_shape: f64,
    /// Rate β of the dropout-rate distribution (mean rate s / β per day).
    pub dropout_rate: f64,
    /// Shape p of each purchase's amount.
    pub spend_shape: f64,
    /// Shape q of the spend-scale distribution.
    pub spend_scale_shape: f64,
    /// Rate γ of the spend-scale distribution (amounts in major units).
    pub spend_scale_rate: f64,
    /// Chance that a purchase is followed by an NPS answer.
    pub feedback_share: f64,
    /// Share of NPS answers from detractors (0..=6); the rest split between
    /// passives and promoters, promoters the larger part.
    pub detractor_share: f64,
    /// Chance that a purchase leads to a complaint.
    pub complaint_share: f64,
    /// Chance that a complaint is resolved.
    pub resolved_share: f64,
    /// Chance that a purchase is refunded (in full or half).
    pub refund_share: f64,
    /// Chance that a purchase leads to a support question.
    pub ticket_share: f64,
    /// Mean engagement events per day while interested.
    pub engagement_rate: f64,
    /// Share of people who grant contact consent on arrival.
    pub contact_consent_share: f64,
    /// Share of people who withdraw profiling consent at some point.
    pub profiling_withdrawal_share: f64,
}

crate::util::options_setters!(SimOptions {
    customers: usize,
    start: DateTime<Utc>,
    days: u32,
    follower_share: f64,
    mean_follows: f64,
    referred_share: f64,
    buyer_share: f64,
    referred_buyer_share: f64,
    first_purchase_delay_days: f64,
    purchase_shape: f64,
    purchase_rate: f64,
    dropout_shape: f64,
    dropout_rate: f64,
    spend_shape: f64,
    spend_scale_shape: f64,
    spend_scale_rate: f64,
    feedback_share: f64,
    detractor_share: f64,
    complaint_share: f64,
    resolved_share: f64,
    refund_share: f64,
    ticket_share: f64,
    engagement_rate: f64,
    contact_consent_share: f64,
    profiling_withdrawal_share: f64,
});

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            customers: 10_000,
            start: Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).single().expect("valid date"),
            days: 730,
            follower_share: 0.6,
            mean_follows: 3.0,
            referred_share: 0.3,
            buyer_share: 0.65,
            referred_buyer_share: 0.85,
            first_purchase_delay_days: 14.0,
            purchase_shape: 1.5,
            purchase_rate: 60.0,
            dropout_shape: 1.0,
            dropout_rate: 300.0,
            spend_shape: 6.0,
            spend_scale_shape: 4.0,
            spend_scale_rate: 15.0,
            feedback_share: 0.25,
            detractor_share: 0.15,
            complaint_share: 0.03,
            resolved_share: 0.85,
            refund_share: 0.02,
            ticket_share: 0.04,
            engagement_rate: 0.04,
            contact_consent_share: 0.4,
            profiling_withdrawal_share: 0.03,
        }
    }
}

/// An impossible simulator setting, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid simulator setting `{field}`: {reason}")]
pub struct SimError {
    /// The field.
    pub field: &'static str,
    /// What is wrong.
    pub reason: &'static str,
}

impl SimOptions {
    fn validate(&self) -> Result<(), SimError> {
        let shares = [
            ("follower_share", self.follower_share),
            ("referred_share", self.referred_share),
            ("buyer_share", self.buyer_share),
            ("referred_buyer_share", self.referred_buyer_share),
            ("feedback_share", self.feedback_share),
            ("detractor_share", self.detractor_share),
            ("complaint_share", self.complaint_share),
            ("resolved_share", self.resolved_share),
            ("refund_share", self.refund_share),
            ("ticket_share", self.ticket_share),
            ("contact_consent_share", self.contact_consent_share),
            ("profiling_withdrawal_share", self.profiling_withdrawal_share),
        ];
        for (field, value) in shares {
            if !(0.0..=1.0).contains(&value) {
                return Err(SimError { field, reason: "must lie in 0..=1" });
            }
        }
        let positive = [
            ("first_purchase_delay_days", self.first_purchase_delay_days),
            ("purchase_shape", self.purchase_shape),
            ("purchase_rate", self.purchase_rate),
            ("dropout_shape", self.dropout_shape),
            ("dropout_rate", self.dropout_rate),
            ("spend_shape", self.spend_shape),
            ("spend_scale_shape", self.spend_scale_shape),
            ("spend_scale_rate", self.spend_scale_rate),
        ];
        for (field, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(SimError { field, reason: "must be finite and positive" });
            }
        }
        for (field, value) in [("mean_follows", self.mean_follows), ("engagement_rate", self.engagement_rate)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(SimError { field, reason: "must be finite and not negative" });
            }
        }
        if self.days == 0 || self.days > 36_600 {
            return Err(SimError { field: "days", reason: "must lie in 1..=36600" });
        }
        if self.start.checked_add_signed(TimeDelta::days(i64::from(self.days) + 1)).is_none() {
            return Err(SimError { field: "start", reason: "the period must end before the calendar does" });
        }
        if u32::try_from(self.customers).is_err() {
            return Err(SimError { field: "customers", reason: "must be below 2^32" });
        }
        Ok(())
    }
}

/// Who everyone is: drawn once, in arrival order, so each person's timeline
/// can then be drawn on its own.
#[derive(Debug, Clone)]
struct Person {
    id: CustomerId,
    arrival: f64,
    follows_brand: bool,
    /// When they first buy, in days from the start, if ever.
    first_purchase: Option<f64>,
    /// Range into `World::follows`.
    follows: (u32, u32),
}

/// A seeded simulator of a customer base. See the [module docs](self) for the
/// generative story.
#[derive(Debug, Clone)]
pub struct Simulator {
    config: SimOptions,
    seed: u64,
    people: Vec<Person>,
    follows: Vec<u32>,
    /// `invitees[i]`: whom person i referred, as (person, day).
    invitations: Vec<Vec<u32>>,
}

const SECONDS_PER_DAY: f64 = 86_400.0;

impl Simulator {
    /// Draws the people and their relationships.
    ///
    /// # Errors
    ///
    /// [`SimError`] naming an impossible setting.
    ///
    /// # Complexity
    ///
    /// O(customers × mean follows); memory about 60 bytes a person. Events
    /// are drawn later, one person at a time.
    pub fn new(config: SimOptions, seed: u64) -> Result<Self, SimError> {
        config.validate()?;
        let n = config.customers;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let days = f64::from(config.days);
        let mut arrivals: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * days).collect();
        arrivals.sort_by(f64::total_cmp);
        let delay = Exp::new(1.0 / config.first_purchase_delay_days).expect("validated");
        let mut people = Vec::with_capacity(n);
        let mut follows = Vec::new();
        let mut invitations: Vec<Vec<u32>> = vec![Vec::new(); n];
        // Every person appears once, plus once per follower: drawing uniformly
        // from it is preferential attachment with one pseudo-follower each.
        let mut attachment: Vec<u32> = Vec::with_capacity(n * 4);
        for (i, &arrival) in arrivals.iter().enumerate() {
            let start = follows.len() as u32;
            if i > 0 {
                // A geometric count with the configured mean.
                let p = 1.0 / (1.0 + config.mean_follows);
                let mut count = 0;
                while rng.random::<f64>() > p && count < 50 {
                    count += 1;
                }
                for _ in 0..count.min(i) {
                    let target = attachment[rng.random_range(0..attachment.len())];
                    if !follows[start as usize..].contains(&target) {
                        follows.push(target);
                    }
                }
            }
            let followed = &follows[start as usize..];
            let referrer = if rng.random::<f64>() < config.referred_share {
                followed.iter().copied().find(|&j| {
                    let p: &Person = &people[j as usize];
                    p.first_purchase.is_some_and(|b| b <= arrival)
                })
            } else {
                None
            };
            let buys = if referrer.is_some() { config.referred_buyer_share } else { config.buyer_share };
            let first_purchase = (rng.random::<f64>() < buys).then(|| arrival + delay.sample(&mut rng));
            if let Some(r) = referrer {
                invitations[r as usize].push(i as u32);
            }
            for &target in followed {
                attachment.push(target);
            }
            attachment.push(i as u32);
            let mut id_bytes = [0u8; 16];
            rng.fill(&mut id_bytes);
            people.push(Person {
                id: CustomerId::from_uuid(uuid::Builder::from_random_bytes(id_bytes).into_uuid()),
                arrival,
                follows_brand: rng.random::<f64>() < config.follower_share,
                first_purchase,
                follows: (start, follows.len() as u32),
            });
        }
        Ok(Simulator { config, seed, people, follows, invitations })
    }

    /// The settings.
    pub fn config(&self) -> &SimOptions {
        &self.config
    }

    /// The end of the simulated period: no event is at or after it.
    pub fn end(&self) -> DateTime<Utc> {
        self.config.start + TimeDelta::days(i64::from(self.config.days))
    }

    /// The people, in arrival order, as customers to add. Keys are
    /// `"c0000001"`, `"c0000002"`, … in arrival order.
    pub fn customers(&self) -> impl ExactSizeIterator<Item = NewCustomer> + '_ {
        self.people.iter().enumerate().map(|(i, p)| NewCustomer {
            id: p.id,
            key: Some(format!("c{:07}", i + 1)),
            created_at: self.instant(p.arrival),
            consent: Consent::default(),
            attributes: std::collections::BTreeMap::new(),
        })
    }

    /// Every event, one person after another in arrival order, each
    /// person's in time order: ready to [`apply`](CustomerBase::apply) once
    /// every customer is added. Drawn lazily, one person at a time.
    pub fn events_by_customer(&self) -> impl Iterator<Item = Event> + '_ {
        (0..self.people.len()).flat_map(|i| self.timeline(i))
    }

    /// Every event in time order (ties in person order). Holds them all: for
    /// small bases.
    pub fn events(&self) -> Vec<Event> {
        let mut all: Vec<Event> = self.events_by_customer().collect();
        all.sort_by_key(|e| e.at);
        all
    }

    /// Adds every customer to `base`, then applies every event, one person
    /// at a time; returns how many events were applied.
    ///
    /// # Errors
    ///
    /// The base's error if it refuses a customer or an event (for instance a
    /// customer who is already in it).
    pub fn populate(&self, base: &mut CustomerBase) -> Result<usize, BaseError> {
        base.reserve(self.people.len(), 0);
        for customer in self.customers() {
            base.add_customer(customer)?;
        }
        let mut applied = 0;
        for event in self.events_by_customer() {
            base.apply(&event)?;
            applied += 1;
        }
        Ok(applied)
    }

    fn instant(&self, day: f64) -> DateTime<Utc> {
        self.config.start + TimeDelta::seconds((day * SECONDS_PER_DAY) as i64)
    }

    /// One person's events, in time order.
    fn timeline(&self, i: usize) -> Vec<Event> {
        let c = &self.config;
        let person = &self.people[i];
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(i as u64 + 1));
        let end = f64::from(c.days);
        let mut out = Timeline { events: Vec::new(), customer: person.id, sim: self };
        let t0 = person.arrival;
        if person.follows_brand {
            out.push(&mut rng, t0, Channel::Twitter, EventKind::Follow { of: None });
        }
        for &j in &self.follows[person.follows.0 as usize..person.follows.1 as usize] {
            out.push(&mut rng, t0, Channel::Facebook, EventKind::Follow { of: Some(self.people[j as usize].id) });
        }
        if rng.random::<f64>() < c.contact_consent_share {
            out.push(&mut rng, t0, Channel::Web, EventKind::ConsentChange { purpose: Purpose::Contact, granted: true });
        }
        for &k in &self.invitations[i] {
            let invitee = &self.people[k as usize];
            out.push(&mut rng, invitee.arrival, Channel::Email, EventKind::Referral { invitee: invitee.id });
        }
        // Interest in the brand: until a while after the last purchase for
        // buyers, a few months for the others.
        let mut interest_end = t0 + Exp::new(1.0 / 120.0).expect("positive").sample(&mut rng);
        if let Some(first) = person.first_purchase {
            let lambda = Gamma::new(c.purchase_shape, 1.0 / c.purchase_rate).expect("validated").sample(&mut rng);
            let mu = Gamma::new(c.dropout_shape, 1.0 / c.dropout_rate).expect("validated").sample(&mut rng);
            let nu = Gamma::new(c.spend_scale_shape, 1.0 / c.spend_scale_rate).expect("validated").sample(&mut rng);
            let spend = Gamma::new(c.spend_shape, 1.0 / nu).expect("positive scale");
            let death = first + Exp::new(mu).map_or(f64::INFINITY, |d| d.sample(&mut rng));
            let gap = Exp::new(lambda).ok();
            let mut t = first;
            while t < end.min(death) {
                let amount = Money::from_minor((spend.sample(&mut rng) * 100.0).round().min(1e9) as i64);
                let purchase = out.push(&mut rng, t, Channel::Web, EventKind::Purchase { amount });
                self.aftermath(&mut out, &mut rng, t, purchase, amount);
                t += gap.map_or(f64::INFINITY, |g| g.sample(&mut rng).max(1.0 / 24.0));
            }
            interest_end = interest_end.max(death.min(t) + 60.0);
        }
        if c.engagement_rate > 0.0 {
            let rate = c.engagement_rate * Exp::new(1.0).expect("positive").sample(&mut rng);
            if let Ok(gap) = Exp::new(rate) {
                let mut t = t0 + gap.sample(&mut rng);
                while t < interest_end.min(end) {
                    let (action, channel) = engagement(&mut rng);
                    out.push(&mut rng, t, channel, EventKind::Engagement { action });
                    t += gap.sample(&mut rng);
                }
            }
        }
        if rng.random::<f64>() < c.profiling_withdrawal_share {
            let at = t0 + rng.random::<f64>() * (end - t0);
            out.push(
                &mut rng,
                at,
                Channel::Web,
                EventKind::ConsentChange { purpose: Purpose::Profiling, granted: false },
            );
        }
        let mut events = out.events;
        events.retain(|(day, _)| *day < end);
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        events.into_iter().map(|(_, e)| e).collect()
    }

    /// Feedback, complaints, tickets and refunds around one purchase.
    fn aftermath(&self, out: &mut Timeline<'_>, rng: &mut ChaCha8Rng, t: f64, purchase: EventId, amount: Money) {
        let c = &self.config;
        let soon = Exp::new(1.0 / 3.0).expect("positive");
        if rng.random::<f64>() < c.feedback_share {
            let u = rng.random::<f64>();
            let answer = if u < c.detractor_share {
                rng.random_range(0..=6)
            } else if u < c.detractor_share + (1.0 - c.detractor_share) * 0.4 {
                rng.random_range(7..=8)
            } else {
                rng.random_range(9..=10)
            };
            let feedback = Feedback::Nps(NpsScore::new(answer).expect("in range"));
            let at = t + soon.sample(rng);
            out.push(rng, at, Channel::Email, EventKind::Feedback { feedback });
        }
        for (share, complaint) in [(c.complaint_share, true), (c.ticket_share, false)] {
            if rng.random::<f64>() < share {
                let opened = t + soon.sample(rng);
                let kind = if complaint { EventKind::Complaint } else { EventKind::TicketOpened };
                let ticket = out.push(rng, opened, Channel::Support, kind);
                if rng.random::<f64>() < c.resolved_share {
                    let resolved = opened + 2.0 * soon.sample(rng);
                    out.push(rng, resolved, Channel::Support, EventKind::TicketResolved { ticket });
                }
            }
        }
        if rng.random::<f64>() < c.refund_share {
            let refunded = if rng.random::<bool>() { amount } else { Money::from_minor(amount.minor_units() / 2) };
            let at = t + soon.sample(rng);
            out.push(rng, at, Channel::Web, EventKind::Refund { amount: refunded, purchase });
        }
    }
}

struct Timeline<'a> {
    events: Vec<(f64, Event)>,
    customer: CustomerId,
    sim: &'a Simulator,
}

impl Timeline<'_> {
    fn push(&mut self, rng: &mut ChaCha8Rng, day: f64, channel: Channel, kind: EventKind) -> EventId {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes);
        let id = EventId::from_uuid(uuid::Builder::from_random_bytes(bytes).into_uuid());
        let at = self.sim.instant(day);
        self.events.push((day, Event { id, customer: self.customer, at, channel, kind }));
        id
    }
}

fn engagement(rng: &mut ChaCha8Rng) -> (EngagementAction, Channel) {
    use EngagementAction::{Click, Comment, Like, Mention, Open, Reply, Share, Visit};
    const ACTIONS: [(EngagementAction, f64); 8] = [
        (Visit, 0.30),
        (Open, 0.20),
        (Click, 0.15),
        (Like, 0.14),
        (Comment, 0.07),
        (Share, 0.07),
        (Mention, 0.04),
        (Reply, 0.03),
    ];
    const SOCIAL: [Channel; 5] =
        [Channel::Facebook, Channel::Twitter, Channel::Blog, Channel::Youtube, Channel::Foursquare];
    let mut u = rng.random::<f64>();
    let action = ACTIONS
        .iter()
        .find(|(_, w)| {
            u -= w;
            u < 0.0
        })
        .map_or(Reply, |&(a, _)| a);
    let channel = match action {
        Visit if rng.random::<f64>() < 0.2 => Channel::Store,
        Visit => Channel::Web,
        Open | Click => Channel::Email,
        _ => SOCIAL[rng.random_range(0..SOCIAL.len())].clone(),
    };
    (action, channel)
}
