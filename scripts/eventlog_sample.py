#!/usr/bin/env python3
"""Writes the bundled keyed event log, examples/data/events.jsonl and its CSV
equivalent examples/data/events.csv, deterministically (no randomness, no
clock): a few dozen events of a small shop covering every event type of the
format that `customer_lifecycle::eventlog` reads.

The lines are deliberately not in time order (the reader and `ingest` do not
care), one customer is first named as an invitee before their own sign-up,
and one customer is known only as the one followed. The CSV has no consent
or attributes columns, so its `customer` records carry neither.

Run from the repository root: python3 scripts/eventlog_sample.py
"""

import csv
import json

COLUMNS = ["id", "customer", "at", "channel", "type", "amount", "purchase", "action", "nps", "csat",
           "ticket", "invitee", "of", "purpose", "granted", "campaign"]


def ev(id, customer, at, channel, type, **fields):
    line = {"id": id, "customer": customer, "at": at, "channel": channel, "type": type}
    line.update(fields)
    return line


EVENTS = [
    ev("signup-ana", "ana", "2024-01-02T09:00:00Z", "web", "customer",
       consent={"profiling": True, "contact": True}, attributes={"region": "north", "age": 34, "vip": False}),
    ev("follow-ana-brand", "ana", "2024-01-02T09:05:00Z", "twitter", "follow"),
    ev("o-1001", "ana", "2024-01-03T12:30:00Z", "web", "purchase", amount="49.90"),
    ev("ref-ana-bo", "ana", "2024-01-04T08:00:00Z", "email", "referral", invitee="bo"),
    ev("o-1002", "bo", "2024-01-10T15:00:00+01:00", "store", "purchase", amount="20"),
    ev("signup-bo", "bo", "2024-01-10T14:30:00Z", "store", "customer",
       consent={"contact": False}, attributes={"region": "south", "score": 2.5}),
    ev("rf-1002", "bo", "2024-01-12T10:00:00Z", "store", "refund", amount="5.50", purchase="o-1002"),
    ev("like-ana-1", "ana", "2024-01-15T19:45:10.250Z", "facebook", "engagement", action="like"),
    ev("share-ana-1", "ana", "2024-01-16T19:00:00Z", "facebook", "engagement", action="share"),
    ev("mention-ana-1", "ana", "2024-01-20T11:00:00Z", "blog", "engagement", action="mention"),
    ev("nps-ana-1", "ana", "2024-01-21T10:00:00Z", "email", "feedback", nps=10),
    ev("csat-bo-1", "bo", "2024-01-22T10:00:00Z", "support", "feedback", csat=4),
    ev("signup-cy", "cy", "2024-01-05T07:00:00Z", "phone", "customer"),
    ev("follow-cy-ana", "cy", "2024-01-06T07:30:00Z", "twitter", "follow", of="ana"),
    ev("visit-cy-1", "cy", "2024-01-07T16:00:00Z", "foursquare", "engagement", action="visit"),
    ev("o-1003", "cy", "2024-01-08T13:00:00Z", "web", "purchase", amount="0"),
    ev("cmp-cy-1", "cy", "2024-01-09T09:00:00Z", "support", "complaint"),
    ev("res-cy-1", "cy", "2024-01-11T09:00:00Z", "support", "ticket_resolved", ticket="cmp-cy-1"),
    ev("tkt-bo-1", "bo", "2024-01-23T09:00:00Z", "phone", "ticket_opened"),
    ev("res-bo-1", "bo", "2024-01-24T09:00:00Z", "phone", "ticket_resolved", ticket="tkt-bo-1"),
    ev("cc-bo-1", "bo", "2024-01-25T09:00:00Z", "web", "consent_change", purpose="contact", granted=True),
    ev("cc-cy-1", "cy", "2024-01-26T09:00:00Z", "web", "consent_change", purpose="profiling", granted=False),
    ev("touch-ana-spring", "ana", "2024-02-01T08:00:00Z", "email", "touch", campaign="spring-sale"),
    ev("touch-bo-spring", "bo", "2024-02-01T08:00:00Z", "email", "touch", campaign="spring-sale"),
    ev("resp-ana-spring", "ana", "2024-02-01T09:15:00Z", "email", "response", campaign="spring-sale", action="open"),
    ev("resp-ana-spring-2", "ana", "2024-02-01T09:16:00Z", "email", "response", campaign="spring-sale", action="click"),
    ev("o-1004", "ana", "2024-02-01T09:30:00Z", "web", "purchase", amount="120.00"),
    ev("o-1005", "bo", "2024-02-03T18:00:00Z", "web", "purchase", amount="35.5"),
    ev("yt-dee-1", "dee", "2024-02-04T20:00:00Z", "youtube", "engagement", action="comment"),
    ev("follow-dee-brand", "dee", "2024-02-04T20:01:00Z", "youtube", "follow"),
    ev("tt-dee-1", "dee", "2024-02-05T20:00:00Z", "tiktok", "engagement", action="reply"),
    ev("ref-bo-eve", "bo", "2024-02-06T12:00:00Z", "web", "referral", invitee="eve"),
    ev("o-1006", "eve", "2024-02-07T12:00:00Z", "web", "purchase", amount="15.00"),
    ev("follow-eve-fay", "eve", "2024-02-08T12:00:00Z", "twitter", "follow", of="fay"),
    ev("o-1007", "ana", "2024-03-01T10:00:00Z", "store", "purchase", amount="60.25"),
    ev("rf-1007", "ana", "2024-03-02T10:00:00Z", "store", "refund", amount="10", purchase="o-1007"),
    ev("nps-bo-1", "bo", "2024-03-03T10:00:00Z", "email", "feedback", nps=3),
    ev("cmp-bo-1", "bo", "2024-03-04T10:00:00Z", "support", "complaint"),
    ev("profile-ana-2", "ana", "2024-03-05T10:00:00Z", "web", "customer", attributes={"region": "west"}),
    ev("o-1008", "ana", "2024-04-01T10:00:00+02:00", "web", "purchase", amount="75.00"),
]

with open("examples/data/events.jsonl", "w", newline="\n") as out:
    for line in EVENTS:
        out.write(json.dumps(line, separators=(",", ":")) + "\n")

with open("examples/data/events.csv", "w", newline="") as out:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for line in EVENTS:
        cell = lambda c: ("true" if line[c] else "false") if isinstance(line.get(c), bool) else str(line.get(c, ""))
        writer.writerow([cell(c) for c in COLUMNS])
