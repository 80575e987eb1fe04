"""Writes target/clvtools/apparel_summary.csv and apparel_covariates.csv from
CLVTools' apparel data (github.com/bachmannpatrick/CLVTools, data/apparelTrans.rda
and data/apparelStaticCov.rda), for the ignored test
`clv::covariates::pareto_nbd_matches_clvtools_on_the_apparel_data`, which
compares our Pareto/NBD with static covariates with the fit CLVTools
publishes in its vignette "CLVTools_advanced_techniques.pdf" (section 4,
`latentAttrition(formula = ~ . | ., family = pnbd, data = clv.apparel.static)`
and the same with `names.cov.constr = "Gender"`).

CLVTools is GPL-3; its data are not copied into this repository: the files
go to target/ (not committed), made from a CLVTools checkout.

The summary follows CLVTools' `clvdata(apparelTrans, date.format = "ymd",
time.unit = "week", estimation.split = 104)`: transactions of one customer on
one day are one transaction; the estimation period runs from the first date
in the data (2005-01-02) for 104 weeks, to 2006-12-31 inclusive; frequency is
the transactions in it less one, recency the weeks from the first to the last
of them, T the weeks from the first to 2006-12-31 (days / 7). monetary_value
is the mean spend of the repeat transactions (0 without any); the test does
not use it. Covariates: Gender (0 male, 1 female) and Channel (0 online,
1 offline), as CLVTools ships them.

Needs the `rdata` package (pip install rdata).
Run from the repository root: python3 scripts/clvtools_apparel.py PATH/TO/CLVTools
"""

import csv
import os
import sys

import rdata

EPOCH_START = 12785  # 2005-01-02 in days since 1970-01-01, the first date in the data
SPLIT_WEEKS = 104


def load(path, name):
    return rdata.conversion.convert(rdata.parser.parse_file(path))[name]


def main(root):
    trans = load(os.path.join(root, "data", "apparelTrans.rda"), "apparelTrans")
    static = load(os.path.join(root, "data", "apparelStaticCov.rda"), "apparelStaticCov")
    assert int(trans["Date"].min()) == EPOCH_START, "the data's first date moved"
    end = EPOCH_START + 7 * SPLIT_WEEKS
    # Per customer and day, the day's spend.
    days = {}
    for cid, date, price in zip(trans["Id"], trans["Date"], trans["Price"]):
        spend = days.setdefault(str(cid), {})
        spend[int(date)] = spend.get(int(date), 0.0) + float(price)
    out = os.path.join("target", "clvtools")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "apparel_summary.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "frequency", "recency", "T", "monetary_value"])
        for cid in sorted(days, key=int):
            dates = sorted(d for d in days[cid] if d <= end)
            if not dates:
                continue
            first, repeats = dates[0], dates[1:]
            value = sum(days[cid][d] for d in repeats) / len(repeats) if repeats else 0.0
            w.writerow([cid, len(repeats), repr((dates[-1] - first) / 7), repr((end - first) / 7), repr(value)])
    with open(os.path.join(out, "apparel_covariates.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "Gender", "Channel"])
        for cid, gender, channel in zip(static["Id"], static["Gender"], static["Channel"]):
            w.writerow([str(cid), int(gender), int(channel)])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
