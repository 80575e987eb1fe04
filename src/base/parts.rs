//! Parts: a customer's slot taken apart and put back, for a store that
//! keeps customers outside memory and loads into a base only the customers
//! a batch touches (see `crate::store`). The base's own calls then do the
//! work, so the store and the base share one validation and one rules
//! engine.

use chrono::{DateTime, Utc};

use super::record::{Kind, Record};
use super::{CustomerBase, Slot};
use crate::customer::Customer;
use crate::{CampaignId, Consent, CustomerId, Money};

/// A customer's slot, borrowed: everything a store keeps of them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotParts<'a> {
    pub customer: &'a Customer,
    pub initial_consent: Consent,
    /// Their records; customers are named by slot number.
    pub records: &'a [Record],
    /// Who referred them, by slot number, and when first.
    pub referrers: &'a [(u32, DateTime<Utc>)],
    pub open_tickets: &'a [u32],
}

impl CustomerBase {
    /// Puts a customer in a new slot as they were derived elsewhere, with
    /// their records (naming customers by this base's slot numbers), and
    /// indexes their events. Returns the slot.
    pub(crate) fn load_slot(
        &mut self,
        customer: Customer,
        initial_consent: Consent,
        records: Vec<Record>,
        open_tickets: Vec<u32>,
    ) -> u32 {
        let slot = self.slots.len() as u32;
        self.by_id.insert(customer.id(), slot);
        for (pos, record) in records.iter().enumerate() {
            if let Kind::Refund { amount, purchase } = record.kind {
                let purchase = records[purchase as usize].id;
                let total = self.refunded.entry(purchase).or_insert(Money::ZERO);
                *total = total.checked_add(amount).unwrap_or(*total);
            }
            self.event_index.insert(record.id, (slot, pos as u32));
        }
        self.event_count += records.len();
        self.slots.push(Slot { customer, initial_consent, records, referrers: Vec::new(), open_tickets });
        slot
    }

    /// Sets who referred the customer at `slot` (slot numbers, first instants).
    pub(crate) fn set_referrers(&mut self, slot: u32, referrers: Vec<(u32, DateTime<Utc>)>) {
        self.slots[slot as usize].referrers = referrers;
    }

    /// The slot of a customer.
    pub(crate) fn slot_of(&self, id: CustomerId) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    /// How many slots the base has.
    pub(crate) fn slot_count(&self) -> u32 {
        self.slots.len() as u32
    }

    /// The parts of the customer at `slot`.
    pub(crate) fn slot_parts(&self, slot: u32) -> SlotParts<'_> {
        let s = &self.slots[slot as usize];
        SlotParts {
            customer: &s.customer,
            initial_consent: s.initial_consent,
            records: &s.records,
            referrers: &s.referrers,
            open_tickets: &s.open_tickets,
        }
    }

    /// Starts the interning tables from a store's, so that channel and
    /// campaign codes mean the same in the base and the store.
    pub(crate) fn preload_interned(&mut self, channels: Vec<String>, campaigns: Vec<CampaignId>) {
        for name in channels {
            self.channel_code(&crate::Channel::Other(name));
        }
        for campaign in campaigns {
            self.campaign_code(campaign);
        }
    }

    /// The interned names of other channels and the campaigns, by code order.
    pub(crate) fn interned(&self) -> (&[String], &[CampaignId]) {
        (&self.other_channels, &self.campaigns)
    }
}
