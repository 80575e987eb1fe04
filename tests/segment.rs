//! The segment language: semantics, consent, change, and the laws.

use customer_lifecycle::segment::{
    FeatureTable, Membership, MigrationMatrix, Predicate, Segment, SegmentChange, Value, ready_segments,
};
use customer_lifecycle::{CustomerBase, EventKind, Policy, Purpose};
use proptest::prelude::*;

use crate::common::{Script, cid, day};

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
    let table = FeatureTable::from_base(&s.base, day(120));
    (s, table)
}

#[test]
fn base_features_are_computed_as_of_the_date() {
    let (s, table) = scripted();
    assert_eq!(table.labels(), &["a", "b", "c", "d"]);
    assert_eq!(table.value("stage", 0), Some(Value::Text("loyal".into())));
    assert_eq!(table.value("recency_days", 0), Some(Value::Number(20.0)));
    assert_eq!(table.value("frequency", 0), Some(Value::Number(4.0)));
    assert_eq!(table.value("monetary", 0), Some(Value::Number(100.0)));
    assert_eq!(table.value("recency_days", 3), None, "no purchase");
    assert_eq!(table.value("nps_category", 1), Some(Value::Text("promoter".into())));
    assert_eq!(table.value("engagement_days.web", 1), Some(Value::Number(108.0)));
    assert_eq!(table.value("engagement_days.twitter", 1), None);
    assert_eq!(table.value("open_complaints", 2), Some(Value::Number(1.0)));
    assert_eq!(table.value("consent_profiling", 2), Some(Value::Bool(false)));
    // RFM over the two consenting buyers: a is best on all three, b worst.
    assert_eq!(table.value("rfm_code", 0), Some(Value::Number(555.0)));
    assert_eq!(table.value("rfm_segment", 0), Some(Value::Text("Champions".into())));
    assert_eq!(table.value("rfm_segment", 1), Some(Value::Text("Lost".into())));
    assert_eq!(table.value("rfm_r", 2), None, "c withheld consent");
    assert!(matches!(table.value("engagement", 1), Some(Value::Number(x)) if x > 0.0));
    assert!(matches!(table.value("health", 0), Some(Value::Number(x)) if (0.0..=100.0).contains(&x)));
    // Earlier, a's fourth purchase had not happened.
    let earlier = FeatureTable::from_base(&s.base, day(90));
    assert_eq!(earlier.value("frequency", 0), Some(Value::Number(3.0)));
    assert_eq!(earlier.value("recency_days", 0), Some(Value::Number(10.0)));
}

#[test]
fn withheld_consent_keeps_customers_out_of_profiling_segments() {
    let (_, table) = scripted();
    let complained = seg(r#"{"field": "complaints", "gt": 0}"#);
    assert!(table.evaluate(&complained).unwrap().is_empty(), "c complained but withheld profiling consent");
    let explanation = table.explain(&complained, 2).unwrap();
    assert!(explanation.excluded_by_consent && !explanation.member);
    // A segment on consent alone is not profiling.
    let withheld = seg(r#"{"field": "consent_profiling", "eq": false}"#);
    assert_eq!(table.evaluate(&withheld).unwrap().rows().collect::<Vec<_>>(), vec![2]);
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
    let earlier = FeatureTable::from_base(&s.base, day(50));
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
        vec![vec![0, 0, 0], vec![1, 1, 0], vec![0, 0, 2]],
        "c withheld consent and d never bought: in no segment"
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
