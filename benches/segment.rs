//! Evaluating segments over a million customers with precomputed features,
//! and computing the features of a base.
//!
//! ```text
//! cargo bench --bench segment
//! ```
//!
//! `segment/evaluate_20/1m` evaluates twenty segments over a million rows
//! (`stage` and `nps_category` closed, as `FeatureTable::from_base` makes
//! them). `segment/from_base/100k` computes the features of 100,000
//! customers with about 700,000 events as of an instant halfway through
//! their history, from a base advanced to the end (stages read from the
//! history); `segment/from_base_unadvanced/100k` as of the end of a base
//! never advanced, where every stage is found by running the customer's
//! rules on a copy.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::segment::{FeatureTable, Segment};
use customer_lifecycle::{
    Channel, CustomerBase, CustomerId, EngagementAction, Event, EventId, EventKind, Feedback, Money, NewCustomer,
    NpsScore, Policy,
};

const ROWS: usize = 1_000_000;

/// A deterministic xorshift stream: the bench needs varied data, not good randomness.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn table() -> FeatureTable {
    let mut s = Stream(0x9e37_79b9_7f4a_7c15);
    let mut t = FeatureTable::new((0..ROWS).map(|i| format!("c{i}")).collect());
    for (name, scale, missing) in [
        ("recency_days", 700.0, 0.3),
        ("frequency", 40.0, 0.0),
        ("monetary", 3_000.0, 0.0),
        ("tenure_days", 730.0, 0.0),
        ("engagement", 100.0, 0.1),
        ("p_alive", 1.0, 0.3),
        ("clv", 2_000.0, 0.3),
        ("influence_rank_pct", 1.0, 0.0),
    ] {
        let values =
            (0..ROWS).map(|_| if s.next() < missing { None } else { Some((s.next() * scale).floor()) }).collect();
        t.add_numbers(name, values, true).expect("fresh column");
    }
    let stages = ["prospect", "new", "satisfied", "repeat", "loyal", "evangelist", "dormant", "churned"];
    let regions = ["north", "south", "east", "west"];
    let nps = ["promoter", "passive", "detractor"];
    for (name, choices) in [("stage", &stages[..]), ("region", &regions[..]), ("nps_category", &nps[..])] {
        let values = (0..ROWS).map(|_| Some(choices[(s.next() * choices.len() as f64) as usize].to_owned())).collect();
        t.add_texts(name, values, true).expect("fresh column");
    }
    t.close_values("stage", stages).expect("every value is a stage");
    t.close_values("nps_category", nps).expect("every value is a category");
    t.set_profiling_withheld((0..ROWS).filter(|i| i % 37 == 0));
    t
}

const SEGMENTS: &str = r#"[
  {"name": "s1", "where": {"field": "stage", "eq": "loyal"}},
  {"name": "s2", "where": {"field": "recency_days", "gt": 60}},
  {"name": "s3", "where": {"all": [{"field": "stage", "in": ["loyal", "evangelist"]}, {"field": "recency_days", "gt": 60}, {"not": {"field": "frequency", "lt": 3}}]}},
  {"name": "s4", "where": {"any": [{"field": "p_alive", "lt": 0.3}, {"field": "stage", "eq": "dormant"}]}},
  {"name": "s5", "where": {"field": "monetary", "between": [500, 1500]}},
  {"name": "s6", "where": {"all": [{"field": "region", "eq": "north"}, {"field": "nps_category", "eq": "promoter"}]}},
  {"name": "s7", "where": {"not": {"field": "region", "in": ["north", "south"]}}},
  {"name": "s8", "where": {"all": [{"field": "clv", "ge": 1000}, {"field": "influence_rank_pct", "ge": 0.9}]}},
  {"name": "s9", "where": {"any": [{"field": "engagement", "ge": 80}, {"field": "frequency", "ge": 30}, {"field": "monetary", "ge": 2800}]}},
  {"name": "s10", "where": {"field": "tenure_days", "le": 90}},
  {"name": "s11", "where": {"all": [{"field": "stage", "eq": "prospect"}, {"field": "engagement", "gt": 50}]}},
  {"name": "s12", "where": {"field": "nps_category", "ne": "detractor"}},
  {"name": "s13", "where": {"all": [{"any": [{"field": "region", "eq": "east"}, {"field": "region", "eq": "west"}]}, {"not": {"field": "p_alive", "ge": 0.5}}]}},
  {"name": "s14", "where": {"field": "frequency", "in": [1, 2, 3]}},
  {"name": "s15", "where": {"all": [{"field": "stage", "in": ["new", "satisfied"]}, {"field": "tenure_days", "gt": 180}]}},
  {"name": "s16", "where": {"any": [{"all": [{"field": "recency_days", "lt": 30}, {"field": "frequency", "ge": 10}]}, {"all": [{"field": "clv", "gt": 1500}, {"field": "p_alive", "gt": 0.8}]}]}},
  {"name": "s17", "where": {"not": {"any": [{"field": "stage", "eq": "churned"}, {"field": "recency_days", "gt": 365}]}}},
  {"name": "s18", "where": {"field": "engagement", "between": [10, 20]}},
  {"name": "s19", "where": {"all": [{"field": "nps_category", "eq": "passive"}, {"field": "monetary", "gt": 1000}, {"field": "region", "ne": "west"}]}},
  {"name": "s20", "where": {"all": [{"field": "stage", "eq": "evangelist"}, {"field": "influence_rank_pct", "ge": 0.5}, {"not": {"field": "recency_days", "gt": 90}}]}}
]"#;

fn evaluate(c: &mut Criterion) {
    let table = table();
    let segments = Segment::list_from_json(SEGMENTS).expect("valid definitions");
    let mut group = c.benchmark_group("segment");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("evaluate_20/1m", |b| b.iter(|| table.evaluate_all(&segments).expect("valid")));
    group.finish();
}

const CUSTOMERS: usize = 100_000;

/// A base of `CUSTOMERS` customers created over two years, each with one to
/// six purchases, an engagement, a follow of an earlier customer and an NPS
/// answer, and every twentieth a referral; not advanced. Returns the base
/// and the instant of its last event.
fn base() -> (CustomerBase, DateTime<Utc>) {
    let mut s = Stream(0x2545_f491_4f6c_dd1d);
    let t0 = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    let at = |days: f64| t0 + TimeDelta::seconds((days * 86_400.0) as i64);
    let mut base = CustomerBase::new(Policy::default());
    let created: Vec<f64> = (0..CUSTOMERS).map(|i| 730.0 * i as f64 / CUSTOMERS as f64).collect();
    let ids: Vec<CustomerId> = (0..CUSTOMERS)
        .map(|i| base.add_customer(NewCustomer::with_key(format!("c{i}"), at(created[i]))).expect("new"))
        .collect();
    let (mut n, mut last) = (0u64, t0);
    for i in 0..CUSTOMERS {
        let mut events = Vec::new();
        let mut day = created[i] + s.next() * 30.0;
        for _ in 0..=(s.next() * 6.0) as usize {
            let amount = Money::from_minor((s.next() * 10_000.0) as i64 + 100);
            events.push((day, Channel::Web, EventKind::Purchase { amount }));
            day += s.next() * 120.0;
        }
        let action = EngagementAction::ALL[(s.next() * 8.0) as usize];
        events.push((created[i] + s.next() * 200.0, Channel::Twitter, EventKind::Engagement { action }));
        if i > 0 {
            let of = Some(ids[(s.next() * i as f64) as usize]);
            events.push((created[i] + s.next() * 10.0, Channel::Facebook, EventKind::Follow { of }));
        }
        let score = NpsScore::new((s.next() * 11.0) as u8).expect("0 to 10");
        events.push((
            created[i] + s.next() * 300.0,
            Channel::Email,
            EventKind::Feedback { feedback: Feedback::Nps(score) },
        ));
        if i % 20 == 0 && i + 1 < CUSTOMERS {
            events.push((created[i + 1], Channel::Email, EventKind::Referral { invitee: ids[i + 1] }));
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (day, channel, kind) in events {
            n += 1;
            let event = Event { id: EventId::from_key(&format!("e{n}")), customer: ids[i], at: at(day), channel, kind };
            base.apply(&event).expect("a valid event");
            last = last.max(event.at);
        }
    }
    (base, last)
}

fn from_base(c: &mut Criterion) {
    let (unadvanced, end) = base();
    let mut advanced = unadvanced.clone();
    advanced.advance_to(end);
    let start = unadvanced.customers().map(customer_lifecycle::Customer::created_at).min().expect("customers");
    let halfway = start + (end - start) / 2;
    let mut group = c.benchmark_group("segment");
    group.sample_size(10);
    group.throughput(Throughput::Elements(CUSTOMERS as u64));
    group.bench_function("from_base/100k", |b| b.iter(|| FeatureTable::from_base(&advanced, halfway).unwrap()));
    group
        .bench_function("from_base_unadvanced/100k", |b| b.iter(|| FeatureTable::from_base(&unadvanced, end).unwrap()));
    group.finish();
}

criterion_group!(benches, evaluate, from_base);
criterion_main!(benches);
