//! Every error of the base, idempotence, forgetting and snapshots.

use customer_lifecycle::{
    Channel, CustomerBase, Event, EventId, EventKind, Money, NewCustomer, Policy, Stage,
    base::{Applied, Snapshot},
    customer::AttributeValue,
    error::{BaseError, SnapshotError},
};

use crate::common::{Script, cid, day, t0};

/// Applies an event that must be refused, checks the base did not change,
/// and returns the error.
fn refused(s: &mut Script, event: Event) -> BaseError {
    let before = s.base.clone();
    let err = s.base.apply(&event).unwrap_err();
    assert_eq!(s.base, before, "a refused event changed the base: {err}");
    err
}

#[test]
fn unknown_and_duplicate_customers() {
    let mut s = Script::new();
    let e = s.event("zz", 1, EventKind::Purchase { amount: Money::ZERO });
    assert_eq!(refused(&mut s, e), BaseError::UnknownCustomer { customer: cid("zz") });
    let err = s.base.add_customer(NewCustomer::with_key("a", t0())).unwrap_err();
    assert_eq!(err, BaseError::DuplicateCustomer { customer: cid("a") });
    assert!(s.base.set_attribute(cid("zz"), "x", 1).is_err());
    assert!(s.base.forget(cid("zz")).is_err());
}

#[test]
fn events_before_creation_are_refused_and_late_ones_revise() {
    let mut s = Script::new();
    let e = s.event("a", -1, EventKind::Purchase { amount: Money::ZERO });
    assert!(matches!(refused(&mut s, e), BaseError::BeforeCreation { .. }));
    s.buy("a", 10);
    let late = s.event("a", 9, EventKind::Complaint);
    assert_eq!(s.base.apply(&late), Ok(Applied::Revised));
    assert_eq!(s.base.apply(&late), Ok(Applied::Duplicate));
    // Equal instants are fine; other customers have their own clocks.
    s.buy("a", 10);
    s.buy("b", 1);
    let times: Vec<_> = s.base.events(cid("a")).unwrap().map(|e| e.at).collect();
    assert_eq!(times, [day(9), day(10), day(10)], "events are kept in time order");
}

#[test]
fn refunds_and_resolutions_need_their_purchase_or_ticket_first() {
    let mut s = Script::new();
    // Not stored yet: refused, and accepted once it is.
    let order = s.event("a", 5, EventKind::Purchase { amount: Money::from_minor(1_000) });
    let refund = s.event("a", 6, EventKind::Refund { amount: Money::from_minor(100), purchase: order.id });
    assert!(matches!(refused(&mut s, refund.clone()), BaseError::UnknownPurchase { .. }));
    assert_eq!(s.base.apply(&order), Ok(Applied::New));
    assert_eq!(s.base.apply(&refund), Ok(Applied::New));
    // Dated before what it names: refused, whatever the arrival order.
    let early = s.event("a", 4, EventKind::Refund { amount: Money::from_minor(1), purchase: order.id });
    assert!(matches!(refused(&mut s, early), BaseError::BeforeNamedEvent { named, .. } if named == order.id));
    let ticket = s.ok("a", 8, EventKind::Complaint);
    let early = s.event("a", 7, EventKind::TicketResolved { ticket });
    assert!(matches!(refused(&mut s, early), BaseError::BeforeNamedEvent { .. }));
    // At the same instant the refund or resolution comes after what it names.
    let same = s.event("a", 8, EventKind::TicketResolved { ticket });
    assert_eq!(s.base.apply(&same), Ok(Applied::New));
    let names: Vec<_> = s.base.events(cid("a")).unwrap().map(|e| e.kind.name()).collect();
    assert_eq!(names, ["purchase", "refund", "complaint", "ticket_resolved"]);
}

#[test]
fn amounts_are_checked() {
    let mut s = Script::new();
    let e = s.event("a", 1, EventKind::Purchase { amount: Money::from_minor(-1) });
    assert!(matches!(refused(&mut s, e), BaseError::NegativeAmount { .. }));
    let free = s.ok("a", 1, EventKind::Purchase { amount: Money::ZERO });
    assert_eq!(s.stage("a"), Stage::New, "a free order is a purchase");
    let paid = s.ok("a", 2, EventKind::Purchase { amount: Money::from_minor(1_000) });
    let e = s.event("a", 3, EventKind::Refund { amount: Money::from_minor(-5), purchase: paid });
    assert!(matches!(refused(&mut s, e), BaseError::NegativeAmount { .. }));
    s.ok("a", 3, EventKind::Refund { amount: Money::from_minor(600), purchase: paid });
    let e = s.event("a", 4, EventKind::Refund { amount: Money::from_minor(401), purchase: paid });
    let err = refused(&mut s, e);
    assert_eq!(
        err,
        BaseError::RefundExceedsPurchase {
            event: EventId::from_key(&format!("e{}", 6)),
            purchase: paid,
            refunded: Money::from_minor(1_001),
            paid: Money::from_minor(1_000),
        }
    );
    s.ok("a", 4, EventKind::Refund { amount: Money::from_minor(400), purchase: paid });
    let e = s.event("a", 5, EventKind::Refund { amount: Money::from_minor(1), purchase: free });
    assert!(matches!(refused(&mut s, e), BaseError::RefundExceedsPurchase { .. }));
    // Refunds name a purchase of the same customer.
    let other = s.buy("b", 1);
    let complaint = s.ok("a", 5, EventKind::Complaint);
    for purchase in [other, complaint, EventId::from_key("nothing")] {
        let e = s.event("a", 6, EventKind::Refund { amount: Money::ZERO, purchase });
        assert!(matches!(refused(&mut s, e), BaseError::UnknownPurchase { .. }));
    }
}

#[test]
fn tickets_resolve_once() {
    let mut s = Script::new();
    let ticket = s.ok("a", 1, EventKind::TicketOpened);
    let e = s.event("b", 2, EventKind::TicketResolved { ticket });
    assert!(matches!(refused(&mut s, e), BaseError::UnknownTicket { .. }), "another customer's ticket");
    s.ok("a", 2, EventKind::TicketResolved { ticket });
    let e = s.event("a", 3, EventKind::TicketResolved { ticket });
    assert!(matches!(refused(&mut s, e), BaseError::UnknownTicket { .. }), "resolved twice");
}

#[test]
fn referrals_and_follows_name_someone_else_in_the_base() {
    let mut s = Script::new();
    for kind in [EventKind::Referral { invitee: cid("a") }, EventKind::Follow { of: Some(cid("a")) }] {
        let e = s.event("a", 1, kind);
        assert!(matches!(refused(&mut s, e), BaseError::SelfReference { .. }));
    }
    for kind in [EventKind::Referral { invitee: cid("zz") }, EventKind::Follow { of: Some(cid("zz")) }] {
        let e = s.event("a", 1, kind);
        let err = refused(&mut s, e);
        assert!(matches!(err, BaseError::UnknownReferencedCustomer { customer, .. } if customer == cid("zz")));
    }
    s.ok("a", 1, EventKind::Follow { of: Some(cid("b")) });
    s.ok("a", 1, EventKind::Referral { invitee: cid("b") });
}

#[test]
fn the_same_event_twice_is_a_no_op_and_a_changed_one_an_error() {
    let mut s = Script::new();
    let e = s.event("a", 1, EventKind::Purchase { amount: Money::from_minor(100) });
    assert_eq!(s.base.apply(&e), Ok(customer_lifecycle::base::Applied::New));
    let once = s.base.clone();
    assert_eq!(s.base.apply(&e), Ok(customer_lifecycle::base::Applied::Duplicate));
    assert_eq!(s.base, once);
    let changed = Event { channel: Channel::Store, ..e.clone() };
    assert_eq!(refused(&mut s, changed), BaseError::ConflictingDuplicate { event: e.id });
    let moved = Event { customer: cid("b"), ..e.clone() };
    assert_eq!(refused(&mut s, moved), BaseError::ConflictingDuplicate { event: e.id });
}

#[test]
fn attributes_must_be_finite() {
    let mut s = Script::new();
    let err = s.base.set_attribute(cid("a"), "score", f64::NAN).unwrap_err();
    assert!(matches!(err, BaseError::InvalidAttribute { .. }), "{err}");
    let bad = NewCustomer::with_key("e", t0()).attribute("x", f64::INFINITY);
    assert!(s.base.add_customer(bad).is_err());
    assert!(!s.base.contains(cid("e")));
    s.base.set_attribute(cid("a"), "region", "north").unwrap();
    assert_eq!(s.base.remove_attribute(cid("a"), "region").unwrap(), Some(AttributeValue::Text("north".into())));
}

/// The scripted history used by the forgetting tests, with `skip` left out
/// the way a base built without that customer would be.
fn history(skip: Option<&str>) -> CustomerBase {
    let mut base = CustomerBase::new(Policy::default());
    let keep = |who: &str| Some(who) != skip;
    let apply = |base: &mut CustomerBase, who: &str, at: i64, kind: EventKind| {
        let id = EventId::from_key(&format!("{who}-{at}-{}", kind.name()));
        let event = Event { id, customer: cid(who), at: day(at), channel: Channel::Web, kind };
        base.apply(&event).unwrap();
    };
    for key in ["ana", "ben", "cy"] {
        if keep(key) {
            let new = NewCustomer::with_key(key, t0()).attribute("email", format!("{key}@example.com"));
            base.add_customer(new).unwrap();
        }
    }
    for d in [0, 40, 80, 100] {
        apply(&mut base, "ana", d, EventKind::Purchase { amount: Money::from_minor(5_000) });
    }
    if keep("ben") {
        apply(&mut base, "ana", 101, EventKind::Referral { invitee: cid("ben") });
        apply(&mut base, "ana", 101, EventKind::Follow { of: Some(cid("ben")) });
    }
    if keep("cy") {
        apply(&mut base, "ana", 102, EventKind::Referral { invitee: cid("cy") });
    }
    if keep("ben") {
        apply(&mut base, "ben", 103, EventKind::Purchase { amount: Money::from_minor(700) });
        apply(&mut base, "ben", 104, EventKind::Follow { of: Some(cid("ana")) });
    }
    if keep("cy") {
        apply(&mut base, "cy", 104, EventKind::Purchase { amount: Money::from_minor(900) });
        apply(&mut base, "cy", 105, EventKind::Follow { of: None });
    }
    base.advance_to(day(120));
    base
}

#[test]
fn forgetting_leaves_the_others_as_if_never_there() {
    let mut base = history(None);
    assert_eq!(base.get(cid("ana")).unwrap().stage(), Stage::Evangelist);
    let ben_event = base.events(cid("ben")).unwrap().next().unwrap();
    let report = base.forget(cid("ben")).unwrap();
    assert_eq!((report.events, report.references, report.attributes), (2, 2, 1));
    assert_eq!(base, history(Some("ben")));
    assert_eq!(base.get(cid("ana")).unwrap().stage(), Stage::Loyal, "ana's credit for ben is gone");

    let json = base.to_json();
    for trace in [cid("ben").to_string(), "\"ben\"".to_owned(), "ben@example.com".to_owned()] {
        assert!(!json.contains(&trace), "the snapshot still holds {trace}");
    }
    assert_eq!(base.apply(&ben_event), Err(BaseError::UnknownCustomer { customer: cid("ben") }));
    assert!(base.get_by_key("ben").is_none());
}

#[test]
fn snapshots_round_trip_and_check_their_version() {
    let mut base = history(None);
    base.set_attribute(cid("cy"), "tier", 2).unwrap();
    base.transition(cid("cy"), Stage::Loyal, day(130), "imported").unwrap();
    let json = base.to_json();
    assert_eq!(CustomerBase::from_json(&json).unwrap(), base);
    let snapshot: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(CustomerBase::restore(snapshot).unwrap(), base);

    let future = json.replacen("\"format_version\":1", "\"format_version\":2", 1);
    assert_eq!(
        CustomerBase::from_json(&future).unwrap_err(),
        SnapshotError::UnsupportedVersion { found: 2, supported: 1 }
    );
    assert!(matches!(CustomerBase::from_json("{\"format_version\":1}"), Err(SnapshotError::Malformed { .. })));
    assert!(matches!(CustomerBase::from_json("[]"), Err(SnapshotError::Malformed { .. })));
    // A journal that the calls would refuse is refused on replay, naming the entry.
    let tampered = json.replacen("\"50.00\"", "\"-50.00\"", 1);
    assert!(
        matches!(CustomerBase::from_json(&tampered), Err(SnapshotError::Replay { entry: 3, .. })),
        "{:?}",
        CustomerBase::from_json(&tampered)
    );
}

#[test]
fn a_lateness_bound_in_the_policy_refuses_older_events() {
    let policy = Policy::builder().max_lateness_days(Some(7)).build().unwrap();
    let mut s = crate::common::Script::with_policy(policy);
    s.buy("a", 20);
    // Seven days late is within the bound; eight is not.
    let ok = s.event("a", 13, EventKind::Complaint);
    assert_eq!(s.base.apply(&ok), Ok(Applied::Revised));
    let e = s.event("a", 12, EventKind::Complaint);
    assert!(matches!(refused(&mut s, e), BaseError::OutOfOrder { last, .. } if last == day(20)));
    assert_eq!(Policy::default().max_lateness_days(), None, "no bound by default");
    let err = Policy::builder().max_lateness_days(Some(u32::MAX)).build().unwrap_err();
    assert_eq!(err.field, "max_lateness_days");
}
