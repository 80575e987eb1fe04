//! Contractual churn: the shifted-beta-geometric (sBG) model of Fader &
//! Hardie (2007, "How to Project Customer Retention") and its
//! beta-discrete-Weibull (BdW) extension (Fader, Hardie, Liu, Davin &
//! Steenburgh 2018, "How to Project Customer Retention Revisited").
//!
//! A subscriber renews at the end of each period or leaves for good. Each
//! has their own churn probability θ ~ Beta(α, β) (sBG): as the cohort ages,
//! those with a high θ leave first, so the cohort's retention rate rises
//! even though no one's own θ changes. The BdW lets each subscriber's churn
//! probability change with tenure too: P(T > t | θ) = (1 − θ)^(t^c), rising
//! for c < 1 and falling for c > 1; c = 1 is the sBG.
//!
//! Data are survivor counts per cohort, `n_0, n_1, …, n_last`: `n_t`
//! subscribers of the cohort still active after t periods (as
//! [`analytics::CohortTable`](crate::analytics::CohortTable) counts them).
//! Several cohorts that started in different periods share the parameters;
//! each contributes as many periods as it has been observed.

use serde::{Deserialize, Serialize};

use crate::clv::LikelihoodRatio;
use crate::clv::optim::{self, FitOptions, FitReport};
use crate::clv::special::{digamma, ln_gamma, log_sub_exp};
use crate::clv::{ClvError, check_positive};

/// The most periods a survival sum runs before giving up, for
/// [`RetentionModel::derl`].
const MAX_PERIODS: u32 = 10_000_000;

/// A retention model: the BdW with parameters α, β (of the churn
/// probability) and c (how it changes with tenure; 1 for the sBG).
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{FitOptions, RetentionModel};
///
/// // Survivors per 1,000 of the "regular" cohort, years 0–7 (Fader & Hardie 2007).
/// let regular = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0];
/// let fit = RetentionModel::fit_sbg(&[&regular[..]], &FitOptions::default())?;
/// assert!((fit.model.alpha() - 0.704).abs() < 1e-3 && (fit.model.beta() - 1.182).abs() < 1e-3);
/// // Retention rises with tenure: those likely to leave have left.
/// assert!(fit.model.retention(2) > fit.model.retention(1));
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawRetention")]
pub struct RetentionModel {
    alpha: f64,
    beta: f64,
    c: f64,
}

#[derive(Deserialize)]
struct RawRetention {
    alpha: f64,
    beta: f64,
    c: f64,
}

impl TryFrom<RawRetention> for RetentionModel {
    type Error = ClvError;

    fn try_from(raw: RawRetention) -> Result<Self, ClvError> {
        RetentionModel::bdw(raw.alpha, raw.beta, raw.c)
    }
}

/// A fitted [`RetentionModel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionFit {
    /// The maximum-likelihood parameters.
    pub model: RetentionModel,
    /// The log-likelihood total `Σ (n_{t−1} − n_t) ln P(T = t) + n_last ln
    /// S(last)` over the cohorts, without a multinomial constant.
    pub log_likelihood: f64,
    /// Standard errors of the fitted parameters (α, β for the sBG; α, β, c
    /// for the BdW), when the Hessian could be inverted.
    pub standard_errors: Option<Vec<f64>>,
    /// Iterations, evaluations and the gradient norm at the optimum.
    pub report: FitReport,
}

impl RetentionModel {
    /// The sBG with these parameters.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] for a parameter that is not positive
    /// and finite.
    pub fn sbg(alpha: f64, beta: f64) -> Result<Self, ClvError> {
        Self::bdw(alpha, beta, 1.0)
    }

    /// The BdW with these parameters.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] for a parameter that is not positive
    /// and finite.
    pub fn bdw(alpha: f64, beta: f64, c: f64) -> Result<Self, ClvError> {
        check_positive("alpha", alpha)?;
        check_positive("beta", beta)?;
        check_positive("c", c)?;
        Ok(RetentionModel { alpha, beta, c })
    }

    /// α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// β.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// c (1 for the sBG).
    pub fn c(&self) -> f64 {
        self.c
    }

    /// Fits the sBG (c = 1) to one or more cohorts' survivor counts.
    ///
    /// # Formula
    ///
    /// ```text
    /// P(T = t) = B(α+1, β+t−1)/B(α,β),   S(t) = B(α, β+t)/B(α,β)
    /// LL = Σ_cohorts [Σ_{t=1}^{last} (n_{t−1} − n_t) ln P(T = t) + n_last ln S(last)]
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] naming the first bad cohort (fewer than two
    /// counts, a first count that is not positive, a count that is not
    /// finite or is negative, survivors that increase),
    /// [`ClvError::Unidentifiable`] for no cohorts or no churn at all, and
    /// the errors of the search.
    ///
    /// # Complexity
    ///
    /// O(iterations × Σ periods).
    pub fn fit_sbg(cohorts: &[&[f64]], options: &FitOptions) -> Result<RetentionFit, ClvError> {
        fit_cohorts(cohorts, options, ["alpha", "beta"], |p: &[f64; 2]| (p[0], p[1], 1.0))
    }

    /// Fits the BdW to one or more cohorts' survivor counts.
    ///
    /// # Formula
    ///
    /// ```text
    /// S(t) = B(α, β + t^c)/B(α,β),   P(T = t) = S(t−1) − S(t)
    /// ```
    ///
    /// and the log-likelihood of [`fit_sbg`](RetentionModel::fit_sbg).
    ///
    /// # Errors
    ///
    /// As [`fit_sbg`](RetentionModel::fit_sbg).
    ///
    /// # Complexity
    ///
    /// O(iterations × Σ periods).
    pub fn fit_bdw(cohorts: &[&[f64]], options: &FitOptions) -> Result<RetentionFit, ClvError> {
        fit_cohorts(cohorts, options, ["alpha", "beta", "c"], |p: &[f64; 3]| (p[0], p[1], p[2]))
    }

    /// The log-likelihood of the cohorts (see
    /// [`fit_sbg`](RetentionModel::fit_sbg)).
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] naming the first bad cohort.
    pub fn log_likelihood(&self, cohorts: &[&[f64]]) -> Result<f64, ClvError> {
        check_cohorts(cohorts)?;
        Ok(-cohorts_nll(self.alpha, self.beta, self.c, cohorts, 1.0, &mut [0.0; 3]))
    }

    /// S(t): the share of a new cohort still active after `t` periods;
    /// S(0) = 1.
    pub fn survival(&self, t: u32) -> f64 {
        ln_survival(self.alpha, self.beta, self.c, f64::from(t)).0.exp()
    }

    /// P(T = t): the share of a new cohort that leaves at the end of period
    /// `t` (t ≥ 1; 0 for t = 0).
    pub fn churn(&self, t: u32) -> f64 {
        if t == 0 {
            return 0.0;
        }
        let (before, _) = ln_survival(self.alpha, self.beta, self.c, f64::from(t - 1));
        let (after, _) = ln_survival(self.alpha, self.beta, self.c, f64::from(t));
        log_sub_exp(before, after).exp()
    }

    /// r(t) = S(t)/S(t − 1): the share of those active after t − 1 periods
    /// who renew for period t (t ≥ 1). For the sBG,
    /// r(t) = (β + t − 1)/(α + β + t − 1).
    pub fn retention(&self, t: u32) -> f64 {
        let t = t.max(1);
        let (before, _) = ln_survival(self.alpha, self.beta, self.c, f64::from(t - 1));
        let (after, _) = ln_survival(self.alpha, self.beta, self.c, f64::from(t));
        (after - before).exp()
    }

    /// The expected survivors of a cohort that starts with `size`
    /// subscribers, after 0, 1, …, `periods` periods: `size · S(t)`.
    pub fn projection(&self, size: f64, periods: u32) -> Vec<f64> {
        (0..=periods).map(|t| size * self.survival(t)).collect()
    }

    /// The discounted expected residual lifetime (DERL) of a subscriber who
    /// has been active for `n − 1` periods and is about to renew for period
    /// `n` (n ≥ 1): the expected number of renewals still to come, each
    /// discounted by `1/(1 + discount)` per period after the first.
    /// Multiplied by the margin per period, it is the subscriber's residual
    /// value (Fader & Hardie 2010, "Customer-Base Valuation in a Contractual
    /// Setting").
    ///
    /// # Formula
    ///
    /// ```text
    /// DERL(d, n) = Σ_{t=n}^{∞} S(t)/S(n−1) · (1 + d)^{−(t−n)}
    ///            = (β+n−1)/(α+β+n−1) · ₂F₁(1, β+n; α+β+n; 1/(1+d))     (sBG)
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] when `discount` is not positive and
    /// finite or `n` is 0, and [`ClvError::NotConverged`] when the sum has
    /// not settled after ten million periods (a discount rate so small that
    /// the value is meaningless).
    pub fn derl(&self, discount: f64, n: u32) -> Result<f64, ClvError> {
        check_positive("discount", discount)?;
        if n == 0 {
            return Err(ClvError::InvalidParameter { name: "n", value: 0.0, reason: "at least 1" });
        }
        let factor = 1.0 / (1.0 + discount);
        let (start, _) = ln_survival(self.alpha, self.beta, self.c, f64::from(n - 1));
        let mut total = 0.0;
        let mut weight = 1.0;
        for t in n..n.saturating_add(MAX_PERIODS) {
            let term = (ln_survival(self.alpha, self.beta, self.c, f64::from(t)).0 - start).exp() * weight;
            total += term;
            if term <= total * 1e-17 {
                return Ok(total);
            }
            weight *= factor;
        }
        Err(ClvError::NotConverged { iterations: MAX_PERIODS, gradient_norm: f64::NAN, parameter: "discount" })
    }
}

/// The most covariates [`RetentionModel::fit_sbg_with_covariates`] takes.
pub const MAX_RETENTION_COVARIATES: usize = 6;

/// An sBG fitted with a covariate row per cohort (for instance its
/// acquisition channel): see
/// [`RetentionModel::fit_sbg_with_covariates`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionCovariateFit {
    /// The sBG of a cohort whose covariates are all 0: α and the baseline β.
    pub model: RetentionModel,
    /// The dropout coefficients γ, one per covariate column, in column
    /// order. A positive one means more churn.
    pub coefficients: Vec<f64>,
    /// The log-likelihood total, as [`RetentionFit::log_likelihood`].
    pub log_likelihood: f64,
    /// Standard errors of α, β and then each coefficient, when the Hessian
    /// could be inverted.
    pub standard_errors: Option<Vec<f64>>,
    /// Iterations, evaluations and the gradient norm at the optimum.
    pub report: FitReport,
}

impl RetentionCovariateFit {
    /// The sBG of a cohort with this covariate row:
    /// `β_i = β·exp(−x_i·γ)`.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] (row 0) when `row` does not have one
    /// finite value per coefficient, and [`ClvError::InvalidParameter`]
    /// when `β_i` leaves the positive finite numbers.
    pub fn cohort_model(&self, row: &[f64]) -> Result<RetentionModel, ClvError> {
        check_covariate_rows(&[row], self.coefficients.len())?;
        RetentionModel::sbg(self.model.alpha, cohort_beta(self.model.beta, row, &self.coefficients))
    }

    /// The likelihood-ratio test of the plain sBG fit (`plain`, from
    /// [`RetentionModel::fit_sbg`] on the same cohorts) against this one:
    /// do the covariates explain the cohorts' differences in churn?
    ///
    /// # Formula
    ///
    /// `LR = 2·(ln L_covariates − ln L_plain)` against `χ²` with one degree
    /// of freedom per coefficient.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidOption`] (`name = "df"`) when `plain` is not an
    /// sBG fit (it has more than α, β).
    pub fn likelihood_ratio_test(&self, plain: &RetentionFit) -> Result<LikelihoodRatio, ClvError> {
        let df = self.coefficients.len();
        if plain.model.c != 1.0 || df == 0 {
            return Err(ClvError::InvalidOption { name: "df", value: df as f64 });
        }
        LikelihoodRatio::between(self.log_likelihood, plain.log_likelihood, df)
    }
}

impl RetentionModel {
    /// Fits the sBG with a covariate row per cohort that shifts its churn:
    /// cohort `i` with row `x_i` has `θ ~ Beta(α, β_i)`,
    /// `β_i = β·exp(−x_i·γ)`.
    ///
    /// The covariate moves β, not α, nor both together. Fader & Hardie
    /// (2007) fit cohorts without covariates, so this is the crate's
    /// choice. β is where tenure enters the sBG
    /// (r(t) = (β + t − 1)/(α + β + t − 1): β acts as renewals already
    /// seen), so a cohort with a smaller `β_i` starts with lower retention
    /// and takes longer to reach the same level, and the mean churn
    /// probability `α/(α + β_i)` rises with `x_i·γ`: a positive coefficient
    /// means more churn, the sign of the Pareto/NBD's dropout coefficient
    /// (`β_i = β·exp(−x_i·γ_dropout)`, whose mean dropout rate `s/β_i`
    /// rises with it). Scaling α and β together, as `CLVTools` scales the
    /// BG/NBD's a and b, would keep every cohort's mean churn and move only
    /// its spread, which is not what a cohort covariate such as a channel
    /// is asked to explain. As in
    /// [`covariates`](crate::clv::CovariateModel), covariates enter raw:
    /// α, β are the values at `x = 0`.
    ///
    /// # Formula
    ///
    /// ```text
    /// β_i = β·exp(−x_i·γ),   S_i(t) = B(α, β_i + t)/B(α, β_i)
    /// LL = Σ_i [Σ_{t=1}^{last} (n_{t−1} − n_t) ln P_i(T = t) + n_last ln S_i(last)]
    /// ```
    ///
    /// Standard errors come from the inverse Hessian of the log-likelihood
    /// in (α, β, γ).
    ///
    /// # Errors
    ///
    /// The errors of [`fit_sbg`](RetentionModel::fit_sbg);
    /// [`ClvError::InvalidData`] naming the first cohort whose covariate
    /// row is missing, of another length than the first, or not finite;
    /// [`ClvError::InvalidOption`] (`name = "covariates"`) for no columns
    /// or more than [`MAX_RETENTION_COVARIATES`];
    /// [`ClvError::Unidentifiable`] for a column that is the same in every
    /// cohort (it cannot be told from β).
    ///
    /// # Complexity
    ///
    /// O(iterations × (Σ periods + cohorts × columns)).
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::{FitOptions, RetentionModel};
    ///
    /// // Cohorts from two channels (0 and 1), the second churning more.
    /// let direct = RetentionModel::sbg(0.7, 2.0)?;
    /// let partner = RetentionModel::sbg(0.7, 2.0 * (-0.8f64).exp())?;
    /// let expected = |m: &RetentionModel| m.projection(10_000.0, 6).iter().map(|n| n.round()).collect::<Vec<f64>>();
    /// let (a, b) = (expected(&direct), expected(&partner));
    /// let cohorts: [&[f64]; 4] = [&a, &b, &a[..4], &b[..5]];
    /// let channel: [&[f64]; 4] = [&[0.0], &[1.0], &[0.0], &[1.0]];
    /// let fit = RetentionModel::fit_sbg_with_covariates(&cohorts, &channel, &FitOptions::default())?;
    /// assert!((fit.coefficients[0] - 0.8).abs() < 0.01, "{fit:?}");
    /// assert!((fit.model.beta() - 2.0).abs() < 0.02);
    /// // Against the sBG without the channel: the channel matters.
    /// let plain = RetentionModel::fit_sbg(&cohorts, &FitOptions::default())?;
    /// assert!(fit.likelihood_ratio_test(&plain)?.p_value < 1e-6);
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    pub fn fit_sbg_with_covariates(
        cohorts: &[&[f64]],
        covariates: &[&[f64]],
        options: &FitOptions,
    ) -> Result<RetentionCovariateFit, ClvError> {
        check_cohorts(cohorts)?;
        let width = covariates.first().map_or(0, |r| r.len());
        if width == 0 || width > MAX_RETENTION_COVARIATES {
            return Err(ClvError::InvalidOption { name: "covariates", value: width as f64 });
        }
        if covariates.len() != cohorts.len() {
            let row = covariates.len().min(cohorts.len());
            return Err(ClvError::InvalidData { row, reason: "every cohort needs one covariate row" });
        }
        check_covariate_rows(covariates, width)?;
        if (0..width).any(|j| covariates.iter().all(|r| r[j] == covariates[0][j])) {
            return Err(ClvError::Unidentifiable { reason: "a covariate is the same in every cohort" });
        }
        macro_rules! dispatch {
            ($($n:literal),*) => {
                match width + 2 {
                    $($n => fit_sbg_covariates_n::<$n>(cohorts, covariates, options),)*
                    _ => Err(ClvError::InvalidOption { name: "covariates", value: width as f64 }),
                }
            };
        }
        dispatch!(3, 4, 5, 6, 7, 8)
    }
}

/// `β·exp(−x·γ)`.
fn cohort_beta(beta: f64, row: &[f64], gamma: &[f64]) -> f64 {
    beta * (-row.iter().zip(gamma).map(|(x, g)| x * g).sum::<f64>()).exp()
}

fn check_covariate_rows(rows: &[&[f64]], width: usize) -> Result<(), ClvError> {
    for (row, values) in rows.iter().enumerate() {
        if values.len() != width {
            return Err(ClvError::InvalidData { row, reason: "covariate rows must all have one value per column" });
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ClvError::InvalidData { row, reason: "covariates must be finite" });
        }
    }
    Ok(())
}

/// The sBG fit with `N − 2` covariates, searching over
/// `(α, β, e^γ_1, …)` (the minimiser's parameters are positive).
fn fit_sbg_covariates_n<const N: usize>(
    cohorts: &[&[f64]],
    covariates: &[&[f64]],
    options: &FitOptions,
) -> Result<RetentionCovariateFit, ClvError> {
    let scale = total_start(cohorts);
    let nll = |p: &[f64; N], grad: &mut [f64; N]| -> f64 {
        let gamma: Vec<f64> = p[2..].iter().map(|q| q.ln()).collect();
        *grad = [0.0; N];
        let mut total = 0.0;
        for (survivors, row) in cohorts.iter().zip(covariates) {
            let beta_i = cohort_beta(p[1], row, &gamma);
            let mut g = [0.0; 3];
            total += cohorts_nll(p[0], beta_i, 1.0, &[survivors], scale, &mut g);
            grad[0] += g[0];
            grad[1] += g[1] * beta_i / p[1];
            for j in 2..N {
                // ∂β_i/∂γ_j = −x_j β_i and ∂γ_j/∂p_j = 1/p_j.
                grad[j] -= g[1] * row[j - 2] * beta_i / p[j];
            }
        }
        total
    };
    let scales = optim::Scales { units: [1.0; N], weight: scale };
    let penalty: [f64; N] = std::array::from_fn(|i| if i < 2 { scales.penalty(options)[i] } else { 0.0 });
    let names: [&'static str; N] = std::array::from_fn(|i| match i {
        0 => "alpha",
        1 => "beta",
        _ => "gamma_dropout",
    });
    let min = optim::minimise(options, names, penalty, nll)?;
    let model = RetentionModel::sbg(min.params[0], min.params[1])?;
    let coefficients: Vec<f64> = min.params[2..].iter().map(|q| q.ln()).collect();
    let mut log_likelihood = 0.0;
    for (survivors, row) in cohorts.iter().zip(covariates) {
        let beta_i = cohort_beta(model.beta, row, &coefficients);
        log_likelihood -= cohorts_nll(model.alpha, beta_i, 1.0, &[survivors], 1.0, &mut [0.0; 3]);
    }
    // The error of γ_j = ln p_j is that of p_j over p_j (delta method).
    let standard_errors = scales
        .standard_errors(optim::standard_errors(&min.params, nll))
        .map(|se| se.iter().enumerate().map(|(i, e)| if i < 2 { *e } else { e / min.params[i] }).collect());
    Ok(RetentionCovariateFit { model, coefficients, log_likelihood, standard_errors, report: min.report })
}

/// The fit of N of (α, β, c), which `model` reads from the searched
/// parameters (the sBG fixes c = 1). Every parameter is a shape, so only the
/// counts are scaled (by the cohorts' total starting size).
fn fit_cohorts<const N: usize>(
    cohorts: &[&[f64]],
    options: &FitOptions,
    names: [&'static str; N],
    model: impl Fn(&[f64; N]) -> (f64, f64, f64),
) -> Result<RetentionFit, ClvError> {
    check_cohorts(cohorts)?;
    let scale = total_start(cohorts);
    let nll = |p: &[f64; N], grad: &mut [f64; N]| -> f64 {
        let (alpha, beta, c) = model(p);
        let mut all = [0.0; 3];
        let value = cohorts_nll(alpha, beta, c, cohorts, scale, &mut all);
        grad.copy_from_slice(&all[..N]);
        value
    };
    let scales = optim::Scales { units: [1.0; N], weight: scale };
    let min = optim::minimise(options, names, scales.penalty(options), nll)?;
    let (alpha, beta, c) = model(&min.params);
    let fitted = RetentionModel::bdw(alpha, beta, c)?;
    Ok(RetentionFit {
        model: fitted,
        log_likelihood: fitted.log_likelihood(cohorts)?,
        standard_errors: scales.standard_errors(optim::standard_errors(&min.params, nll)).map(|se| se.to_vec()),
        report: min.report,
    })
}

/// ln B(a, b).
fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// ln S(t) = ln B(α, β + t^c) − ln B(α, β) and its gradient in (α, β, c).
fn ln_survival(alpha: f64, beta: f64, c: f64, t: f64) -> (f64, [f64; 3]) {
    if t == 0.0 {
        return (0.0, [0.0; 3]);
    }
    let tc = t.powf(c);
    let value = ln_beta(alpha, beta + tc) - ln_beta(alpha, beta);
    let (psi_end, psi_ab) = (digamma(alpha + beta + tc), digamma(alpha + beta));
    let d_shift = digamma(beta + tc) - psi_end;
    let grad = [psi_ab - psi_end, d_shift - digamma(beta) + psi_ab, d_shift * tc * t.ln()];
    (value, grad)
}

/// The negative log-likelihood of every cohort, divided by `scale`, with
/// its gradient.
fn cohorts_nll(alpha: f64, beta: f64, c: f64, cohorts: &[&[f64]], scale: f64, grad: &mut [f64; 3]) -> f64 {
    let mut total = 0.0;
    *grad = [0.0; 3];
    for survivors in cohorts {
        let mut previous = ln_survival(alpha, beta, c, 0.0);
        for (t, pair) in survivors.windows(2).enumerate() {
            let current = ln_survival(alpha, beta, c, (t + 1) as f64);
            let lost = pair[0] - pair[1];
            if lost > 0.0 {
                // ln P(T = t) = ln(S(t−1) − S(t)), its gradient by the quotient rule.
                let ln_p = log_sub_exp(previous.0, current.0);
                let (w_before, w_after) = ((previous.0 - ln_p).exp(), (current.0 - ln_p).exp());
                total -= lost * ln_p;
                for k in 0..3 {
                    grad[k] -= lost * (w_before * previous.1[k] - w_after * current.1[k]);
                }
            }
            previous = current;
        }
        let last = survivors[survivors.len() - 1];
        total -= last * previous.0;
        for k in 0..3 {
            grad[k] -= last * previous.1[k];
        }
    }
    for g in grad.iter_mut() {
        *g /= scale;
    }
    total / scale
}

fn total_start(cohorts: &[&[f64]]) -> f64 {
    cohorts.iter().map(|c| c[0]).sum()
}

fn check_cohorts(cohorts: &[&[f64]]) -> Result<(), ClvError> {
    if cohorts.is_empty() {
        return Err(ClvError::Unidentifiable { reason: "no cohorts" });
    }
    for (row, survivors) in cohorts.iter().enumerate() {
        let bad = |reason| Err(ClvError::InvalidData { row, reason });
        if survivors.len() < 2 {
            return bad("a cohort needs its starting size and at least one later count");
        }
        if survivors.iter().any(|n| !(n.is_finite() && *n >= 0.0)) {
            return bad("survivor counts must be finite and not negative");
        }
        if survivors[0] <= 0.0 {
            return bad("a cohort must start with someone");
        }
        if survivors.windows(2).any(|w| w[1] > w[0]) {
            return bad("survivors must not increase");
        }
    }
    if cohorts.iter().all(|c| c[0] == c[c.len() - 1]) {
        return Err(ClvError::Unidentifiable { reason: "no one churned" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::special::hyp2f1;

    #[test]
    fn sbg_closed_forms() {
        let m = RetentionModel::sbg(0.704, 1.182).unwrap();
        let (a, b) = (m.alpha, m.beta);
        assert!((m.churn(1) - a / (a + b)).abs() < 1e-14);
        let mut s = 1.0;
        for t in 1..20_u32 {
            let tf = f64::from(t);
            let r = (b + tf - 1.0) / (a + b + tf - 1.0);
            assert!((m.retention(t) - r).abs() < 1e-12, "{t}");
            s *= r;
            assert!((m.survival(t) - s).abs() < 1e-12, "{t}");
            assert!((m.churn(t) - (m.survival(t - 1) - m.survival(t))).abs() < 1e-14);
        }
        for (d, n) in [(0.1, 1_u32), (0.1, 5), (0.25, 3)] {
            let nf = f64::from(n);
            let closed = (b + nf - 1.0) / (a + b + nf - 1.0) * hyp2f1(1.0, b + nf, a + b + nf, 1.0 / (1.0 + d));
            let got = m.derl(d, n).unwrap();
            assert!((got - closed).abs() < 1e-9 * closed, "{d} {n}: {got} vs {closed}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let cohorts: [&[f64]; 2] = [&[1000.0, 700.0, 550.0, 480.0], &[500.0, 300.0, 260.0]];
        let p = [0.8, 1.7, 0.7];
        let mut grad = [0.0; 3];
        cohorts_nll(p[0], p[1], p[2], &cohorts, 1500.0, &mut grad);
        for k in 0..3 {
            let h = 1e-6 * p[k];
            let at = |delta: f64| {
                let mut q = p;
                q[k] += delta;
                cohorts_nll(q[0], q[1], q[2], &cohorts, 1500.0, &mut [0.0; 3])
            };
            let numeric = (at(h) - at(-h)) / (2.0 * h);
            assert!((numeric - grad[k]).abs() < 1e-6 * (1.0 + numeric.abs()), "{k}: {numeric} vs {}", grad[k]);
        }
    }

    /// Survivor counts of `size` subscribers of the sBG `m` over `periods`
    /// periods: each subscriber's lifetime drawn by inverting S.
    fn simulate_cohort(m: &RetentionModel, size: usize, periods: u32, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<f64> {
        use rand::RngExt;
        let survival: Vec<f64> = (0..=periods).map(|t| m.survival(t)).collect();
        let mut counts = vec![0.0; periods as usize + 1];
        for _ in 0..size {
            let u: f64 = rng.random();
            // Active after t periods while S(t) > u.
            for (t, s) in survival.iter().enumerate() {
                if *s > u {
                    counts[t] += 1.0;
                }
            }
        }
        counts
    }

    #[test]
    fn sbg_covariates_recover_a_known_coefficient_and_beat_the_plain_fit() {
        use rand::SeedableRng;
        let (alpha, beta, gamma) = (0.7, 2.5, [0.6, -0.3]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let mut rows = Vec::new();
        let mut cohorts = Vec::new();
        for i in 0..24_u32 {
            let row = vec![f64::from(i % 2), f64::from(i % 3) - 1.0];
            let m = RetentionModel::sbg(alpha, cohort_beta(beta, &row, &gamma)).unwrap();
            // Older cohorts are observed for longer.
            cohorts.push(simulate_cohort(&m, 1500, 3 + i % 6, &mut rng));
            rows.push(row);
        }
        let cohorts: Vec<&[f64]> = cohorts.iter().map(Vec::as_slice).collect();
        let rows: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        let options = FitOptions::default();
        let fit = RetentionModel::fit_sbg_with_covariates(&cohorts, &rows, &options).unwrap();
        let se = fit.standard_errors.clone().unwrap();
        let got = [fit.model.alpha, fit.model.beta, fit.coefficients[0], fit.coefficients[1]];
        for (k, truth) in [alpha, beta, gamma[0], gamma[1]].into_iter().enumerate() {
            assert!((got[k] - truth).abs() < 4.0 * se[k], "{k}: {} ± {} vs {truth}", got[k], se[k]);
            assert!(se[k] < 0.5 * truth.abs().max(0.5), "{k}: se {}", se[k]);
        }
        // The fit is a maximum: moving any coefficient lowers the likelihood.
        for j in 0..2 {
            for step in [-1e-3, 1e-3] {
                let mut g = fit.coefficients.clone();
                g[j] += step;
                let ll: f64 = cohorts
                    .iter()
                    .zip(&rows)
                    .map(|(c, r)| {
                        RetentionModel::sbg(fit.model.alpha, cohort_beta(fit.model.beta, r, &g))
                            .unwrap()
                            .log_likelihood(&[c])
                            .unwrap()
                    })
                    .sum();
                assert!(ll < fit.log_likelihood, "{j} {step}");
            }
        }
        // The covariates matter: the plain sBG is rejected.
        let plain = RetentionModel::fit_sbg(&cohorts, &options).unwrap();
        let test = fit.likelihood_ratio_test(&plain).unwrap();
        assert_eq!(test.df, 2);
        assert!(test.statistic > 0.0 && test.p_value < 1e-6, "{test:?}");
        // A cohort's own model.
        let own = fit.cohort_model(&[1.0, 0.0]).unwrap();
        assert!((own.beta() - fit.model.beta * (-fit.coefficients[0]).exp()).abs() < 1e-12);
        assert!(fit.cohort_model(&[1.0]).is_err());
    }

    #[test]
    fn sbg_covariates_with_a_covariate_that_does_nothing() {
        // Cohorts with identical churn: the coefficient is near 0 and the
        // likelihood-ratio test does not reject the plain fit.
        let m = RetentionModel::sbg(0.9, 1.6).unwrap();
        let counts: Vec<f64> = m.projection(5000.0, 7).iter().map(|n| n.round()).collect();
        let cohorts: [&[f64]; 3] = [&counts, &counts[..6], &counts[..4]];
        let rows: [&[f64]; 3] = [&[0.0], &[1.0], &[2.0]];
        let options = FitOptions::default();
        let fit = RetentionModel::fit_sbg_with_covariates(&cohorts, &rows, &options).unwrap();
        assert!(fit.coefficients[0].abs() < 1e-3, "{fit:?}");
        let plain = RetentionModel::fit_sbg(&cohorts, &options).unwrap();
        assert!(fit.likelihood_ratio_test(&plain).unwrap().p_value > 0.5);
        assert!((fit.log_likelihood - plain.log_likelihood).abs() < 1e-4);
    }

    #[test]
    fn sbg_covariates_refuse_bad_rows() {
        let o = FitOptions::default();
        let c: [&[f64]; 2] = [&[100.0, 60.0, 40.0], &[80.0, 50.0]];
        let err = |rows: &[&[f64]]| RetentionModel::fit_sbg_with_covariates(&c, rows, &o).unwrap_err();
        assert!(matches!(err(&[&[1.0]]), ClvError::InvalidData { row: 1, .. }));
        assert!(matches!(err(&[&[1.0], &[f64::NAN]]), ClvError::InvalidData { row: 1, .. }));
        assert!(matches!(err(&[&[1.0], &[1.0, 2.0]]), ClvError::InvalidData { row: 1, .. }));
        assert!(matches!(err(&[&[], &[]]), ClvError::InvalidOption { name: "covariates", .. }));
        assert!(matches!(err(&[&[3.0], &[3.0]]), ClvError::Unidentifiable { .. }));
        let wide = [0.0; MAX_RETENTION_COVARIATES + 1];
        assert!(matches!(err(&[&wide, &wide]), ClvError::InvalidOption { name: "covariates", .. }));
    }

    #[test]
    fn refuses_bad_cohorts() {
        let o = FitOptions::default();
        let err = |c: &[&[f64]]| RetentionModel::fit_sbg(c, &o).unwrap_err();
        assert!(matches!(err(&[&[1000.0]]), ClvError::InvalidData { row: 0, .. }));
        assert!(matches!(err(&[&[10.0, 5.0], &[10.0, 11.0]]), ClvError::InvalidData { row: 1, .. }));
        assert!(matches!(err(&[&[0.0, 0.0]]), ClvError::InvalidData { row: 0, .. }));
        assert!(matches!(err(&[&[10.0, f64::NAN]]), ClvError::InvalidData { row: 0, .. }));
        assert!(matches!(err(&[&[10.0, 10.0, 10.0]]), ClvError::Unidentifiable { .. }));
        assert!(matches!(err(&[]), ClvError::Unidentifiable { .. }));
    }
}
