//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): while alive,
//! a customer buys as a Poisson process with rate λ ~ Gamma(r, α), and their
//! lifetime is exponential with rate μ ~ Gamma(s, β).
//!
//! The likelihood follows Fader & Hardie (2005), "A Note on Implementing the
//! Pareto/NBD Model in MATLAB", written as an integral over the moment of
//! death whose two ends are Gauss hypergeometric functions. Euler's
//! transformation turns each into `₂F₁(1, b; c; z)` with `0 < b < c` and
//! `0 ≤ z < 1`, a series of positive, shrinking terms, in both the `α ≥ β`
//! and the `α < β` case, and the difference of the two ends is taken in log
//! space. Where that series converges slowly (`z > 0.99` at `t_x`: `α` and
//! `β` a hundred times apart, as far out on the ridge of large `s` and `β`)
//! the integral is taken by quadrature instead, which agrees with the
//! series to 1e-12 relative where the series converges; the series alone,
//! stopped at its term limit there, was off by up to 1e-5.

use serde::{Deserialize, Serialize};

use crate::clv::bgnbd::NegativeBinomial;
use crate::clv::data::Levels;
use crate::clv::optim::{self, FitOptions};
use crate::clv::special::{
    digamma, exp_integral, ln_gamma, ln_hyp2f1_one, ln_hyp2f1_one_with_gradients, ln_hyp2f1_one_with_gradients_many,
    log_add_exp, log_sub_exp,
};
use crate::clv::{ClvError, Fit, FitData, History, PurchaseModel, check_positive, dert};

/// A Pareto/NBD model: the four parameters, each positive and finite.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{History, ParetoNbd, PurchaseModel};
///
/// // The published CDNOW fit, in weeks.
/// let model = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?;
/// let recent = History { frequency: 2, recency: 30.0, age: 38.0 };
/// assert!(model.p_alive(recent) > model.p_alive(History { recency: 10.0, ..recent }));
/// assert!(model.expected_purchases(recent, 52.0) > 0.0);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawParetoNbd")]
pub struct ParetoNbd {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

#[derive(Deserialize)]
struct RawParetoNbd {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

impl TryFrom<RawParetoNbd> for ParetoNbd {
    type Error = ClvError;

    fn try_from(raw: RawParetoNbd) -> Result<Self, ClvError> {
        ParetoNbd::new(raw.r, raw.alpha, raw.s, raw.beta)
    }
}

/// A fitted [`ParetoNbd`]: the generic [`Fit`] (the same JSON as before).
pub type ParetoNbdFit = Fit<ParetoNbd>;

impl ParetoNbd {
    /// A model with parameters `r`, `α`, `s`, `β`.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] unless each is positive and finite.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<ParetoNbd, ClvError> {
        check_positive("r", r)?;
        check_positive("alpha", alpha)?;
        check_positive("s", s)?;
        check_positive("beta", beta)?;
        Ok(ParetoNbd { r, alpha, s, beta })
    }

    /// The shape of the purchase-rate distribution.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// The rate of the purchase-rate distribution.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The shape of the dropout-rate distribution.
    pub fn s(&self) -> f64 {
        self.s
    }

    /// The rate of the dropout-rate distribution.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// `(ln of the alive term, ln of the bracket)` for one history, without
    /// the factors shared by every customer with the same `x`.
    fn terms(&self, h: History) -> (f64, f64) {
        bracket(self.r, self.alpha, self.s, self.beta, f64::from(h.frequency), h.recency, h.age)
    }

    fn unconditional(&self, x: f64, t: f64, horizon: f64) -> f64 {
        let span = ((self.beta + t + horizon) / (self.beta + t)).ln();
        (self.r + x) / (self.alpha + t) * (self.beta + t) * exp_integral(self.s - 1.0, span)
    }
}

impl PurchaseModel for ParetoNbd {
    fn name(&self) -> &'static str {
        "Pareto/NBD"
    }

    /// `r`, `alpha`, `s`, `beta`.
    fn parameters(&self) -> Vec<(&'static str, f64)> {
        vec![("r", self.r), ("alpha", self.alpha), ("s", self.s), ("beta", self.beta)]
    }

    /// Fits the model by maximum likelihood from the fixed start
    /// `r = α = s = β = 1`, with analytic gradients (the hypergeometric
    /// series is differentiated term by term).
    ///
    /// # Formula
    ///
    /// ```text
    /// L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s
    ///       + s ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ ]
    /// ```
    ///
    /// with `∫_t^∞ … dτ = (α+t)^−(r+x) (β+t)^−s ₂F₁(1, r+x; r+s+x+1; (α−β)/(α+t)) / (r+s+x)`
    /// for `α ≥ β`, and `(α+t)^−(r+x−1) (β+t)^−(s+1) ₂F₁(1, s+1; r+s+x+1; (β−α)/(β+t)) / (r+s+x)`
    /// for `α < β`; where `z` (or the `α < β` case's argument) exceeds
    /// 0.99 at `t_x`, the integral over `(t_x, T)` by piecewise 15-point
    /// Kronrod quadrature in `ln(τ + min(α, β))` instead (to about 1e-13
    /// relative).
    ///
    /// # Complexity
    ///
    /// Each evaluation, with its gradient, is O(patterns + tails × series
    /// terms), one tail per distinct `(x, t_x)` and `(x, T)`, the tails of
    /// one `x` summed side by side in one pass over their common series.
    ///
    /// # Errors
    ///
    /// [`ClvError::Unidentifiable`] for data with no customers or no repeat
    /// purchases, [`ClvError::InvalidOption`], [`ClvError::Unbounded`] when a
    /// parameter runs off to zero or infinity (or the search stops with one
    /// beyond 10⁶ times the data's scale: a ridge, such as purchase rates
    /// that do not vary between customers), and [`ClvError::NotConverged`].
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::{FitData, FitOptions, ParetoNbd, PurchaseModel};
    ///
    /// let data = FitData::from_rows([(0, 0.0, 30.0, 60.0), (1, 10.0, 30.0, 25.0), (4, 28.0, 30.0, 15.0), (2, 5.0, 30.0, 10.0)])?;
    /// let fit = ParetoNbd::fit(&data, &FitOptions::default())?;
    /// assert!(fit.log_likelihood < 0.0);
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    fn fit(data: &FitData, options: &FitOptions) -> Result<Fit<ParetoNbd>, ClvError> {
        data.check_identifiable()?;
        // Searched in canonical units (time by the mean T, weights by their
        // total) and mapped back: α and β times the time scale.
        let (canonical, time, weight) = data.canonical();
        let scales = optim::Scales { units: [1.0, time, 1.0, time], weight };
        let nll = |p: &[f64; 4], g: &mut [f64; 4]| value_and_gradient(&canonical, p, g);
        let min = optim::minimise(options, ["r", "alpha", "s", "beta"], scales.penalty(options), nll)?;
        let [r, alpha, s, beta] = scales.natural(&min.params);
        let model = ParetoNbd::new(r, alpha, s, beta)?;
        Ok(Fit {
            model,
            log_likelihood: model.log_likelihood(data),
            standard_errors: scales.standard_errors(optim::standard_errors_at(&min, nll)).map(Vec::from),
            report: min.report,
            customers: data.customers(),
            time_unit: data.time_unit,
        })
    }

    /// The log-likelihood total of the data under the model.
    ///
    /// # Complexity
    ///
    /// As one evaluation of the fit: O(patterns + tails × series terms).
    fn log_likelihood(&self, data: &FitData) -> f64 {
        // The fit's own sum (shared tails, on every core), without using
        // its gradient.
        -value_and_gradient(data, &[self.r, self.alpha, self.s, self.beta], &mut [0.0; 4])
    }

    /// The probability that a customer with this history is still alive at
    /// `T`.
    ///
    /// # Formula
    ///
    /// The alive term's share of the likelihood bracket:
    /// `(α+T)^−(r+x) (β+T)^−s / [ … ]`.
    ///
    /// # Complexity
    ///
    /// O(series terms).
    fn p_alive(&self, history: History) -> f64 {
        let (alive, total) = self.terms(history);
        (alive - total).exp().min(1.0)
    }

    /// Expected purchases in the next `horizon` time units for a customer
    /// with this history.
    ///
    /// # Formula
    ///
    /// `E[X(t)] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)`,
    /// with its limit `(r+x)(β+T)/(α+T) · ln((β+T+t)/(β+T))` at `s = 1`.
    ///
    /// # Complexity
    ///
    /// O(series terms).
    fn expected_purchases(&self, history: History, horizon: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        self.unconditional(f64::from(history.frequency), history.age, horizon) * self.p_alive(history)
    }

    /// Expected purchases in the first `horizon` time units after a new
    /// customer's first purchase.
    ///
    /// # Formula
    ///
    /// `E[X(t)] = rβ / (α(s−1)) · [1 − (β/(β+t))^(s−1)]`
    ///
    /// # Complexity
    ///
    /// O(1).
    fn expected_purchases_new(&self, horizon: f64) -> f64 {
        if horizon <= 0.0 { 0.0 } else { self.unconditional(0.0, 0.0, horizon) }
    }

    /// `P(X(t) = x)` for a new customer (as in Fader & Hardie's note on the
    /// Pareto/NBD's probability mass function): alive throughout, or gone at
    /// a moment `τ < t` with `x` purchases before it.
    ///
    /// # Formula
    ///
    /// With `NB(x; τ) = Γ(r+x)/(Γ(r) x!) (α/(α+τ))^r (τ/(α+τ))^x`:
    /// `P(X(t) = x) = NB(x; t) (β/(β+t))^s + ∫₀^t NB(x; τ) · (s/β) (β/(β+τ))^(s+1) dτ`,
    /// the integral (a Gauss hypergeometric function in the note) taken by
    /// adaptive Gauss–Kronrod quadrature to a relative tolerance of 1e-10.
    ///
    /// # Complexity
    ///
    /// O(quadrature nodes), a few hundred evaluations of the integrand.
    fn purchases_pmf(&self, purchases: u32, horizon: f64) -> f64 {
        if horizon.is_nan() || horizon <= 0.0 {
            return if purchases == 0 { 1.0 } else { 0.0 };
        }
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let nb = |tau: f64| NegativeBinomial::new(r, alpha, tau).ln_pmf(purchases);
        let alive = (nb(horizon) + s * (beta / (beta + horizon)).ln()).exp();
        let density = |tau: f64| (nb(tau) + (s / beta).ln() + (s + 1.0) * (beta / (beta + tau)).ln()).exp();
        let gone = dert::integrate(density, 0.0, horizon, 1e-10).unwrap_or(f64::NAN);
        (alive + gone).min(1.0)
    }

    /// Discounted expected residual transactions in closed form (Fader,
    /// Hardie & Lee 2005, "RFM and CLV", with the Tricomi function
    /// rewritten by Kummer's transformation).
    ///
    /// # Formula
    ///
    /// Given alive at `T`, `λ ~ Gamma(r+x, α+T)` and `μ ~ Gamma(s, β+T)`, so
    /// `DERT = P(alive) · (r+x)/(α+T) · E[1/(δ+μ)]` with
    /// `E[1/(δ+μ)] = (β+T)^s δ^(s−1) U(s, s; δ(β+T)) = (β+T) · U(1, 2−s; δ(β+T))`
    /// and `U(1, 2−s; z) = ∫₀^∞ e^(−zu) (1+u)^(−s) du = e^z E_s(z)`. That is
    /// evaluated by a continued fraction for `z ≥ 1` and by adaptive
    /// quadrature of a bounded integrand below: both converge for any
    /// `s, β > 0`, where the hypergeometric series of `U(s, s; z)` does not
    /// (the instability `CLVTools` fixed in their PR #186).
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] unless `discount_rate` is positive
    /// and finite; [`ClvError::NonFiniteResult`] if the result is not finite.
    fn dert(&self, history: History, discount_rate: f64) -> Result<f64, ClvError> {
        dert::check_rate(discount_rate)?;
        let b = self.beta + history.age;
        let u = dert::tricomi_u1(self.s, discount_rate * b)?;
        let value =
            self.p_alive(history) * (self.r + f64::from(history.frequency)) / (self.alpha + history.age) * b * u;
        if value.is_finite() { Ok(value) } else { Err(ClvError::NonFiniteResult { quantity: "DERT" }) }
    }

    /// Simulates `customers` customers observed for `age` time units after
    /// their first purchase, from a seed (`ChaCha8`).
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] when `age` is not positive and finite.
    ///
    /// # Complexity
    ///
    /// O(customers + purchases).
    #[cfg(feature = "sim")]
    fn simulate(&self, customers: usize, age: f64, seed: u64) -> Result<FitData, ClvError> {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Exp1, Gamma};
        let t = age;
        check_positive("t", t)?;
        let refuse = |name, value| ClvError::InvalidParameter { name, value, reason: "the sampler refused it" };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let purchase_rate = Gamma::new(self.r, 1.0 / self.alpha).map_err(|_| refuse("r", self.r))?;
        let dropout_rate = Gamma::new(self.s, 1.0 / self.beta).map_err(|_| refuse("s", self.s))?;
        let mut rows = Vec::with_capacity(customers);
        for _ in 0..customers {
            let lambda: f64 = purchase_rate.sample(&mut rng);
            let mu: f64 = dropout_rate.sample(&mut rng);
            let death: f64 = Exp1.sample(&mut rng);
            let end = (death / mu).min(t);
            let (mut x, mut t_x, mut now) = (0u32, 0.0, 0.0);
            loop {
                let wait: f64 = Exp1.sample(&mut rng);
                now += wait / lambda;
                if now > end || !now.is_finite() {
                    break;
                }
                x += 1;
                t_x = now;
            }
            rows.push((x, t_x, t, 1.0));
        }
        FitData::from_rows(rows)
    }
}

/// `ln ∫_t^∞ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ`.
fn ln_tail(r: f64, alpha: f64, s: f64, beta: f64, x: f64, t: f64) -> f64 {
    let rsx = r + s + x;
    let (la, lb) = ((alpha + t).ln(), (beta + t).ln());
    if alpha >= beta {
        let z = (alpha - beta) / (alpha + t);
        -(r + x) * la - s * lb - rsx.ln() + ln_hyp2f1_one(r + x, rsx + 1.0, z)
    } else {
        let w = (beta - alpha) / (beta + t);
        -(r + x - 1.0) * la - (s + 1.0) * lb - rsx.ln() + ln_hyp2f1_one(s + 1.0, rsx + 1.0, w)
    }
}

/// `(ln A, ln(A + s·I))` with `A = (α+T)^−(r+x) (β+T)^−s` the alive term
/// and `I` the integral over the moment of death in `(t_x, T)`.
fn bracket(r: f64, alpha: f64, s: f64, beta: f64, x: f64, t_x: f64, t: f64) -> (f64, f64) {
    let alive = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
    let ln_integral = if series_is_slow(alpha, beta, t_x) {
        ln_integral_by_quadrature(&[r, alpha, s, beta], x, t_x, t).0
    } else {
        log_sub_exp(ln_tail(r, alpha, s, beta, x, t_x), ln_tail(r, alpha, s, beta, x, t))
    };
    (alive, log_add_exp(alive, s.ln() + ln_integral))
}

/// The `z` (or `w`) at `t_x` beyond which the tails' series, whose terms
/// shrink like `zᵏ`, take more terms (thousands) than
/// [`ln_integral_by_quadrature`] takes nodes, even shared between the
/// histories of one `x` and `t_x`: where `α` and `β` differ by a factor of
/// a hundred or more and
/// `t_x` is small beside them (a fit far out on the ridge of large `s` and
/// `β`, as on data whose dropout rates barely vary).
const SERIES_LIMIT: f64 = 0.99;

/// Whether the tails' series converge slowly for a history whose last
/// purchase was at `t_x` (the series at `T` converges faster).
pub(crate) fn series_is_slow(alpha: f64, beta: f64, t_x: f64) -> bool {
    (alpha - beta).abs() / (alpha.max(beta) + t_x) > SERIES_LIMIT
}

/// `ln ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ` and its gradient in
/// `[r, α, s, β]` by quadrature, for any parameters.
///
/// In `v = ln(m + τ)` with `m = min(α, β)`, the log-integrand
/// `φ(v) = v − (r+x) ln(α−m+e^v) − (s+1) ln(β−m+e^v)` is concave with slope
/// at most 1. The range is cut into pieces on which `φ` changes slope by
/// little (the width from the slope at the piece's start and a bound on the
/// curvature over the whole range), each taken by the 15-point Kronrod rule,
/// and the sum stops where concavity bounds what is left below 10⁻¹⁸ of it.
/// The gradient is the same rule on the integrand's derivatives. Agrees
/// with the series to about 1e-13 relative where both converge.
pub(crate) fn ln_integral_by_quadrature(p: &[f64; 4], xf: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
    use crate::clv::dert::{WGK, XGK};
    let [r, alpha, s, beta] = *p;
    let m = alpha.min(beta);
    let (v0, v1) = ((m + t_x).ln(), (m + t).ln());
    if v1 <= v0 {
        return (f64::NEG_INFINITY, [0.0; 4]);
    }
    let (c1, d1, c2, d2) = (r + xf, alpha - m, s + 1.0, beta - m);
    let phi = |v: f64| {
        let y = v.exp();
        (v - c1 * (d1 + y).ln() - c2 * (d2 + y).ln(), 1.0 - c1 * y / (d1 + y) - c2 * y / (d2 + y))
    };
    // The largest |φ''| on the range: each c·d·y/(d+y)² peaks at y = d.
    let (y0, y1) = (m + t_x, m + t);
    let bend = |c: f64, d: f64| {
        let y = d.clamp(y0, y1);
        c * d * y / ((d + y) * (d + y))
    };
    let curvature = bend(c1, d1) + bend(c2, d2);
    let (reference, _) = phi(v0);
    let (mut sum, mut moments) = (0.0, [0.0; 4]);
    let mut v = v0;
    while v < v1 {
        let (level, slope) = phi(v);
        if slope < 0.0 && sum > 0.0 && (level - reference).exp() / -slope < 1e-18 * sum {
            break;
        }
        let h = (2.5 / slope.abs().max(curvature.sqrt()).max(1.0)).min(v1 - v);
        let (mid, half) = (v + 0.5 * h, 0.5 * h);
        for (i, (&node, &weight)) in XGK.iter().zip(&WGK).enumerate() {
            let sides: &[f64] = if i == 7 { &[0.0] } else { &[-1.0, 1.0] };
            for side in sides {
                let u = mid + side * half * node;
                let y = u.exp();
                let (a, b) = (d1 + y, d2 + y);
                // One of α + τ and β + τ is m + τ = e^u itself.
                let (ln_a, ln_b) = if d1 == 0.0 { (u, b.ln()) } else { (a.ln(), u) };
                let e = weight * half * (u - c1 * ln_a - c2 * ln_b - reference).exp();
                sum += e;
                moments[0] += e * ln_a;
                moments[1] += e / a;
                moments[2] += e * ln_b;
                moments[3] += e / b;
            }
        }
        v += h;
    }
    let grad = [-moments[0] / sum, -c1 * moments[1] / sum, -moments[2] / sum, -c2 * moments[3] / sum];
    (reference + sum.ln(), grad)
}

/// The negative log-likelihood history by history, each bracket by
/// [`bracket`] with its own tails: the tests' reference for the shared
/// sums of [`value_and_gradient`].
#[cfg(test)]
fn negative_log_likelihood(data: &FitData, p: &[f64; 4]) -> f64 {
    let [r, alpha, s, beta] = *p;
    let shared = r * alpha.ln() + s * beta.ln() - ln_gamma(r);
    let mut total = 0.0;
    for (x, start, end) in data.groups() {
        let xf = f64::from(x);
        let mut weight = 0.0;
        let mut sum = 0.0;
        for i in start..end {
            weight += data.count[i];
            sum += data.count[i] * bracket(r, alpha, s, beta, xf, data.t_x[i], data.t[i]).1;
        }
        total += sum + weight * (ln_gamma(r + xf) + shared);
    }
    -total
}

/// `ln ∫_t^∞ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ` and its gradient in
/// `[r, α, s, β]`, by the chain rule through the series' own gradient.
#[cfg(test)]
pub(crate) fn ln_tail_with_gradient(r: f64, alpha: f64, s: f64, beta: f64, x: f64, t: f64) -> (f64, [f64; 4]) {
    let logs = ((alpha + t).ln(), (beta + t).ln());
    let [one] = ln_tails_with_gradient(&[r, alpha, s, beta], x, [t], [logs], (r + s + x).ln());
    one
}

/// [`ln_tail_with_gradient`] at several `t` of one history (its `t_x` and
/// its `T`), from `(ln(α + t), ln(β + t))` at each and `ln(r + s + x)`,
/// which the caller has at hand: the tails share the series' coefficients
/// ([`ln_hyp2f1_one_with_gradients`]), so the second costs a fraction of
/// the first. Each result is bit for bit the one-`t` call's.
pub(crate) fn ln_tails_with_gradient<const M: usize>(
    p: &[f64; 4],
    x: f64,
    t: [f64; M],
    logs: [(f64, f64); M],
    ln_rsx: f64,
) -> [(f64, [f64; 4]); M] {
    let (b, c, z) = series_arguments(p, x);
    let series = ln_hyp2f1_one_with_gradients(b, c, t.map(z));
    std::array::from_fn(|m| tail_from_series(p, x, ln_rsx, t[m], logs[m], series[m]))
}

/// [`ln_tails_with_gradient`] at any number of `t` with one `x` (every
/// tail of a run of histories), in one pass over the series
/// ([`ln_hyp2f1_one_with_gradients_many`]): each result is bit for bit the
/// one-`t` call's.
pub(crate) fn ln_tails_with_gradient_many(
    p: &[f64; 4],
    x: f64,
    t: &[f64],
    logs: &[(f64, f64)],
    ln_rsx: f64,
) -> Vec<(f64, [f64; 4])> {
    let (b, c, z) = series_arguments(p, x);
    let z: Vec<f64> = t.iter().map(|&t| z(t)).collect();
    let series = ln_hyp2f1_one_with_gradients_many(b, c, &z);
    t.iter()
        .zip(logs)
        .zip(series)
        .map(|((&t, &logs), series)| tail_from_series(p, x, ln_rsx, t, logs, series))
        .collect()
}

/// The tails' `₂F₁(1, b; c; ·)`: `b`, `c` and the argument as a function
/// of `t`, `(α−β)/(α+t)` for `α ≥ β` and `(β−α)/(β+t)` below.
fn series_arguments(p: &[f64; 4], x: f64) -> (f64, f64, impl Fn(f64) -> f64 + Copy) {
    let [r, alpha, s, beta] = *p;
    let c = r + s + x + 1.0;
    let b = if alpha >= beta { r + x } else { s + 1.0 };
    (b, c, move |t: f64| if alpha >= beta { (alpha - beta) / (alpha + t) } else { (beta - alpha) / (beta + t) })
}

/// A tail and its gradient in `[r, α, s, β]` from its series' log and
/// gradient in `(b, c, z)`, by the chain rule.
fn tail_from_series(
    p: &[f64; 4],
    x: f64,
    ln_rsx: f64,
    t: f64,
    (la, lb): (f64, f64),
    (lf, [fb, fc, fz]): (f64, [f64; 3]),
) -> (f64, [f64; 4]) {
    let [r, alpha, s, beta] = *p;
    let rsx = r + s + x;
    if alpha >= beta {
        let value = -(r + x) * la - s * lb - ln_rsx + lf;
        let grad = [
            -la - 1.0 / rsx + fb + fc,
            -(r + x) / (alpha + t) + fz * (beta + t) / ((alpha + t) * (alpha + t)),
            -lb - 1.0 / rsx + fc,
            -s / (beta + t) - fz / (alpha + t),
        ];
        (value, grad)
    } else {
        let fw = fz;
        let value = -(r + x - 1.0) * la - (s + 1.0) * lb - ln_rsx + lf;
        let grad = [
            -la - 1.0 / rsx + fc,
            -(r + x - 1.0) / (alpha + t) - fw / (beta + t),
            -lb - 1.0 / rsx + fb + fc,
            -(s + 1.0) / (beta + t) + fw * (alpha + t) / ((beta + t) * (beta + t)),
        ];
        (value, grad)
    }
}

/// The negative log-likelihood and its analytic gradient in `[r, α, s, β]`.
///
/// Large data are cut into [`BLOCKS`] blocks of consecutive rows, fixed by
/// the data alone, summed on every core (feature `parallel`) and added in
/// block order: the same sums for any number of threads.
pub(crate) fn value_and_gradient(data: &FitData, p: &[f64; 4], grad: &mut [f64; 4]) -> f64 {
    let rows = data.x.len();
    let logs = LevelLogs::new(data, p);
    let parts = if rows < BLOCKS * MIN_BLOCK {
        vec![runs_value_and_gradient(data, p, &logs, &data.groups().collect::<Vec<_>>())]
    } else {
        let size = rows.div_ceil(BLOCKS);
        let mut blocks: Vec<Vec<(u32, usize, usize)>> = vec![Vec::new(); rows.div_ceil(size)];
        for (x, start, end) in data.groups() {
            // A run crossing a block's end is cut there.
            let mut at = start;
            while at < end {
                let cut = ((at / size + 1) * size).min(end);
                blocks[at / size].push((x, at, cut));
                at = cut;
            }
        }
        crate::util::par_map(&blocks, |runs| runs_value_and_gradient(data, p, &logs, runs))
    };
    let mut total = 0.0;
    let mut g = [0.0; 4];
    for (t, part) in parts {
        total += t;
        for k in 0..4 {
            g[k] += part[k];
        }
    }
    for k in 0..4 {
        grad[k] = -g[k];
    }
    -total
}

/// The blocks of rows [`value_and_gradient`] sums apart on large data.
const BLOCKS: usize = 16;
/// The least rows per block worth cutting the data.
const MIN_BLOCK: usize = 256;

/// The log-likelihood and its gradient summed over `runs`, `(x, start,
/// end)` row ranges of equal `x` (a run of the data, or part of one).
fn runs_value_and_gradient(
    data: &FitData,
    p: &[f64; 4],
    LevelLogs { at_t: ln_at, at_tx: ln_atx }: &LevelLogs,
    runs: &[(u32, usize, usize)],
) -> (f64, [f64; 4]) {
    let [r, alpha, s, beta] = *p;
    let (ln_alpha, ln_beta, ln_s) = (alpha.ln(), beta.ln(), s.ln());
    let (lg_r, dg_r) = (ln_gamma(r), digamma(r));
    // The tails depend on (x, t) only: within a run of equal x, each is
    // computed once per distinct T and t_x (daily data share few values),
    // and all of the run's in one pass over their common series.
    let slots_t = ln_at.len();
    let mut tails = RunTails::new(slots_t + ln_atx.len());
    let mut total = 0.0;
    let mut g = [0.0; 4];
    for (run, &(x, start, end)) in runs.iter().enumerate() {
        let xf = f64::from(x);
        tails.clear();
        for i in start..end {
            if !series_is_slow(alpha, beta, data.t_x[i]) {
                let (tx, t) = (data.t_x_levels.index[i] as usize, data.t_levels.index[i] as usize);
                tails.want(run, slots_t + tx, data.t_x[i], ln_atx[tx]);
                tails.want(run, t, data.t[i], ln_at[t]);
            }
        }
        tails.compute(p, xf);
        let mut weight = 0.0;
        for i in start..end {
            let count = data.count[i];
            let t = data.t[i];
            weight += count;
            debug_assert_eq!(data.t_levels.values[data.t_levels.index[i] as usize].to_bits(), t.to_bits());
            let (tx, tl) = (data.t_x_levels.index[i] as usize, data.t_levels.index[i] as usize);
            let (bracket, d) = pattern_with_gradient(p, ln_s, xf, data.t_x[i], t, ln_at[tl], || {
                (tails.get(slots_t + tx), tails.get(tl))
            });
            total += count * bracket;
            for k in 0..4 {
                g[k] += count * d[k];
            }
        }
        total += weight * (ln_gamma(r + xf) - lg_r + r * ln_alpha + s * ln_beta);
        g[0] += weight * (digamma(r + xf) - dg_r + ln_alpha);
        g[1] += weight * r / alpha;
        g[2] += weight * ln_beta;
        g[3] += weight * s / beta;
    }
    (total, g)
}

/// `ln(J₁ − J₂)` and its gradient from the two tails of
/// [`ln_tail_with_gradient`] (at `t_x` and at `T`): the log of the integral
/// over the moment of death in `(t_x, T)`.
#[cfg(test)]
pub(crate) fn integral_from_tails((l1, g1): (f64, [f64; 4]), (l2, g2): (f64, [f64; 4])) -> (f64, [f64; 4]) {
    // d ln(J₁ − J₂) = (d ln J₁ − ρ d ln J₂)/(1 − ρ), ρ = J₂/J₁; ln(1 − ρ)
    // from the same exponential where that is accurate (ρ ≤ ½), as
    // `log_sub_exp` takes it.
    let d = l2 - l1;
    if d >= 0.0 {
        return (f64::NEG_INFINITY, [f64::NAN; 4]);
    }
    let rho = d.exp();
    let ln_rest = if d > -std::f64::consts::LN_2 { (-d.exp_m1()).ln() } else { (-rho).ln_1p() };
    let inv = 1.0 / (1.0 - rho);
    (l1 + ln_rest, std::array::from_fn(|k| (g1[k] - rho * g2[k]) * inv))
}

/// `ln(A + s·I)` of [`bracket`] and its gradient in `[r, α, s, β]` for a
/// history with `x` repeat purchases observed for `t`, from `ln(α + T)`,
/// `ln(β + T)` and `ln I` with its gradient (by
/// [`ln_integral_by_quadrature`]; from the series' tails,
/// [`bracket_from_tails`]).
pub(crate) fn bracket_with_gradient(
    p: &[f64; 4],
    ln_s: f64,
    xf: f64,
    t: f64,
    (la, lb): (f64, f64),
    (ln_integral, d_integral): (f64, [f64; 4]),
) -> (f64, [f64; 4]) {
    let s = p[2];
    let (alive, d_alive) = alive_with_gradient(p, xf, t, (la, lb));
    let dead = ln_s + ln_integral;
    // ln(e^alive + e^dead) and the two shares from one exponential.
    let (bracket, w_alive, w_dead) = if dead == f64::NEG_INFINITY {
        (alive, 1.0, 0.0)
    } else {
        let (hi, lo) = if alive >= dead { (alive, dead) } else { (dead, alive) };
        let e = (lo - hi).exp();
        let share_hi = 1.0 / (1.0 + e);
        let (w_hi, w_lo) = (share_hi, e * share_hi);
        let bracket = hi + e.ln_1p();
        if alive >= dead { (bracket, w_hi, w_lo) } else { (bracket, w_lo, w_hi) }
    };
    let mut d = [0.0; 4];
    for k in 0..4 {
        let mut d_dead = if w_dead > 0.0 { d_integral[k] } else { 0.0 };
        if k == 2 {
            d_dead += 1.0 / s;
        }
        d[k] = w_alive * d_alive[k] + w_dead * d_dead;
    }
    (bracket, d)
}

/// `ln A` of [`bracket`] and its gradient in `[r, α, s, β]`, from `ln(α + T)`
/// and `ln(β + T)`.
fn alive_with_gradient(p: &[f64; 4], xf: f64, t: f64, (la, lb): (f64, f64)) -> (f64, [f64; 4]) {
    let [r, alpha, s, beta] = *p;
    (-(r + xf) * la - s * lb, [-la, -(r + xf) / (alpha + t), -lb, -s / (beta + t)])
}

/// [`bracket_with_gradient`] from the two tails `ln J₁` (at `t_x`) and
/// `ln J₂` (at `T`) with their gradients, without taking `ln(J₁ − J₂)`:
/// `ln(A + s·J₁ − s·J₂)` scaled by the larger of `A` and `s·J₁`, two
/// exponentials and one logarithm per history. The difference loses
/// nothing that matters: `s·J₂ ≤ A` (the tail beyond `T` is at most `A/s`),
/// so whatever cancels between `s·J₁` and `s·J₂` is at most `A`, which
/// stays in the sum.
fn bracket_from_tails(
    p: &[f64; 4],
    ln_s: f64,
    xf: f64,
    t: f64,
    logs: (f64, f64),
    (l1, g1): (f64, [f64; 4]),
    (l2, g2): (f64, [f64; 4]),
) -> (f64, [f64; 4]) {
    let s = p[2];
    let (alive, d_alive) = alive_with_gradient(p, xf, t, logs);
    let (dead1, dead2) = (ln_s + l1, ln_s + l2);
    let (hi, a, j1) =
        if alive >= dead1 { (alive, 1.0, (dead1 - alive).exp()) } else { (dead1, (alive - dead1).exp(), 1.0) };
    let j2 = (dead2 - hi).exp();
    let sum = a + j1 - j2;
    let inv = 1.0 / sum;
    let d = std::array::from_fn(|k| {
        let mut dead = j1 * g1[k] - j2 * g2[k];
        if k == 2 {
            dead += (j1 - j2) / s;
        }
        (a * d_alive[k] + dead) * inv
    });
    (hi + sum.ln(), d)
}

/// The bracket and its gradient for one history, by the series with
/// shared tails where they converge fast, else by quadrature.
pub(crate) fn pattern_with_gradient(
    p: &[f64; 4],
    ln_s: f64,
    xf: f64,
    t_x: f64,
    t: f64,
    ln_t: (f64, f64),
    tails: impl FnOnce() -> ((f64, [f64; 4]), (f64, [f64; 4])),
) -> (f64, [f64; 4]) {
    if series_is_slow(p[1], p[3], t_x) {
        bracket_with_gradient(p, ln_s, xf, t, ln_t, ln_integral_by_quadrature(p, xf, t_x, t))
    } else {
        let (at_tx, at_t) = tails();
        bracket_from_tails(p, ln_s, xf, t, ln_t, at_tx, at_t)
    }
}

/// `ln(α + v)` and `ln(β + v)` at each distinct `T` and `t_x` of the data,
/// once per evaluation (not per row, tail or block).
struct LevelLogs {
    at_t: Vec<(f64, f64)>,
    at_tx: Vec<(f64, f64)>,
}

impl LevelLogs {
    fn new(data: &FitData, p: &[f64; 4]) -> LevelLogs {
        let [_, alpha, _, beta] = *p;
        let logs = |levels: &Levels| -> Vec<(f64, f64)> {
            levels.values.iter().map(|&v| ((alpha + v).ln(), (beta + v).ln())).collect()
        };
        LevelLogs { at_t: logs(&data.t_levels), at_tx: logs(&data.t_x_levels) }
    }
}

/// The tails one run of equal `x` needs, each once: slot `j` is the level
/// `j` of `T`, slot `levels(T) + j` the level `j` of `t_x`.
struct RunTails {
    /// The run that last wanted each slot.
    stamp: Vec<usize>,
    /// Where each slot wanted by the current run is in its lists.
    at: Vec<usize>,
    t: Vec<f64>,
    logs: Vec<(f64, f64)>,
    value: Vec<(f64, [f64; 4])>,
}

impl RunTails {
    fn new(slots: usize) -> RunTails {
        RunTails {
            stamp: vec![usize::MAX; slots],
            at: vec![0; slots],
            t: Vec::new(),
            logs: Vec::new(),
            value: Vec::new(),
        }
    }

    /// Starts a run's lists.
    fn clear(&mut self) {
        self.t.clear();
        self.logs.clear();
    }

    /// Asks for the tail at `t` (with `ln(α+t)`, `ln(β+t)`) in `slot`, once
    /// per run.
    fn want(&mut self, run: usize, slot: usize, t: f64, logs: (f64, f64)) {
        if self.stamp[slot] != run {
            self.stamp[slot] = run;
            self.at[slot] = self.t.len();
            self.t.push(t);
            self.logs.push(logs);
        }
    }

    /// Every tail asked for, in one pass.
    fn compute(&mut self, p: &[f64; 4], x: f64) {
        let [r, _, s, _] = *p;
        self.value = ln_tails_with_gradient_many(p, x, &self.t, &self.logs, (r + s + x).ln());
    }

    fn get(&self, slot: usize) -> (f64, [f64; 4]) {
        self.value[self.at[slot]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The likelihood bracket by brute-force quadrature (Simpson's rule) of
    /// its integral form.
    fn bracket_by_quadrature(r: f64, alpha: f64, s: f64, beta: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let alive = (alpha + t).powf(-(r + x)) * (beta + t).powf(-s);
        let n = 200_000;
        let h = (t - t_x) / f64::from(n);
        let f = |tau: f64| (alpha + tau).powf(-(r + x)) * (beta + tau).powf(-(s + 1.0));
        let mut integral = f(t_x) + f(t);
        for k in 1..n {
            integral += if k % 2 == 1 { 4.0 } else { 2.0 } * f(t_x + f64::from(k) * h);
        }
        (alive + s * integral * h / 3.0).ln()
    }

    #[test]
    fn likelihood_matches_quadrature_in_both_cases() {
        for &(r, alpha, s, beta) in
            &[(0.55, 10.6, 0.6, 11.7), (0.55, 11.7, 0.6, 10.6), (2.0, 1.0, 0.3, 50.0), (0.3, 40.0, 3.0, 0.5)]
        {
            for &(x, t_x, t) in &[(0.0, 0.0, 38.0), (2.0, 30.0, 38.0), (7.0, 3.0, 20.0), (1.0, 5.0, 5.0)] {
                let (_, fast) = bracket(r, alpha, s, beta, x, t_x, t);
                let slow = bracket_by_quadrature(r, alpha, s, beta, x, t_x, t);
                assert!(
                    (fast - slow).abs() < 1e-7 * slow.abs().max(1.0),
                    "{r} {alpha} {s} {beta} / {x} {t_x} {t}: {fast} vs {slow}"
                );
            }
        }
    }

    /// The quadrature agrees with the series (where the series converges,
    /// slowly or not) in value and gradient, over both cases, short and long
    /// ranges, many purchases and the ridge of large `s` and `β`.
    #[test]
    fn quadrature_agrees_with_the_series() {
        let mut worst: f64 = 0.0;
        for p in [
            [0.55, 10.6, 0.6, 11.7],
            [0.55, 0.2, 0.6, 11.7],
            [0.55, 11.7, 0.6, 0.2],
            [2.0, 1.0, 0.3, 50.0],
            [0.3, 40.0, 3.0, 0.5],
            [0.47, 0.22, 473.0, 257.0],
            [1.3, 0.01, 26.0, 30.0],
            [0.9, 3.0, 0.05, 0.004],
        ] {
            for (x, t_x, t) in [
                (0.0, 0.0, 1.0),
                (1.0, 0.3, 1.4),
                (7.0, 0.05, 0.9),
                (2.0, 1.0, 1.0),
                (60.0, 0.2, 1.5),
                (300.0, 1.1, 1.2),
            ] {
                let [r, alpha, s, beta] = p;
                let (l1, g1) = ln_tail_with_gradient(r, alpha, s, beta, x, t_x);
                let (l2, g2) = ln_tail_with_gradient(r, alpha, s, beta, x, t);
                let (series, d_series) = integral_from_tails((l1, g1), (l2, g2));
                let (quad, d_quad) = ln_integral_by_quadrature(&p, x, t_x, t);
                if t_x == t {
                    assert_eq!(quad, f64::NEG_INFINITY);
                    continue;
                }
                // Where z (or w) is within 1e-3 of 1 the series stops at
                // its term limit and is itself only good to ~1e-8.
                let z = (alpha - beta).abs() / (alpha.max(beta) + t_x);
                let tolerance = if z < 0.999 { 1e-12 } else { 1e-6 };
                let err = (quad - series).abs() / series.abs().max(1.0);
                worst = worst.max(err);
                assert!(err < tolerance, "{p:?} {x} {t_x} {t}: {quad} vs {series}");
                for k in 0..4 {
                    let tol = 1e3 * tolerance * d_series[k].abs().max(1.0);
                    assert!(
                        (d_quad[k] - d_series[k]).abs() < tol,
                        "{p:?} {x} {t_x} {t} [{k}]: {d_quad:?} vs {d_series:?}"
                    );
                }
            }
        }
        assert!(worst > 0.0);
        // Against 40-digit quadrature (mpmath, in the same v) on the ridge and at many
        // purchases, where the series is slow or stops short.
        for (p, x, t_x, t, want) in [
            ([0.47, 0.22, 473.0, 257.0], 0.0, 0.0, 1.0, -2_630.709_810_451_651),
            ([0.47, 0.22, 473.0, 257.0], 7.0, 0.05, 0.9, -2_623.835_739_181_498_5),
            ([1.3, 0.01, 26.0, 30.0], 60.0, 0.2, 1.5, -2.007_165_370_969_872_3),
            ([1.3, 0.01, 26.0, 30.0], 0.0, 0.0, 1.0, -89.636_057_534_625_76),
        ] {
            let (got, _) = ln_integral_by_quadrature(&p, x, t_x, t);
            assert!((got - want).abs() < 1e-14 * want.abs().max(1.0), "{p:?} {x}: {got} vs {want}");
        }
    }

    #[cfg(feature = "sim")]
    #[test]
    fn blocked_sums_are_the_same_on_any_threads_and_close_to_one_block() {
        let model = ParetoNbd::new(0.55, 10.5, 0.6, 11.7).unwrap();
        let data = model.simulate(3 * BLOCKS * MIN_BLOCK, 39.0, 7).unwrap();
        assert!(data.x.len() >= BLOCKS * MIN_BLOCK, "the data are cut into blocks");
        let p = [0.5, 9.0, 0.7, 12.0];
        let on = |threads| {
            crate::util::on_threads(threads, || {
                let mut g = [0.0; 4];
                (value_and_gradient(&data, &p, &mut g), g)
            })
        };
        let one = on(1);
        assert_eq!(on(2), one);
        assert_eq!(on(3), one);
        let runs: Vec<_> = data.groups().collect();
        let (whole, g) = runs_value_and_gradient(&data, &p, &LevelLogs::new(&data, &p), &runs);
        assert!((one.0 + whole).abs() <= 1e-12 * whole.abs(), "{} vs {whole}", -one.0);
        for k in 0..4 {
            assert!((one.1[k] + g[k]).abs() <= 1e-10 * (1.0 + g[k].abs()), "{k}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let data = FitData::from_rows([
            (0, 0.0, 30.0, 40.0),
            (1, 12.0, 30.0, 10.0),
            (2, 25.0, 28.0, 7.0),
            (5, 10.0, 30.0, 3.0),
            (7, 29.0, 32.0, 5.0),
            (3, 32.0, 32.0, 2.0),
        ])
        .unwrap();
        for p in [[0.6, 9.0, 0.7, 12.0], [0.6, 12.0, 0.7, 9.0], [2.0, 1.0, 3.0, 40.0]] {
            let mut g = [0.0; 4];
            let value = value_and_gradient(&data, &p, &mut g);
            assert!((value - negative_log_likelihood(&data, &p)).abs() < 1e-9 * value.abs());
            for i in 0..4 {
                let h = 1e-6 * p[i];
                let (mut up, mut down) = (p, p);
                up[i] += h;
                down[i] -= h;
                let fd = (negative_log_likelihood(&data, &up) - negative_log_likelihood(&data, &down)) / (2.0 * h);
                assert!((fd - g[i]).abs() < 1e-5 * fd.abs().max(1.0), "{p:?} [{i}]: {fd} vs {}", g[i]);
            }
        }
    }

    /// The likelihood bracket by Simpson's rule in `u = ln(m + τ)`, `m =
    /// min(α, β)`, where the integrand is smooth on the scale of 1 however
    /// small `α` or `β` is.
    fn bracket_by_log_simpson(r: f64, alpha: f64, s: f64, beta: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let alive = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
        if t_x == t {
            return alive;
        }
        let m = alpha.min(beta);
        let (u0, u1) = ((m + t_x).ln(), (m + t).ln());
        let n = 200_000;
        let h = (u1 - u0) / f64::from(n);
        let f = |u: f64| {
            let tau = u.exp() - m;
            (u - (r + x) * (alpha + tau).ln() - (s + 1.0) * (beta + tau).ln() - alive).exp()
        };
        let mut integral = f(u0) + f(u1);
        for k in 1..n {
            integral += if k % 2 == 1 { 4.0 } else { 2.0 } * f(u0 + f64::from(k) * h);
        }
        alive + (1.0 + s * integral * h / 3.0).ln()
    }

    /// The fit's log-likelihood (shared tails, one pass per run, the
    /// quadrature where the series is slow) against brute-force quadrature
    /// of each history's integral, where the series converges slowly (the
    /// ridge of large `s` and `β` of daily data, `s ≈ 26`, `β ≈ 1550`), at
    /// the 1M-row benchmark file's fit (`β ≈ 890` days), at small `β` and in
    /// the `α ≥ β` case: a wrong transformation of the series, or a tail
    /// shared between histories that differ, shows here.
    #[test]
    fn likelihood_matches_direct_quadrature_on_the_ridge_and_at_small_beta() {
        let rows = [
            (0, 0.0, 729.0, 3.0),
            (0, 0.0, 200.0, 2.0),
            (1, 1.0, 729.0, 1.0),
            (1, 350.0, 729.0, 4.0),
            (1, 350.0, 400.0, 1.0),
            (3, 20.0, 400.0, 2.0),
            (3, 350.0, 729.0, 1.0),
            (3, 729.0, 729.0, 1.0),
            (12, 700.0, 729.0, 1.0),
        ];
        let data = FitData::from_rows(rows).unwrap();
        for p in [
            [0.45, 7.6, 26.0, 1550.0],
            [0.45, 7.6, 3.44, 888.8],
            [0.55, 10.6, 0.6, 0.05],
            [1.3, 400.0, 2.0, 3.0],
            [0.8, 0.02, 0.5, 60.0],
        ] {
            let [r, alpha, s, beta] = p;
            let mut want = 0.0;
            for &(x, t_x, t, count) in &rows {
                let xf = f64::from(x);
                let shared = ln_gamma(r + xf) - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
                want += count * (shared + bracket_by_log_simpson(r, alpha, s, beta, xf, t_x, t));
            }
            let got = -value_and_gradient(&data, &p, &mut [0.0; 4]);
            assert!((got - want).abs() <= 1e-10 * want.abs(), "{p:?}: {got} vs {want}");
            let model = ParetoNbd::new(r, alpha, s, beta).unwrap();
            assert_eq!(model.log_likelihood(&data), got);
            let reference = -negative_log_likelihood(&data, &p);
            assert!((got - reference).abs() <= 1e-12 * want.abs(), "{p:?}: {got} vs {reference}");
        }
    }

    /// The shared sums agree with the history-by-history reference on the
    /// CDNOW cohort, at the published fit and on the ridge.
    #[cfg(feature = "csv")]
    #[test]
    fn shared_sums_equal_the_reference_on_cdnow() {
        let text = include_str!("../../tests/data/cdnow_summary.csv");
        let customers = crate::csv::SummaryCsv::new().from_reader(text.as_bytes()).unwrap();
        let data = FitData::from_summary(&customers).unwrap();
        for p in [[0.553, 10.578, 0.606, 11.669], [0.55, 10.6, 26.0, 520.0], [0.55, 10.6, 0.6, 0.01]] {
            let got = -value_and_gradient(&data, &p, &mut [0.0; 4]);
            let reference = -negative_log_likelihood(&data, &p);
            assert!((got - reference).abs() <= 1e-12 * reference.abs(), "{p:?}: {got} vs {reference}");
        }
    }

    #[test]
    fn published_values_give_the_published_likelihood_shape() {
        let m = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
        // A customer who bought often and recently is very likely alive; one
        // who stopped long ago much less so.
        assert!(m.p_alive(History { frequency: 10, recency: 38.0, age: 39.0 }) > 0.9);
        assert!(m.p_alive(History { frequency: 10, recency: 2.0, age: 39.0 }) < 0.2);
        assert!((m.p_alive(History::NEW) - 1.0).abs() < 1e-12);
        // s = 1 is a removable singularity.
        let one = ParetoNbd::new(0.5, 10.0, 1.0, 12.0).unwrap();
        let near = ParetoNbd::new(0.5, 10.0, 1.0 + 1e-7, 12.0).unwrap();
        assert!((one.expected_purchases_new(39.0) - near.expected_purchases_new(39.0)).abs() < 1e-6);
    }
}
