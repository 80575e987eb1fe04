//! The maximum-likelihood machinery the models share: fit settings, the fit
//! report, a compact BFGS minimiser over log-parameters, and standard errors
//! from a finite-difference Hessian.
//!
//! Why hand-written: the models have three or four positive parameters,
//! analytic (or cheap numerical) gradients, and fit in microseconds to
//! milliseconds, so the minimiser's own overhead matters; a dense BFGS with a
//! backtracking line search is about a hundred lines, and the general crates
//! (argmin and its math back-ends) would add far more build time than code.

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
    /// The fit stops when the gradient's Euclidean norm (with respect to the
    /// log-parameters) is at most `tolerance · (1 + |objective|)`. Default
    /// `1e-8`.
    pub tolerance: f64,
    /// The most BFGS iterations before [`ClvError::NotConverged`]. Default 500.
    pub max_iterations: u32,
    /// An L2 penalty `λ·Σ θᵢ²` on the parameters, added to the negative
    /// log-likelihood total; it pulls the parameters towards zero on data that
    /// barely identifies them. Default 0.
    pub l2_penalty: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { tolerance: 1e-8, max_iterations: 500, l2_penalty: 0.0 }
    }
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

/// How a fit went: work done and how flat the objective was at the end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// BFGS iterations.
    pub iterations: u32,
    /// Evaluations of the objective (each with its gradient).
    pub evaluations: u32,
    /// The Euclidean norm of the objective's gradient with respect to the
    /// log-parameters at the optimum.
    pub gradient_norm: f64,
}

/// The result of [`minimise`]: the natural parameters, the objective there
/// and the report.
#[derive(Debug)]
pub(crate) struct Minimum<const N: usize> {
    pub params: [f64; N],
    /// `nll(params) + λ·Σ pᵢ²`, as evaluated at `params`.
    pub value: f64,
    pub report: FitReport,
}

impl<const N: usize> Minimum<N> {
    /// The log-likelihood at the optimum: the objective's own value when
    /// there is no penalty (the same evaluation, so the same bits), else
    /// `log_likelihood()` evaluated afresh.
    pub(crate) fn log_likelihood(&self, options: &FitOptions, log_likelihood: impl FnOnce() -> f64) -> f64 {
        if options.l2_penalty == 0.0 { -self.value } else { log_likelihood() }
    }
}

/// Beyond this, a log-parameter is running off to zero or infinity: the data
/// do not pin the parameter down.
const THETA_LIMIT: f64 = 30.0;

/// Minimises `nll(p) + λ·Σ pᵢ²` over positive `p`, searching in `θ = ln p`
/// from `θ = 0` (every parameter 1), a start that never depends on the data.
///
/// `nll` writes the gradient with respect to the natural parameters into its
/// second argument and returns the objective; a non-finite value marks a
/// point the line search must back away from. `names` name the parameters
/// in [`ClvError::Unbounded`], returned when one of them runs off to zero or
/// infinity.
pub(crate) fn minimise<const N: usize>(
    options: &FitOptions,
    names: [&'static str; N],
    mut nll: impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
) -> Result<Minimum<N>, ClvError> {
    options.validate()?;
    let lambda = options.l2_penalty;
    let mut evaluations = 0u32;
    let mut eval = |theta: &[f64; N], grad: &mut [f64; N]| -> f64 {
        evaluations += 1;
        let p: [f64; N] = std::array::from_fn(|i| theta[i].exp());
        let mut value = nll(&p, grad);
        for i in 0..N {
            value += lambda * p[i] * p[i];
            // d/dθ = p · d/dp.
            grad[i] = (grad[i] + 2.0 * lambda * p[i]) * p[i];
        }
        if grad.iter().all(|g| g.is_finite()) { value } else { f64::NAN }
    };

    let mut theta = [0.0; N];
    let mut grad = [0.0; N];
    let mut value = eval(&theta, &mut grad);
    if !value.is_finite() {
        return Err(ClvError::NonFiniteLikelihood);
    }
    let mut inverse = identity::<N>();
    let mut fresh = true;
    let mut iterations = 0u32;
    // Since when, and from where, steps have gained only rounding.
    let mut stall: Option<(u32, [f64; N])> = None;
    loop {
        let grad_norm = norm(&grad);
        let threshold = options.tolerance * (1.0 + value.abs());
        if grad_norm <= threshold {
            let report = FitReport { iterations, evaluations, gradient_norm: grad_norm };
            return Ok(Minimum { params: theta.map(f64::exp), value, report });
        }
        if iterations >= options.max_iterations {
            return Err(ClvError::NotConverged { iterations, gradient_norm: grad_norm });
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
        // Never move a log-parameter by more than 3 (a factor of 20) at once.
        let longest = direction.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        let mut step = if longest > 3.0 { 3.0 / longest } else { 1.0 };

        let mut next_grad = [0.0; N];
        let mut accepted = None;
        for _ in 0..60 {
            let trial: [f64; N] = std::array::from_fn(|i| theta[i] + step * direction[i]);
            let trial_value = eval(&trial, &mut next_grad);
            if trial_value.is_finite() && trial_value <= value + 1e-4 * step * slope {
                accepted = Some((trial, trial_value));
                break;
            }
            step *= if trial_value.is_finite() { 0.5 } else { 0.1 };
        }
        let Some((trial, trial_value)) = accepted else {
            // No decrease is possible along a descent direction: the
            // objective is flat to rounding here. Accept the point when the
            // gradient is at that rounding level.
            if grad_norm <= 1e3 * threshold {
                let report = FitReport { iterations, evaluations, gradient_norm: grad_norm };
                return Ok(Minimum { params: theta.map(f64::exp), value, report });
            }
            return Err(ClvError::NotConverged { iterations, gradient_norm: grad_norm });
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
                    // Near the limit, a stall is a parameter stuck at a
                    // boundary: no further iteration will help.
                    if trial.iter().any(|t| t.abs() > THETA_LIMIT - 10.0) {
                        return Err(unbounded(names, &trial));
                    }
                    let report = FitReport { iterations, evaluations, gradient_norm: norm(&next_grad) };
                    return Ok(Minimum { params: trial.map(f64::exp), value: trial_value, report });
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
    }
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
    let mut hessian = [[0.0; N]; N];
    let mut at = [0.0; N];
    let mut step = [0.0; N];
    grad_fn(params, &mut at);
    for j in 0..N {
        let mut p = *params;
        p[j] = params[j] * (1.0 + 1e-5);
        // The step actually taken, after rounding.
        let h = p[j] - params[j];
        grad_fn(&p, &mut step);
        for i in 0..N {
            hessian[i][j] = (step[i] - at[i]) / h;
        }
    }
    for i in 0..N {
        for j in 0..i {
            let mean = 0.5 * (hessian[i][j] + hessian[j][i]);
            hessian[i][j] = mean;
            hessian[j][i] = mean;
        }
    }
    let inverse = invert_spd(&hessian)?;
    let errors: [f64; N] = std::array::from_fn(|i| inverse[i][i].sqrt());
    errors.iter().all(|e| e.is_finite() && *e > 0.0).then_some(errors)
}

/// The inverse of a symmetric positive-definite matrix by Cholesky, or `None`.
#[allow(clippy::needless_range_loop)]
fn invert_spd<const N: usize>(m: &[[f64; N]; N]) -> Option<[[f64; N]; N]> {
    let mut l = [[0.0; N]; N];
    for i in 0..N {
        for j in 0..=i {
            let mut sum = m[i][j];
            for k in 0..j {
                sum -= l[i][k] * l[j][k];
            }
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
        let min = minimise(&FitOptions::default(), ["a", "b", "c"], |p: &[f64; 3], g: &mut [f64; 3]| {
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

    #[test]
    fn inverts_a_positive_definite_matrix() {
        let m = [[4.0, 1.0], [1.0, 3.0]];
        let inv = invert_spd(&m).unwrap();
        let det = 11.0;
        assert!((inv[0][0] - 3.0 / det).abs() < 1e-15);
        assert!((inv[0][1] + 1.0 / det).abs() < 1e-15);
        assert!(invert_spd(&[[1.0, 2.0], [2.0, 1.0]]).is_none());
    }

    #[test]
    fn rejects_bad_options_and_reports_non_convergence() {
        let bad = FitOptions { tolerance: f64::NAN, ..FitOptions::default() };
        let quad = |p: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = 2.0 * (p[0] - 5.0);
            (p[0] - 5.0).powi(2)
        };
        assert!(matches!(minimise(&bad, ["p"], quad), Err(ClvError::InvalidOption { name: "tolerance", .. })));
        let short = FitOptions { max_iterations: 1, ..FitOptions::default() };
        assert!(matches!(minimise(&short, ["p"], quad), Err(ClvError::NotConverged { iterations: 1, .. })));
        // −ln p falls for ever as p grows, ln p as p shrinks.
        let falls_up = |p: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = -1.0 / p[0];
            -p[0].ln()
        };
        let err = minimise(&FitOptions::default(), ["p"], falls_up).unwrap_err();
        assert!(matches!(err, ClvError::Unbounded { parameter: "p", towards: "infinity" }), "{err}");
        let falls_down = |p: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = 1.0 / p[0];
            p[0].ln()
        };
        let err = minimise(&FitOptions::default(), ["p"], falls_down).unwrap_err();
        assert!(matches!(err, ClvError::Unbounded { parameter: "p", towards: "zero" }), "{err}");
    }
}
