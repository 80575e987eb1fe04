//! Analytics over whole bases: the cohort retention table from an unsorted
//! in-memory purchase log.
//!
//! ```text
//! cargo bench --bench analytics -- --sample-size 10 --warm-up-time 1 --measurement-time 3
//! BENCH_CLOCK=cpu cargo bench --bench analytics -- …   # on-CPU time of the one thread
//! ```

mod common;

use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};
use customer_lifecycle::analytics::{CohortPeriod, CohortTable};

fn cohort<M: Measurement>(c: &mut Criterion<M>) {
    let as_of = "2024-12-31".parse().unwrap();
    let mut group = c.benchmark_group("analytics");
    group.sample_size(10);
    for (customers, transactions, name) in
        [(1_000_000, 3_000_000, "cohort/1m_customers_3m_tx"), (1_000_000, 10_000_000, "cohort/1m_customers_10m_tx")]
    {
        let log = common::transactions(customers, transactions, 13);
        group.throughput(Throughput::Elements(customers as u64));
        group.bench_function(name, |b| b.iter(|| CohortTable::from_records(&log, CohortPeriod::Month, as_of)));
    }
    group.finish();
}

bench_main!(cohort);
