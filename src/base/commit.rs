//! Commit: records a validated event, keeps the base's own bookkeeping
//! (open tickets, consent, who referred whom, refunded totals) and drives
//! the rules engine through it.
//!
//! An event that comes after everything the base has seen of its customer
//! takes the fast path: one step of the engine. Any other event (late, or
//! at the same instant as later-ordered ones) revises: the customer's
//! history is derived again from their records, explicit moves and the
//! base's advances in time order, by the same steps; and so is that of
//! whoever referred them when their first purchase moved, since a
//! referrer's credit is the invitee's first purchase. Customers followed by
//! someone have nothing to revise: a follow is no fact of the followed.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::CustomerBase;
use super::journal::explicit_moves;
use super::record::{Kind, Record};
use crate::customer::Customer;
use crate::lifecycle::Reason;
use crate::lifecycle::rules::Effect;
use crate::{BaseError, Money, NewCustomer, Policy, Stage};

/// An explicit move: instant, stage, note.
pub(crate) type Move = (DateTime<Utc>, Stage, String);

/// What the rules make of record `pos` given the records before it.
fn effect_of(records: &[Record], pos: usize) -> Effect {
    match records[pos].kind {
        Kind::Purchase(_) => Effect::Purchase,
        Kind::Engagement(action) if action.is_public_advocacy() => Effect::PublicAdvocacy,
        Kind::Feedback(feedback) => Effect::Feedback(feedback),
        Kind::Complaint => Effect::Complaint,
        Kind::TicketResolved { ticket } if records[ticket as usize].kind == Kind::Complaint => {
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
    }
}

/// One record through one customer: tickets, consent and the rules.
/// Returns whether it was their first purchase.
fn step(customer: &mut Customer, open_tickets: &mut Vec<u32>, records: &[Record], pos: usize, policy: &Policy) -> bool {
    let record = records[pos];
    match record.kind {
        Kind::TicketOpened | Kind::Complaint => open_tickets.push(pos as u32),
        Kind::TicketResolved { ticket } => open_tickets.retain(|&p| p != ticket),
        _ => {}
    }
    let first_purchase = customer.observe(record.at, effect_of(records, pos), policy);
    if let Kind::Consent { purpose, granted } = record.kind {
        customer.consent_mut().set(purpose, granted, record.at);
    }
    first_purchase
}

/// What a revision does to a referrer of the revised customer.
enum Credit {
    /// Their conversions change only after their clock: new facts suffice.
    Future(Vec<DateTime<Utc>>),
    /// Their history is derived again.
    Revised(Box<Customer>, Vec<u32>),
}

impl CustomerBase {
    /// Whether `record` can take the fast path: it comes after everything
    /// the base has seen of its customer, and if it is their first purchase,
    /// after everything it credits to their referrers.
    pub(super) fn appends(&self, slot: usize, record: &Record) -> bool {
        let s = &self.slots[slot];
        let clock = s.customer.engine.clock;
        let after = if record.at == clock {
            // At the clock's instant the record goes after that instant's
            // records, before its explicit moves and advances.
            let moved_now = s
                .customer
                .history()
                .iter()
                .rev()
                .take_while(|t| t.at == clock)
                .any(|t| matches!(t.reason, Reason::Explicit { .. }));
            !moved_now
                && match s.records.last() {
                    Some(last) => last.at == clock && last.key() < record.key(),
                    None => clock == s.customer.created_at(),
                }
        } else {
            record.at > clock
        };
        let credits_the_past = matches!(record.kind, Kind::Purchase(_))
            && s.customer.first_purchase().is_none()
            && s.referrers.iter().any(|&(r, referred_at)| {
                referred_at <= record.at && self.slots[r as usize].customer.engine.clock >= record.at
            });
        after && !credits_the_past
    }

    /// Records an event that [`appends`](CustomerBase::appends), and runs the
    /// rules one step.
    pub(super) fn commit(&mut self, slot: usize, record: Record) {
        let policy = &self.policy;
        let at = record.at;
        let pos = self.slots[slot].records.len();
        if let Kind::Referral { invitee } = record.kind {
            let referrer = slot as u32;
            let invited = &mut self.slots[invitee as usize];
            if !invited.referrers.iter().any(|&(r, _)| r == referrer) {
                invited.referrers.push((referrer, at));
                if let Some(bought) = invited.customer.first_purchase().filter(|&b| b >= at) {
                    self.slots[slot].customer.engine.facts.add_conversion(bought);
                }
            }
        }
        let s = &mut self.slots[slot];
        s.records.push(record);
        let first_purchase = step(&mut s.customer, &mut s.open_tickets, &s.records, pos, policy);
        if first_purchase {
            // Credit whoever referred this customer before they bought; all
            // of them are behind `at` (see `appends`).
            let referrers = std::mem::take(&mut self.slots[slot].referrers);
            for &(referrer, _) in referrers.iter().filter(|&&(_, referred_at)| referred_at <= at) {
                self.slots[referrer as usize].customer.credit_conversion(at, policy);
            }
            self.slots[slot].referrers = referrers;
        }
        self.index_record(slot, pos, record);
    }

    /// Records any valid event, in its place in its customer's time order,
    /// and derives again the histories it changes: the customer's, and their
    /// referrers' when their first purchase moved. Nothing changes on error.
    ///
    /// # Errors
    ///
    /// [`BaseError::MoveInvalidated`] when a derived history makes a
    /// recorded explicit move illegal.
    pub(super) fn revise(&mut self, slot: usize, record: Record) -> Result<(), BaseError> {
        let s = &self.slots[slot];
        let key = record.key();
        let pos = s.records.partition_point(|r| r.key() < key);
        let mut records = Vec::with_capacity(s.records.len() + 1);
        records.extend_from_slice(&s.records[..pos]);
        records.push(record);
        records.extend(s.records[pos..].iter().map(|r| r.shifted(pos as u32)));
        let conversions = self.conversions_of(&records, None);
        let moves = explicit_moves(&s.customer);
        let (customer, open_tickets) = self.derive_or_refuse(slot, &records, &moves, conversions)?;
        let credits = self.credits(slot, customer.first_purchase())?;

        // Nothing can fail from here on.
        if let Kind::Referral { invitee } = record.kind {
            let referrers = &mut self.slots[invitee as usize].referrers;
            match referrers.iter_mut().find(|(r, _)| *r == slot as u32) {
                Some((_, referred_at)) => *referred_at = (*referred_at).min(record.at),
                None => referrers.push((slot as u32, record.at)),
            }
        }
        for (referrer, credit) in credits {
            let c = &mut self.slots[referrer].customer;
            match credit {
                Credit::Future(conversions) => {
                    c.engine.facts.conversions = conversions;
                    c.engine.due = c.engine.facts.next_change(c.engine.clock, &self.policy);
                }
                Credit::Revised(customer, open_tickets) => {
                    *c = *customer;
                    self.slots[referrer].open_tickets = open_tickets;
                }
            }
        }
        let s = &mut self.slots[slot];
        s.customer = customer;
        s.open_tickets = open_tickets;
        s.records = records;
        for later in pos + 1..self.slots[slot].records.len() {
            let id = self.slots[slot].records[later].id;
            self.event_index.insert(id, (slot as u32, later as u32));
        }
        self.index_record(slot, pos, record);
        Ok(())
    }

    /// Moves a customer explicitly at an instant before their clock: their
    /// history is derived again with the move in its place.
    pub(super) fn revise_move(
        &mut self,
        slot: usize,
        to: Stage,
        at: DateTime<Utc>,
        note: String,
    ) -> Result<(), BaseError> {
        let s = &self.slots[slot];
        let mut moves = explicit_moves(&s.customer);
        let new = moves.partition_point(|m| m.0 <= at);
        moves.insert(new, (at, to, note));
        let conversions = s.customer.engine.facts.conversions.clone();
        let (customer, open_tickets) = self.derive(slot, &s.records, &moves, conversions).map_err(|(i, from)| {
            if i == new {
                BaseError::IllegalTransition {
                    customer: s.customer.id(),
                    customer_key: s.customer.key().map(str::to_owned),
                    from,
                    to,
                }
            } else {
                self.move_invalidated(slot, &moves[i], from)
            }
        })?;
        let s = &mut self.slots[slot];
        s.customer = customer;
        s.open_tickets = open_tickets;
        Ok(())
    }

    /// Indexes a record just placed at `pos` and keeps the running totals.
    fn index_record(&mut self, slot: usize, pos: usize, record: Record) {
        if let Kind::Refund { amount, purchase } = record.kind {
            let purchase = self.slots[slot].records[purchase as usize].id;
            let total = self.refunded.entry(purchase).or_insert(Money::ZERO);
            *total = total.checked_add(amount).expect("validated: refunds stay within their purchase");
        }
        self.event_index.insert(record.id, (slot as u32, pos as u32));
        self.event_count += 1;
    }

    /// The first purchases of the customers `records` refer, with
    /// `first_purchase` overriding one customer's: see [`conversions_of`].
    fn conversions_of(
        &self,
        records: &[Record],
        first_purchase: Option<(u32, Option<DateTime<Utc>>)>,
    ) -> Vec<DateTime<Utc>> {
        conversions_of(records, |invitee| match first_purchase {
            Some((who, bought)) if who == invitee => bought,
            _ => self.slots[invitee as usize].customer.first_purchase(),
        })
    }

    /// What the customer at `slot` moving their first purchase to `bought`
    /// does to each of their referrers.
    fn credits(&self, slot: usize, bought: Option<DateTime<Utc>>) -> Result<Vec<(usize, Credit)>, BaseError> {
        let s = &self.slots[slot];
        if bought == s.customer.first_purchase() {
            return Ok(Vec::new());
        }
        let mut credits = Vec::new();
        for &(referrer, _) in &s.referrers {
            let r = &self.slots[referrer as usize];
            let old = &r.customer.engine.facts.conversions;
            let new = self.conversions_of(&r.records, Some((slot as u32, bought)));
            if &new == old {
                continue;
            }
            let changed = old.iter().zip(&new).find(|(a, b)| a != b).map_or_else(
                || *old.get(new.len()).or(new.get(old.len())).expect("lengths differ"),
                |(a, b)| *a.min(b),
            );
            let credit = if changed > r.customer.engine.clock {
                Credit::Future(new)
            } else {
                let moves = explicit_moves(&r.customer);
                let (customer, open_tickets) = self.derive_or_refuse(referrer as usize, &r.records, &moves, new)?;
                Credit::Revised(Box::new(customer), open_tickets)
            };
            credits.push((referrer as usize, credit));
        }
        Ok(credits)
    }

    fn derive_or_refuse(
        &self,
        slot: usize,
        records: &[Record],
        moves: &[Move],
        conversions: Vec<DateTime<Utc>>,
    ) -> Result<(Customer, Vec<u32>), BaseError> {
        self.derive(slot, records, moves, conversions).map_err(|(i, from)| self.move_invalidated(slot, &moves[i], from))
    }

    fn move_invalidated(&self, slot: usize, &(at, to, _): &Move, from: Stage) -> BaseError {
        let c = &self.slots[slot].customer;
        BaseError::MoveInvalidated { customer: c.id(), customer_key: c.key().map(str::to_owned), at, from, to }
    }

    /// The customer at `slot` derived from scratch by [`derive`], with the
    /// base's policy and advances.
    pub(super) fn derive(
        &self,
        slot: usize,
        records: &[Record],
        moves: &[Move],
        conversions: Vec<DateTime<Utc>>,
    ) -> Result<(Customer, Vec<u32>), (usize, Stage)> {
        let old = &self.slots[slot];
        derive(&old.customer, old.initial_consent, records, moves, &self.advances, conversions, &self.policy)
    }
}

/// The conversions credited to a referrer whose records are `records`: the
/// first purchase of each customer they refer (`first_purchase` of the
/// invitee's number), counted once, when the first referral came at or
/// before it; sorted. The in-memory base and the store both credit
/// referrers through this function.
pub(crate) fn conversions_of(
    records: &[Record],
    first_purchase: impl Fn(u32) -> Option<DateTime<Utc>>,
) -> Vec<DateTime<Utc>> {
    let mut seen = HashSet::with_hasher(foldhash::fast::FixedState::default());
    let mut conversions = Vec::new();
    for record in records {
        let Kind::Referral { invitee } = record.kind else { continue };
        if !seen.insert(invitee) {
            continue;
        }
        conversions.extend(first_purchase(invitee).filter(|&b| b >= record.at));
    }
    conversions.sort_unstable();
    conversions
}

/// A customer derived from scratch: `seed`'s identity and attributes,
/// `initial_consent`, then their records, explicit moves and the advances
/// after their creation, in time order (at one instant: records, then
/// moves, then the advance), through the same steps as the fast path;
/// `conversions` are their referrals' credits. Returns the customer and
/// the positions of their open tickets; `Err` names the first move that is
/// illegal there, with the stage it would leave. This is the one
/// derivation of a history: [`CustomerBase`] and the store both call it.
///
/// # Complexity
///
/// O(records + moves + advances).
pub(crate) fn derive(
    seed: &Customer,
    initial_consent: crate::Consent,
    records: &[Record],
    moves: &[Move],
    advances: &[DateTime<Utc>],
    conversions: Vec<DateTime<Utc>>,
    policy: &Policy,
) -> Result<(Customer, Vec<u32>), (usize, Stage)> {
    let c = seed;
    let mut customer = Customer::from_new(NewCustomer {
        id: c.id(),
        key: c.key().map(str::to_owned),
        created_at: c.created_at(),
        consent: initial_consent,
        attributes: c.attributes().clone(),
    });
    customer.engine.facts.conversions = conversions;
    let mut open_tickets = Vec::new();
    let advances = &advances[advances.partition_point(|&a| a <= c.created_at())..];
    let (mut r, mut m, mut a) = (0, 0, 0);
    loop {
        let record_at = records.get(r).map(|x| x.at);
        let move_at = moves.get(m).map(|x| x.0);
        let advance_at = advances.get(a).copied();
        let next = [record_at, move_at, advance_at].into_iter().flatten().min();
        let Some(next) = next else { break };
        if record_at == Some(next) {
            step(&mut customer, &mut open_tickets, records, r, policy);
            r += 1;
        } else if move_at == Some(next) {
            let (at, to, note) = &moves[m];
            customer.move_explicitly(*to, *at, note.clone(), policy).map_err(|from| (m, from))?;
            m += 1;
        } else {
            customer.advance(next, policy);
            a += 1;
        }
    }
    Ok((customer, open_tickets))
}
