//! Benchmarks of `clv::covariates` and `clv::intervals` at the sizes issue
//! 17 sets targets for: a fit of 100,000 customers with 3 covariates
//! (≤ 2 s), and the parametric bootstrap's intervals for 100,000 customers
//! and 200 draws (≤ 10 s on two cores).
//!
//! Customers are simulated from the models with covariates at fixed seeds,
//! each from their own parameters over their own `T` (spread over a year,
//! whole days in weeks).
//! Covariates: two binary flags and one standard-normal score, so that every
//! customer has a covariate row of their own (the worst case: no two share
//! one likelihood call); the number of distinct rows is printed.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use customer_lifecycle::clv::{
    Coefficient, CovariateData, CovariateKind, CovariateModel, CovariateOptions, CovariateTable, CustomerSummary,
    IndividualModel, IntervalOptions, Process, PurchaseModel, parametric_draws, purchase_intervals,
};
use rand::{RngExt, SeedableRng};

const SEED: u64 = 20_240_101;
const CUSTOMERS: usize = 100_000;

fn truth(kind: CovariateKind) -> CovariateModel {
    let params = match kind {
        CovariateKind::ParetoNbd => [0.55, 10.6, 0.61, 11.7],
        _ => [0.24, 4.4, 0.79, 2.4],
    };
    CovariateModel::new(
        kind,
        params,
        vec![
            Coefficient::new("flag_a", Process::Purchase, 0.4),
            Coefficient::new("score", Process::Purchase, 0.2),
            Coefficient::new("flag_b", Process::Dropout, -0.3),
        ],
    )
    .expect("valid parameters")
}

fn data(kind: CovariateKind) -> CovariateData {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(SEED);
    let mut table = CovariateTable::new(vec!["flag_a".into(), "flag_b".into(), "score".into()]).expect("names");
    for i in 0..CUSTOMERS {
        // A standard normal by Box–Muller.
        let (u, v): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random());
        let score = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        let row = vec![f64::from(u8::from(i % 3 == 0)), f64::from(u8::from(i % 2 == 0)), score];
        table.push(format!("c{i}"), row).expect("finite");
    }
    let model = truth(kind);
    // Each customer observed for their own T (26 to 78 weeks), simulated
    // from their own parameters over exactly that span.
    let columns = model.columns();
    let customers: Vec<CustomerSummary> = table
        .keys()
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let full = table.get(key).expect("a row");
            let row: Vec<f64> =
                columns.iter().map(|c| full[table.names().iter().position(|n| n == c).expect("a column")]).collect();
            let t = f64::from(183 + (i % 365) as u32) / 7.0;
            let seed = SEED ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let one = match model.individual(&row).expect("finite parameters") {
                IndividualModel::ParetoNbd(m) => m.simulate(1, t, seed),
                IndividualModel::BgNbd(m) => m.simulate(1, t, seed),
                _ => unreachable!("two models"),
            }
            .expect("simulates");
            let (frequency, recency, t, _) = one.rows().next().expect("one customer");
            CustomerSummary { key: key.clone(), frequency, recency, t, monetary_value: 0.0 }
        })
        .collect();
    let data = CovariateData::new(&customers, &table, &model.spec()).expect("joins");
    eprintln!("{kind:?}: {} customers, {} distinct covariate rows", data.customers(), data.groups());
    data
}

fn fits(c: &mut Criterion) {
    let mut group = c.benchmark_group("clv/covariates");
    group.sample_size(10);
    for (kind, name) in [(CovariateKind::BgNbd, "bgnbd"), (CovariateKind::ParetoNbd, "pareto_nbd")] {
        let data = data(kind);
        // What is timed: the fit's log-likelihood (to compare across
        // changes of the fit's arithmetic) and its evaluations.
        let fit = CovariateModel::fit(kind, &data, &CovariateOptions::default()).expect("fits");
        eprintln!("{kind:?}: log-likelihood {:?}, {:?}", fit.log_likelihood, fit.report);
        group.bench_function(format!("fit_{name}/100k_3cov"), |b| {
            b.iter(|| CovariateModel::fit(kind, black_box(&data), &CovariateOptions::default()).expect("fits"));
        });
    }
    group.finish();
}

fn intervals(c: &mut Criterion) {
    let data = data(CovariateKind::BgNbd);
    let fit = CovariateModel::fit(CovariateKind::BgNbd, &data, &CovariateOptions::default()).expect("fits");
    let options = IntervalOptions { level: 0.9, draws: 200, seed: 0 };
    let mut group = c.benchmark_group("clv/intervals");
    group.sample_size(10);
    group.bench_function("parametric_bgnbd/100k_200draws", |b| {
        b.iter(|| {
            let draws = parametric_draws(&fit, &options).expect("draws");
            purchase_intervals(&draws, black_box(&data), 39.0, options.level).expect("intervals")
        });
    });
    group.finish();
}

criterion_group!(benches, fits, intervals);
criterion_main!(benches);
