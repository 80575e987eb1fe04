//! Record encoding: an event in the compact form the base keeps, and the
//! interning of channels and campaigns that keeps it small.

use super::CustomerBase;
use crate::EventId;
use crate::event::{EngagementAction, Feedback, Purpose};
use crate::{CampaignId, Channel, Consent, Customer, Event, EventKind, Money};
use chrono::{DateTime, Utc};

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

impl Kind {
    /// The other customer the record names, by number: a referral's
    /// invitee, the customer a follow follows.
    #[cfg_attr(not(feature = "store"), allow(dead_code))]
    pub(crate) fn named_customer_mut(&mut self) -> Option<&mut u32> {
        match self {
            Kind::Referral { invitee: n } | Kind::Follow { of: Some(n) } => Some(n),
            _ => None,
        }
    }
}

impl Record {
    /// Where the record stands in its customer's time order: by instant;
    /// at one instant refunds, resolutions and campaign responses after
    /// everything else (so after the purchase, ticket or touch they answer),
    /// and then by the event id's bytes. The base takes a customer's events in this order whatever
    /// order they arrive in.
    pub(crate) fn key(&self) -> (DateTime<Utc>, u8, EventId) {
        let rank =
            u8::from(matches!(self.kind, Kind::Refund { .. } | Kind::TicketResolved { .. } | Kind::Response { .. }));
        (self.at, rank, self.id)
    }

    /// The record with its references to its customer's records at or after
    /// position `from` moved one place on, for a record inserted at `from`.
    pub(super) fn shifted(mut self, from: u32) -> Record {
        match &mut self.kind {
            Kind::Refund { purchase: pos, .. } | Kind::TicketResolved { ticket: pos } if *pos >= from => *pos += 1,
            _ => {}
        }
        self
    }
}

/// The campaign code of a touch or response whose campaign is not yet
/// interned; [`CustomerBase::apply`] replaces it once the event is valid.
pub(super) const PENDING_CAMPAIGN: u32 = u32::MAX;

const NAMED_CHANNELS: u32 = Channel::NAMED.len() as u32;

impl CustomerBase {
    pub(super) fn channel_code(&mut self, channel: &Channel) -> u32 {
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

    pub(super) fn campaign_code(&mut self, campaign: CampaignId) -> u32 {
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
    pub(super) fn event_at(&self, slot: u32, pos: usize) -> Event {
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
