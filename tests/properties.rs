//! The laws, as property tests: serde round trips, idempotence,
//! determinism, failed calls change nothing, and no input panics.

use chrono::{DateTime, TimeDelta, Utc};
use customer_lifecycle::{
    CampaignId, Channel, CustomerBase, CustomerId, Event, EventId, EventKind, Money, NewCustomer, Policy, Purpose,
    Stage,
    base::{Applied, Snapshot},
    customer::AttributeValue,
    event::{CsatScore, EngagementAction, Feedback, NpsScore},
};
use proptest::prelude::*;

use crate::common::{cid, t0};

const KEYS: [&str; 4] = ["a", "b", "c", "ghost"];

fn customer() -> impl Strategy<Value = CustomerId> {
    prop::sample::select(KEYS.to_vec()).prop_map(cid)
}

fn event_id() -> impl Strategy<Value = EventId> {
    (0u8..24).prop_map(|n| EventId::from_key(&format!("e{n}")))
}

fn campaign() -> impl Strategy<Value = CampaignId> {
    (0u8..3).prop_map(|n| CampaignId::from_key(&format!("k{n}")))
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-2i64..400 * 24).prop_map(|h| t0() + TimeDelta::hours(h))
}

fn channel() -> impl Strategy<Value = Channel> {
    prop_oneof![prop::sample::select(Channel::NAMED.to_vec()), "[a-z]{1,6}".prop_map(Channel::Other),]
}

fn kind() -> impl Strategy<Value = EventKind> {
    let money = (-200i64..20_000).prop_map(Money::from_minor);
    prop_oneof![
        4 => money.clone().prop_map(|amount| EventKind::Purchase { amount }),
        1 => (money, event_id()).prop_map(|(amount, purchase)| EventKind::Refund { amount, purchase }),
        2 => prop::sample::select(EngagementAction::ALL.to_vec()).prop_map(|action| EventKind::Engagement { action }),
        1 => (0u8..=10).prop_map(|n| EventKind::Feedback { feedback: Feedback::Nps(NpsScore::new(n).unwrap()) }),
        1 => (1u8..=5).prop_map(|n| EventKind::Feedback { feedback: Feedback::Csat(CsatScore::new(n).unwrap()) }),
        1 => Just(EventKind::TicketOpened),
        1 => Just(EventKind::Complaint),
        1 => event_id().prop_map(|ticket| EventKind::TicketResolved { ticket }),
        1 => customer().prop_map(|invitee| EventKind::Referral { invitee }),
        1 => prop::option::of(customer()).prop_map(|of| EventKind::Follow { of }),
        1 => (prop::sample::select(vec![Purpose::Profiling, Purpose::Contact]), any::<bool>())
            .prop_map(|(purpose, granted)| EventKind::ConsentChange { purpose, granted }),
        2 => campaign().prop_map(|campaign| EventKind::Touch { campaign }),
        1 => (campaign(), prop::sample::select(EngagementAction::ALL.to_vec()))
            .prop_map(|(campaign, action)| EventKind::Response { campaign, action }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (event_id(), customer(), instant(), channel(), kind()).prop_map(|(id, customer, at, channel, kind)| Event {
        id,
        customer,
        at,
        channel,
        kind,
    })
}

/// Events that a base mostly accepts: per customer in time order.
fn ordered_events() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(event(), 0..60).prop_map(|mut events| {
        events.sort_by_key(|e| e.at);
        events
    })
}

/// The time order the base keeps: by instant; at one instant refunds,
/// resolutions and campaign responses last; then by id bytes.
fn time_order(e: &Event) -> (DateTime<Utc>, bool, EventId) {
    let answers =
        matches!(e.kind, EventKind::Refund { .. } | EventKind::TicketResolved { .. } | EventKind::Response { .. });
    (e.at, answers, e.id)
}

fn fresh_base() -> CustomerBase {
    let mut base = CustomerBase::new(Policy::default());
    for key in &KEYS[..3] {
        base.add_customer(NewCustomer::with_key(*key, t0()).attribute("n", key.len() as i64)).unwrap();
    }
    base
}

fn build(events: &[Event]) -> CustomerBase {
    let mut base = fresh_base();
    for e in events {
        let _ = base.apply(e);
    }
    base
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn events_round_trip_through_json(event in event()) {
        let json = serde_json::to_string(&event).unwrap();
        prop_assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
    }

    #[test]
    fn money_round_trips(minor in any::<i64>()) {
        let m = Money::from_minor(minor);
        prop_assert_eq!(m.to_string().parse::<Money>().unwrap(), m);
        prop_assert_eq!(serde_json::from_str::<Money>(&serde_json::to_string(&m).unwrap()).unwrap(), m);
    }

    #[test]
    fn ids_round_trip(key in ".*") {
        let id = CustomerId::from_key(&key);
        prop_assert_eq!(id.to_string().parse::<CustomerId>().unwrap(), id);
        prop_assert_eq!(serde_json::from_str::<CustomerId>(&serde_json::to_string(&id).unwrap()).unwrap(), id);
    }

    #[test]
    fn attribute_values_round_trip(text in ".*", int in any::<i64>(), x in -1e300f64..1e300, flag in any::<bool>()) {
        for value in [AttributeValue::Text(text.clone()), AttributeValue::Integer(int), AttributeValue::Number(x), AttributeValue::Bool(flag)] {
            let json = serde_json::to_string(&value).unwrap();
            prop_assert_eq!(serde_json::from_str::<AttributeValue>(&json).unwrap(), value);
        }
    }

    #[test]
    fn policies_round_trip(dormant in 1u32..400, extra in 1u32..400, nps in 7u8..=9) {
        let policy = Policy::builder().dormant_after_days(dormant).churned_after_days(dormant + extra).satisfied_min_nps(nps).build().unwrap();
        let json = serde_json::to_string(&policy).unwrap();
        prop_assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), policy);
    }

    #[test]
    fn customers_transitions_and_snapshots_round_trip(events in ordered_events()) {
        let mut base = build(&events);
        base.advance_to(t0() + TimeDelta::days(500));
        for c in base.customers() {
            let json = serde_json::to_string(c).unwrap();
            prop_assert_eq!(&serde_json::from_str::<customer_lifecycle::Customer>(&json).unwrap(), c);
        }
        let counts = base.stage_counts();
        prop_assert_eq!(serde_json::from_str::<customer_lifecycle::base::StageCounts>(&serde_json::to_string(&counts).unwrap()).unwrap(), counts);
        let snapshot = base.snapshot();
        let json = serde_json::to_string(&snapshot).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Snapshot>(&json).unwrap(), &snapshot);
        prop_assert_eq!(CustomerBase::from_json(&json).unwrap(), base);
    }

    #[test]
    fn applying_twice_equals_applying_once(events in ordered_events()) {
        let once = build(&events);
        let mut twice = once.clone();
        for e in &events {
            let _ = twice.apply(e);
        }
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn the_same_events_give_the_same_base(events in ordered_events()) {
        prop_assert_eq!(build(&events), build(&events));
    }

    #[test]
    fn a_failed_apply_changes_nothing(events in prop::collection::vec(event(), 0..60)) {
        // Unsorted, so plenty are refused; none may panic.
        let mut base = fresh_base();
        for e in &events {
            let before = base.clone();
            if base.apply(e).is_err() {
                prop_assert_eq!(&base, &before);
            }
        }
        let counts = base.stage_counts();
        prop_assert_eq!(counts.total(), 3);
    }

    #[test]
    fn stages_only_make_legal_rule_moves(events in ordered_events(), days in 0i64..800) {
        let mut base = build(&events);
        base.advance_to(t0() + TimeDelta::days(days));
        for c in base.customers() {
            let mut stage = Stage::Prospect;
            let mut at = c.created_at();
            for t in c.history() {
                prop_assert_eq!(t.from, stage);
                prop_assert!(t.from.can_move_to(t.to), "{} -> {}", t.from, t.to);
                prop_assert!(t.at >= at);
                stage = t.to;
                at = t.at;
            }
            prop_assert_eq!(stage, c.stage());
        }
    }

    #[test]
    fn forgetting_equals_never_having_known(events in ordered_events(), victim in 0usize..3) {
        forgetting_is_never_having_known(&events, victim)?;
    }

    #[test]
    fn forgetting_equals_never_having_known_in_any_arrival_order(events in prop::collection::vec(event(), 0..60), victim in 0usize..3) {
        // Unsorted: plenty arrive late and revise histories.
        forgetting_is_never_having_known(&events, victim)?;
    }

    #[test]
    fn any_arrival_order_gives_the_time_ordered_base(
        events in prop::collection::vec(event(), 0..40),
        order in Just((0..40usize).collect::<Vec<_>>()).prop_shuffle(),
        advance in prop::option::of((0usize..40, 0i64..500)),
    ) {
        // The reference: the events in time order (at one instant refunds,
        // resolutions and responses last, then by id bytes), each applied
        // once; only those it accepts make the set. In time order a first
        // purchase at the instant its referrer was last evaluated still
        // revises the referrer's history (`Revised`): accepted too.
        let mut sorted = events.clone();
        sorted.sort_by_key(time_order);
        let mut reference = fresh_base();
        let accepted: Vec<Event> = sorted
            .into_iter()
            .filter(|e| matches!(reference.apply(e), Ok(Applied::New | Applied::Revised)))
            .collect();
        let advance = advance.map(|(pos, days)| (pos, t0() + TimeDelta::days(days)));
        if let Some((_, now)) = advance {
            reference.advance_to(now);
        }
        // Any permutation, with the advance anywhere; a refund or resolution
        // that arrives before what it names is refused and sent again later.
        let mut base = fresh_base();
        let mut pending: Vec<&Event> = order.iter().filter_map(|&i| accepted.get(i)).collect();
        for (i, e) in pending.clone().into_iter().enumerate() {
            if advance.is_some_and(|(pos, _)| pos == i) {
                base.advance_to(advance.unwrap().1);
            }
            if base.apply(e).is_ok() {
                pending.retain(|p| p.id != e.id);
            } else {
                let before = base.clone();
                prop_assert!(base.apply(e).is_err());
                prop_assert_eq!(&base, &before);
            }
        }
        if advance.is_some_and(|(pos, _)| pos >= accepted.len()) {
            base.advance_to(advance.unwrap().1);
        }
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|e| base.apply(e).is_err());
            prop_assert!(pending.len() < before, "refused for ever: {:?}", pending);
        }
        prop_assert_eq!(base.stage_counts(), reference.stage_counts());
        for c in reference.customers() {
            prop_assert_eq!(base.get(c.id()), Some(c));
            prop_assert!(base.events(c.id()).unwrap().eq(reference.events(c.id()).unwrap()));
        }
        prop_assert_eq!(&base, &reference);
        // The journal of a revised base replays to an equal base.
        prop_assert_eq!(CustomerBase::from_json(&base.to_json()).unwrap(), base);
    }

    #[test]
    fn no_json_makes_snapshot_loading_panic(text in ".{0,200}") {
        let _ = CustomerBase::from_json(&text);
        let _ = serde_json::from_str::<Event>(&text);
        let _ = serde_json::from_str::<Policy>(&text);
    }

    #[test]
    fn no_mutated_snapshot_makes_loading_panic(events in ordered_events(), at in 0usize..4000, byte in any::<u8>()) {
        let json = build(&events).to_json();
        let mut bytes = json.into_bytes();
        let i = at % bytes.len();
        bytes[i] = byte;
        if let Ok(text) = String::from_utf8(bytes) {
            let _ = CustomerBase::from_json(&text);
        }
    }
}

/// Forgetting customer `victim` after `events` leaves the base a base built
/// without them would be: one that received the accepted events, less theirs
/// and those that name them.
fn forgetting_is_never_having_known(events: &[Event], victim: usize) -> Result<(), TestCaseError> {
    let gone = cid(KEYS[victim]);
    let mut base = fresh_base();
    let accepted: Vec<&Event> =
        events.iter().filter(|e| matches!(base.apply(e), Ok(Applied::New | Applied::Revised))).collect();
    base.forget(gone).unwrap();
    let mut without = CustomerBase::new(Policy::default());
    for key in &KEYS[..3] {
        if cid(key) != gone {
            without.add_customer(NewCustomer::with_key(*key, t0()).attribute("n", key.len() as i64)).unwrap();
        }
    }
    for e in accepted.into_iter().filter(|e| e.customer != gone) {
        let names_gone = matches!(e.kind, EventKind::Referral { invitee } if invitee == gone)
            || matches!(e.kind, EventKind::Follow { of: Some(of) } if of == gone);
        if !names_gone {
            prop_assert!(without.apply(e).is_ok());
        }
    }
    prop_assert_eq!(base, without);
    Ok(())
}
