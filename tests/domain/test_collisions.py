"""The collision report's pure part: naming the journeys, days with none, the sentence."""

from __future__ import annotations

import datetime as dt

import pytest

from journey_desktop.domain.collisions import (
    CollisionReport,
    check_limit,
    collisions_from_rows,
    per_day,
    summary_text,
)

DATES = [dt.date(2027, 3, 1), dt.date(2027, 3, 2), dt.date(2027, 3, 3)]
NAMES = {7: "Welcome", 2: "Birthday", 5: "Promo"}  # the one forecast first


def test_rows_are_named_in_the_order_of_the_journeys():
    rows = [("x", 0, 3, "2,5,7"), ("y", 2, 2, "5"), ("z", 0, 2, "9")]
    collisions = collisions_from_rows(rows, DATES, NAMES)
    assert [(c.external_id, c.date, c.messages, c.journeys) for c in collisions] == [
        ("x", DATES[0], 3, ("Welcome", "Birthday", "Promo")),
        ("y", DATES[2], 2, ("Promo",)),
        ("z", DATES[0], 2, ("journey 9",)),
    ]
    assert collisions[0].to_json() == {"customerId": "x", "date": "2027-03-01",
                                       "messages": 3,
                                       "journeys": ["Welcome", "Birthday", "Promo"]}
    days = per_day(collisions, DATES)
    assert [(d.date, d.customers) for d in days] == [(DATES[0], 2), (DATES[1], 0),
                                                     (DATES[2], 1)]


def test_summary_sentence_and_json_keys():
    collisions = collisions_from_rows([("x", 0, 3, "7,2"), ("x", 1, 2, "7,5")], DATES, NAMES)
    report = CollisionReport(limit=1, journeys=list(NAMES.items()), collisions=collisions,
                             days=per_day(collisions, DATES))
    assert summary_text(report) == ("1 customer would get more than 1 message on one day "
                                    "across 3 journeys (2 customer-days on 2 days).")
    data = report.to_json()
    assert data["collision_limit"] == 1
    assert data["collision_journeys"] == ["Welcome", "Birthday", "Promo"]
    assert [d["customers"] for d in data["collisions_per_day"]] == [1, 1, 0]
    empty = CollisionReport(limit=2, journeys=[(7, "Welcome")])
    assert summary_text(empty) == ("No customer would get more than 2 messages on one day "
                                   "across 1 journey.")


def test_limit_range():
    assert check_limit(1) == 1
    for bad in (0, -1, 1_000_001):
        with pytest.raises(ValueError):
            check_limit(bad)
