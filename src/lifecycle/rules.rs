//! The rules engine, in one place: the [`Facts`] the rules read, the
//! [`Policy`] rules as pure functions of those facts and an instant, and the
//! per-customer [`Engine`] state with the steps that drive it (an event, the
//! passage of time, an explicit move). The base decides *which* steps a
//! customer goes through; this module decides what each step does, so the
//! in-memory base and any store that keeps customers elsewhere derive the
//! same stages from the same steps.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::Customer;
use crate::event::Feedback;
use crate::lifecycle::{Policy, Reason, Rule, Stage, Transition};

/// What the rules need to know about one customer: everything is a running
/// summary of their events, so applying an event is O(1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Facts {
    pub purchases: u32,
    pub first_purchase: Option<DateTime<Utc>>,
    pub last_purchase: Option<DateTime<Utc>>,
    pub latest_feedback: Option<Feedback>,
    pub open_complaints: u32,
    pub public_advocacy: u32,
    /// When customers this one referred made their first purchase, sorted.
    pub conversions: Vec<DateTime<Utc>>,
}

pub(crate) fn days(n: u32) -> TimeDelta {
    TimeDelta::days(i64::from(n))
}

impl Facts {
    fn is_detractor(&self, policy: &Policy) -> bool {
        match self.latest_feedback {
            Some(Feedback::Nps(s)) => s.get() <= policy.detractor_max_nps(),
            Some(Feedback::Csat(s)) => s.get() <= policy.detractor_max_csat(),
            None => false,
        }
    }

    fn is_positive(&self, policy: &Policy) -> bool {
        match self.latest_feedback {
            Some(Feedback::Nps(s)) => s.get() >= policy.satisfied_min_nps(),
            Some(Feedback::Csat(s)) => s.get() >= policy.satisfied_min_csat(),
            None => false,
        }
    }

    fn is_promoter(&self, policy: &Policy) -> bool {
        match self.latest_feedback {
            Some(Feedback::Nps(s)) => s.get() >= policy.promoter_min_nps(),
            Some(Feedback::Csat(s)) => s.get() >= policy.promoter_min_csat(),
            None => false,
        }
    }

    fn conversions_by(&self, t: DateTime<Utc>) -> usize {
        self.conversions.partition_point(|&c| c <= t)
    }

    pub(crate) fn add_conversion(&mut self, at: DateTime<Utc>) {
        let i = self.conversions.partition_point(|&c| c <= at);
        self.conversions.insert(i, at);
    }

    /// The stage the policy derives as of `t`.
    pub(crate) fn derive(&self, t: DateTime<Utc>, policy: &Policy) -> Stage {
        let (Some(first), Some(last)) = (self.first_purchase, self.last_purchase) else {
            return Stage::Prospect;
        };
        let idle = t - last;
        if idle >= days(policy.churned_after_days()) {
            return Stage::Churned;
        }
        if idle >= days(policy.dormant_after_days()) {
            return Stage::Dormant;
        }
        let good_standing = self.open_complaints == 0 && !self.is_detractor(policy);
        if self.purchases < policy.repeat_min_purchases() {
            let satisfied = good_standing
                && (self.is_positive(policy)
                    || self.purchases >= 2
                    || t - first >= days(policy.satisfied_after_days()));
            return if satisfied { Stage::Satisfied } else { Stage::New };
        }
        let loyal = good_standing
            && self.purchases >= policy.loyal_min_purchases()
            && last - first >= days(policy.loyal_min_span_days())
            && idle < days(policy.loyal_max_idle_days());
        if !loyal {
            return Stage::Repeat;
        }
        let referrals = self.conversions_by(t) >= policy.evangelist_min_converted_referrals() as usize;
        let voice = self.is_promoter(policy) && self.public_advocacy >= policy.evangelist_min_public_advocacy();
        if referrals || voice { Stage::Evangelist } else { Stage::Loyal }
    }

    /// The earliest instant after `t` at which [`Facts::derive`] may give a
    /// different answer with no new event: a window closing or a referred
    /// customer's conversion coming due.
    pub(crate) fn next_change(&self, t: DateTime<Utc>, policy: &Policy) -> Option<DateTime<Utc>> {
        let (first, last) = (self.first_purchase?, self.last_purchase?);
        // A window that would close past the calendar's end never closes.
        let windows = [
            (first, policy.satisfied_after_days()),
            (last, policy.loyal_max_idle_days()),
            (last, policy.dormant_after_days()),
            (last, policy.churned_after_days()),
        ]
        .map(|(from, n)| from.checked_add_signed(days(n)));
        let conversion = self.conversions.get(self.conversions_by(t)).copied();
        windows.into_iter().flatten().chain(conversion).filter(|&d| d > t).min()
    }

    /// Which rule explains a move the rules made from `from` to `to`.
    pub(crate) fn rule_for(&self, from: Stage, to: Stage, policy: &Policy) -> Rule {
        match (from, to) {
            (_, Stage::Dormant) => Rule::Dormancy,
            (_, Stage::Churned) => Rule::Churn,
            (Stage::Dormant | Stage::Churned, _) => Rule::Reactivation,
            (Stage::Prospect, _) => Rule::FirstPurchase,
            _ if to > from => match to {
                Stage::Satisfied => Rule::Satisfaction,
                Stage::Repeat => Rule::RepeatPurchase,
                Stage::Loyal => Rule::Loyalty,
                _ => Rule::Advocacy,
            },
            _ if self.open_complaints > 0 => Rule::UnresolvedComplaint,
            _ if self.is_detractor(policy) => Rule::Detractor,
            _ => Rule::Lapsed,
        }
    }
}

/// The rules' working state for one customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Engine {
    pub facts: Facts,
    /// The stage the rules derived last; an explicit move stands until this
    /// changes.
    pub derived: Stage,
    /// The instant up to which the rules have run.
    pub clock: DateTime<Utc>,
    /// The next instant after `clock` at which the rules may answer
    /// differently without a new event; kept so that most events need not
    /// re-derive anything.
    pub due: Option<DateTime<Utc>>,
}

impl Engine {
    /// The state of a customer created at `created_at`: a prospect, evaluated
    /// up to their creation.
    pub(crate) fn new(created_at: DateTime<Utc>) -> Self {
        Engine { facts: Facts::default(), derived: Stage::Prospect, clock: created_at, due: None }
    }
}

/// What one event means to the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Changes no fact: only windows closing up to the event's instant can
    /// move the customer.
    Nothing,
    /// A purchase.
    Purchase,
    /// A public share or mention.
    PublicAdvocacy,
    /// A survey answer, now the latest.
    Feedback(Feedback),
    /// A complaint, open until resolved.
    Complaint,
    /// An open complaint was resolved.
    ComplaintResolved,
    /// A referral: the caller may have credited a conversion to the facts
    /// just before, which the rules must weigh at the event's instant.
    Referral,
}

impl Effect {
    fn changes_facts(self) -> bool {
        self != Effect::Nothing
    }
}

impl Customer {
    /// Runs the rules through one event of this customer at `at`, which is
    /// not before their clock. Returns whether it was their first purchase.
    pub(crate) fn observe(&mut self, at: DateTime<Utc>, effect: Effect, policy: &Policy) -> bool {
        let changes_facts = effect.changes_facts();
        self.run_until(at, policy, !changes_facts);
        let facts = &mut self.engine.facts;
        let mut first_purchase = false;
        match effect {
            Effect::Purchase => {
                facts.purchases += 1;
                first_purchase = facts.first_purchase.is_none();
                facts.first_purchase.get_or_insert(at);
                facts.last_purchase = Some(at);
            }
            Effect::PublicAdvocacy => facts.public_advocacy += 1,
            Effect::Feedback(feedback) => facts.latest_feedback = Some(feedback),
            Effect::Complaint => facts.open_complaints += 1,
            Effect::ComplaintResolved => facts.open_complaints -= 1,
            Effect::Nothing | Effect::Referral => {}
        }
        if changes_facts {
            self.settle(at, policy);
        } else {
            self.engine.clock = self.engine.clock.max(at);
        }
        first_purchase
    }

    /// Credits a customer this one referred with a first purchase at `at`,
    /// after their clock: the credit comes due like a closing window. (A
    /// credit at or before the clock revises the history instead.)
    pub(crate) fn credit_conversion(&mut self, at: DateTime<Utc>, policy: &Policy) {
        debug_assert!(at > self.engine.clock, "a credit in the past revises the history");
        self.engine.facts.add_conversion(at);
        self.engine.due = self.engine.facts.next_change(self.engine.clock, policy);
    }

    /// Runs the time-based rules up to `now`, if the customer has not been
    /// evaluated that far yet.
    pub(crate) fn advance(&mut self, now: DateTime<Utc>, policy: &Policy) {
        if self.engine.clock < now {
            self.evaluate_at(now, policy);
        }
    }

    /// Runs the time-based rules up to `at` inclusive and re-derives the
    /// stage there.
    pub(crate) fn evaluate_at(&mut self, at: DateTime<Utc>, policy: &Policy) {
        self.run_until(at, policy, true);
        self.settle(at, policy);
    }

    /// Moves the customer explicitly at `at`, after running their rules up to
    /// it; `Err` with their stage then when the legal-move table forbids it.
    pub(crate) fn move_explicitly(
        &mut self,
        to: Stage,
        at: DateTime<Utc>,
        note: String,
        policy: &Policy,
    ) -> Result<(), Stage> {
        self.evaluate_at(at, policy);
        let from = self.stage();
        if !from.can_move_to(to) {
            return Err(from);
        }
        self.set_stage(Transition { from, to, at, reason: Reason::Explicit { note } });
        Ok(())
    }

    /// Runs the time-based rules over every window that closes before `t`
    /// (or at `t`, when `inclusive`).
    fn run_until(&mut self, t: DateTime<Utc>, policy: &Policy, inclusive: bool) {
        while let Some(due) = self.engine.due {
            if due > t || (due == t && !inclusive) {
                break;
            }
            self.settle(due, policy);
        }
    }

    /// Re-derives the stage at `t` and moves the customer if the rules'
    /// answer changed. An explicit move stands until the rules' answer
    /// changes; a rule move that the legal-move table forbids from an
    /// explicitly set stage does not happen.
    fn settle(&mut self, t: DateTime<Utc>, policy: &Policy) {
        let derived = self.engine.facts.derive(t, policy);
        if derived != self.engine.derived {
            self.engine.derived = derived;
            let from = self.stage();
            if from != derived && from.can_move_to(derived) {
                let rule = self.engine.facts.rule_for(from, derived, policy);
                self.set_stage(Transition { from, to: derived, at: t, reason: Reason::Rule(rule) });
            }
        }
        let clock = self.engine.clock.max(t);
        self.engine.clock = clock;
        self.engine.due = self.engine.facts.next_change(clock, policy);
    }
}
