//! The BG/BB model (Fader, Hardie & Shang 2010, "Customer-Base Analysis in a
//! Discrete-Time Noncontractual Setting"): for data in discrete
//! opportunities — yearly donations, annual events, seasons, issues of a
//! magazine — where a customer either transacts at an opportunity or not.
//!
//! While alive, a customer transacts at each opportunity with probability
//! p ~ Beta(α, β); at the start of each opportunity (the first included) a
//! living customer drops out for good with probability θ ~ Beta(γ, δ).
//! A customer is summarised by the pattern (x, `t_x`, n): x transactions in n
//! opportunities, the last at opportunity `t_x` (0 when x = 0).

use serde::{Deserialize, Serialize};

use crate::clv::optim::{self, FitOptions, FitReport};
use crate::clv::special::{digamma, ln_gamma, log_add_exp};
use crate::clv::{ClvError, check_positive};

/// One pattern of discrete-time data: x transactions in n opportunities, the
/// last at opportunity `t_x`, shared by `count` customers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DiscretePattern {
    /// Transactions, x (the paper's frequency).
    pub frequency: u32,
    /// The opportunity of the last transaction, `t_x` (0 when there is none).
    pub recency: u32,
    /// Opportunities observed, n.
    pub periods: u32,
    /// Customers with this pattern (a weight: positive and finite).
    pub count: f64,
}

impl DiscretePattern {
    fn check(&self, row: usize) -> Result<(), ClvError> {
        let bad = |reason| Err(ClvError::InvalidData { row, reason });
        if self.periods == 0 {
            return bad("periods must be at least 1");
        }
        if self.recency > self.periods {
            return bad("recency after the last period");
        }
        if self.frequency > self.recency {
            return bad("more transactions than opportunities up to the last one");
        }
        if self.frequency > 0 && self.recency == 0 {
            return bad("transactions but no last transaction");
        }
        if self.frequency == 0 && self.recency != 0 {
            return bad("a last transaction without transactions");
        }
        if !(self.count.is_finite() && self.count > 0.0) {
            return bad("count must be positive and finite");
        }
        Ok(())
    }
}

/// A BG/BB model: α, β of the transaction probability and γ, δ of the
/// dropout probability, each positive and finite.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{BgBb, DiscretePattern};
///
/// // The published fit of the donations data (Fader, Hardie & Shang 2010).
/// let model = BgBb::new(1.204, 0.750, 0.657, 2.783)?;
/// let loyal = DiscretePattern { frequency: 6, recency: 6, periods: 6, count: 1.0 };
/// let lapsed = DiscretePattern { frequency: 2, recency: 2, periods: 6, count: 1.0 };
/// assert!(model.p_alive(&loyal, 1) > 0.9);
/// assert!(model.p_alive(&lapsed, 1) < 0.3);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawBgBb")]
pub struct BgBb {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

#[derive(Deserialize)]
struct RawBgBb {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

impl TryFrom<RawBgBb> for BgBb {
    type Error = ClvError;

    fn try_from(raw: RawBgBb) -> Result<Self, ClvError> {
        BgBb::new(raw.alpha, raw.beta, raw.gamma, raw.delta)
    }
}

/// A fitted [`BgBb`] with what the fit found out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgBbFit {
    /// The maximum-likelihood parameters.
    pub model: BgBb,
    /// The log-likelihood total at the optimum, Σ count · ln L (without the
    /// penalty).
    pub log_likelihood: f64,
    /// Standard errors of α, β, γ, δ from the observed information, when
    /// the Hessian could be inverted.
    pub standard_errors: Option<[f64; 4]>,
    /// Iterations, evaluations and the gradient norm at the optimum.
    pub report: FitReport,
    /// The customers fitted (the total count).
    pub customers: f64,
}

/// ln B(a, b).
fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

impl BgBb {
    /// The model with these parameters.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] for a parameter that is not positive
    /// and finite.
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self, ClvError> {
        check_positive("alpha", alpha)?;
        check_positive("beta", beta)?;
        check_positive("gamma", gamma)?;
        check_positive("delta", delta)?;
        Ok(BgBb { alpha, beta, gamma, delta })
    }

    /// α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// β.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// γ.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// Fits the model to patterns by maximum likelihood.
    ///
    /// # Formula
    ///
    /// ```text
    /// L(x, t_x, n) = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
    ///              + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)
    /// LL = Σ count · ln L
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] naming the first impossible pattern,
    /// [`ClvError::Unidentifiable`] for no patterns, and the errors of the
    /// search ([`ClvError::Unbounded`], [`ClvError::NotConverged`]).
    ///
    /// # Complexity
    ///
    /// O(iterations × Σ (n − `t_x` + 1)) ln Γ and ψ evaluations over the
    /// distinct patterns.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::{BgBb, DiscretePattern, FitOptions};
    ///
    /// let p = |frequency, recency, count| DiscretePattern { frequency, recency, periods: 6, count };
    /// let data = [p(0, 0, 3464.0), p(1, 1, 1091.0), p(3, 5, 225.0), p(6, 6, 1203.0), p(2, 6, 234.0), p(4, 4, 240.0)];
    /// let fit = BgBb::fit(&data, &FitOptions::default())?;
    /// assert!(fit.log_likelihood < 0.0);
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    pub fn fit(patterns: &[DiscretePattern], options: &FitOptions) -> Result<BgBbFit, ClvError> {
        for (row, p) in patterns.iter().enumerate() {
            p.check(row)?;
        }
        if patterns.is_empty() {
            return Err(ClvError::Unidentifiable { reason: "no patterns" });
        }
        let customers: f64 = patterns.iter().map(|p| p.count).sum();
        // The objective per customer: the same optimum whatever the scale of
        // the counts, and a stopping rule that does not depend on it.
        let nll = |params: &[f64; 4], grad: &mut [f64; 4]| -> f64 {
            let model = BgBb { alpha: params[0], beta: params[1], gamma: params[2], delta: params[3] };
            let mut total = 0.0;
            *grad = [0.0; 4];
            for p in patterns {
                let (ll, g) = model.ln_likelihood_with_gradient(p);
                let w = p.count / customers;
                total -= w * ll;
                for k in 0..4 {
                    grad[k] -= w * g[k];
                }
            }
            total
        };
        // Every parameter is a shape: only the weights need scaling.
        let scales = optim::Scales { units: [1.0; 4], weight: customers };
        let min = optim::minimise(options, ["alpha", "beta", "gamma", "delta"], scales.penalty(options), nll)?;
        let model = BgBb::new(min.params[0], min.params[1], min.params[2], min.params[3])?;
        let log_likelihood = model.log_likelihood(patterns)?;
        let standard_errors = scales.standard_errors(optim::standard_errors(&min.params, nll));
        Ok(BgBbFit { model, log_likelihood, standard_errors, report: min.report, customers })
    }

    /// The log-likelihood total Σ count · ln L of the patterns.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] naming the first impossible pattern.
    pub fn log_likelihood(&self, patterns: &[DiscretePattern]) -> Result<f64, ClvError> {
        let mut total = 0.0;
        for (row, p) in patterns.iter().enumerate() {
            p.check(row)?;
            total += p.count * self.ln_likelihood_with_gradient(p).0;
        }
        Ok(total)
    }

    /// ln L of one pattern and its gradient in (α, β, γ, δ).
    fn ln_likelihood_with_gradient(&self, p: &DiscretePattern) -> (f64, [f64; 4]) {
        let (a, b, g, d) = (self.alpha, self.beta, self.gamma, self.delta);
        let (x, tx, n) = (f64::from(p.frequency), f64::from(p.recency), f64::from(p.periods));
        let base = ln_beta(a, b) + ln_beta(g, d);
        // d ln B(u, v) / du = ψ(u) − ψ(u + v).
        let (psi_ab, psi_gd) = (digamma(a + b), digamma(g + d));
        let (psi_a, psi_b, psi_g, psi_d) = (digamma(a), digamma(b), digamma(g), digamma(d));
        let base_grad = [psi_a - psi_ab, psi_b - psi_ab, psi_g - psi_gd, psi_d - psi_gd];
        // Each term: ln B(a', b') + ln B(g', d') − base, with its gradient.
        let term = |a2: f64, b2: f64, g2: f64, d2: f64| -> (f64, [f64; 4]) {
            let value = ln_beta(a2, b2) + ln_beta(g2, d2) - base;
            let (pab, pgd) = (digamma(a2 + b2), digamma(g2 + d2));
            let grad = [
                digamma(a2) - pab - base_grad[0],
                digamma(b2) - pab - base_grad[1],
                digamma(g2) - pgd - base_grad[2],
                digamma(d2) - pgd - base_grad[3],
            ];
            (value, grad)
        };
        let mut terms: Vec<(f64, [f64; 4])> = Vec::with_capacity((p.periods - p.recency + 1) as usize);
        terms.push(term(a + x, b + n - x, g, d + n));
        for i in 0..(p.periods - p.recency) {
            let i = f64::from(i);
            terms.push(term(a + x, b + tx - x + i, g + 1.0, d + tx + i));
        }
        let ln_l = terms.iter().fold(f64::NEG_INFINITY, |acc, t| log_add_exp(acc, t.0));
        let mut grad = [0.0; 4];
        for (value, g) in &terms {
            let w = (value - ln_l).exp();
            for k in 0..4 {
                grad[k] += w * g[k];
            }
        }
        (ln_l, grad)
    }

    /// The probability that a customer with this pattern is still alive at
    /// opportunity n + m (m ≥ 1; m = 1 is the next opportunity). The
    /// pattern's count is not used.
    ///
    /// # Formula
    ///
    /// ```text
    /// P(alive at n+m) = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+m)/B(γ,δ) / L(x, t_x, n)
    /// ```
    pub fn p_alive(&self, p: &DiscretePattern, m: u32) -> f64 {
        let (x, n) = (f64::from(p.frequency), f64::from(p.periods));
        let (a, b, g, d) = (self.alpha, self.beta, self.gamma, self.delta);
        let ln_alive = ln_beta(a + x, b + n - x) - ln_beta(a, b) + ln_beta(g, d + n + f64::from(m)) - ln_beta(g, d);
        (ln_alive - self.ln_likelihood_with_gradient(p).0).exp().min(1.0)
    }

    /// The expected transactions of a customer with this pattern in the
    /// next `m` opportunities, n + 1 to n + m.
    ///
    /// # Formula
    ///
    /// The paper's closed form (its equation 13) is the sum over those
    /// opportunities of the chance to be alive there and transact; summed
    /// directly, it stays exact at γ = 1, where the closed form divides by
    /// zero:
    ///
    /// ```text
    /// E[X(n, n+m)] = B(α+x+1, β+n−x)/B(α,β) / L(x, t_x, n) · Σ_{t=n+1}^{n+m} B(γ, δ+t)/B(γ,δ)
    /// ```
    ///
    /// # Complexity
    ///
    /// O(n − `t_x` + m).
    pub fn expected_purchases(&self, p: &DiscretePattern, m: u32) -> f64 {
        let (x, n) = (f64::from(p.frequency), f64::from(p.periods));
        let (a, b) = (self.alpha, self.beta);
        let ln_front = ln_beta(a + x + 1.0, b + n - x) - ln_beta(a, b) - self.ln_likelihood_with_gradient(p).0;
        ln_front.exp() * self.alive_sum(p.periods, m)
    }

    /// Σ_{t=n+1}^{n+m} B(γ, δ+t)/B(γ,δ): the expected opportunities at which
    /// a new customer is alive, among n + 1 to n + m.
    fn alive_sum(&self, n: u32, m: u32) -> f64 {
        let (g, d) = (self.gamma, self.delta);
        let base = ln_beta(g, d);
        (1..=m).map(|k| (ln_beta(g, d + f64::from(n) + f64::from(k)) - base).exp()).sum()
    }

    /// The expected transactions of a new customer in their first `n`
    /// opportunities.
    ///
    /// # Formula
    ///
    /// ```text
    /// E[X(n)] = α/(α+β) · Σ_{t=1}^{n} B(γ, δ+t)/B(γ,δ)
    ///         = α/(α+β) · δ/(γ−1) · [1 − Γ(γ+δ)Γ(1+δ+n) / (Γ(γ+δ+n)Γ(1+δ))]   (γ ≠ 1)
    /// ```
    pub fn expected_purchases_new(&self, n: u32) -> f64 {
        self.alpha / (self.alpha + self.beta) * self.alive_sum(0, n)
    }

    /// The probability that a new customer makes exactly `x` transactions in
    /// their first `n` opportunities (0 when x > n).
    ///
    /// # Formula
    ///
    /// ```text
    /// P(X(n) = x) = C(n, x) B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
    ///             + Σ_{i=x}^{n−1} C(i, x) B(α+x, β+i−x)/B(α,β) · B(γ+1, δ+i)/B(γ,δ)
    /// ```
    pub fn probability_of_purchases(&self, x: u32, n: u32) -> f64 {
        if x > n {
            return 0.0;
        }
        let (a, b, g, d) = (self.alpha, self.beta, self.gamma, self.delta);
        let base = ln_beta(a, b) + ln_beta(g, d);
        let xf = f64::from(x);
        let ln_choose = |k: f64, j: f64| ln_gamma(k + 1.0) - ln_gamma(j + 1.0) - ln_gamma(k - j + 1.0);
        let nf = f64::from(n);
        let mut total = (ln_choose(nf, xf) + ln_beta(a + xf, b + nf - xf) + ln_beta(g, d + nf) - base).exp();
        for i in x..n {
            let i = f64::from(i);
            total += (ln_choose(i, xf) + ln_beta(a + xf, b + i - xf) + ln_beta(g + 1.0, d + i) - base).exp();
        }
        total
    }

    /// Simulates `customers` new customers over `n` opportunities, seeded,
    /// and returns their distinct patterns with the number of customers
    /// showing each, sorted by frequency and recency.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] when `n` is 0.
    #[cfg(feature = "sim")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
    pub fn simulate(&self, customers: usize, n: u32, seed: u64) -> Result<Vec<DiscretePattern>, ClvError> {
        use rand::{RngExt, SeedableRng};
        use rand_distr::{Beta, Distribution};
        if n == 0 {
            return Err(ClvError::InvalidParameter { name: "n", value: 0.0, reason: "at least one opportunity" });
        }
        let refused = |name, value| ClvError::InvalidParameter { name, value, reason: "the sampler refused it" };
        let buy = Beta::new(self.alpha, self.beta).map_err(|_| refused("alpha", self.alpha))?;
        let drop = Beta::new(self.gamma, self.delta).map_err(|_| refused("gamma", self.gamma))?;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..customers {
            let (p, theta): (f64, f64) = (buy.sample(&mut rng), drop.sample(&mut rng));
            let (mut x, mut tx) = (0, 0);
            for t in 1..=n {
                if rng.random::<f64>() < theta {
                    break;
                }
                if rng.random::<f64>() < p {
                    x += 1;
                    tx = t;
                }
            }
            *counts.entry((x, tx)).or_insert(0.0) += 1.0;
        }
        Ok(counts
            .into_iter()
            .map(|((frequency, recency), count)| DiscretePattern { frequency, recency, periods: n, count })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> BgBb {
        BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap()
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let p = DiscretePattern { frequency: 2, recency: 4, periods: 6, count: 1.0 };
        let m = model();
        let (_, grad) = m.ln_likelihood_with_gradient(&p);
        let params = [m.alpha, m.beta, m.gamma, m.delta];
        for k in 0..4 {
            let h = 1e-6 * params[k];
            let at = |delta: f64| {
                let mut q = params;
                q[k] += delta;
                BgBb::new(q[0], q[1], q[2], q[3]).unwrap().ln_likelihood_with_gradient(&p).0
            };
            let numeric = (at(h) - at(-h)) / (2.0 * h);
            assert!((numeric - grad[k]).abs() < 1e-6 * (1.0 + numeric.abs()), "{k}: {numeric} vs {}", grad[k]);
        }
    }

    #[test]
    fn probabilities_of_purchases_sum_to_one_and_match_the_mean() {
        let m = model();
        for n in [1, 3, 6, 11] {
            let probs: Vec<f64> = (0..=n).map(|x| m.probability_of_purchases(x, n)).collect();
            assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{n}");
            let mean: f64 = probs.iter().enumerate().map(|(x, p)| x as f64 * p).sum();
            assert!((mean - m.expected_purchases_new(n)).abs() < 1e-12, "{n}");
        }
    }

    #[test]
    fn sums_equal_the_papers_closed_forms() {
        let m = model();
        let (a, b, g, d) = (m.alpha, m.beta, m.gamma, m.delta);
        let n = 6.0_f64;
        let closed = a / (a + b) * d / (g - 1.0)
            * (1.0 - (ln_gamma(g + d) + ln_gamma(1.0 + d + n) - ln_gamma(g + d + n) - ln_gamma(1.0 + d)).exp());
        assert!((closed - m.expected_purchases_new(6)).abs() < 1e-12);
        // Equation 13 for (x, t_x, n) = (3, 5, 6) and the next 5 opportunities.
        let p = DiscretePattern { frequency: 3, recency: 5, periods: 6, count: 1.0 };
        let (x, ns) = (3.0_f64, 5.0_f64);
        let ln_l = m.ln_likelihood_with_gradient(&p).0;
        let gammas = |k: f64| (ln_gamma(1.0 + d + k) - ln_gamma(g + d + k)).exp();
        let eq13 = (ln_beta(a + x + 1.0, b + n - x) - ln_beta(a, b) - ln_l).exp() * d / (g - 1.0)
            * (ln_gamma(g + d) - ln_gamma(1.0 + d)).exp()
            * (gammas(n) - gammas(n + ns));
        assert!((eq13 - m.expected_purchases(&p, 5)).abs() < 1e-12, "{eq13}");
    }

    #[test]
    fn refuses_impossible_patterns() {
        let p = |frequency, recency, periods, count| DiscretePattern { frequency, recency, periods, count };
        for bad in
            [p(1, 0, 6, 1.0), p(0, 2, 6, 1.0), p(3, 2, 6, 1.0), p(1, 7, 6, 1.0), p(0, 0, 0, 1.0), p(0, 0, 3, 0.0)]
        {
            assert!(matches!(BgBb::fit(&[bad], &FitOptions::default()), Err(ClvError::InvalidData { row: 0, .. })));
        }
    }
}
