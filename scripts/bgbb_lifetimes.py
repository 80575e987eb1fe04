"""Reference values for the BG/BB cross-check (tests/clv/discrete.rs).

Fits lifetimes' BetaGeoBetaBinomFitter (lifetimes 0.11.3, no penalty) to the
donations table of Fader, Hardie & Shang (2010) and writes its parameters,
P(alive) at the next opportunity and the expected donations in the next five
opportunities for each of the 22 patterns, in the table's order, to
tests/data/donations_lifetimes.json.

    pip install lifetimes==0.11.3
    python3 scripts/bgbb_lifetimes.py
"""
import json

import pandas as pd
from lifetimes import BetaGeoBetaBinomFitter

table = pd.read_csv("tests/data/donations.csv")
fitter = BetaGeoBetaBinomFitter(penalizer_coef=0.0)
fitter.fit(table["frequency"], table["recency"], table["periods"], weights=table["count"])
alive = fitter.conditional_probability_alive(1, table["frequency"], table["recency"], table["periods"])
expected = fitter.conditional_expected_number_of_purchases_up_to_time(
    5, table["frequency"], table["recency"], table["periods"]
)
out = {
    "tool": "lifetimes 0.11.3 BetaGeoBetaBinomFitter",
    "params": {name: float(value) for name, value in fitter.params_.items()},
    "p_alive_next": [float(v) for v in alive],
    "expected_next_5": [float(v) for v in expected],
}
with open("tests/data/donations_lifetimes.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
