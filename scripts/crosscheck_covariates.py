"""Cross-checks the `clv` example's `--covariates` fits against an
independent implementation of CLVTools' static-covariate likelihoods
(numpy + scipy; written from the published formulas, not from the crate).

Not part of `cargo test`. Build the example first (`cargo build --example
clv`, or `--release` and pass its path), then from the repository's root:

    python3 scripts/crosscheck_covariates.py [path/to/examples/clv]

It fits the BG/NBD and the Pareto/NBD with the covariates of
tests/data/cdnow_covariates.csv on the CDNOW summary with scipy's BFGS (log
scale for r, alpha, ..., raw coefficients, as CLVTools does), and prints the
log-likelihoods and the largest differences from the example's parameters,
coefficients and standard errors (scipy's from a central-difference
Hessian).

Parameterisation (CLVTools, Fader & Hardie 2007):
  Pareto/NBD: alpha_i = alpha exp(-x_i g_p), beta_i = beta exp(-x_i g_d)
  BG/NBD:     alpha_i = alpha exp(-x_i g_p), a_i = a exp(x_i g_d), b_i = b exp(x_i g_d)
"""

import csv
import json
import subprocess
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

EXAMPLE = sys.argv[1] if len(sys.argv) > 1 else "target/debug/examples/clv"
SUMMARY = "tests/data/cdnow_summary.csv"
COVARIATES = "tests/data/cdnow_covariates.csv"
NAMES = ["january", "odd_id"]


def load():
    with open(SUMMARY, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(COVARIATES, newline="") as f:
        cov = {r["customer_id"]: [float(r[n]) for n in NAMES] for r in csv.DictReader(f)}
    x = np.array([float(r["frequency"]) for r in rows])
    tx = np.array([float(r["recency"]) for r in rows])
    t = np.array([float(r["T"]) for r in rows])
    z = np.array([cov[r["customer_id"]] for r in rows])
    return x, tx, t, z


def bgnbd_ll(theta, x, tx, t, z):
    r, alpha, a, b = np.exp(theta[:4])
    gp, gd = theta[4:6], theta[6:8]
    al = alpha * np.exp(-z @ gp)
    ai = a * np.exp(z @ gd)
    bi = b * np.exp(z @ gd)
    part1 = r * np.log(al) + gammaln(r + x) - gammaln(r) - (r + x) * np.log(al + tx)
    first = np.exp(betaln(ai, bi + x) - betaln(ai, bi) + (r + x) * (np.log(al + tx) - np.log(al + t)))
    second = np.where(x > 0, np.exp(betaln(ai + 1, np.maximum(bi + x - 1, 1e-300)) - betaln(ai, bi)), 0.0)
    return np.sum(part1 + np.log(first + second))


def pnbd_ll(theta, x, tx, t, z):
    r, alpha, s, beta = np.exp(theta[:4])
    gp, gd = theta[4:6], theta[6:8]
    al = alpha * np.exp(-z @ gp)
    be = beta * np.exp(-z @ gd)
    rsx = r + s + x
    big = np.maximum(al, be)
    # The hypergeometric's second parameter: s + 1 when alpha >= beta, else r + x.
    second = np.where(al >= be, s + 1.0, r + x)
    diff = np.abs(al - be)
    f1 = hyp2f1(rsx, second, rsx + 1.0, diff / (big + tx))
    f2 = hyp2f1(rsx, second, rsx + 1.0, diff / (big + t))
    log_a1 = np.log(f1) - rsx * np.log(big + tx)
    log_a2 = np.log(f2) - rsx * np.log(big + t)
    a0 = np.exp(log_a1) - np.exp(log_a2)
    alive = np.exp(-(r + x) * np.log(al + t) - s * np.log(be + t))
    lead = gammaln(r + x) + r * np.log(al) + s * np.log(be) - gammaln(r)
    return np.sum(lead + np.log(alive + s / rsx * a0))


def fit(ll, data):
    f = lambda th: -ll(th, *data)
    best = minimize(f, np.zeros(8), method="BFGS", options={"gtol": 1e-7, "maxiter": 2000})
    th = best.x
    h = 1e-4
    hess = np.zeros((8, 8))
    for i in range(8):
        for j in range(8):
            e_i, e_j = np.eye(8)[i] * h, np.eye(8)[j] * h
            hess[i, j] = (f(th + e_i + e_j) - f(th + e_i - e_j) - f(th - e_i + e_j) + f(th - e_i - e_j)) / (4 * h * h)
    cov = np.linalg.inv(hess)
    se = np.sqrt(np.diag(cov))
    natural = np.concatenate([np.exp(th[:4]), th[4:]])
    se_natural = np.concatenate([np.exp(th[:4]) * se[:4], se[4:]])
    return -best.fun, natural, se_natural


def main():
    data = load()
    out = json.loads(subprocess.check_output([EXAMPLE, "--summary", SUMMARY, "--covariates", COVARIATES]))
    for key, ll, params in [
        ("bgnbd", bgnbd_ll, ["r", "alpha", "a", "b"]),
        ("pareto_nbd", pnbd_ll, ["r", "alpha", "s", "beta"]),
    ]:
        value, natural, se = fit(ll, data)
        m = out[key]
        ours = [m[p] for p in params] + [m["covariates"]["purchase"][n] for n in NAMES] + [
            m["covariates"]["dropout"][n] for n in NAMES
        ]
        ours_se = [m["standard_errors"][p] for p in params] + [
            m["standard_errors"]["purchase"][n] for n in NAMES
        ] + [m["standard_errors"]["dropout"][n] for n in NAMES]
        labels = params + [f"purchase.{n}" for n in NAMES] + [f"dropout.{n}" for n in NAMES]
        print(f"{key}: log-likelihood scipy {value:.6f}, example {m['log_likelihood']:.6f}")
        # The example's own likelihood at its parameters, by this script.
        theta = np.concatenate([np.log(ours[:4]), ours[4:]])
        print(f"  this script's likelihood at the example's estimates: {ll(theta, *data):.6f}")
        for label, a, b, sa, sb in zip(labels, natural, ours, se, ours_se):
            print(f"  {label:18s} scipy {a: .6f} (se {sa:.5f})   example {b: .6f} (se {sb:.5f})")


if __name__ == "__main__":
    main()
