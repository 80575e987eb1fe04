//! Benchmarks of the durable store (`customer_lifecycle::store`) at the
//! issue's size: 1,000,000 customers and about 10,000,000 events (set
//! `STORE_BENCH_CUSTOMERS` for another size; events are ten per customer).
//! The store is generated once into `target/tmp/store-bench-N` and reused:
//! generating it is itself the end-to-end ingest figure, printed once. The
//! year of history is loaded as a shop would load its past: in ten batches,
//! each a tenth of the events spread over 36.5 days (set
//! `STORE_BENCH_BATCHES`; 365 makes it daily batches). A commit rewrites
//! every B-tree page it touches, and a batch's customers are spread over the
//! whole store, so a small batch touches a large share of the pages: with
//! daily batches the generation measures that per-commit cost 365 times
//! rather than the ingest rate; `commit_day` measures one daily commit.
//!
//! - `store/open_stage_counts/N`: open the store and answer `stage_counts`;
//! - `store/commit_day/100k`: commit a batch of 100,000 new events
//!   (applied to a copy of the store's file, so every iteration starts
//!   from the same store);
//! - `store/forget_one/N`: erase one customer (unreadable, no compaction);
//! - `store/forget_all/10k`: erase 10,000 customers and compact;
//! - `store/parse_jsonl/100k`: read and check 100,000 keyed JSON lines.
//!
//! Bytes per event on disk are printed with the generation.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::eventlog::{EventBatch, KeyedEvent, KeyedKind, read_jsonl, write_jsonl};
use customer_lifecycle::store::CustomerStore;
use customer_lifecycle::{Channel, Money, Policy, event::EngagementAction};

fn customers() -> usize {
    std::env::var("STORE_BENCH_CUSTOMERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

/// How many batches the generation loads the year in.
fn batches() -> usize {
    std::env::var("STORE_BENCH_BATCHES").ok().and_then(|v| v.parse().ok()).unwrap_or(10)
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
}

/// `count` events numbered from `first` over `customers` customers, spread
/// evenly over `span` from `day`: mostly purchases, some engagement and
/// referrals. A fixed linear congruential stream keeps it reproducible.
fn events(first: usize, count: usize, customers: usize, day: DateTime<Utc>, span: TimeDelta) -> Vec<KeyedEvent> {
    let span_ms = span.num_milliseconds();
    let mut state = (first as u64) ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % n as u64) as usize
    };
    (0..count)
        .map(|i| {
            let who = next(customers);
            let kind = match next(10) {
                0..=5 => KeyedKind::Purchase { amount: Money::from_minor(500 + next(20_000) as i64) },
                6..=8 => KeyedKind::Engagement { action: EngagementAction::ALL[next(8)] },
                // Anyone but themselves.
                _ => {
                    KeyedKind::Referral { invitee: format!("cust-{:07}", (who + 1 + next(customers - 1)) % customers) }
                }
            };
            KeyedEvent {
                id: format!("ev-{}", first + i),
                customer: format!("cust-{who:07}"),
                at: day + TimeDelta::milliseconds((i as i64 * span_ms) / count.max(1) as i64),
                channel: Channel::Web,
                kind,
            }
        })
        .collect()
}

/// The store of `customers` customers, generated on first use.
fn store_dir(customers: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/tmp/store-bench-{customers}-{}", batches()));
    if dir.join("complete").exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let mut store = CustomerStore::create(&dir, Policy::default()).unwrap();
    let total = customers * 10;
    let batches = batches();
    let per_batch = total / batches;
    // The year, in milliseconds, cut into `batches` equal spans.
    let span = TimeDelta::milliseconds(365 * 86_400_000 / batches as i64);
    let started = Instant::now();
    for n in 0..batches {
        let batch = EventBatch::new(
            format!("batch-{n}.jsonl"),
            events(n * per_batch, per_batch, customers, start() + span * i32::try_from(n).unwrap(), span),
        )
        .unwrap();
        store.apply_batch(&batch).unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(dir.join("customers.redb")).unwrap().len();
    print!("{}", store.space_report().unwrap());
    store.compact().unwrap();
    let compacted = std::fs::metadata(dir.join("customers.redb")).unwrap().len();
    println!("compacted: {compacted} bytes, {:.1} B/event", compacted as f64 / (per_batch * batches) as f64);
    std::fs::write(dir.join("complete"), b"").unwrap();
    println!(
        "generated {customers} customers, {} events in {batches} batches in {elapsed:.1} s ({:.0} events/s end to end); {bytes} bytes on disk, {:.1} B/event",
        per_batch * batches,
        (per_batch * batches) as f64 / elapsed,
        bytes as f64 / (per_batch * batches) as f64
    );
    dir
}

/// A copy of the store in a scratch directory.
fn scratch_copy(dir: &Path, name: &str) -> PathBuf {
    let copy = dir.with_file_name(format!("{}-{name}", dir.file_name().unwrap().to_string_lossy()));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(dir.join("customers.redb"), copy.join("customers.redb")).unwrap();
    copy
}

fn bench(c: &mut Criterion) {
    let n = customers();
    let dir = store_dir(n);
    let mut group = c.benchmark_group("store");
    group.sample_size(10);

    group.bench_function(format!("open_stage_counts/{n}"), |b| {
        b.iter(|| black_box(CustomerStore::open(&dir).unwrap().stage_counts().unwrap()));
    });

    let day = EventBatch::new(
        "day.jsonl",
        events(usize::MAX / 2, 100_000, n, start() + TimeDelta::days(366), TimeDelta::days(1)),
    )
    .unwrap();
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("commit_day/100k", |b| {
        b.iter_batched(
            || CustomerStore::open(scratch_copy(&dir, "commit")).unwrap(),
            |mut store| black_box(store.apply_batch(&day).unwrap()),
            BatchSize::PerIteration,
        );
    });
    group.throughput(Throughput::Elements(1));
    let mut store = CustomerStore::open(scratch_copy(&dir, "forget")).unwrap();
    let mut next = 0;
    group.bench_function(format!("forget_one/{n}"), |b| {
        b.iter(|| {
            next += 1;
            // A key never drawn (about one in 20,000) is an error: fine here.
            black_box(store.forget(&format!("cust-{next:07}")).ok())
        });
    });
    drop(store);
    group.bench_function("forget_all/10k", |b| {
        b.iter_batched(
            || {
                let store = CustomerStore::open(scratch_copy(&dir, "forget-all")).unwrap();
                let keys: Vec<String> = (0..n)
                    .map(|i| format!("cust-{:07}", (n / 2 + i) % n))
                    .filter(|k| store.get(k).unwrap().is_some())
                    .take(10_000)
                    .collect();
                (store, keys)
            },
            |(mut store, keys)| black_box(store.forget_all(&keys).unwrap()),
            BatchSize::PerIteration,
        );
    });

    let mut jsonl = Vec::new();
    write_jsonl(&mut jsonl, &events(0, 100_000, n, start(), TimeDelta::days(1))).unwrap();
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("parse_jsonl/100k", |b| {
        b.iter(|| black_box(read_jsonl(jsonl.as_slice(), "day.jsonl").unwrap()));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
