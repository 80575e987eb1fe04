//! The structured driver of a [`CustomerBase`]: a model of arbitrary calls
//! on the public API, and the laws every run keeps.
//!
//! This one file is shared: the proptest in `tests/driver.rs` decodes random
//! bytes into a [`Run`], and the cargo-fuzz target `base_driver` (in `fuzz/`,
//! which includes this file by path) lets the fuzzer choose them. Both go
//! through [`Run::check`], so they check the same laws:
//!
//! - no call panics;
//! - a refused call (an `Err`) leaves the base equal to a clone taken before
//!   it, and so does re-sending an event that the base calls a
//!   [`Duplicate`](Applied::Duplicate);
//! - an added customer is in the base, a forgotten one is not;
//! - the snapshot of the base, written as JSON and read back, is a base equal
//!   to it, wherever a [`Op::RoundTrip`] asks and at the end of every run.
//!
//! It asserts nothing about *which* calls are refused: the model makes plenty
//! of calls that are refused today (events out of order, unknown customers,
//! refunds of unknown purchases, illegal moves) or accepted, and the laws hold
//! either way.

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use customer_lifecycle::{
    CampaignId, Channel, Consent, CustomerBase, CustomerId, Event, EventId, EventKind, Money, NewCustomer, Policy,
    Purpose, Stage,
    base::Applied,
    customer::{AttributeValue, ConsentState},
    event::{CsatScore, EngagementAction, Feedback, NpsScore},
};

/// The most operations one run makes; the rest of a long input is ignored,
/// which keeps each fuzzer execution short.
pub const MAX_OPS: usize = 256;

/// One run: the policy, then the calls. Decode one with
/// [`Run::from_bytes`].
#[derive(Debug)]
pub struct Run {
    /// Windows of days instead of months, so that dormancy, churn and loyalty
    /// come within the reach of a few steps of the clock.
    pub short_windows: bool,
    /// The calls, in order.
    pub ops: Vec<Op>,
}

/// One call on the base. Decoded with weights (see the `Arbitrary` impl):
/// mostly new events, rarely a forget or a round trip.
#[derive(Debug, Clone)]
pub enum Op {
    /// [`CustomerBase::add_customer`]: a keyed customer (keys repeat, so some
    /// adds are duplicates), or one with a bare id.
    Add { who: NewWho, when: When, consent: (bool, bool), attributes: [Option<(Name, Attr)>; 2] },
    /// [`CustomerBase::apply`] of a new event.
    Apply(EventSpec),
    /// [`CustomerBase::apply`] of an event accepted before (even if its
    /// customer was forgotten since), as it was or altered: a duplicate with
    /// the same or a different payload.
    Resend { pick: u8, alter: Alter },
    /// [`CustomerBase::advance_to`].
    AdvanceTo(When),
    /// [`CustomerBase::transition`] to any stage, legal or not.
    Transition { who: Who, to: u8, when: When, note: bool },
    /// [`CustomerBase::set_attribute`], NaN and infinities included.
    SetAttribute { who: Who, name: Name, value: Attr },
    /// [`CustomerBase::remove_attribute`].
    RemoveAttribute { who: Who, name: Name },
    /// [`CustomerBase::forget`].
    Forget(Who),
    /// Writes the snapshot as JSON, reads it back, checks that it is equal,
    /// and goes on with the base read back.
    RoundTrip,
}

/// A customer to add.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum NewWho {
    /// `NewCustomer::with_key`, from a handful of keys.
    Keyed(u8),
    /// `NewCustomer::new` with an id and no key.
    Bare(u8),
}

/// A customer to name in a call: below 200, one of the base's customers,
/// counted from the latest added; below 232, one of the customers the run
/// tried to add (perhaps refused or forgotten since); from 232 on, a customer
/// never added.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Who(u8);

/// Whom a referral or follow names: below 16, the event's own customer;
/// from 16 on, the customer that the same number names as a [`Who`] (by
/// chance, perhaps the event's own).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Target(u8);

/// An instant, relative to the run's clock, which starts on 2024-01-01.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum When {
    /// The clock as it stands.
    Now,
    /// Moves the clock forward by this many minutes.
    Minutes(u8),
    /// Moves the clock forward by this many hours.
    Hours(u8),
    /// Moves the clock forward by this many days.
    Days(u8),
    /// An instant off the clock, which stays.
    Off(Off),
}

/// An instant off the run's clock.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Off {
    /// This many hours before the clock.
    Before(u16),
    /// Any second since 1970 that chrono can represent; the clock stays.
    Unix(i64),
    /// The earliest instant chrono represents.
    Min,
    /// The latest instant chrono represents.
    Max,
}

/// An attribute name, from a few (one empty, one not ASCII).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Name(u8);

/// An attribute value.
#[derive(Debug, Clone, Arbitrary)]
pub enum Attr {
    /// One of a few texts (one empty, one with quotes, a control character
    /// and a character outside the basic plane).
    Text(u8),
    /// An integer.
    Integer(i64),
    /// Any float (random bits are rarely NaN or infinite).
    Number(f64),
    /// NaN, infinity or minus infinity, which the base refuses.
    NotFinite(u8),
    /// A flag.
    Bool(bool),
    /// A date, from its day number (out of range: the epoch).
    Date(i32),
}

/// A new event.
#[derive(Debug, Clone, Arbitrary)]
pub struct EventSpec {
    /// Whose.
    pub who: Who,
    /// When.
    pub when: When,
    /// Where.
    pub channel: ChannelPick,
    /// Below 224, a fresh id; from 224 on, the id of an event tried
    /// before, counted from the latest.
    pub id: u8,
    /// What.
    pub kind: KindSpec,
}

/// A channel: a named one, or one of a few other names (one of them `web`,
/// the name of a named channel).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum ChannelPick {
    /// [`Channel::NAMED`], modulo its length.
    Named(u8),
    /// [`Channel::Other`].
    Other(u8),
}

/// An amount of money.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Amount {
    /// Up to 655.35.
    Cents(u16),
    /// Whole units, up to 255.00.
    Units(u8),
    /// Nothing: a free order, or an empty refund.
    Zero,
    /// Any number of minor units, negative and extreme ones included.
    Minor(i64),
}

/// An event named by a refund or a resolution: below 200, one of the
/// purchases (for a refund) or tickets and complaints (for a resolution) that
/// the base accepted, the event's own customer's if they have one, counted
/// from the latest; below 232, any event tried before; from 232 on, an id
/// never used.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Earlier(u8);

/// What happened, one variant per [`EventKind`].
#[derive(Debug, Clone, Arbitrary)]
pub enum KindSpec {
    /// [`EventKind::Purchase`].
    Purchase(Amount),
    /// [`EventKind::Refund`].
    Refund(Amount, Earlier),
    /// [`EventKind::Engagement`].
    Engagement(u8),
    /// [`EventKind::Feedback`] with an NPS answer (modulo 11).
    Nps(u8),
    /// [`EventKind::Feedback`] with a CSAT answer (1 + modulo 5).
    Csat(u8),
    /// [`EventKind::TicketOpened`].
    TicketOpened,
    /// [`EventKind::Complaint`].
    Complaint,
    /// [`EventKind::TicketResolved`].
    TicketResolved(Earlier),
    /// [`EventKind::Referral`].
    Referral(Target),
    /// [`EventKind::Follow`]: the brand (`None`) or a customer.
    Follow(Option<Target>),
    /// [`EventKind::ConsentChange`].
    ConsentChange { contact: bool, granted: bool },
    /// [`EventKind::Touch`], of one of a few campaigns.
    Touch(u8),
    /// [`EventKind::Response`].
    Response(u8, u8),
}

/// How a re-sent event differs from the one tried before.
#[derive(Debug, Clone, Arbitrary)]
pub enum Alter {
    /// Not at all.
    Same,
    /// Another instant.
    At(When),
    /// Another customer.
    Customer(Who),
    /// Another channel.
    Channel(ChannelPick),
    /// Another kind.
    Kind(KindSpec),
}

/// What the runs did: per operation (and per event kind), how many calls were
/// accepted and how many refused. The laws are checked as the run goes; this
/// is for tests that the model reaches both outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally(pub BTreeMap<String, (usize, usize)>);

impl Tally {
    fn count(&mut self, what: &str, accepted: bool) {
        let entry = self.0.entry(what.to_owned()).or_default();
        if accepted {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }

    /// Calls of `what` accepted and refused.
    pub fn get(&self, what: &str) -> (usize, usize) {
        self.0.get(what).copied().unwrap_or_default()
    }
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..120 => Op::Apply(u.arbitrary()?),
            120..136 => Op::Resend { pick: u.arbitrary()?, alter: u.arbitrary()? },
            136..166 => Op::Add {
                who: u.arbitrary()?,
                when: u.arbitrary()?,
                consent: u.arbitrary()?,
                attributes: u.arbitrary()?,
            },
            166..186 => Op::AdvanceTo(u.arbitrary()?),
            186..210 => {
                Op::Transition { who: u.arbitrary()?, to: u.arbitrary()?, when: u.arbitrary()?, note: u.arbitrary()? }
            }
            210..226 => Op::SetAttribute { who: u.arbitrary()?, name: u.arbitrary()?, value: u.arbitrary()? },
            226..236 => Op::RemoveAttribute { who: u.arbitrary()?, name: u.arbitrary()? },
            236..246 => Op::Forget(u.arbitrary()?),
            246.. => Op::RoundTrip,
        })
    }
}

const KEYS: [&str; 6] = ["ana", "bo", "cy", "dee", "", "émile"];
const NAMES: [&str; 5] = ["region", "score", "", "vip", "ñ"];
const TEXTS: [&str; 4] = ["north", "", "a \"quoted\\ word\u{0}", "🦀"];
const OTHER_CHANNELS: [&str; 4] = ["web", "", "kiosk", "Ärger"];

/// Decodes one operation after the other until the bytes run out (so every
/// input is a run, and a longer input a longer run), at most [`MAX_OPS`] of
/// them. The fuzz target takes a `Run`, so `cargo fuzz fmt base_driver
/// <input>` prints the calls an input stands for.
impl<'a> Arbitrary<'a> for Run {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let short_windows = bool::arbitrary(u)?;
        let mut ops = Vec::new();
        while ops.len() < MAX_OPS && !u.is_empty() {
            ops.push(Op::arbitrary(u)?);
        }
        Ok(Run { short_windows, ops })
    }
}

impl Run {
    /// Decodes a run from raw bytes, as the fuzz target does.
    pub fn from_bytes(bytes: &[u8]) -> Run {
        Run::arbitrary_take_rest(Unstructured::new(bytes)).expect("every input decodes")
    }

    /// Makes the calls, checking the laws after each and the snapshot round
    /// trip at the end; panics when a law is broken.
    pub fn check(&self, tally: &mut Tally) {
        let policy = if self.short_windows {
            Policy::builder()
                .satisfied_after_days(2)
                .loyal_min_purchases(3)
                .loyal_min_span_days(4)
                .loyal_max_idle_days(6)
                .dormant_after_days(8)
                .churned_after_days(20)
                .build()
                .expect("the short policy is valid")
        } else {
            Policy::default()
        };
        let mut driver = Driver {
            base: CustomerBase::new(policy),
            now: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
            customers: Vec::new(),
            events: Vec::new(),
            accepted: Vec::new(),
            fresh: 0,
        };
        for op in self.ops.iter().take(MAX_OPS) {
            driver.step(op, tally);
        }
        driver.round_trip();
    }
}

struct Driver {
    base: CustomerBase,
    /// The run's clock.
    now: DateTime<Utc>,
    /// Every customer id the run tried to add.
    customers: Vec<CustomerId>,
    /// Every event the run tried to apply, accepted or not.
    events: Vec<Event>,
    /// The events the base accepted as new.
    accepted: Vec<Event>,
    /// A counter for fresh event ids.
    fresh: u64,
}

/// Picks `items[len - 1 - i % len]`: small numbers name recent items.
fn recent<T>(items: &[T], i: u8) -> Option<&T> {
    let len = items.len();
    (len > 0).then(|| &items[len - 1 - usize::from(i) % len])
}

impl Driver {
    fn step(&mut self, op: &Op, tally: &mut Tally) {
        let before = self.base.clone();
        let (what, outcome): (&str, Result<bool, String>) = match op {
            Op::Add { who, when, consent, attributes } => {
                let new = self.new_customer(*who, *when, *consent, attributes);
                let id = new.id;
                self.customers.push(id);
                let outcome = self.base.add_customer(new);
                if outcome.is_ok() {
                    assert!(self.base.contains(id), "{op:?} was accepted but the customer is not in the base");
                }
                ("add_customer", outcome.map(|_| true).map_err(|e| e.to_string()))
            }
            Op::Apply(spec) => {
                let event = self.event(spec);
                self.apply(event)
            }
            Op::Resend { pick, alter } => {
                let Some(mut event) = recent(&self.accepted, *pick).cloned() else { return };
                match alter {
                    Alter::Same => {}
                    Alter::At(when) => event.at = self.at(*when),
                    Alter::Customer(who) => event.customer = self.who(*who),
                    Alter::Channel(channel) => event.channel = channel_of(*channel),
                    Alter::Kind(kind) => event.kind = self.kind(kind, event.customer),
                }
                let (_, outcome) = self.apply(event);
                ("resend", outcome)
            }
            Op::AdvanceTo(when) => {
                let at = self.at(*when);
                self.base.advance_to(at);
                ("advance_to", Ok(true))
            }
            Op::Transition { who, to, when, note } => {
                let (id, at) = (self.who(*who), self.at(*when));
                let to = Stage::ALL[usize::from(*to) % Stage::ALL.len()];
                let note = if *note { "moved by hand" } else { "" };
                ("transition", self.base.transition(id, to, at, note).map(|()| true).map_err(|e| e.to_string()))
            }
            Op::SetAttribute { who, name, value } => {
                let id = self.who(*who);
                let outcome = self.base.set_attribute(id, name.get(), value.get());
                ("set_attribute", outcome.map(|()| true).map_err(|e| e.to_string()))
            }
            Op::RemoveAttribute { who, name } => {
                let id = self.who(*who);
                (
                    "remove_attribute",
                    self.base.remove_attribute(id, name.get()).map(|_| true).map_err(|e| e.to_string()),
                )
            }
            Op::Forget(who) => {
                let id = self.who(*who);
                let outcome = self.base.forget(id);
                if outcome.is_ok() {
                    assert!(!self.base.contains(id), "{op:?} was accepted but the customer is still in the base");
                }
                ("forget", outcome.map(|_| true).map_err(|e| e.to_string()))
            }
            Op::RoundTrip => {
                self.round_trip();
                ("round_trip", Ok(true))
            }
        };
        match outcome {
            Ok(changed) => {
                if !changed {
                    assert!(self.base == before, "{op:?} was a duplicate but changed the base");
                }
                tally.count(what, true);
            }
            Err(error) => {
                assert!(self.base == before, "{op:?} was refused ({error}) but changed the base");
                tally.count(what, false);
            }
        }
    }

    /// Applies an event; `Ok(false)` for a duplicate. The tally names the kind.
    fn apply(&mut self, event: Event) -> (&'static str, Result<bool, String>) {
        let outcome = self.base.apply(&event);
        let what = event.kind.name();
        // New and revised events both join the base; only a duplicate
        // leaves it as it was.
        let joined = matches!(outcome, Ok(applied) if applied != Applied::Duplicate);
        if joined {
            self.accepted.push(event.clone());
        }
        self.events.push(event);
        (what, outcome.map(|applied| applied != Applied::Duplicate).map_err(|e| e.to_string()))
    }

    /// The snapshot, as JSON and back, is the same base; the run goes on
    /// with the copy read back.
    fn round_trip(&mut self) {
        let json = self.base.to_json();
        let back = CustomerBase::from_json(&json)
            .unwrap_or_else(|e| panic!("the snapshot of a base was refused when read back: {e}\n{json}"));
        assert!(back == self.base, "the snapshot read back differs from the base\n{json}");
        self.base = back;
    }

    fn at(&mut self, when: When) -> DateTime<Utc> {
        let forward = |now: DateTime<Utc>, step: TimeDelta| now.checked_add_signed(step).unwrap_or(now);
        let step = match when {
            When::Now => TimeDelta::zero(),
            When::Minutes(m) => TimeDelta::minutes(i64::from(m)),
            When::Hours(h) => TimeDelta::hours(i64::from(h)),
            When::Days(d) => TimeDelta::days(i64::from(d)),
            When::Off(Off::Before(h)) => {
                return self.now.checked_sub_signed(TimeDelta::hours(i64::from(h))).unwrap_or(self.now);
            }
            When::Off(Off::Unix(seconds)) => return DateTime::from_timestamp(seconds, 0).unwrap_or(self.now),
            When::Off(Off::Min) => return DateTime::<Utc>::MIN_UTC,
            When::Off(Off::Max) => return DateTime::<Utc>::MAX_UTC,
        };
        self.now = forward(self.now, step);
        self.now
    }

    fn who(&self, who: Who) -> CustomerId {
        let unknown = |i: u8| CustomerId::from_key(&format!("nobody-{i}"));
        let Who(i) = who;
        let known = match i {
            0..200 => {
                let len = self.base.len();
                (len > 0).then(|| self.base.customers().nth(len - 1 - usize::from(i) % len).unwrap().id())
            }
            200..232 => recent(&self.customers, i).copied(),
            232.. => None,
        };
        known.unwrap_or_else(|| unknown(i))
    }

    fn new_customer(
        &mut self,
        who: NewWho,
        when: When,
        consent: (bool, bool),
        attributes: &[Option<(Name, Attr)>],
    ) -> NewCustomer {
        let at = self.at(when);
        let mut new = match who {
            NewWho::Keyed(i) => NewCustomer::with_key(KEYS[usize::from(i) % KEYS.len()], at),
            NewWho::Bare(i) => NewCustomer::new(CustomerId::from_key(&format!("bare-{i}")), at),
        };
        new = new.consent(Consent {
            profiling: ConsentState { granted: consent.0, changed_at: None },
            contact: ConsentState { granted: consent.1, changed_at: consent.1.then_some(at) },
        });
        for (name, value) in attributes.iter().flatten() {
            new = new.attribute(name.get(), value.get());
        }
        new
    }

    fn event(&mut self, spec: &EventSpec) -> Event {
        let customer = self.who(spec.who);
        let reused = spec.id.checked_sub(224).and_then(|i| recent(&self.events, i));
        let id = if let Some(earlier) = reused {
            earlier.id
        } else {
            self.fresh += 1;
            EventId::from_key(&format!("event-{}", self.fresh))
        };
        let at = self.at(spec.when);
        let kind = self.kind(&spec.kind, customer);
        Event { id, customer, at, channel: channel_of(spec.channel), kind }
    }

    fn kind(&self, spec: &KindSpec, customer: CustomerId) -> EventKind {
        let target = |Target(i): Target| if i < 16 { customer } else { self.who(Who(i)) };
        let action = |i: u8| EngagementAction::ALL[usize::from(i) % EngagementAction::ALL.len()];
        let campaign = |i: u8| CampaignId::from_key(&format!("campaign-{}", i % 4));
        match *spec {
            KindSpec::Purchase(amount) => EventKind::Purchase { amount: amount.get() },
            KindSpec::Refund(amount, purchase) => EventKind::Refund {
                amount: amount.get(),
                purchase: self.earlier(purchase, customer, |k| matches!(k, EventKind::Purchase { .. })),
            },
            KindSpec::Engagement(i) => EventKind::Engagement { action: action(i) },
            KindSpec::Nps(n) => EventKind::Feedback { feedback: Feedback::Nps(NpsScore::new(n % 11).unwrap()) },
            KindSpec::Csat(n) => EventKind::Feedback { feedback: Feedback::Csat(CsatScore::new(1 + n % 5).unwrap()) },
            KindSpec::TicketOpened => EventKind::TicketOpened,
            KindSpec::Complaint => EventKind::Complaint,
            KindSpec::TicketResolved(ticket) => EventKind::TicketResolved {
                ticket: self.earlier(ticket, customer, |k| matches!(k, EventKind::TicketOpened | EventKind::Complaint)),
            },
            KindSpec::Referral(invitee) => EventKind::Referral { invitee: target(invitee) },
            KindSpec::Follow(of) => EventKind::Follow { of: of.map(target) },
            KindSpec::ConsentChange { contact, granted } => EventKind::ConsentChange {
                purpose: if contact { Purpose::Contact } else { Purpose::Profiling },
                granted,
            },
            KindSpec::Touch(i) => EventKind::Touch { campaign: campaign(i) },
            KindSpec::Response(i, a) => EventKind::Response { campaign: campaign(i), action: action(a) },
        }
    }

    fn earlier(&self, earlier: Earlier, customer: CustomerId, fits: impl Fn(&EventKind) -> bool) -> EventId {
        let Earlier(i) = earlier;
        let found = match i {
            0..200 => {
                let fitting: Vec<&Event> = self.accepted.iter().filter(|e| fits(&e.kind)).collect();
                let own: Vec<&Event> = fitting.iter().copied().filter(|e| e.customer == customer).collect();
                recent(&own, i).or_else(|| recent(&fitting, i)).copied()
            }
            200..232 => recent(&self.events, i),
            232.. => None,
        };
        found.map_or_else(|| EventId::from_key(&format!("never-sent-{i}")), |e| e.id)
    }
}

fn channel_of(pick: ChannelPick) -> Channel {
    match pick {
        ChannelPick::Named(i) => Channel::NAMED[usize::from(i) % Channel::NAMED.len()].clone(),
        ChannelPick::Other(i) => Channel::Other(OTHER_CHANNELS[usize::from(i) % OTHER_CHANNELS.len()].to_owned()),
    }
}

impl Name {
    fn get(self) -> &'static str {
        NAMES[usize::from(self.0) % NAMES.len()]
    }
}

impl Attr {
    fn get(&self) -> AttributeValue {
        match self {
            Attr::Text(i) => AttributeValue::Text(TEXTS[usize::from(*i) % TEXTS.len()].to_owned()),
            Attr::Integer(n) => AttributeValue::Integer(*n),
            Attr::Number(x) => AttributeValue::Number(*x),
            Attr::NotFinite(i) => {
                AttributeValue::Number([f64::NAN, f64::INFINITY, f64::NEG_INFINITY][usize::from(*i) % 3])
            }
            Attr::Bool(b) => AttributeValue::Bool(*b),
            Attr::Date(days) => AttributeValue::Date(NaiveDate::from_num_days_from_ce_opt(*days).unwrap_or_default()),
        }
    }
}

impl Amount {
    fn get(self) -> Money {
        match self {
            Amount::Cents(cents) => Money::from_minor(i64::from(cents)),
            Amount::Units(units) => Money::from_minor(100 * i64::from(units)),
            Amount::Zero => Money::ZERO,
            Amount::Minor(minor) => Money::from_minor(minor),
        }
    }
}
