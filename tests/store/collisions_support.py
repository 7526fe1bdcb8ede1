"""A database where three journeys write to shared customers, with known collisions.

On 2027-02-15 from 09:00 (Madrid), forecasting the draft "Forecast me" (a push at entry, an
email a day later) with the active "Promo" (a push and an email at entry) and the active
"Reminder" (an SMS a day after entry), every journey's customers due at the start:

    day 0 (2027-02-15): A 3 (Forecast me, Promo), B 3 (Forecast me, Promo), E 2 (Promo),
                        C 1, D 1
    day 1 (2027-02-16): A 2 (Forecast me, Reminder), C 2 (Forecast me, Reminder), B 1, D 1

A draft "Other draft" and a deactivated "Old" write to A–D as well, and must count for
nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from journey_desktop.domain.journey import Journey
from journey_desktop.store.repository import JourneyRepository
from tests.conftest import add_members
from tests.store.evaluator_support import MADRID, local

START = local(2027, 2, 15, 9, 0)
DAY0, DAY1, DAY2 = dt.date(2027, 2, 15), dt.date(2027, 2, 16), dt.date(2027, 2, 17)

PUSH = {"type": "message", "channel": "push", "title": "Hi {{firstName}}", "body": "News"}
EMAIL = {"type": "message", "channel": "email", "subject": "Hello", "body": "More news"}
SMS = {"type": "message", "channel": "sms", "body": "A reminder"}
WAIT_DAY = {"type": "wait", "duration": {"value": 1, "unit": "days"}}


def journey(name: str, *steps: dict[str, Any]) -> dict[str, Any]:
    """entry → the steps in order → exit, no re-entry."""
    ids = [f"s{i}" for i in range(len(steps))]
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "entry",
                                    "next": ids[0] if ids else "end"}]
    for i, step in enumerate(steps):
        nodes.append({**step, "id": ids[i], "next": ids[i + 1] if i + 1 < len(ids) else "end"})
    nodes.append({"id": "end", "type": "exit"})
    return {"format": "journey-desktop/1", "name": name, "nodes": nodes,
            "activation": {"allow_reentry": False, "max_entries": None,
                           "timeout": {"value": 1, "unit": "days"}}}


JOURNEYS: dict[str, tuple[dict[str, Any], list[str]]] = {
    # name: (journey file, audience)
    "Promo": (journey("Promo", PUSH, EMAIL), ["A", "B", "E"]),
    "Reminder": (journey("Reminder", WAIT_DAY, SMS), ["A", "C"]),
    "Other draft": (journey("Other draft", PUSH, PUSH | {"title": "Again"}),
                    ["A", "B", "C", "D"]),
    "Old": (journey("Old", PUSH, EMAIL), ["A", "B", "C", "D"]),
    "Forecast me": (journey("Forecast me", PUSH, WAIT_DAY, EMAIL), ["A", "B", "C", "D"]),
}

# (customer, date, messages, journeys) as the report lists them at the default limit of 1.
EXPECTED = [
    ("A", DAY0, 3, ("Forecast me", "Promo")),
    ("B", DAY0, 3, ("Forecast me", "Promo")),
    ("E", DAY0, 2, ("Promo",)),
    ("A", DAY1, 2, ("Forecast me", "Reminder")),
    ("C", DAY1, 2, ("Forecast me", "Reminder")),
]


def build(repo: JourneyRepository, now: int = START) -> dict[str, int]:
    """The five journeys with their audiences, Promo and Reminder active, Old deactivated;
    returns their ids by name."""
    ids = {}
    for name, (data, audience) in JOURNEYS.items():
        journey_id = repo.create(Journey.from_dict(data), now=now)
        add_members(journey_id, {ext: {"firstName": ext} for ext in audience}, now)
        ids[name] = journey_id
    for name in ("Promo", "Reminder", "Old"):
        result = repo.activate(ids[name], now=now)
        assert result.ok, result.problems
    repo.deactivate(ids["Old"], now=now)
    return ids


__all__ = ["DAY0", "DAY1", "DAY2", "EXPECTED", "JOURNEYS", "MADRID", "START", "build"]
