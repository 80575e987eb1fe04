//! Benchmarks of the `clv` module at the sizes the issue sets targets for:
//! the summary of 1,000,000 transactions over 100,000 customers, the three
//! fits on the CDNOW cohort and on 100,000 simulated customers, and BG/NBD
//! predictions for 1,000,000 customers.
//!
//! Simulated data come from the models' own simulators at fixed seeds, with
//! daily dates over two years expressed in weeks; the number of distinct
//! `(x, t_x, T)` patterns is printed beside each data set so that no figure
//! is met by data that compress to nothing.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::Money;
use customer_lifecycle::clv::{
    BgNbd, FitData, FitOptions, GammaGamma, History, ModifiedBgNbd, ParetoNbd, PurchaseModel, SpendData, Summary,
    TimeUnit, read_summary_csv,
};
use rand::{RngExt, SeedableRng};

const SEED: u64 = 20_240_101;

/// `customers` histories observed daily over two years: first purchases
/// spread over the first year, recency rounded up to a whole day, in weeks.
fn histories(model: impl Fn(usize, f64, u64) -> FitData, customers: usize) -> FitData {
    let cohorts = 365;
    let mut rows = Vec::with_capacity(customers);
    for day in 0..cohorts {
        let size = customers / cohorts + usize::from(day < customers % cohorts);
        let t_days = 730 - day as u32;
        let t = f64::from(t_days) / 7.0;
        let data = model(size, t, SEED + day as u64);
        for (x, t_x, _, count) in data.rows() {
            let days = (t_x * 7.0).ceil().min(f64::from(t_days));
            rows.push((x, days / 7.0, t, count));
        }
    }
    FitData::from_rows(rows).expect("simulated rows are valid").with_time_unit(TimeUnit::Weeks)
}

fn cdnow() -> (FitData, SpendData) {
    let text = include_str!("../tests/data/cdnow_summary.csv");
    let customers = read_summary_csv(text.as_bytes()).expect("the shipped CDNOW file reads");
    (FitData::from_summary(&customers).unwrap(), SpendData::from_summary(&customers).unwrap())
}

fn summary(c: &mut Criterion) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(SEED);
    let keys: Vec<String> = (0..100_000).map(|i| format!("customer-{i:06}")).collect();
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let log: Vec<(&str, NaiveDate, Money)> = (0..1_000_000)
        .map(|_| {
            let key = keys[rng.random_range(0..keys.len())].as_str();
            let day = start + chrono::TimeDelta::days(rng.random_range(0..730));
            (key, day, Money::from_minor(rng.random_range(0..20_000)))
        })
        .collect();
    let end = start + chrono::TimeDelta::days(729);
    let mut group = c.benchmark_group("clv/summary");
    group.throughput(Throughput::Elements(log.len() as u64));
    group.bench_function("1m", |b| {
        b.iter(|| Summary::from_records(black_box(&log).iter().copied(), end, TimeUnit::Weeks).unwrap());
    });
    group.finish();
}

fn fits(c: &mut Criterion) {
    let options = FitOptions::default();
    let (cdnow, cdnow_spend) = cdnow();
    let bg_truth = BgNbd::new(0.5, 6.0, 0.7, 2.5).unwrap();
    let pn_truth = ParetoNbd::new(0.6, 8.0, 0.8, 12.0).unwrap();
    let bg_data = histories(|n, t, seed| bg_truth.simulate(n, t, seed).unwrap(), 100_000);
    let pn_data = histories(|n, t, seed| pn_truth.simulate(n, t, seed).unwrap(), 100_000);
    // Spend for the simulated BG/NBD customers with repeat purchases, with
    // each customer's total rounded to cents as a real log holds it.
    let frequencies: Vec<u32> = bg_data.rows().flat_map(|(x, _, _, n)| std::iter::repeat_n(x, n as usize)).collect();
    let simulated = GammaGamma::new(6.0, 4.0, 15.0).unwrap().simulate(&frequencies, SEED).unwrap();
    let spend = SpendData::from_rows(simulated.rows().map(|(x, m, n)| {
        let cents = (m * f64::from(x) * 100.0).round().max(1.0);
        (x, cents / 100.0 / f64::from(x), n)
    }))
    .unwrap();
    eprintln!(
        "patterns: cdnow {} of {}, cdnow spend {} of {}, bgnbd 100k {} of {}, pareto 100k {} of {}, spend {} of {}",
        cdnow.patterns(),
        cdnow.customers(),
        cdnow_spend.patterns(),
        cdnow_spend.customers(),
        bg_data.patterns(),
        bg_data.customers(),
        pn_data.patterns(),
        pn_data.customers(),
        spend.patterns(),
        spend.customers(),
    );
    let pn_fit = ParetoNbd::fit(&pn_data, &options).unwrap();
    eprintln!(
        "pareto 100k fit: {:?} ll {} (at the true parameters {}) report {:?}",
        pn_fit.model,
        pn_fit.log_likelihood,
        pn_truth.log_likelihood(&pn_data),
        pn_fit.report
    );
    let bg_fit = BgNbd::fit(&bg_data, &options).unwrap();
    eprintln!(
        "bgnbd 100k fit: {:?} ll {} (at the true parameters {}) report {:?}",
        bg_fit.model,
        bg_fit.log_likelihood,
        bg_truth.log_likelihood(&bg_data),
        bg_fit.report
    );

    let mut group = c.benchmark_group("clv");
    group.throughput(Throughput::Elements(cdnow.customers() as u64));
    group.bench_function("bgnbd_fit/cdnow", |b| b.iter(|| BgNbd::fit(black_box(&cdnow), &options).unwrap()));
    group.bench_function("modified_bgnbd_fit/cdnow", |b| {
        b.iter(|| ModifiedBgNbd::fit(black_box(&cdnow), &options).unwrap());
    });
    group.bench_function("pareto_nbd_fit/cdnow", |b| b.iter(|| ParetoNbd::fit(black_box(&cdnow), &options).unwrap()));
    group.throughput(Throughput::Elements(cdnow_spend.customers() as u64));
    group.bench_function("gamma_gamma_fit/cdnow", |b| {
        b.iter(|| GammaGamma::fit(black_box(&cdnow_spend), &options).unwrap());
    });
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("bgnbd_fit/100k", |b| b.iter(|| BgNbd::fit(black_box(&bg_data), &options).unwrap()));
    group.bench_function("pareto_nbd_fit/100k", |b| b.iter(|| ParetoNbd::fit(black_box(&pn_data), &options).unwrap()));
    group.throughput(Throughput::Elements(spend.customers() as u64));
    group.bench_function("gamma_gamma_fit/100k", |b| b.iter(|| GammaGamma::fit(black_box(&spend), &options).unwrap()));
    group.finish();
}

fn predictions(c: &mut Criterion) {
    let model = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let data = histories(|n, t, seed| model.simulate(n, t, seed).unwrap(), 1_000_000);
    let customers: Vec<(u32, f64, f64)> =
        data.rows().flat_map(|(x, t_x, t, n)| std::iter::repeat_n((x, t_x, t), n as usize)).collect();
    eprintln!("patterns: bgnbd 1m {} of {}", data.patterns(), customers.len());
    let mut group = c.benchmark_group("clv/bgnbd_predict");
    group.throughput(Throughput::Elements(customers.len() as u64));
    group.bench_function("1m", |b| {
        b.iter(|| {
            let mut total = 0.0;
            for &(frequency, recency, age) in black_box(&customers) {
                let h = History { frequency, recency, age };
                total += model.p_alive(h) + model.expected_purchases(h, 39.0);
            }
            total
        });
    });
    group.finish();
}

/// The slow cases of issue 12: 200 customers whose purchase rates do not
/// vary (simulated with r = 10⁶), so that the fits run off along the ridge
/// r, α → ∞; and the CDNOW summary with time in units 10⁴ times smaller.
/// The results are not unwrapped: a ridge is an error now.
fn hard_fits(c: &mut Criterion) {
    let options = FitOptions::default();
    let (cdnow, _) = cdnow();
    let ridge = ParetoNbd::new(1e6, 1e6 / 0.3, 0.5, 10.0).unwrap().simulate(200, 40.0, 5).unwrap();
    let bg_ridge = BgNbd::new(1e6, 1e6 / 0.3, 0.5, 10.0).unwrap().simulate(200, 40.0, 5).unwrap();
    let scaled = FitData::from_rows(cdnow.rows().map(|(x, t_x, t, n)| (x, t_x * 1e4, t * 1e4, n))).unwrap();
    eprintln!(
        "ridge: pareto {:?}, bgnbd {:?}",
        ParetoNbd::fit(&ridge, &options).map(|f| f.report),
        BgNbd::fit(&bg_ridge, &options).map(|f| f.report)
    );
    let mut group = c.benchmark_group("clv");
    group.throughput(Throughput::Elements(200));
    group.bench_function("pareto_nbd_fit/ridge200", |b| b.iter(|| ParetoNbd::fit(black_box(&ridge), &options).is_ok()));
    group.bench_function("bgnbd_fit/ridge200", |b| b.iter(|| BgNbd::fit(black_box(&bg_ridge), &options).is_ok()));
    group.throughput(Throughput::Elements(cdnow.customers() as u64));
    group.bench_function("pareto_nbd_fit/cdnow_time_x1e4", |b| {
        b.iter(|| ParetoNbd::fit(black_box(&scaled), &options).is_ok());
    });
    group.finish();
}

/// DERT at 15% a year (weekly δ) for the CDNOW cohort's 2,357 histories:
/// the BG/NBD by quadrature of its expected purchases, the Pareto/NBD in
/// closed form.
fn dert(c: &mut Criterion) {
    let (data, _) = cdnow();
    let histories: Vec<History> = data
        .rows()
        .flat_map(|(frequency, recency, age, n)| std::iter::repeat_n(History { frequency, recency, age }, n as usize))
        .collect();
    let delta = 1.15f64.ln() / 52.0;
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let pn = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let mut group = c.benchmark_group("clv/dert");
    group.throughput(Throughput::Elements(histories.len() as u64));
    group.bench_function("bgnbd/cdnow", |b| {
        b.iter(|| black_box(&histories).iter().map(|&h| bg.dert(h, delta).unwrap()).sum::<f64>());
    });
    group.bench_function("pareto_nbd/cdnow", |b| {
        b.iter(|| black_box(&histories).iter().map(|&h| pn.dert(h, delta).unwrap()).sum::<f64>());
    });
    group.finish();
}

criterion_group!(benches, summary, fits, hard_fits, predictions, dert);
criterion_main!(benches);
