//! Validation: checks an event against the base without changing anything.

use super::CustomerBase;
use super::record::{Kind, PENDING_CAMPAIGN};
use crate::{BaseError, CustomerId, Event, EventKind, Money};

impl CustomerBase {
    /// Checks an event against the base without changing anything, and
    /// returns its compact kind.
    pub(super) fn validate(&self, slot: usize, event: &Event) -> Result<Kind, BaseError> {
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
}

pub(super) fn invalid_number(customer: CustomerId, key: &str) -> BaseError {
    BaseError::InvalidAttribute { customer, key: key.to_owned(), reason: "numbers must be finite" }
}
