//! Applying events to a `CustomerBase`: the store's hot path.
//!
//! ```text
//! cargo bench --bench lifecycle
//! ```

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::sim::{SimOptions, Simulator};
use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, Money, NewCustomer, Policy};

fn apply(c: &mut Criterion) {
    // About 1,000,000 events: 54,000 simulated people over two years.
    let sim = Simulator::new(SimOptions { customers: 54_000, ..SimOptions::default() }, 7).expect("valid settings");
    let events = sim.events();
    let mut empty = CustomerBase::new(Policy::default());
    for customer in sim.customers() {
        empty.add_customer(customer).expect("new customer");
    }
    empty.reserve(0, events.len());

    let mut group = c.benchmark_group("lifecycle");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function(format!("apply/{}k_events", events.len() / 1000), |b| {
        b.iter_batched(
            || empty.clone(),
            |mut base| {
                for event in &events {
                    base.apply(event).expect("simulated events are valid");
                }
                base
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("advance_to/54k_customers", |b| {
        let mut base = empty.clone();
        for event in &events {
            base.apply(event).expect("valid");
        }
        b.iter_batched(
            || base.clone(),
            |mut base| {
                base.advance_to(sim.end() + chrono::TimeDelta::days(400));
                base
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

/// 160,000 refunds of one purchase: each refund's check is O(1) (a running
/// total per purchase), not a sum over the earlier refunds.
fn refunds(c: &mut Criterion) {
    const N: i64 = 160_000;
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut empty = CustomerBase::new(Policy::default());
    let ana = empty.add_customer(NewCustomer::with_key("ana", t0)).expect("new customer");
    let event = |id: EventId, s: i64, kind| Event {
        id,
        customer: ana,
        at: t0 + TimeDelta::seconds(s),
        channel: Channel::Web,
        kind,
    };
    let order = EventId::from_key("order");
    empty.apply(&event(order, 0, EventKind::Purchase { amount: Money::from_minor(N) })).expect("valid");
    let refunds: Vec<Event> = (0..N)
        .map(|i| {
            let kind = EventKind::Refund { amount: Money::from_minor(1), purchase: order };
            event(EventId::from_key(&format!("refund-{i}")), i + 1, kind)
        })
        .collect();
    let mut group = c.benchmark_group("lifecycle");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("refunds/160k", |b| {
        b.iter_batched(
            || empty.clone(),
            |mut base| {
                for refund in &refunds {
                    base.apply(refund).expect("within the purchase");
                }
                base
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

/// A streamed snapshot of 100,000 simulated customers over a year, written
/// to a file in the temporary directory and read back (checksum checked,
/// journal replayed).
fn snapshot(c: &mut Criterion) {
    let sim = Simulator::new(SimOptions { customers: 100_000, days: 365, ..SimOptions::default() }, 7)
        .expect("valid settings");
    let mut base = CustomerBase::new(Policy::default());
    sim.populate(&mut base).expect("simulated events are valid");
    base.advance_to(sim.end());
    let path = std::env::temp_dir().join(format!("customer-lifecycle-bench-{}.jsonl", std::process::id()));

    let mut group = c.benchmark_group("lifecycle");
    group.sample_size(10);
    group.throughput(Throughput::Elements(base.event_count() as u64));
    group.bench_function("snapshot/write_read_100k", |b| {
        b.iter(|| {
            let file = std::fs::File::create(&path).expect("temporary file");
            base.write_snapshot(file).expect("written");
            let file = std::io::BufReader::new(std::fs::File::open(&path).expect("written file"));
            CustomerBase::read_snapshot(file).expect("read back")
        });
    });
    group.finish();
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    eprintln!("snapshot: {} customers, {} events, {bytes} bytes", base.len(), base.event_count());
    std::fs::remove_file(&path).ok();
}

criterion_group!(benches, apply, refunds, snapshot);
criterion_main!(benches);
