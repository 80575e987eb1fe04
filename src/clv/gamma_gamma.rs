//! The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV:
//! Using Iso-Value Curves"; Fader & Hardie 2013, "The Gamma-Gamma Model of
//! Monetary Value"): each transaction's value is Gamma(p, ν) with the
//! customer's ν ~ Gamma(q, γ), independent of the purchase process.

use serde::{Deserialize, Serialize};

use crate::clv::optim::{self, FitOptions, FitReport};
use crate::clv::special::{digamma, ln_gamma};
use crate::clv::{ClvError, SpendData, check_positive};

/// A Gamma-Gamma model: shape `p` of a transaction's value, shape `q` and
/// rate `v` (γ) of the customers' value-rate distribution.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::GammaGamma;
///
/// // The published CDNOW fit, in dollars.
/// let model = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let mean = model.expected_average_value(0, 0.0)?;
/// assert!((mean - 6.25 * 15.44 / 2.74).abs() < 1e-9);
/// // A customer's own mean pulls the estimate towards it.
/// assert!(model.expected_average_value(5, 100.0)? > model.expected_average_value(1, 100.0)?);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawGammaGamma")]
pub struct GammaGamma {
    p: f64,
    q: f64,
    v: f64,
}

#[derive(Deserialize)]
struct RawGammaGamma {
    p: f64,
    q: f64,
    v: f64,
}

impl TryFrom<RawGammaGamma> for GammaGamma {
    type Error = ClvError;

    fn try_from(raw: RawGammaGamma) -> Result<Self, ClvError> {
        GammaGamma::new(raw.p, raw.q, raw.v)
    }
}

/// A fitted [`GammaGamma`] with what the fit found out; a small serde value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaFit {
    /// The maximum-likelihood parameters.
    pub model: GammaGamma,
    /// `Σ ln f(m̄ | x)` over the customers used, including the `p·x·ln x`
    /// term (without the penalty).
    pub log_likelihood: f64,
    /// Standard errors of `[p, q, v]`, or `None` when the Hessian is not
    /// positive definite.
    pub standard_errors: Option<[f64; 3]>,
    /// Iterations, evaluations, the gradient norm at the optimum and how
    /// the stop was decided.
    pub report: FitReport,
    /// The number of customers fitted.
    pub customers_used: f64,
}

impl GammaGamma {
    /// A model with parameters `p`, `q`, `v`.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] unless each is positive and finite.
    pub fn new(p: f64, q: f64, v: f64) -> Result<GammaGamma, ClvError> {
        check_positive("p", p)?;
        check_positive("q", q)?;
        check_positive("v", v)?;
        Ok(GammaGamma { p, q, v })
    }

    /// The shape of a transaction's value.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// The shape of the value-rate distribution.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// The rate (γ) of the value-rate distribution.
    pub fn v(&self) -> f64 {
        self.v
    }

    /// Fits the model by maximum likelihood from the fixed start
    /// `p = q = v = 1`.
    ///
    /// # Formula
    ///
    /// For a customer with `x` repeat purchases of mean value `m̄`:
    ///
    /// ```text
    /// ln f(m̄ | x) = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v
    ///               + (px−1) ln m̄ + px ln x − (px+q) ln(v + m̄x)
    /// ```
    ///
    /// # Complexity
    ///
    /// Each evaluation is O(patterns), with the gamma functions computed once
    /// per distinct `x`.
    ///
    /// # Errors
    ///
    /// [`ClvError::Unidentifiable`] without data or when every mean value
    /// is the same, [`ClvError::InvalidOption`], [`ClvError::Unbounded`] for
    /// `q` when spend varies between customers no more than chance within a
    /// customer explains (the likelihood then rises as `q` and `v` run to
    /// infinity together: one value per purchase for everybody) and for `p`
    /// when each customer's purchases are alike (it rises as `p` runs to
    /// infinity with `p·v` fixed: no spread within a customer), and
    /// [`ClvError::NotConverged`]. Either way a small
    /// [`FitOptions::l2_penalty`] gives a finite fit on the ridge, with
    /// almost the same predictions. Both limits are checked by a score
    /// test, so the error does not depend on where rounding stops the
    /// search.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::{FitOptions, GammaGamma, SpendData};
    ///
    /// let data = SpendData::from_rows([(1, 4.0, 2.0), (1, 35.0, 2.0), (1, 15.0, 2.0), (6, 12.0, 2.0), (6, 28.0, 2.0), (6, 19.0, 1.0), (2, 9.0, 1.0), (2, 31.0, 1.0)])?;
    /// let fit = GammaGamma::fit(&data, &FitOptions::default())?;
    /// assert_eq!(fit.customers_used, 13.0);
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    pub fn fit(data: &SpendData, options: &FitOptions) -> Result<GammaGammaFit, ClvError> {
        if data.is_empty() {
            return Err(ClvError::Unidentifiable { reason: "no repeat buyers with a positive mean value" });
        }
        if data.mean.iter().all(|&m| m == data.mean[0]) {
            return Err(ClvError::Unidentifiable { reason: "every customer has the same mean value" });
        }
        // Searched in canonical units (money by the mean spend, weights by
        // their total) and mapped back: v times the money scale.
        let (canonical, money, weight) = data.canonical();
        let scales = optim::Scales { units: [1.0, 1.0, money], weight };
        let nll = |p: &[f64; 3], g: &mut [f64; 3]| negative_log_likelihood(&canonical, p, g);
        let result = optim::minimise(options, ["p", "q", "v"], scales.penalty(options), nll);
        let searched = matches!(result, Ok(_) | Err(ClvError::NotConverged { .. } | ClvError::Unbounded { .. }));
        if options.l2_penalty == 0.0 && searched {
            // Two ridges run to infinity. With no more spread in mean values
            // between customers than chance within a customer explains, the
            // likelihood rises towards q → ∞ (q/v fixed); with purchases
            // alike within each customer, towards p → ∞ (p·v fixed). Both
            // are so flat that rounding stops the search anywhere on them
            // (at 1e6 or beyond). A score test at each limit says when it
            // is the supremum; only a maximum clearly above the limit's
            // likelihood stands then. Both sides are in canonical units.
            let clearly_better = |min: &optim::Minimum<3>, limit: f64| -min.value > limit + 1e-6 * (1.0 + limit.abs());
            for (parameter, limit) in
                [("q", Limit::common_value(&canonical)), ("p", Limit::alike_purchases(&canonical))]
            {
                if limit.score <= 0.0 && !result.as_ref().is_ok_and(|min| clearly_better(min, limit.log_likelihood)) {
                    return Err(ClvError::Unbounded { parameter, towards: "infinity" });
                }
            }
        }
        let min = result?;
        let [p, q, v] = scales.natural(&min.params);
        let model = GammaGamma::new(p, q, v)?;
        Ok(GammaGammaFit {
            model,
            log_likelihood: model.log_likelihood(data),
            standard_errors: scales.standard_errors(optim::standard_errors(&min.params, nll)),
            report: min.report,
            customers_used: data.customers(),
        })
    }

    /// `Σ ln f(m̄ | x)` over the data.
    ///
    /// # Complexity
    ///
    /// O(patterns).
    pub fn log_likelihood(&self, data: &SpendData) -> f64 {
        -negative_log_likelihood(data, &[self.p, self.q, self.v], &mut [0.0; 3])
    }

    /// The expected value of a transaction of a customer with `x` repeat
    /// purchases of mean value `mean` (for `x = 0`, the population mean).
    ///
    /// # Formula
    ///
    /// `(q−1)/(px+q−1) · pv/(q−1) + px/(px+q−1) · m̄ = p(v + x·m̄)/(px+q−1)`
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] when `q ≤ 1` (the mean is infinite)
    /// or `mean` is negative or not finite, and
    /// [`ClvError::NonFiniteResult`] when the population mean `pv/(q−1)`
    /// overflows (`q` within rounding of 1).
    ///
    /// # Complexity
    ///
    /// O(1).
    pub fn expected_average_value(&self, x: u32, mean: f64) -> Result<f64, ClvError> {
        if self.q <= 1.0 {
            return Err(ClvError::InvalidParameter {
                name: "q",
                value: self.q,
                reason: "must exceed 1 for a finite mean",
            });
        }
        if !(mean.is_finite() && mean >= 0.0) {
            return Err(ClvError::InvalidParameter { name: "mean", value: mean, reason: "must be finite and >= 0" });
        }
        // The convex combination of the population mean and the
        // customer's own, which stays finite for every finite `mean`.
        let px = self.p * f64::from(x);
        let own = px / (px + self.q - 1.0);
        let value = (1.0 - own) * (self.p * self.v / (self.q - 1.0)) + own * mean;
        if value.is_finite() {
            Ok(value)
        } else {
            Err(ClvError::NonFiniteResult { quantity: "expected average value" })
        }
    }

    /// Simulates the mean repeat value of customers with the given repeat
    /// purchase counts (those with 0 are skipped), from a seed (`ChaCha8`).
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] if every count is 0.
    ///
    /// # Complexity
    ///
    /// O(Σ x).
    #[cfg(feature = "sim")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
    pub fn simulate(&self, frequencies: &[u32], seed: u64) -> Result<SpendData, ClvError> {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Gamma};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let refuse = |name, value| ClvError::InvalidParameter { name, value, reason: "the sampler refused it" };
        let rate = Gamma::new(self.q, 1.0 / self.v).map_err(|_| refuse("q", self.q))?;
        let mut rows = Vec::new();
        for &x in frequencies.iter().filter(|&&x| x > 0) {
            let nu: f64 = rate.sample(&mut rng);
            let value = Gamma::new(self.p, 1.0 / nu).map_err(|_| refuse("p", self.p))?;
            let total: f64 = (0..x).map(|_| value.sample(&mut rng)).sum();
            rows.push((x, total / f64::from(x), 1.0));
        }
        if rows.is_empty() {
            return Err(ClvError::InvalidData { row: 0, reason: "no customer with a repeat purchase" });
        }
        SpendData::from_rows(rows)
    }
}

/// One of the model's limits at its maximum likelihood: its
/// log-likelihood, in the Gamma-Gamma's convention (Σ ln f(m̄ | x)), and
/// the sign of the Gamma-Gamma likelihood's slope as it leaves the limit.
struct Limit {
    log_likelihood: f64,
    /// Positive when moving into the model from the limit fits better (a
    /// score test); at most 0 when the limit is locally the best.
    score: f64,
    /// The limit model's two parameters at their maximum.
    #[cfg(test)]
    params: [f64; 2],
}

impl Limit {
    /// The limit `q → ∞` with `q/v = ν` fixed: every customer's purchases
    /// worth Gamma(p, ν), the same ν for all, so that `m̄ | x ~ Gamma(px, νx)`;
    /// the score is in `1/q`, and `params` are `(p, ν)`.
    ///
    /// For fixed p, `ν̂ = p·Σwx / Σwx·m̄`. The profile score in p,
    /// `Σ w·x·[ln p + ln(x·m̄·Σwx/Σwx·m̄) − ψ(px)]`, falls with p from +∞ to
    /// `Σ w·x·ln(m̄/M) < 0` (M the x-weighted mean; the data hold two
    /// different means), so its one root is found by bisection in `ln p`,
    /// with ψ computed once per distinct x.
    ///
    /// One pass over the patterns gathers the sums everything needs; the
    /// rest is O(distinct x).
    fn common_value(data: &SpendData) -> Limit {
        // Per distinct x: (x, Σw).
        let per_x: Vec<(f64, f64)> =
            data.groups().map(|(x, start, end)| (f64::from(x), data.count[start..end].iter().sum())).collect();
        // Σw·x, Σw·x·m, Σw·ln m, Σw·x·ln m, Σw·x², Σw·x²·m, Σw·x²·m².
        let mut sums = [0.0f64; 7];
        for (x, m, w) in data.rows() {
            let x = f64::from(x);
            let ln_m = m.ln();
            let terms = [x, x * m, ln_m, x * ln_m, x * x, x * x * m, x * x * m * m];
            for (sum, term) in sums.iter_mut().zip(terms) {
                *sum += w * term;
            }
        }
        let [wx, wxm, w_ln_m, wx_ln_m, wxx, wxxm, wxxmm] = sums;
        let wx_ln_x: f64 = per_x.iter().map(|&(x, w)| w * x * x.ln()).sum();
        // Σw·x·ln(x·m·A) with A = Σwx / Σwx·m, so that ν̂ = p·A.
        let constant = wx_ln_m + wx_ln_x + wx * (wx / wxm).ln();
        let profile_score =
            |p: f64| wx * p.ln() + constant - per_x.iter().map(|&(x, w)| w * x * digamma(p * x)).sum::<f64>();
        let p = root_of_falling(profile_score);
        let nu = p * wx / wxm;
        // Σw·[p·x·ln(ν·x) + (p·x − 1)·ln m − ν·x·m − ln Γ(p·x)].
        let log_likelihood = per_x.iter().map(|&(x, w)| w * (p * x * (nu * x).ln() - ln_gamma(p * x))).sum::<f64>()
            + p * wx_ln_m
            - w_ln_m
            - nu * wxm;
        // Σw·[(p·x/ν − x·m)² − p·x/ν²].
        let score = (p * p * wxx - p * wx) / (nu * nu) - 2.0 * p * wxxm / nu + wxxmm;
        Limit {
            log_likelihood,
            score,
            #[cfg(test)]
            params: [p, nu],
        }
    }

    /// The limit `p → ∞` with `p·v = c` fixed: each customer's purchases
    /// all worth their mean μ, and μ ~ InverseGamma(q, c) across customers,
    /// so that `m̄ = μ` whatever x; the score is in `1/p`, and `params` are
    /// `(q, c)`.
    ///
    /// `1/m̄ ~ Gamma(q, c)`: `ĉ = q/ȳ` for the mean ȳ of `1/m̄`, and q solves
    /// `ln q − ψ(q) = ln ȳ − mean(ln 1/m̄)`, whose left side falls from +∞
    /// to 0 (bisection in `ln q`; the right side is positive unless every
    /// mean is the same). Leaving the limit, `m̄ = μ·G` with
    /// `G ~ Gamma(px, px)`, of variance `1/(px)`; the second-order expansion
    /// of the density of m̄ in that variance gives, per customer,
    /// `(1/2x)·[(k − q − 1)² + 2k − 3q − 1]` with `k = c/m̄`.
    fn alike_purchases(data: &SpendData) -> Limit {
        let (weight, sum_y, sum_ln_y) =
            data.rows().fold((0.0, 0.0, 0.0), |(n, s, l), (_, m, w)| (n + w, s + w / m, l - w * m.ln()));
        let mean_y = sum_y / weight;
        let gap = mean_y.ln() - sum_ln_y / weight;
        let q = root_of_falling(|q| q.ln() - digamma(q) - gap);
        let c = q / mean_y;
        // ln g(m̄) = q ln c − ln Γ(q) − (q+1) ln m̄ − c/m̄.
        let log_likelihood = weight * (q * c.ln() - ln_gamma(q)) + (q + 1.0) * sum_ln_y - c * sum_y;
        let score = data
            .rows()
            .map(|(x, m, w)| {
                let k = c / m;
                w / (2.0 * f64::from(x)) * ((k - q - 1.0).powi(2) + 2.0 * k - 3.0 * q - 1.0)
            })
            .sum();
        Limit {
            log_likelihood,
            score,
            #[cfg(test)]
            params: [q, c],
        }
    }
}

/// The positive root of `f`, which falls through 0 once as its argument
/// grows, by bisection in the argument's logarithm over `[e^−40, e^40]`.
fn root_of_falling(f: impl Fn(f64) -> f64) -> f64 {
    let (mut lo, mut hi) = (-40.0f64, 40.0f64);
    while hi - lo > 1e-12 {
        let mid = 0.5 * (lo + hi);
        if f(mid.exp()) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

pub(crate) fn negative_log_likelihood(data: &SpendData, params: &[f64; 3], grad: &mut [f64; 3]) -> f64 {
    let [p, q, v] = *params;
    let ln_v = v.ln();
    let (lg_q, dg_q) = (ln_gamma(q), digamma(q));
    let mut total = 0.0;
    let mut g = [0.0; 3];
    for (x, start, end) in data.groups() {
        let xf = f64::from(x);
        let px = p * xf;
        let ln_x = xf.ln();
        let (lg_pxq, lg_px) = (ln_gamma(px + q), ln_gamma(px));
        let (dg_pxq, dg_px) = (digamma(px + q), digamma(px));
        let (mut weight, mut sum, mut d_p, mut d_q, mut d_v) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in start..end {
            let count = data.count[i];
            let m = data.mean[i];
            let ln_m = m.ln();
            let ln_vm = (v + m * xf).ln();
            weight += count;
            sum += count * ((px - 1.0) * ln_m - (px + q) * ln_vm);
            d_p += count * xf * (ln_m - ln_vm);
            d_q -= count * ln_vm;
            d_v -= count * (px + q) / (v + m * xf);
        }
        total += sum + weight * (lg_pxq - lg_px - lg_q + q * ln_v + px * ln_x);
        g[0] += d_p + weight * xf * (dg_pxq - dg_px + ln_x);
        g[1] += d_q + weight * (dg_pxq - dg_q + ln_v);
        g[2] += d_v + weight * q / v;
    }
    for i in 0..3 {
        grad[i] = -g[i];
    }
    -total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let data = SpendData::from_rows([(1, 10.0, 3.0), (2, 25.0, 2.0), (4, 14.0, 1.0), (7, 3.5, 2.0)]).unwrap();
        optim::assert_gradient_matches(|p, g| negative_log_likelihood(&data, p, g), [2.0, 3.0, 9.0]);
    }

    #[test]
    fn reports_the_model_log_likelihood_without_the_penalty() {
        let data = SpendData::from_rows([
            (1, 4.0, 2.0),
            (1, 35.0, 2.0),
            (1, 15.0, 2.0),
            (6, 12.0, 2.0),
            (6, 28.0, 2.0),
            (6, 19.0, 1.0),
            (2, 9.0, 1.0),
            (2, 31.0, 1.0),
        ])
        .unwrap();
        for l2_penalty in [0.0, 0.5] {
            let fit = GammaGamma::fit(&data, &FitOptions { l2_penalty, ..FitOptions::default() }).unwrap();
            assert_eq!(fit.log_likelihood, fit.model.log_likelihood(&data), "penalty {l2_penalty}");
        }
    }

    /// Spend data for the limit tests: some spread within and between
    /// customers.
    fn spread() -> SpendData {
        SpendData::from_rows([(1, 4.0, 2.0), (1, 35.0, 2.0), (3, 15.0, 2.0), (6, 12.0, 2.0), (6, 28.0, 1.0)]).unwrap()
    }

    /// `at(a, b)` is the Gamma-Gamma's likelihood near the limit with the
    /// limit's parameters `(a, b)`: it equals the limit's likelihood at
    /// `limit.params`, which maximise it.
    fn assert_is_the_limit(limit: &Limit, at: impl Fn(f64, f64) -> f64) {
        let [a, b] = limit.params;
        assert!((at(a, b) - limit.log_likelihood).abs() < 1e-4, "{} vs {}", at(a, b), limit.log_likelihood);
        for (da, db) in [(1.01, 1.0), (0.99, 1.0), (1.0, 1.01), (1.0, 0.99)] {
            assert!(at(a * da, b * db) < limit.log_likelihood);
        }
    }

    /// The limit model's likelihood is the Gamma-Gamma's as q → ∞ with
    /// q/v = ν, and (p, ν) maximise it.
    #[test]
    fn the_limit_is_the_gamma_gamma_at_large_q() {
        let data = spread();
        let at = |p: f64, nu: f64| GammaGamma::new(p, 1e7, 1e7 / nu).unwrap().log_likelihood(&data);
        assert_is_the_limit(&Limit::common_value(&data), at);
    }

    /// The other limit: the Gamma-Gamma as p → ∞ with p·v = c, and (q, c)
    /// maximise it.
    #[test]
    fn the_alike_purchases_limit_is_the_gamma_gamma_at_large_p() {
        let data = spread();
        let h = Limit::alike_purchases(&data);
        assert_is_the_limit(&h, |q, c| GammaGamma::new(1e8, q, c / 1e8).unwrap().log_likelihood(&data));
        let [q, c] = h.params;
        // The score is the slope in 1/p: compare with a finite difference.
        let slope = (GammaGamma::new(1e5, q, c / 1e5).unwrap().log_likelihood(&data) - h.log_likelihood) / 1e-5;
        assert!((slope - h.score).abs() < 1e-2 * h.score.abs().max(1.0), "{slope} vs {}", h.score);
    }

    /// Purchases alike within each customer, means spread between them: the
    /// fit names p running to infinity.
    #[test]
    fn alike_purchases_are_reported_as_unbounded() {
        for rows in [
            vec![(1, 10.0, 3.0), (2, 25.0, 2.0), (4, 14.0, 1.0), (7, 3.5, 2.0)],
            vec![
                (1, 10.0, 3.0),
                (2, 25.0, 2.0),
                (4, 14.0, 1.0),
                (1, 40.0, 1.0),
                (3, 18.0, 2.0),
                (6, 45.0, 2.0),
                (5, 9.0, 2.0),
            ],
        ] {
            let data = SpendData::from_rows(rows).unwrap();
            let err = GammaGamma::fit(&data, &FitOptions::default()).unwrap_err();
            assert!(matches!(err, ClvError::Unbounded { parameter: "p", towards: "infinity" }), "{err}");
        }
    }

    /// Every customer with the same mean value per purchase, ν fixed: the
    /// fit names a parameter running to infinity instead of failing to
    /// converge.
    #[cfg(feature = "sim")]
    #[test]
    fn spend_without_heterogeneity_is_reported_as_unbounded() {
        // Two samples whose spread of mean values chance alone explains
        // (the score at the limit is negative); without the score test the
        // search stopped on the ridge near q ≈ 3e6 and 1e6 and called it a fit.
        for (n, seed) in [(3000u32, 3), (30_000, 5)] {
            let frequencies: Vec<u32> = (0..n).map(|i| 1 + i % 6).collect();
            let data = GammaGamma::new(4.0, 1e9, 2e10).unwrap().simulate(&frequencies, seed).unwrap();
            assert!(Limit::common_value(&data).score < 0.0);
            let err = GammaGamma::fit(&data, &FitOptions::default()).unwrap_err();
            assert!(matches!(err, ClvError::Unbounded { parameter: "q", towards: "infinity" }), "{err}");
            // The weakest penalty that settles, and the error that asked
            // for it.
            let (ridge, tried) =
                super::super::fit_on_ridge(&FitOptions::default(), |o| GammaGamma::fit(&data, o)).unwrap();
            assert!(matches!(tried[0], (1e-12, ClvError::Unbounded { parameter: "q", .. })), "{tried:?}");
            assert!(ridge.model.q() > 1e3 && ridge.log_likelihood.is_finite());
            // A penalty keeps q finite, and the fit stands.
            let penalised = FitOptions { l2_penalty: 1e-6, ..FitOptions::default() };
            assert!(GammaGamma::fit(&data, &penalised).is_ok());
        }
        // A sample from the same model whose mean values happen to spread
        // more than chance explains has a finite maximum (q ≈ 141).
        let frequencies: Vec<u32> = (0..3000u32).map(|i| 1 + i % 6).collect();
        let data = GammaGamma::new(4.0, 1e9, 2e10).unwrap().simulate(&frequencies, 2).unwrap();
        assert!(Limit::common_value(&data).score > 0.0);
        let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
        assert!(fit.log_likelihood > Limit::common_value(&data).log_likelihood);
    }

    #[test]
    fn density_integrates_to_one() {
        // f(m̄ | x) over m̄ by the trapezoid rule on a fine grid.
        let model = GammaGamma::new(3.0, 4.0, 20.0).unwrap();
        let x = 3;
        let step = 0.01;
        let total: f64 = (1..200_000)
            .map(|k| {
                let m = f64::from(k) * step;
                model.log_likelihood(&SpendData::from_rows([(x, m, 1.0)]).unwrap()).exp() * step
            })
            .sum();
        assert!((total - 1.0).abs() < 1e-4, "{total}");
    }

    #[test]
    fn refuses_what_it_cannot_fit_or_predict() {
        let same = SpendData::from_rows([(1, 10.0, 3.0), (2, 10.0, 2.0)]).unwrap();
        assert!(matches!(GammaGamma::fit(&same, &FitOptions::default()), Err(ClvError::Unidentifiable { .. })));
        let empty = SpendData::from_rows([]).unwrap();
        assert!(matches!(GammaGamma::fit(&empty, &FitOptions::default()), Err(ClvError::Unidentifiable { .. })));
        // Bad options are reported as such, even on data whose maximum is at
        // a limit.
        let alike = SpendData::from_rows([(1, 10.0, 3.0), (2, 25.0, 2.0), (4, 14.0, 1.0), (7, 3.5, 2.0)]).unwrap();
        let bad = FitOptions { tolerance: -1.0, ..FitOptions::default() };
        assert!(matches!(GammaGamma::fit(&alike, &bad), Err(ClvError::InvalidOption { name: "tolerance", .. })));
        let heavy = GammaGamma::new(2.0, 0.9, 1.0).unwrap();
        assert!(heavy.expected_average_value(1, 5.0).is_err());
        // Huge means give the convex combination, not an overflow; a
        // population mean that overflows is an error, not infinity.
        let model = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        for (x, mean) in [(1, 1e300), (100_000, 1e305), (u32::MAX, f64::MAX)] {
            let value = model.expected_average_value(x, mean).unwrap();
            assert!(value.is_finite() && value <= mean && value > 0.5 * mean, "{x} {mean}: {value}");
        }
        let barely = GammaGamma::new(1e300, 1.0 + 1e-15, 1e300).unwrap();
        assert!(matches!(barely.expected_average_value(0, 1.0), Err(ClvError::NonFiniteResult { .. })));
        assert!(serde_json::from_str::<GammaGamma>(r#"{"p":1,"q":0,"v":1}"#).is_err());
    }
}
