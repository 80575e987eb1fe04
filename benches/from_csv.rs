//! The transaction log from a CSV file, as users start: the reader alone,
//! the reader with RFM scores (`rfm_read_path` is what `examples/rfm.rs`
//! runs), and the reader with
//! the per-customer summary (as `examples/clv.rs --transactions`), each
//! both into `Vec<Transaction>` and into a keyed `TransactionLog` (what the
//! examples use), and the Pareto/NBD fit on the file's summary
//! (`clv/pareto_nbd_fit/1m_file_summary`). The in-memory benches in
//! `score.rs` and `clv.rs` start from records.
//!
//! The 1,000,000-row, 100,000-customer file is written once per run into
//! cargo's bench scratch directory (`target/tmp`), from a fixed seed, in the
//! shape `gen_transactions.py` makes (see [`write_log`]).
//!
//! ```text
//! cargo bench --bench from_csv -- --warm-up-time 1 --measurement-time 5
//! BENCH_CLOCK=cpu cargo bench --bench from_csv -- …   # on-CPU time of the one thread
//! ```

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeDelta};
use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};
use customer_lifecycle::clv::{FitData, FitOptions, ParetoNbd, PurchaseModel, Summary, TimeUnit};
use customer_lifecycle::csv::TransactionCsv;
use customer_lifecycle::score::Rfm;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal};

const CUSTOMERS: usize = 100_000;
const ROWS: usize = 1_000_000;

/// Writes `rows` purchases of `customers` customers to `path` as
/// `customer_id,date,amount`, sorted by date then customer, the same for the
/// same seed. The story of `gen_transactions.py`: customer c (keys 1 to
/// `customers`) is acquired on a day uniform in the first 365 of a 730-day
/// window from 2022-01-01 and buys that day; it has a propensity
/// w ~ Gamma(0.5, 1), and each of the other purchases goes to a customer
/// drawn with probability proportional to w (a multinomial), on a day
/// uniform between its acquisition and the end of an Exponential(mean 365
/// days) lifetime; amounts are Gamma(6, μ/6) for μ ~ LogNormal(ln 30, 0.5),
/// in cents, at least 0.01.
fn write_log(path: &Path, customers: usize, rows: usize, seed: u64) {
    const DAYS: u64 = 730;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let acquired: Vec<u64> = (0..customers).map(|_| rng.random_range(0..365)).collect();
    let propensity = Gamma::new(0.5, 1.0).unwrap();
    let mut cumulative = Vec::with_capacity(customers);
    let mut total = 0.0;
    for _ in 0..customers {
        total += propensity.sample(&mut rng);
        cumulative.push(total);
    }
    let lifetime = Exp::new(1.0 / 365.0).unwrap();
    let active_end: Vec<f64> =
        acquired.iter().map(|&a| (a as f64 + lifetime.sample(&mut rng)).min((DAYS - 1) as f64)).collect();
    let spend = LogNormal::new(30f64.ln(), 0.5).unwrap();
    let mean_spend: Vec<f64> = (0..customers).map(|_| spend.sample(&mut rng)).collect();

    let mut log: Vec<(u64, usize, i64)> = Vec::with_capacity(rows);
    for c in 0..rows {
        let (who, day) = if c < customers {
            (c, acquired[c])
        } else {
            let u = rng.random::<f64>() * total;
            let who = cumulative.partition_point(|&x| x <= u).min(customers - 1);
            let span = active_end[who] - acquired[who] as f64 + 1.0;
            let day = ((acquired[who] as f64 + rng.random::<f64>() * span).floor() as u64).min(DAYS - 1);
            (who, day)
        };
        let amount = Gamma::new(6.0, mean_spend[who] / 6.0).unwrap().sample(&mut rng);
        log.push((day, who, ((amount * 100.0).round() as i64).max(1)));
    }
    log.sort_unstable();

    let start = NaiveDate::from_ymd_opt(2022, 1, 1).unwrap();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "customer_id,date,amount").unwrap();
    for (day, who, cents) in log {
        let date = start + TimeDelta::days(day as i64);
        writeln!(out, "{},{},{}.{:02}", who + 1, date.format("%Y-%m-%d"), cents / 100, cents % 100).unwrap();
    }
    out.flush().unwrap();
}

/// The bench file, written afresh by each run of this bench.
fn log_file() -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("from_csv_1m_transactions.csv");
    write_log(&path, CUSTOMERS, ROWS, 20_240_601);
    path
}

fn from_csv<M: Measurement>(c: &mut Criterion<M>) {
    let path = log_file();
    let reader = TransactionCsv::new();
    let as_of = NaiveDate::from_ymd_opt(2023, 12, 31).unwrap();
    let mut group = c.benchmark_group("from_csv");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("1m_transactions/read", |b| b.iter(|| reader.from_path(&path).unwrap().to_transactions()));
    group.bench_function("1m_transactions/read_log", |b| b.iter(|| reader.from_path(&path).unwrap()));
    group.bench_function("1m_transactions/rfm_from_log", |b| {
        b.iter(|| {
            let log = reader.from_path(&path).unwrap();
            let rfm = Rfm::from_log(&log, as_of).unwrap();
            std::hint::black_box(&rfm);
        });
    });
    // What the `rfm` example runs: rows folded into per-customer sums as
    // they are parsed, no log kept.
    group.bench_function("1m_transactions/rfm_read_path", |b| {
        b.iter(|| std::hint::black_box(Rfm::read_path(&reader, &path, as_of).unwrap()));
    });
    group.bench_function("1m_transactions/summary_from_log", |b| {
        b.iter(|| {
            let log = reader.from_path(&path).unwrap();
            Summary::from_log(&log, as_of, TimeUnit::Days).unwrap()
        });
    });
    group.bench_function("1m_transactions/rfm", |b| {
        b.iter(|| {
            let log = reader.from_path(&path).unwrap().to_transactions();
            let rfm = Rfm::from_records(log.iter().map(|t| (t.key.as_str(), t.date, t.amount)), as_of).unwrap();
            std::hint::black_box(&rfm);
        });
    });
    group.bench_function("1m_transactions/summary", |b| {
        b.iter(|| {
            let log = reader.from_path(&path).unwrap().to_transactions();
            Summary::from_transactions(&log, as_of, TimeUnit::Days).unwrap()
        });
    });
    group.finish();

    // The Pareto/NBD fit on the summary of this file (daily units, the
    // shape whose fit is slowest: s and β large), without the reading.
    let log = reader.from_path(&path).unwrap();
    let summary = Summary::from_log(&log, as_of, TimeUnit::Days).unwrap();
    let data = FitData::from_summary(&summary.customers).unwrap();
    let options = FitOptions::default();
    let fit = ParetoNbd::fit(&data, &options).unwrap();
    eprintln!("1m file summary: {} patterns, Pareto/NBD fit {:?}", data.rows().count(), fit.model);
    let mut group = c.benchmark_group("clv");
    group.sample_size(10);
    group.bench_function("pareto_nbd_fit/1m_file_summary", |b| {
        b.iter(|| ParetoNbd::fit(std::hint::black_box(&data), &options).unwrap());
    });
    group.finish();
}

bench_main!(from_csv);
