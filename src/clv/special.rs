//! Special functions shared by the models: ln Γ and ψ come from `statrs`;
//! the few things no maintained crate offers in the form the likelihoods need
//! (log-sum-exp, the Gauss hypergeometric series in the convergent regions the
//! models use) are written here and tested against closed forms.

pub(crate) use statrs::function::gamma::{digamma, ln_gamma};

/// `ln(e^a + e^b)` without overflow; `-inf` terms are allowed.
pub(crate) fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// `ln(e^a − e^b)` for `a ≥ b`; `-inf` when they are equal.
pub(crate) fn log_sub_exp(a: f64, b: f64) -> f64 {
    if b == f64::NEG_INFINITY {
        return a;
    }
    let d = b - a;
    if d >= 0.0 {
        return f64::NEG_INFINITY;
    }
    // ln(1 − e^d), accurate for d near 0 and for d very negative.
    let tail = if d > -std::f64::consts::LN_2 { (-d.exp_m1()).ln() } else { (-d.exp()).ln_1p() };
    a + tail
}

/// The largest number of series terms summed before the tail bound is used.
const MAX_TERMS: usize = 20_000;

/// `₂F₁(a, b; c; z)` by its power series, for `|z| < 1` and `c` not a
/// non-positive integer.
///
/// The callers transform their arguments first so that the series has modest
/// parameters (see the models), which keeps every term finite. The sum stops
/// when a term no longer changes it; after [`MAX_TERMS`] terms the remaining
/// tail of a series whose term ratio has settled below one is bounded by a
/// geometric series and added.
pub(crate) fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    hyp2f1_with_magnitude(a, b, c, z).0
}

/// [`hyp2f1`] and the largest absolute term met, which tells how much of the
/// sum was lost to cancellation.
pub(crate) fn hyp2f1_with_magnitude(a: f64, b: f64, c: f64, z: f64) -> (f64, f64) {
    let mut term = 1.0f64;
    let mut sum = 1.0;
    let mut largest = 1.0f64;
    for n in 0..MAX_TERMS {
        let k = n as f64;
        let ratio = (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        term *= ratio;
        largest = largest.max(term.abs());
        let next = sum + term;
        if term == 0.0 || (next == sum && n > 2 && ratio.abs() < 1.0) {
            return (next, largest);
        }
        sum = next;
        if !sum.is_finite() {
            return (sum, largest);
        }
    }
    let k = MAX_TERMS as f64;
    let ratio = ((a + k) * (b + k) / ((c + k) * (k + 1.0)) * z).abs().min(1.0 - 1e-12);
    (sum + term * ratio / (1.0 - ratio), largest)
}

/// `ln Σ_{k ≥ first} |t_k|` for the terms `t_k` of `₂F₁(a, b; c; z)`, with
/// `a, b > 0`, `0 ≤ z < 1` and `c > −1`, so that from `k = 1` on every term
/// has one sign. The sum is rescaled as it grows, so terms far beyond the
/// range of `f64` are fine.
pub(crate) fn ln_hyp2f1_abs_terms(a: f64, b: f64, c: f64, z: f64, first: usize) -> f64 {
    const RESCALE: f64 = 1e250;
    let mut ln_offset = 0.0;
    let mut term = 1.0f64;
    let mut sum = if first == 0 { 1.0 } else { 0.0 };
    for n in 0..MAX_TERMS * 10 {
        let k = n as f64;
        let ratio = ((a + k) * (b + k) / ((c + k) * (k + 1.0)) * z).abs();
        term *= ratio;
        if n + 1 >= first {
            sum += term;
        }
        if term > RESCALE || sum > RESCALE {
            term /= RESCALE;
            sum /= RESCALE;
            ln_offset += RESCALE.ln();
        }
        if ratio < 1.0 && (term <= sum * 1e-17 || term == 0.0) {
            break;
        }
    }
    sum.ln() + ln_offset
}

/// `ln ₂F₁(1, b; c; z)` for `0 ≤ z < 1` and `0 < b < c`: every term is
/// positive and smaller than the one before, so the sum needs no
/// cancellation and no term can overflow.
pub(crate) fn ln_hyp2f1_one(b: f64, c: f64, z: f64) -> f64 {
    hyp2f1(1.0, b, c, z).ln()
}

/// `ln ₂F₁(1, b; c; z)` as [`ln_hyp2f1_one`], with the derivatives of
/// `ln ₂F₁` with respect to `b`, `c` and `z`, summed term by term alongside
/// the series: for `t_k = (b)_k/(c)_k · z^k`, `∂t_k/∂b = t_k Σ_{i<k} 1/(b+i)`,
/// `∂t_k/∂c = −t_k Σ_{i<k} 1/(c+i)` and `∂t_k/∂z = k t_k / z`.
#[cfg(test)]
pub(crate) fn ln_hyp2f1_one_with_gradient(b: f64, c: f64, z: f64) -> (f64, [f64; 3]) {
    let [one] = ln_hyp2f1_one_with_gradients(b, c, [z]);
    one
}

/// `ln ₂F₁(1, b; c; z)` with its derivatives in `b`, `c` and `z` (summed
/// term by term alongside the series: for `t_k = (b)_k/(c)_k · z^k`,
/// `∂t_k/∂b = t_k Σ_{i<k} 1/(b+i)`, `∂t_k/∂c = −t_k Σ_{i<k} 1/(c+i)` and
/// `∂t_k/∂z = k t_k / z`) at several `z` with the same `b` and
/// `c`, in one pass: the coefficients `(b)_k/(c)_k` and the harmonic sums
/// of the derivatives (a division per term) are shared, and each series
/// stops on its own rule, so every result is bit for bit the one call's.
pub(crate) fn ln_hyp2f1_one_with_gradients<const M: usize>(b: f64, c: f64, z: [f64; M]) -> [(f64, [f64; 3]); M] {
    let (mut term, mut sum, mut sum_b, mut sum_c, mut sum_kz) = ([0.0; M], [0.0; M], [0.0; M], [0.0; M], [0.0; M]);
    let mut live = z;
    series_one_with_gradients(b, c, &mut live, [&mut term, &mut sum, &mut sum_b, &mut sum_c, &mut sum_kz]);
    std::array::from_fn(|m| log_and_gradient(b, c, z[m], [sum[m], sum_b[m], sum_c[m], sum_kz[m]]))
}

/// [`ln_hyp2f1_one_with_gradients`] at any number of `z` (the tails of a
/// whole run of Pareto/NBD histories with one `x`), in the order given,
/// each bit for bit the one call's. The series run side by side, largest
/// `z` first, so that the pass shrinks as the faster ones stop.
///
/// # Complexity
///
/// O(Σ terms of each series), with one division per term of the longest.
pub(crate) fn ln_hyp2f1_one_with_gradients_many(b: f64, c: f64, z: &[f64]) -> Vec<(f64, [f64; 3])> {
    let mut order: Vec<usize> = (0..z.len()).collect();
    order.sort_by(|&i, &j| z[j].total_cmp(&z[i]));
    let mut live: Vec<f64> = order.iter().map(|&i| z[i]).collect();
    let column = || vec![0.0; z.len()];
    let (mut term, mut sum, mut sum_b, mut sum_c, mut sum_kz) = (column(), column(), column(), column(), column());
    series_one_with_gradients(b, c, &mut live, [&mut term, &mut sum, &mut sum_b, &mut sum_c, &mut sum_kz]);
    let mut out = vec![(0.0, [0.0; 3]); z.len()];
    for (at, &i) in order.iter().enumerate() {
        out[i] = log_and_gradient(b, c, z[i], [sum[at], sum_b[at], sum_c[at], sum_kz[at]]);
    }
    out
}

/// The sums of [`ln_hyp2f1_one_with_gradients`] at each of `z` (which it
/// overwrites), into `[term, Σ t_k, Σ t_k Σ 1/(b+i), Σ t_k Σ 1/(c+i),
/// Σ (k+1) t_{k+1}]`. A series that has stopped has its `z` set to 0, so
/// its later terms are exact zeros that leave its sums alone, and the
/// loop body has no branch; the pass ends when the last `z` has stopped.
fn series_one_with_gradients(b: f64, c: f64, z: &mut [f64], [term, sum, sum_b, sum_c, sum_kz]: [&mut [f64]; 5]) {
    term.fill(1.0);
    sum.fill(1.0);
    let mut live = z.len();
    let (mut inv_b, mut inv_c) = (0.0, 0.0);
    for n in 0..MAX_TERMS {
        let k = n as f64;
        // One division for the three quotients: the loop runs thousands of
        // times where z is near 1 (a Pareto/NBD far out on a ridge).
        let (bk, ck) = (b + k, c + k);
        let q = 1.0 / (bk * ck);
        inv_b += ck * q;
        inv_c += bk * q;
        let coefficient = bk * bk * q;
        let rest = 1.0 + inv_b + inv_c;
        let z = &mut z[..live];
        let (term, sum) = (&mut term[..live], &mut sum[..live]);
        let (sum_b, sum_c, sum_kz) = (&mut sum_b[..live], &mut sum_c[..live], &mut sum_kz[..live]);
        for m in 0..live {
            let t = term[m] * (coefficient * z[m]);
            term[m] = t;
            sum[m] += t;
            sum_b[m] += t * inv_b;
            sum_c[m] += t * inv_c;
            sum_kz[m] += t * (k + 1.0);
            let done = t * (k + 2.0) * rest <= 1e-17 * sum[m] || t == 0.0;
            z[m] = if done { 0.0 } else { z[m] };
        }
        while live > 0 && z[live - 1] == 0.0 {
            live -= 1;
        }
        if live == 0 {
            break;
        }
    }
}

/// `ln Σ t_k` and its derivatives in `b`, `c` and `z` from the sums of
/// [`series_one_with_gradients`].
fn log_and_gradient(b: f64, c: f64, z: f64, [sum, sum_b, sum_c, sum_kz]: [f64; 4]) -> (f64, [f64; 3]) {
    // ∂/∂z of Σ t_k is Σ k t_k / z; at z = 0 it is the first term's b/c.
    let d_z = if z > 0.0 { sum_kz / z } else { b / c };
    (sum.ln(), [sum_b / sum, -sum_c / sum, d_z / sum])
}

/// `-expm1(-k·l)/k`, the integral of `e^{-k·u}` over `[0, l]`, with its
/// limit `l` when `k` is zero.
pub(crate) fn exp_integral(k: f64, l: f64) -> f64 {
    if k.abs() * l < 1e-10 { l * (1.0 - 0.5 * k * l) } else { -(-k * l).exp_m1() / k }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn log_sums() {
        assert!(close(log_add_exp(1.0, 2.0), (1f64.exp() + 2f64.exp()).ln(), 1e-15));
        assert_eq!(log_add_exp(f64::NEG_INFINITY, 3.0), 3.0);
        assert!(close(log_add_exp(1000.0, 1000.0), 1000.0 + 2f64.ln(), 1e-15));
        assert!(close(log_sub_exp(2.0, 1.0), (2f64.exp() - 1f64.exp()).ln(), 1e-14));
        assert!(close(log_sub_exp(1.0, 1.0 - 1e-12), (1e-12f64).ln() + 1.0, 1e-6));
        assert_eq!(log_sub_exp(1.0, 1.0), f64::NEG_INFINITY);
    }

    /// Series sharing `b` and `c` in one pass give each one's own result,
    /// bit for bit, whichever stops first.
    #[test]
    fn shared_series_equal_single_ones() {
        for (b, c, z) in
            [(0.7, 3.2, [0.4, 0.05]), (5.0, 6.5, [0.0, 0.9]), (1.5, 40.0, [0.9, 0.999]), (0.2, 1.9, [0.3, 0.3])]
        {
            let pair = ln_hyp2f1_one_with_gradients(b, c, z);
            for (m, &zm) in z.iter().enumerate() {
                let one = ln_hyp2f1_one_with_gradient(b, c, zm);
                assert_eq!(pair[m].0.to_bits(), one.0.to_bits(), "{b} {c} {zm}");
                assert_eq!(pair[m].1.map(f64::to_bits), one.1.map(f64::to_bits), "{b} {c} {zm}");
            }
        }
    }

    /// Any number of series in one pass, in any order of `z` (repeated,
    /// zero, near 1, where one runs thousands of terms past the others),
    /// give each one's own result, bit for bit.
    #[test]
    fn many_series_equal_single_ones() {
        for (b, c) in [(4.4, 5.9), (0.55, 27.4), (1.5, 40.0), (27.0, 29.0)] {
            let z = [0.3, 0.9999, 0.0, 0.95, 0.3, 0.5, 0.99, 1e-9, 0.7];
            let many = ln_hyp2f1_one_with_gradients_many(b, c, &z);
            assert_eq!(many.len(), z.len());
            for (m, &zm) in z.iter().enumerate() {
                let one = ln_hyp2f1_one_with_gradient(b, c, zm);
                assert_eq!(many[m].0.to_bits(), one.0.to_bits(), "{b} {c} {zm}");
                assert_eq!(many[m].1.map(f64::to_bits), one.1.map(f64::to_bits), "{b} {c} {zm}");
                // Both stop at their term limit short of 1 (z = 0.9999).
                if zm < 0.999 {
                    assert!(close(many[m].0, ln_hyp2f1_one(b, c, zm), 1e-13), "{b} {c} {zm}");
                }
            }
        }
        assert!(ln_hyp2f1_one_with_gradients_many(1.0, 2.0, &[]).is_empty());
    }

    #[test]
    fn hypergeometric_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z.
        for z in [0.0001, 0.1, 0.5, 0.9, 0.99] {
            assert!(close(hyp2f1(1.0, 1.0, 2.0, z), -(-z).ln_1p() / z, 1e-12), "{z}");
        }
        // ₂F₁(a, b; b; z) = (1 − z)^(−a).
        for (a, z) in [(0.3, 0.4), (2.5, -0.7), (7.0, 0.2)] {
            assert!(close(hyp2f1(a, 1.7, 1.7, z), (1.0 - z).powf(-a), 1e-12));
        }
        // Gauss at z → 1 through ₂F₁(1, b; c; z), c − b > 1: (c − 1)/(c − b − 1).
        assert!(close(ln_hyp2f1_one(0.5, 3.0, 0.999_999).exp(), 2.0 / 1.5, 1e-4));
        assert!(close(exp_integral(0.0, 2.0), 2.0, 1e-15));
        // The series' gradient agrees with central differences.
        for (b, c, z) in [(0.7, 3.2, 0.4), (5.0, 6.5, 0.05), (1.5, 40.0, 0.9)] {
            let (value, grad) = ln_hyp2f1_one_with_gradient(b, c, z);
            assert!(close(value, ln_hyp2f1_one(b, c, z), 1e-14));
            let h = 1e-6;
            let fd = [
                (ln_hyp2f1_one(b + h, c, z) - ln_hyp2f1_one(b - h, c, z)) / (2.0 * h),
                (ln_hyp2f1_one(b, c + h, z) - ln_hyp2f1_one(b, c - h, z)) / (2.0 * h),
                (ln_hyp2f1_one(b, c, z + h) - ln_hyp2f1_one(b, c, z - h)) / (2.0 * h),
            ];
            for i in 0..3 {
                assert!((grad[i] - fd[i]).abs() < 1e-7 * fd[i].abs().max(1.0), "{b} {c} {z} [{i}]");
            }
        }
        // The one-signed series in log space agrees with the plain sum, for
        // c > 0 and for −1 < c < 0 (every term after the first negative).
        for (a, b, c, z) in [(3.0, 2.5, 1.7, 0.3), (0.4, 8.0, 9.5, 0.9), (50.0, 3.0, 2.0, 0.2)] {
            assert!(close(ln_hyp2f1_abs_terms(a, b, c, z, 0), hyp2f1(a, b, c, z).ln(), 1e-12));
        }
        let (a, b, c, z) = (0.5, 0.3, -0.4, 0.6);
        assert!(close(1.0 - ln_hyp2f1_abs_terms(a, b, c, z, 1).exp(), hyp2f1(a, b, c, z), 1e-12));
        // Far beyond f64: ₂F₁(a, b; b; z) = (1 − z)^(−a) with a = 2000.
        assert!(close(ln_hyp2f1_abs_terms(2000.0, 1.5, 1.5, 0.9, 0), -2000.0 * 0.1f64.ln(), 1e-10));
        assert!(close(exp_integral(0.5, 2.0), (1.0 - (-1f64).exp()) / 0.5, 1e-15));
    }
}
