use chrono::{DateTime, Utc};

use crate::{CustomerId, EventId, Money, Stage};

/// Why the [`CustomerBase`](crate::CustomerBase) refused a call. A refused
/// call changes nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BaseError {
    /// The customer is not in the base (never added, or forgotten).
    #[error("unknown customer {customer}")]
    UnknownCustomer {
        /// The customer.
        customer: CustomerId,
    },
    /// An event names another customer who is not in the base.
    #[error("event {event}: the {role} {customer} is not in the base")]
    UnknownReferencedCustomer {
        /// The event.
        event: EventId,
        /// The customer named.
        customer: CustomerId,
        /// What the event calls them (`"invitee"`, `"followed customer"`).
        role: &'static str,
    },
    /// A customer with this id was added before.
    #[error("customer {customer} is already in the base")]
    DuplicateCustomer {
        /// The customer.
        customer: CustomerId,
    },
    /// The event is dated before the customer was created.
    #[error("event {event} at {at} is before customer {} was created at {created_at}", label(*customer, customer_key.as_deref()))]
    BeforeCreation {
        /// The event.
        event: EventId,
        /// The customer.
        customer: CustomerId,
        /// Their own key, if they have one.
        customer_key: Option<String>,
        /// The event's time.
        at: DateTime<Utc>,
        /// The customer's creation time.
        created_at: DateTime<Utc>,
    },
    /// An explicit move dated before the customer was created.
    #[error("a move at {at} is before customer {} was created at {created_at}", label(*customer, customer_key.as_deref()))]
    MoveBeforeCreation {
        /// The customer.
        customer: CustomerId,
        /// Their own key, if they have one.
        customer_key: Option<String>,
        /// The move's time.
        at: DateTime<Utc>,
        /// The customer's creation time.
        created_at: DateTime<Utc>,
    },
    /// The event is older than the policy's
    /// [`max_lateness_days`](crate::Policy::max_lateness_days) allows. With
    /// no bound (the default), late events are accepted and revise the
    /// customer's history.
    #[error("{what} at {at} for customer {customer} is older than their last update at {last}")]
    OutOfOrder {
        /// `"event <id>"` or `"transition"`.
        what: String,
        /// The customer.
        customer: CustomerId,
        /// The time given.
        at: DateTime<Utc>,
        /// The customer's last update.
        last: DateTime<Utc>,
    },
    /// A purchase or refund with a negative amount (a return is a refund of
    /// a positive amount).
    #[error("event {event}: negative amount {amount}")]
    NegativeAmount {
        /// The event.
        event: EventId,
        /// The amount.
        amount: Money,
    },
    /// A refund names an event that is not a purchase of the same customer.
    #[error("event {event}: refunded purchase {purchase} is not a purchase of this customer")]
    UnknownPurchase {
        /// The refund.
        event: EventId,
        /// The purchase it names.
        purchase: EventId,
    },
    /// The refunds of a purchase would add up to more than it.
    #[error("event {event}: refunds of purchase {purchase} would total {refunded}, more than its {paid}")]
    RefundExceedsPurchase {
        /// The refund.
        event: EventId,
        /// The purchase.
        purchase: EventId,
        /// The refunds' total with this one.
        refunded: Money,
        /// The purchase amount.
        paid: Money,
    },
    /// A resolution names a ticket that is not an open ticket or complaint of
    /// the same customer.
    #[error("event {event}: ticket {ticket} is not an open ticket or complaint of this customer")]
    UnknownTicket {
        /// The resolution.
        event: EventId,
        /// The ticket it names.
        ticket: EventId,
    },
    /// A referral or follow of oneself.
    #[error("event {event}: a customer cannot {action} themselves")]
    SelfReference {
        /// The event.
        event: EventId,
        /// `"refer"` or `"follow"`.
        action: &'static str,
    },
    /// An event id seen before with a different payload.
    #[error("event {event} was applied before with a different payload")]
    ConflictingDuplicate {
        /// The event id.
        event: EventId,
    },
    /// A move that the legal-move table forbids.
    #[error("customer {} cannot move from {from} to {to}", label(*customer, customer_key.as_deref()))]
    IllegalTransition {
        /// The customer.
        customer: CustomerId,
        /// Their own key, if they have one.
        customer_key: Option<String>,
        /// Their stage at the time.
        from: Stage,
        /// The stage asked for.
        to: Stage,
    },
    /// An attribute value that cannot be stored (a non-finite number).
    #[error("attribute {key:?} of customer {}: {reason}", label(*customer, customer_key.as_deref()))]
    InvalidAttribute {
        /// The customer.
        customer: CustomerId,
        /// Their own key, if they have one.
        customer_key: Option<String>,
        /// The attribute.
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A refund or resolution dated before the purchase or ticket it names.
    #[error("event {event} at {at} is dated before the event {named} it names, at {named_at}")]
    BeforeNamedEvent {
        /// The refund or resolution.
        event: EventId,
        /// Its time.
        at: DateTime<Utc>,
        /// The purchase or ticket it names.
        named: EventId,
        /// That event's time.
        named_at: DateTime<Utc>,
    },
    /// A late event or move would make an explicit move that the customer
    /// made later illegal: re-derived, their stage at that instant is one the
    /// move cannot leave for its target.
    #[error("customer {}: the explicit move at {at} from {from} to {to} would no longer be legal", label(*customer, customer_key.as_deref()))]
    MoveInvalidated {
        /// The customer.
        customer: CustomerId,
        /// Their own key, if they have one.
        customer_key: Option<String>,
        /// When the move was made.
        at: DateTime<Utc>,
        /// Their stage there, as derived again.
        from: Stage,
        /// The move's target.
        to: Stage,
    },
    /// An amount overflowed.
    #[error(transparent)]
    Money(#[from] crate::MoneyError),
}

/// A customer as errors name them: their own key (quoted), else their id.
fn label(customer: CustomerId, key: Option<&str>) -> String {
    key.map_or_else(|| customer.to_string(), |k| format!("{k:?}"))
}
