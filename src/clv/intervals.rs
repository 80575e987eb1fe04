//! Per-customer prediction intervals: how far a customer's P(alive),
//! expected purchases, expected spend or lifetime value could move within
//! the uncertainty of the fitted parameters.
//!
//! Two bootstraps give the parameter sets (draws):
//!
//! - **parametric** ([`parametric_draws`]): parameters drawn from the
//!   fit's normal approximation on the log scale, `N(φ̂, H⁻¹)` with
//!   `φ = (ln r, ln α, ln s|a, ln β|b, γ₁, …)` and `H` the Hessian of the
//!   negative log-likelihood there ([`CovariateFit::covariance`]); the
//!   positive parameters are the exponentials, so every draw is a valid
//!   model. Cost: one Cholesky factor, then O(parameters²) per draw.
//! - **customer** ([`customer_bootstrap_draws`]): the customers resampled
//!   with replacement and the model refitted, once per draw. Cost: a full
//!   fit per draw, so `draws ×` the fit's time; it captures misfit the
//!   normal approximation cannot, at one to two orders of magnitude more
//!   work.
//!
//! Then, per customer, the prediction under every draw is computed and the
//! interval is the pair of empirical percentiles at `(1 − level)/2` and
//! `(1 + level)/2` ([`percentile`]: numpy's default "linear" definition).
//! That step costs `draws ×` one prediction per customer, O(draws) memory
//! per customer, and it dominates for the parametric bootstrap.
//!
//! Determinism and parallelism: draw `d` is a pure function of
//! `(seed, d)` (its own `ChaCha8` stream: the seed, stream `d`), and each
//! customer's interval a pure function of the draws and the customer, so
//! running draws or customers in parallel gives bit-identical results.
//! Both loops are plain iterators here.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::clv::{
//!     CovariateData, CovariateKind, CovariateModel, CovariateOptions, CustomerSummary, History, IntervalOptions,
//!     PurchaseModel, parametric_draws, purchase_intervals,
//! };
//!
//! # #[cfg(feature = "sim")] {
//! let sim = customer_lifecycle::clv::BgNbd::new(0.5, 6.0, 0.8, 2.5)?.simulate(500, 40.0, 1)?;
//! let customers: Vec<CustomerSummary> = sim
//!     .rows()
//!     .enumerate()
//!     .map(|(i, (x, t_x, t, _))| CustomerSummary { key: i.to_string(), frequency: x, recency: t_x, t, monetary_value: 0.0 })
//!     .collect();
//! let data = CovariateData::without_covariates(&customers)?;
//! let fit = CovariateModel::fit(CovariateKind::BgNbd, &data, &CovariateOptions::default())?;
//! let options = IntervalOptions { level: 0.9, draws: 50, seed: 7 };
//! let draws = parametric_draws(&fit, &options)?;
//! let intervals = purchase_intervals(&draws, &data, 39.0, options.level)?;
//! let (row, (x, t_x, t)) = data.customer(0);
//! let point = fit.model.individual(row)?.expected_purchases(History { frequency: x, recency: t_x, age: t }, 39.0);
//! assert!(intervals[0].expected_purchases.lower <= point && point <= intervals[0].expected_purchases.upper);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::clv::covariates::CovariateError;
use crate::clv::{
    ClvError, CovariateData, CovariateFit, CovariateKind, CovariateModel, CovariateOptions, GammaGamma, GammaGammaFit,
    History, SpendData, gamma_gamma, optim,
};

/// Settings of a bootstrap for per-customer prediction intervals.
///
/// Draws come from [`parametric_draws`] (the fit's normal approximation on
/// the log scale: cheap, O(parameters²) per draw) or
/// [`customer_bootstrap_draws`] (a refit on resampled customers per draw:
/// `draws ×` a fit). Then, per customer, the prediction under every draw is
/// computed and the interval is the pair of [`percentile`]s (numpy's
/// "linear") at `(1 ∓ level)/2`: `customers × draws` predictions, which
/// dominate the parametric bootstrap's cost. Draw `d` is a pure function of
/// `(seed, d)` (its own `ChaCha8` stream) and each customer's interval of
/// the draws and the customer, so running either loop in parallel gives
/// bit-identical results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntervalOptions {
    /// The interval's coverage, in (0, 1): 0.9 gives the 5th and 95th
    /// percentiles.
    pub level: f64,
    /// The number of draws (parameter sets). Default 200.
    pub draws: usize,
    /// The seed of the draws' random streams. Default 0.
    pub seed: u64,
}

impl Default for IntervalOptions {
    fn default() -> Self {
        IntervalOptions { level: 0.9, draws: 200, seed: 0 }
    }
}

impl IntervalOptions {
    fn validate(&self) -> Result<(), ClvError> {
        check_level(self.level)?;
        if self.draws < 2 {
            return Err(ClvError::InvalidOption { name: "draws", value: self.draws as f64 });
        }
        Ok(())
    }
}

fn check_level(level: f64) -> Result<(), ClvError> {
    if level > 0.0 && level < 1.0 { Ok(()) } else { Err(ClvError::InvalidOption { name: "level", value: level }) }
}

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The lower end: the `(1 − level)/2` percentile of the draws.
    pub lower: f64,
    /// The upper end: the `(1 + level)/2` percentile.
    pub upper: f64,
}

/// A customer's intervals for the purchase model's predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PurchaseIntervals {
    /// P(alive) at `T`.
    pub p_alive: Interval,
    /// Expected purchases in the horizon asked for.
    pub expected_purchases: Interval,
}

/// The `q`-quantile of sorted values with linear interpolation between the
/// order statistics: at `h = (n − 1)·q`, `v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋])`,
/// numpy's default ("linear", type 7 of Hyndman & Fan). `NaN` for no values.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::percentile;
///
/// assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
/// assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.05), 1.15);
/// ```
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let h = last as f64 * q.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(last);
    let hi = (lo + 1).min(last);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The interval of a sample at `level` (sorts it in place).
fn interval_of(values: &mut [f64], level: f64) -> Interval {
    values.sort_unstable_by(f64::total_cmp);
    Interval { lower: percentile(values, (1.0 - level) / 2.0), upper: percentile(values, f64::midpoint(1.0, level)) }
}

/// Per customer, the intervals at `level` of `K` predictions computed under
/// each of `draws` draws by `predict(draw, customer)`: customers in order,
/// each a pure function of its own predictions.
///
/// # Errors
///
/// [`ClvError::InvalidOption`] for a level outside (0, 1) or fewer than 2
/// draws, [`ClvError::NonFiniteResult`] when a prediction is not finite,
/// and the first error of `predict`.
///
/// # Complexity
///
/// `customers × draws` calls of `predict`, a sort of `draws` values per
/// customer and prediction; O(draws) memory.
pub fn intervals<const K: usize>(
    level: f64,
    customers: usize,
    draws: usize,
    predict: impl Fn(usize, usize) -> Result<[f64; K], ClvError> + Sync + Send,
) -> Result<Vec<[Interval; K]>, ClvError> {
    check_level(level)?;
    if draws < 2 {
        return Err(ClvError::InvalidOption { name: "draws", value: draws as f64 });
    }
    // Customers are independent: each is computed whole on one thread and the
    // results kept in customer order, so the intervals (and which error is
    // reported: the first customer's in order) do not depend on the threads.
    let indices: Vec<usize> = (0..customers).collect();
    crate::util::par_map_min(&indices, 64, |&customer| {
        let mut samples: [Vec<f64>; K] = std::array::from_fn(|_| Vec::with_capacity(draws));
        for draw in 0..draws {
            let values = predict(draw, customer)?;
            for (sample, value) in samples.iter_mut().zip(values) {
                if !value.is_finite() {
                    return Err(ClvError::NonFiniteResult { quantity: "a bootstrap prediction" });
                }
                sample.push(value);
            }
        }
        Ok(samples.map(|mut s| interval_of(&mut s, level)))
    })
    .into_iter()
    .collect()
}

/// A standard normal from two uniforms (Box–Muller, one of the pair).
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Draw `index` of `N(mean, L·Lᵀ)`: its own `ChaCha8` stream (the seed,
/// stream `index`), so draws are independent of their order.
fn normal_draw(mean: &[f64], cholesky: &[Vec<f64>], seed: u64, index: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index as u64);
    let z: Vec<f64> = (0..mean.len()).map(|_| standard_normal(&mut rng)).collect();
    (0..mean.len()).map(|i| mean[i] + (0..=i).map(|k| cholesky[i][k] * z[k]).sum::<f64>()).collect()
}

/// The lower Cholesky factor of a positive-definite matrix, or `None`.
fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum = m[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if !(sum > 0.0 && sum.is_finite()) {
                    return None;
                }
                l[i][i] = sum.sqrt();
            } else {
                l[i][j] = sum / l[j][j];
            }
        }
    }
    Some(l)
}

/// The parametric bootstrap's models: `options.draws` draws from the fit's
/// normal approximation on the log scale, `N(φ̂, H⁻¹)` with
/// `φ = (ln r, ln α, ln s|a, ln β|b, γ₁, …)` ([`CovariateFit::covariance`]).
///
/// # Errors
///
/// [`ClvError::InvalidOption`] for bad options, [`ClvError::Unidentifiable`]
/// when the fit has no covariance (its Hessian was not positive definite),
/// and [`ClvError::InvalidParameter`] when a draw overflows.
///
/// # Complexity
///
/// O(draws × parameters²).
pub fn parametric_draws(fit: &CovariateFit, options: &IntervalOptions) -> Result<Vec<CovariateModel>, ClvError> {
    options.validate()?;
    let covariance = fit.covariance.as_ref().ok_or(ClvError::Unidentifiable {
        reason: "the fit's Hessian is not positive definite, so it has no normal approximation",
    })?;
    let factor = cholesky(covariance)
        .ok_or(ClvError::Unidentifiable { reason: "the fit's covariance is not positive definite" })?;
    let model = &fit.model;
    let mut mean: Vec<f64> = model.params().iter().map(|p| p.ln()).collect();
    mean.extend(model.coefficients().iter().map(|c| c.value));
    let draws: Vec<usize> = (0..options.draws).collect();
    crate::util::par_map(&draws, |&d| {
        let phi = normal_draw(&mean, &factor, options.seed, d);
        let params = [phi[0].exp(), phi[1].exp(), phi[2].exp(), phi[3].exp()];
        let mut coefficients = model.coefficients().to_vec();
        for (c, v) in coefficients.iter_mut().zip(&phi[4..]) {
            c.value = *v;
        }
        CovariateModel::new(model.kind(), params, coefficients).map_err(|e| match e {
            CovariateError::Clv(e) => e,
            _ => ClvError::NonFiniteResult { quantity: "a bootstrap draw" },
        })
    })
    .into_iter()
    .collect()
}

/// The customer bootstrap's models: per draw, the customers resampled with
/// replacement (draw `d` from its own stream, the seed, stream `d`) and the
/// model refitted with `fit_options`.
///
/// # Errors
///
/// [`ClvError::InvalidOption`] for bad options, and the first refit that
/// fails (a resample can leave too little to fit), as a
/// [`CovariateError`].
///
/// # Complexity
///
/// `draws` fits of the whole data.
pub fn customer_bootstrap_draws(
    kind: CovariateKind,
    data: &CovariateData,
    fit_options: &CovariateOptions,
    options: &IntervalOptions,
) -> Result<Vec<CovariateModel>, CovariateError> {
    options.validate()?;
    let n = data.customers();
    // One draw per task (each is a whole fit), kept in draw order.
    let draws: Vec<usize> = (0..options.draws).collect();
    crate::util::par_map(&draws, |&d| {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        rng.set_stream(d as u64);
        let indices: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        CovariateModel::fit(kind, &data.resample(&indices), fit_options).map(|f| f.model)
    })
    .into_iter()
    .collect()
}

/// The parametric bootstrap's Gamma-Gamma models: draws from the normal
/// approximation of `(ln p, ln q, ln v)` at the fit, with the Hessian of the
/// negative log-likelihood of `data` (the data fitted) there.
///
/// # Errors
///
/// As [`parametric_draws`].
pub fn spend_draws(
    fit: &GammaGammaFit,
    data: &SpendData,
    options: &IntervalOptions,
) -> Result<Vec<GammaGamma>, ClvError> {
    options.validate()?;
    let m = fit.model;
    let theta = [m.p().ln(), m.q().ln(), m.v().ln()];
    let grad_theta = |t: &[f64; 3], g: &mut [f64; 3]| {
        let p = t.map(f64::exp);
        gamma_gamma::negative_log_likelihood(data, &p, g);
        for i in 0..3 {
            g[i] *= p[i];
        }
    };
    let mut at = [0.0; 3];
    grad_theta(&theta, &mut at);
    let hessian = optim::forward_hessian(&theta, &at, |x| x + 1e-5, grad_theta);
    let inverse = optim::invert_spd(&hessian)
        .ok_or(ClvError::Unidentifiable { reason: "the spend fit's Hessian is not positive definite" })?;
    let covariance: Vec<Vec<f64>> = inverse.iter().map(|row| row.to_vec()).collect();
    let factor = cholesky(&covariance)
        .ok_or(ClvError::Unidentifiable { reason: "the spend fit's covariance is not positive definite" })?;
    (0..options.draws)
        .map(|d| {
            let phi = normal_draw(&theta, &factor, options.seed ^ SPEND_STREAMS, d);
            GammaGamma::new(phi[0].exp(), phi[1].exp(), phi[2].exp())
        })
        .collect()
}

/// Set apart the spend draws' streams from the purchase draws' of the same
/// seed.
const SPEND_STREAMS: u64 = 0x5be0_cd19_137e_2179;

/// Per customer of `data` (in its order), intervals at `level` for P(alive)
/// and the expected purchases in the next `horizon` time units under the
/// models drawn by either bootstrap.
///
/// # Errors
///
/// As [`intervals`], and [`ClvError::InvalidParameter`] when a customer's
/// parameters under a draw overflow.
///
/// # Complexity
///
/// `customers × draws` predictions (each O(1) for P(alive), a
/// hypergeometric series for the BG/NBD's expected purchases).
pub fn purchase_intervals(
    draws: &[CovariateModel],
    data: &CovariateData,
    horizon: f64,
    level: f64,
) -> Result<Vec<PurchaseIntervals>, ClvError> {
    let found = intervals(level, data.customers(), draws.len(), |d, i| {
        let (row, (x, t_x, t)) = data.customer(i);
        let model = draws[d].individual(row)?;
        Ok([
            model.p_alive(History { frequency: x, recency: t_x, age: t }),
            model.expected_purchases(History { frequency: x, recency: t_x, age: t }, horizon),
        ])
    })?;
    Ok(found
        .into_iter()
        .map(|[p_alive, expected_purchases]| PurchaseIntervals { p_alive, expected_purchases })
        .collect())
}

/// Per customer of `data`, intervals at `level` for the lifetime value
/// ([`lifetime_value_by_periods`](crate::clv::lifetime_value_by_periods) over `periods` periods
/// of `period_length` at `discount_rate`), with purchase draw `d` paired
/// with spend draw `d`; `spend[i]` is customer `i`'s repeat purchases and
/// mean repeat value.
///
/// # Errors
///
/// As [`intervals`] and [`lifetime_value_by_periods`](crate::clv::lifetime_value_by_periods);
/// [`ClvError::InvalidOption`] (`name = "spend"`) when `spend` or
/// `spend_draws` do not match the customers or the draws.
///
/// # Complexity
///
/// `customers × draws × periods` expected-purchase evaluations.
#[allow(clippy::too_many_arguments)]
pub fn value_intervals(
    draws: &[CovariateModel],
    spend_draws: &[GammaGamma],
    data: &CovariateData,
    spend: &[(u32, f64)],
    periods: u32,
    period_length: f64,
    discount_rate: f64,
    level: f64,
) -> Result<Vec<Interval>, ClvError> {
    if spend.len() != data.customers() || spend_draws.len() != draws.len() {
        return Err(ClvError::InvalidOption { name: "spend", value: spend.len() as f64 });
    }
    let found = intervals(level, data.customers(), draws.len(), |d, i| {
        let (row, (x, t_x, t)) = data.customer(i);
        let model = draws[d].individual(row)?;
        let (frequency, mean) = spend[i];
        let value = spend_draws[d].expected_average_value(frequency, mean)?;
        let clv = crate::clv::lifetime_value_by_periods(
            |h| model.expected_purchases(History { frequency: x, recency: t_x, age: t }, h),
            value,
            periods,
            period_length,
            discount_rate,
        )?;
        Ok([clv])
    })?;
    Ok(found.into_iter().map(|[v]| v).collect())
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;
    use crate::clv::{BgNbd, CustomerSummary, PurchaseModel};

    fn customers(n: usize, seed: u64) -> Vec<CustomerSummary> {
        let sim = BgNbd::new(0.5, 6.0, 0.8, 2.5).unwrap().simulate(n, 40.0, seed).unwrap();
        sim.rows()
            .flat_map(|(x, tx, t, c)| std::iter::repeat_n((x, tx, t), c as usize))
            .enumerate()
            .map(|(i, (x, tx, t))| CustomerSummary {
                key: i.to_string(),
                frequency: x,
                recency: tx,
                t,
                monetary_value: 0.0,
            })
            .collect()
    }

    #[test]
    fn percentiles_follow_numpy_linear() {
        // numpy.percentile([3, 1, 4, 1, 5, 9, 2, 6], [5, 25, 50, 95]) =
        // [1.0, 1.75, 3.5, 7.95].
        let mut v = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        v.sort_unstable_by(f64::total_cmp);
        for (q, want) in [(0.05, 1.0), (0.25, 1.75), (0.5, 3.5), (0.95, 7.95), (0.0, 1.0), (1.0, 9.0)] {
            assert!((percentile(&v, q) - want).abs() < 1e-12, "{q}: {}", percentile(&v, q));
        }
        assert!(percentile(&[], 0.5).is_nan());
        assert_eq!(percentile(&[2.0], 0.3), 2.0);
    }

    #[test]
    fn draws_are_a_pure_function_of_seed_and_index() {
        let data = CovariateData::without_covariates(&customers(400, 1)).unwrap();
        let fit = CovariateModel::fit(CovariateKind::BgNbd, &data, &CovariateOptions::default()).unwrap();
        let options = IntervalOptions { level: 0.8, draws: 20, seed: 5 };
        let all = parametric_draws(&fit, &options).unwrap();
        let fewer = parametric_draws(&fit, &IntervalOptions { draws: 10, ..options }).unwrap();
        assert_eq!(&all[..10], &fewer[..]);
        let other = parametric_draws(&fit, &IntervalOptions { seed: 6, ..options }).unwrap();
        assert_ne!(all[0], other[0]);
        // The draws spread around the fit as its standard errors say.
        let (se, _) = fit.standard_errors.clone().unwrap();
        let big = parametric_draws(&fit, &IntervalOptions { draws: 2000, ..options }).unwrap();
        for i in 0..4 {
            let logs: Vec<f64> = big.iter().map(|m| m.params()[i].ln()).collect();
            let mean = logs.iter().sum::<f64>() / logs.len() as f64;
            let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (logs.len() - 1) as f64).sqrt();
            let want = se[i] / fit.model.params()[i];
            assert!((sd / want - 1.0).abs() < 0.1, "{i}: {sd} vs {want}");
            assert!((mean - fit.model.params()[i].ln()).abs() < 0.1 * want + 1e-12);
        }
    }

    #[test]
    fn intervals_cover_the_point_prediction_and_narrow_with_more_data() {
        let width = |n: usize| {
            let data = CovariateData::without_covariates(&customers(n, 2)).unwrap();
            let fit = CovariateModel::fit(CovariateKind::BgNbd, &data, &CovariateOptions::default()).unwrap();
            let options = IntervalOptions { level: 0.9, draws: 100, seed: 1 };
            let draws = parametric_draws(&fit, &options).unwrap();
            let found = purchase_intervals(&draws, &data, 39.0, 0.9).unwrap();
            let mut total = 0.0;
            for (i, iv) in found.iter().enumerate() {
                let (row, (x, tx, t)) = data.customer(i);
                let m = fit.model.individual(row).unwrap();
                let e = m.expected_purchases(History { frequency: x, recency: tx, age: t }, 39.0);
                assert!(
                    iv.expected_purchases.lower <= e * (1.0 + 1e-9) && e <= iv.expected_purchases.upper * (1.0 + 1e-9)
                );
                assert!(iv.p_alive.lower <= iv.p_alive.upper && iv.p_alive.upper <= 1.0);
                total += iv.expected_purchases.upper - iv.expected_purchases.lower;
            }
            total / found.len() as f64
        };
        let (small, large) = (width(300), width(3000));
        assert!(large < 0.6 * small, "{small} vs {large}");
    }

    #[test]
    fn results_are_the_same_on_any_number_of_threads() {
        let data = CovariateData::without_covariates(&customers(300, 3)).unwrap();
        let fit = CovariateModel::fit(CovariateKind::BgNbd, &data, &CovariateOptions::default()).unwrap();
        let options = IntervalOptions { level: 0.9, draws: 24, seed: 9 };
        // Debug text of f64 round-trips, so equal text means equal bits.
        let run = |threads: usize| {
            crate::util::on_threads(threads, || {
                let draws = parametric_draws(&fit, &options).unwrap();
                let found = purchase_intervals(&draws, &data, 39.0, 0.9).unwrap();
                let boot = customer_bootstrap_draws(
                    CovariateKind::BgNbd,
                    &data,
                    &CovariateOptions::default(),
                    &IntervalOptions { draws: 3, ..options },
                )
                .unwrap();
                // The error reported is the first customer's in order.
                let failed = intervals(0.9, 300, 4, |_, i| {
                    if i % 97 == 5 {
                        Err(ClvError::InvalidOption { name: "probe", value: i as f64 })
                    } else {
                        Ok([1.0])
                    }
                });
                format!("{draws:?}{found:?}{boot:?}{failed:?}")
            })
        };
        let one = run(1);
        assert!(one.contains("value: 5.0"), "{}", &one[one.len().saturating_sub(200)..]);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
    }

    #[test]
    fn the_customer_bootstrap_refits_resamples() {
        let data = CovariateData::without_covariates(&customers(300, 3)).unwrap();
        let options = IntervalOptions { level: 0.9, draws: 5, seed: 2 };
        let fit_options = CovariateOptions::default();
        let draws = customer_bootstrap_draws(CovariateKind::BgNbd, &data, &fit_options, &options).unwrap();
        assert_eq!(draws.len(), 5);
        assert_ne!(draws[0], draws[1]);
        let again = customer_bootstrap_draws(CovariateKind::BgNbd, &data, &fit_options, &options).unwrap();
        assert_eq!(draws, again);
        let found = purchase_intervals(&draws, &data, 10.0, 0.9).unwrap();
        assert!(found.iter().all(|iv| iv.p_alive.lower.is_finite() && iv.expected_purchases.upper >= 0.0));
    }

    #[test]
    fn bad_options_are_refused() {
        let data = CovariateData::without_covariates(&customers(200, 4)).unwrap();
        let fit = CovariateModel::fit(CovariateKind::BgNbd, &data, &CovariateOptions::default()).unwrap();
        for (level, draws) in [(0.0, 10), (1.0, 10), (f64::NAN, 10), (0.9, 1)] {
            let options = IntervalOptions { level, draws, seed: 0 };
            assert!(matches!(parametric_draws(&fit, &options), Err(ClvError::InvalidOption { .. })));
        }
        let no_cov = CovariateFit { covariance: None, ..fit };
        assert!(matches!(parametric_draws(&no_cov, &IntervalOptions::default()), Err(ClvError::Unidentifiable { .. })));
    }
}
