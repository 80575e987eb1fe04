use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a customer stands in their relationship with the brand.
///
/// Six stages form the ladder, in order: [`Prospect`](Stage::Prospect) →
/// [`New`](Stage::New) → [`Satisfied`](Stage::Satisfied) →
/// [`Repeat`](Stage::Repeat) → [`Loyal`](Stage::Loyal) →
/// [`Evangelist`](Stage::Evangelist). [`Dormant`](Stage::Dormant) and
/// [`Churned`](Stage::Churned) stand off the ladder. The set is complete by
/// design, so the enum is exhaustive.
///
/// # Example
///
/// ```
/// use customer_lifecycle::{Stage, lifecycle::Phase};
///
/// assert!(Stage::New < Stage::Loyal);
/// assert_eq!(Stage::Satisfied.phase(), Some(Phase::Development));
/// assert_eq!(Stage::Dormant.phase(), None);
/// assert!(Stage::Repeat.can_move_to(Stage::Loyal));
/// assert!(!Stage::Prospect.can_move_to(Stage::Churned));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Known to the brand (a follower, a lead) but has not bought.
    #[default]
    Prospect,
    /// Has made a first purchase.
    New,
    /// A customer in good standing whose experience was positive.
    Satisfied,
    /// Has bought again.
    Repeat,
    /// Buys steadily over a long tenure.
    Loyal,
    /// A loyal customer who brings others: referrals that converted, or
    /// promoter feedback and public advocacy.
    Evangelist,
    /// No purchase for longer than the dormancy window; still recoverable.
    Dormant,
    /// No purchase for longer than the churn window: lost, unless they buy again.
    Churned,
}

impl Stage {
    /// Every stage: the ladder in order, then `Dormant` and `Churned`.
    pub const ALL: [Stage; 8] = [
        Stage::Prospect,
        Stage::New,
        Stage::Satisfied,
        Stage::Repeat,
        Stage::Loyal,
        Stage::Evangelist,
        Stage::Dormant,
        Stage::Churned,
    ];

    /// The ladder stages, bottom to top.
    pub const LADDER: [Stage; 6] =
        [Stage::Prospect, Stage::New, Stage::Satisfied, Stage::Repeat, Stage::Loyal, Stage::Evangelist];

    /// The position on the ladder, 0 (`Prospect`) to 5 (`Evangelist`), or
    /// `None` off the ladder.
    pub const fn ladder_rank(self) -> Option<usize> {
        match self {
            Stage::Prospect => Some(0),
            Stage::New => Some(1),
            Stage::Satisfied => Some(2),
            Stage::Repeat => Some(3),
            Stage::Loyal => Some(4),
            Stage::Evangelist => Some(5),
            Stage::Dormant | Stage::Churned => None,
        }
    }

    /// Whether the stage is on the ladder.
    pub const fn is_on_ladder(self) -> bool {
        self.ladder_rank().is_some()
    }

    /// The next stage up the ladder, if any.
    pub const fn next(self) -> Option<Stage> {
        match self {
            Stage::Prospect => Some(Stage::New),
            Stage::New => Some(Stage::Satisfied),
            Stage::Satisfied => Some(Stage::Repeat),
            Stage::Repeat => Some(Stage::Loyal),
            Stage::Loyal => Some(Stage::Evangelist),
            Stage::Evangelist | Stage::Dormant | Stage::Churned => None,
        }
    }

    /// The phase whose work moves a customer up from this stage: acquisition
    /// for a prospect, development for new and satisfied customers, retention
    /// from repeat upwards. `None` for `Dormant` and `Churned`, which stand
    /// off the ladder.
    pub const fn phase(self) -> Option<Phase> {
        match self {
            Stage::Prospect => Some(Phase::Acquisition),
            Stage::New | Stage::Satisfied => Some(Phase::Development),
            Stage::Repeat | Stage::Loyal | Stage::Evangelist => Some(Phase::Retention),
            Stage::Dormant | Stage::Churned => None,
        }
    }

    /// The snake-case name, as in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Stage::Prospect => "prospect",
            Stage::New => "new",
            Stage::Satisfied => "satisfied",
            Stage::Repeat => "repeat",
            Stage::Loyal => "loyal",
            Stage::Evangelist => "evangelist",
            Stage::Dormant => "dormant",
            Stage::Churned => "churned",
        }
    }

    /// Whether a move from `self` to `to` is legal. The table:
    ///
    /// | from | legal targets |
    /// |---|---|
    /// | any ladder stage | any higher ladder stage |
    /// | `Satisfied` and above | any lower ladder stage but `Prospect` (demotion) |
    /// | `New` and above | `Dormant`, `Churned` |
    /// | `Dormant` | `Churned`, any ladder stage but `Prospect` (reactivation) |
    /// | `Churned` | any ladder stage but `Prospect` (reactivation) |
    ///
    /// A stage never moves to itself, and nobody becomes a prospect again:
    /// a purchase cannot be undone.
    pub const fn can_move_to(self, to: Stage) -> bool {
        match (self.ladder_rank(), to.ladder_rank()) {
            (Some(from), Some(to)) => from < to || (to >= 1 && to < from),
            (Some(from), None) => from >= 1,
            (None, Some(to)) => to >= 1,
            (None, None) => matches!((self, to), (Stage::Dormant, Stage::Churned)),
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The three phases of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Turning prospects into customers.
    Acquisition,
    /// Turning new customers into satisfied, repeat ones.
    Development,
    /// Keeping repeat customers and growing them into loyal customers and evangelists.
    Retention,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 3] = [Phase::Acquisition, Phase::Development, Phase::Retention];

    /// The snake-case name, as in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Phase::Acquisition => "acquisition",
            Phase::Development => "development",
            Phase::Retention => "retention",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One move of a customer from one stage to another: the audit trail of why
/// the base believes what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The stage before.
    pub from: Stage,
    /// The stage after.
    pub to: Stage,
    /// When the move took effect.
    pub at: DateTime<Utc>,
    /// Which rule or call made it.
    pub reason: Reason,
}

/// Why a customer moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// A rule of the [`Policy`](crate::Policy) derived the new stage from the
    /// customer's events and the passage of time.
    Rule(Rule),
    /// An explicit call to [`CustomerBase::transition`](crate::CustomerBase::transition),
    /// with the caller's note.
    Explicit {
        /// Free text from the caller.
        note: String,
    },
}

/// The policy rules that move customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// The first purchase made a prospect a customer.
    FirstPurchase,
    /// Positive feedback, a second purchase, or time since the first purchase
    /// without complaint made the customer satisfied.
    Satisfaction,
    /// Another purchase made the customer a repeat customer.
    RepeatPurchase,
    /// Enough purchases over a long enough tenure made the customer loyal.
    Loyalty,
    /// Converted referrals, or promoter feedback with public advocacy, made a
    /// loyal customer an evangelist.
    Advocacy,
    /// An unresolved complaint moved the customer down.
    UnresolvedComplaint,
    /// Detractor feedback moved the customer down.
    Detractor,
    /// The customer stopped qualifying for their stage (purchases lapsed
    /// beyond the loyalty window, or advocacy no longer counts).
    Lapsed,
    /// No purchase for the dormancy window.
    Dormancy,
    /// No purchase for the churn window.
    Churn,
    /// A dormant or churned customer bought again.
    Reactivation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_move_table() {
        use Stage::*;
        let legal = |a: Stage, b: Stage| a.can_move_to(b);
        for s in Stage::ALL {
            assert!(!legal(s, s), "{s} to itself");
            assert!(!legal(s, Prospect), "{s} back to prospect");
        }
        assert!(legal(Prospect, New) && legal(Prospect, Evangelist));
        assert!(!legal(Prospect, Dormant) && !legal(Prospect, Churned));
        assert!(legal(Loyal, New) && legal(Satisfied, New) && !legal(New, Prospect));
        assert!(legal(New, Dormant) && legal(Evangelist, Churned) && legal(Dormant, Churned));
        assert!(!legal(Churned, Dormant));
        assert!(legal(Dormant, Repeat) && legal(Churned, New) && !legal(Churned, Prospect));
    }

    #[test]
    fn every_ladder_stage_but_the_top_has_a_next_one_step_up() {
        for pair in Stage::LADDER.windows(2) {
            assert_eq!(pair[0].next(), Some(pair[1]));
            assert!(pair[0].can_move_to(pair[1]));
        }
        assert_eq!(Stage::Evangelist.next(), None);
    }
}
