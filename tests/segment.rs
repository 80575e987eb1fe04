//! The segment language: semantics, consent, change, and the laws.

use chrono::{DateTime, TimeDelta, Utc};
use customer_lifecycle::segment::{
    FeatureTable, Membership, MigrationMatrix, Predicate, Segment, SegmentChange, TableError, Value, ready_segments,
};
use customer_lifecycle::{
    Channel, Consent, CustomerBase, CustomerId, EngagementAction, Event, EventId, EventKind, Feedback, Money,
    NewCustomer, NpsScore, Policy, Purpose, Stage,
};
use proptest::prelude::*;

use crate::common::{Script, cid, day, t0};

fn seg(json: &str) -> Segment {
    Segment::from_json(&format!(r#"{{"name": "s", "where": {json}}}"#)).unwrap()
}

/// Rows: 0 number 1, 1 number 10, 2 missing, 3 string "b", 4 string "B".
fn mixed_table() -> FeatureTable {
    let cells = vec![
        Some(Value::Number(1.0)),
        Some(Value::Number(10.0)),
        None,
        Some(Value::Text("b".into())),
        Some(Value::Text("B".into())),
    ];
    FeatureTable::from_rows(
        &["x".into()],
        cells.into_iter().enumerate().map(|(i, c)| (format!("r{i}"), vec![c])).collect(),
    )
    .unwrap()
}

fn members(table: &FeatureTable, json: &str) -> Vec<usize> {
    table.evaluate(&seg(json)).unwrap().rows().collect()
}

#[test]
fn missing_values_and_mixed_types_follow_the_contract() {
    let t = mixed_table();
    assert_eq!(members(&t, r#"{"field": "x", "lt": 5}"#), vec![0]);
    assert_eq!(members(&t, r#"{"not": {"field": "x", "lt": 5}}"#), vec![1, 2, 3, 4]);
    assert_eq!(members(&t, r#"{"field": "x", "ne": 1}"#), vec![1, 2, 3, 4]);
    assert_eq!(members(&t, r#"{"field": "x", "eq": "b"}"#), vec![3], "case-sensitive");
    assert_eq!(members(&t, r#"{"field": "x", "ne": "b"}"#), vec![0, 1, 2, 4]);
    // Code-point order: "B" (66) < "a" (97) < "b" (98).
    assert_eq!(members(&t, r#"{"field": "x", "gt": "a"}"#), vec![3]);
    assert_eq!(members(&t, r#"{"field": "x", "between": ["A", "Z"]}"#), vec![4]);
    assert_eq!(members(&t, r#"{"field": "x", "in": [10, "B"]}"#), vec![1, 4]);
    assert_eq!(members(&t, r#"{"field": "x", "between": [1, 10]}"#), vec![0, 1]);
    assert_eq!(members(&t, r#"{"any": [{"field": "x", "le": 1}, {"field": "x", "ge": "b"}]}"#), vec![0, 3]);
}

#[test]
fn definitions_are_checked_against_the_table() {
    let mut t = FeatureTable::new(vec!["a".into()]);
    t.add_numbers("n", vec![Some(1.0)], true).unwrap();
    let err = t.evaluate(&seg(r#"{"all": [{"field": "n", "gt": 0}, {"field": "m", "gt": 0}]}"#)).unwrap_err();
    assert_eq!(err.path, "where.all[1].field");
    let err = t.evaluate(&seg(r#"{"field": "n", "eq": "one"}"#)).unwrap_err();
    assert_eq!(err.path, "where.eq", "a typed number feature compared with a string");
    let list = vec![seg(r#"{"field": "n", "gt": 0}"#), Segment::new("t", Predicate::field("zz").eq(1))];
    assert_eq!(t.evaluate_all(&list).unwrap_err().path, "[1].where.field");
}

#[test]
fn a_value_a_closed_column_never_takes_is_refused() {
    let (_, table) = scripted();
    let err = table.evaluate(&seg(r#"{"field": "stage", "eq": "Loyal"}"#)).unwrap_err();
    assert_eq!(err.path, "where.eq");
    assert!(err.reason.contains("\"Loyal\""), "{err}");
    assert!(
        err.reason.contains("prospect, new, satisfied, repeat, loyal, evangelist, dormant, churned"),
        "the allowed values are listed: {err}"
    );
    let err = table.evaluate(&seg(r#"{"not": {"field": "phase", "ne": "retain"}}"#)).unwrap_err();
    assert_eq!(err.path, "where.not.ne");
    assert!(err.reason.contains("acquisition, development, retention"), "{err}");
    let err = table.evaluate(&seg(r#"{"field": "nps_category", "in": ["promoter", "detractors"]}"#)).unwrap_err();
    assert_eq!(err.path, "where.in[1]", "the offending item of the list");
    assert!(err.reason.contains("promoter, passive, detractor"), "{err}");
    let err = table.evaluate(&seg(r#"{"field": "rfm_segment", "eq": "champions"}"#)).unwrap_err();
    assert!(err.reason.contains("Champions"), "{err}");
    // In a list of segments the path starts with the segment's index.
    let list = [seg(r#"{"field": "stage", "eq": "loyal"}"#), Segment::new("t", Predicate::field("stage").eq("Loyal"))];
    assert_eq!(table.evaluate_all(&list).unwrap_err().path, "[1].where.eq");
    // Known values, orderings and other columns are as before.
    assert_eq!(members(&table, r#"{"field": "stage", "in": ["loyal", "evangelist"]}"#), vec![0]);
    assert!(table.evaluate(&seg(r#"{"field": "stage", "lt": "Loyal"}"#)).is_ok(), "orderings are not checked");
    assert!(table.explain(&seg(r#"{"field": "stage", "eq": "Loyal"}"#), 0).is_err());
}

#[test]
fn values_joined_by_labels_no_row_has_are_refused() {
    let (s, mut table) = scripted();
    // Keyed by id where the rows are labelled by key: a column of nothing.
    let by_id: Vec<(String, f64)> = s.base.customers().map(|c| (c.id().to_string(), 0.5)).collect();
    let err = table.join_numbers("p_alive", by_id, true).unwrap_err();
    assert_eq!(err, TableError::NoLabelMatched { name: "p_alive".into(), given: 4 });
    assert!(table.value("p_alive", 0).is_none() && table.feature_names().all(|f| f != "p_alive"));
    table.join_numbers("p_alive", [("b", 0.5), ("gone", 0.1)], true).unwrap();
    table.join_numbers("nothing", Vec::<(String, f64)>::new(), true).unwrap();
}

#[test]
fn columns_are_open_unless_declared_closed() {
    let mut t = FeatureTable::new(vec!["a".into(), "b".into()]);
    t.add_texts("tier", vec![Some("gold".into()), None], true).unwrap();
    assert!(members(&t, r#"{"field": "tier", "eq": "platinum"}"#).is_empty(), "an open column takes any value");
    assert!(t.close_values("tier", ["silver"]).is_err(), "a present value must be allowed");
    assert!(t.close_values("missing", ["x"]).is_err());
    t.close_values("tier", ["gold", "silver"]).unwrap();
    let err = t.evaluate(&seg(r#"{"field": "tier", "eq": "platinum"}"#)).unwrap_err();
    assert_eq!(err.path, "where.eq");
    assert!(err.reason.contains("gold, silver"), "{err}");
    assert!(members(&t, r#"{"field": "tier", "eq": "silver"}"#).is_empty(), "allowed, though nobody holds it");
}

fn scripted() -> (Script, FeatureTable) {
    let mut s = Script::new();
    for d in [0, 40, 80, 100] {
        s.buy("a", d);
    }
    s.buy("b", 10);
    s.nps("b", 11, 10);
    s.ok("a", 110, EventKind::Follow { of: Some(cid("b")) });
    s.ok("b", 12, EventKind::Engagement { action: customer_lifecycle::EngagementAction::Like });
    s.buy("c", 5);
    s.ok("c", 6, EventKind::Complaint);
    s.ok("c", 7, EventKind::ConsentChange { purpose: Purpose::Profiling, granted: false });
    let table = FeatureTable::from_base(&s.base, day(120)).unwrap();
    (s, table)
}

#[test]
fn base_features_are_computed_as_of_the_date() {
    let (s, table) = scripted();
    assert_eq!(table.labels(), &["a", "b", "d"], "c withheld profiling consent: no row");
    assert_eq!(table.left_out(), 1);
    assert_eq!(table.value("stage", 0), Some(Value::Text("loyal".into())));
    assert_eq!(table.value("recency_days", 0), Some(Value::Number(20.0)));
    assert_eq!(table.value("frequency", 0), Some(Value::Number(4.0)));
    assert_eq!(table.value("monetary", 0), Some(Value::Number(100.0)));
    assert_eq!(table.value("recency_days", 2), None, "no purchase");
    assert_eq!(table.value("nps_category", 1), Some(Value::Text("promoter".into())));
    assert_eq!(table.value("engagement_days.web", 1), Some(Value::Number(108.0)));
    assert_eq!(table.value("engagement_days.twitter", 1), None);
    assert_eq!(table.value("consent_profiling", 2), Some(Value::Bool(true)));
    assert_eq!(table.value("consent_contact", 2), Some(Value::Bool(false)));
    // RFM over the two consenting buyers: a is best on all three, b worst.
    assert_eq!(table.value("rfm_code", 0), Some(Value::Number(555.0)));
    assert_eq!(table.value("rfm_segment", 0), Some(Value::Text("Champions".into())));
    assert_eq!(table.value("rfm_segment", 1), Some(Value::Text("Lost".into())));
    assert_eq!(table.value("rfm_r", 2), None, "d never bought");
    assert!(matches!(table.value("engagement", 1), Some(Value::Number(x)) if x > 0.0));
    assert!(matches!(table.value("health", 0), Some(Value::Number(x)) if (0.0..=100.0).contains(&x)));
    // Earlier, a's fourth purchase had not happened.
    let earlier = FeatureTable::from_base(&s.base, day(90)).unwrap();
    assert_eq!(earlier.value("frequency", 0), Some(Value::Number(3.0)));
    assert_eq!(earlier.value("recency_days", 0), Some(Value::Number(10.0)));
}

#[test]
fn withheld_consent_keeps_customers_out_of_profiling_segments() {
    let (_, table) = scripted();
    let complained = seg(r#"{"field": "complaints", "gt": 0}"#);
    assert!(table.evaluate(&complained).unwrap().is_empty(), "c complained but withheld profiling consent");
    // Left out of the base's table altogether, even from segments on consent.
    let withheld = seg(r#"{"field": "consent_profiling", "eq": false}"#);
    assert!(table.evaluate(&withheld).unwrap().is_empty());
    // A table of one's own marks the rows instead.
    let mut own = FeatureTable::new(vec!["x".into(), "y".into()]);
    own.add_numbers("complaints", vec![Some(1.0), Some(1.0)], true).unwrap();
    own.add_bools("consent_contact", vec![Some(true), Some(true)], false).unwrap();
    own.set_profiling_withheld([1]);
    assert_eq!(own.evaluate(&complained).unwrap().rows().collect::<Vec<_>>(), vec![0]);
    let explanation = own.explain(&complained, 1).unwrap();
    assert!(explanation.left_out && !explanation.member);
    // A segment on consent alone is not profiling.
    let contact = seg(r#"{"field": "consent_contact", "eq": true}"#);
    assert_eq!(own.evaluate(&contact).unwrap().rows().collect::<Vec<_>>(), vec![0, 1]);
}

#[test]
fn explanations_show_the_deciding_values() {
    let (_, table) = scripted();
    let lapsing = &ready_segments()[1];
    let why = table.explain(lapsing, 0).unwrap();
    assert!(!why.member);
    let recency = why.clauses.iter().find(|c| c.path == "where.all[1]").unwrap();
    assert!(!recency.held);
    assert_eq!(recency.value.as_deref(), Some("20"));
    assert_eq!(recency.clause, "recency_days gt 60");
}

#[test]
fn changes_and_migrations_between_two_dates() {
    let (s, later) = scripted();
    let earlier = FeatureTable::from_base(&s.base, day(50)).unwrap();
    let buyers = seg(r#"{"field": "frequency", "ge": 1}"#);
    let loyal = seg(r#"{"field": "frequency", "ge": 4}"#);
    let (b0, b1) = (earlier.evaluate(&buyers).unwrap(), later.evaluate(&buyers).unwrap());
    let change = SegmentChange::between(&b0, &b1);
    assert!(change.entered.is_empty() && change.left.is_empty());
    let (l0, l1) = (earlier.evaluate(&loyal).unwrap(), later.evaluate(&loyal).unwrap());
    assert_eq!(SegmentChange::between(&l0, &l1).entered.rows().collect::<Vec<_>>(), vec![0]);
    // Exclusive segments: loyal first, then other buyers.
    let others0 = b0.and_not(&l0);
    let others1 = b1.and_not(&l1);
    let m = MigrationMatrix::between(&["loyal", "buyer"], &[l0, others0], &[l1, others1]);
    assert_eq!(m.labels, vec!["loyal", "buyer", "(none)"]);
    assert_eq!(
        m.counts,
        vec![vec![0, 0, 0], vec![1, 1, 0], vec![0, 0, 1]],
        "d never bought: in no segment (c withheld consent: in neither table)"
    );
}

#[test]
fn ready_segments_fit_the_base_features() {
    let (_, table) = scripted();
    let ready = ready_segments();
    let results = table.evaluate_all(&ready).unwrap();
    assert_eq!(results.len(), 4 + 11);
    let champions = ready.iter().position(|s| s.name == "RFM: Champions").unwrap();
    assert_eq!(results[champions].rows().collect::<Vec<_>>(), vec![0]);
    assert_eq!(results[2].rows().collect::<Vec<_>>(), vec![1], "b answered 10");
    // a follows b: b is the most endorsed, and reaches a in one hop.
    assert_eq!(table.value("reach_1", 1), Some(Value::Number(1.0)));
    assert_eq!(table.value("influence_percentile", 1), Some(Value::Number(1.0)));
    assert!(matches!(table.value("influence_rank", 1), Some(Value::Number(x)) if x > 1.0));
}

fn numeric_table(values: &[Option<i8>]) -> FeatureTable {
    let mut t = FeatureTable::new((0..values.len()).map(|i| i.to_string()).collect());
    t.add_numbers("x", values.iter().map(|v| v.map(f64::from)).collect(), true).unwrap();
    t.add_numbers("y", values.iter().rev().map(|v| v.map(f64::from)).collect(), true).unwrap();
    t
}

fn comparison() -> impl Strategy<Value = Predicate> {
    let field = prop::sample::select(vec!["x", "y"]);
    (field, 0u8..6, -5i8..5, 0i8..4).prop_map(|(f, op, a, w)| {
        let (a, b) = (i32::from(a), i32::from(a) + i32::from(w));
        let f = Predicate::field(f);
        match op {
            0 => f.eq(a),
            1 => f.ne(a),
            2 => f.lt(a),
            3 => f.ge(a),
            4 => f.between(a, b),
            _ => f.is_in([a, b]),
        }
    })
}

fn predicate() -> impl Strategy<Value = Predicate> {
    comparison().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(Predicate::All),
            prop::collection::vec(inner.clone(), 1..3).prop_map(Predicate::Any),
            inner.prop_map(Predicate::not),
        ]
    })
}

fn cells() -> impl Strategy<Value = Vec<Option<i8>>> {
    prop::collection::vec(prop::option::of(-6i8..6), 1..150)
}

proptest! {
    #[test]
    fn a_segment_and_its_negation_partition_the_eligible(values in cells(), p in predicate(), withheld in prop::collection::vec(any::<bool>(), 150)) {
        let mut t = numeric_table(&values);
        t.set_profiling_withheld((0..values.len()).filter(|&i| withheld[i]));
        let s = t.evaluate(&Segment::new("s", p.clone())).unwrap();
        let not_s = t.evaluate(&Segment::new("n", Predicate::not(p))).unwrap();
        prop_assert!(s.and(&not_s).is_empty());
        let eligible = t.profiling_withheld().complement();
        prop_assert_eq!(s.or(&not_s), eligible);
    }

    #[test]
    fn all_of_two_is_their_intersection_and_any_their_union(values in cells(), a in predicate(), b in predicate()) {
        let t = numeric_table(&values);
        let eval = |p: Predicate| t.evaluate(&Segment::new("s", p)).unwrap();
        let (ma, mb) = (eval(a.clone()), eval(b.clone()));
        prop_assert_eq!(eval(Predicate::all([a.clone(), b.clone()])), ma.and(&mb));
        prop_assert_eq!(eval(Predicate::any([a, b])), ma.or(&mb));
    }

    #[test]
    fn definitions_survive_json_and_evaluate_the_same(values in cells(), p in predicate()) {
        let t = numeric_table(&values);
        let s = Segment::new("s", p);
        let again = Segment::from_json(&serde_json::to_string(&s).unwrap()).unwrap();
        prop_assert_eq!(&again, &s);
        prop_assert_eq!(t.evaluate(&again).unwrap(), t.evaluate(&s).unwrap());
    }

    #[test]
    fn no_json_makes_the_parser_panic(text in ".{0,120}") {
        let _ = Segment::list_from_json(&text);
    }

    #[test]
    fn no_json_shaped_like_a_definition_makes_the_parser_panic(
        ops in prop::collection::vec(prop::sample::select(vec!["eq", "ne", "lt", "in", "between", "all", "any", "not", "field", "xx"]), 1..4),
        operand in prop::sample::select(vec!["1", "\"a\"", "[]", "[1]", "[2, 1]", "[\"a\", 1]", "{}", "null", "true", "[{}]", "{\"field\": \"x\", \"eq\": 1}"]),
    ) {
        let body: Vec<String> = ops.iter().map(|op| format!("\"{op}\": {operand}")).collect();
        let text = format!("[{{\"name\": \"a\", \"where\": {{{}}}}}]", body.join(", "));
        let _ = Segment::list_from_json(&text);
    }
}

#[test]
fn memberships_count_and_iterate() {
    let mut m = Membership::empty(130);
    for row in [0, 63, 64, 129] {
        m.insert(row);
    }
    assert_eq!(m.len(), 4);
    assert_eq!(m.rows().collect::<Vec<_>>(), vec![0, 63, 64, 129]);
    assert_eq!(m.complement().len(), 126);
    assert!(!m.contains(130));
    let _ = (CustomerBase::new(Policy::default()), cid("a"));
}

/// What a base was told, in order: what the law of `FeatureTable::from_base`
/// replays up to an instant.
#[derive(Debug, Clone)]
enum Told {
    Event(Event),
    Move(CustomerId, Stage, DateTime<Utc>),
    Advance(DateTime<Utc>),
}

impl Told {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Told::Event(e) => e.at,
            Told::Move(_, _, at) | Told::Advance(at) => *at,
        }
    }

    /// Tells `base`; whether it accepted.
    fn tell(&self, base: &mut CustomerBase) -> bool {
        match self {
            Told::Event(e) => base.apply(e).is_ok(),
            Told::Move(c, to, at) => base.transition(*c, *to, *at, "by hand").is_ok(),
            Told::Advance(at) => {
                base.advance_to(*at);
                true
            }
        }
    }
}

/// The law's `b`: the customers of `full` created at or before `t` (with
/// their current attributes), what `full` accepted at or before `t`, every
/// later withdrawal of consent made at `t` instead (the protective
/// exception), advanced to `t`.
fn as_it_stood(full: &CustomerBase, added: &[NewCustomer], told: &[Told], t: DateTime<Utc>) -> CustomerBase {
    let mut b = CustomerBase::new(full.policy().clone());
    for new in added.iter().filter(|c| c.created_at <= t) {
        let attributes = full.get(new.id).unwrap().attributes().clone();
        b.add_customer(NewCustomer { attributes, ..new.clone() }).unwrap();
    }
    // Consent allowed at t and withdrawn since: withdrawn at t in `b`.
    let mut withdrawn: Vec<(CustomerId, Purpose)> = Vec::new();
    for customer in full.customers().filter(|c| c.created_at() <= t) {
        let then = full.consent_at(customer.id(), t).unwrap();
        for purpose in [Purpose::Profiling, Purpose::Contact] {
            if then.allows(purpose) && !customer.consent().allows(purpose) {
                withdrawn.push((customer.id(), purpose));
            }
        }
    }
    for what in told.iter().filter(|w| w.at() <= t) {
        if let Told::Event(e) = what {
            if let EventKind::Referral { invitee: other } | EventKind::Follow { of: Some(other) } = e.kind
                && !b.contains(other)
            {
                continue; // names someone not yet in the base
            }
            // Events at one instant are taken in the order of their ids, not
            // of their arrival: a change of that consent at t itself would
            // compete with the withdrawal at t, which stands for it.
            if let EventKind::ConsentChange { purpose, .. } = e.kind
                && e.at == t
                && withdrawn.contains(&(e.customer, purpose))
            {
                continue;
            }
        }
        assert!(what.tell(&mut b), "b refused {what:?}, which the base accepted");
    }
    for (customer, purpose) in withdrawn {
        let id = EventId::from_key(&format!("withdrawn later {customer} {purpose:?}"));
        let kind = EventKind::ConsentChange { purpose, granted: false };
        b.apply(&Event { id, customer, at: t, channel: Channel::Web, kind }).unwrap();
    }
    b.advance_to(t);
    b
}

/// The tables as segments see them (`FeatureTable`'s own `==` tells a
/// missing number, NaN inside, from itself): labels, features in order,
/// every value, and who is left out for consent.
fn same_table(a: &FeatureTable, b: &FeatureTable) -> Result<(), String> {
    if a.labels() != b.labels() {
        return Err(format!("labels {:?} and {:?}", a.labels(), b.labels()));
    }
    let names: Vec<&str> = a.feature_names().collect();
    if names != b.feature_names().collect::<Vec<_>>() {
        return Err(format!("features {names:?} and {:?}", b.feature_names().collect::<Vec<_>>()));
    }
    for name in names {
        for row in 0..a.rows() {
            if a.value(name, row) != b.value(name, row) {
                let label = &a.labels()[row];
                return Err(format!("{name} of {label}: {:?} and {:?}", a.value(name, row), b.value(name, row)));
            }
        }
    }
    if a.profiling_withheld() != b.profiling_withheld() {
        return Err(format!("left out {:?} and {:?}", a.profiling_withheld(), b.profiling_withheld()));
    }
    Ok(())
}

#[test]
fn every_feature_is_taken_as_of_the_date() {
    let (mut s, _) = scripted();
    s.base.add_customer(NewCustomer::with_key("late", day(30))).unwrap();
    s.ok("d", 2, EventKind::ConsentChange { purpose: Purpose::Profiling, granted: false });
    s.ok("d", 9, EventKind::ConsentChange { purpose: Purpose::Profiling, granted: true });
    let then = FeatureTable::from_base(&s.base, day(8)).unwrap();
    assert_eq!(then.labels(), &["a", "b"], "late was created after the date; c and d withheld profiling");
    assert_eq!(s.stage("a"), Stage::Loyal);
    assert_eq!(then.value("stage", 0), Some(Value::Text("new".into())), "a had bought once by day 8");
    assert_eq!(then.value("phase", 0), Some(Value::Text("development".into())));
    assert_eq!(then.value("tenure_days", 0), Some(Value::Number(8.0)));
    // Consent errs on the protective side: c withdrew on day 7 (before),
    // d on day 2 and granted again on day 9 (withheld at the date).
    assert_eq!(then.left_out(), 2);
    let earlier = FeatureTable::from_base(&s.base, day(6)).unwrap();
    assert_eq!(earlier.labels(), &["a", "b"], "c has withdrawn since, d had withheld by then: both left out");
    let later = FeatureTable::from_base(&s.base, day(10)).unwrap();
    assert_eq!(later.labels(), &["a", "b", "d"], "d granted again; late not yet created");
    let unchanged = s.base.clone();
    for t in [day(0), day(6), day(8), day(11), day(50), day(100), day(130)] {
        let b = as_it_stood(&s.base, &added_by_script(&s.base), &told_by_script(&s.base), t);
        same_table(&FeatureTable::from_base(&s.base, t).unwrap(), &FeatureTable::from_base(&b, t).unwrap())
            .unwrap_or_else(|e| panic!("at {t}: {e}"));
    }
    assert_eq!(s.base, unchanged, "the base is read, not moved");
}

/// The scripted base's customers as they were added.
fn added_by_script(base: &CustomerBase) -> Vec<NewCustomer> {
    base.customers()
        .map(|c| NewCustomer {
            consent: base.consent_at(c.id(), c.created_at() - TimeDelta::seconds(1)).unwrap(),
            ..NewCustomer::with_key(c.key().unwrap(), c.created_at())
        })
        .collect()
}

/// The scripted base's events, in time order (the script applied them so).
fn told_by_script(base: &CustomerBase) -> Vec<Told> {
    let mut events: Vec<Event> = base.customers().flat_map(|c| base.events(c.id()).unwrap()).collect();
    events.sort_by_key(|e| e.at);
    events.into_iter().map(Told::Event).collect()
}

/// A random history: five customers created over 100 days with random
/// consent, then events, explicit moves and advances over 500 days, told
/// in time order (the base keeps whatever it accepts).
/// A customer: the hour they are created, and whether they allow profiling
/// and contact then.
type Joiner = (u32, bool, bool);
/// What happens: a kind, who, someone else, the hour, a parameter.
type Happening = (u8, usize, usize, u32, u8);

fn history() -> impl Strategy<Value = (Vec<Joiner>, Vec<Happening>, u32, bool)> {
    (
        prop::collection::vec((0u32..100 * 24, any::<bool>(), any::<bool>()), 5),
        prop::collection::vec((0u8..13, 0usize..5, 0usize..5, 0u32..500 * 24, 0u8..=10), 0..60),
        0u32..520 * 24,
        any::<bool>(),
    )
}

fn build(customers: &[Joiner], ops: &[Happening], advance_at_end: bool) -> (CustomerBase, Vec<NewCustomer>, Vec<Told>) {
    let hour = |h: u32| t0() + TimeDelta::hours(i64::from(h));
    let mut base = CustomerBase::new(Policy::default());
    let mut added = Vec::new();
    for (i, &(created, profiling, contact)) in customers.iter().enumerate() {
        let mut consent = Consent::default();
        consent.set(Purpose::Profiling, profiling, hour(created));
        consent.set(Purpose::Contact, contact, hour(created));
        let new = NewCustomer::with_key(format!("p{i}"), hour(created)).consent(consent).attribute("tier", "gold");
        base.add_customer(new.clone()).unwrap();
        added.push(new);
    }
    let ids: Vec<CustomerId> = added.iter().map(|c| c.id).collect();
    let mut ops = ops.to_vec();
    ops.sort_by_key(|op| op.3);
    let (mut purchases, mut complaints) = (vec![Vec::new(); 5], vec![Vec::new(); 5]);
    let mut told = Vec::new();
    for (i, &(kind, who, other, at, param)) in ops.iter().enumerate() {
        let (customer, at, id) = (ids[who], hour(at), EventId::from_key(&format!("op{i}")));
        let event = |kind| Told::Event(Event { id, customer, at, channel: Channel::Web, kind });
        let what = match kind {
            0..=2 => event(EventKind::Purchase { amount: Money::from_minor(100 * i64::from(param) + 100) }),
            3 => match purchases[who].last() {
                Some(&purchase) => event(EventKind::Refund { amount: Money::from_minor(50), purchase }),
                None => continue,
            },
            4 => event(EventKind::Complaint),
            5 => match complaints[who].last() {
                Some(&ticket) => event(EventKind::TicketResolved { ticket }),
                None => continue,
            },
            6 => event(EventKind::Feedback { feedback: Feedback::Nps(NpsScore::new(param).unwrap()) }),
            7 => Told::Event(Event {
                id,
                customer,
                at,
                channel: Channel::NAMED[usize::from(param) % Channel::NAMED.len()].clone(),
                kind: EventKind::Engagement { action: EngagementAction::ALL[usize::from(param) % 8] },
            }),
            8 => event(EventKind::Referral { invitee: ids[other] }),
            9 => event(EventKind::Follow { of: Some(ids[other]) }),
            10 => {
                let purpose = if param % 2 == 0 { Purpose::Profiling } else { Purpose::Contact };
                event(EventKind::ConsentChange { purpose, granted: param % 4 < 2 })
            }
            11 => Told::Move(customer, Stage::ALL[usize::from(param) % 8], at),
            _ => Told::Advance(at),
        };
        if what.tell(&mut base) {
            if let Told::Event(e) = &what {
                match e.kind {
                    EventKind::Purchase { .. } => purchases[who].push(e.id),
                    EventKind::Complaint => complaints[who].push(e.id),
                    _ => {}
                }
            }
            told.push(what);
        }
    }
    if advance_at_end {
        let end = hour(520 * 24);
        base.advance_to(end);
        told.push(Told::Advance(end));
    }
    // Attributes have no history: the law takes them as they stand now.
    base.set_attribute(ids[0], "tier", "silver").unwrap();
    (base, added, told)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// `from_base(base, t)` is `from_base(b, t)` for the base `b` as it stood
    /// at `t` (see `as_it_stood`), at any instant, on the instant of an event
    /// too.
    #[test]
    fn features_as_of_an_instant_are_those_of_the_base_as_it_stood(
        (customers, ops, t, advance) in history(),
        on_an_event in any::<prop::sample::Index>(),
        use_event_time in any::<bool>(),
    ) {
        let (base, added, told) = build(&customers, &ops, advance);
        let t = if use_event_time && !told.is_empty() {
            told[on_an_event.index(told.len())].at()
        } else {
            t0() + TimeDelta::hours(i64::from(t))
        };
        let b = as_it_stood(&base, &added, &told, t);
        let found = same_table(&FeatureTable::from_base(&base, t).unwrap(), &FeatureTable::from_base(&b, t).unwrap());
        prop_assert!(found.is_ok(), "at {}: {}", t, found.unwrap_err());
    }
}

/// The same law on a simulated base (referrals, follows, feedback, churn at
/// scale), fed in time order.
#[cfg(feature = "sim")]
#[test]
fn a_simulated_base_as_of_a_past_instant_is_the_base_as_it_stood() {
    use customer_lifecycle::sim::{SimConfig, Simulator};
    let sim = Simulator::new(SimConfig { customers: 400, ..SimConfig::default() }, 5).unwrap();
    let added: Vec<NewCustomer> = sim.customers().collect();
    let told: Vec<Told> = sim.events().into_iter().map(Told::Event).chain([Told::Advance(sim.end())]).collect();
    let mut base = CustomerBase::new(Policy::default());
    for new in &added {
        base.add_customer(new.clone()).unwrap();
    }
    for what in &told {
        assert!(what.tell(&mut base));
    }
    let span = sim.end() - added.iter().map(|c| c.created_at).min().unwrap();
    for share in [0.3, 0.6, 0.9] {
        let t = sim.end() - TimeDelta::seconds((span.num_seconds() as f64 * (1.0 - share)) as i64);
        let table = FeatureTable::from_base(&base, t).unwrap();
        assert!(share > 0.5 || table.rows() < base.len(), "some customers came later");
        same_table(&table, &FeatureTable::from_base(&as_it_stood(&base, &added, &told, t), t).unwrap())
            .unwrap_or_else(|e| panic!("at {t}: {e}"));
    }
}
