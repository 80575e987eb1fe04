//! Scores over whole bases: RFM from an unsorted in-memory purchase log,
//! and engagement from an interaction log.
//!
//! ```text
//! cargo bench --bench score -- --sample-size 10 --warm-up-time 1 --measurement-time 3
//! BENCH_CLOCK=cpu cargo bench --bench score -- …   # on-CPU time of the one thread
//! ```

mod common;

use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};
use customer_lifecycle::score::{Engagement, EngagementOptions, Rfm};

fn rfm<M: Measurement>(c: &mut Criterion<M>) {
    let as_of = "2024-12-31".parse().unwrap();
    let mut group = c.benchmark_group("score");
    group.sample_size(10);
    for (customers, transactions, name) in
        [(100_000, 1_000_000, "rfm/100k_customers_1m_tx"), (1_000_000, 10_000_000, "rfm/1m_customers_10m_tx")]
    {
        let log = common::transactions(customers, transactions, 7);
        group.throughput(Throughput::Elements(transactions as u64));
        group.bench_function(name, |b| b.iter(|| Rfm::from_records(log.iter().copied(), as_of).unwrap()));
    }
    group.finish();
}

fn engagement<M: Measurement>(c: &mut Criterion<M>) {
    let (log, as_of) = common::interactions(1_000_000, 10_000_000, 11);
    let config = EngagementOptions::default();
    let mut group = c.benchmark_group("score");
    group.sample_size(10);
    group.throughput(Throughput::Elements(log.len() as u64));
    group.bench_function("engagement/1m_customers_10m_interactions", |b| {
        b.iter(|| Engagement::from_interactions(&config, &log, as_of));
    });
    group.finish();
}

bench_main!(rfm, engagement);
