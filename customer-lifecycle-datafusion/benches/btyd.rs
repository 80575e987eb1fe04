//! Summary + histogram + BG/NBD fit over simulated purchases in Parquet, on
//! DataFusion with every core.
//!
//! ```text
//! cargo bench -p customer-lifecycle-datafusion --all-features --bench btyd -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! With the feature `ballista` (`--all-features`, which also shares the
//! build with the tests), `ballista/…` runs the histogram and the fit on a
//! two-executor cluster inside the process.
//!
//! `CLV_BENCH_ROWS` sets the number of purchases (default 10^7); the
//! Parquet file is made once, under the target directory, from the main
//! crate's seeded simulator.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use customer_lifecycle::EventKind;
use customer_lifecycle::clv::{BgNbd, FitOptions, PurchaseModel, TimeUnit};
use customer_lifecycle::sim::{SimOptions, Simulator};
use customer_lifecycle_datafusion::{TransactionLog, btyd, functions};
use datafusion::arrow::array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::SessionContext;

/// Writes `rows` simulated purchases to a Parquet file (once) and returns
/// its path and the calibration end.
fn log_file(rows: usize) -> (PathBuf, NaiveDate) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/clv-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let path = dir.join(format!("purchases-{rows}.parquet"));
    // The simulator makes about 4.4 purchases a customer by default.
    let config = SimOptions { customers: rows / 4 + 1, ..SimOptions::default() };
    let end = (config.start + chrono::TimeDelta::days(i64::from(config.days) * 2 / 3)).date_naive();
    if path.exists() {
        return (path, end);
    }
    let sim = Simulator::new(config, 10).unwrap();
    let keys: std::collections::HashMap<_, _> = sim.customers().map(|c| (c.id, c.key.unwrap())).collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, false),
        Field::new("date", DataType::Date32, false),
        Field::new("amount", DataType::Decimal128(12, 2), false),
    ]));
    let tmp = path.with_extension("partial");
    let mut writer = ArrowWriter::try_new(std::fs::File::create(&tmp).unwrap(), Arc::clone(&schema), None).unwrap();
    let mut events = sim.events_by_customer();
    let mut written = 0;
    while written < rows {
        let (mut k, mut d, mut a) = (Vec::new(), Vec::new(), Vec::new());
        for event in events.by_ref() {
            if let EventKind::Purchase { amount, .. } = event.kind {
                k.push(keys[&event.customer].clone());
                d.push(Date32Type::from_naive_date(event.at.date_naive()));
                a.push(i128::from(amount.minor_units()));
                if k.len() == 1 << 16 || written + k.len() == rows {
                    break;
                }
            }
        }
        assert!(!k.is_empty(), "the simulator ran out of purchases at {written}");
        written += k.len();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(k)),
            Arc::new(Date32Array::from(d)),
            Arc::new(Decimal128Array::from(a).with_precision_and_scale(12, 2).unwrap()),
        ];
        writer.write(&RecordBatch::try_new(Arc::clone(&schema), columns).unwrap()).unwrap();
    }
    writer.close().unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    (path, end)
}

fn bench(c: &mut Criterion) {
    let rows: usize = std::env::var("CLV_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let (path, end) = log_file(rows);
    let path = path.display().to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut group = c.benchmark_group("datafusion");
    group.sample_size(10);
    group.throughput(criterion::Throughput::Elements(rows as u64));
    group.bench_function(format!("btyd/histogram_bgnbd/{rows}"), |b| {
        b.iter(|| {
            runtime.block_on(async {
                let ctx = SessionContext::new();
                functions::register_all(&ctx);
                let log = TransactionLog::read(&ctx, &path).await.unwrap();
                let histogram = btyd::histogram(&log, end, TimeUnit::Weeks).await.unwrap();
                BgNbd::fit(&histogram.fit, &FitOptions::default()).unwrap()
            })
        });
    });
    group.bench_function(format!("btyd/summary/{rows}"), |b| {
        b.iter(|| {
            runtime.block_on(async {
                let ctx = SessionContext::new();
                functions::register_all(&ctx);
                let log = TransactionLog::read(&ctx, &path).await.unwrap();
                btyd::summary(&log, end, TimeUnit::Weeks).await.unwrap().num_rows()
            })
        });
    });
    #[cfg(feature = "ballista")]
    {
        // The same on a two-executor Ballista cluster inside this process.
        let cluster = runtime.block_on(customer_lifecycle_datafusion::cluster::LocalCluster::start(2, 1)).unwrap();
        group.bench_function(format!("ballista/histogram_bgnbd/{rows}"), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let ctx = cluster.context(2).await.unwrap();
                    let log = TransactionLog::read(&ctx, &path).await.unwrap();
                    let histogram = btyd::histogram(&log, end, TimeUnit::Weeks).await.unwrap();
                    BgNbd::fit(&histogram.fit, &FitOptions::default()).unwrap()
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
