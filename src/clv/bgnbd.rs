//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the
//! Easy Way"): while alive, a customer buys as a Poisson process with rate
//! λ ~ Gamma(r, α); after each repeat purchase they drop out with probability
//! p ~ Beta(a, b).

use serde::{Deserialize, Serialize};

use crate::clv::optim::{self, FitOptions};
use crate::clv::special::{digamma, hyp2f1_with_magnitude, ln_gamma, ln_hyp2f1_abs_terms};
use crate::clv::{ClvError, Fit, FitData, History, PurchaseModel, check_positive, dert, softplus};

/// A BG/NBD model: the four parameters, each positive and finite.
///
/// Built by [`BgNbd::new`], by a fit, or by deserialising (which validates
/// the same way).
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{BgNbd, History, PurchaseModel};
///
/// // The published CDNOW fit, in weeks.
/// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let customer = History { frequency: 2, recency: 30.43, age: 38.86 };
/// let p = model.p_alive(customer);
/// assert!(p > 0.5 && p < 1.0);
/// let fewer = History { frequency: 1, ..customer };
/// assert!(model.expected_purchases(customer, 39.0) > model.expected_purchases(fewer, 39.0));
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawBgNbd")]
pub struct BgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[derive(Deserialize)]
struct RawBgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

impl TryFrom<RawBgNbd> for BgNbd {
    type Error = ClvError;

    fn try_from(raw: RawBgNbd) -> Result<Self, ClvError> {
        BgNbd::new(raw.r, raw.alpha, raw.a, raw.b)
    }
}

/// A fitted [`BgNbd`]: the generic [`Fit`] (the same JSON as before).
pub type BgNbdFit = Fit<BgNbd>;

impl BgNbd {
    /// A model with parameters `r`, `α`, `a`, `b`.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] unless each is positive and finite.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<BgNbd, ClvError> {
        check_positive("r", r)?;
        check_positive("alpha", alpha)?;
        check_positive("a", a)?;
        check_positive("b", b)?;
        Ok(BgNbd { r, alpha, a, b })
    }

    /// The shape of the purchase-rate distribution.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// The rate (inverse scale) of the purchase-rate distribution.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The first shape of the dropout-probability distribution.
    pub fn a(&self) -> f64 {
        self.a
    }

    /// The second shape of the dropout-probability distribution.
    pub fn b(&self) -> f64 {
        self.b
    }

    fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    /// The parameters by name, as [`PurchaseModel::parameters`] lists them.
    pub(crate) fn named(&self) -> Vec<(&'static str, f64)> {
        vec![("r", self.r), ("alpha", self.alpha), ("a", self.a), ("b", self.b)]
    }

    /// [`p_alive`](PurchaseModel::p_alive) under either dropout assumption.
    pub(crate) fn p_alive_when(&self, h: History, dropout: Dropout) -> f64 {
        (-self.ln_odds_dead(h, dropout).map_or(0.0, softplus)).exp()
    }

    /// `ln(P(dead)/P(alive))`, or `None` when the customer cannot have
    /// dropped out (`x = 0` in the BG/NBD).
    fn ln_odds_dead(&self, h: History, dropout: Dropout) -> Option<f64> {
        let History { frequency: x, recency: t_x, age: t } = h;
        dropout.second_term(x).then(|| {
            let xf = f64::from(x);
            self.a.ln() - (self.b + dropout.chances(x) - 1.0).ln()
                + (self.r + xf) * ((self.alpha + t).ln() - (self.alpha + t_x).ln())
        })
    }

    /// [`expected_purchases`](PurchaseModel::expected_purchases) under
    /// either dropout assumption: the dropout chances `x + k` replace `x` in
    /// the beta part (`k` = 0 for the BG/NBD, 1 for the MBG/NBD).
    pub(crate) fn expected_purchases_when(&self, h: History, horizon: f64, dropout: Dropout) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        let History { frequency: x, age: t, .. } = h;
        let xf = f64::from(x);
        // x + k: the chances to drop out so far.
        let xk = dropout.chances(x);
        let k = xk - xf;
        let a = if (self.a - 1.0).abs() < 1e-6 { 1.0 + 1e-6f64.copysign(self.a - 1.0 + 1e-300) } else { self.a };
        let z = horizon / (self.alpha + t + horizon);
        let c = a + self.b + xk - 1.0;
        let ln_1mz = (-z).ln_1p();
        let (f, largest) = hyp2f1_with_magnitude(a + self.b - 1.0 + k - self.r, a - 1.0, c, z);
        // 1 − (1−z)^(a−1)·F, with the power taken through ln_1p for small z.
        let mut bracket = 1.0 - ((a - 1.0) * ln_1mz).exp() * f;
        if !(f.is_finite() && largest <= 1e6 * f.abs()) || bracket * (a - 1.0) * c < 0.0 {
            // The transformed series cancelled: sum the untransformed one,
            // ₂F₁(r+x, b+x+k; c; z), whose terms all have one sign, in log space.
            let power = (self.r + xf) * ln_1mz;
            bracket = if c > 0.0 {
                -(power + ln_hyp2f1_abs_terms(self.r + xf, self.b + xk, c, z, 0)).exp_m1()
            } else {
                -power.exp_m1() + (power + ln_hyp2f1_abs_terms(self.r + xf, self.b + xk, c, z, 1)).exp()
            };
        }
        let unconditional = (c / (a - 1.0) * bracket).max(0.0);
        unconditional * self.p_alive_when(h, dropout)
    }

    /// [`purchases_pmf`](PurchaseModel::purchases_pmf) under either dropout
    /// assumption: alive at `t` after `x` purchases, or dropped out at the
    /// `(x + k)`-th chance with the `x`-th purchase before `t`.
    pub(crate) fn pmf_when(&self, purchases: u32, horizon: f64, dropout: Dropout) -> f64 {
        if horizon.is_nan() || horizon <= 0.0 {
            return if purchases == 0 { 1.0 } else { 0.0 };
        }
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let xk = dropout.chances(purchases);
        let ln_beta = |p: f64, q: f64| ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q);
        let nb = NegativeBinomial::new(r, alpha, horizon);
        let alive = (ln_beta(a, b + xk) - ln_beta(a, b) + nb.ln_pmf(purchases)).exp();
        if xk == 0.0 {
            return alive;
        }
        let dead = (ln_beta(a + 1.0, b + xk - 1.0) - ln_beta(a, b)).exp() * nb.at_least(purchases);
        alive + dead
    }

    /// [`dert`](PurchaseModel::dert) under either dropout assumption.
    ///
    /// Given alive at `T`, `λ ~ Gamma(r+x, α+T)` and `p ~ Beta(a, b')`
    /// (`b' = b+x` or `b+x+1`), and a customer alive at `T` is still alive
    /// at `T+τ` with probability `e^(−λpτ)`, so the discounted purchase
    /// rate integrates over `τ` to Tricomi's function:
    /// `DERT = P(alive) (r+x) ∫₀¹ f(p; a, b') U(1, 1−r−x; δ(α+T)/p) / p dp`,
    /// the outer integral by adaptive quadrature after `p = u^(1/a)` (which
    /// removes the density's singularity at 0).
    pub(crate) fn dert_when(&self, h: History, discount_rate: f64, dropout: Dropout) -> Result<f64, ClvError> {
        dert::check_rate(discount_rate)?;
        let x = f64::from(h.frequency);
        let b_post = self.b + dropout.chances(h.frequency);
        let m = self.r + x + 1.0;
        let scale = discount_rate * (self.alpha + h.age);
        let ln_norm = -(self.a.ln() + ln_gamma(self.a) + ln_gamma(b_post) - ln_gamma(self.a + b_post));
        let inv_a = 1.0 / self.a;
        let integrand = |u: f64| {
            let p = u.powf(inv_a);
            let weight = (ln_norm + (b_post - 1.0) * (-p).ln_1p()).exp();
            let z = scale / p;
            if !(z.is_finite() && z < 1e300) {
                // U(1, ·; z) → 1/z: the rate is λ itself while p ≈ 0.
                return weight / scale;
            }
            dert::tricomi_u1(m, z).map_or(f64::NAN, |v| weight * v / p)
        };
        let value = match dert::integrate_with_error(integrand, 0.0, 1.0, 1e-10) {
            Some((total, error)) if error <= 1e-8 * total.abs() || error == 0.0 => total,
            // A dropout density piled up at both ends (a, b' ≪ 1) defeats
            // the quadrature over p: integrate the expected purchases by
            // parts instead.
            _ => {
                return dert::by_parts(|t| self.expected_purchases_when(h, t, dropout), discount_rate);
            }
        };
        let dert = self.p_alive_when(h, dropout) * (self.r + x) * value;
        if dert.is_finite() { Ok(dert) } else { Err(ClvError::NonFiniteResult { quantity: "DERT" }) }
    }

    /// [`simulate`](PurchaseModel::simulate) under either dropout assumption.
    #[cfg(feature = "sim")]
    pub(crate) fn simulate_when(
        &self,
        customers: usize,
        t: f64,
        seed: u64,
        when: Dropout,
    ) -> Result<FitData, ClvError> {
        use rand::SeedableRng;
        use rand_distr::{Beta, Distribution, Exp1, Gamma};
        check_positive("t", t)?;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let rate = Gamma::new(self.r, 1.0 / self.alpha).map_err(|_| bad_sim("r", self.r))?;
        let dropout = Beta::new(self.a, self.b).map_err(|_| bad_sim("a", self.a))?;
        let mut rows = Vec::with_capacity(customers);
        for _ in 0..customers {
            let lambda: f64 = rate.sample(&mut rng);
            let p: f64 = dropout.sample(&mut rng);
            let (mut x, mut t_x, mut now) = (0u32, 0.0, 0.0);
            // The MBG/NBD's customers may also drop out right after the
            // first purchase.
            let gone_at_once = when == Dropout::AlsoAtFirst && rand::RngExt::random::<f64>(&mut rng) < p;
            while !gone_at_once && x < u32::MAX {
                let wait: f64 = Exp1.sample(&mut rng);
                now += wait / lambda;
                if now > t || !now.is_finite() {
                    break;
                }
                x += 1;
                t_x = now;
                let u: f64 = rand::RngExt::random(&mut rng);
                if u < p {
                    break;
                }
            }
            rows.push((x, t_x, t, 1.0));
        }
        FitData::from_rows(rows)
    }
}

impl PurchaseModel for BgNbd {
    fn name(&self) -> &'static str {
        "BG/NBD"
    }

    /// `r`, `alpha`, `a`, `b`.
    fn parameters(&self) -> Vec<(&'static str, f64)> {
        self.named()
    }

    /// Fits the model by maximum likelihood, from the fixed start
    /// `r = α = a = b = 1`.
    ///
    /// # Formula
    ///
    /// For a customer with history `(x, t_x, T)`, with the last term summed
    /// in log space:
    ///
    /// ```text
    /// ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
    ///        + ln[(α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+t_x)^−(r+x)]
    /// ```
    ///
    /// # Complexity
    ///
    /// Each evaluation is O(patterns), with the gamma functions computed
    /// once per distinct `x`; a fit takes a few dozen evaluations.
    ///
    /// # Errors
    ///
    /// [`ClvError::Unidentifiable`] for data with no customers or no repeat
    /// purchases, [`ClvError::InvalidOption`] for bad options,
    /// [`ClvError::Unbounded`] when a parameter runs off to zero or infinity
    /// (or the search stops with one beyond 10⁶ times the data's scale: a
    /// ridge, such as purchase rates that do not vary between customers)
    /// and [`ClvError::NotConverged`] when the search does not converge.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::{BgNbd, FitData, FitOptions, PurchaseModel};
    ///
    /// let data = FitData::from_rows([(0, 0.0, 30.0, 60.0), (1, 10.0, 30.0, 25.0), (4, 28.0, 30.0, 15.0), (2, 5.0, 30.0, 10.0)])?;
    /// let fit = BgNbd::fit(&data, &FitOptions::default())?;
    /// assert!(fit.log_likelihood < 0.0);
    /// assert!(fit.report.gradient_norm.is_finite());
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    fn fit(data: &FitData, options: &FitOptions) -> Result<Fit<BgNbd>, ClvError> {
        fit(data, options, Dropout::AfterRepeats)
    }

    /// The log-likelihood total of the data under the model.
    ///
    /// # Complexity
    ///
    /// O(patterns).
    fn log_likelihood(&self, data: &FitData) -> f64 {
        -negative_log_likelihood(data, &self.params(), &mut [0.0; 4], Dropout::AfterRepeats)
    }

    /// The probability that a customer with this history is still alive at
    /// `T`.
    ///
    /// **Every customer with no repeat purchase (`x = 0`) gets exactly 1**,
    /// however long ago they bought: in the BG/NBD a customer can drop out
    /// only right after a repeat purchase, so one who never came back has
    /// had no chance to. This is the model, not a rounding; where many
    /// customers buy once, use the [`ModifiedBgNbd`] (or the
    /// [`ParetoNbd`]), which does not share it.
    ///
    /// [`ModifiedBgNbd`]: crate::clv::ModifiedBgNbd
    /// [`ParetoNbd`]: crate::clv::ParetoNbd
    ///
    /// # Formula
    ///
    /// `1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))`
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::{BgNbd, History, ModifiedBgNbd, PurchaseModel};
    ///
    /// let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// // Bought once, 500 weeks ago: still certainly alive to the BG/NBD.
    /// let once = History { frequency: 0, recency: 0.0, age: 500.0 };
    /// assert_eq!(bg.p_alive(once), 1.0);
    /// let mbg = ModifiedBgNbd::new(0.525, 6.183, 0.891, 1.614)?;
    /// assert!(mbg.p_alive(once) < 0.5);
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    ///
    /// # Complexity
    ///
    /// O(1).
    fn p_alive(&self, history: History) -> f64 {
        self.p_alive_when(history, Dropout::AfterRepeats)
    }

    /// Expected purchases in the next `horizon` time units for a customer
    /// with this history.
    ///
    /// # Formula
    ///
    /// With `z = t/(α+T+t)` (Euler's transformation keeps every term of the
    /// hypergeometric series bounded):
    /// `E[X(t)] = (a+b+x−1)/(a−1) · [1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)] · P(alive)`.
    /// At `a = 1` the limit is approached from `a = 1 ± 1e-6`. For a new
    /// customer (`x = t_x = T = 0`) this is
    /// `(a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]`.
    ///
    /// # Complexity
    ///
    /// O(terms of the series), a few dozen unless `t ≫ α + T`.
    fn expected_purchases(&self, history: History, horizon: f64) -> f64 {
        self.expected_purchases_when(history, horizon, Dropout::AfterRepeats)
    }

    /// `P(X(t) = x)` for a new customer (Fader, Hardie & Lee 2005, eq. 8).
    ///
    /// # Formula
    ///
    /// With `NB(j) = Γ(r+j)/(Γ(r) j!) (α/(α+t))^r (t/(α+t))^j`:
    ///
    /// ```text
    /// P(X(t) = x) = B(a, b+x)/B(a, b) · NB(x)
    ///             + 1{x>0} · B(a+1, b+x−1)/B(a, b) · [1 − Σ_{j<x} NB(j)]
    /// ```
    ///
    /// # Complexity
    ///
    /// O(x), and O(terms of the tail) where the tail is small.
    fn purchases_pmf(&self, purchases: u32, horizon: f64) -> f64 {
        self.pmf_when(purchases, horizon, Dropout::AfterRepeats)
    }

    /// Discounted expected residual transactions: see
    /// [`PurchaseModel::dert`].
    ///
    /// # Formula
    ///
    /// No closed form is published. Given alive at `T`, the purchase rate at
    /// `T+τ` is `λ e^(−λpτ)` with `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+x)`;
    /// integrating over `λ` and the discounted `τ` leaves Tricomi's function:
    /// `DERT = P(alive) (r+x) ∫₀¹ f(p; a, b+x) U(1, 1−r−x; δ(α+T)/p) / p dp`,
    /// by adaptive Gauss–Kronrod quadrature (relative tolerance 1e-10) after
    /// `p = u^(1/a)`; where that does not settle to 1e-8 (a dropout density
    /// piled up at both ends, `a, b ≪ 1`), the trait's integral by parts.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] unless `discount_rate` is positive
    /// and finite; [`ClvError::NonFiniteResult`] when the quadrature does
    /// not settle.
    fn dert(&self, history: History, discount_rate: f64) -> Result<f64, ClvError> {
        self.dert_when(history, discount_rate, Dropout::AfterRepeats)
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
        self.simulate_when(customers, age, seed, Dropout::AfterRepeats)
    }
}

/// The negative binomial count of purchases in `(0, t]` of a customer who
/// stays alive: `X ~ Poisson(λt)` with `λ ~ Gamma(r, α)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NegativeBinomial {
    r: f64,
    /// `ln(α/(α+t))`.
    ln_p0: f64,
    /// `ln(t/(α+t))`.
    ln_q: f64,
}

impl NegativeBinomial {
    pub(crate) fn new(r: f64, alpha: f64, t: f64) -> NegativeBinomial {
        NegativeBinomial { r, ln_p0: (alpha / (alpha + t)).ln(), ln_q: (t / (alpha + t)).ln() }
    }

    /// `ln P(X = j)`.
    pub(crate) fn ln_pmf(&self, j: u32) -> f64 {
        let jf = f64::from(j);
        ln_gamma(self.r + jf) - ln_gamma(self.r) - ln_gamma(jf + 1.0) + self.r * self.ln_p0 + jf * self.ln_q
    }

    /// `P(X ≥ x)`: one minus the head where the head is small, else the
    /// tail summed directly (so that a small tail does not cancel).
    pub(crate) fn at_least(&self, x: u32) -> f64 {
        let mut head = 0.0;
        let mut term = (self.r * self.ln_p0).exp();
        for j in 0..x {
            head += term;
            if head > 0.5 {
                return self.tail_from(x);
            }
            term *= (self.r + f64::from(j)) / (f64::from(j) + 1.0) * self.ln_q.exp();
        }
        (1.0 - head).max(0.0)
    }

    fn tail_from(&self, x: u32) -> f64 {
        let q = self.ln_q.exp();
        let mut term = self.ln_pmf(x).exp();
        let mut sum = 0.0;
        let mut j = f64::from(x);
        for _ in 0..1_000_000 {
            sum += term;
            term *= (self.r + j) / (j + 1.0) * q;
            j += 1.0;
            if term <= 1e-17 * sum && (self.r + j) / (j + 1.0) * q < 1.0 {
                break;
            }
        }
        sum.min(1.0)
    }
}

#[cfg(feature = "sim")]
fn bad_sim(name: &'static str, value: f64) -> ClvError {
    ClvError::InvalidParameter { name, value, reason: "the sampler refused it" }
}

/// When a customer may drop out: the BG/NBD's after each repeat purchase,
/// or the MBG/NBD's also right after the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dropout {
    /// After each repeat purchase (BG/NBD).
    AfterRepeats,
    /// After the first purchase and each repeat purchase (MBG/NBD).
    AlsoAtFirst,
}

impl Dropout {
    /// The chances to drop out a customer with `x` repeat purchases has
    /// had: `x`, or `x + 1`.
    fn chances(self, x: u32) -> f64 {
        f64::from(x) + if self == Dropout::AlsoAtFirst { 1.0 } else { 0.0 }
    }

    /// Whether the likelihood has its second term (the customer may have
    /// dropped out after the last purchase).
    fn second_term(self, x: u32) -> bool {
        x > 0 || self == Dropout::AlsoAtFirst
    }
}

/// The fit of either model, from the fixed start, searched in canonical
/// units (time by the mean `T`, weights by their total) and mapped back:
/// `α` times the time scale; the log-likelihood is the model's own on the
/// data.
pub(crate) fn fit(data: &FitData, options: &FitOptions, dropout: Dropout) -> Result<Fit<BgNbd>, ClvError> {
    data.check_identifiable()?;
    let (canonical, time, weight) = data.canonical();
    let scales = optim::Scales { units: [1.0, time, 1.0, 1.0], weight };
    let nll = |p: &[f64; 4], g: &mut [f64; 4]| negative_log_likelihood(&canonical, p, g, dropout);
    let min = optim::minimise(options, ["r", "alpha", "a", "b"], scales.penalty(options), nll)?;
    let [r, alpha, a, b] = scales.natural(&min.params);
    let model = BgNbd::new(r, alpha, a, b)?;
    Ok(Fit {
        model,
        log_likelihood: -negative_log_likelihood(data, &model.params(), &mut [0.0; 4], dropout),
        standard_errors: scales.standard_errors(optim::standard_errors(&min.params, nll)).map(Vec::from),
        report: min.report,
        customers: data.customers(),
        time_unit: data.time_unit,
    })
}

/// The negative log-likelihood total and its gradient in `[r, α, a, b]`.
/// The MBG/NBD's differs in the dropout chances (`x + 1` for `x` in the
/// beta function and in `a/(b+x−1)`) and in having the second term for
/// `x = 0` too.
pub(crate) fn negative_log_likelihood(data: &FitData, p: &[f64; 4], grad: &mut [f64; 4], dropout: Dropout) -> f64 {
    let [r, alpha, a, b] = *p;
    let ln_alpha = alpha.ln();
    let (lg_ab, dg_ab) = (ln_gamma(a + b), digamma(a + b));
    let (lg_r, dg_r, lg_b, dg_b) = (ln_gamma(r), digamma(r), ln_gamma(b), digamma(b));
    let ln_a = a.ln();
    // ln(α+v) and 1/(α+v) once per distinct T and t_x.
    let table = |levels: &crate::clv::data::Levels| -> Vec<(f64, f64)> {
        levels.values.iter().map(|v| ((alpha + v).ln(), 1.0 / (alpha + v))).collect()
    };
    let (at_t, at_tx) = (table(&data.t_levels), table(&data.t_x_levels));
    let mut total = 0.0;
    let mut g = [0.0; 4];
    for (x, start, end) in data.groups() {
        let xf = f64::from(x);
        let xk = dropout.chances(x);
        let second_term = dropout.second_term(x);
        let rx = r + xf;
        let mut weight = 0.0;
        // Σ count · share of the second term, scaled by 1/a and 1/(b+x−1)
        // once per group rather than divided per pattern.
        let (mut sum, mut d_r, mut d_alpha, mut second) = (0.0, 0.0, 0.0, 0.0);
        let ln_ratio = if second_term { ln_a - (b + xk - 1.0).ln() } else { 0.0 };
        for i in start..end {
            let count = data.count[i];
            let (ln_t, inv_t) = at_t[data.t_levels.index[i] as usize];
            let a3 = -rx * ln_t;
            weight += count;
            if second_term {
                let (ln_tx, inv_tx) = at_tx[data.t_x_levels.index[i] as usize];
                let a4 = ln_ratio - rx * ln_tx;
                // ln(e^a3 + e^a4) and the two shares from one exponential.
                let (hi, lo) = if a3 >= a4 { (a3, a4) } else { (a4, a3) };
                // ln(1 + e) as ln of the rounded sum: an absolute error of
                // one ulp of 1 per pattern, far below the fit's tolerance,
                // at half the cost of ln_1p.
                let s = 1.0 + (lo - hi).exp();
                let lse = hi + s.ln();
                let share_hi = 1.0 / s;
                let (w3, w4) = if a3 >= a4 { (share_hi, 1.0 - share_hi) } else { (1.0 - share_hi, share_hi) };
                sum += count * lse;
                d_r -= count * (w3 * ln_t + w4 * ln_tx);
                d_alpha -= count * rx * (w3 * inv_t + w4 * inv_tx);
                second += count * w4;
            } else {
                sum += count * a3;
                d_r -= count * ln_t;
                d_alpha -= count * rx * inv_t;
            }
        }
        let (d_a, d_b) = if second_term { (second / a, -second / (b + xk - 1.0)) } else { (0.0, 0.0) };
        let (lg_rx, lg_bx, lg_abx) = (ln_gamma(rx), ln_gamma(b + xk), ln_gamma(a + b + xk));
        let (dg_rx, dg_bx, dg_abx) = (digamma(rx), digamma(b + xk), digamma(a + b + xk));
        let shared = lg_rx - lg_r + r * ln_alpha + lg_ab + lg_bx - lg_b - lg_abx;
        total += sum + weight * shared;
        g[0] += d_r + weight * (dg_rx - dg_r + ln_alpha);
        g[1] += d_alpha + weight * r / alpha;
        g[2] += d_a + weight * (dg_ab - dg_abx);
        g[3] += d_b + weight * (dg_ab + dg_bx - dg_b - dg_abx);
    }
    for i in 0..4 {
        grad[i] = -g[i];
    }
    -total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> FitData {
        FitData::from_rows([
            (0, 0.0, 30.0, 40.0),
            (1, 12.0, 30.0, 10.0),
            (2, 25.0, 28.0, 7.0),
            (5, 10.0, 30.0, 3.0),
            (7, 29.0, 32.0, 5.0),
            (1, 1.0, 25.0, 8.0),
        ])
        .unwrap()
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let d = data();
        let nll = |p: &[f64; 4], g: &mut [f64; 4]| negative_log_likelihood(&d, p, g, Dropout::AfterRepeats);
        optim::assert_gradient_matches(nll, [0.7, 3.0, 0.9, 2.5]);
    }

    #[test]
    fn likelihood_matches_the_direct_formula() {
        // L = B(a,b+x)/B(a,b) Γ(r+x)α^r/(Γ(r)(α+T)^(r+x)) + a/(b+x−1) B(a,b+x)/B(a,b) Γ(r+x)α^r/(Γ(r)(α+t_x)^(r+x)).
        let m = BgNbd::new(0.5, 2.0, 1.5, 3.0).unwrap();
        let (x, tx, t) = (3.0, 4.0, 9.0);
        let beta = |p: f64, q: f64| ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q);
        let common = beta(1.5, 3.0 + x) - beta(1.5, 3.0) + ln_gamma(0.5 + x) - ln_gamma(0.5) + 0.5 * 2f64.ln();
        let direct = (common.exp() * ((2.0f64 + t).powf(-3.5) + 1.5 / (3.0 + x - 1.0) * (2.0f64 + tx).powf(-3.5))).ln();
        let one = FitData::from_rows([(3, tx, t, 1.0)]).unwrap();
        assert!((m.log_likelihood(&one) - direct).abs() < 1e-12);
    }

    #[test]
    fn expected_purchases_match_the_untransformed_formula() {
        // The published form with ₂F₁(r+x, b+x; a+b+x−1; z) on small arguments.
        let m = BgNbd::new(0.6, 3.0, 0.8, 2.4).unwrap();
        let (x, tx, t, h) = (2u32, 5.0, 10.0, 6.0);
        let xf = f64::from(x);
        let z = h / (3.0 + t + h);
        let f = crate::clv::special::hyp2f1(0.6 + xf, 2.4 + xf, 0.8 + 2.4 + xf - 1.0, z);
        let num = (0.8 + 2.4 + xf - 1.0) / (0.8 - 1.0) * (1.0 - ((3.0 + t) / (3.0 + t + h)).powf(0.6 + xf) * f);
        let den = 1.0 + 0.8 / (2.4 + xf - 1.0) * ((3.0 + t) / (3.0 + tx)).powf(0.6 + xf);
        let hist = History { frequency: x, recency: tx, age: t };
        assert!((m.expected_purchases(hist, h) - num / den).abs() < 1e-12);
        assert_eq!(m.expected_purchases(hist, 0.0), 0.0);
        assert!(m.expected_purchases_new(10.0) > 0.0);
        // a = 1 is a removable singularity.
        let one = BgNbd::new(0.6, 3.0, 1.0, 2.4).unwrap();
        let near = BgNbd::new(0.6, 3.0, 1.0 + 1e-4, 2.4).unwrap();
        assert!((one.expected_purchases(hist, h) - near.expected_purchases(hist, h)).abs() < 1e-3);
    }

    #[test]
    fn rejects_bad_parameters_and_unidentifiable_data() {
        assert!(BgNbd::new(0.0, 1.0, 1.0, 1.0).is_err());
        assert!(BgNbd::new(1.0, f64::NAN, 1.0, 1.0).is_err());
        assert!(serde_json::from_str::<BgNbd>(r#"{"r":-1,"alpha":1,"a":1,"b":1}"#).is_err());
        let zeros = FitData::from_rows([(0, 0.0, 10.0, 5.0)]).unwrap();
        assert!(matches!(BgNbd::fit(&zeros, &FitOptions::default()), Err(ClvError::Unidentifiable { .. })));
        let empty = FitData::from_rows([]).unwrap();
        assert!(matches!(BgNbd::fit(&empty, &FitOptions::default()), Err(ClvError::Unidentifiable { .. })));
    }

    #[test]
    fn reports_data_that_pin_nothing_down_and_non_convergence() {
        // Three histories, one of them with every repeat buyer active until
        // late: the likelihood keeps rising as the dropout parameters run off
        // to a boundary, so the search stops with a typed error naming one.
        let data = FitData::from_rows([(0, 0.0, 20.0, 50.0), (3, 15.0, 20.0, 20.0), (1, 2.0, 20.0, 30.0)]).unwrap();
        let err = BgNbd::fit(&data, &FitOptions::default()).unwrap_err();
        assert!(matches!(err, ClvError::Unbounded { parameter: "a" | "b", .. }), "{err}");
        let short = FitOptions { max_iterations: 2, ..FitOptions::default() };
        assert!(matches!(BgNbd::fit(&self::tests::data(), &short), Err(ClvError::NotConverged { iterations: 2, .. })));
    }

    #[test]
    fn fits_and_round_trips_through_json() {
        let fit = BgNbd::fit(&data(), &FitOptions::default()).unwrap();
        let json = serde_json::to_string(&fit).unwrap();
        let back: BgNbdFit = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fit);
        let h = History { frequency: 2, recency: 25.0, age: 28.0 };
        assert_eq!(back.model.p_alive(h), fit.model.p_alive(h));
        assert!(fit.standard_errors.is_some());
        let penalised = BgNbd::fit(&data(), &FitOptions { l2_penalty: 1.0, ..FitOptions::default() }).unwrap();
        assert!(penalised.log_likelihood <= fit.log_likelihood);
        // The reported log-likelihood is the model's, without the penalty.
        assert_eq!(fit.log_likelihood, fit.model.log_likelihood(&data()));
        assert_eq!(penalised.log_likelihood, penalised.model.log_likelihood(&data()));
    }
}
