"""Cross-checks the `clv` example against the Python `lifetimes` package.

Not part of `cargo test`: it needs Python 3 with `lifetimes` (0.11.3 was
used), e.g. `python3 -m venv /tmp/lt && /tmp/lt/bin/pip install lifetimes`.
Build the example first (`cargo build --release --example clv`), then from
the repository's root:

    /tmp/lt/bin/python scripts/crosscheck_clv.py

It fits the three models on the shipped CDNOW summary and on a shuffled
synthetic transaction log with both tools, and prints the largest relative
differences in parameters and per-customer predictions. Weeks are whole-day
differences divided by 7 (the example's contract), so the lifetimes summary
is taken in days and divided by 7.
"""

import json
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from lifetimes.utils import summary_data_from_transaction_data

EXAMPLE = "target/release/examples/clv"


def run_example(args):
    out = subprocess.run([EXAMPLE, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def fit_lifetimes(summary):
    bg = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    pn = ParetoNBDFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    return bg, pn, gg


def compare(title, summary, ours):
    bg, pn, gg = fit_lifetimes(summary)
    print(f"== {title}")
    for name, theirs, mine in [
        ("bgnbd", dict(bg.params_), ours["bgnbd"]),
        ("pareto_nbd", dict(pn.params_), ours["pareto_nbd"]),
        ("gamma_gamma", dict(gg.params_), ours["gamma_gamma"]),
    ]:
        worst = max(abs(v - mine[k]) / abs(v) for k, v in theirs.items())
        print(f"{name}: largest relative parameter difference {worst:.1e}")
    c = pd.DataFrame(ours["customers"]).set_index("customer_id")
    joined = summary.join(c, rsuffix="_ours", how="inner")
    assert len(joined) == len(summary) == len(c), "the two summaries hold the same customers"
    for col in ["frequency", "recency", "T", "monetary_value"]:
        print(f"summary {col}: largest difference {np.max(np.abs(joined[col] - joined[col + '_ours'])):.1e}")
    f, tx, t = joined["frequency"], joined["recency"], joined["T"]
    for name, theirs, mine in [
        ("expected_purchases_39", bg.conditional_expected_number_of_purchases_up_to_time(39, f, tx, t), joined["expected_purchases_39"]),
        ("p_alive", bg.conditional_probability_alive(f, tx, t), joined["p_alive"]),
        ("expected_avg_value", gg.conditional_expected_average_profit(f, joined["monetary_value"]), joined["expected_avg_value"]),
    ]:
        theirs, mine = np.asarray(theirs, dtype=float), np.asarray(mine, dtype=float)
        print(f"{name}: largest relative difference {np.max(np.abs(theirs - mine) / np.abs(theirs)):.1e}")


def synthetic_log(path, customers=3000, seed=7):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    rows = []
    for c in range(customers):
        first = rng.integers(0, 180)
        rate = rng.gamma(0.6, 1 / 8.0)  # purchases per day
        life = rng.exponential(200)
        typical = 5 * np.exp(rng.uniform(0, 3))
        day = float(first)
        while day < first + life and day < 700:
            date = (start + pd.Timedelta(days=int(day))).strftime("%Y-%m-%d")
            rows.append((f"cust-{c:05d}", date, round(typical * rng.uniform(0.4, 1.6), 2)))
            day += rng.exponential(1 / rate)
    rng.shuffle(rows)
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    log.to_csv(path, index=False)
    return log


def main():
    cdnow = pd.read_csv("tests/data/cdnow_summary.csv", dtype={"customer_id": str}).set_index("customer_id")
    compare("CDNOW summary", cdnow, run_example(["--summary", "tests/data/cdnow_summary.csv"]))

    end = "2024-06-30"
    with tempfile.NamedTemporaryFile(suffix=".csv") as file:
        log = synthetic_log(file.name)
        ours = run_example(["--transactions", file.name, "--time-unit", "weeks", "--calibration-end", end])
    summary = summary_data_from_transaction_data(
        log, "customer_id", "date", monetary_value_col="amount", observation_period_end=end, freq="D"
    )
    summary["recency"] /= 7
    summary["T"] /= 7
    compare("synthetic transaction log", summary, ours)


if __name__ == "__main__":
    sys.exit(main())
