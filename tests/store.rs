//! The durable store: equal to the in-memory base on the same events; the
//! order and batching of events do not matter; a refused batch changes
//! nothing; erasure keeps everyone else as the base's `forget` does and
//! leaves no byte of the forgotten in the file; damaged files are typed
//! errors or the same answers.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use customer_lifecycle::eventlog::{EventBatch, KeyedEvent, KeyedKind, StatedConsent, ingest, read_jsonl};
use customer_lifecycle::store::{CustomerStore, StoreError};
use customer_lifecycle::{
    AttributeValue, Channel, Customer, CustomerBase, EngagementAction, Feedback, Money, NpsScore, Policy, Purpose,
};
use proptest::prelude::*;

const SAMPLE_JSONL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/events.jsonl");

/// A fresh directory under the target directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("cl-store-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sample() -> EventBatch {
    read_jsonl(std::fs::read(SAMPLE_JSONL).unwrap().as_slice(), "events.jsonl").unwrap()
}

/// Every customer of the store, by key.
fn contents(store: &CustomerStore) -> BTreeMap<String, Customer> {
    store.customers().unwrap().map(|c| c.unwrap()).map(|c| (c.key().to_owned(), c.into_customer())).collect()
}

/// Every customer of a base with their events, by key.
fn base_contents(base: &CustomerBase) -> BTreeMap<String, (Customer, Vec<customer_lifecycle::Event>)> {
    base.customers()
        .map(|c| (c.key().unwrap().to_owned(), (c.clone(), base.events(c.id()).unwrap().collect())))
        .collect()
}

/// The store equals the base: the same customers, states and events.
fn assert_same(store: &CustomerStore, base: &CustomerBase) {
    let from_store = base_contents(&store.to_base().unwrap());
    let expected = base_contents(base);
    assert_eq!(from_store.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (key, (customer, events)) in &expected {
        let (c, e) = &from_store[key];
        assert_eq!(c, customer, "customer {key}");
        assert_eq!(e, events, "events of {key}");
    }
    assert_eq!(store.stage_counts().unwrap(), base.stage_counts());
}

#[test]
fn the_sample_in_the_store_equals_the_base_and_survives_reopening() {
    let dir = TempDir::new("sample");
    let batch = sample();
    let mut base = CustomerBase::new(Policy::default());
    ingest(&mut base, &batch).unwrap();
    let mut store = CustomerStore::create(dir.path(), Policy::default()).unwrap();
    let report = store.apply_batch(&batch).unwrap();
    assert!(report.events_applied > 30);
    assert_same(&store, &base);
    drop(store);
    let mut store = CustomerStore::open(dir.path()).unwrap();
    assert_same(&store, &base);
    // Re-ingesting the file changes nothing.
    let again = store.apply_batch(&batch).unwrap();
    assert_eq!(again.events_applied, 0);
    assert_same(&store, &base);
    store.verify().unwrap();
    assert!(matches!(CustomerStore::create(dir.path(), Policy::default()), Err(StoreError::Path { .. })));
}

#[test]
fn a_batch_with_one_bad_line_is_refused_whole_and_the_store_is_unchanged() {
    let dir = TempDir::new("bad-line");
    let mut store = CustomerStore::create(dir.path(), Policy::default()).unwrap();
    store.apply_batch(&sample()).unwrap();
    let before = contents(&store);
    let counts = store.stage_counts().unwrap();
    let text = concat!(
        r#"{"id":"n1","customer":"zed","at":"2024-06-01T10:00:00Z","channel":"web","type":"purchase","amount":"10"}"#,
        "\n",
        r#"{"id":"n2","customer":"ana","at":"2024-06-02T10:00:00Z","channel":"web","type":"purchase","amount":"10"}"#,
        "\n",
        r#"{"id":"n3","customer":"zed","at":"2024-06-03T10:00:00Z","channel":"web","type":"refund","amount":"1","purchase":"nope"}"#,
    );
    let batch = read_jsonl(text.as_bytes(), "day.jsonl").unwrap();
    let err = store.apply_batch(&batch).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"day.jsonl:3: field "purchase": refunded purchase "nope" is not an earlier purchase of this customer"#
    );
    assert_eq!(contents(&store), before);
    assert_eq!(store.stage_counts().unwrap(), counts);
    assert!(store.get("zed").unwrap().is_none());
}

/// One generated event: customer, what, when, amount, another customer.
type Spec = (u8, u8, u16, u8, u16, u8);

/// Events a shop could send: refunds and resolutions name an earlier
/// purchase or ticket of the same customer (each once), referrals and
/// follows name another customer. Returned in no particular order.
fn valid_events(specs: &[Spec]) -> Vec<KeyedEvent> {
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut specs = specs.to_vec();
    specs.sort_by_key(|s| (s.2, s.3));
    let mut purchases: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    let mut tickets: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, &(who, what, day, hour, amount, other)) in specs.iter().enumerate() {
        let who = who % 6;
        let id = format!("e{i:03}");
        let at: DateTime<Utc> = t0 + TimeDelta::days(i64::from(day % 500)) + TimeDelta::hours(i64::from(hour % 4));
        let other_key = format!("c{}", (who + 1 + other % 5) % 6);
        let kind = match what % 12 {
            0..=2 => {
                purchases.entry(who).or_default().push(id.clone());
                KeyedKind::Purchase { amount: Money::from_minor(1000 + i64::from(amount)) }
            }
            3 => match purchases.get_mut(&who).and_then(Vec::pop) {
                Some(purchase) => KeyedKind::Refund { amount: Money::from_minor(i64::from(amount % 900)), purchase },
                None => KeyedKind::Engagement { action: EngagementAction::Visit },
            },
            4 => KeyedKind::Engagement { action: EngagementAction::ALL[usize::from(amount % 8)] },
            5 => KeyedKind::Feedback { feedback: Feedback::Nps(NpsScore::new((amount % 11) as u8).unwrap()) },
            6 => {
                tickets.entry(who).or_default().push(id.clone());
                if amount % 2 == 0 { KeyedKind::Complaint } else { KeyedKind::TicketOpened }
            }
            7 => match tickets.get_mut(&who).and_then(Vec::pop) {
                Some(ticket) => KeyedKind::TicketResolved { ticket },
                None => KeyedKind::Complaint,
            },
            8 => KeyedKind::Referral { invitee: other_key },
            9 => KeyedKind::Follow { of: (amount % 3 != 0).then_some(other_key) },
            10 => KeyedKind::ConsentChange {
                purpose: if amount % 2 == 0 { Purpose::Contact } else { Purpose::Profiling },
                granted: amount % 3 == 0,
            },
            _ => KeyedKind::Customer {
                consent: StatedConsent { profiling: None, contact: Some(amount % 2 == 0) },
                attributes: BTreeMap::from([("tier".to_owned(), AttributeValue::Number(f64::from(amount % 7)))]),
            },
        };
        out.push(KeyedEvent { id, customer: format!("c{who}"), at, channel: Channel::Web, kind });
    }
    out
}

/// The events shuffled by `seed` and cut into `parts` batches, with each
/// refund and resolution moved into the batch of what it names if that
/// comes later (a batch must not name what is not stored yet).
fn split(events: &[KeyedEvent], seed: u64, parts: usize) -> Vec<Vec<KeyedEvent>> {
    let mut order: Vec<KeyedEvent> = events.to_vec();
    let mut state = seed | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in (1..order.len()).rev() {
        order.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    let mut batch_of: Vec<usize> = (0..order.len()).map(|_| (next() % parts as u64) as usize).collect();
    let position: BTreeMap<String, usize> = order.iter().enumerate().map(|(i, e)| (e.id.clone(), i)).collect();
    for i in 0..order.len() {
        let named = match &order[i].kind {
            KeyedKind::Refund { purchase: n, .. } | KeyedKind::TicketResolved { ticket: n } => Some(position[n]),
            _ => None,
        };
        if let Some(j) = named {
            batch_of[i] = batch_of[i].max(batch_of[j]);
        }
    }
    let mut batches = vec![Vec::new(); parts];
    for (event, b) in order.into_iter().zip(batch_of) {
        batches[b].push(event);
    }
    batches
}

fn spec() -> impl Strategy<Value = Spec> {
    (any::<u8>(), any::<u8>(), 0u16..500, any::<u8>(), any::<u16>(), any::<u8>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any permutation of a set of events, in any split into batches, gives
    /// the store that applying them in time order gives, which is the base's.
    #[test]
    fn order_and_batching_do_not_matter(specs in prop::collection::vec(spec(), 1..60), seed in any::<u64>(), parts in 1usize..5) {
        let events = valid_events(&specs);
        let whole = EventBatch::new("all.jsonl", events.clone()).unwrap();
        let mut base = CustomerBase::new(Policy::default());
        ingest(&mut base, &whole).unwrap();

        let dir = TempDir::new("law");
        let mut store = CustomerStore::create(dir.path(), Policy::default()).unwrap();
        for (n, part) in split(&events, seed, parts).into_iter().enumerate() {
            let batch = EventBatch::new(format!("part{n}.jsonl"), part).unwrap();
            store.apply_batch(&batch).unwrap();
        }
        assert_same(&store, &base);

        // Erasure: every other customer as the base's forget leaves them.
        let gone = format!("c{}", seed % 6);
        if base.get_by_key(&gone).is_some() {
            let id = base.get_by_key(&gone).unwrap().id();
            base.forget(id).unwrap();
            store.forget(&gone).unwrap();
            prop_assert!(store.get(&gone).unwrap().is_none());
            assert_same(&store, &base);
        }
    }
}

#[test]
fn forget_all_is_all_or_nothing_and_leaves_no_byte_behind() {
    let dir = TempDir::new("forget");
    let mut store = CustomerStore::create(dir.path(), Policy::default()).unwrap();
    store.apply_batch(&sample()).unwrap();
    let secret = concat!(
        r#"{"id":"zq-secret-order-4711","customer":"zq-secret-customer","at":"2024-02-01T10:00:00Z","channel":"web","type":"purchase","amount":"98765.43"}"#,
        "\n",
        r#"{"id":"zq-secret-profile","customer":"zq-secret-customer","at":"2024-02-01T10:00:00Z","channel":"web","type":"customer","attributes":{"city":"zq-secret-city"}}"#,
        "\n",
        r#"{"id":"ref-to-secret","customer":"ana","at":"2024-02-01T09:00:00Z","channel":"web","type":"referral","invitee":"zq-secret-customer"}"#,
    );
    store.apply_batch(&read_jsonl(secret.as_bytes(), "secret.jsonl").unwrap()).unwrap();
    let before = contents(&store);

    let err = store.forget_all(&["zq-secret-customer", "nobody"]).unwrap_err();
    assert_eq!(err, StoreError::UnknownCustomer { key: "nobody".into() });
    assert_eq!(contents(&store), before, "a refused erasure erases nothing");

    store.forget_all(&["zq-secret-customer"]).unwrap();
    assert!(store.get("zq-secret-customer").unwrap().is_none());
    drop(store);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        files.push(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let secret_id = customer_lifecycle::EventId::from_key("zq-secret-order-4711");
    let needles: Vec<Vec<u8>> = vec![
        b"zq-secret".to_vec(),
        secret_id.as_uuid().as_bytes().to_vec(),
        customer_lifecycle::EventId::from_key("ref-to-secret").as_uuid().as_bytes().to_vec(),
    ];
    for file in &files {
        for needle in &needles {
            assert!(!file.windows(needle.len()).any(|w| w == needle.as_slice()), "{needle:?} remains in the file");
        }
    }
    // No tombstone: naming the customer again creates them again.
    let mut store = CustomerStore::open(dir.path()).unwrap();
    store.apply_batch(&read_jsonl(secret.as_bytes(), "secret.jsonl").unwrap()).unwrap();
    assert!(store.get("zq-secret-customer").unwrap().is_some());
}

/// Everything the store answers, for comparing before and after damage.
fn answers(store: &CustomerStore) -> Result<String, StoreError> {
    let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 0, 0, 0).unwrap();
    let mut out = format!("{:?}\n", store.stage_counts()?);
    for customer in store.customers()? {
        let _ = writeln!(out, "{:?}", customer?);
    }
    let _ = write!(out, "{:?}", store.stages_as_of(as_of)?);
    Ok(out)
}

#[test]
fn flipped_bytes_give_a_typed_error_or_the_same_answers() {
    let dir = TempDir::new("flips");
    let mut store = CustomerStore::create(dir.path(), Policy::default()).unwrap();
    store.apply_batch(&sample()).unwrap();
    let expected = answers(&store).unwrap();
    drop(store);
    let file = dir.path().join("customers.redb");
    let pristine = std::fs::read(&file).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let (mut errors, mut same) = (0, 0);
    for _ in 0..200 {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let at = (state >> 33) as usize % pristine.len();
        let mut damaged = pristine.clone();
        damaged[at] ^= 1 << ((state >> 8) % 8);
        std::fs::write(&file, &damaged).unwrap();
        match CustomerStore::open(dir.path()).and_then(|s| answers(&s)) {
            Ok(got) => {
                assert_eq!(got, expected, "a flip at byte {at} changed the answers");
                same += 1;
            }
            Err(_) => errors += 1,
        }
    }
    assert!(errors > 0 && same > 0, "{errors} errors, {same} unchanged");
}
