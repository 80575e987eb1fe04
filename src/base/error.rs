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
    #[error("event {event} at {at} is before customer {customer} was created at {created_at}")]
    BeforeCreation {
        /// The event.
        event: EventId,
        /// The customer.
        customer: CustomerId,
        /// The event's time.
        at: DateTime<Utc>,
        /// The customer's creation time.
        created_at: DateTime<Utc>,
    },
    /// The event or move is dated before the customer's last event, move or
    /// advance. Each customer's events are applied in time order (equal
    /// times are fine).
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
    #[error("customer {customer} cannot move from {from} to {to}")]
    IllegalTransition {
        /// The customer.
        customer: CustomerId,
        /// Their stage at the time.
        from: Stage,
        /// The stage asked for.
        to: Stage,
    },
    /// An attribute value that cannot be stored (a non-finite number).
    #[error("attribute {key:?} of customer {customer}: {reason}")]
    InvalidAttribute {
        /// The customer.
        customer: CustomerId,
        /// The attribute.
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An amount overflowed.
    #[error(transparent)]
    Money(#[from] crate::MoneyError),
}
