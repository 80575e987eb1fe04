//! The journal: a sequence of calls that rebuilds the base, which
//! snapshots store and from which [`CustomerBase::forget`] rebuilds the base
//! without a customer. The base is a function of what it was given, not of
//! the order it came in, so the journal is not kept as the calls arrived: it
//! is written on demand, in time order.

use chrono::{DateTime, Utc};

use super::record::{Kind, Record};
use super::{CustomerBase, ForgetReport, JournalEntry};
use crate::customer::Customer;
use crate::lifecycle::Reason;
use crate::{BaseError, CustomerId, EventId, NewCustomer, Stage};

impl CustomerBase {
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

    /// The calls that rebuild the base, in public form, leaving out the
    /// events for which `keep` (given the slot and the record) says no:
    /// every customer in the order they were added, then the events,
    /// explicit moves and advances in time order. At one instant the events
    /// come first (in the order of [`Record::key`]), then the moves (in each
    /// customer's order), then the advance: the order in which the rules
    /// take them, so that replaying never revises a history.
    pub(super) fn journal_entries(&self, mut keep: impl FnMut(u32, &Record) -> bool) -> Vec<JournalEntry> {
        /// Where an entry goes in time: instant, class (event, move,
        /// advance), then a tie-break within the class.
        type Order = (DateTime<Utc>, u8, u8, EventId, u32, u32);
        let mut timed: Vec<(Order, JournalEntry)> = Vec::new();
        let mut out = Vec::with_capacity(self.slots.len() + self.event_count + self.advances.len());
        for (slot, s) in (0u32..).zip(&self.slots) {
            let c = &s.customer;
            out.push(JournalEntry::AddCustomer(NewCustomer {
                id: c.id(),
                key: c.key().map(str::to_owned),
                created_at: c.created_at(),
                consent: s.initial_consent,
                attributes: c.attributes().clone(),
            }));
            for (pos, record) in s.records.iter().enumerate() {
                if keep(slot, record) {
                    let (at, rank, id) = record.key();
                    timed.push(((at, 0, rank, id, 0, 0), JournalEntry::Apply(self.event_at(slot, pos))));
                }
            }
            for (n, (at, to, note)) in (0u32..).zip(explicit_moves(c)) {
                let entry = JournalEntry::Transition { customer: c.id(), to, at, note };
                timed.push(((at, 1, 0, EventId::from(uuid::Uuid::nil()), slot, n), entry));
            }
        }
        for &at in &self.advances {
            timed.push(((at, 2, 0, EventId::from(uuid::Uuid::nil()), 0, 0), JournalEntry::AdvanceTo(at)));
        }
        timed.sort_unstable_by_key(|a| a.0);
        out.extend(timed.into_iter().map(|(_, entry)| entry));
        out
    }

    pub(super) fn replay(&mut self, entry: JournalEntry) -> Result<(), BaseError> {
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

/// A customer's explicit moves, `(at, to, note)`, in the order they were made.
pub(super) fn explicit_moves(customer: &Customer) -> Vec<(DateTime<Utc>, Stage, String)> {
    customer
        .history()
        .iter()
        .filter_map(|t| match &t.reason {
            Reason::Explicit { note } => Some((t.at, t.to, note.clone())),
            Reason::Rule(_) => None,
        })
        .collect()
}
