//! One test per policy rule: the stage it derives and the instant it dates
//! the move.

use customer_lifecycle::{
    EventKind, Policy, Stage,
    error::BaseError,
    event::{CsatScore, Feedback},
    lifecycle::{Reason, Rule, Transition},
};

use crate::common::{Script, cid, day};

fn last_reason(s: &Script, who: &str) -> Reason {
    s.base.get(cid(who)).unwrap().history().last().unwrap().reason.clone()
}

#[test]
fn first_purchase_makes_a_prospect_new() {
    let mut s = Script::new();
    assert_eq!(s.stage("a"), Stage::Prospect);
    s.ok("a", 0, EventKind::Follow { of: None });
    assert_eq!(s.stage("a"), Stage::Prospect, "a follower is not a customer");
    s.buy("a", 3);
    assert_eq!(s.moves("a"), vec![(Stage::New, day(3))]);
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::FirstPurchase));
}

#[test]
fn positive_feedback_satisfies() {
    let mut s = Script::new();
    s.buy("a", 1);
    s.nps("a", 2, 6);
    assert_eq!(s.stage("a"), Stage::New, "6 is a detractor's answer");
    s.nps("a", 3, 7);
    assert_eq!(s.moves("a"), vec![(Stage::New, day(1)), (Stage::Satisfied, day(3))]);
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::Satisfaction));

    s.buy("b", 1);
    s.ok("b", 2, EventKind::Feedback { feedback: Feedback::Csat(CsatScore::new(4).unwrap()) });
    assert_eq!(s.stage("b"), Stage::Satisfied);
}

#[test]
fn a_quiet_month_satisfies_dated_when_it_ends() {
    let mut s = Script::new();
    s.buy("a", 1);
    s.base.advance_to(day(30));
    assert_eq!(s.stage("a"), Stage::New);
    s.base.advance_to(day(50));
    assert_eq!(s.moves("a"), vec![(Stage::New, day(1)), (Stage::Satisfied, day(31))]);
}

#[test]
fn an_open_complaint_blocks_satisfaction_until_resolved() {
    let mut s = Script::new();
    s.buy("a", 1);
    let complaint = s.ok("a", 2, EventKind::Complaint);
    s.base.advance_to(day(60));
    assert_eq!(s.stage("a"), Stage::New);
    s.ok("a", 61, EventKind::TicketResolved { ticket: complaint });
    assert_eq!(s.moves("a").last(), Some(&(Stage::Satisfied, day(61))));
}

#[test]
fn a_second_purchase_makes_a_repeat_customer() {
    let mut s = Script::new();
    s.buy("a", 1);
    s.buy("a", 5);
    assert_eq!(s.moves("a"), vec![(Stage::New, day(1)), (Stage::Repeat, day(5))]);
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::RepeatPurchase));

    // With a higher bar, the second purchase only satisfies.
    let mut s = Script::with_policy(Policy::builder().repeat_min_purchases(3).loyal_min_purchases(4).build().unwrap());
    s.buy("a", 1);
    s.buy("a", 5);
    assert_eq!(s.stage("a"), Stage::Satisfied);
    s.buy("a", 9);
    assert_eq!(s.stage("a"), Stage::Repeat);
}

#[test]
fn loyalty_needs_purchases_span_and_recency() {
    let mut s = Script::new();
    for d in [0, 30, 60] {
        s.buy("a", d);
    }
    s.buy("a", 89);
    assert_eq!(s.stage("a"), Stage::Repeat, "four purchases spanning 89 days are not enough");
    s.buy("a", 90);
    assert_eq!(s.moves("a").last(), Some(&(Stage::Loyal, day(90))));
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::Loyalty));
    // The loyalty window closes 90 days after the last purchase.
    s.base.advance_to(day(200));
    assert_eq!(s.moves("a").last(), Some(&(Stage::Repeat, day(180))));
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::Lapsed));
}

#[test]
fn dormancy_churn_and_reactivation_are_dated_exactly() {
    let mut s = Script::new();
    s.buy("a", 10);
    s.base.advance_to(day(129));
    assert_eq!(s.stage("a"), Stage::Satisfied);
    s.base.advance_to(day(500));
    let moves = s.moves("a");
    assert_eq!(moves[moves.len() - 2..], [(Stage::Dormant, day(130)), (Stage::Churned, day(375))]);
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::Churn));
    s.buy("a", 501);
    assert_eq!(s.moves("a").last(), Some(&(Stage::Repeat, day(501))));
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::Reactivation));
}

#[test]
fn converted_referrals_make_an_evangelist() {
    let mut s = Script::new();
    for d in [0, 40, 80, 100] {
        s.buy("a", d);
    }
    assert_eq!(s.stage("a"), Stage::Loyal);
    s.ok("a", 101, EventKind::Referral { invitee: cid("b") });
    s.ok("a", 101, EventKind::Referral { invitee: cid("c") });
    // d bought before being referred: not a conversion.
    s.buy("d", 50);
    s.ok("a", 102, EventKind::Referral { invitee: cid("d") });
    s.buy("b", 105);
    assert_eq!(s.stage("a"), Stage::Loyal, "one conversion is not enough");
    s.buy("c", 110);
    // The credit for c comes due at day 110, after a's last event.
    assert_eq!(s.stage("a"), Stage::Loyal);
    s.base.advance_to(day(111));
    assert_eq!(s.moves("a").last(), Some(&(Stage::Evangelist, day(110))));
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::Advocacy));
    assert_eq!(s.base.get(cid("a")).unwrap().converted_referrals(), 2);
}

#[test]
fn promoters_who_speak_up_are_evangelists() {
    let mut s = Script::new();
    for d in [0, 40, 80, 100] {
        s.buy("a", d);
    }
    s.nps("a", 101, 9);
    s.share("a", 102);
    s.share("a", 103);
    assert_eq!(s.stage("a"), Stage::Loyal);
    s.ok("a", 104, EventKind::Engagement { action: customer_lifecycle::event::EngagementAction::Mention });
    assert_eq!(s.moves("a").last(), Some(&(Stage::Evangelist, day(104))));
    // A detractor's answer demotes to repeat, not lower: they did buy again.
    s.nps("a", 105, 2);
    assert_eq!(s.moves("a").last(), Some(&(Stage::Repeat, day(105))));
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::Detractor));
}

#[test]
fn an_unresolved_complaint_demotes_a_loyal_customer() {
    let mut s = Script::new();
    for d in [0, 40, 80, 100] {
        s.buy("a", d);
    }
    let complaint = s.ok("a", 101, EventKind::Complaint);
    assert_eq!(s.stage("a"), Stage::Repeat);
    assert_eq!(last_reason(&s, "a"), Reason::Rule(Rule::UnresolvedComplaint));
    s.ok("a", 102, EventKind::TicketResolved { ticket: complaint });
    assert_eq!(s.stage("a"), Stage::Loyal);
    // A satisfied one-time buyer falls back to new.
    s.buy("b", 0);
    s.nps("b", 1, 8);
    assert_eq!(s.stage("b"), Stage::Satisfied);
    s.ok("b", 2, EventKind::Complaint);
    assert_eq!(s.stage("b"), Stage::New);
}

#[test]
fn explicit_moves_are_checked_and_stand_until_the_rules_change_their_mind() {
    let mut s = Script::new();
    s.buy("a", 1);
    let err = s.base.transition(cid("a"), Stage::Prospect, day(2), "undo").unwrap_err();
    assert_eq!(
        err,
        BaseError::IllegalTransition {
            customer: cid("a"),
            customer_key: Some("a".into()),
            from: Stage::New,
            to: Stage::Prospect
        }
    );
    assert_eq!(err.to_string(), "customer \"a\" cannot move from new to prospect", "the error names the key");
    s.base.transition(cid("a"), Stage::Loyal, day(2), "VIP from the old system").unwrap();
    assert_eq!(s.stage("a"), Stage::Loyal);
    let last = s.base.get(cid("a")).unwrap().history().last().unwrap().clone();
    assert_eq!(
        last,
        Transition {
            from: Stage::New,
            to: Stage::Loyal,
            at: day(2),
            reason: Reason::Explicit { note: "VIP from the old system".into() }
        }
    );
    // An event that leaves the rules' answer unchanged keeps the explicit stage.
    s.share("a", 3);
    assert_eq!(s.stage("a"), Stage::Loyal);
    // Time that changes the rules' answer moves them again.
    s.base.advance_to(day(40));
    assert_eq!(s.moves("a").last(), Some(&(Stage::Satisfied, day(31))));
    // A move dated before the customer's last update takes its place in
    // their history, which is derived again around it.
    s.base.transition(cid("a"), Stage::Repeat, day(39), "late").unwrap();
    assert_eq!(s.moves("a")[s.moves("a").len() - 2..], [(Stage::Satisfied, day(31)), (Stage::Repeat, day(39))]);
    let before = s.base.clone();
    let err = s.base.transition(cid("a"), Stage::Prospect, day(35), "undo").unwrap_err();
    assert!(matches!(err, BaseError::IllegalTransition { from: Stage::Satisfied, to: Stage::Prospect, .. }), "{err}");
    assert_eq!(s.base, before);
    assert!(matches!(
        s.base.transition(cid("zz"), Stage::Repeat, day(50), "x"),
        Err(BaseError::UnknownCustomer { .. })
    ));
}

#[test]
fn stage_counts_add_up() {
    let mut s = Script::new();
    s.buy("a", 1);
    s.buy("b", 1);
    s.buy("b", 2);
    let counts = s.base.stage_counts();
    assert_eq!(counts.get(Stage::Prospect), 2);
    assert_eq!(counts.get(Stage::New), 1);
    assert_eq!(counts.get(Stage::Repeat), 1);
    assert_eq!(counts.total(), 4);
    assert_eq!(counts.phase(customer_lifecycle::lifecycle::Phase::Acquisition), 2);
    assert_eq!(counts.phase(customer_lifecycle::lifecycle::Phase::Development), 1);
    assert_eq!(counts.phase(customer_lifecycle::lifecycle::Phase::Retention), 1);
}

#[test]
fn windows_past_the_end_of_the_calendar_never_close() {
    use chrono::{DateTime, TimeDelta, Utc};
    use customer_lifecycle::{Channel, CustomerBase, Event, EventId, Money, NewCustomer};
    let late = DateTime::<Utc>::MAX_UTC - TimeDelta::days(100);
    let mut base = CustomerBase::new(Policy::default());
    let id = base.add_customer(NewCustomer::with_key("late", late)).unwrap();
    let event = |n: &str, at| Event {
        id: EventId::from_key(n),
        customer: id,
        at,
        channel: Channel::Web,
        kind: EventKind::Purchase { amount: Money::ZERO },
    };
    base.apply(&event("1", late)).unwrap();
    base.advance_to(DateTime::<Utc>::MAX_UTC);
    // The satisfaction window (30 days) closed; dormancy (120 days) never can.
    assert_eq!(base.get(id).unwrap().stage(), Stage::Satisfied);
    base.apply(&event("2", DateTime::<Utc>::MAX_UTC)).unwrap();
    assert_eq!(base.get(id).unwrap().stage(), Stage::Repeat);
}

#[test]
fn a_late_event_revises_the_history_from_its_instant() {
    let mut s = Script::new();
    s.buy("a", 10);
    s.base.advance_to(day(20));
    let late = s.event("a", 5, EventKind::Purchase { amount: customer_lifecycle::Money::from_minor(100) });
    assert_eq!(s.base.apply(&late), Ok(customer_lifecycle::base::Applied::Revised));
    assert_eq!(s.moves("a"), vec![(Stage::New, day(5)), (Stage::Repeat, day(10))]);
    assert_eq!(s.base.get(cid("a")).unwrap().as_of(), day(20), "the advance still holds");

    // The same events in time order give the same base.
    let mut in_order = Script::new();
    in_order.base.apply(&late).unwrap();
    in_order.buy("a", 10);
    in_order.base.advance_to(day(20));
    assert_eq!(in_order.base, s.base);
}

#[test]
fn a_late_first_purchase_credits_the_referrer_at_its_instant() {
    let build = |late: bool| {
        let mut s = Script::new();
        for d in [0, 40, 80, 100] {
            s.buy("a", d);
        }
        s.ok("a", 101, EventKind::Referral { invitee: cid("b") });
        s.ok("a", 101, EventKind::Referral { invitee: cid("c") });
        s.buy("b", 105);
        let c_buys = s.event("c", 110, EventKind::Purchase { amount: customer_lifecycle::Money::from_minor(100) });
        if late {
            s.base.advance_to(day(120));
            assert_eq!(s.stage("a"), Stage::Loyal, "one conversion so far");
            assert_eq!(s.base.apply(&c_buys), Ok(customer_lifecycle::base::Applied::Revised));
        } else {
            s.base.apply(&c_buys).unwrap();
            s.base.advance_to(day(120));
        }
        s
    };
    let late = build(true);
    assert_eq!(late.moves("a").last(), Some(&(Stage::Evangelist, day(110))));
    assert_eq!(late.base, build(false).base);
}

#[test]
fn a_late_event_that_would_make_an_explicit_move_illegal_is_refused() {
    let mut s = Script::new();
    s.buy("b", 1);
    s.base.transition(cid("b"), Stage::Repeat, day(3), "bought in store").unwrap();
    // A second purchase at day 2 would make b repeat before the move.
    let late = s.event("b", 2, EventKind::Purchase { amount: customer_lifecycle::Money::from_minor(100) });
    let before = s.base.clone();
    let err = s.base.apply(&late).unwrap_err();
    assert!(
        matches!(&err, BaseError::MoveInvalidated { customer_key: Some(k), at, from: Stage::Repeat, to: Stage::Repeat, .. } if k == "b" && *at == day(3)),
        "{err}"
    );
    assert!(err.to_string().contains("\"b\""), "the error names the customer's key: {err}");
    assert_eq!(s.base, before);
}

/// A move dated before the customer existed is refused, late moves
/// notwithstanding (the driver and the as-of law of `segment` found it
/// accepted), and the base is unchanged.
#[test]
fn a_move_before_creation_is_refused() {
    use chrono::TimeDelta;
    use customer_lifecycle::{CustomerBase, NewCustomer, Policy, Stage, error::BaseError};

    let t0 = crate::common::t0();
    let mut base = CustomerBase::new(Policy::default());
    let ana = base.add_customer(NewCustomer::with_key("ana", t0 + TimeDelta::hours(481))).unwrap();
    let before = base.clone();
    let err = base.transition(ana, Stage::New, t0, "by hand").unwrap_err();
    assert!(matches!(err, BaseError::MoveBeforeCreation { customer_key: Some(ref k), .. } if k == "ana"), "{err}");
    assert!(err.to_string().contains("\"ana\""), "{err}");
    assert_eq!(base, before);
}
