//! The journal: every successful mutating call in order, which snapshots
//! store and from which [`CustomerBase::forget`] rebuilds the base without a
//! customer.

use super::record::{Kind, Record};
use super::{CustomerBase, ForgetReport, JournalEntry};
use crate::lifecycle::Reason;
use crate::{BaseError, CustomerId, NewCustomer};

/// One successful mutating call, in order. Replaying the journal rebuilds
/// the base exactly; it is what a snapshot stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Entry {
    /// A customer was added (slot).
    Add(u32),
    /// The slot's next record was applied.
    Event(u32),
    /// The slot's next explicit transition was made.
    Transition(u32),
    /// `advances[i]` was passed to `advance_to`.
    Advance(u32),
}

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

    /// The journal in public form, leaving out the events for which `keep`
    /// (given the slot and the record) says no.
    pub(super) fn journal_entries(&self, mut keep: impl FnMut(u32, &Record) -> bool) -> Vec<JournalEntry> {
        let mut next_record = vec![0usize; self.slots.len()];
        let mut next_move = vec![0usize; self.slots.len()];
        let mut out = Vec::with_capacity(self.journal.len());
        for &entry in &self.journal {
            match entry {
                Entry::Add(slot) => {
                    let s = &self.slots[slot as usize];
                    let c = &s.customer;
                    out.push(JournalEntry::AddCustomer(NewCustomer {
                        id: c.id(),
                        key: c.key().map(str::to_owned),
                        created_at: c.created_at(),
                        consent: s.initial_consent,
                        attributes: c.attributes().clone(),
                    }));
                }
                Entry::Event(slot) => {
                    let pos = next_record[slot as usize];
                    next_record[slot as usize] += 1;
                    if keep(slot, &self.slots[slot as usize].records[pos]) {
                        out.push(JournalEntry::Apply(self.event_at(slot, pos)));
                    }
                }
                Entry::Transition(slot) => {
                    let c = &self.slots[slot as usize].customer;
                    let cursor = &mut next_move[slot as usize];
                    let (offset, t) = c.history()[*cursor..]
                        .iter()
                        .enumerate()
                        .find(|(_, t)| matches!(t.reason, Reason::Explicit { .. }))
                        .expect("journaled moves are in the history");
                    *cursor += offset + 1;
                    let Reason::Explicit { note } = &t.reason else { unreachable!() };
                    out.push(JournalEntry::Transition { customer: c.id(), to: t.to, at: t.at, note: note.clone() });
                }
                Entry::Advance(i) => out.push(JournalEntry::AdvanceTo(self.advances[i as usize])),
            }
        }
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
