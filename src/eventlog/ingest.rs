//! From keys to ids: what a batch asks of a [`CustomerBase`], and applying
//! it all or nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::EventLogErrorKind;
use super::fields::purpose_name;
use super::{EventBatch, EventLogError, KeyedKind};
use crate::keys::KeyTable;
use crate::{
    Applied, AttributeValue, BaseError, CampaignId, CustomerBase, CustomerId, Event, EventId, EventKind, NewCustomer,
};

/// A customer key as a batch first names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirstSeen {
    /// The customer's key.
    pub key: String,
    /// The earliest instant at which the batch names the key, in any role:
    /// the customer's creation instant when they are new.
    pub at: DateTime<Utc>,
    /// The position in the batch of the event that names it then (the first
    /// in file order among equals).
    pub index: usize,
    /// The field that names it: `customer`, `invitee` or `of`.
    pub field: &'static str,
    /// The customer's id, [`CustomerId::from_key`] of the key (computed
    /// once per batch, for whoever reads the customer).
    pub id: CustomerId,
}

/// An event of the batch with the base's ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedEvent {
    /// The event.
    pub event: Event,
    /// The position in the batch of the line it comes from.
    pub index: usize,
}

/// The attributes a `customer` record sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeUpdate {
    /// The customer.
    pub customer: CustomerId,
    /// The attributes, set in addition to (or over) the ones the customer
    /// has.
    pub attributes: BTreeMap<String, AttributeValue>,
    /// The position in the batch of the record.
    pub index: usize,
}

/// What a batch asks of a customer base, with every key turned into an id
/// by [`EventId::from_key`], [`CustomerId::from_key`] and
/// [`CampaignId::from_key`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    /// Every customer key the batch names, in key byte order, with the
    /// earliest instant it appears.
    pub customers: Vec<FirstSeen>,
    /// The events to apply, in time order, equal instants in the byte order
    /// of their event keys. A `customer` record contributes a
    /// [`ConsentChange`](EventKind::ConsentChange) per purpose it states
    /// (profiling first), whose id is derived from the record's key and the
    /// purpose in a namespace of its own, so it never equals an id from
    /// [`EventId::from_key`].
    pub events: Vec<ResolvedEvent>,
    /// The attributes of `customer` records, in the same order.
    pub attributes: Vec<AttributeUpdate>,
}

/// The namespace of the consent changes of `customer` records: the UUID v5
/// of `customer-lifecycle:eventlog:customer-record-consent` in the URL
/// namespace.
const CONSENT_NAMESPACE: Uuid =
    Uuid::from_bytes([0xa7, 0x27, 0xfc, 0x4c, 0xcb, 0x6b, 0x53, 0x89, 0x90, 0xe0, 0x57, 0xa3, 0x91, 0x42, 0x83, 0xd2]);

/// The id of the consent change that a `customer` record with key
/// `record` makes for `purpose`: the UUID v5 of `PURPOSE:RECORD` in
/// [`CONSENT_NAMESPACE`].
fn consent_event_id(record: &str, purpose: crate::Purpose) -> EventId {
    EventId::from_uuid(crate::id::v5(&CONSENT_NAMESPACE, &[purpose_name(purpose).as_bytes(), b":", record.as_bytes()]))
}

impl EventBatch {
    /// Turns the batch's keys into ids: the customers it names with the
    /// instant each first appears, its events in the order to apply them,
    /// and the attributes its `customer` records set. It needs no base; see
    /// [`ingest`] for applying it to one.
    ///
    /// # Complexity
    ///
    /// O(n log n) for n events (the sort into time order).
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::eventlog::read_jsonl;
    /// use customer_lifecycle::{CustomerId, EventId, EventKind};
    ///
    /// let log = concat!(
    ///     r#"{"id":"o1","customer":"bo","at":"2024-03-02T00:00:00Z","channel":"web","type":"purchase","amount":"9"}"#, "\n",
    ///     r#"{"id":"r1","customer":"ana","at":"2024-03-01T00:00:00Z","channel":"web","type":"referral","invitee":"bo"}"#, "\n",
    /// );
    /// let resolution = read_jsonl(log.as_bytes(), "log.jsonl")?.resolve();
    /// let keys: Vec<_> = resolution.customers.iter().map(|c| (c.key.as_str(), c.at.to_rfc3339())).collect();
    /// assert_eq!(keys, [("ana", "2024-03-01T00:00:00+00:00".to_owned()), ("bo", "2024-03-01T00:00:00+00:00".to_owned())]);
    /// assert_eq!(resolution.events[0].event.id, EventId::from_key("r1"));
    /// assert_eq!(resolution.events[0].event.kind, EventKind::Referral { invitee: CustomerId::from_key("bo") });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(&self) -> Resolution {
        // Sized once for a key per line (most batches name fewer; the
        // invitees and the followed may add some).
        let mut table: KeyTable = KeyTable::default();
        let room = table.reserve(self.events.len());
        let mut seen: Vec<(DateTime<Utc>, usize, &'static str)> = Vec::with_capacity(room);
        let mut name = |key: &str, at: DateTime<Utc>, index: usize, field: &'static str| {
            let slot = table.insert(key, table.prepare(key)) as usize;
            if slot == seen.len() {
                seen.push((at, index, field));
            } else if at < seen[slot].0 {
                seen[slot] = (at, index, field);
            }
            slot
        };
        // Each line's customer and the customer its kind names, as slots of
        // `table`: every key is hashed into its id once, below.
        let mut slots: Vec<(usize, usize)> = Vec::with_capacity(self.events.len());
        for (index, event) in self.events.iter().enumerate() {
            let customer = name(&event.customer, event.at, index, "customer");
            let named = match &event.kind {
                KeyedKind::Referral { invitee } => name(invitee, event.at, index, "invitee"),
                KeyedKind::Follow { of: Some(of) } => name(of, event.at, index, "of"),
                _ => customer,
            };
            slots.push((customer, named));
        }
        // Time order, equal instants in the byte order of their keys, equal
        // keys in file order: the sort keys sit next to each other rather
        // than behind the events. No two are equal (the positions differ):
        // the order is the one order, whatever the threads.
        let mut order: Vec<(DateTime<Utc>, &[u8], usize)> =
            self.events.iter().enumerate().map(|(index, e)| (e.at, e.id.as_bytes(), index)).collect();
        crate::util::par_sort_unstable_by(&mut order, Ord::cmp);
        let keys = table.into_keys();
        let ids: Vec<CustomerId> = crate::util::par_map_min(&keys, 4096, |key| CustomerId::from_key(key));
        let event_ids: Vec<EventId> = crate::util::par_map_min(&self.events, 4096, |e| EventId::from_key(&e.id));
        let mut customers: Vec<FirstSeen> = keys
            .into_iter()
            .zip(seen)
            .zip(&ids)
            .map(|((key, (at, index, field)), &id)| FirstSeen { key, at, index, field, id })
            .collect();
        // Keys are distinct: the order is the one order.
        crate::util::par_sort_unstable_by(&mut customers, |a, b| a.key.as_bytes().cmp(b.key.as_bytes()));

        let mut events = Vec::with_capacity(self.events.len());
        let mut attributes = Vec::new();
        for (_, _, index) in order {
            let keyed = &self.events[index];
            let (customer, named) = slots[index];
            let (customer, named) = (ids[customer], ids[named]);
            let mut push = |id: EventId, kind: EventKind| {
                let event = Event { id, customer, at: keyed.at, channel: keyed.channel.clone(), kind };
                events.push(ResolvedEvent { event, index });
            };
            let id = event_ids[index];
            let kind = match &keyed.kind {
                KeyedKind::Customer { consent, attributes: set } => {
                    for (purpose, granted) in consent.stated() {
                        push(consent_event_id(&keyed.id, purpose), EventKind::ConsentChange { purpose, granted });
                    }
                    if !set.is_empty() {
                        attributes.push(AttributeUpdate { customer, attributes: set.clone(), index });
                    }
                    continue;
                }
                KeyedKind::Purchase { amount } => EventKind::Purchase { amount: *amount },
                KeyedKind::Refund { amount, purchase } => {
                    EventKind::Refund { amount: *amount, purchase: EventId::from_key(purchase) }
                }
                KeyedKind::Engagement { action } => EventKind::Engagement { action: *action },
                KeyedKind::Feedback { feedback } => EventKind::Feedback { feedback: *feedback },
                KeyedKind::TicketOpened => EventKind::TicketOpened,
                KeyedKind::Complaint => EventKind::Complaint,
                KeyedKind::TicketResolved { ticket } => EventKind::TicketResolved { ticket: EventId::from_key(ticket) },
                KeyedKind::Referral { .. } => EventKind::Referral { invitee: named },
                KeyedKind::Follow { of } => EventKind::Follow { of: of.as_ref().map(|_| named) },
                KeyedKind::ConsentChange { purpose, granted } => {
                    EventKind::ConsentChange { purpose: *purpose, granted: *granted }
                }
                KeyedKind::Touch { campaign } => EventKind::Touch { campaign: CampaignId::from_key(campaign) },
                KeyedKind::Response { campaign, action } => {
                    EventKind::Response { campaign: CampaignId::from_key(campaign), action: *action }
                }
            };
            push(id, kind);
        }
        Resolution { customers, events, attributes }
    }
}

/// What [`ingest`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IngestReport {
    /// Customers the batch created.
    pub customers_created: usize,
    /// Events now part of the base, the consent changes of `customer`
    /// records included.
    pub events_applied: usize,
    /// Events skipped as already stored with identical content, plus the
    /// lines the reader skipped as exact repeats within the file.
    pub duplicates: usize,
    /// `customer` records that set attributes.
    pub attribute_updates: usize,
}

/// Applies a batch to a base, all or nothing: creates the customers it
/// names for the first time (as prospects with the default consent, at the
/// earliest instant each appears in the batch), applies its events in time
/// order (equal instants in the byte order of their event keys), and sets
/// the attributes of its `customer` records. Events already stored with
/// identical content are skipped, so re-ingesting a file changes nothing.
///
/// An event older than its customer's latest stored event is a late event:
/// the base takes it and derives the customer's history again from its
/// instant. A key first named before the stored customer's creation refuses
/// the batch, and so does an event older than the policy's
/// [`max_lateness_days`](crate::lifecycle::PolicyBuilder::max_lateness_days), when one
/// is set. Within a batch the order of the lines does not matter.
///
/// # Errors
///
/// An [`EventLogError`] naming the batch's source, the line, the field and
/// the keys: [`BeforeCreation`](EventLogErrorKind::BeforeCreation),
/// [`OutOfOrder`](EventLogErrorKind::OutOfOrder) (older than the policy's
/// lateness bound),
/// [`UnknownPurchase`](EventLogErrorKind::UnknownPurchase),
/// [`RefundExceedsPurchase`](EventLogErrorKind::RefundExceedsPurchase),
/// [`UnknownTicket`](EventLogErrorKind::UnknownTicket),
/// [`ConflictingDuplicate`](EventLogErrorKind::ConflictingDuplicate) for an
/// event stored with other content, or
/// [`Refused`](EventLogErrorKind::Refused). The base is unchanged after an
/// error.
///
/// # Complexity
///
/// O(n log n) for n events, plus one copy of the base (the batch is applied
/// to a copy that replaces the base only when every event was accepted).
///
/// # Example
///
/// ```
/// use customer_lifecycle::eventlog::{EventLogErrorKind, ingest, read_jsonl};
/// use customer_lifecycle::{CustomerBase, Policy};
///
/// let log = concat!(
///     r#"{"id":"o1","customer":"ana","at":"2024-03-01T00:00:00Z","channel":"web","type":"purchase","amount":"9"}"#, "\n",
///     r#"{"id":"x1","customer":"ana","at":"2024-03-02T00:00:00Z","channel":"web","type":"refund","amount":"1","purchase":"o2"}"#, "\n",
/// );
/// let batch = read_jsonl(log.as_bytes(), "day.jsonl")?;
/// let mut base = CustomerBase::new(Policy::default());
/// let err = ingest(&mut base, &batch).unwrap_err();
/// assert_eq!(err.to_string(), r#"day.jsonl:2: field "purchase": refunded purchase "o2" is not an earlier purchase of this customer"#);
/// assert!(base.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ingest(base: &mut CustomerBase, batch: &EventBatch) -> Result<IngestReport, EventLogError> {
    let resolution = batch.resolve();
    check_creation(base, batch, &resolution)?;
    let mut work = base.clone();
    let report = apply_resolved(&mut work, batch, &resolution)?;
    *base = work;
    Ok(report)
}

/// [`ingest`] for a base the caller throws away on error (the store's
/// partial base of the customers a batch touches), with the batch resolved
/// once by the caller: no copy of the base is made, so after an error the
/// base may hold part of the batch and must not be used.
///
/// # Errors
///
/// As [`ingest`].
#[cfg(feature = "store")]
pub(crate) fn ingest_disposable(
    base: &mut CustomerBase,
    batch: &EventBatch,
    resolution: &Resolution,
) -> Result<IngestReport, EventLogError> {
    check_creation(base, batch, resolution)?;
    apply_resolved(base, batch, resolution)
}

/// Refuses a key first named before the stored customer's creation.
fn check_creation(base: &CustomerBase, batch: &EventBatch, resolution: &Resolution) -> Result<(), EventLogError> {
    for seen in &resolution.customers {
        if let Some(stored) = base.get(seen.id)
            && stored.created_at() > seen.at
        {
            let kind = EventLogErrorKind::BeforeCreation {
                customer: seen.key.clone(),
                at: seen.at,
                created_at: stored.created_at(),
            };
            return Err(batch.error(seen.index, Some(seen.field), kind));
        }
    }
    Ok(())
}

/// Creates the new customers, applies the events and sets the attributes
/// of `resolution` to `work`, stopping at the first refusal (which leaves
/// `work` partly changed).
fn apply_resolved(
    work: &mut CustomerBase,
    batch: &EventBatch,
    resolution: &Resolution,
) -> Result<IngestReport, EventLogError> {
    let mut report = IngestReport { duplicates: batch.skipped(), ..IngestReport::default() };
    for seen in &resolution.customers {
        if !work.contains(seen.id) {
            work.add_customer(NewCustomer { key: Some(seen.key.clone()), ..NewCustomer::new(seen.id, seen.at) })
                .map_err(|e| refused(batch, seen.index, &e))?;
            report.customers_created += 1;
        }
    }
    for resolved in &resolution.events {
        match work.apply(&resolved.event) {
            Ok(Applied::Duplicate) => report.duplicates += 1,
            Ok(_) => report.events_applied += 1,
            Err(e) => return Err(refused(batch, resolved.index, &e)),
        }
    }
    for update in &resolution.attributes {
        for (name, value) in &update.attributes {
            work.set_attribute(update.customer, name.clone(), value.clone())
                .map_err(|e| refused(batch, update.index, &e))?;
        }
        report.attribute_updates += 1;
    }
    Ok(report)
}

/// The base's refusal of the batch's `index`th line, in the shop's keys.
fn refused(batch: &EventBatch, index: usize, error: &BaseError) -> EventLogError {
    let event = &batch.events()[index];
    let (field, kind) = match (error, &event.kind) {
        (BaseError::OutOfOrder { at, last, .. }, _) => {
            ("at", EventLogErrorKind::OutOfOrder { customer: event.customer.clone(), at: *at, last: *last })
        }
        (BaseError::BeforeCreation { at, created_at, .. }, _) => (
            "at",
            EventLogErrorKind::BeforeCreation { customer: event.customer.clone(), at: *at, created_at: *created_at },
        ),
        (BaseError::UnknownPurchase { .. }, KeyedKind::Refund { purchase, .. }) => {
            ("purchase", EventLogErrorKind::UnknownPurchase { purchase: purchase.clone() })
        }
        (BaseError::RefundExceedsPurchase { refunded, paid, .. }, KeyedKind::Refund { purchase, .. }) => (
            "amount",
            EventLogErrorKind::RefundExceedsPurchase { purchase: purchase.clone(), refunded: *refunded, paid: *paid },
        ),
        (BaseError::UnknownTicket { .. }, KeyedKind::TicketResolved { ticket }) => {
            ("ticket", EventLogErrorKind::UnknownTicket { ticket: ticket.clone() })
        }
        (BaseError::ConflictingDuplicate { .. }, _) => {
            ("id", EventLogErrorKind::ConflictingDuplicate { id: event.id.clone(), first_line: None })
        }
        _ => ("id", EventLogErrorKind::Refused { reason: in_keys(error, batch, index) }),
    };
    batch.error(index, Some(field), kind)
}

/// The base's message with the ids of the line's keys replaced by the keys.
fn in_keys(error: &BaseError, batch: &EventBatch, index: usize) -> String {
    let event = &batch.events()[index];
    let mut message = error.to_string();
    let mut replace = |id: String, key: &str| message = message.replace(&id, &format!("{key:?}"));
    replace(EventId::from_key(&event.id).to_string(), &event.id);
    replace(CustomerId::from_key(&event.customer).to_string(), &event.customer);
    match &event.kind {
        KeyedKind::Refund { purchase: key, .. } | KeyedKind::TicketResolved { ticket: key } => {
            replace(EventId::from_key(key).to_string(), key);
        }
        KeyedKind::Referral { invitee: key } | KeyedKind::Follow { of: Some(key) } => {
            replace(CustomerId::from_key(key).to_string(), key);
        }
        KeyedKind::Customer { consent, .. } => {
            for (purpose, _) in consent.stated() {
                replace(consent_event_id(&event.id, purpose).to_string(), &event.id);
            }
        }
        _ => {}
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids of consent changes never change between releases: Python's
    /// `uuid.uuid5(namespace, "contact:rec-9")` gives the same.
    #[test]
    fn consent_ids_are_the_published_v5() {
        let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"customer-lifecycle:eventlog:customer-record-consent");
        assert_eq!(CONSENT_NAMESPACE, namespace);
        let id = consent_event_id("rec-9", crate::Purpose::Contact);
        assert_eq!(id.to_string(), "c4036a87-9b05-5306-9b3c-bec7aeecc814");
    }
}
