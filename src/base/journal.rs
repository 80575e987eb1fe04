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
    /// explicit moves and advances in time order (see
    /// [`CustomerBase::journal_order`]).
    pub(super) fn journal_entries(&self, keep: impl FnMut(u32, &Record) -> bool) -> Vec<JournalEntry> {
        let order = self.journal_order(keep);
        let mut out = Vec::with_capacity(self.slots.len() + order.len());
        out.extend((0..self.slots.len() as u32).map(|slot| self.added_entry(slot)));
        out.extend(order.into_iter().map(|source| self.journal_entry(source)));
        out
    }

    /// The [`JournalEntry::AddCustomer`] of a slot, with the customer's
    /// current attributes.
    pub(super) fn added_entry(&self, slot: u32) -> JournalEntry {
        let s = &self.slots[slot as usize];
        let c = &s.customer;
        JournalEntry::AddCustomer(NewCustomer {
            id: c.id(),
            key: c.key().map(str::to_owned),
            created_at: c.created_at(),
            consent: s.initial_consent,
            attributes: c.attributes().clone(),
        })
    }

    /// Where the timed part of the journal comes from, in journal order:
    /// the events (leaving out those for which `keep` says no), explicit
    /// moves and advances in time order. At one instant the events come
    /// first (in the order of [`Record::key`]), then the moves (in each
    /// customer's order), then the advance: the order in which the rules
    /// take them, so that replaying never revises a history. Each source
    /// is a few words, so that a snapshot can be written entry by entry
    /// (with [`CustomerBase::journal_entry`]) without holding the entries.
    pub(super) fn journal_order(&self, mut keep: impl FnMut(u32, &Record) -> bool) -> Vec<Source> {
        /// Where an entry goes in time: instant, class (event, move,
        /// advance), then a tie-break within the class.
        type Order = (DateTime<Utc>, u8, u8, EventId, u32, u32);
        let mut timed: Vec<(Order, Source)> = Vec::with_capacity(self.event_count + self.advances.len());
        for (slot, s) in (0u32..).zip(&self.slots) {
            for (pos, record) in s.records.iter().enumerate() {
                if keep(slot, record) {
                    let (at, rank, id) = record.key();
                    timed.push(((at, 0, rank, id, 0, 0), Source::Event(slot, pos as u32)));
                }
            }
            let moves = s.customer.history().iter().enumerate();
            for (n, (index, t)) in (0u32..).zip(moves.filter(|(_, t)| matches!(t.reason, Reason::Explicit { .. }))) {
                timed.push(((t.at, 1, 0, EventId::from(uuid::Uuid::nil()), slot, n), Source::Move(slot, index as u32)));
            }
        }
        for (index, &at) in self.advances.iter().enumerate() {
            timed.push(((at, 2, 0, EventId::from(uuid::Uuid::nil()), 0, 0), Source::Advance(index as u32)));
        }
        timed.sort_unstable_by_key(|a| a.0);
        timed.into_iter().map(|(_, source)| source).collect()
    }

    /// The journal entry a [`Source`] stands for.
    pub(super) fn journal_entry(&self, source: Source) -> JournalEntry {
        match source {
            Source::Event(slot, pos) => JournalEntry::Apply(self.event_at(slot, pos as usize)),
            Source::Move(slot, index) => {
                let c = &self.slots[slot as usize].customer;
                let t = &c.history()[index as usize];
                let note = match &t.reason {
                    Reason::Explicit { note } => note.clone(),
                    Reason::Rule(_) => unreachable!("journal_order takes explicit moves only"),
                };
                JournalEntry::Transition { customer: c.id(), to: t.to, at: t.at, note }
            }
            Source::Advance(index) => JournalEntry::AdvanceTo(self.advances[index as usize]),
        }
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

/// Where a timed journal entry comes from: an event (slot, position among
/// the slot's records), an explicit move (slot, position in the customer's
/// history) or an advance (position among the base's advances).
#[derive(Debug, Clone, Copy)]
pub(super) enum Source {
    Event(u32, u32),
    Move(u32, u32),
    Advance(u32),
}

/// A customer's explicit moves, `(at, to, note)`, in the order they were made.
pub(crate) fn explicit_moves(customer: &Customer) -> Vec<(DateTime<Utc>, Stage, String)> {
    customer
        .history()
        .iter()
        .filter_map(|t| match &t.reason {
            Reason::Explicit { note } => Some((t.at, t.to, note.clone())),
            Reason::Rule(_) => None,
        })
        .collect()
}
