//! The modified BG/NBD model (MBG/NBD; Batislam, Denizel & Filiztekin 2007,
//! "Empirical validation and comparison of models for customer base
//! analysis"): the BG/NBD, except that a customer may also drop out right
//! after the first purchase, so a customer with no repeat purchases is not
//! certainly alive.

use serde::{Deserialize, Serialize};

use crate::clv::bgnbd::{self, Dropout};
use crate::clv::{BgNbd, ClvError, Fit, FitData, FitOptions, History, PurchaseModel};

/// A modified BG/NBD (MBG/NBD) model: while alive, a customer buys as a
/// Poisson process with rate λ ~ Gamma(r, α); right after the first purchase
/// and after each repeat purchase they drop out with probability
/// p ~ Beta(a, b). The four parameters are each positive and finite, and
/// serialise as the [`BgNbd`]'s do.
///
/// Against the [`BgNbd`], the MBG/NBD does not take a customer who never
/// came back for certainly alive, which matters where many buy once.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{History, ModifiedBgNbd, PurchaseModel};
///
/// // The MBG/NBD fitted to the CDNOW cohort, in weeks.
/// let model = ModifiedBgNbd::new(0.525, 6.183, 0.891, 1.614)?;
/// assert!(model.p_alive(History { frequency: 0, recency: 0.0, age: 38.86 }) < 1.0); // a BG/NBD would say 1
/// let recent = History { frequency: 2, recency: 30.43, age: 38.86 };
/// let lapsed = History { recency: 10.0, ..recent };
/// assert!(model.expected_purchases(recent, 39.0) > model.expected_purchases(lapsed, 39.0));
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ModifiedBgNbd(BgNbd);

/// A fitted [`ModifiedBgNbd`]: the generic [`Fit`] (the same JSON as
/// before).
pub type ModifiedBgNbdFit = Fit<ModifiedBgNbd>;

impl ModifiedBgNbd {
    /// A model with parameters `r`, `α`, `a`, `b`.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] unless each is positive and finite.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<ModifiedBgNbd, ClvError> {
        BgNbd::new(r, alpha, a, b).map(ModifiedBgNbd)
    }

    /// The shape of the purchase-rate distribution.
    pub fn r(&self) -> f64 {
        self.0.r()
    }

    /// The rate (inverse scale) of the purchase-rate distribution.
    pub fn alpha(&self) -> f64 {
        self.0.alpha()
    }

    /// The first shape of the dropout-probability distribution.
    pub fn a(&self) -> f64 {
        self.0.a()
    }

    /// The second shape of the dropout-probability distribution.
    pub fn b(&self) -> f64 {
        self.0.b()
    }
}

impl PurchaseModel for ModifiedBgNbd {
    fn name(&self) -> &'static str {
        "MBG/NBD"
    }

    /// `r`, `alpha`, `a`, `b`.
    fn parameters(&self) -> Vec<(&'static str, f64)> {
        self.0.named()
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
    /// ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x+1) − ln B(a, b)
    ///        + ln[(α+T)^−(r+x) + a/(b+x) · (α+t_x)^−(r+x)]
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
    /// use customer_lifecycle::clv::{FitData, FitOptions, ModifiedBgNbd, PurchaseModel};
    ///
    /// let data = FitData::from_rows([(0, 0.0, 38.0, 500.0), (2, 30.4, 38.9, 120.0), (5, 36.0, 38.0, 40.0), (1, 8.0, 37.0, 90.0)])?;
    /// let fit = ModifiedBgNbd::fit(&data, &FitOptions::default())?;
    /// assert!(fit.log_likelihood < 0.0);
    ///
    /// // Here the likelihood keeps rising as r and α run off together:
    /// // no finite model is the best fit, and the fit says so.
    /// let ridge = FitData::from_rows([(0, 0.0, 30.0, 60.0), (1, 10.0, 30.0, 25.0), (4, 28.0, 30.0, 15.0), (2, 5.0, 30.0, 10.0)])?;
    /// let err = ModifiedBgNbd::fit(&ridge, &FitOptions::default()).unwrap_err();
    /// assert!(matches!(err, customer_lifecycle::clv::ClvError::Unbounded { parameter: "r" | "alpha", towards: "infinity" }));
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    fn fit(data: &FitData, options: &FitOptions) -> Result<Fit<ModifiedBgNbd>, ClvError> {
        Ok(bgnbd::fit(data, options, Dropout::AlsoAtFirst)?.map(ModifiedBgNbd))
    }

    /// The log-likelihood total of the data under the model.
    ///
    /// # Complexity
    ///
    /// O(patterns).
    fn log_likelihood(&self, data: &FitData) -> f64 {
        let p = [self.r(), self.alpha(), self.a(), self.b()];
        -bgnbd::negative_log_likelihood(data, &p, &mut [0.0; 4], Dropout::AlsoAtFirst)
    }

    /// The probability that a customer with this history is still alive at
    /// `T`; below 1 for `x = 0` too.
    ///
    /// # Formula
    ///
    /// `1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x))`
    ///
    /// # Complexity
    ///
    /// O(1).
    fn p_alive(&self, history: History) -> f64 {
        self.0.p_alive_when(history, Dropout::AlsoAtFirst)
    }

    /// Expected purchases in the next `horizon` time units for a customer
    /// with this history.
    ///
    /// # Formula
    ///
    /// With `z = t/(α+T+t)`:
    /// `E[X(t)] = (a+b+x)/(a−1) · [1 − (1−z)^(r+x) ₂F₁(r+x, b+x+1; a+b+x; z)] · P(alive)`,
    /// summed after Euler's transformation as for the [`BgNbd`]. For a new
    /// customer this is `b/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))]`.
    ///
    /// # Complexity
    ///
    /// O(terms of the series), a few dozen unless `t ≫ α + T`.
    fn expected_purchases(&self, history: History, horizon: f64) -> f64 {
        self.0.expected_purchases_when(history, horizon, Dropout::AlsoAtFirst)
    }

    /// `P(X(t) = x)` for a new customer, as the BG/NBD's (Fader, Hardie &
    /// Lee 2005, eq. 8) with one more chance to drop out.
    ///
    /// # Formula
    ///
    /// With `NB(j) = Γ(r+j)/(Γ(r) j!) (α/(α+t))^r (t/(α+t))^j`:
    /// `P(X(t) = x) = B(a, b+x+1)/B(a, b) · NB(x) + B(a+1, b+x)/B(a, b) · [1 − Σ_{j<x} NB(j)]`:
    /// alive after `x + 1` chances to drop out, or gone at the last of them.
    ///
    /// # Complexity
    ///
    /// O(x), and O(terms of the tail) where the tail is small.
    fn purchases_pmf(&self, purchases: u32, horizon: f64) -> f64 {
        self.0.pmf_when(purchases, horizon, Dropout::AlsoAtFirst)
    }

    /// Discounted expected residual transactions, as the [`BgNbd`]'s with
    /// `p ~ Beta(a, b+x+1)` given alive: see [`PurchaseModel::dert`].
    ///
    /// # Formula
    ///
    /// `DERT = P(alive) (r+x) ∫₀¹ f(p; a, b+x+1) U(1, 1−r−x; δ(α+T)/p) / p dp`.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] unless `discount_rate` is positive
    /// and finite; [`ClvError::NonFiniteResult`] when the quadrature does
    /// not settle.
    fn dert(&self, history: History, discount_rate: f64) -> Result<f64, ClvError> {
        self.0.dert_when(history, discount_rate, Dropout::AlsoAtFirst)
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
        self.0.simulate_when(customers, age, seed, Dropout::AlsoAtFirst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn likelihood_matches_the_direct_formula() {
        // L = B(a,b+x+1)/B(a,b) Γ(r+x)α^r/Γ(r) [(α+T)^−(r+x) + a/(b+x) (α+t_x)^−(r+x)],
        // for x = 0 as well as x > 0.
        let (r, alpha, a, b) = (0.5, 2.0, 1.5, 3.0);
        let m = ModifiedBgNbd::new(r, alpha, a, b).unwrap();
        let ln_beta = |p: f64, q: f64| {
            crate::clv::special::ln_gamma(p) + crate::clv::special::ln_gamma(q) - crate::clv::special::ln_gamma(p + q)
        };
        for (x, tx, t) in [(3u32, 4.0, 9.0), (0, 0.0, 9.0)] {
            let xf = f64::from(x);
            let common = ln_beta(a, b + xf + 1.0) - ln_beta(a, b) + crate::clv::special::ln_gamma(r + xf)
                - crate::clv::special::ln_gamma(r)
                + r * alpha.ln();
            let direct =
                (common.exp() * ((alpha + t).powf(-(r + xf)) + a / (b + xf) * (alpha + tx).powf(-(r + xf)))).ln();
            let one = FitData::from_rows([(x, tx, t, 1.0)]).unwrap();
            assert!((m.log_likelihood(&one) - direct).abs() < 1e-12, "x = {x}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let d = FitData::from_rows([
            (0, 0.0, 30.0, 40.0),
            (1, 12.0, 30.0, 10.0),
            (5, 10.0, 30.0, 3.0),
            (2, 25.0, 28.0, 7.0),
        ])
        .unwrap();
        let nll = |p: &[f64; 4], g: &mut [f64; 4]| bgnbd::negative_log_likelihood(&d, p, g, Dropout::AlsoAtFirst);
        crate::clv::optim::assert_gradient_matches(nll, [0.7, 3.0, 0.9, 2.5]);
    }

    #[test]
    fn predictions_follow_the_closed_forms() {
        let (r, alpha, a, b) = (0.525, 6.183, 0.891, 1.614);
        let m = ModifiedBgNbd::new(r, alpha, a, b).unwrap();
        // P(alive) for a one-time buyer: 1/(1 + a/b · ((α+T)/α)^r).
        let t = 38.86;
        assert!(
            (m.p_alive(History { frequency: 0, recency: 0.0, age: t })
                - 1.0 / (1.0 + a / b * ((alpha + t) / alpha).powf(r)))
            .abs()
                < 1e-14
        );
        // Conditional expectation, untransformed, on small arguments.
        let (x, tx, h) = (2u32, 30.43, 39.0);
        let xf = f64::from(x);
        let z = h / (alpha + t + h);
        let f = crate::clv::special::hyp2f1(r + xf, b + xf + 1.0, a + b + xf, z);
        let num = (a + b + xf) / (a - 1.0) * (1.0 - ((alpha + t) / (alpha + t + h)).powf(r + xf) * f);
        let den = 1.0 + a / (b + xf) * ((alpha + t) / (alpha + tx)).powf(r + xf);
        assert!((m.expected_purchases(History { frequency: x, recency: tx, age: t }, h) - num / den).abs() < 1e-10);
        // The new-customer form.
        let f0 = crate::clv::special::hyp2f1(r, b + 1.0, a + b, h / (alpha + h));
        let new = b / (a - 1.0) * (1.0 - (alpha / (alpha + h)).powf(r) * f0);
        assert!((m.expected_purchases_new(h) - new).abs() < 1e-10);
    }

    #[test]
    fn serialises_as_the_parameters() {
        let m = ModifiedBgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"r":0.525,"alpha":6.183,"a":0.891,"b":1.614}"#);
        assert_eq!(serde_json::from_str::<ModifiedBgNbd>(&json).unwrap(), m);
        assert!(serde_json::from_str::<ModifiedBgNbd>(r#"{"r":0,"alpha":1,"a":1,"b":1}"#).is_err());
    }
}
