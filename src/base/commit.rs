//! Commit: records a validated event, keeps the base's own bookkeeping
//! (open tickets, consent, who referred whom) and drives the rules engine
//! through it: the customer's own rules, and those of the referrers a first
//! purchase credits.

use super::CustomerBase;
use super::journal::Entry;
use super::record::{Kind, Record};
use crate::Money;
use crate::lifecycle::rules::Effect;

impl CustomerBase {
    /// Records a validated event and runs the rules.
    pub(super) fn commit(&mut self, slot: usize, record: Record) {
        let policy = &self.policy;
        let at = record.at;
        let pos = self.slots[slot].records.len() as u32;
        let s = &mut self.slots[slot];
        let effect = match record.kind {
            Kind::Purchase(_) => Effect::Purchase,
            Kind::Engagement(action) if action.is_public_advocacy() => Effect::PublicAdvocacy,
            Kind::Feedback(feedback) => Effect::Feedback(feedback),
            Kind::Complaint => Effect::Complaint,
            Kind::TicketResolved { ticket } if s.records[ticket as usize].kind == Kind::Complaint => {
                Effect::ComplaintResolved
            }
            Kind::Referral { .. } => Effect::Referral,
            Kind::Refund { .. }
            | Kind::Engagement(_)
            | Kind::TicketOpened
            | Kind::TicketResolved { .. }
            | Kind::Follow { .. }
            | Kind::Consent { .. }
            | Kind::Touch { .. }
            | Kind::Response { .. } => Effect::Nothing,
        };
        match record.kind {
            Kind::TicketOpened | Kind::Complaint => s.open_tickets.push(pos),
            Kind::TicketResolved { ticket } => s.open_tickets.retain(|&p| p != ticket),
            Kind::Referral { invitee } => {
                let referrer = slot as u32;
                let invited = &mut self.slots[invitee as usize];
                if !invited.referrers.iter().any(|&(r, _)| r == referrer) {
                    invited.referrers.push((referrer, at));
                    if let Some(bought) = invited.customer.first_purchase().filter(|&b| b >= at) {
                        self.slots[slot].customer.engine.facts.add_conversion(bought);
                    }
                }
            }
            _ => {}
        }
        let s = &mut self.slots[slot];
        let first_purchase = s.customer.observe(at, effect, policy);
        if let Kind::Consent { purpose, granted } = record.kind {
            s.customer.consent_mut().set(purpose, granted, at);
        }
        s.records.push(record);
        if first_purchase {
            // Credit whoever referred this customer before they bought.
            let referrers = std::mem::take(&mut self.slots[slot].referrers);
            for &(referrer, _) in referrers.iter().filter(|&&(_, referred_at)| referred_at <= at) {
                self.slots[referrer as usize].customer.credit_conversion(at, policy);
            }
            self.slots[slot].referrers = referrers;
        }
        if let Kind::Refund { amount, purchase } = record.kind {
            let purchase = self.slots[slot].records[purchase as usize].id;
            let total = self.refunded.entry(purchase).or_insert(Money::ZERO);
            *total = total.checked_add(amount).expect("validated: refunds stay within their purchase");
        }
        self.event_index.insert(record.id, (slot as u32, pos));
        self.event_count += 1;
        self.journal.push(Entry::Event(slot as u32));
    }
}
