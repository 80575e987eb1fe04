//! Keyed event logs: every field's error with file, line and field; repeats
//! within a file and against the base; CSV and JSON Lines agree; creation
//! at the earliest appearance; refunds by key; a refused batch changes
//! nothing; the bundled sample.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use customer_lifecycle::eventlog::{
    EventBatch, EventLogError, EventLogErrorKind, KeyedEvent, KeyedKind, StatedConsent, ingest, read_csv, read_jsonl,
    read_path, write_csv, write_jsonl,
};
use customer_lifecycle::{
    Channel, CustomerBase, CustomerId, EventId, EventKind, Money, Policy, Purpose, Stage,
    customer::AttributeValue,
    event::{CsatScore, EngagementAction, Feedback, NpsScore},
};
use proptest::prelude::*;

const SAMPLE_JSONL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/events.jsonl");
const SAMPLE_CSV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/events.csv");

const GOOD: &str =
    r#"{"id":"o-1","customer":"ana","at":"2024-03-01T10:00:00Z","channel":"web","type":"purchase","amount":"12.50"}"#;

fn jsonl(text: &str) -> Result<EventBatch, EventLogError> {
    read_jsonl(text.as_bytes(), "day.jsonl")
}

/// `bad` as line 4 of a file, after a good line, a blank line and another
/// good line: the error must name line 4.
fn bad_line(bad: &str) -> EventLogError {
    let other = GOOD.replace("o-1", "o-2");
    let err = jsonl(&format!("{GOOD}\n\n{other}\n{bad}\n")).expect_err(bad);
    assert_eq!(err.file, "day.jsonl", "{bad}");
    assert_eq!(err.line, Some(4), "{bad}: {err}");
    assert!(err.to_string().starts_with("day.jsonl:4: "), "{err}");
    err
}

fn line(fields: &str) -> String {
    format!(r#"{{"id":"e-9","customer":"bo","at":"2024-03-02T00:00:00Z","channel":"store",{fields}}}"#)
}

/// A bad line, the field its error names, and a check of the reason.
type Case = (String, Option<&'static str>, fn(&EventLogErrorKind) -> bool);

/// One case per way a field can be wrong; a table, however long.
#[allow(clippy::too_many_lines)]
fn field_cases() -> Vec<Case> {
    use EventLogErrorKind as K;
    vec![
        (
            r#"{"customer":"bo","at":"2024-03-02T00:00:00Z","channel":"web","type":"complaint"}"#.into(),
            Some("id"),
            |k| *k == K::Missing,
        ),
        (
            r#"{"id":"x","at":"2024-03-02T00:00:00Z","channel":"web","type":"complaint"}"#.into(),
            Some("customer"),
            |k| *k == K::Missing,
        ),
        (r#"{"id":"x","customer":"bo","channel":"web","type":"complaint"}"#.into(), Some("at"), |k| *k == K::Missing),
        (r#"{"id":"x","customer":"bo","at":"2024-03-02T00:00:00Z","type":"complaint"}"#.into(), Some("channel"), |k| {
            *k == K::Missing
        }),
        (r#"{"id":"x","customer":"bo","at":"2024-03-02T00:00:00Z","channel":"web"}"#.into(), Some("type"), |k| {
            *k == K::Missing
        }),
        (
            r#"{"id":"x","customer":"bo","at":"2024-03-02T00:00:00Z","channel":"web","type":null}"#.into(),
            Some("type"),
            |k| *k == K::Missing,
        ),
        (
            r#"{"id":7,"customer":"bo","at":"2024-03-02T00:00:00Z","channel":"web","type":"complaint"}"#.into(),
            Some("id"),
            |k| *k == K::WrongType { expected: "a string", found: "an integer" },
        ),
        (
            r#"{"id":"","customer":"bo","at":"2024-03-02T00:00:00Z","channel":"web","type":"complaint"}"#.into(),
            Some("id"),
            |k| *k == K::EmptyKey,
        ),
        (
            r#"{"id":"x","customer":["bo"],"at":"2024-03-02T00:00:00Z","channel":"web","type":"complaint"}"#.into(),
            Some("customer"),
            |k| *k == K::WrongType { expected: "a string", found: "an array" },
        ),
        (
            line(r#""type":"complaint","at":"2024-03-02""#).replace(r#""at":"2024-03-02T00:00:00Z","#, ""),
            Some("at"),
            |k| matches!(k, K::InvalidInstant { value } if value == "2024-03-02"),
        ),
        (line(r#""type":"complaint""#).replace("2024-03-02T00:00:00Z", "2024-03-02T00:00:00"), Some("at"), |k| {
            matches!(k, K::InvalidInstant { .. })
        }),
        (
            line(r#""type":"purchase","amount":"1.234""#),
            Some("amount"),
            |k| matches!(k, K::InvalidAmount { value, .. } if value == "1.234"),
        ),
        (
            line(r#""type":"purchase","amount":"-1""#),
            Some("amount"),
            |k| matches!(k, K::InvalidAmount { value, reason } if value == "-1" && reason.contains("negative")),
        ),
        (line(r#""type":"purchase","amount":"1e3""#), Some("amount"), |k| matches!(k, K::InvalidAmount { .. })),
        (line(r#""type":"purchase","amount":"+1""#), Some("amount"), |k| matches!(k, K::InvalidAmount { .. })),
        (line(r#""type":"purchase","amount":"1,5""#), Some("amount"), |k| matches!(k, K::InvalidAmount { .. })),
        (line(r#""type":"purchase","amount":"""#), Some("amount"), |k| matches!(k, K::InvalidAmount { .. })),
        (line(r#""type":"purchase","amount":12.5"#), Some("amount"), |k| {
            *k == K::WrongType { expected: "a string", found: "a number" }
        }),
        (line(r#""type":"purchase""#), Some("amount"), |k| *k == K::Missing),
        (line(r#""type":"refund","amount":"1""#), Some("purchase"), |k| *k == K::Missing),
        (line(r#""type":"feedback","nps":11"#), Some("nps"), |k| *k == K::OutOfRange { value: 11, min: 0, max: 10 }),
        (line(r#""type":"feedback","nps":-1"#), Some("nps"), |k| *k == K::OutOfRange { value: -1, min: 0, max: 10 }),
        (line(r#""type":"feedback","csat":0"#), Some("csat"), |k| *k == K::OutOfRange { value: 0, min: 1, max: 5 }),
        (line(r#""type":"feedback","nps":"9""#), Some("nps"), |k| {
            *k == K::WrongType { expected: "an integer", found: "a string" }
        }),
        (line(r#""type":"feedback","nps":9.5"#), Some("nps"), |k| {
            *k == K::WrongType { expected: "an integer", found: "a number" }
        }),
        (line(r#""type":"feedback","nps":9,"csat":4"#), Some("csat"), |k| *k == K::TwoAnswers),
        (line(r#""type":"feedback""#), Some("nps"), |k| *k == K::Missing),
        (line(r#""type":"signup""#), Some("type"), |k| matches!(k, K::UnknownType { value } if value == "signup")),
        (line(r#""type":"Purchase","amount":"1""#), Some("type"), |k| matches!(k, K::UnknownType { .. })),
        (
            line(r#""type":"engagement","action":"poke""#),
            Some("action"),
            |k| matches!(k, K::UnknownAction { value } if value == "poke"),
        ),
        (line(r#""type":"engagement""#), Some("action"), |k| *k == K::Missing),
        (line(r#""type":"response","campaign":"c","action":"buy""#), Some("action"), |k| {
            matches!(k, K::UnknownAction { .. })
        }),
        (line(r#""type":"response","action":"open""#), Some("campaign"), |k| *k == K::Missing),
        (line(r#""type":"touch","campaign":"""#), Some("campaign"), |k| *k == K::EmptyKey),
        (line(r#""type":"ticket_resolved""#), Some("ticket"), |k| *k == K::Missing),
        (line(r#""type":"referral""#), Some("invitee"), |k| *k == K::Missing),
        (
            line(r#""type":"referral","invitee":"bo""#),
            Some("invitee"),
            |k| matches!(k, K::SelfReference { customer, action: "refer" } if customer == "bo"),
        ),
        (line(r#""type":"follow","of":"bo""#), Some("of"), |k| matches!(k, K::SelfReference { action: "follow", .. })),
        (line(r#""type":"follow","of":3"#), Some("of"), |k| matches!(k, K::WrongType { .. })),
        (
            line(r#""type":"consent_change","purpose":"tracking","granted":true"#),
            Some("purpose"),
            |k| matches!(k, K::UnknownPurpose { value } if value == "tracking"),
        ),
        (line(r#""type":"consent_change","purpose":"contact","granted":"true""#), Some("granted"), |k| {
            *k == K::WrongType { expected: "a boolean", found: "a string" }
        }),
        (line(r#""type":"consent_change","purpose":"contact""#), Some("granted"), |k| *k == K::Missing),
        (line(r#""type":"customer","consent":"yes""#), Some("consent"), |k| {
            *k == K::WrongType { expected: "an object", found: "a string" }
        }),
        (line(r#""type":"customer","consent":{"contact":1}"#), Some("consent.contact"), |k| {
            matches!(k, K::WrongType { .. })
        }),
        (line(r#""type":"customer","attributes":[1]"#), Some("attributes"), |k| matches!(k, K::WrongType { .. })),
        (line(r#""type":"customer","attributes":{"tags":["a"]}"#), Some("attributes.tags"), |k| {
            *k == K::WrongType { expected: "a string, number or boolean", found: "an array" }
        }),
        (line(r#""type":"customer","attributes":{"x":null}"#), Some("attributes.x"), |k| {
            matches!(k, K::WrongType { .. })
        }),
        (r#"{"id":"x","customer":"bo""#.into(), None, |k| matches!(k, K::Json { .. })),
        (r#"["x"]"#.into(), None, |k| matches!(k, K::Json { message } if message.contains("object"))),
        (
            r#"{"id":"x","id":"y","customer":"bo","at":"2024-03-02T00:00:00Z","channel":"web","type":"complaint"}"#
                .into(),
            None,
            |k| matches!(k, K::Json { message } if message.contains("duplicate field")),
        ),
    ]
}

#[test]
fn every_field_error_names_the_file_line_and_field() {
    for (bad, field, expected) in field_cases() {
        let err = bad_line(&bad);
        assert_eq!(err.field.as_deref(), field, "{bad}: {err}");
        assert!(expected(&err.kind), "{bad}: {err:?}");
        if let Some(field) = field {
            assert!(err.to_string().contains(&format!("field {field:?}")), "{err}");
        }
    }
}

#[test]
fn unknown_fields_nulls_and_other_channels_are_accepted() {
    let text = line(r#""type":"follow","of":null,"note":{"deep":[1,2,{"x":null}]},"amount":"not applicable""#)
        .replace("store", "Store");
    let batch = jsonl(&text).unwrap();
    let event = &batch.events()[0];
    assert_eq!(event.kind, KeyedKind::Follow { of: None });
    // Channel names are the lower-case words; anything else is an other channel.
    assert_eq!(event.channel, Channel::Other("Store".into()));
    let escaped = jsonl(&line(r#""type":"complaint""#).replace(r#""bo""#, r#""b\u00f6 \"q\"""#)).unwrap();
    assert_eq!(escaped.events()[0].customer, "bö \"q\"");
    // A byte-order mark and CRLF line ends are fine.
    let crlf = format!("\u{feff}{GOOD}\r\n{}\r\n", GOOD.replace("o-1", "o-2"));
    assert_eq!(jsonl(&crlf).unwrap().len(), 2);
}

#[test]
fn a_repeated_id_with_the_same_content_is_skipped_and_with_other_content_refused() {
    let batch = jsonl(&format!("{GOOD}\n{GOOD}\n")).unwrap();
    assert_eq!((batch.len(), batch.skipped()), (1, 1));
    // Same content in another spelling (key order, offset) is the same event.
    let respelled = r#"{"amount":"12.5","type":"purchase","channel":"web","at":"2024-03-01T11:00:00+01:00","customer":"ana","id":"o-1"}"#;
    assert_eq!(jsonl(&format!("{GOOD}\n{respelled}\n")).unwrap().len(), 1);

    let other = GOOD.replace("12.50", "12.51");
    let err = jsonl(&format!("{GOOD}\n\n{other}\n")).unwrap_err();
    assert_eq!(err.line, Some(3));
    assert_eq!(err.field.as_deref(), Some("id"));
    assert_eq!(err.kind, EventLogErrorKind::ConflictingDuplicate { id: "o-1".into(), first_line: Some(1) });
    assert_eq!(err.to_string(), r#"day.jsonl:3: field "id": event "o-1" appears on line 1 with other content"#);

    // Against the base: identical is skipped, other content refuses the batch.
    let mut base = CustomerBase::new(Policy::default());
    ingest(&mut base, &jsonl(GOOD).unwrap()).unwrap();
    let report = ingest(&mut base, &jsonl(GOOD).unwrap()).unwrap();
    assert_eq!((report.events_applied, report.duplicates), (0, 1));
    let before = base.clone();
    let later = GOOD.replace("o-1", "o-3").replace("10:00", "11:00");
    let err = ingest(&mut base, &jsonl(&format!("{later}\n{other}\n")).unwrap()).unwrap_err();
    assert_eq!((err.line, err.field.as_deref()), (Some(2), Some("id")));
    assert_eq!(err.kind, EventLogErrorKind::ConflictingDuplicate { id: "o-1".into(), first_line: None });
    assert_eq!(base, before);
}

#[test]
fn a_customer_first_seen_as_invitee_or_followed_is_created_then() {
    let log = [
        r#"{"id":"s-bo","customer":"bo","at":"2024-03-05T00:00:00Z","channel":"web","type":"customer","consent":{"contact":true},"attributes":{"tier":"gold","visits":3,"ratio":0.5,"ok":true}}"#,
        r#"{"id":"o-bo","customer":"bo","at":"2024-03-06T00:00:00Z","channel":"web","type":"purchase","amount":"10"}"#,
        r#"{"id":"r-1","customer":"ana","at":"2024-03-01T00:00:00Z","channel":"email","type":"referral","invitee":"bo"}"#,
        r#"{"id":"f-1","customer":"ana","at":"2024-02-20T00:00:00Z","channel":"twitter","type":"follow","of":"cy"}"#,
        r#"{"id":"s-cy","customer":"cy","at":"2024-03-10T00:00:00Z","channel":"web","type":"customer"}"#,
    ];
    let at = |d: u32, m: u32| Utc.with_ymd_and_hms(2024, m, d, 0, 0, 0).unwrap();
    // Whatever the order of the lines.
    for rotation in 0..log.len() {
        let mut lines = log.to_vec();
        lines.rotate_left(rotation);
        let batch = jsonl(&lines.join("\n")).unwrap();
        let mut base = CustomerBase::new(Policy::default());
        let report = ingest(&mut base, &batch).unwrap();
        assert_eq!(report.customers_created, 3);
        let bo = base.get_by_key("bo").unwrap();
        assert_eq!(bo.created_at(), at(1, 3));
        assert_eq!(bo.stage(), Stage::New);
        assert!(bo.consent().contact.granted);
        assert_eq!(bo.consent().contact.changed_at, Some(at(5, 3)));
        assert!(!base.consent_at(bo.id(), at(4, 3)).unwrap().contact.granted);
        let attributes: BTreeMap<String, AttributeValue> = [
            ("ok".to_owned(), AttributeValue::Bool(true)),
            ("ratio".to_owned(), AttributeValue::Number(0.5)),
            ("tier".to_owned(), AttributeValue::Text("gold".into())),
            ("visits".to_owned(), AttributeValue::Integer(3)),
        ]
        .into();
        assert_eq!(bo.attributes(), &attributes);
        assert_eq!(base.get_by_key("cy").unwrap().created_at(), at(20, 2));
        assert_eq!(base.get_by_key("ana").unwrap().created_at(), at(20, 2));
        assert_eq!(base.get_by_key("ana").unwrap().converted_referrals(), 1);
    }
}

#[test]
fn a_refund_names_its_purchase_by_key() {
    let log = concat!(
        r#"{"id":"o-7","customer":"ana","at":"2024-03-01T00:00:00Z","channel":"store","type":"purchase","amount":"30"}"#,
        "\n",
        r#"{"id":"x-7","customer":"ana","at":"2024-03-02T00:00:00Z","channel":"store","type":"refund","amount":"12.5","purchase":"o-7"}"#,
        "\n",
        r#"{"id":"c-1","customer":"ana","at":"2024-03-03T00:00:00Z","channel":"support","type":"complaint"}"#,
        "\n",
        r#"{"id":"c-1-done","customer":"ana","at":"2024-03-04T00:00:00Z","channel":"support","type":"ticket_resolved","ticket":"c-1"}"#,
    );
    let mut base = CustomerBase::new(Policy::default());
    ingest(&mut base, &jsonl(log).unwrap()).unwrap();
    let ana = CustomerId::from_key("ana");
    let events: Vec<_> = base.events(ana).unwrap().collect();
    assert_eq!(
        events[1].kind,
        EventKind::Refund { amount: Money::from_minor(1250), purchase: EventId::from_key("o-7") }
    );
    assert_eq!(events[3].kind, EventKind::TicketResolved { ticket: EventId::from_key("c-1") });
    assert_eq!(base.get(ana).unwrap().open_complaints(), 0);

    // Too much refunded: the error names the purchase key, never an id.
    let before = base.clone();
    let more = r#"{"id":"x-8","customer":"ana","at":"2024-03-05T00:00:00Z","channel":"store","type":"refund","amount":"17.51","purchase":"o-7"}"#;
    let err = ingest(&mut base, &jsonl(more).unwrap()).unwrap_err();
    assert_eq!(
        err.kind,
        EventLogErrorKind::RefundExceedsPurchase {
            purchase: "o-7".into(),
            refunded: Money::from_minor(3001),
            paid: Money::from_minor(3000)
        }
    );
    assert_eq!(
        err.to_string(),
        r#"day.jsonl:1: field "amount": refunds of purchase "o-7" would total 30.01, more than its 30.00"#
    );
    assert!(!err.to_string().contains(&EventId::from_key("o-7").to_string()));
    let err = ingest(&mut base, &jsonl(&more.replace("o-7", "c-1")).unwrap()).unwrap_err();
    assert_eq!(err.kind, EventLogErrorKind::UnknownPurchase { purchase: "c-1".into() });
    let stale = more.replace("refund", "ticket_resolved").replace(r#""purchase":"o-7""#, r#""ticket":"c-1""#);
    let err = ingest(&mut base, &jsonl(&stale).unwrap()).unwrap_err();
    assert_eq!(
        (err.field.as_deref(), err.kind),
        (Some("ticket"), EventLogErrorKind::UnknownTicket { ticket: "c-1".into() })
    );
    assert_eq!(base, before);
}

#[test]
fn a_bad_line_refuses_the_whole_batch_and_the_base_is_unchanged() {
    let mut base = CustomerBase::new(Policy::default());
    ingest(&mut base, &read_path(SAMPLE_JSONL).unwrap()).unwrap();
    let before = base.clone();
    let fresh: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#"{{"id":"n-{i}","customer":"new-{i}","at":"2024-05-01T00:00:{i:02}Z","channel":"web","type":"purchase","amount":"1"}}"#
            )
        })
        .collect();
    // A line the reader refuses: nothing is read.
    let mut lines = fresh.clone();
    lines.insert(10, line(r#""type":"purchase","amount":"1.234""#));
    let err = jsonl(&lines.join("\n")).unwrap_err();
    assert_eq!((err.line, err.field.as_deref()), (Some(11), Some("amount")));
    // A line the base refuses, after good ones in time order: nothing is applied.
    let mut lines = fresh.clone();
    lines.push(
        r#"{"id":"late","customer":"ana","at":"2024-01-01T00:00:00Z","channel":"web","type":"engagement","action":"like"}"#
            .to_owned(),
    );
    let err = ingest(&mut base, &jsonl(&lines.join("\n")).unwrap()).unwrap_err();
    assert_eq!((err.line, err.field.as_deref()), (Some(21), Some("customer")));
    assert!(matches!(&err.kind, EventLogErrorKind::BeforeCreation { customer, .. } if customer == "ana"), "{err}");
    assert_eq!(base, before);
    // Older than the customer's last event: a late event, accepted (the
    // base derives the history again from its instant).
    let mut lines = fresh;
    lines.push(
        r#"{"id":"late","customer":"ana","at":"2024-02-01T00:00:00Z","channel":"web","type":"engagement","action":"like"}"#
            .to_owned(),
    );
    let report = ingest(&mut base, &jsonl(&lines.join("\n")).unwrap()).unwrap();
    assert_eq!(report.events_applied, 21);
    assert_ne!(base, before);
}

#[test]
fn csv_errors_name_the_physical_line_and_the_column() {
    let header =
        "id,customer,at,channel,type,amount,purchase,action,nps,csat,ticket,invitee,of,purpose,granted,campaign";
    let read = |text: &str| read_csv(text.as_bytes(), "day.csv");
    let good = "o-1,ana,2024-03-01T10:00:00Z,web,purchase,12.50,,,,,,,,,,";
    let quoted = "\"o\n2\",\"ana\",2024-03-01T10:00:00Z,web,complaint,,,,,,,,,,,";
    for (bad, field) in [
        ("o-3,bo,2024-03-01T10:00:00Z,web,purchase,1.234,,,,,,,,,,", "amount"),
        ("o-3,bo,2024-03-01T10:00:00Z,web,purchase,-1,,,,,,,,,,", "amount"),
        ("o-3,bo,2024-03-01T10:00:00Z,web,feedback,,,,11,,,,,,,", "nps"),
        ("o-3,bo,2024-03-01T10:00:00Z,web,feedback,,,,x,,,,,,,", "nps"),
        ("o-3,bo,2024-03-01T10:00:00Z,web,consent_change,,,,,,,,,contact,yes,", "granted"),
        ("o-3,bo,2024-03-01T10:00:00Z,web,engagement,,,poke,,,,,,,,", "action"),
        ("o-3,,2024-03-01T10:00:00Z,web,complaint,,,,,,,,,,,", "customer"),
        ("o-3,bo,2024-03-01T10:00:00Z,,complaint,,,,,,,,,,,", "channel"),
        ("o-3,bo,01/03/2024,web,complaint,,,,,,,,,,,", "at"),
        ("o-3,bo,2024-03-01T10:00:00Z,web,sale,,,,,,,,,,,", "type"),
    ] {
        let err = read(&format!("{header}\n{good}\n{quoted}\n{bad}\n")).unwrap_err();
        assert_eq!((err.line, err.field.as_deref()), (Some(5), Some(field)), "{bad}: {err}");
        assert!(err.to_string().starts_with(&format!("day.csv:5: field {field:?}: ")), "{err}");
    }
    let err = read(&format!("{header}\n{good}\no-4,bo\n")).unwrap_err();
    assert!(matches!(err.kind, EventLogErrorKind::Csv { .. }) && err.line == Some(3), "{err}");
    let err = read(&header.replace(",of,", ",off,")).unwrap_err();
    assert_eq!((err.line, err.field.as_deref(), err.kind), (Some(1), Some("of"), EventLogErrorKind::MissingColumn));
    let err = read(&format!("{header},amount")).unwrap_err();
    assert_eq!((err.field.as_deref(), err.kind), (Some("amount"), EventLogErrorKind::DuplicateColumn));
    // Columns in any order, extra ones ignored.
    let mut columns: Vec<&str> = header.split(',').collect();
    columns.reverse();
    let reordered =
        format!("note,{}\nhi,,,,,,,,,,,12.50,purchase,web,2024-03-01T10:00:00Z,ana,o-1\n", columns.join(","));
    assert_eq!(read(&reordered).unwrap().events(), read(&format!("{header}\n{good}\n")).unwrap().events());
}

#[test]
fn read_path_picks_the_format_by_extension() {
    let jsonl = read_path(SAMPLE_JSONL).unwrap();
    assert_eq!(jsonl.source(), SAMPLE_JSONL);
    assert_eq!(read_path(SAMPLE_CSV).unwrap().len(), jsonl.len());
    let err = read_path("events.txt").unwrap_err();
    assert_eq!(err.kind, EventLogErrorKind::UnknownFormat { extension: "txt".into() });
    let err = read_path("/nonexistent/events.jsonl").unwrap_err();
    assert!(matches!(err.kind, EventLogErrorKind::Io { .. }) && err.file == "/nonexistent/events.jsonl", "{err}");
}

/// Without the consent and attributes that CSV cannot carry.
fn without_profiles(events: &[KeyedEvent]) -> Vec<KeyedEvent> {
    events
        .iter()
        .cloned()
        .map(|mut e| {
            if let KeyedKind::Customer { consent, attributes } = &mut e.kind {
                *consent = StatedConsent::default();
                attributes.clear();
            }
            e
        })
        .collect()
}

#[test]
fn the_bundled_sample_covers_every_type_and_ingests() {
    let batch = read_path(SAMPLE_JSONL).unwrap();
    let csv = read_path(SAMPLE_CSV).unwrap();
    assert_eq!(csv.events(), without_profiles(batch.events()));
    assert!(batch.iter().zip(csv.iter()).all(|((jl, _), (cl, _))| cl == jl + 1));
    let mut types: Vec<&str> = batch.events().iter().map(|e| e.kind.name()).collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(types.len(), 13, "{types:?}");
    let mut base = CustomerBase::new(Policy::default());
    let report = ingest(&mut base, &batch).unwrap();
    assert_eq!(report.customers_created, 6);
    assert_eq!(report.attribute_updates, 3);
    // Every line but the four customer records is an event; those add their stated consent (2 + 1 + 0 + 0).
    assert_eq!(report.events_applied, batch.len() - 4 + 3);
    assert_eq!(base.get_by_key("fay").unwrap().stage(), Stage::Prospect);
    assert_eq!(base.get_by_key("ana").unwrap().attribute("region"), Some(&AttributeValue::Text("west".into())));
    assert_eq!(base.get_by_key("ana").unwrap().stage(), Stage::Repeat);
    assert_eq!(base.get_by_key("bo").unwrap().created_at(), Utc.with_ymd_and_hms(2024, 1, 4, 8, 0, 0).unwrap());
    // The CSV gives the same base but for consent and attributes.
    let mut from_csv = CustomerBase::new(Policy::default());
    ingest(&mut from_csv, &csv).unwrap();
    assert_eq!(from_csv.stage_counts(), base.stage_counts());
    assert_eq!(from_csv.event_count() + 3, base.event_count());
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..100_000_000, prop_oneof![Just(0u32), 0u32..1_000_000_000]).prop_map(|(s, n)| {
        Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + TimeDelta::seconds(s) + TimeDelta::nanoseconds(n.into())
    })
}

fn key() -> impl Strategy<Value = String> {
    // Commas, quotes, newlines, non-ASCII: what CSV quoting must carry.
    prop_oneof!["[a-z]{1,3}", "[a-z0-9 ,\"\n\u{e9}-]{1,8}"]
}

fn action() -> impl Strategy<Value = EngagementAction> {
    prop::sample::select(EngagementAction::ALL.to_vec())
}

fn kind() -> impl Strategy<Value = KeyedKind> {
    let money = (0i64..10_000_000).prop_map(Money::from_minor);
    prop_oneof![
        Just(KeyedKind::Customer { consent: StatedConsent::default(), attributes: BTreeMap::new() }),
        money.clone().prop_map(|amount| KeyedKind::Purchase { amount }),
        (money, key()).prop_map(|(amount, purchase)| KeyedKind::Refund { amount, purchase }),
        action().prop_map(|action| KeyedKind::Engagement { action }),
        (0u8..=10).prop_map(|n| KeyedKind::Feedback { feedback: Feedback::Nps(NpsScore::new(n).unwrap()) }),
        (1u8..=5).prop_map(|n| KeyedKind::Feedback { feedback: Feedback::Csat(CsatScore::new(n).unwrap()) }),
        Just(KeyedKind::TicketOpened),
        Just(KeyedKind::Complaint),
        key().prop_map(|ticket| KeyedKind::TicketResolved { ticket }),
        key().prop_map(|invitee| KeyedKind::Referral { invitee: format!("i{invitee}") }),
        prop::option::of(key()).prop_map(|of| KeyedKind::Follow { of: of.map(|k| format!("f{k}")) }),
        (prop::sample::select(vec![Purpose::Profiling, Purpose::Contact]), any::<bool>())
            .prop_map(|(purpose, granted)| KeyedKind::ConsentChange { purpose, granted }),
        key().prop_map(|campaign| KeyedKind::Touch { campaign }),
        (key(), action()).prop_map(|(campaign, action)| KeyedKind::Response { campaign, action }),
    ]
}

fn channel() -> impl Strategy<Value = Channel> {
    prop_oneof![prop::sample::select(Channel::NAMED.to_vec()), "[a-zA-Z ]{1,6}".prop_map(Channel::Other)].prop_map(
        |c| match c {
            // A name of the list is that channel, not an other one.
            Channel::Other(name) if Channel::NAMED.iter().any(|n| n.name() == name) => Channel::Web,
            c => c,
        },
    )
}

fn events() -> impl Strategy<Value = Vec<KeyedEvent>> {
    prop::collection::vec((key(), instant(), channel(), kind()), 0..40).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (customer, at, channel, kind))| KeyedEvent {
                id: format!("e{i}"),
                customer: format!("c{customer}"),
                at,
                channel,
                kind,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn csv_and_json_lines_of_the_same_events_give_identical_batches(events in events()) {
        let mut jsonl_bytes = Vec::new();
        write_jsonl(&mut jsonl_bytes, &events).unwrap();
        let mut csv_bytes = Vec::new();
        write_csv(&mut csv_bytes, &events).unwrap();
        let from_jsonl = read_jsonl(jsonl_bytes.as_slice(), "x.jsonl").unwrap();
        let from_csv = read_csv(csv_bytes.as_slice(), "x.csv").unwrap();
        prop_assert_eq!(from_jsonl.events(), events.as_slice());
        prop_assert_eq!(from_csv.events(), events.as_slice());
        prop_assert_eq!(from_jsonl.resolve(), from_csv.resolve());
    }

    #[test]
    fn the_order_of_the_lines_does_not_matter(seed in any::<u64>()) {
        let text = std::fs::read_to_string(SAMPLE_JSONL).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        // A seeded Fisher-Yates shuffle, without a random-number crate here.
        let mut state = seed | 1;
        for i in (1..lines.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            lines.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut sorted = CustomerBase::new(Policy::default());
        ingest(&mut sorted, &jsonl(&text).unwrap()).unwrap();
        let mut shuffled = CustomerBase::new(Policy::default());
        ingest(&mut shuffled, &jsonl(&lines.join("\n")).unwrap()).unwrap();
        let key_of = |b: &CustomerBase| {
            let mut customers: Vec<_> = b.customers().cloned().collect();
            customers.sort_by_key(customer_lifecycle::Customer::id);
            customers
        };
        prop_assert_eq!(key_of(&sorted), key_of(&shuffled));
    }
}

#[test]
fn batches_built_in_code_are_checked_like_files() {
    let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let event = |kind| KeyedEvent { id: "e".into(), customer: "ana".into(), at, channel: Channel::Web, kind };
    let err = EventBatch::new("api", vec![event(KeyedKind::Purchase { amount: Money::from_minor(-1) })]).unwrap_err();
    assert_eq!((err.file.as_str(), err.line, err.field.as_deref()), ("api", Some(1), Some("amount")));
    let err = EventBatch::new("api", vec![event(KeyedKind::Referral { invitee: "ana".into() })]).unwrap_err();
    assert!(matches!(err.kind, EventLogErrorKind::SelfReference { .. }));
    let mut empty = event(KeyedKind::Complaint);
    empty.customer.clear();
    let err = EventBatch::new("api", vec![event(KeyedKind::Complaint), empty]).unwrap_err();
    assert_eq!((err.line, err.kind), (Some(2), EventLogErrorKind::EmptyKey));
}
