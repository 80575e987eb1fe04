//! [`CustomerBase`]: the in-memory store. It holds customers and their
//! events, applies each event through the [`Policy`] rules so that every
//! customer's [`Stage`] stays current, and keeps the journal from which a
//! snapshot is written and a forgotten customer's traces are rebuilt away.

mod error;
mod snapshot;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use error::BaseError;
pub use snapshot::{JournalEntry, Snapshot, SnapshotError};

use crate::customer::Customer;
use crate::event::{EngagementAction, Feedback, Purpose};
use crate::lifecycle::{Reason, Transition};
use crate::{
    AttributeValue, CampaignId, Channel, Consent, CustomerId, Event, EventId, EventKind, Money, NewCustomer, Phase,
    Policy, Stage,
};

type FixedMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
type FixedSet<K> = HashSet<K, foldhash::fast::FixedState>;

/// The in-memory store of customers and their events.
///
/// Every event goes through [`apply`](CustomerBase::apply), which validates it,
/// records it and re-derives the customer's stage by the [`Policy`]; time-based
/// rules (satisfaction after a quiet month, dormancy, churn, a lapsed loyalty
/// window) fire at the exact instant their window closes, when the customer's
/// next event arrives or when [`advance_to`](CustomerBase::advance_to) runs the
/// clock forward. The base never reads the clock itself.
///
/// Each customer's events are applied in time order (equal instants are
/// fine); an older one is an [`OutOfOrder`](BaseError::OutOfOrder) error.
/// Customers are independent of each other, so a stream sorted per customer
/// is enough. A refused call returns an error and changes nothing.
///
/// # Example
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, NewCustomer, Policy, Stage};
///
/// let mut base = CustomerBase::new(Policy::default());
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let ana = base.add_customer(NewCustomer::with_key("ana", t0))?;
///
/// let buy = |n: u32, days: i64| Event {
///     id: EventId::from_key(&format!("order-{n}")),
///     customer: ana,
///     at: t0 + TimeDelta::days(days),
///     channel: Channel::Web,
///     kind: EventKind::Purchase { amount: "25.00".parse().unwrap() },
/// };
/// base.apply(&buy(1, 1))?;
/// assert_eq!(base.get(ana).unwrap().stage(), Stage::New);
/// base.apply(&buy(2, 10))?;
/// assert_eq!(base.get(ana).unwrap().stage(), Stage::Repeat);
///
/// // Four months without a purchase: dormant, dated the day the window closed.
/// base.advance_to(t0 + TimeDelta::days(200));
/// let ana = base.get(ana).unwrap();
/// assert_eq!(ana.stage(), Stage::Dormant);
/// assert_eq!(ana.history().last().unwrap().at, t0 + TimeDelta::days(130));
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerBase {
    policy: Policy,
    slots: Vec<Slot>,
    by_id: FixedMap<CustomerId, u32>,
    /// Every event id in the base; the payload lives in its customer's slot.
    event_ids: FixedSet<EventId>,
    /// Names of [`Channel::Other`] channels, interned.
    other_channels: Vec<String>,
    other_channel_codes: FixedMap<String, u32>,
    /// Campaigns named by touches and responses, interned so that a record
    /// stays as small as it was before campaigns existed.
    campaigns: Vec<CampaignId>,
    campaign_codes: FixedMap<CampaignId, u32>,
    journal: Vec<Entry>,
    advances: Vec<DateTime<Utc>>,
    event_count: usize,
}

/// One customer and everything the base keeps about them.
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    customer: Customer,
    initial_consent: Consent,
    records: Vec<Record>,
    /// Who referred this customer, and when.
    referrers: Vec<(u32, DateTime<Utc>)>,
    /// Positions in `records` of open tickets and complaints.
    open_tickets: Vec<u32>,
}

/// An event in compact form: the customer is implied by the slot, other
/// customers and events are positions, channels are codes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Record {
    pub(crate) id: EventId,
    pub(crate) at: DateTime<Utc>,
    /// A channel code: the position in [`Channel::NAMED`], or past it an
    /// interned other channel.
    pub(crate) channel: u32,
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Purchase(Money),
    Refund {
        amount: Money,
        purchase: u32,
    },
    Engagement(EngagementAction),
    Feedback(Feedback),
    TicketOpened,
    Complaint,
    TicketResolved {
        ticket: u32,
    },
    Referral {
        invitee: u32,
    },
    Follow {
        of: Option<u32>,
    },
    Consent {
        purpose: Purpose,
        granted: bool,
    },
    /// A campaign code: see [`CustomerBase::campaign_code_of`].
    Touch {
        campaign: u32,
    },
    Response {
        campaign: u32,
        action: EngagementAction,
    },
}

/// The campaign code of a touch or response whose campaign is not yet
/// interned; [`CustomerBase::apply`] replaces it once the event is valid.
const PENDING_CAMPAIGN: u32 = u32::MAX;

/// One successful mutating call, in order. Replaying the journal rebuilds
/// the base exactly; it is what a snapshot stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// A customer was added (slot).
    Add(u32),
    /// The slot's next record was applied.
    Event(u32),
    /// The slot's next explicit transition was made.
    Transition(u32),
    /// `advances[i]` was passed to `advance_to`.
    Advance(u32),
}

/// What [`CustomerBase::apply`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// The event was new and is now part of the base.
    New,
    /// The same event (same id, same payload) was applied before; nothing changed.
    Duplicate,
}

/// What [`CustomerBase::forget`] erased.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgetReport {
    /// The customer's own events.
    pub events: usize,
    /// Other customers' events that named them (referrals of them, follows of them).
    pub references: usize,
    /// Their attributes.
    pub attributes: usize,
    /// The moves in their history.
    pub transitions: usize,
    /// Other customers' explicit moves that are no longer legal once the
    /// references are gone, and were dropped.
    pub dropped_moves: usize,
}

/// How many customers stand at each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StageCounts {
    counts: [usize; 8],
}

impl StageCounts {
    /// Customers at `stage`.
    pub fn get(&self, stage: Stage) -> usize {
        self.counts[stage as usize]
    }

    /// Customers whose stage is in `phase`.
    pub fn phase(&self, phase: Phase) -> usize {
        Stage::ALL.iter().filter(|s| s.phase() == Some(phase)).map(|&s| self.get(s)).sum()
    }

    /// Customers off the ladder (dormant or churned).
    pub fn off_ladder(&self) -> usize {
        self.get(Stage::Dormant) + self.get(Stage::Churned)
    }

    /// All customers.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// `(stage, count)` for every stage, in [`Stage::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Stage, usize)> + '_ {
        Stage::ALL.into_iter().map(|s| (s, self.get(s)))
    }
}

const NAMED_CHANNELS: u32 = Channel::NAMED.len() as u32;

impl CustomerBase {
    /// An empty base that runs `policy`.
    pub fn new(policy: Policy) -> Self {
        CustomerBase {
            policy,
            slots: Vec::new(),
            by_id: FixedMap::default(),
            event_ids: FixedSet::default(),
            other_channels: Vec::new(),
            other_channel_codes: FixedMap::default(),
            campaigns: Vec::new(),
            campaign_codes: FixedMap::default(),
            journal: Vec::new(),
            advances: Vec::new(),
            event_count: 0,
        }
    }

    /// The policy the base runs.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// How many customers the base holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the base holds no customer.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many events the base holds.
    pub fn event_count(&self) -> usize {
        self.event_count
    }

    /// The latest instant passed to [`advance_to`](CustomerBase::advance_to).
    pub fn advanced_to(&self) -> Option<DateTime<Utc>> {
        self.advances.iter().copied().max()
    }

    /// Reserves room for `customers` more customers and `events` more events.
    pub fn reserve(&mut self, customers: usize, events: usize) {
        self.slots.reserve(customers);
        self.by_id.reserve(customers);
        self.event_ids.reserve(events);
        self.journal.reserve(customers + events);
    }

    /// Releases spare capacity, for a base that is done growing.
    pub fn shrink_to_fit(&mut self) {
        for slot in &mut self.slots {
            slot.records.shrink_to_fit();
        }
        self.slots.shrink_to_fit();
        self.journal.shrink_to_fit();
        self.event_ids.shrink_to_fit();
        self.by_id.shrink_to_fit();
    }

    /// Adds a customer, at stage [`Stage::Prospect`].
    ///
    /// # Errors
    ///
    /// [`BaseError::DuplicateCustomer`] if the id is taken;
    /// [`BaseError::InvalidAttribute`] for a non-finite number.
    pub fn add_customer(&mut self, new: NewCustomer) -> Result<CustomerId, BaseError> {
        if self.by_id.contains_key(&new.id) {
            return Err(BaseError::DuplicateCustomer { customer: new.id });
        }
        if let Some((key, _)) = new.attributes.iter().find(|(_, v)| !v.is_valid()) {
            return Err(invalid_number(new.id, key));
        }
        let id = new.id;
        let index = u32::try_from(self.slots.len()).expect("fewer than 2^32 customers");
        let initial_consent = new.consent;
        self.slots.push(Slot {
            customer: Customer::from_new(new),
            initial_consent,
            records: Vec::new(),
            referrers: Vec::new(),
            open_tickets: Vec::new(),
        });
        self.by_id.insert(id, index);
        self.journal.push(Entry::Add(index));
        Ok(id)
    }

    /// The customer with this id.
    pub fn get(&self, id: CustomerId) -> Option<&Customer> {
        self.by_id.get(&id).map(|&i| &self.slots[i as usize].customer)
    }

    /// The customer added with this external key.
    pub fn get_by_key(&self, key: &str) -> Option<&Customer> {
        self.get(CustomerId::from_key(key)).filter(|c| c.key() == Some(key))
    }

    /// Whether the customer is in the base.
    pub fn contains(&self, id: CustomerId) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Every customer, in the order they were added.
    pub fn customers(&self) -> impl ExactSizeIterator<Item = &Customer> + '_ {
        self.slots.iter().map(|s| &s.customer)
    }

    /// The customer's events in the order they were applied, or `None` for an
    /// unknown customer.
    pub fn events(&self, id: CustomerId) -> Option<impl ExactSizeIterator<Item = Event> + '_> {
        let &slot = self.by_id.get(&id)?;
        let records = &self.slots[slot as usize].records;
        Some((0..records.len()).map(move |pos| self.event_at(slot, pos)))
    }

    /// A customer's consent as it stood at `at`: their consent at creation
    /// with every consent change up to `at` applied.
    pub fn consent_at(&self, id: CustomerId, at: DateTime<Utc>) -> Option<Consent> {
        let slot = &self.slots[*self.by_id.get(&id)? as usize];
        let mut consent = slot.initial_consent;
        for record in slot.records.iter().take_while(|r| r.at <= at) {
            if let Kind::Consent { purpose, granted } = record.kind {
                consent.set(purpose, granted, record.at);
            }
        }
        Some(consent)
    }

    /// A customer's stage as it stood at `at` (`None` for an unknown
    /// customer, or before they were added): as this base's history has it
    /// where the base has evaluated them up to `at`, else found by running
    /// their rules on to `at` as [`advance_to`](CustomerBase::advance_to)
    /// would, on a copy.
    pub(crate) fn stage_at(&self, id: CustomerId, at: DateTime<Utc>) -> Option<Stage> {
        let customer = self.get(id).filter(|c| c.created_at() <= at)?;
        if customer.engine.clock >= at {
            let history = customer.history();
            let moved = history.partition_point(|t| t.at <= at);
            return Some(moved.checked_sub(1).map_or(Stage::Prospect, |i| history[i].to));
        }
        let mut ahead = customer.clone();
        run_until(&mut ahead, at, &self.policy, true);
        settle(&mut ahead, at, &self.policy);
        Some(ahead.stage())
    }

    /// How many customers stand at each stage.
    pub fn stage_counts(&self) -> StageCounts {
        let mut counts = StageCounts::default();
        for slot in &self.slots {
            counts.counts[slot.customer.stage() as usize] += 1;
        }
        counts
    }

    /// Sets an attribute of a customer.
    ///
    /// # Errors
    ///
    /// [`BaseError::UnknownCustomer`]; [`BaseError::InvalidAttribute`] for a
    /// non-finite number.
    pub fn set_attribute(
        &mut self,
        id: CustomerId,
        key: impl Into<String>,
        value: impl Into<AttributeValue>,
    ) -> Result<(), BaseError> {
        let slot = self.slot_index(id)?;
        let (key, value) = (key.into(), value.into());
        if !value.is_valid() {
            return Err(invalid_number(id, &key));
        }
        self.slots[slot].customer.attributes_mut().insert(key, value);
        Ok(())
    }

    /// Removes an attribute of a customer and returns it.
    ///
    /// # Errors
    ///
    /// [`BaseError::UnknownCustomer`].
    pub fn remove_attribute(&mut self, id: CustomerId, key: &str) -> Result<Option<AttributeValue>, BaseError> {
        let slot = self.slot_index(id)?;
        Ok(self.slots[slot].customer.attributes_mut().remove(key))
    }

    /// Applies one event: validates it, records it, and re-derives the
    /// customer's stage (and, for a first purchase, that of whoever referred
    /// them).
    ///
    /// # Errors
    ///
    /// Every [`BaseError`] that an event can cause: an unknown customer, an
    /// event before the customer's creation or older than their last update, a
    /// negative amount, a refund of an unknown purchase or of more than was
    /// paid, a resolution of an unknown ticket, a referral or follow of oneself
    /// or of an unknown customer, or an id seen before with a different
    /// payload. The base is unchanged after an error.
    ///
    /// # Complexity
    ///
    /// O(1) expected, except refunds and ticket resolutions, which look
    /// through the customer's own events.
    pub fn apply(&mut self, event: &Event) -> Result<Applied, BaseError> {
        if self.event_ids.contains(&event.id) {
            // A re-sent event names its own customer; an id that is not among
            // that customer's events belongs to someone else's event.
            let same = self.by_id.get(&event.customer).is_some_and(|&owner| {
                let records = &self.slots[owner as usize].records;
                records.iter().rposition(|r| r.id == event.id).is_some_and(|pos| self.event_at(owner, pos) == *event)
            });
            return if same {
                Ok(Applied::Duplicate)
            } else {
                Err(BaseError::ConflictingDuplicate { event: event.id })
            };
        }
        let slot = self.slot_index(event.customer)?;
        let mut kind = self.validate(slot, event)?;
        if let Kind::Touch { campaign } | Kind::Response { campaign, .. } = &mut kind {
            *campaign = self.campaign_code(event.kind.campaign().expect("touches and responses name a campaign"));
        }
        let channel = self.channel_code(&event.channel);
        self.commit(slot, Record { id: event.id, at: event.at, channel, kind });
        Ok(Applied::New)
    }

    /// Applies events in order, stopping at the first error.
    ///
    /// # Errors
    ///
    /// The first event's error, with its position in the sequence; the events
    /// before it stay applied.
    pub fn apply_all<I: IntoIterator<Item = Event>>(&mut self, events: I) -> Result<usize, (usize, BaseError)> {
        let mut applied = 0;
        for (i, event) in events.into_iter().enumerate() {
            if self.apply(&event).map_err(|e| (i, e))? == Applied::New {
                applied += 1;
            }
        }
        Ok(applied)
    }

    /// Runs the time-based rules of every customer up to `now`: whoever
    /// crossed a window since their last update moves, dated the instant the
    /// window closed. Customers already evaluated past `now` are left as they
    /// are.
    ///
    /// # Complexity
    ///
    /// O(customers + moves).
    pub fn advance_to(&mut self, now: DateTime<Utc>) {
        for slot in &mut self.slots {
            if slot.customer.engine.clock < now {
                run_until(&mut slot.customer, now, &self.policy, true);
                settle(&mut slot.customer, now, &self.policy);
            }
        }
        let index = u32::try_from(self.advances.len()).expect("fewer than 2^32 advances");
        self.advances.push(now);
        self.journal.push(Entry::Advance(index));
    }

    /// Moves a customer explicitly, after running their rules up to `at`.
    /// The move stands until the rules derive a different stage from new
    /// events or the passage of time.
    ///
    /// # Errors
    ///
    /// [`BaseError::UnknownCustomer`]; [`BaseError::OutOfOrder`] when `at` is
    /// before the customer's last update; [`BaseError::IllegalTransition`]
    /// when the table of [`Stage::can_move_to`] forbids the move. The base is
    /// unchanged after an error.
    pub fn transition(
        &mut self,
        id: CustomerId,
        to: Stage,
        at: DateTime<Utc>,
        note: impl Into<String>,
    ) -> Result<(), BaseError> {
        let slot = self.slot_index(id)?;
        let current = &self.slots[slot].customer;
        if at < current.engine.clock {
            return Err(BaseError::OutOfOrder {
                what: "transition".to_owned(),
                customer: id,
                at,
                last: current.engine.clock,
            });
        }
        let mut customer = current.clone();
        run_until(&mut customer, at, &self.policy, true);
        settle(&mut customer, at, &self.policy);
        let from = customer.stage();
        if !from.can_move_to(to) {
            return Err(BaseError::IllegalTransition { customer: id, from, to });
        }
        customer.set_stage(Transition { from, to, at, reason: Reason::Explicit { note: note.into() } });
        self.slots[slot].customer = customer;
        self.journal.push(Entry::Transition(slot as u32));
        Ok(())
    }

    /// Erases a customer: their personal data (key, attributes, consent),
    /// their events, and the other customers' events that name them
    /// (referrals and follows of them). Every other customer ends exactly as
    /// in a base built without the erased customer: the base is rebuilt from
    /// its journal without them, so a referrer's credit for them, and any
    /// stage it earned, is gone too.
    ///
    /// # Errors
    ///
    /// [`BaseError::UnknownCustomer`].
    ///
    /// # Complexity
    ///
    /// O(customers + events): the whole base is rebuilt.
    pub fn forget(&mut self, id: CustomerId) -> Result<ForgetReport, BaseError> {
        let gone = self.slot_index(id)? as u32;
        let erased = &self.slots[gone as usize];
        let mut report = ForgetReport {
            events: erased.records.len(),
            attributes: erased.customer.attributes().len(),
            transitions: erased.customer.history().len(),
            ..ForgetReport::default()
        };
        let mut fresh = CustomerBase::new(self.policy.clone());
        let journal = self.journal_entries(|slot, record| {
            let names_gone = match record.kind {
                Kind::Referral { invitee } => invitee == gone,
                Kind::Follow { of } => of == Some(gone),
                _ => false,
            };
            if slot == gone {
                false
            } else if names_gone {
                report.references += 1;
                false
            } else {
                true
            }
        });
        for entry in journal {
            match entry {
                JournalEntry::AddCustomer(new) if new.id == id => {}
                JournalEntry::Transition { customer, .. } if customer == id => {}
                entry => {
                    if fresh.replay(entry).is_err() {
                        report.dropped_moves += 1;
                    }
                }
            }
        }
        *self = fresh;
        Ok(report)
    }

    fn slot_index(&self, id: CustomerId) -> Result<usize, BaseError> {
        self.by_id.get(&id).map(|&i| i as usize).ok_or(BaseError::UnknownCustomer { customer: id })
    }

    fn channel_code(&mut self, channel: &Channel) -> u32 {
        if let Some(i) = Channel::NAMED.iter().position(|c| c == channel) {
            return i as u32;
        }
        let name = channel.name();
        if let Some(&code) = self.other_channel_codes.get(name) {
            return code;
        }
        let code = NAMED_CHANNELS + self.other_channels.len() as u32;
        self.other_channels.push(name.to_owned());
        self.other_channel_codes.insert(name.to_owned(), code);
        code
    }

    fn campaign_code(&mut self, campaign: CampaignId) -> u32 {
        if let Some(&code) = self.campaign_codes.get(&campaign) {
            return code;
        }
        let code = self.campaigns.len() as u32;
        self.campaigns.push(campaign);
        self.campaign_codes.insert(campaign, code);
        code
    }

    /// The code of a campaign that some touch or response named, if any did.
    pub(crate) fn campaign_code_of(&self, campaign: CampaignId) -> Option<u32> {
        self.campaign_codes.get(&campaign).copied()
    }

    /// Every customer with their records, in the order they were added; each
    /// customer's records in the order they were applied (time order).
    pub(crate) fn records(&self) -> impl ExactSizeIterator<Item = (&Customer, &[Record])> + '_ {
        self.slots.iter().map(|s| (&s.customer, s.records.as_slice()))
    }

    /// Every customer's consent when they were added, in the order of
    /// [`records`](CustomerBase::records).
    pub(crate) fn initial_consents(&self) -> impl ExactSizeIterator<Item = Consent> + '_ {
        self.slots.iter().map(|s| s.initial_consent)
    }

    pub(crate) fn channel(&self, code: u32) -> Channel {
        match Channel::NAMED.get(code as usize) {
            Some(named) => named.clone(),
            None => Channel::Other(self.other_channels[(code - NAMED_CHANNELS) as usize].clone()),
        }
    }

    /// The public form of a slot's record.
    fn event_at(&self, slot: u32, pos: usize) -> Event {
        let s = &self.slots[slot as usize];
        let record = &s.records[pos];
        let id_of = |i: u32| self.slots[i as usize].customer.id();
        let kind = match record.kind {
            Kind::Purchase(amount) => EventKind::Purchase { amount },
            Kind::Refund { amount, purchase } => {
                EventKind::Refund { amount, purchase: s.records[purchase as usize].id }
            }
            Kind::Engagement(action) => EventKind::Engagement { action },
            Kind::Feedback(feedback) => EventKind::Feedback { feedback },
            Kind::TicketOpened => EventKind::TicketOpened,
            Kind::Complaint => EventKind::Complaint,
            Kind::TicketResolved { ticket } => EventKind::TicketResolved { ticket: s.records[ticket as usize].id },
            Kind::Referral { invitee } => EventKind::Referral { invitee: id_of(invitee) },
            Kind::Follow { of } => EventKind::Follow { of: of.map(id_of) },
            Kind::Consent { purpose, granted } => EventKind::ConsentChange { purpose, granted },
            Kind::Touch { campaign } => EventKind::Touch { campaign: self.campaigns[campaign as usize] },
            Kind::Response { campaign, action } => {
                EventKind::Response { campaign: self.campaigns[campaign as usize], action }
            }
        };
        Event { id: record.id, customer: s.customer.id(), at: record.at, channel: self.channel(record.channel), kind }
    }

    /// Checks an event against the base without changing anything, and
    /// returns its compact kind.
    fn validate(&self, slot: usize, event: &Event) -> Result<Kind, BaseError> {
        let s = &self.slots[slot];
        let customer = &s.customer;
        if event.at < customer.created_at() {
            return Err(BaseError::BeforeCreation {
                event: event.id,
                customer: event.customer,
                at: event.at,
                created_at: customer.created_at(),
            });
        }
        if event.at < customer.engine.clock {
            return Err(BaseError::OutOfOrder {
                what: format!("event {}", event.id),
                customer: event.customer,
                at: event.at,
                last: customer.engine.clock,
            });
        }
        let negative = |amount: Money| BaseError::NegativeAmount { event: event.id, amount };
        let other = |id: CustomerId, action: &'static str, role: &'static str| {
            if id == event.customer {
                return Err(BaseError::SelfReference { event: event.id, action });
            }
            self.by_id.get(&id).copied().ok_or(BaseError::UnknownReferencedCustomer {
                event: event.id,
                customer: id,
                role,
            })
        };
        Ok(match event.kind {
            EventKind::Purchase { amount } | EventKind::Refund { amount, .. } if amount.is_negative() => {
                return Err(negative(amount));
            }
            EventKind::Purchase { amount } => Kind::Purchase(amount),
            EventKind::Refund { amount, purchase } => {
                let unknown = BaseError::UnknownPurchase { event: event.id, purchase };
                let pos = s.records.iter().position(|r| r.id == purchase).ok_or_else(|| unknown.clone())?;
                let Kind::Purchase(paid) = s.records[pos].kind else { return Err(unknown) };
                let earlier = Money::try_sum(s.records.iter().filter_map(|r| match r.kind {
                    Kind::Refund { amount, purchase } if purchase as usize == pos => Some(amount),
                    _ => None,
                }))?;
                let refunded = earlier.checked_add(amount)?;
                if refunded > paid {
                    return Err(BaseError::RefundExceedsPurchase { event: event.id, purchase, refunded, paid });
                }
                Kind::Refund { amount, purchase: pos as u32 }
            }
            EventKind::Engagement { action } => Kind::Engagement(action),
            EventKind::Feedback { feedback } => Kind::Feedback(feedback),
            EventKind::TicketOpened => Kind::TicketOpened,
            EventKind::Complaint => Kind::Complaint,
            EventKind::TicketResolved { ticket } => {
                let pos = s.open_tickets.iter().copied().find(|&p| s.records[p as usize].id == ticket);
                Kind::TicketResolved { ticket: pos.ok_or(BaseError::UnknownTicket { event: event.id, ticket })? }
            }
            EventKind::Referral { invitee } => Kind::Referral { invitee: other(invitee, "refer", "invitee")? },
            EventKind::Follow { of: None } => Kind::Follow { of: None },
            EventKind::Follow { of: Some(of) } => Kind::Follow { of: Some(other(of, "follow", "followed customer")?) },
            EventKind::ConsentChange { purpose, granted } => Kind::Consent { purpose, granted },
            // Any campaign id is acceptable: the base knows no campaigns, only
            // the events attributed to them.
            EventKind::Touch { .. } => Kind::Touch { campaign: PENDING_CAMPAIGN },
            EventKind::Response { action, .. } => Kind::Response { campaign: PENDING_CAMPAIGN, action },
        })
    }

    /// Records a validated event and runs the rules.
    fn commit(&mut self, slot: usize, record: Record) {
        let policy = &self.policy;
        let at = record.at;
        let pos = self.slots[slot].records.len() as u32;
        let mut first_purchase = false;
        let s = &mut self.slots[slot];
        // Most events (engagement, follows, consent) leave the facts as they
        // are, and then only the windows closing up to `at` can move anyone.
        let changes_facts = match record.kind {
            Kind::Purchase(_) | Kind::Feedback(_) | Kind::Complaint | Kind::Referral { .. } => true,
            Kind::Engagement(action) => action.is_public_advocacy(),
            Kind::TicketResolved { ticket } => s.records[ticket as usize].kind == Kind::Complaint,
            Kind::Refund { .. }
            | Kind::TicketOpened
            | Kind::Follow { .. }
            | Kind::Consent { .. }
            | Kind::Touch { .. }
            | Kind::Response { .. } => false,
        };
        run_until(&mut s.customer, at, policy, !changes_facts);
        let facts = &mut s.customer.engine.facts;
        match record.kind {
            Kind::Purchase(_) => {
                facts.purchases += 1;
                first_purchase = facts.first_purchase.is_none();
                facts.first_purchase.get_or_insert(at);
                facts.last_purchase = Some(at);
            }
            Kind::Engagement(action) if action.is_public_advocacy() => facts.public_advocacy += 1,
            Kind::Feedback(feedback) => facts.latest_feedback = Some(feedback),
            Kind::TicketOpened => s.open_tickets.push(pos),
            Kind::Complaint => {
                s.open_tickets.push(pos);
                facts.open_complaints += 1;
            }
            Kind::TicketResolved { ticket } => {
                s.open_tickets.retain(|&p| p != ticket);
                if s.records[ticket as usize].kind == Kind::Complaint {
                    facts.open_complaints -= 1;
                }
            }
            Kind::Consent { purpose, granted } => s.customer.consent_mut().set(purpose, granted, at),
            Kind::Refund { .. }
            | Kind::Engagement(_)
            | Kind::Referral { .. }
            | Kind::Follow { .. }
            | Kind::Touch { .. }
            | Kind::Response { .. } => {}
        }
        s.records.push(record);
        if let Kind::Referral { invitee } = record.kind {
            let referrer = slot as u32;
            let invited = &mut self.slots[invitee as usize];
            if !invited.referrers.iter().any(|&(r, _)| r == referrer) {
                invited.referrers.push((referrer, at));
                if let Some(bought) = invited.customer.first_purchase().filter(|&b| b >= at) {
                    self.slots[slot].customer.engine.facts.add_conversion(bought);
                }
            }
        }
        let customer = &mut self.slots[slot].customer;
        if changes_facts {
            settle(customer, at, policy);
        } else {
            customer.engine.clock = customer.engine.clock.max(at);
        }
        if first_purchase {
            // Credit whoever referred this customer before they bought.
            let referrers = std::mem::take(&mut self.slots[slot].referrers);
            for &(referrer, _) in referrers.iter().filter(|&&(_, referred_at)| referred_at <= at) {
                let customer = &mut self.slots[referrer as usize].customer;
                customer.engine.facts.add_conversion(at);
                let clock = customer.engine.clock;
                if at <= clock {
                    settle(customer, clock, policy);
                } else {
                    customer.engine.due = customer.engine.facts.next_change(clock, policy);
                }
            }
            self.slots[slot].referrers = referrers;
        }
        self.event_ids.insert(record.id);
        self.event_count += 1;
        self.journal.push(Entry::Event(slot as u32));
    }

    /// The journal in public form, leaving out the events for which `keep`
    /// (given the slot and the record) says no.
    fn journal_entries(&self, mut keep: impl FnMut(u32, &Record) -> bool) -> Vec<JournalEntry> {
        let mut next_record = vec![0usize; self.slots.len()];
        let mut next_move = vec![0usize; self.slots.len()];
        let mut out = Vec::with_capacity(self.journal.len());
        for &entry in &self.journal {
            match entry {
                Entry::Add(slot) => {
                    let s = &self.slots[slot as usize];
                    let c = &s.customer;
                    out.push(JournalEntry::AddCustomer(NewCustomer {
                        id: c.id(),
                        key: c.key().map(str::to_owned),
                        created_at: c.created_at(),
                        consent: s.initial_consent,
                        attributes: c.attributes().clone(),
                    }));
                }
                Entry::Event(slot) => {
                    let pos = next_record[slot as usize];
                    next_record[slot as usize] += 1;
                    if keep(slot, &self.slots[slot as usize].records[pos]) {
                        out.push(JournalEntry::Apply(self.event_at(slot, pos)));
                    }
                }
                Entry::Transition(slot) => {
                    let c = &self.slots[slot as usize].customer;
                    let cursor = &mut next_move[slot as usize];
                    let (offset, t) = c.history()[*cursor..]
                        .iter()
                        .enumerate()
                        .find(|(_, t)| matches!(t.reason, Reason::Explicit { .. }))
                        .expect("journaled moves are in the history");
                    *cursor += offset + 1;
                    let Reason::Explicit { note } = &t.reason else { unreachable!() };
                    out.push(JournalEntry::Transition { customer: c.id(), to: t.to, at: t.at, note: note.clone() });
                }
                Entry::Advance(i) => out.push(JournalEntry::AdvanceTo(self.advances[i as usize])),
            }
        }
        out
    }

    fn replay(&mut self, entry: JournalEntry) -> Result<(), BaseError> {
        match entry {
            JournalEntry::AddCustomer(new) => self.add_customer(new).map(drop),
            JournalEntry::Apply(event) => self.apply(&event).map(drop),
            JournalEntry::Transition { customer, to, at, note } => self.transition(customer, to, at, note),
            JournalEntry::AdvanceTo(now) => {
                self.advance_to(now);
                Ok(())
            }
        }
    }
}

fn invalid_number(customer: CustomerId, key: &str) -> BaseError {
    BaseError::InvalidAttribute { customer, key: key.to_owned(), reason: "numbers must be finite" }
}

/// Runs the time-based rules over every window that closes before `t` (or
/// at `t`, when `inclusive`).
fn run_until(customer: &mut Customer, t: DateTime<Utc>, policy: &Policy, inclusive: bool) {
    while let Some(due) = customer.engine.due {
        if due > t || (due == t && !inclusive) {
            break;
        }
        settle(customer, due, policy);
    }
}

/// Re-derives the customer's stage at `t` and moves them if the rules'
/// answer changed. An explicit move stands until the rules' answer changes;
/// a rule move that the legal-move table forbids from an explicitly set
/// stage does not happen.
fn settle(customer: &mut Customer, t: DateTime<Utc>, policy: &Policy) {
    let derived = customer.engine.facts.derive(t, policy);
    if derived != customer.engine.derived {
        customer.engine.derived = derived;
        let from = customer.stage();
        if from != derived && from.can_move_to(derived) {
            let rule = customer.engine.facts.rule_for(from, derived, policy);
            customer.set_stage(Transition { from, to: derived, at: t, reason: Reason::Rule(rule) });
        }
    }
    let clock = customer.engine.clock.max(t);
    customer.engine.clock = clock;
    customer.engine.due = customer.engine.facts.next_change(clock, policy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_stay_small() {
        // Campaigns are interned codes, not inline ids, so adding touches and
        // responses left every record (and the memory budget) as it was.
        assert_eq!(std::mem::size_of::<Kind>(), 16);
        assert_eq!(std::mem::size_of::<Record>(), 48);
    }
}
