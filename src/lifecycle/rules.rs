//! The policy rules as pure functions of a customer's facts and an instant.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::event::Feedback;
use crate::lifecycle::{Policy, Rule, Stage};

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
