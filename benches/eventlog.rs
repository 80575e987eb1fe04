//! Benchmarks of the `eventlog` module: reading a million keyed events from
//! JSON Lines and CSV bytes in memory, resolving them to ids, and ingesting
//! a day's batch into a base that already holds 100,000 customers and a
//! million events (all or nothing, so it includes the copy of the base).
//!
//! The logs are generated from a fixed seed: 100,000 customers, a year of
//! events in time order, every type but refunds and resolutions (which
//! would need their purchase and ticket to exist), a tenth of the instants
//! with an offset or fractional seconds, and one channel in twenty an
//! other channel.

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::eventlog::{
    KeyedEvent, KeyedKind, StatedConsent, ingest, read_csv, read_jsonl, write_csv, write_jsonl,
};
use customer_lifecycle::{
    Channel, CustomerBase, Money, Policy, Purpose,
    event::{EngagementAction, Feedback, NpsScore},
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED: u64 = 20_241_204;
const CUSTOMERS: usize = 100_000;

/// `count` events numbered from `first`, spread over `days` days from `start`.
fn events(first: usize, count: usize, start: DateTime<Utc>, days: i64, seed: u64) -> Vec<KeyedEvent> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let span = days * 86_400;
    let step = span as f64 / count as f64;
    let customer = |rng: &mut ChaCha8Rng| format!("cust-{:06}", rng.random_range(0..CUSTOMERS));
    (0..count)
        .map(|i| {
            let at = start + TimeDelta::seconds((i as f64 * step) as i64);
            let at = if rng.random_range(0..10) == 0 { at + TimeDelta::milliseconds(250) } else { at };
            let who = customer(&mut rng);
            let channel = if rng.random_range(0..20) == 0 {
                Channel::Other("tiktok".into())
            } else {
                Channel::NAMED[rng.random_range(0..Channel::NAMED.len())].clone()
            };
            let action = EngagementAction::ALL[rng.random_range(0..EngagementAction::ALL.len())];
            let kind = match rng.random_range(0..100) {
                0..30 => KeyedKind::Purchase { amount: Money::from_minor(rng.random_range(0..20_000)) },
                30..70 => KeyedKind::Engagement { action },
                70..75 => {
                    KeyedKind::Feedback { feedback: Feedback::Nps(NpsScore::new(rng.random_range(0..=10)).unwrap()) }
                }
                75..80 => KeyedKind::Touch { campaign: format!("campaign-{}", rng.random_range(0..50)) },
                80..85 => KeyedKind::Response { campaign: format!("campaign-{}", rng.random_range(0..50)), action },
                85..89 => KeyedKind::Follow { of: None },
                89..92 => KeyedKind::Follow { of: Some(customer(&mut rng)).filter(|of| *of != who) },
                92..94 => match customer(&mut rng) {
                    invitee if invitee != who => KeyedKind::Referral { invitee },
                    _ => KeyedKind::TicketOpened,
                },
                94..96 => KeyedKind::ConsentChange { purpose: Purpose::Contact, granted: rng.random() },
                96..98 => KeyedKind::Customer { consent: StatedConsent::default(), attributes: BTreeMap::new() },
                _ => KeyedKind::TicketOpened,
            };
            KeyedEvent { id: format!("evt-{:09}", first + i), customer: who, at, channel, kind }
        })
        .collect()
}

fn jsonl_bytes(events: &[KeyedEvent]) -> Vec<u8> {
    let mut out = Vec::new();
    write_jsonl(&mut out, events).unwrap();
    // A tenth of the lines with an offset instead of Z: the general path.
    let text = String::from_utf8(out).unwrap();
    let mut shifted = String::with_capacity(text.len() + text.len() / 50);
    for (i, line) in text.lines().enumerate() {
        if i % 10 == 5 {
            shifted.push_str(&line.replacen("Z\"", "+00:00\"", 1));
        } else {
            shifted.push_str(line);
        }
        shifted.push('\n');
    }
    shifted.into_bytes()
}

fn parse(c: &mut Criterion) {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let log = events(0, 1_000_000, start, 365, SEED);
    let jsonl = jsonl_bytes(&log);
    let mut csv = Vec::new();
    write_csv(&mut csv, &log).unwrap();
    println!("jsonl: {} bytes, csv: {} bytes for {} events", jsonl.len(), csv.len(), log.len());
    drop(log);

    let mut group = c.benchmark_group("eventlog");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("parse_jsonl/1m", |b| {
        b.iter(|| black_box(read_jsonl(black_box(jsonl.as_slice()), "bench.jsonl").unwrap()));
    });
    group.bench_function("parse_csv/1m", |b| {
        b.iter(|| black_box(read_csv(black_box(csv.as_slice()), "bench.csv").unwrap()));
    });
    let batch = read_jsonl(jsonl.as_slice(), "bench.jsonl").unwrap();
    group.bench_function("resolve/1m", |b| b.iter(|| black_box(batch.resolve())));
    group.finish();
}

fn ingest_day(c: &mut Criterion) {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let year = read_jsonl(jsonl_bytes(&events(0, 1_000_000, start, 364, SEED)).as_slice(), "year.jsonl").unwrap();
    let mut base = CustomerBase::new(Policy::default());
    ingest(&mut base, &year).unwrap();
    drop(year);
    let day_start = start + TimeDelta::days(364);
    let day =
        read_jsonl(jsonl_bytes(&events(1_000_000, 100_000, day_start, 1, SEED + 1)).as_slice(), "day.jsonl").unwrap();
    println!("base: {} customers, {} events", base.len(), base.event_count());

    let mut group = c.benchmark_group("eventlog");
    group.sample_size(10);
    group.throughput(Throughput::Elements(day.len() as u64));
    group.bench_function("ingest/100k_into_100k_customers", |b| {
        b.iter_batched_ref(|| base.clone(), |base| black_box(ingest(base, &day).unwrap()), BatchSize::PerIteration);
    });
    group.throughput(Throughput::Elements(base.len() as u64));
    group.bench_function("clone_base/100k_customers", |b| b.iter(|| black_box(base.clone())));
    group.finish();
}

criterion_group!(benches, parse, ingest_day);
criterion_main!(benches);
