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

/// The memory of a base's slots, emptied, kept to build the next base in
/// (a store's work base is rebuilt by every batch).
#[derive(Default)]
pub(crate) struct SlotBuffer(Vec<Slot>);

impl SlotBuffer {
    /// How many slots it has room for.
    pub(crate) fn capacity(&self) -> usize {
        self.0.capacity()
    }
}

impl CustomerBase {
    /// An empty base that runs `policy`, its slots in `buffer`.
    pub(crate) fn with_slot_buffer(policy: crate::Policy, buffer: SlotBuffer) -> Self {
        let mut base = CustomerBase::new(policy);
        base.slots = buffer.0;
        base.slots.clear();
        base
    }

    /// The base's slots emptied, for [`with_slot_buffer`](Self::with_slot_buffer).
    pub(crate) fn into_slot_buffer(self) -> SlotBuffer {
        let mut slots = self.slots;
        slots.clear();
        SlotBuffer(slots)
    }

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

    /// Marks the slot as loaded without its older records: its customer
    /// takes events only on the fast path, and an event that would revise
    /// their history (or their referrer's credits) is refused and noted in
    /// [`take_wants_history`](Self::take_wants_history).
    pub(crate) fn mark_partial(&mut self, slot: u32) {
        self.partial.insert(slot);
    }

    /// The partial slots whose whole history an event needed, since the
    /// last call.
    pub(crate) fn take_wants_history(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.wants_history)
    }

    /// Sets the instants passed to `advance_to` (sorted, each once), as a
    /// store kept them, without running anyone's rules: the loaded
    /// customers are evaluated up to them already.
    pub(crate) fn preload_advances(&mut self, advances: Vec<DateTime<Utc>>) {
        self.advances = advances;
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
