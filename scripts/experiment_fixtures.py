"""Reference values for the `experiment` example's statistics modes.

Computes, with numpy, scipy and statsmodels (independently of the crate),
the expected output of `--means`, `--proportions`, `--bayes-proportions`,
`--srm`, `--adjust` and `--cuped` on seeded random inputs, and writes them
to tests/data/experiment_fixtures.json (with the CUPED input files beside
it) for tests/campaign.rs to compare against.

    pip install numpy scipy statsmodels
    python3 scripts/experiment_fixtures.py

The formulas are the contract of issue 19 as the example documents them:
Welch-Satterthwaite degrees of freedom for absolute and relative effects,
the delta-method variance for the relative one, GrowthBook's asymptotic
confidence sequence for --sequential, a flat-prior normal posterior for the
Bayesian view, a chi-square goodness-of-fit test for sample-ratio mismatch,
and statsmodels' multipletests for the adjusted p-values.
"""

import json
import math
import os

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data")
rng = np.random.default_rng(20261204)


def effect(n_a, m_a, v_a, n_b, m_b, v_b, relative, n_star=None):
    """Effect, se, ci95, p for B against A from per-unit variances."""
    va, vb = v_a / n_a, v_b / n_b
    if relative:
        est = m_b / m_a - 1
        se = math.sqrt(vb / m_a**2 + m_b**2 * va / m_a**4)
    else:
        est = m_b - m_a
        se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    if n_star is None:
        half = stats.t.ppf(0.975, df) * se
        p = 2 * stats.t.sf(abs(est / se), df)
    else:
        alpha = 0.05
        n = n_a + n_b
        rho = math.sqrt((-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / n_star)
        half = se * math.sqrt(n) * math.sqrt(
            2 * (n * rho**2 + 1) / (n**2 * rho**2) * math.log(math.sqrt(n * rho**2 + 1) / alpha)
        )
        p = None
    return {"effect": est, "se": se, "ci95": [est - half, est + half], "p_value": p}


cases = []

# --means: raw values summarised by the caller.
for i in range(12):
    n_a, n_b = int(rng.integers(2, 3000)), int(rng.integers(2, 3000))
    a = rng.gamma(2.0, 20.0, n_a)
    b = rng.gamma(2.0, 20.0 * (1 + rng.uniform(-0.2, 0.3)), n_b)
    values = [n_a, float(a.sum()), float((a**2).sum()), n_b, float(b.sum()), float((b**2).sum())]
    arg = ",".join(repr(v) if isinstance(v, float) else str(v) for v in values)
    relative = i % 2 == 1
    n_star = None if i < 8 else float(rng.integers(100, 10000))
    args = ["--means", arg, "--effect", "relative" if relative else "absolute"]
    if n_star is not None:
        args += ["--sequential", repr(n_star)]
    s2 = lambda n, s, q: (q - s * s / n) / (n - 1)
    expected = effect(
        n_a, values[1] / n_a, s2(n_a, values[1], values[2]), n_b, values[4] / n_b, s2(n_b, values[4], values[5]),
        relative, n_star,
    )
    if n_star is None:
        # The same numbers from scipy's own Welch test (absolute effect).
        if not relative:
            t = stats.ttest_ind(b, a, equal_var=False)
            assert abs(t.pvalue - expected["p_value"]) < 1e-9 * max(1, t.pvalue), (t.pvalue, expected)
    cases.append({"args": args, "expected": expected})

# --proportions: 0/1 outcomes with per-unit variance p(1 - p).
for i in range(10):
    n_a, n_b = int(rng.integers(50, 20000)), int(rng.integers(50, 20000))
    x_a = int(rng.binomial(n_a, 0.1))
    x_b = int(rng.binomial(n_b, 0.12))
    relative = i % 2 == 0
    n_star = None if i < 6 else float(rng.integers(1000, 50000))
    args = ["--proportions", f"{n_a},{x_a},{n_b},{x_b}", "--effect", "relative" if relative else "absolute"]
    if n_star is not None:
        args += ["--sequential", repr(n_star)]
    p_a, p_b = x_a / n_a, x_b / n_b
    cases.append(
        {"args": args, "expected": effect(n_a, p_a, p_a * (1 - p_a), n_b, p_b, p_b * (1 - p_b), relative, n_star)}
    )

# --bayes-proportions: the relative lift's normal posterior.
for i in range(6):
    n_a, n_b = int(rng.integers(100, 20000)), int(rng.integers(100, 20000))
    x_a, x_b = int(rng.binomial(n_a, 0.05)), int(rng.binomial(n_b, 0.055))
    p_a, p_b = x_a / n_a, x_b / n_b
    e = effect(n_a, p_a, p_a * (1 - p_a), n_b, p_b, p_b * (1 - p_b), True)
    d, se = e["effect"], e["se"]
    z = stats.norm.ppf(0.975)
    cases.append(
        {
            "args": ["--bayes-proportions", f"{n_a},{x_a},{n_b},{x_b}"],
            "expected": {
                "effect": d,
                "ci95": [d - z * se, d + z * se],
                "chance_to_win": stats.norm.cdf(d / se),
                "risk": se * stats.norm.pdf(d / se) - d * stats.norm.cdf(-d / se),
            },
        }
    )

# --srm: scipy's chi-square goodness of fit.
for i in range(8):
    k = int(rng.integers(2, 5))
    weights = rng.integers(1, 5, k).astype(float) if i % 2 else np.ones(k)
    observed = rng.multinomial(int(rng.integers(100, 100000)), weights / weights.sum())
    if i == 3:
        observed[0] = int(observed[0] * 1.05)  # a real mismatch
    exp = observed.sum() * weights / weights.sum()
    chi2, p = stats.chisquare(observed, exp)
    args = ["--srm", ",".join(str(int(o)) for o in observed)]
    if i % 2:
        args += ["--weights", ",".join(repr(float(w)) for w in weights)]
    cases.append({"args": args, "expected": {"chi2": float(chi2), "p_value": float(p), "mismatch": bool(p < 0.001)}})

# --adjust: statsmodels' multipletests.
for i in range(8):
    m = int(rng.integers(1, 12))
    p = rng.uniform(0, 0.2, m)
    if i == 2:
        p[1:3] = p[0]  # ties
    method = "holm" if i % 2 == 0 else "bh"
    adjusted = multipletests(p, method="holm" if method == "holm" else "fdr_bh")[1]
    cases.append(
        {"args": ["--adjust", method, ",".join(repr(float(x)) for x in p)], "expected": {"adjusted": list(map(float, adjusted))}}
    )

# --cuped: numpy on the units themselves, the covariate correlated with y.
for i in range(4):
    n = int(rng.integers(20, 400))
    arm = rng.choice(["A", "B"], n)
    x = rng.gamma(2.0, 30.0, n)
    y = 5 + 0.8 * x + rng.normal(0, 10 + 10 * i, n) + np.where(arm == "B", 3.0, 0.0)
    name = f"cuped_{i}.csv"
    with open(os.path.join(DATA, name), "w", newline="") as f:
        # Columns in another order, with an extra one, as users' files are.
        f.write("x,unit,arm,y\n")
        for j in range(n):
            f.write(f"{float(x[j])!r},{j},{arm[j]},{float(y[j])!r}\n")
    theta = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
    adj = y - theta * (x - x.mean())
    a, b = adj[arm == "A"], adj[arm == "B"]
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    se_raw = math.sqrt(y[arm == "A"].var(ddof=1) / len(a) + y[arm == "B"].var(ddof=1) / len(b))
    t = stats.ttest_ind(b, a, equal_var=False)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    est = b.mean() - a.mean()
    half = stats.t.ppf(0.975, df) * se
    cases.append(
        {
            "args": ["--cuped", name],
            "expected": {
                "theta": float(theta),
                "effect": float(est),
                "se": se,
                "ci95": [float(est - half), float(est + half)],
                "p_value": float(t.pvalue),
                "variance_reduction": 1 - (se / se_raw) ** 2,
            },
        }
    )

with open(os.path.join(DATA, "experiment_fixtures.json"), "w") as f:
    json.dump(cases, f, indent=1)
    f.write("\n")
print(f"{len(cases)} cases")
