//! The maximum-likelihood machinery the models share: fit settings, the fit
//! report, a compact BFGS minimiser over log-parameters, and standard errors
//! from a finite-difference Hessian.
//!
//! Why hand-written: the models have three or four positive parameters,
//! analytic (or cheap numerical) gradients, and fit in microseconds to
//! milliseconds, so the minimiser's own overhead matters; a dense BFGS with a
//! backtracking line search is about a hundred lines, and the general crates
//! (argmin and its math back-ends) would add far more build time than code.
//!
//! Every model hands the minimiser its data in canonical units (see
//! [`Scales`]): times divided by the mean `T`, money by the mean spend, and
//! weights by their total, so that the search, its stopping rules and its
//! limits see the same numbers whatever the units of the data and the scale
//! of the weights, and the fits are invariant to them.

use serde::{Deserialize, Serialize};

use crate::clv::ClvError;

/// Settings of a maximum-likelihood fit. Small and `Copy`; start from
/// [`FitOptions::default`] and change what you need.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::FitOptions;
///
/// let options = FitOptions { l2_penalty: 0.01, ..FitOptions::default() };
/// assert_eq!(options.max_iterations, 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// The fit stops when the gradient's Euclidean norm, taken with respect
    /// to the log-parameters of the mean negative log-likelihood per unit
    /// weight with the data in canonical units (times divided by the mean
    /// `T`, money by the mean spend), is at most `tolerance · (1 + |mean|)`.
    /// Every part of that criterion is free of the data's units and of the
    /// scale of the weights. Default `1e-8`.
    pub tolerance: f64,
    /// The most BFGS iterations before [`ClvError::NotConverged`]. Default 500.
    pub max_iterations: u32,
    /// An L2 penalty `λ·Σ θᵢ²` on the parameters (in the data's own units),
    /// added to the negative log-likelihood total; it pulls the parameters
    /// towards zero on data that barely identifies them. Unlike the fit
    /// without it, a penalised fit depends on the units and the weights'
    /// scale, as the penalty itself does. Default 0.
    pub l2_penalty: f64,
}

crate::util::options_setters!(FitOptions { tolerance: f64, max_iterations: u32, l2_penalty: f64 });

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { tolerance: 1e-8, max_iterations: 500, l2_penalty: 0.0 }
    }
}

/// The L2 penalties [`fit_on_ridge`] tries, weakest first.
pub const RIDGE_PENALTIES: [f64; 3] = [1e-12, 1e-9, 1e-6];

/// A fit whose maximum may run off along a ridge: `fit` with `options`, or,
/// when that fails with [`ClvError::Unbounded`] or
/// [`ClvError::NotConverged`], with the weakest of [`RIDGE_PENALTIES`] (as
/// [`FitOptions::l2_penalty`]) that settles. Returns the fit and each
/// penalty tried with the error that called for it (empty when the plain
/// fit settled).
///
/// When the data cannot tell a heterogeneous population from a homogeneous
/// one, the likelihood keeps rising as two parameters grow together with
/// their ratio fixed: spend that varies no more than chance explains puts
/// the Gamma-Gamma's maximum at q → ∞, dropout rates that barely vary put
/// the Pareto/NBD's at s, β → ∞ and the BG/NBD's at a, b → ∞. A tiny
/// penalty picks a finite point far out on that ridge, where the
/// likelihood, and so every prediction, is within a hair of its supremum.
/// The parameters themselves are then a convention, not estimates: report
/// that the penalty was used, as the `clv` example does on standard error.
///
/// # Errors
///
/// The plain fit's error when it is of another kind, else the error of the
/// fit with the strongest penalty.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{FitOptions, GammaGamma, SpendData, fit_on_ridge};
///
/// // (repeat purchases, their mean value, customers)
/// let rows = [(1, 5.0, 3.0), (2, 80.0, 2.0), (1, 210.0, 2.0), (3, 12.0, 4.0), (5, 45.0, 1.0), (2, 9.5, 3.0)];
/// let spend = SpendData::from_rows(rows)?;
/// let (fit, penalties) = fit_on_ridge(&FitOptions::default(), |o| GammaGamma::fit(&spend, o))?;
/// if let Some((penalty, why)) = penalties.last() {
///     eprintln!("note: {why}; fitted with an L2 penalty of {penalty:e}");
/// }
/// assert!(fit.log_likelihood.is_finite());
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
pub fn fit_on_ridge<T>(
    options: &FitOptions,
    fit: impl Fn(&FitOptions) -> Result<T, ClvError>,
) -> Result<(T, Vec<(f64, ClvError)>), ClvError> {
    let mut result = fit(options);
    let mut tried = Vec::new();
    for penalty in RIDGE_PENALTIES {
        match result {
            Err(failed @ (ClvError::Unbounded { .. } | ClvError::NotConverged { .. })) => {
                tried.push((penalty, failed));
                result = fit(&FitOptions { l2_penalty: penalty, ..*options });
            }
            _ => break,
        }
    }
    result.map(|fit| (fit, tried))
}

impl FitOptions {
    fn validate(&self) -> Result<(), ClvError> {
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(ClvError::InvalidOption { name: "tolerance", value: self.tolerance });
        }
        if !(self.l2_penalty.is_finite() && self.l2_penalty >= 0.0) {
            return Err(ClvError::InvalidOption { name: "l2_penalty", value: self.l2_penalty });
        }
        Ok(())
    }
}

/// How a fit's search decided that it had reached the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stop {
    /// The gradient met the [`FitOptions::tolerance`] criterion.
    #[default]
    Gradient,
    /// Steps lowered the objective by rounding only and left the
    /// parameters where they were, with the gradient within 1000 times the
    /// tolerance criterion: the gradient, a sum over every pattern, cannot
    /// fall further in floating point.
    Rounding,
    /// No step along a descent direction lowered the objective, with the
    /// gradient within 1000 times the tolerance criterion: the objective is
    /// flat to rounding there.
    NoDescent,
}

/// How a fit went: work done, how flat the objective was at the end, and
/// how the stop was decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// BFGS iterations.
    pub iterations: u32,
    /// Evaluations of the objective (each with its gradient); the
    /// standard errors' few extra evaluations are not counted.
    pub evaluations: u32,
    /// The Euclidean norm of the gradient at the optimum, in the terms of
    /// [`FitOptions::tolerance`]: of the mean negative log-likelihood per
    /// unit weight, with respect to the log-parameters, in canonical units.
    pub gradient_norm: f64,
    /// Which rule stopped the search. Reports saved before this field
    /// existed load as [`Stop::Gradient`].
    #[serde(default)]
    pub stop: Stop,
}

/// The result of [`minimise`]: the natural parameters, the objective there
/// and the report.
#[derive(Debug)]
pub(crate) struct Minimum<const N: usize> {
    pub params: [f64; N],
    /// `nll(params) + Σ λᵢ·pᵢ²`, as evaluated at `params`.
    pub value: f64,
    pub report: FitReport,
    /// The Hessian of the objective (with the penalty) in `θ = ln p` at
    /// `θ = ln params` (the search's own `θ`), by forward differences of the
    /// gradient (steps of 1e-5 in θ, N evaluations), when the search
    /// computed it: at every stop of a search without a penalty, which
    /// checks the stop with a Newton step.
    pub hessian: Option<[[f64; N]; N]>,
}

/// How the data were brought to canonical units: each natural parameter's
/// unit (the canonical parameter times it is the natural one) and the total
/// weight. The canonical objective is the original one divided by the total
/// weight, up to a constant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scales<const N: usize> {
    /// The unit of each parameter: 1 for shapes, the time or money scale
    /// for rates.
    pub units: [f64; N],
    /// The total weight of the data.
    pub weight: f64,
}

impl<const N: usize> Scales<N> {
    /// The natural parameters of canonical ones.
    pub(crate) fn natural(&self, canonical: &[f64; N]) -> [f64; N] {
        std::array::from_fn(|i| canonical[i] * self.units[i])
    }

    /// The per-parameter penalty on the canonical objective that is
    /// `options.l2_penalty · Σ pᵢ²` on the natural one: `λ·uᵢ²/W`.
    pub(crate) fn penalty(&self, options: &FitOptions) -> [f64; N] {
        self.units.map(|u| options.l2_penalty * u * u / self.weight)
    }

    /// Standard errors of the natural parameters from the canonical
    /// objective's: the natural Hessian is `W·U⁻¹·H·U⁻¹`.
    pub(crate) fn standard_errors(&self, canonical: Option<[f64; N]>) -> Option<[f64; N]> {
        let root = self.weight.sqrt();
        canonical.map(|se| std::array::from_fn(|i| se[i] * self.units[i] / root))
    }
}

/// Beyond this, a canonical log-parameter is running off to zero or
/// infinity (a factor of 10⁷ from the data's own scale): the search stops
/// with [`ClvError::Unbounded`] at once.
const THETA_LIMIT: f64 = 16.118_095_650_958_32; // ln 1e7

/// A search without a penalty that stops (converged, flat or out of
/// iterations) with a canonical log-parameter beyond this (a factor of 10⁶)
/// has run off along a ridge or to a boundary: the likelihood there differs
/// from its limit by less than the data can tell, and the answer is
/// [`ClvError::Unbounded`], not a fit.
const RIDGE_LIMIT: f64 = 13.815_510_557_964_274; // ln 1e6

/// Minimises `nll(p) + Σ λᵢ·pᵢ²` over positive `p`, searching in `θ = ln p`
/// from `θ = 0` (every parameter 1), a start that never depends on the data.
/// The models call it on their data in canonical units, where 1 is the
/// data's own scale for every parameter, `nll` is a mean per unit weight,
/// and `penalty` holds the `λᵢ` of [`Scales::penalty`].
///
/// `nll` writes the gradient with respect to the natural parameters into its
/// second argument and returns the objective; a non-finite value marks a
/// point the line search must back away from. `names` name the parameters
/// in [`ClvError::Unbounded`], returned when one of them runs off to zero or
/// infinity, and in [`ClvError::NotConverged`].
pub(crate) fn minimise<const N: usize>(
    options: &FitOptions,
    names: [&'static str; N],
    penalty: [f64; N],
    nll: impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
) -> Result<Minimum<N>, ClvError> {
    minimise_from(options, names, penalty, Start::Identity, nll)
}

/// The search's first guess of the inverse Hessian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Start<const N: usize> {
    /// The identity, scaled to the curvature the first step meets: free,
    /// and the search learns the curvature as it goes.
    Identity,
    /// The inverse of the Hessian at the start by forward differences of
    /// the gradient (N evaluations; the identity when it is not positive
    /// definite): for a costly objective from a good start, where a
    /// Newton-like search saves more evaluations than the N it costs.
    Hessian,
    /// This one: [`start_inverse_hessian`] of a cheaper stand-in for the
    /// objective (the same on a sample of the data).
    Inverse([[f64; N]; N]),
}

/// The objective with the penalty, `nll(p) + Σ λᵢ·pᵢ²` at `p = exp(θ)`, and
/// its gradient in `θ`; `NaN` where the gradient is not finite.
fn in_theta<const N: usize>(
    nll: &mut impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
    penalty: &[f64; N],
    theta: &[f64; N],
    grad: &mut [f64; N],
) -> f64 {
    let p: [f64; N] = std::array::from_fn(|i| theta[i].exp());
    let mut value = nll(&p, grad);
    for i in 0..N {
        value += penalty[i] * p[i] * p[i];
        // d/dθ = p · d/dp.
        grad[i] = (grad[i] + 2.0 * penalty[i] * p[i]) * p[i];
    }
    if grad.iter().all(|g| g.is_finite()) { value } else { f64::NAN }
}

/// The inverse of the forward-difference Hessian (in θ, with the penalty)
/// at the search's start `θ = 0`, as [`Start::Hessian`] takes it: N + 1
/// evaluations of `nll`. `None` when it is not positive definite.
pub(crate) fn start_inverse_hessian<const N: usize>(
    penalty: &[f64; N],
    mut nll: impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
) -> Option<[[f64; N]; N]> {
    let mut eval = |t: &[f64; N], g: &mut [f64; N]| in_theta(&mut nll, penalty, t, g);
    let mut grad = [0.0; N];
    if !eval(&[0.0; N], &mut grad).is_finite() {
        return None;
    }
    invert_spd(&forward_hessian(&[0.0; N], &grad, |x| x + 1e-5, |at, g| _ = eval(at, g)))
}

/// [`minimise`] with a choice of the first inverse Hessian.
pub(crate) fn minimise_from<const N: usize>(
    options: &FitOptions,
    names: [&'static str; N],
    penalty: [f64; N],
    start: Start<N>,
    mut nll: impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
) -> Result<Minimum<N>, ClvError> {
    options.validate()?;
    let mut evaluations = 0u32;
    let mut eval = |theta: &[f64; N], grad: &mut [f64; N]| -> f64 {
        evaluations += 1;
        in_theta(&mut nll, &penalty, theta, grad)
    };

    let mut theta = [0.0; N];
    let mut grad = [0.0; N];
    let mut value = eval(&theta, &mut grad);
    if !value.is_finite() {
        return Err(ClvError::NonFiniteLikelihood);
    }
    let first = match start {
        Start::Identity => None,
        Start::Hessian => invert_spd(&forward_hessian(&theta, &grad, |x| x + 1e-5, |at, g| _ = eval(at, g))),
        Start::Inverse(inverse) => Some(inverse),
    };
    let mut fresh = first.is_none();
    let mut inverse = first.unwrap_or_else(identity::<N>);
    let mut iterations = 0u32;
    // Since when, and from where, steps have gained only rounding.
    let mut stall: Option<(u32, [f64; N])> = None;
    // A penalty gives the objective a finite minimum however far out: the
    // ridge rules are for the likelihood alone.
    let penalised = penalty.iter().any(|&l| l != 0.0);
    let ridge = |theta: &[f64; N]| !penalised && theta.iter().any(|t| t.abs() > RIDGE_LIMIT);
    let not_converged = |theta: &[f64; N], grad: &[f64; N], iterations: u32| {
        if ridge(theta) {
            return unbounded(names, theta);
        }
        let i = (0..N).max_by(|&i, &j| grad[i].abs().total_cmp(&grad[j].abs())).unwrap_or(0);
        ClvError::NotConverged { iterations, gradient_norm: norm(grad), parameter: names[i] }
    };
    let (theta, value, grad, stop) = loop {
        let grad_norm = norm(&grad);
        let threshold = options.tolerance * (1.0 + value.abs());
        if grad_norm <= threshold {
            break (theta, value, grad, Stop::Gradient);
        }
        if iterations >= options.max_iterations {
            return Err(not_converged(&theta, &grad, iterations));
        }
        iterations += 1;

        let mut direction = mat_vec(&inverse, &grad).map(|d| -d);
        let mut slope = dot(&grad, &direction);
        if slope >= 0.0 || !slope.is_finite() {
            inverse = identity::<N>();
            fresh = true;
            direction = grad.map(|g| -g);
            slope = dot(&grad, &direction);
        }
        let mut next_grad = [0.0; N];
        let accepted = line_search(&theta, value, grad_norm, &direction, slope, &mut next_grad, &mut eval);
        let Some((trial, trial_value)) = accepted else {
            // No decrease is possible along a descent direction: the
            // objective is flat to rounding here. Accept the point when the
            // gradient is at that rounding level.
            if grad_norm <= 1e3 * threshold {
                break (theta, value, grad, Stop::NoDescent);
            }
            return Err(not_converged(&theta, &grad, iterations));
        };
        if trial.iter().any(|t| t.abs() > THETA_LIMIT) {
            return Err(unbounded(names, &trial));
        }
        // Steps that lower the objective only at rounding level, with the
        // gradient at that level too, are as close as floating point gets:
        // the gradient is a sum over every pattern and cannot fall further.
        // After a run of such steps that left the parameters where they
        // were, stop there. Parameters running off to a boundary drift far
        // for such gains, and go on to the limit or the iteration cap.
        let stalled = value - trial_value <= 8.0 * f64::EPSILON * value.abs() && norm(&next_grad) <= 1e3 * threshold;
        match (&stall, stalled) {
            (_, false) => stall = None,
            (None, true) => stall = Some((iterations, theta)),
            (Some((since, at)), true) if iterations - since >= 20 => {
                let drift = trial.iter().zip(at).fold(0.0f64, |m, (t, o)| m.max((t - o).abs()));
                if drift <= 1e-6 {
                    break (trial, trial_value, next_grad, Stop::Rounding);
                }
                stall = None;
            }
            (Some(_), true) => {}
        }

        let s: [f64; N] = std::array::from_fn(|i| trial[i] - theta[i]);
        let y: [f64; N] = std::array::from_fn(|i| next_grad[i] - grad[i]);
        let sy = dot(&s, &y);
        if sy > 1e-12 * norm2(&s) * norm2(&y) && sy > 0.0 {
            if fresh {
                // Scale the first guess of the inverse Hessian to the
                // observed curvature.
                let scale = sy / dot(&y, &y);
                inverse = identity::<N>();
                for (i, row) in inverse.iter_mut().enumerate() {
                    row[i] = scale;
                }
                fresh = false;
            }
            bfgs_update(&mut inverse, &s, &y, sy);
        }
        theta = trial;
        value = trial_value;
        grad = next_grad;
    };
    let hessian = if penalised { None } else { Some(check_stop(names, &theta, &grad, iterations, &mut eval)?) };
    let report = FitReport { iterations, evaluations, gradient_norm: norm(&grad), stop };
    Ok(Minimum { params: theta.map(f64::exp), value, report, hessian })
}

/// A backtracking line search from `theta` along `direction` (of slope
/// `slope < 0`), from a step of at most 3 in any log-parameter: the point
/// accepted and its objective (its gradient in `next_grad`), or `None` when
/// no step lowers the objective measurably.
fn line_search<const N: usize>(
    theta: &[f64; N],
    value: f64,
    grad_norm: f64,
    direction: &[f64; N],
    slope: f64,
    next_grad: &mut [f64; N],
    eval: &mut impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
) -> Option<([f64; N], f64)> {
    // Never move a log-parameter by more than 3 (a factor of 20) at once.
    let longest = direction.iter().fold(0.0f64, |m, d| m.max(d.abs()));
    let mut step = if longest > 3.0 { 3.0 / longest } else { 1.0 };
    // The objective's rounding: a change below this is not measured.
    let noise = 16.0 * f64::EPSILON * value.abs().max(1.0);
    for _ in 0..60 {
        let trial: [f64; N] = std::array::from_fn(|i| theta[i] + step * direction[i]);
        let trial_value = eval(&trial, next_grad);
        // Sufficient decrease; or, where the decrease is below rounding, a
        // flatter point (the gradient still measures progress there).
        if trial_value.is_finite()
            && (trial_value <= value + 1e-4 * step * slope
                || (trial_value <= value + noise && norm(next_grad) < grad_norm))
        {
            return Some((trial, trial_value));
        }
        // A shorter step cannot show a decrease the objective can measure.
        if trial_value.is_finite() && -step * slope < noise {
            return None;
        }
        step *= if trial_value.is_finite() { 0.5 } else { 0.1 };
    }
    None
}

/// Whether a stop of a search without a penalty is a fit: not when a
/// parameter has run off along a ridge, far out (beyond the ridge limit) or
/// where the Newton step from a finite-difference Hessian still points a
/// long way on. At a maximum that step is tiny; on a ridge whose likelihood
/// approaches its limit like 1/p, it is a step of about 1 in ln p, however
/// far out. A Hessian that is not positive definite is a stop on a flat
/// ridge: [`ClvError::Unbounded`] when a parameter is far out, else
/// [`ClvError::NotConverged`]. A fit returns the Hessian (in θ) the step
/// came from.
fn check_stop<const N: usize>(
    names: [&'static str; N],
    theta: &[f64; N],
    grad: &[f64; N],
    iterations: u32,
    eval: &mut impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
) -> Result<[[f64; N]; N], ClvError> {
    if theta.iter().any(|t| t.abs() > RIDGE_LIMIT) {
        return Err(unbounded(names, theta));
    }
    let hessian = forward_hessian(
        theta,
        grad,
        |x| x + 1e-5,
        |at, g| {
            eval(at, g);
        },
    );
    let Some(step) = newton_step(&hessian, grad) else {
        // Flat or curved the wrong way in some direction: a boundary when a
        // parameter is far out (a factor of 10⁴), else a stop that is not
        // a maximum.
        if theta.iter().any(|t| t.abs() > FAR_OUT) {
            return Err(unbounded(names, theta));
        }
        let i = (0..N).max_by(|&i, &j| grad[i].abs().total_cmp(&grad[j].abs())).unwrap_or(0);
        return Err(ClvError::NotConverged { iterations, gradient_norm: norm(grad), parameter: names[i] });
    };
    let i = (0..N).max_by(|&i, &j| step[i].abs().total_cmp(&step[j].abs())).unwrap_or(0);
    if step[i].abs() > NEWTON_LIMIT {
        let towards = if step[i] < 0.0 { "zero" } else { "infinity" };
        return Err(ClvError::Unbounded { parameter: names[i], towards });
    }
    Ok(hessian)
}

/// A canonical log-parameter beyond this (a factor of 10⁴) at a stop with a
/// Hessian that is not positive definite is at a boundary.
const FAR_OUT: f64 = 9.210_340_371_976_184; // ln 1e4

/// The longest Newton step (in any log-parameter) a stop may still predict:
/// a stop short of the maximum by more is on a ridge.
const NEWTON_LIMIT: f64 = 0.25;

/// The Newton step `−H⁻¹g` in the log-parameters, or `None` when `H` is
/// not positive definite.
fn newton_step<const N: usize>(hessian: &[[f64; N]; N], grad: &[f64; N]) -> Option<[f64; N]> {
    let inverse = invert_spd(hessian)?;
    Some(mat_vec(&inverse, grad).map(|d| -d))
}

/// The Hessian at `point` (where the gradient is `grad`) by forward
/// differences of the gradient, coordinate `j` moved to `step(point[j])`
/// (the step actually taken, after rounding, divides), then symmetrised:
/// N evaluations of `grad_fn`.
#[allow(clippy::needless_range_loop)]
pub(crate) fn forward_hessian<const N: usize>(
    point: &[f64; N],
    grad: &[f64; N],
    step: impl Fn(f64) -> f64,
    mut grad_fn: impl FnMut(&[f64; N], &mut [f64; N]),
) -> [[f64; N]; N] {
    let mut hessian = [[0.0; N]; N];
    let mut moved = [0.0; N];
    for j in 0..N {
        let mut at = *point;
        at[j] = step(point[j]);
        let h = at[j] - point[j];
        grad_fn(&at, &mut moved);
        for i in 0..N {
            hessian[i][j] = (moved[i] - grad[i]) / h;
        }
    }
    for i in 0..N {
        for j in 0..i {
            let mean = 0.5 * (hessian[i][j] + hessian[j][i]);
            hessian[i][j] = mean;
            hessian[j][i] = mean;
        }
    }
    hessian
}

/// [`ClvError::Unbounded`] naming the log-parameter furthest from 0, as
/// the one running off.
fn unbounded<const N: usize>(names: [&'static str; N], theta: &[f64; N]) -> ClvError {
    let i = (0..N).max_by(|&i, &j| theta[i].abs().total_cmp(&theta[j].abs())).unwrap_or(0);
    ClvError::Unbounded { parameter: names[i], towards: if theta[i] < 0.0 { "zero" } else { "infinity" } }
}

/// Standard errors of the natural parameters: the square roots of the
/// diagonal of the inverse of the negative log-likelihood's Hessian, which is
/// estimated by forward differences of the gradient (steps of 1e-5 of each
/// parameter: a relative error of about that size, far below what a
/// standard error needs, for N + 1 evaluations instead of central
/// differences' 2N). `None` when the Hessian is not positive definite (the
/// optimum is flat in some direction).
// Matrix code reads best with explicit indices.
#[allow(clippy::needless_range_loop)]
pub(crate) fn standard_errors<const N: usize>(
    params: &[f64; N],
    mut grad_fn: impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
) -> Option<[f64; N]> {
    let mut at = [0.0; N];
    grad_fn(params, &mut at);
    let hessian = forward_hessian(
        params,
        &at,
        |x| x * (1.0 + 1e-5),
        |p, g| {
            grad_fn(p, g);
        },
    );
    let inverse = invert_spd(&hessian)?;
    let errors: [f64; N] = std::array::from_fn(|i| inverse[i][i].sqrt());
    errors.iter().all(|e| e.is_finite() && *e > 0.0).then_some(errors)
}

/// [`standard_errors`] at a search's stop, from the Hessian in `θ = ln p`
/// the search checked its stop with, when it has one (a fit without a
/// penalty), instead of N + 1 more evaluations: at the stop the gradient
/// is nil to the tolerance, so the Hessian in `p` is `D⁻¹ H_θ D⁻¹` with
/// `D = diag(p)`, and each standard error is `pᵢ √(H_θ⁻¹)ᵢᵢ`. Both are
/// forward differences of the gradient with steps of 1e-5 (in θ here, in
/// p relatively there): the same to about that relative error.
pub(crate) fn standard_errors_at<const N: usize>(
    min: &Minimum<N>,
    grad_fn: impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
) -> Option<[f64; N]> {
    let Some(hessian) = &min.hessian else {
        return standard_errors(&min.params, grad_fn);
    };
    let inverse = invert_spd(hessian)?;
    let errors: [f64; N] = std::array::from_fn(|i| min.params[i] * inverse[i][i].sqrt());
    errors.iter().all(|e| e.is_finite() && *e > 0.0).then_some(errors)
}

/// The lower Cholesky factor `L` (with `L·Lᵀ = M`) of the symmetric
/// `n × n` matrix `M` whose entry `(i, j)`, `j ≤ i`, is `at(i, j)`, row
/// after row in one vector; `None` unless `M` is positive definite. The one
/// factorisation of the crate's fits (fixed size, in [`invert_spd`]) and
/// of the bootstrap's draws (sized at run time).
pub(crate) fn cholesky(n: usize, at: impl Fn(usize, usize) -> f64) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = at(i, j);
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if !(sum > 0.0 && sum.is_finite()) {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// The inverse of a symmetric positive-definite matrix by Cholesky, or `None`.
#[allow(clippy::needless_range_loop)]
pub(crate) fn invert_spd<const N: usize>(m: &[[f64; N]; N]) -> Option<[[f64; N]; N]> {
    let factor = cholesky(N, |i, j| m[i][j])?;
    let l: [[f64; N]; N] = std::array::from_fn(|i| std::array::from_fn(|j| factor[i * N + j]));
    // Solve L Lᵀ X = I column by column.
    let mut inverse = [[0.0; N]; N];
    for col in 0..N {
        let mut z = [0.0; N];
        for i in 0..N {
            let mut sum = if i == col { 1.0 } else { 0.0 };
            for k in 0..i {
                sum -= l[i][k] * z[k];
            }
            z[i] = sum / l[i][i];
        }
        for i in (0..N).rev() {
            let mut sum = z[i];
            for k in i + 1..N {
                sum -= l[k][i] * inverse[k][col];
            }
            inverse[i][col] = sum / l[i][i];
        }
    }
    Some(inverse)
}

fn bfgs_update<const N: usize>(h: &mut [[f64; N]; N], s: &[f64; N], y: &[f64; N], sy: f64) {
    // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, expanded so no temporary
    // matrix product is needed.
    let rho = 1.0 / sy;
    let hy = mat_vec(h, y);
    let yhy = dot(y, &hy);
    for i in 0..N {
        for j in 0..N {
            h[i][j] += -rho * (s[i] * hy[j] + hy[i] * s[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

fn identity<const N: usize>() -> [[f64; N]; N] {
    std::array::from_fn(|i| std::array::from_fn(|j| if i == j { 1.0 } else { 0.0 }))
}

fn mat_vec<const N: usize>(m: &[[f64; N]; N], v: &[f64; N]) -> [f64; N] {
    std::array::from_fn(|i| dot(&m[i], v))
}

fn dot<const N: usize>(a: &[f64; N], b: &[f64; N]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm2<const N: usize>(a: &[f64; N]) -> f64 {
    norm(a)
}

fn norm<const N: usize>(a: &[f64; N]) -> f64 {
    dot(a, a).sqrt()
}

/// Asserts that the gradient `nll` writes at `p` matches central finite
/// differences of its value (steps of 1e-6 of each parameter), within 1e-5
/// of the gradient (or absolutely, for components below 1). The models'
/// likelihood tests share it.
#[cfg(test)]
pub(crate) fn assert_gradient_matches<const N: usize>(nll: impl Fn(&[f64; N], &mut [f64; N]) -> f64, p: [f64; N]) {
    let mut g = [0.0; N];
    nll(&p, &mut g);
    for i in 0..N {
        let h = 1e-6 * p[i];
        let (mut up, mut down) = (p, p);
        up[i] += h;
        down[i] -= h;
        let fd = (nll(&up, &mut [0.0; N]) - nll(&down, &mut [0.0; N])) / (2.0 * h);
        assert!((fd - g[i]).abs() < 1e-5 * g[i].abs().max(1.0), "{i}: {fd} vs {}", g[i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_smooth_function() {
        // f(p) = Σ (ln pᵢ − cᵢ)² · wᵢ, minimum at pᵢ = e^{cᵢ}.
        let c = [0.5, -1.0, 2.0];
        let w = [1.0, 10.0, 100.0];
        let min = minimise(&FitOptions::default(), ["a", "b", "c"], [0.0; 3], |p: &[f64; 3], g: &mut [f64; 3]| {
            let mut f = 0.0;
            for i in 0..3 {
                let d = p[i].ln() - c[i];
                f += w[i] * d * d;
                g[i] = 2.0 * w[i] * d / p[i];
            }
            f
        })
        .unwrap();
        for (p, c) in min.params.iter().zip(c) {
            assert!((p.ln() - c).abs() < 1e-6, "{:?}", min.params);
        }
        assert!(min.report.evaluations >= min.report.iterations);
    }

    /// A search started from the Hessian takes Newton steps: on a
    /// quadratic in θ (badly scaled, correlated) it lands in one or two,
    /// where the identity start needs many; it returns the stop's Hessian.
    #[test]
    fn a_hessian_start_takes_newton_steps() {
        let a = [[50.0, 7.0, 0.0], [7.0, 2.0, 0.5], [0.0, 0.5, 0.3]];
        let c = [0.4, -0.7, 1.1];
        let quadratic = |p: &[f64; 3], g: &mut [f64; 3]| {
            let d: [f64; 3] = std::array::from_fn(|i| p[i].ln() - c[i]);
            let mut f = 0.0;
            for i in 0..3 {
                let ad: f64 = (0..3).map(|j| a[i][j] * d[j]).sum();
                f += 0.5 * d[i] * ad;
                g[i] = ad / p[i];
            }
            f
        };
        let names = ["a", "b", "c"];
        let newton = minimise_from(&FitOptions::default(), names, [0.0; 3], Start::Hessian, quadratic).unwrap();
        let plain = minimise(&FitOptions::default(), names, [0.0; 3], quadratic).unwrap();
        for min in [&newton, &plain] {
            for (p, c) in min.params.iter().zip(c) {
                assert!((p.ln() - c).abs() < 1e-6, "{:?}", min.params);
            }
        }
        assert!(newton.report.iterations <= 2, "{:?}", newton.report);
        assert!(plain.report.iterations > 2 * newton.report.iterations, "{:?}", plain.report);
        let h = newton.hessian.expect("the stop's Hessian");
        for i in 0..3 {
            for j in 0..3 {
                assert!((h[i][j] - a[i][j]).abs() < 1e-3, "{h:?}");
            }
        }
    }

    #[test]
    fn standard_errors_invert_the_hessian() {
        // f = ½ pᵀ A p − bᵀ p with A = [[4, 1], [1, 3]]: the Hessian is A, so
        // the standard errors are the square roots of diag(A⁻¹) = (3, 4)/11.
        let grad = |p: &[f64; 2], g: &mut [f64; 2]| {
            g[0] = 4.0 * p[0] + p[1] - 1.0;
            g[1] = p[0] + 3.0 * p[1] - 2.0;
            0.0
        };
        let se = standard_errors(&[0.7, 1.3], grad).unwrap();
        assert!((se[0] - (3.0f64 / 11.0).sqrt()).abs() < 1e-9, "{se:?}");
        assert!((se[1] - (4.0f64 / 11.0).sqrt()).abs() < 1e-9, "{se:?}");
        // A curved function: f = Σ (pᵢ ln pᵢ − pᵢ) has Hessian diag(1/pᵢ), so
        // the standard errors are √pᵢ, up to the forward difference's error.
        let entropy = |p: &[f64; 2], g: &mut [f64; 2]| {
            g[0] = p[0].ln();
            g[1] = p[1].ln();
            0.0
        };
        let se = standard_errors(&[2.0, 50.0], entropy).unwrap();
        assert!((se[0] / 2f64.sqrt() - 1.0).abs() < 1e-4 && (se[1] / 50f64.sqrt() - 1.0).abs() < 1e-4, "{se:?}");
        let saddle = |p: &[f64; 2], g: &mut [f64; 2]| {
            g[0] = p[0];
            g[1] = -p[1];
            0.0
        };
        assert!(standard_errors(&[1.0, 1.0], saddle).is_none());
    }

    /// At a stop without a penalty, the standard errors from the search's
    /// own Hessian in θ agree with the N + 1 evaluations in p, without them.
    #[test]
    fn standard_errors_at_the_stop_reuse_its_hessian() {
        // A correlated, curved objective with its minimum at p = (2, 0.3, 40).
        let c = [2f64.ln(), 0.3f64.ln(), 40f64.ln()];
        let calls = std::cell::Cell::new(0);
        let nll = |p: &[f64; 3], g: &mut [f64; 3]| {
            calls.set(calls.get() + 1);
            let d: [f64; 3] = std::array::from_fn(|i| p[i].ln() - c[i]);
            let f = 3.0 * d[0] * d[0] + d[1] * d[1] + 0.5 * d[2] * d[2] + d[0] * d[1] + 0.2 * d[1].powi(4);
            let df = [6.0 * d[0] + d[1], 2.0 * d[1] + d[0] + 0.8 * d[1].powi(3), d[2]];
            for i in 0..3 {
                g[i] = df[i] / p[i];
            }
            f
        };
        let min = minimise(&FitOptions::default(), ["a", "b", "c"], [0.0; 3], nll).unwrap();
        assert!(min.hessian.is_some());
        let before = calls.get();
        let reused = standard_errors_at(&min, nll).unwrap();
        assert_eq!(calls.get(), before, "no evaluation");
        let fresh = standard_errors(&min.params, nll).unwrap();
        for i in 0..3 {
            assert!((reused[i] / fresh[i] - 1.0).abs() < 1e-4, "{reused:?} vs {fresh:?}");
        }
        // With a penalty the search has no Hessian: the evaluations in p.
        let penalised = minimise(&FitOptions::default(), ["a", "b", "c"], [1e-9; 3], nll).unwrap();
        assert!(penalised.hessian.is_none());
        assert_eq!(standard_errors_at(&penalised, nll), standard_errors(&penalised.params, nll));
    }

    #[test]
    fn inverts_a_positive_definite_matrix() {
        let m = [[4.0, 1.0], [1.0, 3.0]];
        let inv = invert_spd(&m).unwrap();
        let det = 11.0;
        assert!((inv[0][0] - 3.0 / det).abs() < 1e-15);
        assert!((inv[0][1] + 1.0 / det).abs() < 1e-15);
        assert!(invert_spd(&[[1.0, 2.0], [2.0, 1.0]]).is_none());
        // The run-time-sized factor: L·Lᵀ gives the matrix back, at any size.
        for n in [1usize, 3, 7] {
            let m = |i: usize, j: usize| if i == j { 2.0 + i as f64 } else { 0.5 / (1.0 + (i + j) as f64) };
            let l = cholesky(n, m).unwrap();
            for i in 0..n {
                for j in 0..n {
                    let back: f64 = (0..n).map(|k| l[i * n + k] * l[j * n + k]).sum();
                    assert!((back - m(i.max(j), i.min(j))).abs() < 1e-14, "{n} {i} {j}");
                }
                assert!(l[i * n + i + 1..(i + 1) * n].iter().all(|&v| v == 0.0));
            }
        }
        assert!(cholesky(2, |i, j| if i == j { 1.0 } else { 2.0 }).is_none());
    }

    #[test]
    fn rejects_bad_options_and_reports_non_convergence() {
        let bad = FitOptions { tolerance: f64::NAN, ..FitOptions::default() };
        let quad = |p: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = 2.0 * (p[0] - 5.0);
            (p[0] - 5.0).powi(2)
        };
        assert!(matches!(minimise(&bad, ["p"], [0.0], quad), Err(ClvError::InvalidOption { name: "tolerance", .. })));
        let short = FitOptions { max_iterations: 1, ..FitOptions::default() };
        assert!(matches!(minimise(&short, ["p"], [0.0], quad), Err(ClvError::NotConverged { iterations: 1, .. })));
        // −ln p falls for ever as p grows, ln p as p shrinks.
        let falls_up = |p: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = -1.0 / p[0];
            -p[0].ln()
        };
        let err = minimise(&FitOptions::default(), ["p"], [0.0], falls_up).unwrap_err();
        assert!(matches!(err, ClvError::Unbounded { parameter: "p", towards: "infinity" }), "{err}");
        let falls_down = |p: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = 1.0 / p[0];
            p[0].ln()
        };
        let err = minimise(&FitOptions::default(), ["p"], [0.0], falls_down).unwrap_err();
        assert!(matches!(err, ClvError::Unbounded { parameter: "p", towards: "zero" }), "{err}");
    }
}
