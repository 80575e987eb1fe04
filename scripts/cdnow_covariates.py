"""Writes tests/data/cdnow_covariates.csv: two synthetic, deterministic
covariates for the CDNOW customers of tests/data/cdnow_summary.csv, for the
`clv` example's --covariates tests (CDNOW ships with none).

- january: 1 when the customer's first purchase was in January 1997
  (T above 35 weeks from the calibration end), else 0 -- a real property
  of the data, so its coefficients may differ from zero;
- odd_id: 1 for an odd customer id, else 0 -- noise, whose coefficients
  should be near zero.

One extra row for a customer not in the summary checks that extra rows are
ignored.

Run from the repository root: python3 scripts/cdnow_covariates.py
"""

import csv

with open("tests/data/cdnow_summary.csv", newline="") as f:
    rows = list(csv.DictReader(f))

with open("tests/data/cdnow_covariates.csv", "w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(["customer_id", "january", "odd_id"])
    for row in rows:
        january = 1 if float(row["T"]) > 35.0 else 0
        out.writerow([row["customer_id"], january, int(row["customer_id"]) % 2])
    out.writerow(["not_a_customer", 1, 1])
