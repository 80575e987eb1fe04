//! The [`PurchaseModel`] trait shared by the continuous-time purchase models
//! ([`BgNbd`], [`ModifiedBgNbd`], [`ParetoNbd`]), the customer [`History`]
//! they condition on, and the one fit result [`Fit`].
//!
//! As statrs puts `pdf`/`cdf` on traits that every distribution implements,
//! and linfa puts `fit` on a trait every algorithm implements, every purchase
//! model answers the same questions through one trait, so that valuation,
//! holdout tables and new models take any of them.
//!
//! [`BgNbd`]: crate::clv::BgNbd
//! [`ModifiedBgNbd`]: crate::clv::ModifiedBgNbd
//! [`ParetoNbd`]: crate::clv::ParetoNbd

use serde::{Deserialize, Serialize};

use crate::clv::{ClvError, CustomerSummary, FitData, FitOptions, FitReport, TimeUnit};

/// A customer's purchase history as the purchase models see it, in the
/// model's time unit: a named triple, so that the three numbers cannot be
/// swapped.
///
/// The literature writes it `(x, t_x, T)`; the names follow
/// [`CustomerSummary`]'s `frequency` and `recency`, and `age` for `T`.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{BgNbd, History, PurchaseModel};
///
/// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// // Two repeat purchases, the last 30.43 weeks after the first, observed for 38.86 weeks.
/// let customer = History { frequency: 2, recency: 30.43, age: 38.86 };
/// assert!(model.p_alive(customer) > 0.5);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Repeat purchases (`x`): purchases after the first.
    pub frequency: u32,
    /// Time from the first purchase to the last one (`t_x`; 0 when
    /// `frequency` is 0).
    pub recency: f64,
    /// Time from the first purchase to the end of observation (`T`).
    pub age: f64,
}

impl History {
    /// A customer right at their first purchase: `x = t_x = T = 0`.
    pub const NEW: History = History { frequency: 0, recency: 0.0, age: 0.0 };
}

impl From<&CustomerSummary> for History {
    fn from(c: &CustomerSummary) -> History {
        History { frequency: c.frequency, recency: c.recency, age: c.t }
    }
}

/// A fitted purchase model with what the fit found out; a small serde value
/// (the same JSON as the per-model fit structs it replaces).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit<M> {
    /// The maximum-likelihood parameters.
    pub model: M,
    /// The log-likelihood total at the optimum (without the penalty).
    pub log_likelihood: f64,
    /// Standard errors of the parameters, in the order of
    /// [`PurchaseModel::parameters`], from the Hessian, or `None` when the
    /// Hessian is not positive definite.
    pub standard_errors: Option<Vec<f64>>,
    /// Iterations, evaluations, the gradient norm at the optimum and how
    /// the stop was decided.
    pub report: FitReport,
    /// The number of customers fitted (the total count).
    pub customers: f64,
    /// The time unit of the data, when known.
    pub time_unit: Option<TimeUnit>,
}

impl<M> Fit<M> {
    /// The same fit with its model mapped (for instance into a wrapper).
    pub(crate) fn map<N>(self, f: impl FnOnce(M) -> N) -> Fit<N> {
        Fit {
            model: f(self.model),
            log_likelihood: self.log_likelihood,
            standard_errors: self.standard_errors,
            report: self.report,
            customers: self.customers,
            time_unit: self.time_unit,
        }
    }
}

impl<M: PurchaseModel> Fit<M> {
    /// The standard errors by parameter name, or `None` when the Hessian is
    /// not positive definite.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::{BgNbd, FitData, FitOptions, PurchaseModel};
    ///
    /// let data = FitData::from_rows([(0, 0.0, 30.0, 60.0), (1, 10.0, 30.0, 25.0), (4, 28.0, 30.0, 15.0), (2, 5.0, 30.0, 10.0)])?;
    /// let fit = BgNbd::fit(&data, &FitOptions::default())?;
    /// let named = fit.named_standard_errors().expect("a positive definite Hessian");
    /// assert_eq!(named[0].0, "r");
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    pub fn named_standard_errors(&self) -> Option<Vec<(&'static str, f64)>> {
        let se = self.standard_errors.as_ref()?;
        Some(self.model.parameters().iter().map(|&(name, _)| name).zip(se.iter().copied()).collect())
    }
}

/// A continuous-time "buy till you die" purchase model: while alive, a
/// customer buys as a Poisson process; at some point, unobserved, they stop
/// for good. Every method that is about one customer takes their
/// [`History`] in the model's time unit.
///
/// Implemented by [`BgNbd`](crate::clv::BgNbd),
/// [`ModifiedBgNbd`](crate::clv::ModifiedBgNbd),
/// [`ParetoNbd`](crate::clv::ParetoNbd) and by the run-time choice among
/// them, [`ModelChoice`](crate::clv::ModelChoice). The discrete-time and
/// contractual models ([`BgBb`](crate::clv::BgBb),
/// [`RetentionModel`](crate::clv::RetentionModel)) count opportunities, not
/// time, and do not implement it.
///
/// # Example
///
/// Code written once for any of the models:
///
/// ```
/// use customer_lifecycle::clv::{BgNbd, History, ModifiedBgNbd, ParetoNbd, PurchaseModel};
///
/// fn next_year<M: PurchaseModel>(model: &M, customer: History) -> f64 {
///     model.expected_purchases(customer, 52.0)
/// }
/// let customer = History { frequency: 2, recency: 30.43, age: 38.86 };
/// let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let pn = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?;
/// let mbg = ModifiedBgNbd::new(0.525, 6.183, 0.891, 1.614)?;
/// for e in [next_year(&bg, customer), next_year(&pn, customer), next_year(&mbg, customer)] {
///     assert!(e > 0.5 && e < 3.0);
/// }
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
pub trait PurchaseModel {
    /// The model's name as the literature writes it (`"BG/NBD"`).
    fn name(&self) -> &'static str;

    /// The parameters by name, in the literature's order (`r, α, a, b` or
    /// `r, α, s, β`), the order of [`Fit::standard_errors`].
    fn parameters(&self) -> Vec<(&'static str, f64)>;

    /// Fits the model by maximum likelihood.
    ///
    /// # Errors
    ///
    /// [`ClvError::Unidentifiable`] for data with no customers or no repeat
    /// purchases, [`ClvError::InvalidOption`] for bad options,
    /// [`ClvError::Unbounded`] when a parameter runs off to zero or
    /// infinity, [`ClvError::NotConverged`] when the search does not
    /// converge.
    fn fit(data: &FitData, options: &FitOptions) -> Result<Fit<Self>, ClvError>
    where
        Self: Sized;

    /// The log-likelihood total of the data under the model.
    fn log_likelihood(&self, data: &FitData) -> f64;

    /// The probability that a customer with this history is still alive at
    /// the end of observation.
    fn p_alive(&self, history: History) -> f64;

    /// Expected purchases in the next `horizon` time units for a customer
    /// with this history; 0 for a horizon that is not positive.
    fn expected_purchases(&self, history: History, horizon: f64) -> f64;

    /// Expected purchases in the first `horizon` time units after a new
    /// customer's first purchase: [`expected_purchases`](Self::expected_purchases)
    /// at [`History::NEW`].
    fn expected_purchases_new(&self, horizon: f64) -> f64 {
        self.expected_purchases(History::NEW, horizon)
    }

    /// The probability mass function of a new customer's repeat purchases:
    /// `P(X(t) = purchases)` for `t = horizon` time units after the first
    /// purchase. Its mean over `purchases` is
    /// [`expected_purchases_new`](Self::expected_purchases_new).
    fn purchases_pmf(&self, purchases: u32, horizon: f64) -> f64;

    /// Discounted expected residual transactions: the purchases still to
    /// come from a customer with this history, each discounted continuously
    /// at `discount_rate` per time unit (`δ`; an annual rate `d` compounded
    /// once a year is `δ = ln(1 + d)` per year, divided by the time units in
    /// a year).
    ///
    /// # Formula
    ///
    /// `DERT = ∫₀^∞ e^(−δτ) dE[X(T, T+τ)] = ∫₀¹ E[X(T, T − ln(1−v)/δ)] dv`
    /// (by parts, then `v = 1 − e^(−δτ)`): the default integrates the
    /// model's own conditional expected purchases over `v` by adaptive
    /// Gauss–Kronrod quadrature to a relative tolerance of 1e-9 (1e-6 where
    /// the expected purchases are themselves less accurate, as next to the
    /// BG/NBD's removable singularity at `a = 1`). The Pareto/NBD overrides
    /// it with its closed form.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] unless `discount_rate` is positive
    /// and finite; [`ClvError::NonFiniteResult`] when the integral does
    /// not settle (for instance a dropout so slow that the expected
    /// purchases grow faster than the discount shrinks them).
    fn dert(&self, history: History, discount_rate: f64) -> Result<f64, ClvError> {
        crate::clv::dert::by_parts(|horizon| self.expected_purchases(history, horizon), discount_rate)
    }

    /// Simulates `customers` customers observed for `age` time units after
    /// their first purchase, from a seed (`ChaCha8`).
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] when `age` is not positive and finite.
    #[cfg(feature = "sim")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
    fn simulate(&self, customers: usize, age: f64, seed: u64) -> Result<FitData, ClvError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::{BgNbd, ModelChoice, ModifiedBgNbd, ParetoNbd, dert};

    /// The published CDNOW fits, in weeks.
    fn cdnow() -> [ModelChoice; 3] {
        [
            BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap().into(),
            ModifiedBgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap().into(),
            ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap().into(),
        ]
    }

    fn close(got: f64, want: f64, tol: f64) -> bool {
        (got - want).abs() <= tol * want.abs()
    }

    #[test]
    fn the_pmf_sums_to_one_and_its_mean_is_the_expected_purchases() {
        let steep = ParetoNbd::new(3.0, 2.0, 40.0, 800.0).unwrap().into();
        for model in cdnow().into_iter().chain([steep]) {
            for t in [0.5, 10.0, 39.0, 150.0] {
                let (mut total, mut mean, mut x) = (0.0, 0.0, 0u32);
                while x < 5_000 {
                    let p = model.purchases_pmf(x, t);
                    assert!((0.0..=1.0).contains(&p), "{} P(X({t}) = {x}) = {p}", model.name());
                    total += p;
                    mean += f64::from(x) * p;
                    x += 1;
                    if 1.0 - total < 1e-13 && p < 1e-15 {
                        break;
                    }
                }
                assert!((total - 1.0).abs() < 1e-9, "{} at t = {t}: Σ P = {total}", model.name());
                let expected = model.expected_purchases_new(t);
                assert!(close(mean, expected, 1e-7), "{} at t = {t}: Σ x P = {mean} vs {expected}", model.name());
            }
            assert_eq!(model.purchases_pmf(0, 0.0), 1.0);
            assert_eq!(model.purchases_pmf(3, 0.0), 0.0);
        }
    }

    #[test]
    fn the_bgnbd_pmf_matches_eq_8_term_by_term() {
        // P(X(t) = 1) from Fader, Hardie & Lee (2005) eq. 8, written out.
        let (r, alpha, a, b, t) = (0.243f64, 4.414f64, 0.793f64, 2.426f64, 20.0f64);
        let beta = |p: f64, q: f64| {
            use crate::clv::special::ln_gamma;
            (ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q)).exp()
        };
        let p0 = (alpha / (alpha + t)).powf(r);
        let nb1 = r * p0 * t / (alpha + t);
        let want = beta(a, b + 1.0) / beta(a, b) * nb1 + beta(a + 1.0, b) / beta(a, b) * (1.0 - p0);
        let got = BgNbd::new(r, alpha, a, b).unwrap().purchases_pmf(1, t);
        assert!(close(got, want, 1e-12), "{got} vs {want}");
    }

    /// Independent values from `scripts/dert_crosscheck.py` (mpmath at 30
    /// digits: the Pareto/NBD through mpmath's `hyperu(s, s, z)`, the BG
    /// models by integrating their discounted purchase rate), at 15% a year
    /// compounded continuously per week, δ = ln(1.15)/52.
    #[test]
    fn dert_matches_independent_high_precision_values() {
        let delta = 1.15f64.ln() / 52.0;
        let [bg, mbg, pn] = cdnow();
        let two = History { frequency: 2, recency: 30.43, age: 38.86 };
        let zero = History { frequency: 0, recency: 0.0, age: 38.86 };
        let heavy = ParetoNbd::new(0.8, 9.0, 45.0, 900.0).unwrap();
        for (name, got, want) in [
            ("pareto x=2", pn.dert(two, delta), 6.501_730_537_564_229),
            ("pareto x=0", pn.dert(zero, delta), 0.478_457_669_514_607_9),
            (
                "pareto large s, β",
                heavy.dert(History { frequency: 5, recency: 20.0, age: 52.0 }, delta),
                0.025_336_150_794_072_346,
            ),
            ("bg x=2", bg.dert(two, delta), 5.169_553_928_437_522),
            ("mbg x=2", mbg.dert(two, delta), 4.924_675_786_022_497_4),
            ("mbg x=0", mbg.dert(zero, delta), 0.724_823_222_947_194_3),
        ] {
            let got = got.unwrap();
            // 1e-7: the large-s case differs by 1.4e-8, from the Pareto/NBD's
            // P(alive) series (the DERT factor itself agrees to 1e-15).
            assert!(close(got, want, 1e-7), "{name}: {got} vs {want}");
        }
    }

    #[test]
    fn pareto_closed_form_matches_the_integral_of_its_discounted_purchase_rate() {
        for (model, delta) in [
            (ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap(), 0.0027),
            (ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap(), 0.5),
            // Large s and β, where the series for U(s, s; z) fails.
            (ParetoNbd::new(2.0, 30.0, 80.0, 3_000.0).unwrap(), 0.0027),
            (ParetoNbd::new(0.3, 0.5, 150.0, 20_000.0).unwrap(), 0.0001),
            (ParetoNbd::new(0.3, 0.5, 0.05, 0.01).unwrap(), 0.02),
        ] {
            for h in [
                History::NEW,
                History { frequency: 4, recency: 30.0, age: 40.0 },
                History { frequency: 1, recency: 2.0, age: 90.0 },
            ] {
                let closed = model.dert(h, delta).unwrap();
                // The rate at T + τ: P(alive) (r+x)/(α+T) ((β+T)/(β+T+τ))^s.
                let lead = model.p_alive(h) * (model.r() + f64::from(h.frequency)) / (model.alpha() + h.age);
                let b = model.beta() + h.age;
                let rate = |v: f64| {
                    let tau = -(-v).ln_1p() / delta;
                    lead * (b / (b + tau)).powf(model.s()) / delta
                };
                let integral = dert::integrate(rate, 0.0, 1.0, 1e-11).unwrap();
                let by_parts = dert::by_parts(|t| model.expected_purchases(h, t), delta).unwrap();
                assert!(close(closed, integral, 1e-8), "{model:?} {h:?} δ {delta}: {closed} vs {integral}");
                assert!(close(closed, by_parts, 1e-7), "{model:?} {h:?} δ {delta}: {closed} vs {by_parts}");
            }
        }
    }

    #[test]
    fn bg_dert_matches_a_fine_discrete_sum() {
        // Σ [E(iΔ) − E((i−1)Δ)] e^(−δ(i−½)Δ), Δ = 0.05, to where e^(−δτ) < 1e-10.
        let delta = 0.02;
        let [bg, mbg, _] = cdnow();
        for model in [bg, mbg] {
            for h in [
                History { frequency: 2, recency: 30.43, age: 38.86 },
                History { frequency: 0, recency: 0.0, age: 10.0 },
            ] {
                let step = 0.05;
                let (mut sum, mut previous) = (0.0, 0.0);
                for i in 1..=23_100 {
                    let t = f64::from(i) * step;
                    let now = model.expected_purchases(h, t);
                    sum += (now - previous) * (-delta * (t - 0.5 * step)).exp();
                    previous = now;
                }
                let dert = model.dert(h, delta).unwrap();
                assert!(close(dert, sum, 1e-6), "{} {h:?}: {dert} vs {sum}", model.name());
            }
        }
    }

    #[test]
    fn bg_dert_by_the_beta_mixture_matches_the_integral_by_parts() {
        // Two ways: the models' own (over p, with Tricomi's function) and the
        // trait's default (by parts over the expected purchases), including
        // a = 1, the expected purchases' removable singularity.
        for (r, alpha, a, b) in
            [(0.243, 4.414, 0.793, 2.426), (0.525, 6.183, 0.891, 1.614), (2.0, 10.0, 1.0, 3.0), (0.5, 2.0, 3.5, 0.4)]
        {
            let models: [ModelChoice; 2] =
                [BgNbd::new(r, alpha, a, b).unwrap().into(), ModifiedBgNbd::new(r, alpha, a, b).unwrap().into()];
            for model in models {
                for h in [
                    History::NEW,
                    History { frequency: 3, recency: 20.0, age: 39.0 },
                    History { frequency: 1, recency: 1.0, age: 80.0 },
                ] {
                    for delta in [0.0027, 0.05] {
                        let mixture = model.dert(h, delta).unwrap();
                        let by_parts = dert::by_parts(|t| model.expected_purchases(h, t), delta).unwrap();
                        // 5e-6: at a = 1 the expected purchases are taken at
                        // a = 1 ± 1e-6, which moves them by about that much.
                        assert!(close(mixture, by_parts, 5e-6), "{model:?} {h:?} δ {delta}: {mixture} vs {by_parts}");
                    }
                }
            }
        }
    }

    #[test]
    fn dert_refuses_bad_rates_and_falls_as_the_rate_rises() {
        for model in cdnow() {
            let h = History { frequency: 3, recency: 20.0, age: 30.0 };
            for bad in [0.0, -0.1, f64::NAN, f64::INFINITY] {
                let err = model.dert(h, bad).unwrap_err();
                assert!(matches!(err, ClvError::InvalidParameter { name: "discount_rate", .. }), "{err}");
            }
            let rates = [0.001, 0.01, 0.1, 1.0];
            let values: Vec<f64> = rates.iter().map(|&d| model.dert(h, d).unwrap()).collect();
            assert!(values.windows(2).all(|w| w[0] > w[1]), "{}: {values:?}", model.name());
        }
    }

    #[test]
    fn named_parameters_and_standard_errors_line_up() {
        let [bg, mbg, pn] = cdnow();
        assert_eq!(bg.parameters().iter().map(|p| p.0).collect::<Vec<_>>(), ["r", "alpha", "a", "b"]);
        assert_eq!(mbg.parameters()[3], ("b", 1.614));
        assert_eq!(pn.parameters()[2], ("s", 0.606));
        assert_eq!((bg.name(), mbg.name(), pn.name()), ("BG/NBD", "MBG/NBD", "Pareto/NBD"));
        let fit = Fit {
            model: pn,
            log_likelihood: -1.0,
            standard_errors: Some(vec![0.1, 0.2, 0.3, 0.4]),
            report: FitReport { iterations: 0, evaluations: 0, gradient_norm: 0.0, stop: crate::clv::Stop::Gradient },
            customers: 1.0,
            time_unit: None,
        };
        assert_eq!(fit.named_standard_errors().unwrap()[3], ("beta", 0.4));
    }
}
