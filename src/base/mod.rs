//! [`CustomerBase`]: the in-memory store. It holds customers and their
//! events, applies each event through the [`Policy`] rules so that every
//! customer's [`Stage`] stays current whatever order the events arrive in,
//! and writes the journal from which a snapshot is made and a forgotten
//! customer's traces are rebuilt away.
//!
//! The module is cut along its jobs: this file is the API (`CustomerBase`
//! and what its calls return); `record` encodes events compactly;
//! `validate` checks an event without changing anything; `commit` records a
//! validated event (in time order, or revising the histories a late one
//! changes) and drives the rules engine
//! ([`lifecycle::rules`](crate::lifecycle), the one place where stages are
//! derived); `journal` writes the calls for snapshots and `forget`;
//! `snapshot` is the serialised form.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use customer_lifecycle::base::Applied;
//! use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, NewCustomer, Policy, Stage};
//!
//! let mut base = CustomerBase::new(Policy::default());
//! let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap();
//! let ana = base.add_customer(NewCustomer::with_key("ana", t0))?;
//! let order = Event {
//!     id: EventId::from_key("order-1"),
//!     customer: ana,
//!     at: t0,
//!     channel: Channel::Web,
//!     kind: EventKind::Purchase { amount: "20".parse()? },
//! };
//! assert_eq!(base.apply(&order)?, Applied::New);
//! assert_eq!(base.apply(&order)?, Applied::Duplicate); // sent twice: nothing changes
//! assert_eq!(base.stage_counts().get(Stage::New), 1);
//! // A refused call changes nothing.
//! assert!(base.apply(&Event { customer: customer_lifecycle::CustomerId::from_key("nobody"), ..order }).is_err());
//! assert_eq!(base.len(), 1);
//! # Ok::<(), customer_lifecycle::Error>(())
//! ```

mod commit;
pub(crate) mod error;
mod journal;
#[cfg(feature = "store")]
mod parts;
mod record;
pub(crate) mod snapshot;
mod validate;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(crate) use error::BaseError;
pub use snapshot::{JournalEntry, Snapshot};

#[cfg(feature = "store")]
pub(crate) use commit::{conversions_of, derive};
#[cfg(feature = "store")]
pub(crate) use journal::explicit_moves;
#[cfg(feature = "store")]
pub(crate) use parts::SlotBuffer;
pub(crate) use record::{Kind, Record};
use validate::invalid_number;

use crate::customer::Customer;
use crate::{
    AttributeValue, CampaignId, Consent, CustomerId, Event, EventId, Money, NewCustomer, Phase, Policy, Stage,
};

type FixedMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// The in-memory store of customers and their events.
///
/// Every event goes through [`apply`](CustomerBase::apply), which validates it,
/// records it and re-derives the customer's stage by the [`Policy`]; time-based
/// rules (satisfaction after a quiet month, dormancy, churn, a lapsed loyalty
/// window) fire at the exact instant their window closes, when the customer's
/// next event arrives or when [`advance_to`](CustomerBase::advance_to) runs the
/// clock forward. The base never reads the clock itself.
///
/// # Order does not matter
///
/// The base is a function of the events, explicit moves and advances it was
/// given, not of the order they came in: any arrival order of the same
/// events gives the base that time order gives. Each customer is taken
/// through their inputs in time order; at one instant their events come
/// first (refunds, resolutions and campaign responses after the others, so
/// after the purchase, ticket or touch they name; then by the bytes of the
/// [`EventId`], the UUID of the shop's event key), then their explicit moves
/// in the order they were made, then the base's advance. An event that
/// arrives in that order costs one step of the rules; an older one
/// ([`Applied::Revised`]) derives the customer's history again from their
/// events, explicit moves and the base's advances, and so the history of
/// whoever referred them when it moves their first purchase (a referrer's
/// credit is the invitee's first purchase; a follow is no fact of the
/// followed, so nobody else is revised). There is no bound on lateness.
///
/// What a history cannot absorb is refused: a refund or resolution whose
/// purchase or ticket is not stored yet (send it again once it is), or is
/// dated after it; and a late event or move that would make one of the
/// customer's recorded explicit moves illegal
/// ([`MoveInvalidated`](BaseError::MoveInvalidated)). A refused call returns
/// an error and changes nothing.
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
#[derive(Debug, Clone)]
pub struct CustomerBase {
    policy: Policy,
    slots: Vec<Slot>,
    by_id: FixedMap<CustomerId, u32>,
    /// Where every event lives: its customer's slot and its position among
    /// their records.
    event_index: FixedMap<EventId, (u32, u32)>,
    /// How much has been refunded of each purchase that has refunds: the
    /// running total that keeps a refund's check O(1).
    refunded: FixedMap<EventId, Money>,
    /// Names of [`Channel::Other`] channels, interned.
    other_channels: Vec<String>,
    other_channel_codes: FixedMap<String, u32>,
    /// Campaigns named by touches and responses, interned so that a record
    /// stays as small as it was before campaigns existed.
    campaigns: Vec<CampaignId>,
    campaign_codes: FixedMap<CampaignId, u32>,
    /// Every instant passed to `advance_to`, sorted, each once.
    advances: Vec<DateTime<Utc>>,
    event_count: usize,
    /// Slots loaded by a store without their older records (see `parts`):
    /// they take events on the fast path only.
    partial: HashSet<u32, foldhash::fast::FixedState>,
    /// Partial slots that an event needed the whole history of: the store
    /// loads them whole and tries again.
    wants_history: Vec<u32>,
}

/// Two bases are equal when they hold the same customers in the same order
/// (with the same state and history), the same events, the same advances
/// and the same policy. Indexes and interning tables, which depend on the
/// order events arrived in, are not compared.
impl PartialEq for CustomerBase {
    fn eq(&self, other: &Self) -> bool {
        self.policy == other.policy
            && self.advances == other.advances
            && self.event_count == other.event_count
            && self.slots.len() == other.slots.len()
            && self.slots.iter().zip(&other.slots).enumerate().all(|(slot, (a, b))| {
                a.customer == b.customer
                    && a.initial_consent == b.initial_consent
                    && a.records.len() == b.records.len()
                    && (0..a.records.len())
                        .all(|pos| self.event_at(slot as u32, pos) == other.event_at(slot as u32, pos))
            })
    }
}

/// One customer and everything the base keeps about them.
#[derive(Debug, Clone)]
struct Slot {
    customer: Customer,
    initial_consent: Consent,
    /// Their events, in the order of [`Record::key`] (time order).
    records: Vec<Record>,
    /// Who referred this customer, and when first.
    referrers: Vec<(u32, DateTime<Utc>)>,
    /// Positions in `records` of open tickets and complaints.
    open_tickets: Vec<u32>,
}

/// What [`CustomerBase::apply`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Applied {
    /// The event was new and is now part of the base.
    New,
    /// The same event (same id, same payload) was applied before; nothing changed.
    Duplicate,
    /// The event was new and older than what the base had seen of its
    /// customer, or it is a first purchase at or before the instant a
    /// referrer it credits was last evaluated to: their histories were
    /// derived again from the event's instant, as if the events had come in
    /// time order. (So an event can revise even in time order: a first
    /// purchase at the instant of its referral.)
    Revised,
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
    /// Counts per stage, in [`Stage::ALL`] order.
    #[cfg(feature = "store")]
    pub(crate) fn from_counts(counts: [usize; 8]) -> Self {
        StageCounts { counts }
    }

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

impl CustomerBase {
    /// An empty base that runs `policy`.
    pub fn new(policy: Policy) -> Self {
        CustomerBase {
            policy,
            slots: Vec::new(),
            by_id: FixedMap::default(),
            event_index: FixedMap::default(),
            refunded: FixedMap::default(),
            other_channels: Vec::new(),
            other_channel_codes: FixedMap::default(),
            campaigns: Vec::new(),
            campaign_codes: FixedMap::default(),
            advances: Vec::new(),
            event_count: 0,
            partial: HashSet::default(),
            wants_history: Vec::new(),
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
        self.advances.last().copied()
    }

    /// Reserves room for `customers` more customers and `events` more events.
    pub fn reserve(&mut self, customers: usize, events: usize) {
        self.slots.reserve(customers);
        self.by_id.reserve(customers);
        self.event_index.reserve(events);
    }

    /// Releases spare capacity, for a base that is done growing.
    pub fn shrink_to_fit(&mut self) {
        for slot in &mut self.slots {
            slot.records.shrink_to_fit();
        }
        self.slots.shrink_to_fit();
        self.event_index.shrink_to_fit();
        self.by_id.shrink_to_fit();
    }

    /// Adds a customer, at stage [`Stage::Prospect`], evaluated up to the
    /// latest [`advance_to`](CustomerBase::advance_to) if that is later than
    /// their creation.
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
            return Err(invalid_number(new.id, new.key.as_deref(), key));
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
        // The base's clock applies to everyone, whenever they were added.
        if let Some(&now) = self.advances.last() {
            self.slots[index as usize].customer.advance(now, &self.policy);
        }
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
        ahead.evaluate_at(at, &self.policy);
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
            return Err(invalid_number(id, self.slots[slot].customer.key(), &key));
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

    /// Applies one event: validates it, records it in its place in the
    /// customer's time order, and re-derives the customer's stage (and, for a
    /// first purchase, that of whoever referred them). An event older than
    /// what the base has seen of the customer revises their history
    /// ([`Applied::Revised`]); see [the type's docs](CustomerBase).
    ///
    /// # Errors
    ///
    /// Every [`BaseError`] that an event can cause: an unknown customer, an
    /// event before the customer's creation, a negative amount, a refund of a
    /// purchase not stored (yet), of a later one or of more than was paid, a
    /// resolution of a ticket not stored, later or resolved before, a
    /// referral or follow of oneself or of an unknown customer, an id seen
    /// before with a different payload, or a late event that would make an
    /// explicit move illegal. The base is unchanged after an error.
    ///
    /// # Complexity
    ///
    /// O(1) expected for an event in time order, except ticket resolutions,
    /// which look through the customer's open tickets. A revision is
    /// O(the customer's events, moves and the base's advances), plus the same
    /// for each referrer it re-derives.
    pub fn apply(&mut self, event: &Event) -> Result<Applied, BaseError> {
        if let Some(&(owner, pos)) = self.event_index.get(&event.id) {
            return if self.event_at(owner, pos as usize) == *event {
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
        // Interning a channel or campaign is invisible if the event is then
        // refused: the tables only name what records use.
        let channel = self.channel_code(&event.channel);
        let record = Record { id: event.id, at: event.at, channel, kind };
        if self.appends(slot, &record) {
            self.commit(slot, record);
            Ok(Applied::New)
        } else {
            self.needs_history(slot, event.customer)?;
            self.revise(slot, record)?;
            Ok(Applied::Revised)
        }
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
            if self.apply(&event).map_err(|e| (i, e))? != Applied::Duplicate {
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
    /// The instant is kept: customers added later are evaluated up to the
    /// latest advance too, and a revised history takes every advance again
    /// in its place (after the events and moves of that instant).
    ///
    /// # Complexity
    ///
    /// O(customers + moves).
    pub fn advance_to(&mut self, now: DateTime<Utc>) {
        for slot in &mut self.slots {
            slot.customer.advance(now, &self.policy);
        }
        if let Err(i) = self.advances.binary_search(&now) {
            self.advances.insert(i, now);
        }
    }

    /// Moves a customer explicitly, after running their rules up to `at`.
    /// The move stands until the rules derive a different stage from new
    /// events or the passage of time. A move dated before the customer's last
    /// update takes its place in their history, which is derived again
    /// around it (at one instant, after that instant's events).
    ///
    /// # Errors
    ///
    /// [`BaseError::UnknownCustomer`];
    /// [`BaseError::MoveBeforeCreation`] for a move dated before the
    /// customer was created; [`BaseError::IllegalTransition`] when the table
    /// of [`Stage::can_move_to`] forbids the move from the stage the customer
    /// stands at then; [`BaseError::MoveInvalidated`] when a late move would
    /// make a later explicit move illegal. The base is unchanged after an
    /// error.
    pub fn transition(
        &mut self,
        id: CustomerId,
        to: Stage,
        at: DateTime<Utc>,
        note: impl Into<String>,
    ) -> Result<(), BaseError> {
        let slot = self.slot_index(id)?;
        let current = &self.slots[slot].customer;
        if at < current.created_at() {
            return Err(BaseError::MoveBeforeCreation {
                customer: id,
                customer_key: current.key().map(str::to_owned),
                at,
                created_at: current.created_at(),
            });
        }
        if at < current.engine.clock {
            self.needs_history(slot, id)?;
            return self.revise_move(slot, to, at, note.into());
        }
        let mut customer = current.clone();
        customer.move_explicitly(to, at, note.into(), &self.policy).map_err(|from| BaseError::IllegalTransition {
            customer: id,
            customer_key: current.key().map(str::to_owned),
            from,
            to,
        })?;
        self.slots[slot].customer = customer;
        Ok(())
    }

    /// Refuses to revise a slot that a store loaded without its older
    /// records, noting it so the store loads it whole and tries again. A
    /// base that no store made has no such slot.
    fn needs_history(&mut self, slot: usize, id: CustomerId) -> Result<(), BaseError> {
        if self.partial.contains(&(slot as u32)) {
            self.wants_history.push(slot as u32);
            return Err(BaseError::UnknownCustomer { customer: id });
        }
        Ok(())
    }

    fn slot_index(&self, id: CustomerId) -> Result<usize, BaseError> {
        self.by_id.get(&id).map(|&i| i as usize).ok_or(BaseError::UnknownCustomer { customer: id })
    }
}
