//! Shared helpers: a small scripted base.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use customer_lifecycle::{
    Channel, CustomerBase, CustomerId, Event, EventId, EventKind, Money, NewCustomer, Policy,
    event::{EngagementAction, Feedback, NpsScore},
};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
}

pub fn day(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::days(n)
}

/// A base with customers `a`, `b`, `c`, `d`, created at day 0, and a
/// counter for event ids.
pub struct Script {
    pub base: CustomerBase,
    next: u32,
}

pub fn cid(key: &str) -> CustomerId {
    CustomerId::from_key(key)
}

impl Script {
    pub fn new() -> Self {
        Self::with_policy(Policy::default())
    }

    pub fn with_policy(policy: Policy) -> Self {
        let mut base = CustomerBase::new(policy);
        for key in ["a", "b", "c", "d"] {
            base.add_customer(NewCustomer::with_key(key, t0())).unwrap();
        }
        Script { base, next: 0 }
    }

    pub fn event(&mut self, who: &str, at: i64, kind: EventKind) -> Event {
        self.next += 1;
        Event {
            id: EventId::from_key(&format!("e{}", self.next)),
            customer: cid(who),
            at: day(at),
            channel: Channel::Web,
            kind,
        }
    }

    /// Applies an event that must be accepted; returns its id.
    pub fn ok(&mut self, who: &str, at: i64, kind: EventKind) -> EventId {
        let event = self.event(who, at, kind);
        self.base.apply(&event).unwrap_or_else(|e| panic!("{e}"));
        event.id
    }

    pub fn buy(&mut self, who: &str, at: i64) -> EventId {
        self.ok(who, at, EventKind::Purchase { amount: Money::from_minor(2_500) })
    }

    pub fn nps(&mut self, who: &str, at: i64, score: u8) -> EventId {
        self.ok(who, at, EventKind::Feedback { feedback: Feedback::Nps(NpsScore::new(score).unwrap()) })
    }

    pub fn share(&mut self, who: &str, at: i64) -> EventId {
        self.ok(who, at, EventKind::Engagement { action: EngagementAction::Share })
    }

    pub fn stage(&self, who: &str) -> customer_lifecycle::Stage {
        self.base.get(cid(who)).unwrap().stage()
    }

    pub fn moves(&self, who: &str) -> Vec<(customer_lifecycle::Stage, DateTime<Utc>)> {
        self.base.get(cid(who)).unwrap().history().iter().map(|t| (t.to, t.at)).collect()
    }
}
