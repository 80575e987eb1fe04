//! Applying events to a `CustomerBase`: the store's hot path.
//!
//! ```text
//! cargo bench --bench lifecycle
//! ```

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::sim::{SimConfig, Simulator};
use customer_lifecycle::{CustomerBase, Policy};

fn apply(c: &mut Criterion) {
    // About 1,000,000 events: 54,000 simulated people over two years.
    let sim = Simulator::new(SimConfig { customers: 54_000, ..SimConfig::default() }, 7).expect("valid settings");
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

criterion_group!(benches, apply);
criterion_main!(benches);
