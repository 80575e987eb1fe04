"""Writes the bundled data of the cookbook's examples (examples/data/):

- shop.csv: a small shop's own event log in the crate's keyed CSV format
  (customer signups, purchases, complaints and their resolution, follows
  between customers, NPS answers), 2024-01-01 to 2025-06-30;
- transactions.csv: the same shop's purchases as a transaction log
  (customer_id,date,amount), the input of the CLV recipe;
- follows.csv: who follows whom (follower_id,followed_id), the input of the
  influencers recipe;
- 2025-07-01.csv: the next day's events in the same format, the second run
  of the daily-ingest recipe (one of them repeats the last line of shop.csv,
  as exports that overlap by a day do).

Deterministic: Python's Mersenne Twister with a fixed seed gives the same
stream on every platform and release, so running it again rewrites the
same bytes. Usage: python3 scripts/cookbook_data.py
"""

import csv
import datetime as dt
import os
import random

OUT = os.path.join(os.path.dirname(__file__), "..", "examples", "data")
START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
END = dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc)
CUSTOMERS = 200
HEADER = "id,customer,at,channel,type,amount,purchase,action,nps,csat,ticket,invitee,of,purpose,granted,campaign".split(",")


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    rng = random.Random(20240101)
    span = (END - START).total_seconds()
    events = []
    transactions = []
    follows = []

    def event(key, customer, at, channel, kind, **fields):
        row = dict.fromkeys(HEADER, "")
        row.update(id=key, customer=customer, at=stamp(at), channel=channel, type=kind, **fields)
        events.append(row)

    keys = [f"c{i:03}" for i in range(1, CUSTOMERS + 1)]
    # A few customers many others follow: the influencers to find.
    stars = keys[:5]
    for key in keys:
        joined = START + dt.timedelta(seconds=rng.random() * span * 0.6)
        event(f"signup-{key}", key, joined, "web", "customer")
        # BG/NBD-like: a purchase rate per week and a chance to drop out
        # after each purchase; spend per purchase around a customer mean.
        rate = rng.gammavariate(0.8, 1 / 4.0)
        drop = rng.betavariate(1.0, 3.0)
        mean_spend = rng.gammavariate(6.0, 8.0)
        t = joined
        n = 0
        while True:
            t = t + dt.timedelta(weeks=rng.expovariate(rate) if rate > 0 else 1e6)
            if t >= END:
                break
            n += 1
            amount = max(1.0, rng.gauss(mean_spend, mean_spend / 4))
            channel = rng.choice(["web", "store"])
            event(f"o-{key}-{n}", key, t, channel, "purchase", amount=f"{amount:.2f}")
            transactions.append((key, t.date().isoformat(), f"{amount:.2f}"))
            if rng.random() < drop:
                break
        if n > 0 and rng.random() < 0.15:
            at = joined + dt.timedelta(days=rng.randint(1, 200))
            if at < END:
                event(f"complaint-{key}", key, at, "support", "complaint")
                if rng.random() < 0.5 and at + dt.timedelta(days=3) < END:
                    event(f"resolved-{key}", key, at + dt.timedelta(days=3), "support", "ticket_resolved", ticket=f"complaint-{key}")
        if n > 0 and rng.random() < 0.3:
            at = joined + dt.timedelta(days=rng.randint(1, 100))
            if at < END:
                event(f"nps-{key}", key, at, "email", "feedback", nps=str(rng.choice([3, 6, 8, 9, 10, 10])))
        # Follows: most go to the stars, some to anyone.
        for j in range(rng.randint(0, 3)):
            other = rng.choice(stars) if rng.random() < 0.7 else rng.choice(keys)
            if other == key or (key, other) in follows:
                continue
            follows.append((key, other))
            at = joined + dt.timedelta(days=rng.randint(0, 30))
            event(f"follow-{key}-{other}", key, at, "twitter", "follow", of=other)

    events.sort(key=lambda r: (r["at"], r["id"]))
    transactions.sort()
    with open(os.path.join(OUT, "shop.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows(events)
    next_day = [dict(events[-1])]
    day = dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc)
    for n, key in enumerate(["c001", "c004", "c010"]):
        at = day + dt.timedelta(hours=9 + 2 * n)
        row = dict.fromkeys(HEADER, "")
        row.update(id=f"o-{key}-0701", customer=key, at=stamp(at), channel="web", type="purchase", amount=f"{20 + 5 * n}.00")
        next_day.append(row)
    row = dict.fromkeys(HEADER, "")
    row.update(id="o-c201-1", customer="c201", at=stamp(day + dt.timedelta(hours=16)), channel="store", type="purchase", amount="35.50")
    next_day.append(row)
    with open(os.path.join(OUT, "2025-07-01.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows(next_day)
    with open(os.path.join(OUT, "transactions.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "date", "amount"])
        w.writerows(transactions)
    with open(os.path.join(OUT, "follows.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["follower_id", "followed_id"])
        w.writerows(follows)


if __name__ == "__main__":
    main()
